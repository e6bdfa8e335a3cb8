"""The emulator kit's page shell and forms: the account box names the emulator's own test
account, hostile values are escaped everywhere, hidden fields are carried through and the
page's own fields never are; and the Flickr and OVH pages, served by the real sandbox, are on
the shell."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import urllib3
from starlette.applications import Starlette
from starlette.routing import Route

from tests.sandbox.loopback import serving_app
from tether.auth.flickr import legacy_signature
from tether.sandbox.kit.pages import PAGE_FIELDS, Shell, TestAccount, form, hidden_fields, select
from tether.services.flickr.sandbox import login as flickr_login
from tether.services.flickr.sandbox.state import LOGIN, PASSWORD, USERNAME
from tether.services.ovh.sandbox.app import OvhEmulator
from tether.services.ovh.sandbox.routes import auth as ovh_auth
from tether.services.ovh.sandbox.state import ACCOUNT_EMAIL, ACCOUNT_LOGIN, ACCOUNT_PASSWORD

HOSTILE = "<script>alert(1)</script>\"' onmouseover=x &amp;"


class _Inputs(HTMLParser):
    """Every element's tag and attributes, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.tags


def _hidden(html: str) -> dict[str, str | None]:
    return {
        str(a["name"]): a.get("value")
        for tag, a in _tags(html)
        if tag == "input" and a.get("type") == "hidden"
    }


SHELL = Shell("Toy", TestAccount("toy-user", "toy-pass", alias="toy@example.org"))


def test_the_shell_names_the_service_the_sandbox_and_the_account() -> None:
    page = bytes(
        SHELL.consent(app_name="App", asks=[("read", "see things")], hidden={}).body
    ).decode()
    assert "<title>Allow App to access your account? - Toy (tether sandbox)</title>" in page
    assert "<header><strong>Toy</strong> - tether sandbox" in page
    box = re.search(r'<div class="account" role="note">(.*?)</div>', page)
    assert box is not None
    assert "<kbd>toy-user</kbd>" in box.group(1) and "<kbd>toy-pass</kbd>" in box.group(1)
    assert "<kbd>toy@example.org</kbd>" in box.group(1)
    assert page.count("<code>") == 0  # the shell adds none: a code page holds only its code
    assert bytes(SHELL.code_page("Your code", "Type it:", "123").body).decode().count("<code>") == 1


def test_hostile_values_are_escaped_everywhere() -> None:
    shell = Shell(HOSTILE, TestAccount(HOSTILE, HOSTILE, alias=HOSTILE), login_label=HOSTILE)
    response = shell.consent(
        app_name=HOSTILE,
        asks=[(HOSTILE, HOSTILE)],
        heading=(HOSTILE, HOSTILE),
        hidden={"state": HOSTILE, HOSTILE: "x"},
        action=HOSTILE,
        login=HOSTILE,
        error=HOSTILE,
        notes=[HOSTILE],
        extra_fields=select("v", HOSTILE, [(HOSTILE, HOSTILE)], HOSTILE),
        approve=HOSTILE,
        deny=HOSTILE,
        title=HOSTILE,
    )
    page = bytes(response.body).decode()
    assert "<script>" not in page and "&lt;script&gt;" in page
    # No attribute a hostile value could have added.
    assert not any("onmouseover" in attrs for _, attrs in _tags(page))
    # No element a hostile value could have opened: only the shell's own.
    assert {tag for tag, _ in _tags(page)} <= {
        "html", "head", "meta", "title", "style", "body", "header", "strong", "h1", "p",
        "table", "thead", "tr", "th", "tbody", "td", "div", "kbd", "form", "input", "label",
        "select", "option", "button",
    }  # fmt: skip
    # And the values come back intact where a browser reads them.
    assert _hidden(page) == {"state": HOSTILE, HOSTILE: "x"}
    forms = [a for tag, a in _tags(page) if tag == "form"]
    assert forms == [{"method": "post", "action": HOSTILE}]
    assert response.status_code == 401  # an error: a failed sign-in
    notice = shell.notice(HOSTILE, HOSTILE, 400)
    assert notice.status_code == 400 and b"<script>" not in notice.body
    assert notice.headers["cache-control"] == "no-store"


def test_forms_carry_hidden_fields_but_never_the_pages_own() -> None:
    carried = {"oauth_token": "t1", "perms": "write", "state": "a&b=c"}
    fields = {**carried, "login": "me", "password": "secret", "action": "approve"}
    html = form("<button>go</button>", hidden=fields)
    assert _hidden(html) == carried
    assert html.startswith('<form method="post">')  # posts to its own URL, query included
    assert "secret" not in hidden_fields(fields) and {"login", "password", "action"} == PAGE_FIELDS
    page = bytes(SHELL.consent(app_name="A", asks=[], hidden=fields, login="me").body).decode()
    assert _hidden(page) == carried
    names = [a.get("name") for tag, a in _tags(page) if tag in ("input", "button")]
    assert names.count("login") == names.count("password") == 1
    assert [a.get("value") for tag, a in _tags(page) if tag == "button"] == ["approve", "deny"]
    assert 'name="login" autocomplete="username" value="me"' in page
    assert "secret" not in page


def test_flickr_and_ovh_shells_name_the_accounts_their_pages_accept() -> None:
    assert flickr_login.SHELL.account == TestAccount(USERNAME, PASSWORD, alias=LOGIN)
    assert ovh_auth.SHELL.account == TestAccount(ACCOUNT_LOGIN, ACCOUNT_PASSWORD, ACCOUNT_EMAIL)


def test_flickr_login_page_names_the_test_account(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["flickr"]
    user = creds["user"]
    link = {"api_key": creds["api_key"], "perms": "write"}
    link["api_sig"] = legacy_signature(creds["secret"], link)
    page = urllib3.PoolManager().request("GET", creds["auth_url"] + "?" + urlencode(link))
    text = page.data.decode()
    assert page.status == 200 and "<header><strong>Flickr</strong> - tether sandbox" in text
    assert f"<kbd>{user['password']}</kbd>" in text
    assert f"<kbd>{user['login']}</kbd>" in text
    assert _hidden(text) == link


def test_ovh_validation_page_names_the_test_account() -> None:
    emulator = OvhEmulator()
    state = emulator.state
    app = next(iter(state.applications.values()))
    cred = state.add_credential(app, [{"method": "GET", "path": "/me"}], now=emulator.now())
    endpoint = ovh_auth.make_validation_endpoint(lambda: emulator.state, emulator.now)
    served = Starlette(routes=[Route("/auth/", endpoint, methods=["GET", "POST"])])
    with serving_app(served) as root:
        page = urllib3.PoolManager().request("GET", f"{root}/auth/?credentialToken={cred.token}")
    text = page.data.decode()
    assert page.status == 200 and "<header><strong>OVHcloud API</strong>" in text
    assert f"<kbd>{ACCOUNT_LOGIN}</kbd>" in text and f"<kbd>{ACCOUNT_PASSWORD}</kbd>" in text
    assert _hidden(text) == {"credentialToken": cred.token}
    action = re.search(r'<form method="post" action="([^"]+)"', text)
    assert action is not None and unescape(action.group(1)) == f"?credentialToken={cred.token}"
