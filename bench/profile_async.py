"""Why tether's async CPU per call moves with concurrency: a focused measure and profile.

``bench/.venv-bench/bin/python bench/profile_async.py [--rounds N] [--calls N] [--levels 10,50]
[--profile [CALLS]] [--sandbox-url URL]``

Against the sandbox in its own process (as ``bench/run.py`` does, same pinning), it times, at
each concurrency level, interleaved round-robin (each round starts with another contestant):

- ``aiohttp``: raw ``aiohttp.ClientSession.get`` + ``json.loads`` (the floor ``run.py`` uses);
- ``transport``: tether's ``AiohttpTransport.send`` of one pre-signed ``Request`` + ``json.loads``
  (the transport alone, no flow, no signing, no retry);
- ``tether``: ``tether.ovh.AsyncClient.get("/me")`` (what ``run.py`` times);
- ``asyncio``: tether's ``AsyncioTransport.send`` (``transport/aioproto.py``: asyncio
  protocols + httptools) of the same pre-signed ``Request`` + ``json.loads``.

``tether - transport`` is the cost of the flow, signing, retry and driver; ``transport -
aiohttp`` is the cost of tether's transport over plain aiohttp. Each cell is the median over
rounds of client CPU per call (``time.process_time``) and calls/s.

``--profile`` instead runs cProfile (on CPU time) over each contestant at every level and
prints, per level, the functions whose CPU per call differs most between the levels: what
grows with the number of calls in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import pstats
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp

import tether.ovh
from run import (
    AsyncContestant,
    BenchError,
    Creds,
    Presigned,
    check_me,
    cpu_profiler,
    load_creds,
    pin_cpus,
    rotated,
    sandbox_process,
    time_async_batch,
)
from tether.core.messages import Request
from tether.transport.aio import AiohttpTransport
from tether.transport.aioproto import AsyncioTransport


def contestants(
    creds: Creds,
    signed: Presigned,
    session: aiohttp.ClientSession,
    tc: Any,
    tr: AiohttpTransport,
    tp: AsyncioTransport,
) -> list[AsyncContestant]:
    url, headers = creds.me_url, signed.dict
    holder: dict[str, Request] = {}

    def presign() -> None:
        signed.refresh()
        holder["r"] = Request("GET", url, tuple(headers.items()))

    async def floor() -> Any:
        async with session.get(url, headers=headers) as r:
            return json.loads(await r.read())

    async def transport() -> Any:
        return json.loads((await tr.send(holder["r"])).body)

    async def lean() -> Any:
        return json.loads((await tp.send(holder["r"])).body)

    presign()
    return [
        AsyncContestant("aiohttp", "raw aiohttp", floor, signed.refresh),
        AsyncContestant("transport", "tether transport", transport, presign),
        AsyncContestant("tether", "tether AsyncClient", lambda: tc.get("/me")),
        AsyncContestant("asyncio", "tether asyncio transport", lean, presign),
    ]


async def measure(creds: Creds, rounds: int, calls: int, levels: list[int]) -> None:
    signed = Presigned(creds)
    session = aiohttp.ClientSession()
    tc = tether.ovh.AsyncClient(endpoint=creds.base_url, **creds.kwargs())
    tr = AiohttpTransport()
    tp = AsyncioTransport()
    cs = contestants(creds, signed, session, tc, tr, tp)
    try:
        for c in cs:
            c.before_batch()
            check_me(c.label, await c.call())
            for n in levels:
                await time_async_batch(c, max(n * 4, calls // 5), n, record=False)
        for r in range(rounds):
            for n in levels:
                for c in rotated(cs, r):
                    await time_async_batch(c, calls, n, record=True)
    finally:
        await tc.close()
        await tr.aclose()
        await tp.aclose()
        await session.close()
    med = statistics.median
    print(f"{rounds} rounds x {calls} calls; medians (client CPU us/call, calls/s)")
    print(f"{'':26}" + "".join(f"{f'{n} in flight':>26}" for n in levels))
    for c in cs:
        cells = "".join(f"{med(c.cpu_us[n]):>12.1f} us {med(c.rate[n]):>8.0f}/s " for n in levels)
        print(f"{c.label:26}{cells}")
    by = {c.key: c for c in cs}
    pairs = [("tether", "aiohttp"), ("transport", "aiohttp"), ("tether", "transport")]
    for a, b in [*pairs, ("asyncio", "aiohttp"), ("asyncio", "transport")]:
        cells = "".join(
            f"{med(by[a].cpu_us[n]) - med(by[b].cpu_us[n]):>+12.1f} us "
            f"{med(by[a].rate[n]) / med(by[b].rate[n]):>8.2f}x  "
            for n in levels
        )
        print(f"{a + ' - ' + b:26}{cells}")


async def profile(creds: Creds, calls: int, levels: list[int]) -> None:
    signed = Presigned(creds)
    session = aiohttp.ClientSession()
    tc = tether.ovh.AsyncClient(endpoint=creds.base_url, **creds.kwargs())
    tr = AiohttpTransport()
    tp = AsyncioTransport()
    cs = contestants(creds, signed, session, tc, tr, tp)
    per: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
    try:
        for c in cs:
            c.before_batch()
            check_me(c.label, await c.call())
            for n in levels:
                await time_async_batch(c, max(n * 4, 500), n, record=False)
                prof = cpu_profiler()
                prof.enable()
                await time_async_batch(c, calls, n, record=False)
                prof.disable()
                raw: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
                per[(c.key, n)] = {
                    f"{Path(fn).name}:{line} {func}": (tt / calls * 1e6, nc / calls)
                    for (fn, line, func), (_cc, nc, tt, _ct, _cl) in raw.items()
                }
    finally:
        await tc.close()
        await tr.aclose()
        await tp.aclose()
        await session.close()
    lo, hi = levels[0], levels[-1]
    for c in cs:
        a, b = per[(c.key, lo)], per[(c.key, hi)]
        ta, tb = sum(v[0] for v in a.values()), sum(v[0] for v in b.values())
        print(f"\n=== {c.label}: profiled CPU/call {ta:.1f} us at {lo}, {tb:.1f} us at {hi} ===")
        print(f"own us/call at {lo} -> {hi} (calls/call), largest differences first:")
        names = set(a) | set(b)
        diffs = sorted(names, key=lambda k: -abs(b.get(k, (0.0, 0.0))[0] - a.get(k, (0.0, 0.0))[0]))
        for k in diffs[:25]:
            (ua, na), (ub, nb) = a.get(k, (0.0, 0.0)), b.get(k, (0.0, 0.0))
            print(f"   {ua:7.2f} -> {ub:7.2f} ({ub - ua:+6.2f})  x{na:5.2f} -> x{nb:5.2f}  {k}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--levels", default="10,50", help="comma-separated calls in flight")
    p.add_argument("--profile", type=int, nargs="?", const=3000, metavar="CALLS")
    p.add_argument("--sandbox-url")
    p.add_argument("--no-pin", action="store_true")
    args = p.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    server_cpu, pinning = pin_cpus(not args.no_pin)
    print(pinning, file=sys.stderr)
    with contextlib.ExitStack() as stack:
        if args.sandbox_url:
            root = args.sandbox_url.rstrip("/")
        else:
            root = stack.enter_context(sandbox_process(server_cpu))
        creds = load_creds(root)
        if args.profile:
            asyncio.run(profile(creds, args.profile, levels))
        else:
            asyncio.run(measure(creds, args.rounds, args.calls, levels))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(2)
