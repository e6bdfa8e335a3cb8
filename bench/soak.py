"""Fault soak: tether's OVH and Flickr clients, sync and async, against a sandbox that faults ~30 %
of the requests it receives. Run with ``make soak`` (bench venv); how to read it: bench/README.md.

What it does, per mix (OVH sync, OVH async, Flickr sync, Flickr async), on loopback only:
1. fresh sandbox state (``POST /_sandbox/reset``), a fault-free baseline of every read;
2. N calls, 20 in flight (threads for sync, tasks for async), reads and writes mixed, while a
   feeder thread keeps one ``count: 1`` fault queued per ~0.3 requests sent (500, 503, 429 with
   Retry-After, drop before the answer, drop mid-answer, latency), so ~30 % of the requests
   the sandbox receives are faulted, retries included;
3. faults cleared, the truth read back from the sandbox's own state: how many times each write
   (each one carries a unique key) was applied.

Invariants:
- Nothing is mocked: the real clients and their default transports, the real sandbox in its own
  process (``run.sandbox_process``). The only addition is a *tap* around each client's transport
  that records, per attempt, when it went out and what came back; it forwards every call as is.
- A read counts as correct only if its value equals the fault-free baseline; a write only if
  its answer is right and the sandbox holds it exactly once.
- Bounded: the default plan takes well under 3 minutes on 2 cores (429 answers carry
  ``Retry-After: 1``, so there are few of them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3

sys.path.insert(0, str(Path(__file__).parent))
import itertools

import tether.flickr
import tether.ovh
from run import BenchError, fetch_json, sandbox_process

FAULT_RATIO = 0.30
IN_FLIGHT = 20
ZONE = "example.com"
# Share of each fault kind among injected faults. 429s are few on purpose: each one asks the
# client to wait a full second (the sandbox's Retry-After is whole seconds, at least 1).
FAULT_KINDS: tuple[tuple[str, dict[str, Any], float], ...] = (
    ("500", {"status": 500}, 0.22),
    ("503", {"status": 503}, 0.18),
    ("429", {"status": 429}, 0.03),
    ("drop before", {"drop": "before"}, 0.20),
    ("drop mid", {"drop": "mid"}, 0.20),
    ("latency 150ms", {"latency_ms": 150}, 0.17),
)
# An attempt sent this much before Retry-After elapsed still counts as on time (timer slack).
RA_SLACK = 0.005

# A write whose effect the sandbox's state cannot show (a setMeta overwritten by a later one).
UNKNOWN = -1

CALL: contextvars.ContextVar[int] = contextvars.ContextVar("soak_call", default=-1)


# --- the control API -----------------------------------------------------------------------------


class Control:
    """The sandbox's control API, on its own connection pool (control routes are never faulted)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.http = urllib3.PoolManager(maxsize=4, retries=False)

    def post(self, path: str, body: Any = None) -> Any:
        r = self.http.request(
            "POST", self.root + path, body=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"}, timeout=10,
        )  # fmt: skip
        if r.status >= 300:
            raise BenchError(f"POST {path} answered {r.status}: {r.data[:200]!r}")
        return json.loads(r.data) if r.data else None

    def clear_faults(self) -> list[dict[str, Any]]:
        left: list[dict[str, Any]] = fetch_json(self.root + "/_sandbox/faults")["faults"]
        r = self.http.request("DELETE", self.root + "/_sandbox/faults", timeout=10)
        if r.status >= 300:
            raise BenchError(f"DELETE /_sandbox/faults answered {r.status}")
        return left


# --- the tap: what each attempt did, seen at the transport ---------------------------------------


@dataclass
class Attempt:
    call: int
    sent: float
    done: float
    outcome: str  # HTTP status, or the transport error's class name
    retry_after: float | None


@dataclass
class Tap:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, t0: float, outcome: str, retry_after: str | None) -> None:
        ra = None
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                ra = float(retry_after)
        with self.lock:
            self.attempts.append(Attempt(CALL.get(), t0, time.monotonic(), outcome, ra))

    @property
    def sent(self) -> int:
        return len(self.attempts)


class SyncTap:
    def __init__(self, inner: Any, tap: Tap) -> None:
        self.inner, self.tap = inner, tap

    def send(self, request: Any) -> Any:
        t0 = time.monotonic()
        try:
            r = self.inner.send(request)
        except BaseException as e:
            self.tap.record(t0, type(e).__name__, None)
            raise
        self.tap.record(t0, str(r.status), r.header("Retry-After"))
        return r

    def close(self) -> None:
        self.inner.close()


class AsyncTap(SyncTap):
    async def send(self, request: Any) -> Any:  # type: ignore[override]
        t0 = time.monotonic()
        try:
            r = await self.inner.send(request)
        except BaseException as e:
            self.tap.record(t0, type(e).__name__, None)
            raise
        self.tap.record(t0, str(r.status), r.header("Retry-After"))
        return r

    async def aclose(self) -> None:
        await self.inner.aclose()


def tapped(client: Any, tap: Tap, sync: bool) -> Any:
    rt = client._runtime  # the one transport the client's runtime sends through
    rt.transport = (SyncTap if sync else AsyncTap)(rt.transport, tap)
    return client


# --- the fault feeder ----------------------------------------------------------------------------


class Feeder(threading.Thread):
    """Keeps ``FAULT_RATIO`` x (requests sent + a small lead) one-shot faults added, so each
    arriving request meets a queued fault with ~30 % probability, whichever call it belongs to."""

    def __init__(self, control: Control, service: str, tap: Tap, seed: int) -> None:
        super().__init__(daemon=True)
        self.control, self.service, self.tap = control, service, tap
        self.rng = random.Random(seed)
        self.added: Counter[str] = Counter()
        self.stop = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        names = [k[0] for k in FAULT_KINDS]
        weights = [k[2] for k in FAULT_KINDS]
        specs = {k[0]: k[1] for k in FAULT_KINDS}
        try:
            while not self.stop.wait(0.002):
                target = int(FAULT_RATIO * (self.tap.sent + IN_FLIGHT / 2))
                missing = target - sum(self.added.values())
                if missing <= 0:
                    continue
                # One control call per batch: a call per fault falls behind a busy sandbox.
                kinds = self.rng.choices(names, weights, k=missing)
                batch = [{"service": self.service, "count": 1, **specs[k]} for k in kinds]
                self.control.post("/_sandbox/faults", batch)
                self.added.update(kinds)
        except Exception as e:
            self.error = e


# --- outcomes ------------------------------------------------------------------------------------


@dataclass
class Op:
    name: str
    write: bool
    key: str = ""  # a write's unique key, to find it in the sandbox's state


@dataclass
class Outcome:
    op: Op
    ok: bool  # no exception
    correct: bool
    error: str = ""
    claim: str = ""  # failed write: "possibly applied" | "not applied" | "answered 5xx"
    applied: int = 0  # writes: times the sandbox holds it


def describe(e: BaseException) -> tuple[str, str]:
    """(kind, claim): the error's class (and its transport cause), and what it tells the caller
    about a write: a lost connection or timeout says the server may have acted."""
    from tether.core.errors import APIError, ConnectError, RateLimited, TransportError

    chain: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and len(chain) < 5:
        chain.append(cur)
        cur = cur.__cause__
    kind = " <- ".join(type(x).__name__ for x in chain)
    if any(isinstance(x, ConnectError) for x in chain):
        claim = "not applied"
    elif any(isinstance(x, TransportError) for x in chain) or "may have acted" in str(e):
        claim = "possibly applied"
    elif isinstance(e, RateLimited) or (isinstance(e, APIError) and (e.status or 0) < 500):
        claim = "not applied"
    else:
        claim = "answered 5xx"
    return kind, claim


# --- the services --------------------------------------------------------------------------------


class OvhMix:
    service = "ovh"

    def __init__(self, creds: dict[str, Any], tag: str) -> None:
        self.c, self.tag = creds, tag
        self.kw = {k: creds[k] for k in ("application_key", "application_secret", "consumer_key")}

    def client(self, sync: bool) -> Any:
        cls = tether.ovh.Client if sync else tether.ovh.AsyncClient
        return cls(endpoint=self.c["base_url"], **self.kw)

    def plan(self, n: int, rng: random.Random) -> list[Op]:
        ops = []
        for i in range(n):
            x = rng.random()
            if x < 0.5:
                ops.append(Op("GET /me", False))
            elif x < 0.75:
                ops.append(Op("GET record", False))
            else:
                ops.append(Op("POST record", True, f"soak-{self.tag}-{i}"))
        return ops

    def baseline(self, client: Any) -> None:
        self.me = client.get("/me")
        self.rid = client.get(f"/domain/zone/{ZONE}/record")[0]
        self.record = client.get(f"/domain/zone/{ZONE}/record/{self.rid}")

    def call(self, client: Any, op: Op) -> Any:
        if op.name == "GET /me":
            return client.get("/me")
        if op.name == "GET record":
            return client.get(f"/domain/zone/{ZONE}/record/{self.rid}")
        return client.post(
            f"/domain/zone/{ZONE}/record", fieldType="TXT", subDomain=op.key, target=op.key
        )

    def check(self, op: Op, value: Any) -> bool:
        if op.name == "GET /me":
            return bool(value == self.me)
        if op.name == "GET record":
            return bool(value == self.record)
        return isinstance(value, dict) and value.get("subDomain") == op.key

    def truth(self, client: Any, writes: list[Op]) -> dict[str, int]:
        return {
            op.key: len(client.get(f"/domain/zone/{ZONE}/record", subDomain=op.key))
            for op in writes
        }


class FlickrMix:
    service = "flickr"

    def __init__(self, creds: dict[str, Any], tag: str, photo: str) -> None:
        self.c, self.tag, self.photo_file = creds, tag, photo
        self.started = str(int(time.time()) - 1)

    def client(self, sync: bool) -> Any:
        cls = tether.flickr.FlickrAPI if sync else tether.flickr.AsyncFlickrAPI
        c = self.c
        tok = tether.flickr.OAuthToken(c["oauth_token"], c["oauth_token_secret"], "delete")
        return cls(
            c["api_key"], c["secret"], token=tok, store_token=False, rest_url=c["rest_url"],
            upload_url=c["upload_url"], replace_url=c["replace_url"], environ={},
        )  # fmt: skip

    def plan(self, n: int, rng: random.Random) -> list[Op]:
        ops = []
        for i in range(n):
            x = rng.random()
            if x < 0.45:
                ops.append(Op("photos.search", False))
            elif x < 0.75:
                ops.append(Op("photos.getInfo", False))
            elif x < 0.9:
                ops.append(Op("photos.setMeta", True, f"soakmeta{self.tag}x{i}"))
            else:
                ops.append(Op("upload", True, f"soakup{self.tag}x{i}"))
        return ops

    def baseline(self, client: Any) -> None:
        self.nsid = self.c["user"]["nsid"]
        own = client.photos.search(user_id=self.nsid, per_page=2).find("photos")
        self.read_photo, self.meta_photo = own[0].get("id"), own[1].get("id")
        self.search_ids = self._ids(client.photos.search(tags="cat", per_page=10))
        self.title = self._title(client.photos.getInfo(photo_id=self.read_photo))

    @staticmethod
    def _ids(rsp: Any) -> list[str]:
        return [p.get("id") for p in rsp.find("photos")]

    @staticmethod
    def _title(rsp: Any) -> str:
        return str(rsp.find("photo").findtext("title"))

    def call(self, client: Any, op: Op) -> Any:
        if op.name == "photos.search":
            return client.photos.search(tags="cat", per_page=10)
        if op.name == "photos.getInfo":
            return client.photos.getInfo(photo_id=self.read_photo)
        if op.name == "photos.setMeta":
            return client.photos.setMeta(photo_id=self.meta_photo, title=op.key, description="")
        return client.upload(filename=self.photo_file, title=op.key, is_public=0)

    def check(self, op: Op, value: Any) -> bool:
        if op.name == "photos.search":
            return self._ids(value) == self.search_ids
        if op.name == "photos.getInfo":
            return self._title(value) == self.title
        if op.name == "photos.setMeta":
            return value.get("stat") == "ok"
        return bool(value.findtext("photoid"))

    def truth(self, client: Any, writes: list[Op]) -> dict[str, int]:
        # Uploads: count the photos uploaded since the mix began, by title. A setMeta only
        # overwrites one title, so a repeated one leaves no trace: count the final title alone.
        titles: Counter[str] = Counter()
        for p in client.walk(user_id=self.nsid, min_upload_date=self.started, per_page=500):
            titles[p.get("title")] += 1
        final = self._title(client.photos.getInfo(photo_id=self.meta_photo))
        return {
            op.key: (titles.get(op.key, 0) if op.name == "upload" else UNKNOWN)
            if op.key != final
            else 1
            for op in writes
        }


# --- running one mix -----------------------------------------------------------------------------


def outcome_of(mix: Any, op: Op, fn: Callable[[], Any]) -> Outcome:
    try:
        value = fn()
    except Exception as e:
        kind, claim = describe(e)
        return Outcome(op, False, False, kind, claim if op.write else "")
    try:
        good = mix.check(op, value)
    except Exception:
        good = False
    return Outcome(op, True, good)


def run_sync(mix: Any, client: Any, ops: list[Op]) -> list[Outcome]:
    def one(i: int) -> Outcome:
        CALL.set(i)
        return outcome_of(mix, ops[i], lambda: mix.call(client, ops[i]))

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        return list(pool.map(one, range(len(ops))))


def run_async(mix: Any, client: Any, ops: list[Op]) -> list[Outcome]:
    async def main() -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(ops)
        todo = iter(range(len(ops)))

        async def worker() -> None:
            for i in todo:
                CALL.set(i)
                op = ops[i]
                try:
                    value = await mix.call(client, op)
                except Exception as e:
                    kind, claim = describe(e)
                    results[i] = Outcome(op, False, False, kind, claim if op.write else "")
                    continue
                try:
                    good = mix.check(op, value)
                except Exception:
                    good = False
                results[i] = Outcome(op, True, good)

        try:
            await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        finally:
            await client.close()
        return [r for r in results if r is not None]

    return asyncio.run(main())


def retry_after_violations(attempts: list[Attempt]) -> tuple[int, int, int]:
    """(429s received, retries of the same call sent before its Retry-After elapsed, attempts
    of other calls sent while a 429's Retry-After was running: what a per-client gate stops)."""
    by_call: dict[int, list[Attempt]] = {}
    for a in attempts:
        by_call.setdefault(a.call, []).append(a)
    early = 0
    for seq in by_call.values():
        seq.sort(key=lambda a: a.sent)
        for prev, nxt in itertools.pairwise(seq):
            if prev.outcome == "429" and prev.retry_after is not None:
                early += nxt.sent < prev.done + prev.retry_after - RA_SLACK
    windows = [
        (a.done, a.done + a.retry_after, a.call)
        for a in attempts
        if a.outcome == "429" and a.retry_after
    ]
    gate = sum(
        1
        for a in attempts
        if any(lo < a.sent < hi - RA_SLACK and c != a.call for lo, hi, c in windows)
    )
    return len(windows), early, gate


def run_mix(name: str, mix: Any, sync: bool, n: int, control: Control, seed: int) -> dict[str, Any]:
    control.post("/_sandbox/reset")
    if mix.service == "flickr":
        control.post("/_sandbox/flickr/quota", {"per_hour": 10_000_000})
    rng = random.Random(seed)
    ops = mix.plan(n, rng)
    # The baseline and the truth are read by a fault-free sync client of the same service.
    with contextlib.closing(mix.client(True)) as checker:
        mix.baseline(checker)
        tap = Tap()
        client = tapped(mix.client(sync), tap, sync)
        feeder = Feeder(control, mix.service, tap, seed)
        t0 = time.monotonic()
        feeder.start()
        try:
            if sync:
                with contextlib.closing(client):
                    outcomes = run_sync(mix, client, ops)
            else:
                outcomes = run_async(mix, client, ops)
        finally:
            feeder.stop.set()
            feeder.join()
            seconds = time.monotonic() - t0
            left = control.clear_faults()
        if feeder.error is not None:
            raise BenchError(f"{name}: adding faults failed: {feeder.error}")
        applied = mix.truth(checker, [op for op in ops if op.write])
    for o in outcomes:
        if o.op.write:
            o.applied = applied[o.op.key]
            if o.applied != UNKNOWN:
                o.correct = o.ok and o.correct and o.applied == 1
    # How often each write method really ran in the emulator (Flickr counts calls per method):
    # more runs than calls would be a duplicate even where the state cannot show it.
    ran: dict[str, int] = {}
    if mix.service == "flickr":
        calls = fetch_json(control.root + "/_sandbox/flickr/stats")["calls"]
        ran = {"photos.setMeta": calls.get("flickr.photos.setMeta", 0)}
    unused = sum(1 for f in left if f.get("count"))
    injected = sum(feeder.added.values()) - unused
    n429, early, gate = retry_after_violations(tap.attempts)
    last_seen: dict[int, str] = {}  # call -> what its last attempt saw (status or error class)
    for a in sorted(tap.attempts, key=lambda a: a.sent):
        last_seen[a.call] = a.outcome
    return {
        "last_seen": last_seen,
        "name": name,
        "seconds": seconds,
        "outcomes": outcomes,
        "requests": tap.sent,
        "faults": injected,
        "fault_kinds": dict(feeder.added),
        "429s": n429,
        "early_retries": early,
        "gate_violations": gate,
        "ran": ran,
    }


# --- the table -----------------------------------------------------------------------------------


def _ambiguous(seen: str) -> bool:
    """Whether a write whose last attempt saw ``seen`` may have been applied, as far as any
    client can know: no answer after the request went out, or a 5xx."""
    if seen.isdigit():
        return 500 <= int(seen) < 600
    return seen not in ("ConnectError", "")


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:6.2f}%" if b else "    - "


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    print(f"\n{'mix':<14} {'op':<16} {'calls':>6} {'correct':>8} {'':>7}  errors (kind: count)")
    tot_reads = tot_reads_ok = dups = early = lies = over = 0
    for r in results:
        by_op: dict[str, list[Outcome]] = {}
        for o in r["outcomes"]:
            by_op.setdefault(o.op.name, []).append(o)
        for op, outs in by_op.items():
            good = sum(o.correct for o in outs)
            errs = Counter(o.error for o in outs if not o.ok)
            wrong = sum(1 for o in outs if o.ok and not o.correct)
            text = ", ".join(f"{k}: {v}" for k, v in errs.most_common())
            if wrong:
                text = f"wrong value or state: {wrong}" + (", " + text if text else "")
            print(
                f"{r['name']:<14} {op:<16} {len(outs):>6} {good:>8} {pct(good, len(outs))}  {text}"
            )
            if not outs[0].op.write:
                tot_reads += len(outs)
                tot_reads_ok += good
        writes = [o for o in r["outcomes"] if o.op.write]
        failed = [o for o in writes if not o.ok]
        claims: Counter[str] = Counter()
        for o in failed:
            state = {UNKNOWN: "unknown", 0: "not applied"}.get(o.applied, "applied")
            claims[f"{o.claim}, {state}"] += 1
        known = [o for o in writes if o.applied != UNKNOWN]
        d = sum(max(0, o.applied - 1) for o in known)
        for op, runs in r["ran"].items():
            n_op = sum(1 for o in writes if o.op.name == op)
            d += max(0, runs - n_op)  # a lower bound where the state shows nothing
            print(f"{'':<14} {op}: ran {runs} times in the sandbox for {n_op} calls")
        # What tether could know decides what it must say: an answer that never came after the
        # whole request went out (a drop, a cut answer, a timeout) or a 5xx is ambiguous, so
        # "possibly applied" is the truth; a request that provably never arrived whole
        # (ConnectError) or a 4xx refusal is "not applied". The sandbox's state says whether
        # a claim was a lie (applied but said not) -- the one dangerous mistake.
        index = {id(o): i for i, o in enumerate(r["outcomes"])}
        lie = sum(1 for o in failed if o.applied > 0 and o.claim != "possibly applied")
        ov = sum(
            1
            for o in failed
            if (o.claim == "possibly applied") != _ambiguous(r["last_seen"].get(index[id(o)], ""))
        )
        ok_missing = sum(1 for o in known if o.ok and o.applied == 0)
        dups, early, lies, over = dups + d, early + r["early_retries"], lies + lie, over + ov
        print(
            f"{'':<14} writes: {len(writes)}, failed {len(failed)}"
            f" (tether said / sandbox state: {dict(claims) or '-'}), duplicated {d}"
            + (f", succeeded but absent {ok_missing}" if ok_missing else "")
        )
        print(
            f"{'':<14} requests {r['requests']}, faults applied {r['faults']}"
            f" ({pct(r['faults'], r['requests']).strip()}), 429s {r['429s']}, retries before"
            f" Retry-After {r['early_retries']}, other calls sent in a Retry-After window"
            f" {r['gate_violations']}, {r['seconds']:.1f} s"
        )
    read_rate = tot_reads_ok / tot_reads if tot_reads else 0.0
    targets = [
        (f"reads correct >= 99.9 % ({100 * read_rate:.2f} %)", read_rate >= 0.999),
        (f"duplicated writes = 0 ({dups})", dups == 0),
        (f"retries before Retry-After = 0 ({early})", early == 0),
        (
            f"failed writes said 'possibly applied' iff ambiguous ({lies} applied but said"
            f" otherwise, {over} said otherwise than the client could know)",
            lies == 0 and over == 0,
        ),
    ]
    print()
    for text, ok in targets:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return {
        "read_rate": read_rate,
        "duplicated_writes": dups,
        "early_retries": early,
        "misreported_writes": lies + over,
        "all_pass": all(ok for _, ok in targets),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ovh-calls", type=int, default=2000, help="per mode (default 2000)")
    ap.add_argument("--flickr-calls", type=int, default=1000, help="per mode (default 1000)")
    ap.add_argument("--quick", action="store_true", help="a tenth of the calls")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--sandbox-url", help="use a running sandbox instead of starting one")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    n_ovh, n_flickr = args.ovh_calls // scale, args.flickr_calls // scale
    with contextlib.ExitStack() as stack:
        root = args.sandbox_url or stack.enter_context(sandbox_process(None))
        creds = fetch_json(root + "/_sandbox/credentials")
        control = Control(root)
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        photo = os.path.join(tmp, "soak.jpg")
        with open(photo, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0" + os.urandom(2048) + b"\xff\xd9")
        print(
            f"fault soak: {n_ovh} OVH and {n_flickr} Flickr calls per mode, {IN_FLIGHT} in"
            f" flight, {FAULT_RATIO:.0%} of requests faulted; sandbox {root}"
        )
        results = []
        t0 = time.monotonic()
        for i, (name, sync) in enumerate(
            [
                ("ovh sync", True),
                ("ovh async", False),
                ("flickr sync", True),
                ("flickr async", False),
            ]
        ):
            tag = name.replace(" ", "")
            mix: Any
            if name.startswith("ovh"):
                mix, n = OvhMix(creds["ovh"], tag), n_ovh
            else:
                mix, n = FlickrMix(creds["flickr"], tag, photo), n_flickr
            results.append(run_mix(name, mix, sync, n, control, args.seed + i))
        summary = report(results)
        print(f"\ntotal {time.monotonic() - t0:.1f} s")
    return 1 if args.strict and not summary["all_pass"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"soak: {e}", file=sys.stderr)
        sys.exit(2)
