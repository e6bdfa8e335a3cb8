"""VK side by side: tether.vk vs pyvk 0.2.3 and vk_api 11.10.1, against the sandbox in its own
process, with VK's real limit of 3 requests a second per user token.

Measured:
1. **bulk reads**: 600 ``users.get`` of one id each (``--quick``: 150). pyvk calls them one by
   one (its error-6 sleep is what paces it); vk_api through ``VkRequestsPool``; tether through
   ``api.many`` (sync) and plain concurrent awaits on ``AsyncAPI(auto_batch=True)``. Per
   contestant: wall seconds, calls/s, HTTP requests the sandbox served, error 6 answers met.
   pyvk, which needs a request per call, reads a tenth of them (the calls/s is what compares;
   600 would take it over three minutes).
2. **walk**: every one of the 12,000 friends of the test user: pyvk ``reqn``, vk_api
   ``VkTools.get_all``, tether ``api.walk``: seconds, requests, items (each must get all).
3. **client CPU per plain call** (limit lifted): ``users.get(user_ids=1)`` by tether's API,
   pyvk's API and raw urllib3 on a pre-built URL, interleaved rounds, medians.
4. **import**: ``import tether.vk`` vs ``import pyvk`` (fresh interpreters, medians).

pyvk and vk_api are pointed at the sandbox at the transport level: ``requests``' adapter
rewrites ``https://api.vk.com/…`` (and VK's other hosts) onto the sandbox's ``/vk/…`` before
sending; the libraries themselves are unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import urllib3

sys.path.insert(0, str(Path(__file__).parent))
from run import BenchError, clean_env, fetch_json, pin_cpus, rotated, sandbox_process, summarize

#: VK's hosts and where the sandbox serves them (``/vk`` is the emulator's mount point).
HOSTS = {
    "https://api.vk.com/": "/vk/",
    "https://api.vk.ru/": "/vk/",
    "https://oauth.vk.com/": "/vk/oauth/",
    "https://oauth.vk.ru/": "/vk/oauth/",
    "https://login.vk.com/": "/vk/login/",
    "https://m.vk.com/": "/vk/",
    "https://vk.com/": "/vk/",
}
VERSION = "5.199"  # pyvk's own default (5.60) is below VK's floor; both old clients are told
IDS = range(1000, 1600)  # 600 distinct user ids the sandbox knows (friends of the test user)


@contextlib.contextmanager
def redirected(root: str) -> Iterator[None]:
    """Every ``requests`` send to a VK host goes to the sandbox at ``root`` instead."""
    import requests.adapters

    original = requests.adapters.HTTPAdapter.send

    def send(self: Any, request: Any, *args: Any, **kw: Any) -> Any:
        for host, path in HOSTS.items():
            if request.url.startswith(host):
                request.url = root + path + request.url[len(host) :]
                break
        return original(self, request, *args, **kw)

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


class Sandbox:
    def __init__(self, root: str) -> None:
        self.root = root
        self.http = urllib3.PoolManager()
        self.creds = fetch_json(root + "/_sandbox/credentials")["vk"]

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        r = self.http.request(
            "POST" if body is not None else "GET",
            f"{self.root}/_sandbox/vk/{path}",
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        if r.status != 200:
            raise BenchError(f"/_sandbox/vk/{path} answered {r.status}: {r.data[:200]!r}")
        return json.loads(r.data)

    def reset(self, per_second: float = 3) -> None:
        r = self.http.request("POST", f"{self.root}/_sandbox/reset")
        if r.status != 200:
            raise BenchError(f"reset answered {r.status}")
        self.control("rate", {"per_second": per_second})
        time.sleep(1.1)  # the token's bucket full again, as after a pause

    def counters(self) -> tuple[int, int]:
        """(HTTP requests to /method so far, error 6 answers so far)."""
        s = self.control("stats")
        return sum(s["calls"].values()), s["error_6"]


def measured(sb: Sandbox, label: str, run: Callable[[], Any], check: Callable[[Any], None]) -> dict:
    sb.reset()
    r0, e0 = sb.counters()
    w0 = time.perf_counter()
    result = run()
    wall = time.perf_counter() - w0
    check(result)
    r1, e1 = sb.counters()
    return {"label": label, "seconds": wall, "requests": r1 - r0, "error_6": e1 - e0}


# --- the contestants ---------------------------------------------------------------------------


def tether_api(sb: Sandbox, **kw: Any) -> Any:
    from tether.vk import API

    return API(sb.creds["access_token"], api_url=sb.creds["api_url"], environ={}, **kw)


def tether_async(sb: Sandbox, **kw: Any) -> Any:
    from tether.vk import AsyncAPI

    return AsyncAPI(sb.creds["access_token"], api_url=sb.creds["api_url"], environ={}, **kw)


def pyvk_api(sb: Sandbox) -> Any:
    import pyvk

    return pyvk.API(token=sb.creds["access_token"], version=VERSION)


def vk_api_session(sb: Sandbox) -> Any:
    import vk_api

    return vk_api.VkApi(token=sb.creds["access_token"], api_version=VERSION)


def users_of(ids: range) -> Callable[[Any], None]:
    want = list(ids)

    def check(results: Any) -> None:
        got = [r[0]["id"] if isinstance(r, list) else r["id"] for r in results]
        if got != want:
            raise BenchError(f"users.get answered other users: {got[:5]}… for {want[:5]}…")

    return check


def bulk(sb: Sandbox, n: int) -> list[dict]:
    ids = IDS[:n]
    few = IDS[: max(n // 10, 10)]

    def t_many() -> Any:
        with tether_api(sb) as api:
            return api.many(("users.get", {"user_ids": i}) for i in ids)

    def t_unmerged() -> Any:
        # The same users asked by screen name (``id5``): tether cannot match a screen name's
        # answer to its call, so these are not merged, only packed 25 to an execute.
        with tether_api(sb) as api:
            return api.many(("users.get", {"user_ids": f"id{i}"}) for i in ids)

    def t_async() -> Any:
        async def go() -> Any:
            async with tether_async(sb, auto_batch=True) as api:
                return await asyncio.gather(*(api.users.get(user_ids=i) for i in ids))

        return asyncio.run(go())

    def pyvk_loop() -> Any:
        api = pyvk_api(sb)
        return [api.users.get(user_ids=i) for i in few]

    def vk_pool() -> Any:
        from vk_api.requests_pool import VkRequestsPool

        with VkRequestsPool(vk_api_session(sb)) as pool:
            pending = [pool.method("users.get", {"user_ids": i}) for i in ids]
        return [p.result for p in pending]

    out = [
        measured(sb, "pyvk 0.2.3, one call each", pyvk_loop, users_of(few)) | {"calls": len(few)},
        measured(sb, "vk_api VkRequestsPool", vk_pool, users_of(ids)) | {"calls": n},
        measured(sb, "tether API.many", t_many, users_of(ids)) | {"calls": n},
        measured(sb, "tether AsyncAPI(auto_batch)", t_async, users_of(ids)) | {"calls": n},
        measured(sb, "tether many, not merged (id5)", t_unmerged, users_of(ids)) | {"calls": n},
    ]
    for row in out:
        row["calls_per_s"] = row["calls"] / row["seconds"]
    return out


def walks(sb: Sandbox) -> list[dict]:
    owner = sb.creds["user_id"]
    want = 12_000

    def count(items: Any) -> None:
        if len(items) != want or len(set(items)) != want:
            raise BenchError(f"the walk brought {len(items)} friends ({len(set(items))} distinct)")

    def t_walk() -> Any:
        with tether_api(sb) as api:
            return list(api.walk("friends.get", user_id=owner))

    def pyvk_reqn() -> Any:
        from pyvk.helpers import reqn

        api = pyvk_api(sb)
        return reqn(api.friends.get, n=want, user_id=owner)["items"]

    def vk_tools() -> Any:
        from vk_api.tools import VkTools

        return VkTools(vk_api_session(sb)).get_all("friends.get", 5000, {"user_id": owner})["items"]

    return [
        measured(sb, "pyvk reqn", pyvk_reqn, count),
        measured(sb, "vk_api VkTools.get_all", vk_tools, count),
        measured(sb, "tether api.walk", t_walk, count),
    ]


def cpu(sb: Sandbox, rounds: int, batch: int) -> dict[str, Any]:
    sb.reset(per_second=0)
    t = tether_api(sb, rate_limit=0)
    p = pyvk_api(sb)
    pool = urllib3.PoolManager()
    url = f"{sb.creds['api_url']}users.get?user_ids=1&v={VERSION}&access_token={sb.creds['access_token']}"

    def raw() -> Any:
        return json.loads(pool.request("GET", url).data)["response"]

    contestants: dict[str, Callable[[], Any]] = {
        "raw urllib3": raw,
        "tether API": lambda: t.users.get(user_ids=1),
        "pyvk API": lambda: p.users.get(user_ids=1),
    }
    for call in contestants.values():
        if call()[0]["id"] != 1:
            raise BenchError("users.get(user_ids=1) answered another user")
    samples: dict[str, list[float]] = {k: [] for k in contestants}
    for r in range(rounds):
        for key in rotated(list(contestants), r):
            call = contestants[key]
            c0 = time.process_time()
            for _ in range(batch):
                call()
            samples[key].append((time.process_time() - c0) / batch * 1e6)
    t.close()
    return {k: summarize(v) for k, v in samples.items()}


def imports(runs: int) -> dict[str, Any]:
    snippet = "import time\nt = time.perf_counter()\nimport {m}\nprint(time.perf_counter() - t)\n"
    samples: dict[str, list[float]] = {"tether.vk": [], "pyvk": []}
    for r in range(runs):
        for m in rotated(list(samples), r):
            out = subprocess.run(
                [sys.executable, "-c", snippet.format(m=m)],
                capture_output=True,
                text=True,
                env=clean_env(),
                cwd="/",
                check=True,
            )
            samples[m].append(float(out.stdout) * 1000)
    return {k: summarize(v) for k, v in samples.items()}


def report(res: dict[str, Any]) -> str:
    lines = ["", "VK (sandbox with VK's 3 requests/s per user token)", ""]
    lines.append(f"1. {res['n']} users.get of one id each")
    lines.append(
        f"   {'':32}{'calls':>7}{'seconds':>9}{'calls/s':>9}{'requests':>10}{'error 6':>9}"
    )
    for row in res["bulk"]:
        lines.append(
            f"   {row['label']:32}{row['calls']:>7}{row['seconds']:>9.2f}{row['calls_per_s']:>9.1f}"
            f"{row['requests']:>10}{row['error_6']:>9}"
        )
    by = {row["label"]: row for row in res["bulk"]}
    best = max(r["calls_per_s"] for r in res["bulk"] if r["label"].startswith("tether"))
    lines.append(
        f"   tether / pyvk calls/s:   {best / by['pyvk 0.2.3, one call each']['calls_per_s']:.1f}x (target >= 20x)"
    )
    lines.append(
        f"   tether / vk_api calls/s: {best / by['vk_api VkRequestsPool']['calls_per_s']:.2f}x (target >= 1.5x)"
    )
    plain = by["tether many, not merged (id5)"]["calls_per_s"]
    lines.append(
        f"   without merging id lists: {plain / by['vk_api VkRequestsPool']['calls_per_s']:.2f}x vk_api"
    )
    lines.append("")
    lines.append("2. walk 12,000 friends")
    lines.append(f"   {'':32}{'seconds':>9}{'requests':>10}{'error 6':>9}")
    for row in res["walk"]:
        lines.append(
            f"   {row['label']:32}{row['seconds']:>9.2f}{row['requests']:>10}{row['error_6']:>9}"
        )
    lines.append("")
    lines.append("3. client CPU per plain users.get (limit lifted), median [p25-p75] us")
    raw = res["cpu"]["raw urllib3"]["median"]
    for k, s in res["cpu"].items():
        lines.append(
            f"   {k:32}{s['median']:>8.1f} [{s['p25']:.1f}-{s['p75']:.1f}]  {s['median'] / raw:.2f}x raw"
        )
    lines.append("")
    lines.append("4. import, median ms")
    for k, s in res["imports"].items():
        lines.append(f"   {'import ' + k:32}{s['median']:>8.1f} [{s['p25']:.1f}-{s['p75']:.1f}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer calls and rounds (a smoke run)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    sandbox_cpu, pinning = pin_cpus(True)
    print(pinning)
    n = 150 if args.quick else 600
    with sandbox_process(sandbox_cpu) as root:
        sb = Sandbox(root)
        with redirected(root):
            res = {
                "n": n,
                "bulk": bulk(sb, n),
                "walk": walks(sb),
                "cpu": cpu(sb, 3 if args.quick else 15, 50 if args.quick else 200),
            }
    res["imports"] = imports(3 if args.quick else 11)
    print(report(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
