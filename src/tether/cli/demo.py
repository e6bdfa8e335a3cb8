"""``tether demo``: python-ovh's README walkthrough, live against an in-process sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable
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
    echo(f"\nDone in {time.perf_counter() - started:.1f} s.")


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
