"""Flickr side by side: tether's FlickrAPI vs flickrapi 2.4, against the sandbox in its own process.

Measured, interleaved, medians:
1. client CPU and wall µs per OAuth-signed ``flickr.photos.search`` (etree);
2. a walk over every photo the caller can see (~4,750: ``photos.search``, 500 per page):
   calls made and seconds;
3. uploading a 256 MiB file (``--quick``: 32 MiB), each in a fresh process: MiB/s, client
   CPU and the client's peak RSS growth during the upload; once to the sandbox, and once to
   ``upload_sink.py``, which only counts the bytes, so the clients' own throughput shows.

flickrapi is pointed at the sandbox through its class attributes (REST_URL, UPLOAD_URL), as the
protocol notes describe; both clients use the sandbox's ready OAuth token.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from run import (
    BenchError,
    clean_env,
    fetch_json,
    free_port,
    pin_cpus,
    rotated,
    sandbox_process,
    summarize,
)

REPO_DIR = Path(__file__).resolve().parent.parent


def make_tether(c: dict[str, Any]) -> Any:
    from tether.flickr import FlickrAPI, OAuthToken

    tok = OAuthToken(c["oauth_token"], c["oauth_token_secret"], "delete")
    return FlickrAPI(
        c["api_key"],
        c["secret"],
        token=tok,
        rest_url=c["rest_url"],
        upload_url=c["upload_url"],
        replace_url=c["replace_url"],
        environ={},
    )


def make_flickrapi(c: dict[str, Any]) -> Any:
    import flickrapi
    from flickrapi.auth import FlickrAccessToken

    flickrapi.FlickrAPI.REST_URL = c["rest_url"]
    flickrapi.FlickrAPI.UPLOAD_URL = c["upload_url"]
    flickrapi.FlickrAPI.REPLACE_URL = c["replace_url"]
    tok = FlickrAccessToken(c["oauth_token"], c["oauth_token_secret"], "delete")
    return flickrapi.FlickrAPI(c["api_key"], c["secret"], token=tok, store_token=False)


def per_call(clients: dict[str, Any], rounds: int, batch: int) -> dict[str, Any]:
    cpu: dict[str, list[float]] = {k: [] for k in clients}
    wall: dict[str, list[float]] = {k: [] for k in clients}
    for name, f in clients.items():
        rsp = f.photos.search(tags="cat", per_page=10)
        if rsp.find("photos") is None or len(rsp.find("photos")) != 10:
            raise BenchError(f"{name}: photos.search did not answer 10 photos")
    for r in range(rounds):
        for name in rotated(list(clients), r):
            f = clients[name]
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(batch):
                f.photos.search(tags="cat", per_page=10)
            cpu[name].append((time.process_time() - c0) / batch * 1e6)
            wall[name].append((time.perf_counter() - w0) / batch * 1e6)
    return {k: {"cpu_us": summarize(cpu[k]), "wall_us": summarize(wall[k])} for k in clients}


def walks(clients: dict[str, Any], root: str, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in range(rounds):
        for name in rotated(list(clients), r):
            before = fetch_json(root + "/_sandbox/flickr/stats")["calls"].get(
                "flickr.photos.search", 0
            )
            t0 = time.perf_counter()
            try:
                # Flickr refuses a search without a filter (error 3); every photo was
                # uploaded after 1970, so this one matches all the caller can see.
                n = sum(1 for _ in clients[name].walk(per_page=500, min_upload_date="1"))
                err = None
            except Exception as e:
                n, err = 0, f"{type(e).__name__}: {e}"[:120]
            secs = time.perf_counter() - t0
            after = fetch_json(root + "/_sandbox/flickr/stats")["calls"].get(
                "flickr.photos.search", 0
            )
            d = out.setdefault(
                name, {"seconds": [], "photos": n, "calls": after - before, "error": err}
            )
            d["seconds"].append(secs)
    for d in out.values():
        d["seconds"] = summarize(d["seconds"])
    return out


UPLOAD_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {bench!r})
from flickr_bench import make_tether, make_flickrapi
c = json.loads(os.environ["FLICKR_CREDS"])
f = make_tether(c) if sys.argv[1] == "tether" else make_flickrapi(c)
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
base = rss("VmRSS:")
t0, c0 = time.perf_counter(), time.process_time()
rsp = f.upload(filename=sys.argv[2], title="big", is_public=0)
secs, cpu = time.perf_counter() - t0, time.process_time() - c0
pid = rsp.findtext("photoid")
assert pid, "no photo id"
print(json.dumps({{"seconds": secs, "cpu": cpu, "rss_growth": rss("VmHWM:") - base}}))
"""


@contextlib.contextmanager
def upload_sink(cpu: int | None) -> Iterator[str]:
    """``bench/upload_sink.py`` in a child process (on the sandbox's core); yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("upload_sink.py")), str(port)],
        env=clean_env(),
    )
    try:
        if cpu is not None:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(proc.pid, {cpu})
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("the upload sink did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/services/upload/"
    finally:
        proc.kill()
        proc.wait()


def uploads(creds: dict[str, Any], size: int, rounds: int) -> dict[str, Any]:
    out: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.jpg")
        with open(path, "wb") as f:
            for _ in range(size // (1 << 20)):
                f.write(os.urandom(1 << 20))
        env = {**clean_env(), "FLICKR_CREDS": json.dumps(creds)}
        code = UPLOAD_CHILD.format(bench=str(Path(__file__).parent))
        for r in range(rounds):
            for name in rotated(["tether", "flickrapi 2.4"], r):
                which = "tether" if name == "tether" else "flickrapi"
                p = subprocess.run(
                    [sys.executable, "-c", code, which, path],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=REPO_DIR,
                    timeout=600,
                )
                if p.returncode != 0:
                    raise BenchError(f"{name} upload failed: {p.stderr[-800:]}")
                res = json.loads(p.stdout.strip().splitlines()[-1])
                d = out.setdefault(name, {"mib_s": [], "rss_mib": [], "cpu_s": []})
                d["mib_s"].append(size / (1 << 20) / res["seconds"])
                d["cpu_s"].append(res["cpu"])
                d["rss_mib"].append(res["rss_growth"] / (1 << 20))
    return {
        k: {
            "mib_s": summarize(v["mib_s"]),
            "rss_mib": summarize(v["rss_mib"]),
            "cpu_s": summarize(v["cpu_s"]),
        }
        for k, v in out.items()
    }


def main() -> int:
    p = argparse.ArgumentParser(description="tether vs flickrapi 2.4 on the Flickr sandbox")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    rounds, batch = (3, 20) if args.quick else (15, 100)
    size = (32 if args.quick else 256) << 20
    server_cpu, pinning = pin_cpus(True)
    with sandbox_process(server_cpu) as root:
        creds = fetch_json(root + "/_sandbox/credentials")["flickr"]
        clients = {"tether": make_tether(creds), "flickrapi 2.4": make_flickrapi(creds)}
        print("measuring per-call...", file=sys.stderr, flush=True)
        calls = per_call(clients, rounds, batch)
        print("measuring walks...", file=sys.stderr, flush=True)
        walk = walks(clients, root, 3 if not args.quick else 1)
        print("measuring uploads...", file=sys.stderr, flush=True)
        up = uploads(creds, size, 9 if not args.quick else 1)
    print("measuring uploads to a sink...", file=sys.stderr, flush=True)
    with upload_sink(server_cpu) as sink_url:
        sunk = uploads({**creds, "upload_url": sink_url}, size, 9 if not args.quick else 1)
    t, f = calls["tether"], calls["flickrapi 2.4"]
    print(f"\ntether vs flickrapi 2.4 on the Flickr sandbox ({pinning}); medians [p25-p75]")
    print(f"\n1. signed photos.search (etree), {rounds} rounds x {batch} calls, interleaved")
    for name, d in calls.items():
        c, w = d["cpu_us"], d["wall_us"]
        print(
            f"   {name:<16} client CPU {c['median']:8.1f} us [{c['p25']:.0f}-{c['p75']:.0f}]"
            f"   wall {w['median']:8.1f} us"
        )
    ratio = t["cpu_us"]["median"] / f["cpu_us"]["median"]
    print(
        f"   tether / flickrapi CPU: {ratio:.2f}x   target <= 0.33x: {'PASS' if ratio <= 1 / 3 else 'MISS'}"
    )
    print("\n2. walk over every photos.search result, 500 per page")
    for name, d in walk.items():
        extra = f"   ERROR {d['error']}" if d["error"] else ""
        print(
            f"   {name:<16} {d['photos']:5d} photos in {d['calls']:3d} calls, "
            f"{d['seconds']['median']:.2f} s{extra}"
        )
    print(f"\n3. upload of a {size >> 20} MiB file, fresh process each")
    for title, results in (
        ("a. to the sandbox (it parses and hashes every byte: the sandbox is the limit)", up),
        ("b. to a sink that only counts the bytes (the client is the limit)", sunk),
    ):
        print(f"   {title}")
        for name, d in results.items():
            m = d["mib_s"]
            print(
                f"   {name:<16} {m['median']:7.1f} MiB/s [{m['p25']:.0f}-{m['p75']:.0f}]"
                f"   client CPU {d['cpu_s']['median']:5.2f} s"
                f"   peak RSS growth {d['rss_mib']['median']:5.1f} MiB"
            )
        ratio = results["tether"]["mib_s"]["median"] / results["flickrapi 2.4"]["mib_s"]["median"]
        print(f"   tether / flickrapi MiB/s: {ratio:.2f}x")
    rss = max(up["tether"]["rss_mib"]["median"], sunk["tether"]["rss_mib"]["median"])
    ratio = sunk["tether"]["mib_s"]["median"] / sunk["flickrapi 2.4"]["mib_s"]["median"]
    print(
        f"   targets: RSS growth < 16 MiB: {'PASS' if rss < 16 else 'MISS'} ({rss:.1f} MiB); "
        f"throughput >= flickrapi's, client-bound (b): {'PASS' if ratio >= 1 else 'MISS'}"
        f" ({ratio:.2f}x)"
    )
    Path(__file__).with_name("results-flickr.json").write_text(
        json.dumps({"calls": calls, "walk": walk, "upload": up, "upload_to_sink": sunk}, indent=1)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
