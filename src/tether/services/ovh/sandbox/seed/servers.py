"""Seed of the dedicated-server family (``/dedicated/server``): six servers in four
datacenters. Invariants: see ``seed``."""

from __future__ import annotations

from tether.services.ovh.sandbox.models import Server


def servers() -> dict[str, Server]:
    rows = [
        ("ns6457228.ip-178-33-61.eu", "sbg1", "178.33.61.28", "Rise-1", "S1-12"),
        ("ns3012345.ip-51-68-10.eu", "sbg1", "51.68.10.45", "KS-1", "S1-04"),
        ("ns3012346.ip-51-68-11.eu", "sbg1", "51.68.11.46", "Advance-1", "S1-04"),
        ("ns5000123.ip-145-239-1.eu", "gra1", "145.239.1.123", "Advance-2", "G107A03"),
        ("ns7001234.ip-92-222-5.eu", "rbx2", "92.222.5.34", "Rise-2", "R2-08"),
        ("ns561234.ip-158-69-20.net", "bhs1", "158.69.20.234", "Advance-1", "BHS1-T05"),
    ]
    servers: dict[str, Server] = {}
    for i, (name, dc, ip, rng_name, rack) in enumerate(rows):
        servers[name] = Server(
            name=name,
            server_id=310_000 + i * 7,
            datacenter=dc,
            ip=ip,
            os="debian12_64",
            commercial_range=rng_name,
            rack=rack,
            burst="active" if i == 4 else "inactive",
        )
    return servers
