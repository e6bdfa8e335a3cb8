"""``/email/domain/*`` (redirections) and ``/domain``, ``/domain/zone/*`` (DNS records).

Invariants:
- Writes answer the task or value OVH answers; ids come from the state's generators.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.ovh.sandbox.dispatch import (
    NO_CONTENT,
    Ctx,
    bad_request,
    conflict,
    not_found,
)
from tether.services.ovh.sandbox.routes.common import (
    int_param,
    query_enum,
)
from tether.services.ovh.sandbox.state import (
    DnsRecord,
    Redirection,
    iso,
)

# --------------------------------------------------------------------------------------------
# /email/domain


def _mail_domain(ctx: Ctx) -> dict[str, Redirection]:
    redirections = ctx.state.email_domains.get(ctx.params["domain"])
    if redirections is None:
        raise not_found("domain", ctx.params["domain"])
    return redirections


def email_domain_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.email_domains)


def email_domain_get(ctx: Ctx) -> dict[str, Any]:
    _mail_domain(ctx)
    return {"domain": ctx.params["domain"], "status": "ok", "offer": "mxplan", "filerz": 12}


def redirection_list(ctx: Ctx) -> list[str]:
    source, target = ctx.query.get("from"), ctx.query.get("to")
    return [
        r.redirection_id
        for r in _mail_domain(ctx).values()
        if (source is None or r.source == source) and (target is None or r.target == target)
    ]


def _mail_task(ctx: Ctx, action: str, source: str) -> dict[str, Any]:
    return {
        "id": ctx.state.new_id(),
        "action": action,
        "account": source.split("@", 1)[0],
        "domain": ctx.params["domain"],
        "date": iso(ctx.now),
        "type": "redirection",
    }


def redirection_post(ctx: Ctx) -> dict[str, Any]:
    redirections = _mail_domain(ctx)
    source: str = ctx.body["from"]
    target: str = ctx.body["to"]
    for field_name, address in (("from", source), ("to", target)):
        if "@" not in address.strip("@"):
            raise bad_request(f"[{field_name}] Given data ({address}) is not a valid email address")
    if any(r.source == source and r.target == target for r in redirections.values()):
        raise conflict(f"Redirection from {source} to {target} already exists")
    rid = str(ctx.state.new_id())
    redirections[rid] = Redirection(rid, source, target, bool(ctx.body["localCopy"]))
    return _mail_task(ctx, "add", source)


def _redirection(ctx: Ctx) -> Redirection:
    found = _mail_domain(ctx).get(ctx.params["id"])
    if found is None:
        raise not_found("id", ctx.params["id"])
    return found


def redirection_get(ctx: Ctx) -> dict[str, Any]:
    return _redirection(ctx).to_json()


def redirection_delete(ctx: Ctx) -> dict[str, Any]:
    found = _redirection(ctx)
    del _mail_domain(ctx)[found.redirection_id]
    return _mail_task(ctx, "delete", found.source)


# --------------------------------------------------------------------------------------------
# /domain, /domain/zone


def domain_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.domains)


def _zone(ctx: Ctx) -> dict[int, DnsRecord]:
    zone = ctx.state.zones.get(ctx.params["zoneName"])
    if zone is None:
        raise not_found("zoneName", ctx.params["zoneName"])
    return zone


def zone_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.zones)


def zone_get(ctx: Ctx) -> dict[str, Any]:
    _zone(ctx)
    return {
        "name": ctx.params["zoneName"],
        "nameServers": ["dns10.ovh.net", "ns10.ovh.net"],
        "dnssecSupported": True,
        "hasDnsAnycast": False,
        "lastUpdate": iso(ctx.now),
    }


FIELD_TYPES: Final = ("A", "AAAA", "CAA", "CNAME", "DKIM", "MX", "NS", "PTR", "SPF", "SRV", "TXT")


def record_list(ctx: Ctx) -> list[int]:
    ftype = query_enum(ctx, "fieldType", FIELD_TYPES, "zone.NamedResolutionFieldTypeEnum")
    sub = ctx.query.get("subDomain")
    return [
        r.record_id
        for r in _zone(ctx).values()
        if (ftype is None or r.field_type == ftype) and (sub is None or r.sub_domain == sub)
    ]


def record_post(ctx: Ctx) -> dict[str, Any]:
    zone = _zone(ctx)
    record = DnsRecord(
        ctx.state.new_id(),
        ctx.params["zoneName"],
        ctx.body.get("subDomain") or "",
        ctx.body["fieldType"],
        ctx.body["target"],
        ctx.body.get("ttl") or 0,
    )
    zone[record.record_id] = record
    return record.to_json()


def _record(ctx: Ctx) -> DnsRecord:
    found = _zone(ctx).get(int_param(ctx, "id"))
    if found is None:
        raise not_found("id", ctx.params["id"])
    return found


def record_get(ctx: Ctx) -> dict[str, Any]:
    return _record(ctx).to_json()


def record_put(ctx: Ctx) -> None:
    record = _record(ctx)
    if ctx.body.get("subDomain") is not None:
        record.sub_domain = ctx.body["subDomain"]
    if ctx.body.get("target") is not None:
        record.target = ctx.body["target"]
    if ctx.body.get("ttl") is not None:
        record.ttl = ctx.body["ttl"]


def record_delete(ctx: Ctx) -> None:
    del _zone(ctx)[_record(ctx).record_id]


def zone_refresh(ctx: Ctx) -> object:
    _zone(ctx)
    # The one void route known to answer 204 (ovh.md §11.6).
    return NO_CONTENT
