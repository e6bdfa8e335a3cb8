"""``tether demo``: python-ovh's README walkthrough, then Flickr's and VK's (``demo_vk.py``),
live against an in-process sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import urllib3

from tether.core.errors import TetherError


def run_demo(echo: Callable[[str], None]) -> None:
    from tether import ovh
    from tether.sandbox import Sandbox

    started = time.perf_counter()
    with Sandbox() as sb:
        creds = sb.credentials()["ovh"]
        echo(f"Sandbox running at {sb.url}  (OVH API: {creds['base_url']})\n")

        echo("== OVHcloud ==")
        client = ovh.Client(
            endpoint=creds["base_url"],
            application_key=creds["application_key"],
            application_secret=creds["application_secret"],
            environ={},
        )
        ck = client.new_consumer_key_request()
        ck.add_rules(ovh.API_READ_ONLY, "/me")
        ck.add_recursive_rules(ovh.API_READ_WRITE, "/me/bill")
        ck.add_recursive_rules(ovh.API_READ_WRITE, "/me/api")
        ck.add_recursive_rules(ovh.API_READ_WRITE, "/email/domain")
        ck.add_recursive_rules(ovh.API_READ_WRITE, "/dedicated/server")
        validation = ck.request()
        echo(f"1. Consumer key requested; state {validation['state']}.")
        echo(f"   Validation page: {validation['validationUrl'].split('?')[0]}?credentialToken=…")
        _approve(validation["validationUrl"], creds["account"])
        echo("   Approved on the validation page as the sandbox's test user.")

        me = client.get("/me")
        echo(f"2. Welcome {me['firstname']}")

        echo("3. Bills:")
        for bill in client.get("/me/bill")[:5]:
            details = client.get(f"/me/bill/{bill}")
            echo(
                f"   {bill:>12} ({details['date']}): {details['priceWithTax']['text']:>10} "
                f"--> {details['pdfUrl']}"
            )

        client.post(
            "/email/domain/example.com/redirection",
            _from="sales@example.com",
            to="contact@example.com",
            localCopy=False,
        )
        echo("4. Installed new mail redirection from sales@example.com to contact@example.com")

        echo("5. Network burst in SBG-1:")
        for server in client.get("/dedicated/server/"):
            details = client.get(f"/dedicated/server/{server}")
            if details["datacenter"] == "sbg1":
                client.put(f"/dedicated/server/{server}/burst", status="active")
                echo(f"   Enabled burst for {server} server located in SBG-1")

        echo("6. Applications authorised on this account:")
        rows = [("ID", "App Name", "Description", "Token Creation", "Token Expiration")]
        for credential_id in client.get("/me/api/credential", status="validated"):
            path = f"/me/api/credential/{credential_id}"
            credential = client.get(path)
            application = client.get(path + "/application")
            rows.append(
                (
                    str(credential_id),
                    f"[{application['status']}] {application['name']}",
                    str(application["description"]),
                    str(credential["creation"]),
                    str(credential["expiration"]),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for n, row in enumerate(rows):
            echo("   " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if n == 0:
                echo("   " + "  ".join("-" * w for w in widths))
        client.close()

        _flickr(echo, sb)

        from tether.cli.demo_vk import run_vk

        run_vk(echo, sb)
    echo(f"\nDone in {time.perf_counter() - started:.1f} s.")


def _flickr(echo: Callable[[str], None], sb: Any) -> None:
    """Sign in with OAuth through the real authorize page, walk a search, upload with
    progress, replace, and print the short URL."""
    import os
    import tempfile

    from tether import flickr as flickrapi
    from tether.services.flickr.shorturl import url as short_url

    creds = sb.credentials()["flickr"]
    echo("\n== Flickr ==")
    pages: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        flickrapi.FlickrAPI(
            creds["api_key"],
            creds["secret"],
            rest_url=creds["rest_url"],
            upload_url=creds["upload_url"],
            replace_url=creds["replace_url"],
            auth_url=creds["auth_url"],
            oauth_url=creds["oauth_url"],
            token_cache_location=tmp,
            browser=lambda b: pages.append(b.url),
            prompt=lambda p: _approve_flickr(p.data["url"], creds["user"]),
            environ={},
        ) as f,
    ):
        token = f.authenticate_console("write")
        echo(f"1. Signed in as {token.username} with {token.access_level} permission (OAuth 1.0a).")
        first = f.photos_search(tags="cat", per_page=100)
        total = int(first.find("photos").get("total"))
        titles = [p.get("title") for p in f.walk(tags="cat", per_page=100)[:300]]
        echo(
            f"2. {total} photos tagged 'cat'; walked the first {len(titles)} lazily: "
            f"{', '.join(titles[:3])} …"
        )
        path = os.path.join(tmp, "sunset.jpg")
        with open(path, "wb") as fh:
            fh.write(os.urandom(3 * 1024 * 1024))
        marks: list[int] = []

        def progress(percent: float, done: bool) -> None:
            if int(percent) // 25 > len(marks) - 1 or done:
                marks.append(int(percent))

        rsp = f.upload(path, callback=progress, title="Sunset", tags='sunset "north sea"')
        photo_id = rsp.findtext("photoid") or ""
        echo(
            f"3. Uploaded 3 MiB as photo {photo_id}; progress " + " → ".join(f"{m}%" for m in marks)
        )
        with open(path, "wb") as fh:
            fh.write(os.urandom(1024 * 1024))
        f.replace(path, photo_id)
        info = f.photos_getInfo(photo_id=photo_id)
        echo(
            f"4. Replaced its image: the sandbox now holds {info.find('photo/upload').get('size')} bytes."
        )
        echo(f"5. Short URL: {short_url(photo_id)}")


def _approve_flickr(authorize_url: str, user: dict[str, str]) -> str:
    """Sign in on the sandbox's authorize page and approve, as a person would; return the
    code the page shows (the out-of-band verifier)."""
    import re
    from urllib.parse import parse_qs, urlsplit

    q = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    form = {**q, "login": user["login"], "password": user["password"], "action": "approve"}
    r = urllib3.request(
        "POST",
        authorize_url.split("?")[0],
        body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        redirect=False,
    )
    m = re.search(rb"<code>([^<]+)</code>", r.data)
    if r.status != 200 or m is None:
        raise TetherError(f"the sandbox's authorize page refused the approval (HTTP {r.status})")
    return m.group(1).decode()


def _approve(validation_url: str, account: dict[str, str]) -> None:
    """Approve the consumer key through the real HTML form, as a person would."""
    form = {"login": account["login"], "password": account["password"], "action": "approve"}
    r = urllib3.request(
        "POST",
        validation_url,
        body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        redirect=False,
    )
    if r.status >= 400 or b'role="alert"' in r.data:
        raise TetherError(f"the sandbox's validation page refused the approval (HTTP {r.status})")
