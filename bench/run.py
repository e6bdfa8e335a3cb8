"""tether's benchmark: client cost of a signed OVH ``GET /me`` against the local sandbox.

Run with ``make bench`` (or ``bench/.venv-bench/bin/python bench/run.py [--quick]``). What it
measures and how to read it: bench/README.md. In short, against a sandbox running in a separate
process, interleaved round-robin so drift and noise hit every contestant alike:

1. sync: client CPU and wall time per call, tether ``Client`` vs raw urllib3 vs python-ovh 1.2;
2. async: calls/s at 1, 10 and 50 in flight, tether ``AsyncClient`` vs raw aiohttp;
3. import time of ``tether.ovh`` vs ``ovh``, each in a fresh interpreter.

It prints one table of medians and ratios with PASS/MISS against tether's targets and writes the
same numbers to bench/results.json. ``--profile`` instead profiles tether's own code paths.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import hashlib
import json
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypedDict

import aiohttp
import ovh
import urllib3

import tether
import tether.ovh

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_JSON = BENCH_DIR / "results.json"

# python-ovh only accepts endpoint aliases; this one is registered to point at the sandbox.
OVH_ALIAS = "tether-sandbox"

# The targets tether is held to (see README): (key, description, limit, "le" or "ge").
TARGETS = (
    ("sync_cpu_vs_urllib3", "tether sync CPU/call <= 1.5x raw urllib3", 1.5, "le"),
    ("sync_cpu_vs_python_ovh", "tether sync CPU/call <= 1/3 of python-ovh", 1 / 3, "le"),
    ("async_50_vs_aiohttp", "tether async calls/s >= 0.8x raw aiohttp at 50", 0.8, "ge"),
    ("import_vs_python_ovh", "import tether.ovh <= import ovh", 1.0, "le"),
)


class BenchError(RuntimeError):
    """The benchmark could not produce meaningful numbers (sandbox down, wrong answers...)."""


@dataclass(frozen=True)
class Plan:
    """How much to measure. Full: well under 3 minutes on a 2-core machine."""

    sync_rounds: int
    sync_batch: int
    async_rounds: int
    async_calls: int
    concurrency: tuple[int, ...]
    import_runs: int


FULL = Plan(
    sync_rounds=31,
    sync_batch=200,
    async_rounds=9,
    async_calls=2000,
    concurrency=(1, 10, 50),
    import_runs=21,
)
QUICK = Plan(
    sync_rounds=3,
    sync_batch=50,
    async_rounds=2,
    async_calls=300,
    concurrency=(1, 10, 50),
    import_runs=3,
)


# --- statistics --------------------------------------------------------------------------------


def summarize(samples: list[float]) -> dict[str, Any]:
    """Median plus quartiles: the quartiles show how much noise the median sits in."""
    if len(samples) >= 2:
        q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    else:
        q1 = q3 = samples[0]
    return {
        "median": statistics.median(samples),
        "p25": q1,
        "p75": q3,
        "n": len(samples),
        "samples": [round(s, 3) for s in samples],
    }


def rotated(items: list[Any], round_no: int) -> list[Any]:
    """Each round starts with a different contestant, so none always runs first (warm caches,
    a server that just went idle) or last."""
    k = round_no % len(items)
    return items[k:] + items[:k]


def check_me(label: str, result: Any) -> None:
    """Timing error responses would be worthless: every contestant must get the real /me."""
    if not isinstance(result, dict) or "firstname" not in result:
        raise BenchError(f"{label}: GET /me did not answer the account ({str(result)[:200]!r})")


# --- the sandbox, in its own process ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """The environment for child processes, without anything that could redirect a client
    (TETHER_SANDBOX, OVH_* credentials) or change import cost (no bytecode writing)."""
    drop = ("TETHER_", "OVH_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def fetch_json(url: str) -> Any:
    r = urllib3.request("GET", url, timeout=urllib3.Timeout(connect=2, read=10), retries=False)
    if r.status != 200:
        raise BenchError(f"GET {url} answered {r.status}: {r.data[:200]!r}")
    return json.loads(r.data)


@contextlib.contextmanager
def sandbox_process(cpu: int | None) -> Iterator[str]:
    """Start ``tether.sandbox.server.serve`` in a child process; yield its root URL."""
    port = free_port()
    code = f"from tether.sandbox.server import serve; serve(host='127.0.0.1', port={port})"
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=clean_env(),
            cwd=REPO_DIR,
        )
        try:
            if cpu is not None:
                # Set before the interpreter has started any thread, so all of them inherit it.
                # (If the child already died, the readiness loop below reports why.)
                with contextlib.suppress(ProcessLookupError):
                    os.sched_setaffinity(proc.pid, {cpu})
            root = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    err.seek(0)
                    raise BenchError(
                        f"the sandbox exited with {proc.returncode} before answering:\n"
                        + err.read()[-2000:]
                    )
                try:
                    fetch_json(root + "/_sandbox/credentials")
                    break
                except (urllib3.exceptions.HTTPError, BenchError, ValueError):
                    if time.monotonic() > deadline:
                        raise BenchError(f"the sandbox did not answer on {root} in 60 s") from None
                    time.sleep(0.1)
            yield root
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Keys(TypedDict):
    application_key: str
    application_secret: str
    consumer_key: str


@dataclass(frozen=True)
class Creds:
    base_url: str
    application_key: str
    application_secret: str
    consumer_key: str

    @property
    def me_url(self) -> str:
        return self.base_url + "/me"

    def kwargs(self) -> Keys:
        return {
            "application_key": self.application_key,
            "application_secret": self.application_secret,
            "consumer_key": self.consumer_key,
        }


def load_creds(root: str) -> Creds:
    o = fetch_json(root.rstrip("/") + "/_sandbox/credentials")["ovh"]
    return Creds(o["base_url"], o["application_key"], o["application_secret"], o["consumer_key"])


class Presigned:
    """Auth headers for the raw urllib3/aiohttp floors, computed outside the timed loop.

    The sandbox, like OVH, only answers ``/me`` to a signed call. The floors must get the same
    200 and the same body as the clients (else we would time error pages), yet do no per-call
    work beyond HTTP and JSON. So they send headers signed once per batch with a fresh
    timestamp; ``dict`` is mutated in place so the call closures need no lookup."""

    def __init__(self, creds: Creds) -> None:
        self.creds = creds
        server_time = fetch_json(creds.base_url + "/auth/time")
        self.delta = int(server_time) - int(time.time())
        self.dict: dict[str, str] = {}
        self.refresh()

    def refresh(self) -> None:
        c = self.creds
        ts = str(int(time.time()) + self.delta)
        text = "+".join([c.application_secret, c.consumer_key, "GET", c.me_url, "", ts])
        self.dict.update(
            {
                "X-Ovh-Application": c.application_key,
                "X-Ovh-Consumer": c.consumer_key,
                "X-Ovh-Timestamp": ts,
                "X-Ovh-Signature": "$1$" + hashlib.sha1(text.encode()).hexdigest(),
            }
        )


# --- 1. sync -----------------------------------------------------------------------------------


@dataclass
class SyncContestant:
    key: str
    label: str
    call: Callable[[], Any]
    before_batch: Callable[[], None] = lambda: None  # untimed
    cpu_us: list[float] = field(default_factory=list)
    wall_us: list[float] = field(default_factory=list)


def sync_contestants(creds: Creds, signed: Presigned) -> list[SyncContestant]:
    tc = tether.ovh.Client(endpoint=creds.base_url, **creds.kwargs())

    pool = urllib3.PoolManager()
    url, headers = creds.me_url, signed.dict

    def floor() -> Any:
        return json.loads(pool.request("GET", url, headers=headers).data)

    ovh.client.ENDPOINTS[OVH_ALIAS] = creds.base_url
    oc = ovh.Client(endpoint=OVH_ALIAS, **creds.kwargs())

    return [
        SyncContestant("urllib3", "raw urllib3 (floor)", floor, signed.refresh),
        SyncContestant("tether", "tether Client", lambda: tc.get("/me")),
        SyncContestant("python_ovh", f"python-ovh {version('ovh')}", lambda: oc.get("/me")),
    ]


def time_sync_batch(c: SyncContestant, n: int) -> None:
    c.before_batch()
    gc.collect()  # start every batch with the same heap state
    call = c.call
    result: Any = None
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        result = call()
    c1, w1 = time.process_time(), time.perf_counter()
    check_me(c.label, result)
    c.cpu_us.append((c1 - c0) / n * 1e6)
    c.wall_us.append((w1 - w0) / n * 1e6)


def bench_sync(creds: Creds, signed: Presigned, plan: Plan) -> dict[str, Any]:
    contestants = sync_contestants(creds, signed)
    for c in contestants:
        # The first call of each client fetches /auth/time and opens the connection.
        check_me(c.label, c.call())
        for _ in range(max(20, plan.sync_batch // 4)):
            c.call()
    for r in range(plan.sync_rounds):
        for c in rotated(contestants, r):
            time_sync_batch(c, plan.sync_batch)
    return {
        c.key: {"label": c.label, "cpu_us": summarize(c.cpu_us), "wall_us": summarize(c.wall_us)}
        for c in contestants
    }


# --- 2. async ----------------------------------------------------------------------------------


@dataclass
class AsyncContestant:
    key: str
    label: str
    call: Callable[[], Awaitable[Any]]
    before_batch: Callable[[], None] = lambda: None  # untimed
    rate: dict[int, list[float]] = field(default_factory=dict)
    cpu_us: dict[int, list[float]] = field(default_factory=dict)


async def time_async_batch(c: AsyncContestant, calls: int, in_flight: int, record: bool) -> None:
    """``calls`` calls through a pool of ``in_flight`` workers (not one task per call: task
    creation would be the bench's cost, not the client's)."""
    c.before_batch()
    remaining = calls
    call = c.call

    async def worker() -> Any:
        nonlocal remaining
        result: Any = None
        while remaining > 0:
            remaining -= 1
            result = await call()
        return result

    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(worker() for _ in range(in_flight)))
    c1, w1 = time.process_time(), time.perf_counter()
    check_me(c.label, results[0])
    if record:
        c.rate.setdefault(in_flight, []).append(calls / (w1 - w0))
        c.cpu_us.setdefault(in_flight, []).append((c1 - c0) / calls * 1e6)


async def bench_async_main(creds: Creds, signed: Presigned, plan: Plan) -> dict[str, Any]:
    tc = tether.ovh.AsyncClient(endpoint=creds.base_url, **creds.kwargs())
    session = aiohttp.ClientSession()
    url, headers = creds.me_url, signed.dict

    async def floor() -> Any:
        async with session.get(url, headers=headers) as r:
            return json.loads(await r.read())

    contestants = [
        AsyncContestant("aiohttp", "raw aiohttp (floor)", floor, signed.refresh),
        AsyncContestant("tether", "tether AsyncClient", lambda: tc.get("/me")),
    ]
    try:
        for c in contestants:
            check_me(c.label, await c.call())
            # Untimed pass at each level: opens every connection the timed runs will reuse.
            for n in plan.concurrency:
                await time_async_batch(c, max(n * 4, plan.async_calls // 10), n, record=False)
        for r in range(plan.async_rounds):
            for n in plan.concurrency:
                for c in rotated(contestants, r):
                    await time_async_batch(c, plan.async_calls, n, record=True)
    finally:
        await tc.close()
        await session.close()
    return {
        c.key: {
            "label": c.label,
            "calls_per_s": {str(n): summarize(c.rate[n]) for n in plan.concurrency},
            "cpu_us": {str(n): summarize(c.cpu_us[n]) for n in plan.concurrency},
        }
        for c in contestants
    }


# --- 3. import time ----------------------------------------------------------------------------

# Timed inside the child, so interpreter start-up (and its noise) is left out.
_IMPORT_SNIPPET = "import time\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)\n"
_FAKE_KEYS = "application_key='a', application_secret='b', consumer_key='c'"
IMPORTS = {
    "tether": ("import tether.ovh", "import tether.ovh"),
    "python_ovh": ("import ovh", "import ovh"),
    # Not a target, but what a script pays before its first call: tether defers its transport
    # import (urllib3) to the first Client, python-ovh pulls requests in at import.
    "tether_client": (
        "import tether.ovh + Client()",
        f"import tether.ovh\ntether.ovh.Client(endpoint='ovh-eu', {_FAKE_KEYS})",
    ),
    "python_ovh_client": (
        "import ovh + Client()",
        f"import ovh\novh.Client(endpoint='ovh-eu', {_FAKE_KEYS})",
    ),
}


def time_import(stmt: str, cwd: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_SNIPPET.format(stmt=stmt)],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=cwd,  # an empty directory: no ./ovh.conf, nothing shadowing a module
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"{stmt!r} failed in a fresh interpreter:\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1]) * 1e3


def bench_import(plan: Plan) -> dict[str, Any]:
    keys = list(IMPORTS)
    samples: dict[str, list[float]] = {k: [] for k in keys}
    with tempfile.TemporaryDirectory() as cwd:
        for k in keys:
            time_import(IMPORTS[k][1], cwd)  # writes any missing .pyc before timing
        for r in range(plan.import_runs):
            for k in rotated(keys, r):
                samples[k].append(time_import(IMPORTS[k][1], cwd))
    return {k: {"label": IMPORTS[k][0], "ms": summarize(samples[k])} for k in keys}


# --- report ------------------------------------------------------------------------------------


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def med(d: dict[str, Any]) -> float:
    m: float = d["median"]
    return m


def evaluate(results: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    s, a, i = results["sync"], results["async"], results["import"]
    top = str(max(plan.concurrency))
    values = {
        "sync_cpu_vs_urllib3": med(s["tether"]["cpu_us"]) / med(s["urllib3"]["cpu_us"]),
        "sync_cpu_vs_python_ovh": med(s["tether"]["cpu_us"]) / med(s["python_ovh"]["cpu_us"]),
        "async_50_vs_aiohttp": med(a["tether"]["calls_per_s"][top])
        / med(a["aiohttp"]["calls_per_s"][top]),
        "import_vs_python_ovh": med(i["tether"]["ms"]) / med(i["python_ovh"]["ms"]),
    }
    out = []
    for key, text, limit, op in TARGETS:
        v = values[key]
        ok = v <= limit if op == "le" else v >= limit
        out.append({"key": key, "target": text, "value": v, "limit": limit, "pass": ok})
    return out


def render(results: dict[str, Any]) -> str:
    meta, s, a, i = results["meta"], results["sync"], results["async"], results["import"]
    plan = meta["plan"]
    lines: list[str] = []
    add = lines.append

    add(
        f"tether benchmark ({meta['mode']}): {meta['python']} on {meta['machine']}, "
        f"{meta['cpus']} CPUs, tether {meta['tether']} @ {meta['commit'] or '?'}"
    )
    add(f"sandbox in a separate process; {meta['pinning']}")
    add("medians; [p25-p75] in brackets; ratios are of medians")
    add("")

    add(
        f"1. sync signed GET /me  ({plan['sync_rounds']} rounds x {plan['sync_batch']} calls, "
        "interleaved)"
    )
    add(f"   {'':24}{'client CPU us/call':>26}{'wall us/call':>26}{'CPU vs floor':>14}")
    floor_cpu = med(s["urllib3"]["cpu_us"])
    for k in ("urllib3", "tether", "python_ovh"):
        cpu, wall = s[k]["cpu_us"], s[k]["wall_us"]
        add(f"   {s[k]['label']:24}{_cell(cpu):>26}{_cell(wall):>26}{med(cpu) / floor_cpu:>13.2f}x")
    add(
        f"   tether / python-ovh CPU: "
        f"{med(s['tether']['cpu_us']) / med(s['python_ovh']['cpu_us']):.2f}x"
    )
    add("")

    levels = list(a["tether"]["calls_per_s"])
    add(
        f"2. async GET /me, calls/s  ({plan['async_rounds']} rounds x {plan['async_calls']} "
        "calls per level, interleaved)"
    )
    add("   " + f"{'in flight':24}" + "".join(f"{n:>22}" for n in levels))
    for k in ("aiohttp", "tether"):
        add(
            f"   {a[k]['label']:24}"
            + "".join(f"{_cell(a[k]['calls_per_s'][n], 0):>22}" for n in levels)
        )
    add(
        f"   {'tether / aiohttp':24}"
        + "".join(
            f"{med(a['tether']['calls_per_s'][n]) / med(a['aiohttp']['calls_per_s'][n]):>21.2f}x"
            for n in levels
        )
    )
    for k in ("aiohttp", "tether"):
        add(
            f"   {'CPU us/call ' + k:24}"
            + "".join(f"{med(a[k]['cpu_us'][n]):>22.1f}" for n in levels)
        )
    add("")

    add(f"3. import time, ms in a fresh interpreter  ({plan['import_runs']} runs, interleaved)")
    for k in IMPORTS:
        add(f"   {i[k]['label']:32}{_cell(i[k]['ms'], 1):>26}")
    add(
        f"   tether / python-ovh: import {med(i['tether']['ms']) / med(i['python_ovh']['ms']):.2f}x"
        f", import + Client() "
        f"{med(i['tether_client']['ms']) / med(i['python_ovh_client']['ms']):.2f}x"
    )
    add("")

    floor_wall = med(s["urllib3"]["wall_us"])
    if floor_wall > 5000:
        # A loopback round trip costs well under 1 ms; tens of ms means the server stalls
        # (classically Nagle + delayed ACK: TCP_NODELAY not set on its accepted sockets).
        add(
            f"WARNING: raw urllib3 takes {floor_wall / 1000:.1f} ms per call on loopback: the "
            "sandbox is stalling its answers, so wall times and calls/s measure the server, not "
            "the clients"
        )
        add("")

    add("targets")
    for t in results["targets"]:
        add(f"   {'PASS' if t['pass'] else 'MISS'}  {t['target']:50} {t['value']:.2f}x")
    return "\n".join(lines)


def _cell(d: dict[str, Any], digits: int = 1) -> str:
    return f"{d['median']:.{digits}f} [{d['p25']:.{digits}f}-{d['p75']:.{digits}f}]"


# --- profiling ---------------------------------------------------------------------------------


def _owner(filename: str) -> str:
    """Which package a profiled function belongs to, for the per-package breakdown."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    parts = Path(filename).parts
    if "tether" in parts and "site-packages" not in parts:
        idx = len(parts) - 1 - parts[::-1].index("tether")
        return "tether." + ".".join(parts[idx + 1 :]).removesuffix(".py")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    return "stdlib " + Path(filename).stem


def report_profile(prof: cProfile.Profile, title: str, calls: int) -> None:
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_owner: dict[str, float] = {}
    total = 0.0
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_owner[_owner(filename)] = by_owner.get(_owner(filename), 0.0) + tottime
        total += tottime
    print(f"\n=== {title}: {calls} calls, {total / calls * 1e6:.1f} us profiled CPU per call ===")
    print("own time by module (profiler overhead inflates small functions):")
    for owner, t in sorted(by_owner.items(), key=lambda kv: -kv[1])[:15]:
        print(f"   {t / calls * 1e6:8.2f} us/call  {t / total:6.1%}  {owner}")
    print("tether functions by own time:")
    ours = [
        (tt, ct, nc, f"{_owner(fn)}:{line} {func}")
        for (fn, line, func), (_cc, nc, tt, ct, _c) in raw.items()
        if _owner(fn).startswith("tether.")
    ]
    for tt, ct, nc, name in sorted(ours, reverse=True)[:15]:
        print(
            f"   own {tt / calls * 1e6:7.2f} us/call  cum {ct / calls * 1e6:7.2f}  "
            f"entered x{nc / calls:.1f}/call  {name}"
        )


def cpu_profiler() -> cProfile.Profile:
    # CPU time, not wall time: with a wall clock the wait for the server's answer lands on
    # socket.recv_into and drowns what the client itself costs.
    return cProfile.Profile(time.process_time)


def run_profile(creds: Creds, calls: int) -> None:
    tc = tether.ovh.Client(endpoint=creds.base_url, **creds.kwargs())
    check_me("tether Client", tc.get("/me"))
    for _ in range(200):
        tc.get("/me")
    prof = cpu_profiler()
    prof.enable()
    for _ in range(calls):
        tc.get("/me")
    prof.disable()
    report_profile(prof, "tether Client.get('/me')", calls)

    async def async_part() -> None:
        ac = tether.ovh.AsyncClient(endpoint=creds.base_url, **creds.kwargs())
        c = AsyncContestant("tether", "tether AsyncClient", lambda: ac.get("/me"))
        await time_async_batch(c, 500, 50, record=False)
        aprof = cpu_profiler()
        aprof.enable()
        await time_async_batch(c, calls, 50, record=False)
        aprof.disable()
        await ac.close()
        report_profile(aprof, "tether AsyncClient.get('/me'), 50 in flight", calls)

    asyncio.run(async_part())


# --- main --------------------------------------------------------------------------------------


def pin_cpus(enabled: bool) -> tuple[int | None, str]:
    """On 2+ CPUs, keep the benchmark and the sandbox on different cores: otherwise the
    scheduler moves them around and the server steals the client's core mid-batch."""
    if not enabled or not hasattr(os, "sched_setaffinity"):
        return None, "no CPU pinning"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, "no CPU pinning (one CPU)"
    os.sched_setaffinity(0, {cpus[0]})
    return cpus[1], f"benchmark pinned to CPU {cpus[0]}, sandbox to CPU {cpus[1]}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="a few rounds only: a smoke test")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    p.add_argument(
        "--sandbox-url", help="use a sandbox already running at this root URL instead of one"
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    p.add_argument("--strict", action="store_true", help="exit 1 if any target is missed")
    p.add_argument(
        "--profile",
        type=int,
        metavar="CALLS",
        nargs="?",
        const=3000,
        help="profile tether (sync, and async at 50 in flight) instead of benchmarking",
    )
    args = p.parse_args(argv)
    plan = QUICK if args.quick else FULL
    # requests (inside python-ovh) honours *_proxy variables; a proxy in the path would make
    # the comparison meaningless, and every client here must talk straight to the sandbox.
    for k in [k for k in os.environ if k.lower().endswith("_proxy")]:
        del os.environ[k]

    server_cpu, pinning = pin_cpus(not args.no_pin)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if args.sandbox_url:
            root = args.sandbox_url.rstrip("/")
            pinning += " (external sandbox: not pinned)"
        else:
            root = stack.enter_context(sandbox_process(server_cpu))
        creds = load_creds(root)
        if args.profile:
            run_profile(creds, args.profile)
            return 0
        signed = Presigned(creds)
        print(f"sandbox at {root}; measuring sync...", file=sys.stderr, flush=True)
        sync = bench_sync(creds, signed, plan)
        print("measuring async...", file=sys.stderr, flush=True)
        async_ = asyncio.run(bench_async_main(creds, signed, plan))
    print("measuring import time...", file=sys.stderr, flush=True)
    imports = bench_import(plan)

    results: dict[str, Any] = {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "plan": plan.__dict__ | {"concurrency": list(plan.concurrency)},
            "python": f"Python {platform.python_version()}",
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "pinning": pinning,
            "tether": tether.__version__,
            "commit": git_commit(),
            "versions": {d: version(d) for d in ("ovh", "requests", "urllib3", "aiohttp")},
            "seconds": 0.0,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "sync": sync,
        "async": async_,
        "import": imports,
    }
    results["targets"] = evaluate(results, plan)
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    print(render(results))
    print(f"\n({results['meta']['seconds']} s; results in {args.json})")
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    missed = [t for t in results["targets"] if not t["pass"]]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench failed: {e}", file=sys.stderr)
        sys.exit(2)
