"""The VK part of ``tether demo``: PyVK's sign-in with 2FA on the emulator's login pages, a user
read, 12,000 friends walked through batched ``execute`` (requests sent vs pages read), 600
one-id ``users.get`` merged, and a wall post with an uploaded photo attached.

Invariants:
- Everything runs against the in-process sandbox given, at VK's real 3 requests a second
  (its default); the token and cookies live in a temporary folder that goes with the demo.
- The answers a person would type (password, 2FA code, "allow") come from the sandbox's test
  account through PyVK's ``Input`` hook; none is printed.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any, ClassVar


def run_vk(echo: Callable[[str], None], sb: Any) -> None:
    from tether.vk import ClientAuth

    creds = sb.credentials()["vk"]
    account = creds["user_2fa"]
    echo("\n== VK ==")

    class Person:
        """What the person at the keyboard answers (PyVK's ``Input``)."""

        asked: ClassVar[list[str]] = []

        @classmethod
        def ask(cls, field: str, **kw: Any) -> str:
            cls.asked.append(field)
            if field == "password":
                return str(account["password"])
            if field == "secret_code":
                return str(account["code"])
            if field == "grant_access":
                return "allow"
            raise ValueError(field)  # nothing else is asked of this account

    environ = {"TETHER_SANDBOX": sb.url}
    with tempfile.TemporaryDirectory() as tmp:
        with ClientAuth(
            username=account["login"], environ=environ, input=Person, token_dir=tmp
        ) as auth:
            auth.auth()
            echo(
                f"1. Signed in as user {auth.user_id} on VK's login pages: asked "
                f"{', '.join(Person.asked)}; the token is remembered (0600, atomic)."
            )
            api = auth.api()
        with api:
            (me,) = api.users.get(user_ids=auth.user_id, fields="bdate,city")
            echo(f"2. users.get: {me['first_name']} {me['last_name']} (id {me['id']}).")
            _friends(echo, sb, api, int(creds["user_id"]))
            _users(echo, sb, api)
            _post(echo, api, tmp)


def _requests(sb: Any) -> int:
    stats = sb.stats("vk")
    return int(sum(stats["calls"].values()))


def _friends(echo: Callable[[str], None], sb: Any, api: Any, user: int) -> None:
    """The sandbox's main test user has 12,000 friends."""
    before, started = _requests(sb), time.perf_counter()
    friends = list(api.walk("friends.get", user_id=user, count=1000))
    sent = _requests(sb) - before
    pages = -(-len(friends) // 1000)
    echo(
        f"3. Walked {len(friends):,} friends of user {user}: {pages} pages of 1,000 read in "
        f"{sent} request(s) of batched execute, {time.perf_counter() - started:.2f} s."
    )


def _users(echo: Callable[[str], None], sb: Any, api: Any) -> None:
    before, started = _requests(sb), time.perf_counter()
    with api.batch() as b:
        people = [b.users.get(user_ids=i) for i in range(1, 601)]
    sent = _requests(sb) - before
    names = {p.result[0]["first_name"] for p in people}
    echo(
        f"4. 600 users.get of one id each, in api.batch(): {sent} request(s), "
        f"{time.perf_counter() - started:.2f} s ({len(names)} distinct first names); "
        "PyVK at 3 requests a second would take 200 s."
    )


def _post(echo: Callable[[str], None], api: Any, tmp: str) -> None:
    path = os.path.join(tmp, "cat.jpg")
    with open(path, "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0" + os.urandom(256 * 1024))
    marks: list[int] = []

    def progress(percent: float, done: bool) -> None:
        if done or int(percent) // 50 > len(marks) - 1:
            marks.append(int(percent))

    photo = api.upload.wall_photo(path, callback=progress)
    post = api.wall.post(message="Hello from tether", attachments=photo.attachment)
    echo(
        f"5. Uploaded a photo ({' → '.join(f'{m}%' for m in marks)}) and posted it: "
        f"wall post {post['post_id']} with attachment {photo.attachment}."
    )
