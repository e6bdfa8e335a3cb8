"""The Flickr emulator's authentication, driven by hand: legacy api_sig and tokens, the frob
login page (desktop and web flows), OAuth 1.0a end to end through the real pages, every OAuth
refusal, token exchange and revocation, and the permission ladder."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from tests.services.flickr.emu import (
    HTTP,
    VECTOR_KEY,
    VECTOR_SECRET,
    VECTOR_TOKEN,
    VECTOR_TOKEN_SECRET,
    Flickr,
    err,
    form,
    get,
    oauth_request,
    ok,
    page_code,
    post,
    signed,
)


@pytest.fixture
def fl(fcreds: dict[str, Any]) -> Flickr:
    return Flickr(fcreds)


def _login(fl: Flickr, **extra: str) -> dict[str, str]:
    return {"login": fl.c["user"]["login"], "password": fl.c["user"]["password"], **extra}


def _frob(fl: Flickr, key: str | None = None, secret: str | None = None) -> str:
    fields = signed(secret or fl.secret, method="flickr.auth.getFrob", api_key=key or fl.key)
    frob = ok(post(fl.rest, fields)).findtext("frob")
    assert frob and re.fullmatch(r"72157\d{12}-[0-9a-f]{16}-\d+", frob)
    return frob


# -- legacy signatures and tokens ----------------------------------------------------------------


def test_legacy_signed_calls(fl: Flickr) -> None:
    user = ok(fl.legacy("flickr.test.login", token=fl.c["token"])).find("user")
    assert user is not None and user.get("id") == fl.c["user"]["nsid"]
    assert user.findtext("username") == fl.c["user"]["username"]
    auth = ok(fl.legacy("flickr.auth.checkToken", token=fl.c["token"])).find("auth")
    assert auth is not None and auth.findtext("token") == fl.c["token"]
    assert auth.findtext("perms") == "delete"
    assert auth.find("user").get("nsid") == fl.c["user"]["nsid"]  # type: ignore[union-attr]
    # A signature over other values, or in upper case hex, and unsigned calls when no token.
    fields = signed(fl.secret, method="flickr.test.echo", api_key=fl.key, a="1")
    assert err(post(fl.rest, {**fields, "a": "2"}))[0] == 96
    ok(post(fl.rest, {**fields, "api_sig": fields["api_sig"].upper()}))
    ok(fl.legacy("flickr.test.echo", sign=False))


def test_utf8_values_are_signed_decoded(fl: Flickr) -> None:
    mine = ok(fl.legacy("flickr.photos.search", token=fl.c["token"], user_id="me", per_page="1"))
    photo_id = mine.find("photos/photo").get("id")  # type: ignore[union-attr]
    assert photo_id
    ok(
        fl.legacy(
            "flickr.photos.setMeta",
            token=fl.c["token"],
            photo_id=photo_id,
            title="Money & more",
            description="Around \u20ac30,-",
        )
    )
    info = ok(fl.legacy("flickr.photos.getInfo", token=fl.c["token"], photo_id=photo_id))
    assert info.findtext("photo/title") == "Money & more"
    assert info.findtext("photo/description") == "Around \u20ac30,-"


def test_tokens_belong_to_their_key(fl: Flickr) -> None:
    fields = signed(
        "Y" * 16, method="flickr.test.login", api_key="X" * 32, auth_token=fl.c["token"]
    )
    assert err(post(fl.rest, fields)) == (98, "Invalid auth token")


def test_permission_ladder(fl: Flickr, tether_sandbox: Any) -> None:
    tokens = {}
    for perms in ("read", "write"):
        frob = _frob(fl)
        tether_sandbox.approve_flickr(frob=frob, perms=perms)
        tokens[perms] = ok(fl.legacy("flickr.auth.getToken", frob=frob)).findtext("auth/token")
    mine = ok(fl.legacy("flickr.photos.search", token=tokens["read"], user_id="me"))
    photo_id = mine.find("photos/photo").get("id")  # type: ignore[union-attr]
    assert err(fl.legacy("flickr.photos.setMeta", token=tokens["read"], photo_id=photo_id)) == (
        99,
        "Insufficient permissions. Method requires write privileges; read granted.",
    )
    ok(fl.legacy("flickr.photos.setMeta", token=tokens["write"], photo_id=photo_id, title="w"))
    assert err(fl.legacy("flickr.photos.delete", token=tokens["write"], photo_id=photo_id)) == (
        99,
        "Insufficient permissions. Method requires delete privileges; write granted.",
    )
    ok(fl.legacy("flickr.photos.delete", token=fl.c["token"], photo_id=photo_id))
    # Someone else's photo cannot be edited, whatever the token.
    theirs = ok(fl.anon("flickr.photos.search", user_id="73509078@N00", per_page="1"))
    other = theirs.find("photos/photo").get("id")  # type: ignore[union-attr]
    assert err(fl.legacy("flickr.photos.setMeta", token=fl.c["token"], photo_id=other))[0] == 99


def test_revoked_tokens(fl: Flickr, tether_sandbox: Any) -> None:
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fl.c["token"]})
    assert err(fl.legacy("flickr.test.login", token=fl.c["token"]))[0] == 98
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fl.c["oauth_token"]})
    r = fl.oauth("flickr.test.login")
    assert r.status == 401 and form(r.data) == {"oauth_problem": "token_rejected"}


# -- frob login page ---------------------------------------------------------------------------


def test_frob_flow_through_the_login_page(fl: Flickr) -> None:
    frob = _frob(fl)
    link = signed(fl.secret, api_key=fl.key, perms="write", frob=frob)
    page = get(fl.c["auth_url"], link)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b"<form" in page.data and b"<strong>write</strong>" in page.data
    assert err(fl.legacy("flickr.auth.getToken", frob=frob)) == (108, "Invalid frob")  # pending
    bad = post(fl.c["auth_url"], {**link, "login": "x<b>", "password": "y", "action": "approve"})
    assert bad.status == 401 and b'role="alert"' in bad.data
    assert b"x&lt;b&gt;" in bad.data and b"x<b>" not in bad.data  # typed input escaped
    good = post(fl.c["auth_url"], {**link, **_login(fl, action="approve")})
    assert good.status == 200 and b"write access" in good.data
    auth = ok(fl.legacy("flickr.auth.getToken", frob=frob)).find("auth")
    assert auth is not None and auth.findtext("perms") == "write"
    assert auth.find("user").get("username") == fl.c["user"]["username"]  # type: ignore[union-attr]
    token = auth.findtext("token")
    assert token and token != fl.c["token"]
    ok(fl.legacy("flickr.test.login", token=token))
    assert err(fl.legacy("flickr.auth.getToken", frob=frob))[0] == 108  # single use


def test_login_page_refuses_bad_links(fl: Flickr) -> None:
    frob = _frob(fl)
    link = signed(fl.secret, api_key=fl.key, perms="read", frob=frob)
    tampered = get(fl.c["auth_url"], {**link, "perms": "delete"})
    assert tampered.status == 400 and b"signature" in tampered.data
    assert get(fl.c["auth_url"], {**link, "api_key": "0" * 32}).status == 400
    wrong = signed(fl.secret, api_key=fl.key, perms="admin", frob=frob)
    assert get(fl.c["auth_url"], wrong).status == 400
    # A frob made for another key is not valid on this key's link.
    other = _frob(fl, "X" * 32, "Y" * 16)
    assert (
        get(fl.c["auth_url"], signed(fl.secret, api_key=fl.key, perms="read", frob=other)).status
        == 400
    )


def test_denied_frob_is_invalid(fl: Flickr) -> None:
    frob = _frob(fl)
    link = signed(fl.secret, api_key=fl.key, perms="read", frob=frob)
    refused = post(fl.c["auth_url"], {**link, "action": "deny"})
    assert refused.status == 200 and b"not given access" in refused.data
    assert err(fl.legacy("flickr.auth.getToken", frob=frob))[0] == 108
    assert get(fl.c["auth_url"], link).status == 400  # already decided


def test_frobs_expire_and_belong_to_their_key(fl: Flickr, tether_sandbox: Any) -> None:
    frob = _frob(fl)
    tether_sandbox.approve_flickr(frob=frob)
    fields = signed("Y" * 16, method="flickr.auth.getToken", api_key="X" * 32, frob=frob)
    assert err(post(fl.rest, fields))[0] == 108
    pending = _frob(fl)
    link = signed(fl.secret, api_key=fl.key, perms="read", frob=pending)
    tether_sandbox.control("POST", "/_sandbox/flickr/time", {"skew": 3601})
    assert err(fl.legacy("flickr.auth.getToken", frob=frob))[0] == 108
    # Expired for the login page and the control API alike.
    page = get(fl.c["auth_url"], link)
    assert page.status == 400 and b"Invalid frob" in page.data
    from tether.sandbox import SandboxError

    with pytest.raises(SandboxError, match="404"):
        tether_sandbox.approve_flickr(frob=pending)


def test_login_page_reads_the_state_once_its_form_arrived() -> None:
    """A reset while the page's form is still arriving: the frob the page grants lives in the
    state after the reset, where getToken looks for it (not in the one the reset discarded)."""
    from tether.services.flickr.sandbox.app import FlickrEmulator
    from tether.services.flickr.sandbox.state import API_KEY, LOGIN, PASSWORD, SECRET

    em = FlickrEmulator()
    fields = {
        **signed(SECRET, api_key=API_KEY, perms="write"),
        "login": LOGIN,
        "password": PASSWORD,
        "action": "approve",
    }
    body = urlencode(fields).encode()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        em.reset()  # while the handler waits for the body
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/services/auth/",
        "raw_path": b"/services/auth/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(em.app(scope, receive, send))
    assert sent[0]["status"] == 200
    frob = page_code(b"".join(m.get("body", b"") for m in sent[1:]))
    granted = em.state.frobs.get(frob)
    assert granted is not None and (granted.status, granted.perms) == ("approved", "write")


def test_web_flow_redirects_to_the_registered_callback(fl: Flickr, tether_sandbox: Any) -> None:
    link = signed(fl.secret, api_key=fl.key, perms="read")
    # No callback registered: the page shows the frob the callback would have received.
    shown = page_code(post(fl.c["auth_url"], {**link, **_login(fl, action="approve")}).data)
    assert ok(fl.legacy("flickr.auth.getToken", frob=shown)).findtext("auth/perms") == "read"
    tether_sandbox.control(
        "POST", "/_sandbox/flickr/app", {"callback_url": "http://app.example/cb?x=1"}
    )
    link = signed(fl.secret, api_key=fl.key, perms="write", extra="state 7")
    r = post(fl.c["auth_url"], {**link, **_login(fl, action="approve")})
    assert r.status == 303
    location = urlsplit(r.headers["Location"])
    assert location.netloc == "app.example" and location.path == "/cb"
    query = parse_qs(location.query)
    assert query["x"] == ["1"] and query["extra"] == ["state 7"]
    auth = ok(fl.legacy("flickr.auth.getToken", frob=query["frob"][0]))
    assert auth.findtext("auth/perms") == "write"


def test_control_approval_defaults(fl: Flickr, tether_sandbox: Any) -> None:
    frob = _frob(fl)
    get(fl.c["auth_url"], signed(fl.secret, api_key=fl.key, perms="read", frob=frob))
    assert tether_sandbox.approve_flickr(frob=frob)["perms"] == "read"  # what the page asked
    other = _frob(fl)
    assert tether_sandbox.approve_flickr(frob=other)["perms"] == "delete"  # nobody was asked
    from tether.core.errors import UsageError
    from tether.sandbox import SandboxError

    with pytest.raises(SandboxError, match="409"):
        tether_sandbox.approve_flickr(frob=frob)
    with pytest.raises(SandboxError, match="400"):
        tether_sandbox.approve_flickr(frob=_frob(fl), perms="admin")
    with pytest.raises(UsageError):
        tether_sandbox.approve_flickr(frob=frob, oauth_token="t")


# -- OAuth 1.0a --------------------------------------------------------------------------------


def _request_token(fl: Flickr, callback: str = "oob", placement: str = "header") -> dict[str, str]:
    r = oauth_request(
        "POST",
        fl.oauth_url + "request_token",
        {},
        key=fl.key,
        secret=fl.secret,
        callback=callback,
        placement=placement,
    )
    assert r.status == 200, r.data
    answer = form(r.data)
    assert answer["oauth_callback_confirmed"] == "true"
    return answer


def _access_token(fl: Flickr, rt: dict[str, str], verifier: str) -> Any:
    return oauth_request(
        "POST",
        fl.oauth_url + "access_token",
        {},
        key=fl.key,
        secret=fl.secret,
        token=rt["oauth_token"],
        token_secret=rt["oauth_token_secret"],
        verifier=verifier,
    )


def test_oauth_flow_with_callback_through_the_pages(fl: Flickr) -> None:
    rt = _request_token(fl, "http://localhost:8123/back?app=1")
    authorize = fl.oauth_url + "authorize"
    page = get(authorize, {"oauth_token": rt["oauth_token"], "perms": "write"})
    assert page.status == 200 and b"<strong>write</strong>" in page.data
    r = post(
        authorize,
        {"oauth_token": rt["oauth_token"], "perms": "write", **_login(fl, action="approve")},
    )
    assert r.status == 303
    back = urlsplit(r.headers["Location"])
    assert (back.netloc, back.path) == ("localhost:8123", "/back")
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert query["app"] == "1" and query["oauth_token"] == rt["oauth_token"]
    assert re.fullmatch(r"[0-9a-f]{16}", query["oauth_verifier"])
    got = _access_token(fl, rt, query["oauth_verifier"])
    assert got.status == 200 and got.data.startswith(b"fullname=")
    access = form(got.data)
    assert access["user_nsid"] == fl.c["user"]["nsid"]
    assert access["username"] == fl.c["user"]["username"]
    assert b"%40N01" in got.data  # RFC 3986 encoded, as Flickr writes it
    token = (access["oauth_token"], access["oauth_token_secret"])
    user = ok(fl.oauth("flickr.test.login", token=token)).find("user")
    assert user is not None and user.get("id") == fl.c["user"]["nsid"]
    check = ok(fl.oauth("flickr.auth.oauth.checkToken", token=token, oauth_token=token[0]))
    assert check.findtext("oauth/perms") == "write" and check.findtext("oauth/token") == token[0]
    # The request token was used up.
    assert _access_token(fl, rt, query["oauth_verifier"]).status == 401


def test_oauth_out_of_band_code(fl: Flickr) -> None:
    rt = _request_token(fl, "oob", placement="body")
    r = post(
        fl.oauth_url + "authorize",
        {"oauth_token": rt["oauth_token"], "perms": "read", **_login(fl, action="approve")},
    )
    code = page_code(r.data)
    assert r.status == 200 and re.fullmatch(r"\d{3}-\d{3}-\d{3}", code)
    access = form(_access_token(fl, rt, code).data)
    ok(fl.oauth("flickr.test.login", token=(access["oauth_token"], access["oauth_token_secret"])))


def test_oauth_denied_wrong_verifier_and_pending(fl: Flickr, tether_sandbox: Any) -> None:
    rt = _request_token(fl)
    r = _access_token(fl, rt, "123-456-789")  # not approved yet
    assert r.status == 401 and form(r.data)["oauth_problem"] == "token_rejected"
    refused = post(fl.oauth_url + "authorize", {"oauth_token": rt["oauth_token"], "action": "deny"})
    assert refused.status == 200 and b"not given access" in refused.data
    r = _access_token(fl, rt, "123-456-789")
    assert r.status == 401 and form(r.data)["oauth_problem"] == "token_rejected"
    rt = _request_token(fl)
    answer = tether_sandbox.approve_flickr(oauth_token=rt["oauth_token"], perms="write")
    assert answer["perms"] == "write" and re.fullmatch(
        r"\d{3}-\d{3}-\d{3}", answer["oauth_verifier"]
    )
    r = _access_token(fl, rt, "000-000-000")
    assert r.status == 401 and form(r.data)["oauth_problem"] == "verifier_invalid"
    assert _access_token(fl, rt, answer["oauth_verifier"]).status == 200
    rt = _request_token(fl)
    tether_sandbox.approve_flickr(oauth_token=rt["oauth_token"], deny=True)
    assert form(_access_token(fl, rt, "x").data)["oauth_problem"] == "token_rejected"


def test_oauth_request_token_needs_a_usable_callback(fl: Flickr) -> None:
    r = oauth_request("POST", fl.oauth_url + "request_token", {}, key=fl.key, secret=fl.secret)
    assert r.status == 401 and form(r.data) == {
        "oauth_problem": "parameter_absent",
        "oauth_parameters_absent": "oauth_callback",
    }
    r = oauth_request(
        "POST",
        fl.oauth_url + "request_token",
        {},
        key=fl.key,
        secret=fl.secret,
        callback="javascript:alert(1)",
    )
    assert r.status == 401 and form(r.data)["oauth_problem"] == "parameter_rejected"
    for unreadable in ("http://[::1", "https://[::1/back"):  # urlsplit raises on these
        r = oauth_request(
            "POST",
            fl.oauth_url + "request_token",
            {},
            key=fl.key,
            secret=fl.secret,
            callback=unreadable,
        )
        assert r.status == 401 and form(r.data) == {
            "oauth_problem": "parameter_rejected",
            "oauth_parameters_rejected": "oauth_callback",
        }


def test_callbacks_keep_their_fragment_last(fl: Flickr, tether_sandbox: Any) -> None:
    rt = _request_token(fl, "http://localhost:8123/back?app=1#done")
    r = post(
        fl.oauth_url + "authorize",
        {"oauth_token": rt["oauth_token"], "perms": "read", **_login(fl, action="approve")},
    )
    back = urlsplit(r.headers["Location"])
    assert (back.path, back.fragment) == ("/back", "done")
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert query["app"] == "1" and query["oauth_token"] == rt["oauth_token"]
    assert _access_token(fl, rt, query["oauth_verifier"]).status == 200
    # The web flow's registered callback likewise (here without a query of its own).
    tether_sandbox.control(
        "POST", "/_sandbox/flickr/app", {"callback_url": "http://app.example/cb#x"}
    )
    link = signed(fl.secret, api_key=fl.key, perms="read")
    r = post(fl.c["auth_url"], {**link, **_login(fl, action="approve")})
    assert r.status == 303
    back = urlsplit(r.headers["Location"])
    assert (back.path, back.fragment) == ("/cb", "x")
    frob = parse_qs(back.query)["frob"][0]
    assert ok(fl.legacy("flickr.auth.getToken", frob=frob)).findtext("auth/perms") == "read"


def test_authorize_page_refuses_unknown_tokens(fl: Flickr) -> None:
    assert get(fl.oauth_url + "authorize", {"oauth_token": "nope", "perms": "read"}).status == 400
    rt = _request_token(fl)
    bad = get(fl.oauth_url + "authorize", {"oauth_token": rt["oauth_token"], "perms": "all"})
    assert bad.status == 400


@pytest.mark.parametrize(
    ("verb", "placement"),
    [("POST", "header"), ("POST", "query"), ("POST", "body"), ("GET", "header"), ("GET", "query")],
)
def test_oauth_rest_calls_in_every_placement(fl: Flickr, verb: str, placement: str) -> None:
    # The §13 vector application: its token may appear in a URL (it is no log canary).
    r = oauth_request(
        verb,
        fl.rest,
        {"method": "flickr.test.echo", "text": "Money & more: \u20ac30 + tax ~ 100%"},
        key=VECTOR_KEY,
        secret=VECTOR_SECRET,
        token=VECTOR_TOKEN,
        token_secret=VECTOR_TOKEN_SECRET,
        placement=placement,
    )
    assert ok(r).findtext("text") == "Money & more: \u20ac30 + tax ~ 100%"


def _header(params: dict[str, str]) -> dict[str, str]:
    return {
        "Authorization": "OAuth "
        + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in params.items())
    }


def _hand_signed(url: str, body: dict[str, str], oauth: dict[str, str], token_secret: str) -> str:
    """An independent base string and HMAC-SHA1 (RFC 5849 written out)."""

    def pct(s: str) -> str:
        return quote(s, safe="-._~")

    pairs = sorted((pct(k), pct(v)) for k, v in [*body.items(), *oauth.items()])
    norm = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join(("POST", pct(url), pct(norm)))
    key = f"{VECTOR_SECRET}&{token_secret}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


def test_form_bodies_are_re_encoded_before_signing(fl: Flickr) -> None:
    """F9's case over HTTP: '+' for spaces and %2C in the body, RFC 3986 in the base string."""
    body = {
        "method": "flickr.test.echo",
        "title": "Money & more",
        "description": "Around \u20ac30,-",
    }
    oauth = {
        "oauth_consumer_key": VECTOR_KEY,
        "oauth_nonce": "n-form",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(int(time.time())),
        "oauth_token": VECTOR_TOKEN,
        "oauth_version": "1.0",
    }
    sig = _hand_signed(fl.rest, body, oauth, VECTOR_TOKEN_SECRET)
    raw = urlencode(body)  # application/x-www-form-urlencoded: spaces as '+'
    assert "+" in raw and "%2C" in raw
    r = HTTP.request(
        "POST",
        fl.rest,
        body=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **_header({**oauth, "oauth_signature": sig}),
        },
    )
    assert ok(r).findtext("description") == "Around \u20ac30,-"


def test_oauth_refusals(fl: Flickr) -> None:
    fields = {"method": "flickr.test.echo"}
    now = int(time.time())

    def call(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "key": VECTOR_KEY,
            "secret": VECTOR_SECRET,
            "token": VECTOR_TOKEN,
            "token_secret": VECTOR_TOKEN_SECRET,
            **kw,
        }
        return oauth_request("POST", fl.rest, fields, **args)

    assert call(nonce="same", timestamp=now).status == 200
    replay = call(nonce="same", timestamp=now)
    assert replay.status == 401 and form(replay.data) == {"oauth_problem": "nonce_used"}
    assert call(nonce="same", timestamp=now - 1).status == 200  # per (key, timestamp)
    assert call(timestamp=now - 250).status == 200  # within ±300 s
    stale = call(timestamp=now - 400)
    assert stale.status == 401 and form(stale.data)["oauth_problem"] == "timestamp_refused"
    assert form(call(timestamp=now + 400).data)["oauth_problem"] == "timestamp_refused"
    forged = call(token_secret="0" * 16)
    assert forged.status == 401 and forged.headers["Content-Type"].startswith("text/plain")
    assert forged.data.startswith(b"oauth_problem=signature_invalid&debug_sbs=POST&http%3A%2F%2F")
    assert b"flickr.test.echo" in forged.data and VECTOR_SECRET.encode() not in forged.data
    unknown = call(key="f" * 32)
    assert form(unknown.data)["oauth_problem"] == "consumer_key_unknown"
    assert form(call(token="72157600000000000-0000000000000000").data)["oauth_problem"] == (
        "token_rejected"
    )
    # Another key's token is not this key's.
    theirs = call(key=fl.key, secret=fl.secret)
    assert form(theirs.data)["oauth_problem"] == "token_rejected"
    missing = HTTP.request(
        "POST",
        fl.rest,
        body=urlencode(fields),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **_header({"oauth_consumer_key": VECTOR_KEY, "oauth_signature": "x"}),
        },
    )
    assert form(missing.data) == {
        "oauth_problem": "parameter_absent",
        "oauth_parameters_absent": "oauth_nonce&oauth_timestamp",
    }
    sha256 = _header(
        {
            "oauth_consumer_key": VECTOR_KEY,
            "oauth_nonce": "n",
            "oauth_timestamp": str(now),
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_signature": "x",
        }
    )
    r = post(fl.rest, fields, sha256)
    assert form(r.data)["oauth_problem"] == "signature_method_rejected"


def test_signature_base_url_is_the_one_requested(fl: Flickr) -> None:
    """Signed for ``http://LOCALHOST:<port>/…`` and sent with that Host header: the emulator
    builds its base string from the Host header (lower-cased), not from its own address."""
    port = urlsplit(fl.rest).port
    url = f"http://LOCALHOST:{port}/flickr/services/rest/"
    fields = {"method": "flickr.test.echo"}
    r = oauth_request(
        "POST",
        url,
        fields,
        key=VECTOR_KEY,
        secret=VECTOR_SECRET,
        token=VECTOR_TOKEN,
        token_secret=VECTOR_TOKEN_SECRET,
    )
    ok(r)


def test_oauth_check_token_needs_the_argument(fl: Flickr) -> None:
    assert err(fl.oauth("flickr.auth.oauth.checkToken")) == (98, "Invalid token")
    check = ok(fl.oauth("flickr.auth.oauth.checkToken", oauth_token=fl.c["oauth_token"]))
    assert check.findtext("oauth/perms") == "delete"
    user = check.find("oauth/user")
    assert user is not None and user.get("fullname")
    # Legacy callers may check an OAuth token too (signed), but not another key's.
    legacy = fl.legacy("flickr.auth.oauth.checkToken", oauth_token=fl.c["oauth_token"])
    assert ok(legacy).findtext("oauth/token") == fl.c["oauth_token"]
    assert err(fl.legacy("flickr.auth.oauth.checkToken", oauth_token=VECTOR_TOKEN))[0] == 98


def test_legacy_token_exchanged_for_oauth(fl: Flickr, tether_sandbox: Any) -> None:
    frob = _frob(fl)
    tether_sandbox.approve_flickr(frob=frob, perms="write")
    legacy = ok(fl.legacy("flickr.auth.getToken", frob=frob)).findtext("auth/token")
    assert legacy
    got = ok(fl.legacy("flickr.auth.oauth.getAccessToken", token=legacy)).find("auth/access_token")
    assert got is not None
    pair = (got.get("oauth_token", ""), got.get("oauth_token_secret", ""))
    assert re.fullmatch(r"72157\d{12}-[0-9a-f]{16}", pair[0]) and len(pair[1]) == 16
    assert err(fl.legacy("flickr.test.login", token=legacy))[0] == 98  # deleted
    check = ok(fl.oauth("flickr.auth.oauth.checkToken", token=pair, oauth_token=pair[0]))
    assert check.findtext("oauth/perms") == "write"
    assert err(fl.oauth("flickr.auth.oauth.getAccessToken"))[0] == 98  # not a legacy call
