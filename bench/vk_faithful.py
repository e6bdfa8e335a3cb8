"""The real old VK clients, unchanged, against tether's VK emulator (issue 9, "faithful").

Run as ``bench/.venv-bench/bin/python bench/vk_faithful.py``: it starts the sandbox in its own
process (as ``vk_bench`` does), points pyvk 0.2.3 and vk_api 11.10.1 at it at the transport
level (``vk_bench.redirected``: ``requests``' adapter rewrites VK's hosts onto the sandbox's
``/vk/…``) and drives each feature through the libraries' public API only. Each check prints
``PASS name`` or ``FAIL name: why``; the exit status is 1 if any failed.

Invariants:
- No real VK host is ever contacted: below the redirect sits a guard that refuses (raises at
  once, before any socket) every request still aimed at a VK-looking host, so a host the
  redirect does not know fails its check instead of leaking onto the internet.
- Answers a person would type go through the libraries' own hooks: pyvk's ``Input`` subclass
  (``ask(field, **kw)``, as its docs describe) and vk_api's ``captcha_handler``; the captcha
  key is what ``GET /_sandbox/vk/captcha/{sid}`` says the picture shows.
- pyvk's token cache lives in a temporary ``XDG_CACHE_HOME`` (appdirs reads it), never in the
  user's own ``~/.cache/pyvk``.
- pyvk tests every token it gets with ``API(token=…)`` at its default version 5.60, below
  VK's floor (5.81): its ServerAuth and token cache work only with the floor lowered
  (``POST /_sandbox/vk/settings``), as those checks do; one shows VK's floor on the cache.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from run import BenchError, sandbox_process
from vk_bench import VERSION, Sandbox, redirected

#: Hosts of VK and its CDNs; a request still aimed at one after the redirect is refused.
VK_HOST = re.compile(
    r"^[a-z]+://([^/?#@]*\.)?(vk\.com|vk\.ru|vk\.me|vkontakte\.ru|userapi\.com|vk-cdn\.net"
    r"|vkuser[a-z]*\.(com|net|ru)|mail\.ru)(:\d+)?([/?#]|$)",
    re.IGNORECASE,
)
PYVK_FLOOR = "5.60"  # pyvk's default version, which it tests every token with
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class NotRedirected(RuntimeError):
    """A request to a VK host got past the redirect: it would have left for the internet."""


SEEN: list[str] = []  # every URL sent (after the redirect), for checks that count requests


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Install under ``redirected``: sees URLs after the rewrite and refuses VK hosts."""
    import requests.adapters

    original = requests.adapters.HTTPAdapter.send

    def send(self: Any, request: Any, *args: Any, **kw: Any) -> Any:
        if VK_HOST.match(request.url):
            raise NotRedirected(f"not redirected, refused: {request.url.split('?')[0]}")
        SEEN.append(request.url)
        return original(self, request, *args, **kw)

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


class Failed(Exception):
    pass


def expect(ok: Any, why: str) -> None:
    if not ok:
        raise Failed(why)


RESULTS: list[tuple[str, str | None]] = []


def check(name: str, body: Callable[[], None]) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pyvk prints upload replies
            body()
    except Failed as e:
        RESULTS.append((name, str(e)))
    except Exception as e:  # a library raising is a failure of the check, with its reason
        where = traceback.extract_tb(e.__traceback__)[-1]
        RESULTS.append(
            (name, f"{type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})")
        )
    else:
        RESULTS.append((name, None))
    why = RESULTS[-1][1]
    print(f"PASS {name}" if why is None else f"FAIL {name}: {why}", flush=True)


# --- pyvk --------------------------------------------------------------------------------------


def answers(sb: Sandbox, **given: str) -> Any:
    """A pyvk ``Input`` answering from ``given`` and recording what it was asked."""
    import pyvk

    class Answers(pyvk.Input):
        asked: ClassVar[list[str]] = []  # a class per login: pyvk may take the class itself

        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            Answers.asked.append(field)
            if field == "captcha":  # the sid is in the picture's address, as a person sees it
                sid = parse_qs(urlsplit(kw["img"]).query)["sid"][0]
                return str(sb.control(f"captcha/{sid}")["key"])
            if field == "phone":  # "...\n+7 ... 67: " -> the digits between prefix and suffix
                m = re.search(r"(\S+) \.\.\. (\S+): $", kw["msg"])
                expect(m, f"the phone prompt shows no prefix ... suffix: {kw['msg']!r}")
                assert m is not None
                number = given["phone"]
                expect(
                    number.startswith(m[1]) and number.endswith(m[2]), "prompt shows other digits"
                )
                return number[len(m[1]) : len(number) - len(m[2])]
            if field not in given:
                raise Failed(f"pyvk asked for {field!r}, which this login should not need")
            return given[field]

    return Answers


def pyvk_checks(sb: Sandbox, cache_dir: str) -> None:
    import pyvk
    from pyvk.exceptions import APIError

    creds, app_id = sb.creds, sb.creds["app_id"]
    sb.reset(per_second=3)
    tokens: dict[str, str] = {}

    def client_auth(key: str, **extra: str) -> Callable[[], None]:
        def run() -> None:
            who = creds[key]
            hook = answers(sb, password=who["password"], **extra)
            auth = pyvk.ClientAuth(
                app_id=app_id, username=who["login"], input=hook, version=VERSION
            )
            auth.auth()
            want = ["password", *(["secret_code"] if "secret_code" in extra else [])]
            want += ["phone"] if "phone" in extra else []
            expect(hook.asked == want, f"asked {hook.asked}, expected {want}")
            expect(auth.token, "no token after auth()")
            me = auth.api().users.get()
            expect(me[0]["id"] == who["user_id"], f"the token is user {me[0]['id']}'s")
            tokens[key] = auth.token

        return run

    for key, what, extra in (
        ("user", "password, permission dialog", {}),
        ("user_2fa", "2FA code", {"secret_code": creds["user_2fa"]["code"]}),
        ("user_phone_check", "phone digits", {"phone": creds["user_phone_check"]["phone"]}),
    ):
        check(f"pyvk ClientAuth {key} ({what})", client_auth(key, **extra))

    def second_auth(floor: str) -> Callable[[], None]:
        def run() -> None:
            expect("user" in tokens, "no first login to remember")
            files = list(Path(cache_dir, "pyvk").glob("*"))
            expect(files, f"pyvk wrote no token cache under {cache_dir}")
            sb.control("settings", {"min_version": floor})
            try:
                hook = answers(sb)  # any question fails: the second auth must need none
                n = len(SEEN)
                auth = pyvk.ClientAuth(
                    app_id=app_id, username=creds["user"]["login"], input=hook, version=VERSION
                )
                auth.auth()
                pages = [u for u in SEEN[n:] if "/oauth/" in u or "/login" in u]
                if floor == PYVK_FLOOR:  # the cached token itself, tested and kept
                    expect(auth.token == tokens["user"], "the cached token was not reused")
                    expect(
                        not pages, f"the remembered token still went to {len(pages)} sign-in pages"
                    )
                    expect(isinstance(auth.scope, int) and auth.scope, f"scope {auth.scope!r}")
                else:  # its test is refused (error 8), the remembered session signs in alone
                    expect(pages and auth.token, "no token through the remembered session")
                expect(auth.api().users.get()[0]["id"] == creds["user"]["user_id"], "wrong user")
            finally:
                sb.control("settings", {"min_version": "5.81"})

        return run

    check("pyvk token cache: second auth() reuses the token (floor 5.60)", second_auth(PYVK_FLOOR))
    check("pyvk token cache under VK's 5.81 floor: session cookies sign in", second_auth("5.81"))

    def no_cache() -> None:
        who, cached = creds["user"], Path(cache_dir, "pyvk")
        before = {p: p.stat().st_mtime_ns for p in cached.glob("*")}
        hook = answers(sb, password=who["password"])
        opts = {"input": hook, "version": VERSION, "disable_cache": True}
        pyvk.ClientAuth(app_id=app_id, username=who["login"], **opts).auth()
        expect(hook.asked == ["password"], f"asked {hook.asked}: the cache was used")
        expect(before == {p: p.stat().st_mtime_ns for p in cached.glob("*")}, "cache written")

    check("pyvk disable_cache=True: password asked again, cache untouched", no_cache)

    def server_auth() -> None:
        sb.control("settings", {"min_version": PYVK_FLOOR})
        try:
            auth = pyvk.ServerAuth(
                app_id, "https://app.example/callback", scope=pyvk.p_offline | pyvk.p_wall
            )
            url = auth.auth_url
            expect(url.startswith("https://oauth.vk.com/authorize?"), f"auth_url {url}")
            landed = sb.control("approve", {"authorize_url": url})["redirect_url"]
            query = parse_qs(urlsplit(landed).query)
            expect("code" in query, f"approve landed on {landed.split('?')[0]} without a code")
            auth.auth(query["code"][0], creds["client_secret"])
            expect(auth.token, "no token")
            expect(auth.scope & pyvk.p_offline, f"scope {auth.scope!r} lacks offline")
            me = auth.api(version=VERSION).users.get()
            expect(me[0]["id"] == creds["user_id"], f"user {me[0]['id']}")
            with contextlib.suppress(pyvk.exceptions.AuthError):
                auth.auth(query["code"][0], creds["client_secret"])  # a code is single-use
                raise Failed("a spent code was accepted a second time")
        finally:
            sb.control("settings", {"min_version": "5.81"})

    check("pyvk ServerAuth (auth_url -> approve -> code -> auth)", server_auth)

    def api_calls() -> None:
        api = pyvk.API(token=creds["access_token"], version=VERSION)
        (one,) = api.users.get(user_ids=[1], fields=["bdate"])
        expect(one["id"] == 1 and "bdate" in one, f"users.get answered {one}")
        info = api.call("account.getInfo")
        expect(isinstance(info, dict), f"account.getInfo answered {info!r}")
        try:
            api.wall.getById()
            raise Failed("wall.getById with no posts did not fail")
        except APIError as e:
            expect(e.error_code == 100 and e.request_params, f"error {e.error_code}")
        from pyvk.helpers import reqn

        got = reqn(api.friends.get, n=2500, user_id=creds["user_id"])
        expect(len(got["items"]) == 2500, f"reqn brought {len(got['items'])}")

    check("pyvk API calls (users.get, call, APIError, reqn)", api_calls)

    def api_captcha() -> None:
        hook = answers(sb)
        api = pyvk.API(token=creds["access_token"], version=VERSION, input=hook)
        sb.control("captcha", {"method": "users.get", "count": 1})
        (one,) = api.users.get(user_ids=[1])
        expect(hook.asked == ["captcha"] and one["id"] == 1, f"asked {hook.asked}")

    check("pyvk API captcha through Input", api_captcha)

    def uploaders() -> None:
        from pyvk.helpers.uploaders import DocUploader, WallPhotoUploader

        api = pyvk.API(token=creds["access_token"], version=VERSION)
        attached = WallPhotoUploader(api).upload(PNG, attach=True)
        expect(re.fullmatch(r"photo-?\d+_\d+", attached[0]), f"attachment {attached}")
        saved = DocUploader(api).upload("notes.txt", b"hello", title="notes")
        expect(saved["doc"]["title"] == "notes", f"docs.save answered {saved!r}")

    check("pyvk uploaders (WallPhotoUploader, DocUploader)", uploaders)


# --- vk_api ------------------------------------------------------------------------------------


def vk_api_checks(sb: Sandbox) -> None:
    import vk_api
    from vk_api.requests_pool import VkRequestsPool, vk_request_one_param_pool
    from vk_api.tools import VkTools
    from vk_api.upload import VkUpload

    creds = sb.creds
    sb.reset(per_second=3)

    def session(**kw: Any) -> Any:
        return vk_api.VkApi(token=creds["access_token"], api_version=VERSION, **kw)

    def get_api() -> None:
        vk = session().get_api()
        (one,) = vk.users.get(user_ids=[1], fields="bdate")
        expect(one["id"] == 1, f"users.get answered {one}")
        wall = vk.wall.get(owner_id=creds["user_id"], count=3)
        expect(len(wall["items"]) <= 3 and "count" in wall, f"wall.get answered {list(wall)}")
        try:
            vk.wall.get_by_id()
            raise Failed("wall.getById with no posts did not fail")
        except vk_api.ApiError as e:
            expect(e.code == 100, f"error {e.code}")

    check("vk_api VkApi(token).get_api() calls", get_api)

    def pool() -> None:
        with VkRequestsPool(session()) as p:
            same = [p.method("users.get", {"user_ids": i}) for i in range(1000, 1030)]
        expect([r.result[0]["id"] for r in same] == list(range(1000, 1030)), "wrong users")
        with VkRequestsPool(session()) as p:
            mixed = [p.method("users.get", {"user_ids": 1}), p.method("wall.getById", {}),
                     p.method("friends.get", {"user_id": creds["user_id"], "count": 5})]  # fmt: skip
        expect(mixed[0].ok and mixed[0].result[0]["id"] == 1, "users.get in a mixed pool")
        expect(not mixed[1].ok and mixed[1].error["error_code"] == 100, f"error {mixed[1].error}")
        expect(mixed[2].ok and len(mixed[2].result["items"]) == 5, "friends.get in a mixed pool")

    check("vk_api VkRequestsPool (one method, mixed, an error)", pool)

    def one_param() -> None:
        ids = list(range(1000, 1040))
        got, errors = vk_request_one_param_pool(
            session(), "users.get", "user_ids", ids, {"fields": "bdate"}
        )
        expect(not errors and sorted(got) == ids, f"{len(got)} results, errors {errors}")
        expect(all(got[i][0]["id"] == i for i in ids), "a result for another id")

    check("vk_api vk_request_one_param_pool", one_param)

    def get_all() -> None:
        n = len(SEEN)
        got = VkTools(session()).get_all("friends.get", 5000, {"user_id": creds["user_id"]})
        items = got["items"]
        expect(len(items) == 12_000 and len(set(items)) == 12_000, f"{len(items)} friends")
        expect(len(SEEN) - n <= 2, f"{len(SEEN) - n} requests for 25 pages of execute")

    check("vk_api VkTools.get_all over 12,000 friends", get_all)

    def upload_photo() -> None:
        vk = session()
        photos = VkUpload(vk).photo_wall([io.BytesIO(PNG), io.BytesIO(PNG)])
        expect(isinstance(photos, list) and len(photos) == 2, f"saveWallPhoto answered {photos!r}")
        att = ",".join(f"photo{p['owner_id']}_{p['id']}" for p in photos)
        post = vk.get_api().wall.post(message="faithful", attachments=att)
        expect("post_id" in post, f"wall.post answered {post}")

    check("vk_api VkUpload.photo_wall (and wall.post with it)", upload_photo)

    def upload_group_photo() -> None:
        vk, gid = session(), creds["group_id"]
        (photo,) = VkUpload(vk).photo_wall(io.BytesIO(PNG), group_id=gid)
        att = f"photo{photo['owner_id']}_{photo['id']}"
        expect(att.startswith(f"photo-{gid}_"), f"attachment {att}")
        post = vk.get_api().wall.post(owner_id=-gid, attachments=att)
        (got,) = vk.get_api().wall.get_by_id(posts=f"-{gid}_{post['post_id']}")
        expect(got["attachments"][0]["photo"]["id"] == photo["id"], "the post lost its photo")

    check("vk_api VkUpload.photo_wall to a community (photo-5_N)", upload_group_photo)

    def upload_video() -> None:
        up = VkUpload(session())
        f = io.BytesIO(b"\0" * 4096)
        f.name = "clip.mp4"
        by_file = up.video(video_file=f, name="clip")
        expect(by_file.get("size") == 4096 and by_file.get("video_hash"), f"by file: {by_file}")
        by_link = up.video(link="https://example.com/watch?v=1", name="linked")
        expect(by_link.get("response") == 1 and "error" not in by_link, f"by link: {by_link}")

    check("vk_api VkUpload.video (file, and link: a POST with no file)", upload_video)

    def upload_doc() -> None:
        f = io.BytesIO(b"%PDF-1.4 faithful\n")
        f.name = "report.pdf"
        saved = VkUpload(session()).document(f, title="report")
        expect(saved["type"] == "doc" and saved["doc"]["title"] == "report", f"saved {saved!r}")

    check("vk_api VkUpload.document", upload_doc)

    def captcha() -> None:
        seen: list[str] = []

        def handler(c: Any) -> Any:
            seen.append(c.sid)
            image = c.get_image()
            expect(image[:5] in (b"<?xml", b"<svg ") or image[:4] == b"\x89PNG", "no picture")
            key = sb.control(f"captcha/{c.sid}")["key"]
            return c.try_again("wrong-" + key if len(seen) == 1 else key)

        sb.control("captcha", {"method": "users.get", "count": 1})
        (one,) = session(captcha_handler=handler).get_api().users.get(user_ids=1)
        expect(one["id"] == 1, f"users.get answered {one}")
        expect(len(seen) == 2 and seen[0] != seen[1], f"captchas asked: {len(seen)}")

    check("vk_api captcha_handler (wrong key, then the right one)", captcha)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vk-faithful-") as cache_dir:
        os.environ["XDG_CACHE_HOME"] = cache_dir  # appdirs: pyvk's cache goes here
        try:
            with sandbox_process(None) as root, guarded(), redirected(root):
                sb = Sandbox(root)
                check("no unredirected VK host is contacted", no_leak)
                pyvk_checks(sb, cache_dir)
                vk_api_checks(sb)
        except BenchError as e:
            print(f"FAIL sandbox: {e}")
            return 1
    failed = [n for n, why in RESULTS if why is not None]
    print(f"{len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def no_leak() -> None:
    import requests

    try:
        requests.get("https://pu.vk.com/c1/upload.php", timeout=1)
    except NotRedirected:
        return
    raise Failed("a request to pu.vk.com was sent")


if __name__ == "__main__":
    sys.exit(main())
