"""The emulator kit's OAuth 2 server: a toy emulator built on it, served over loopback, and
tether's own OAuth 2 strategies (``tether.auth.oauth2``) run against it on a real runtime, as
a service's facade runs them. Each grant, each refusal, and the authorize page in a browser's
place (plain GETs and form POSTs)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3
from starlette.applications import Starlette

from tests.sandbox.loopback import serving_app
from tether.auth import oauth2 as client_side
from tether.core.errors import AuthError
from tether.runtime import AsyncRuntime, make_runtime
from tether.sandbox.kit.base import EmulatorBase
from tether.sandbox.kit.oauth2 import (
    GRANT_TYPES,
    AuthorizationServer,
    Config,
    OAuth2State,
    OAuthClient,
    pkce_matches,
)
from tether.sandbox.kit.pages import Shell, TestAccount
from tether.transport import TransportOptions

REDIRECT = "http://127.0.0.1:9/callback"
USER, PASSWORD = "toy-user", "toy-pass"


@dataclass
class _Stats:
    minted: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"minted": self.minted}


@dataclass
class _Settings:
    expires_in: int = 3600


class Toy(EmulatorBase):
    """An emulator whose whole auth is the kit: a confidential client, a second one, a
    public one, and one user."""

    name = "toy"
    stats_type = _Stats
    settings_type = _Settings
    clients: ClassVar[Mapping[str, OAuthClient]] = {
        "conf": OAuthClient("conf", "conf-secret", (REDIRECT,), GRANT_TYPES, "Toy <App>"),
        "other": OAuthClient("other", "other-secret", (REDIRECT,), GRANT_TYPES, "Other"),
        "public": OAuthClient(
            "public", None, (REDIRECT,), frozenset({"authorization_code", "refresh_token"})
        ),
    }

    def __init__(self) -> None:
        super().__init__()
        shell = Shell("Toy", TestAccount(USER, PASSWORD))
        config = Config(scopes=frozenset({"photos", "profile"}), scope_text={"photos": "see"})
        self.app = Starlette(routes=AuthorizationServer(self, shell, config).routes())

    def seed(self) -> None:
        super().seed()
        self.oauth2_state = OAuth2State()
        self.tokens: dict[str, tuple[str, str | None, str]] = {}

    def oauth2_client(self, client_id: str) -> OAuthClient | None:
        return self.clients.get(client_id)

    def oauth2_user(self, login: str, password: str) -> str | None:
        return "u1" if (login, password) == (USER, PASSWORD) else None

    def oauth2_expires_in(self) -> int:
        return int(self.settings.expires_in)

    def oauth2_mint(
        self, client: OAuthClient, user: str | None, scope: str, expires_in: int
    ) -> str:
        self.stats.minted += 1
        token = f"tok-{self.stats.minted}"
        self.tokens[token] = (client.client_id, user, scope)
        return token


@dataclass
class World:
    toy: Toy
    root: str
    run: Any
    http: urllib3.PoolManager

    def client(self, client_id: str = "conf", secret: str | None = None) -> client_side.Client:
        known = Toy.clients[client_id].secret or ""
        return client_side.Client(
            client_id,
            known if secret is None else secret,
            token_url=f"{self.root}/oauth2/token",
            authorize_url=f"{self.root}/oauth2/authorize",
        )

    def decide(self, url: str, action: str = "approve", password: str = PASSWORD) -> Any:
        """What a person does: open the page, sign in, press a button (the form posts to the
        page's own URL, its query included)."""
        page = self.http.request("GET", url, redirect=False)
        assert page.status == 200, page.data
        fields = {"login": USER, "password": password, "action": action}
        return self.http.request("POST", url, fields=fields, encode_multipart=False, redirect=False)

    def approved(self, pending: client_side.AuthorizationRequest) -> str:
        answer = self.decide(pending.url)
        assert answer.status == 303, answer.data
        location: str = answer.headers["Location"]
        return location


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Toy, str]]:
    toy = Toy()
    with serving_app(toy.app) as root:
        yield toy, root


@pytest.fixture
def world(served: tuple[Toy, str]) -> Iterator[World]:
    toy, root = served
    toy.reset()
    runtime = make_runtime(True, None, TransportOptions())
    yield World(toy, root, runtime.run, urllib3.PoolManager())
    runtime.close()  # type: ignore[union-attr]


def _refused(world: World, flow: Any, error: str) -> str:
    with pytest.raises(AuthError) as info:
        world.run(flow)
    assert f"({error}" in str(info.value), str(info.value)
    return str(info.value)


# -- grants ---------------------------------------------------------------------------------


def test_client_credentials(world: World) -> None:
    token = world.run(client_side.client_credentials(world.client(), scope="photos"))
    assert world.toy.tokens[token.access_token] == ("conf", None, "photos")
    assert token.refresh_token is None and token.scope == "photos"
    assert token.expires_at < float("inf")
    _refused(world, client_side.client_credentials(world.client(secret="nope")), "invalid_client")
    _refused(world, client_side.client_credentials(world.client(), scope="admin"), "invalid_scope")
    assert world.toy.stats.minted == 1  # refusals mint nothing


def test_client_credentials_on_the_async_runtime(served: tuple[Toy, str]) -> None:
    toy, root = served
    toy.reset()
    client = client_side.Client("conf", "conf-secret", token_url=f"{root}/oauth2/token")

    async def main() -> client_side.Token:
        runtime = make_runtime(False, None, TransportOptions())
        assert isinstance(runtime, AsyncRuntime)
        try:
            token: client_side.Token = await runtime.run(client_side.client_credentials(client))
            return token
        finally:
            await runtime.aclose()

    token = asyncio.run(main())
    assert toy.tokens[token.access_token] == ("conf", None, "")


def test_code_with_pkce_and_a_wrong_verifier(world: World) -> None:
    client = world.client()
    pending = client_side.begin_authorization(client, REDIRECT, "photos profile")
    location = world.approved(pending)
    assert location.startswith(REDIRECT + "?code=")
    wrong = replace(pending, code_verifier="x" * 43)
    said = _refused(world, client_side.authorization_code(client, wrong, location), "invalid_grant")
    assert "verifier" in said
    # A refused request spends nothing: the right verifier still trades the code.
    token = world.run(client_side.authorization_code(client, pending, location))
    assert world.toy.tokens[token.access_token] == ("conf", "u1", "photos profile")
    assert token.refresh_token


def test_a_code_is_single_use_and_its_reuse_revokes_the_refresh_token(world: World) -> None:
    client = world.client()
    pending = client_side.begin_authorization(client, REDIRECT, "photos")
    location = world.approved(pending)
    token = world.run(client_side.authorization_code(client, pending, location))
    _refused(world, client_side.authorization_code(client, pending, location), "invalid_grant")
    assert token.refresh_token is not None
    _refused(world, client_side.refresh(client, token.refresh_token), "invalid_grant")


def test_an_expired_code_is_refused(world: World) -> None:
    client = world.client()
    pending = client_side.begin_authorization(client, REDIRECT, "photos")
    location = world.approved(pending)
    world.toy.skew = 601.0  # the code lives 600 s on the emulator's clock
    _refused(world, client_side.authorization_code(client, pending, location), "invalid_grant")
    world.toy.skew = 0.0
    assert world.run(client_side.authorization_code(client, pending, location)).access_token


def test_another_clients_code_or_redirect_is_refused(world: World) -> None:
    pending = client_side.begin_authorization(world.client(), REDIRECT, "photos")
    location = world.approved(pending)
    other = world.client("other")
    _refused(world, client_side.authorization_code(other, pending, location), "invalid_grant")
    moved = replace(pending, redirect_uri=REDIRECT + "/elsewhere")
    said = _refused(
        world, client_side.authorization_code(world.client(), moved, location), "invalid_grant"
    )
    assert "redirect_uri" in said
    assert world.run(client_side.authorization_code(world.client(), pending, location))


def test_a_public_client_must_use_pkce(world: World) -> None:
    public = world.client("public")
    pending = client_side.begin_authorization(public, REDIRECT, "photos")
    token = world.run(client_side.authorization_code(public, pending, world.approved(pending)))
    assert world.toy.tokens[token.access_token][0] == "public"
    bare = client_side.begin_authorization(public, REDIRECT, "photos", pkce=False)
    answer = world.http.request("GET", bare.url, redirect=False)
    got = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert (answer.status, got["error"], got["state"]) == (303, ["invalid_request"], [bare.state])
    _refused(world, client_side.client_credentials(public), "unauthorized_client")


def test_plain_pkce(world: World) -> None:
    assert pkce_matches("plain", "v" * 43, "v" * 43) and not pkce_matches("plain", "v" * 43, "w")
    verifier = "p" * 43
    client = world.client()
    url = client.authorize_url + "?" + urlencode(
        {"response_type": "code", "client_id": "conf", "redirect_uri": REDIRECT, "state": "s1",
         "code_challenge": verifier, "code_challenge_method": "plain"}
    )  # fmt: skip
    location = world.approved(client_side.AuthorizationRequest(url, "s1", REDIRECT))
    pending = client_side.AuthorizationRequest(url, "s1", REDIRECT, verifier)
    assert world.run(client_side.authorization_code(client, pending, location)).access_token


def test_refresh_rotates(world: World) -> None:
    client = world.client()
    first = world.run(client_side.password(client, USER, PASSWORD, scope="photos profile"))
    assert first.refresh_token is not None
    second = world.run(client_side.refresh(client, first.refresh_token, scope="photos"))
    assert second.refresh_token not in (None, first.refresh_token)
    assert world.toy.tokens[second.access_token] == ("conf", "u1", "photos")
    _refused(world, client_side.refresh(client, first.refresh_token), "invalid_grant")  # spent
    assert second.refresh_token is not None
    _refused(
        world, client_side.refresh(client, second.refresh_token, scope="admin"), "invalid_scope"
    )
    # Another client cannot spend it, and a refused refresh left it usable.
    _refused(
        world, client_side.refresh(world.client("other"), second.refresh_token), "invalid_grant"
    )
    assert world.run(client_side.refresh(client, second.refresh_token)).scope == "photos"


def test_password_grant(world: World) -> None:
    token = world.run(client_side.password(world.client(), USER, PASSWORD))
    assert world.toy.tokens[token.access_token] == ("conf", "u1", "")
    _refused(world, client_side.password(world.client(), USER, "wrong"), "invalid_grant")


def test_implicit_grant_puts_the_token_in_the_fragment(world: World) -> None:
    client = world.client()
    pending = client_side.begin_authorization(client, REDIRECT, "photos", response_type="token")
    location = world.approved(pending)
    parts = urlsplit(location)
    assert parts.query == "" and "access_token=" in parts.fragment
    token = client_side.implicit_token(location, pending.state, world.toy.now())
    assert world.toy.tokens[token.access_token] == ("conf", "u1", "photos")
    assert token.refresh_token is None and token.expires_at < float("inf")


def test_deny_redirects_with_access_denied_and_the_state(world: World) -> None:
    pending = client_side.begin_authorization(world.client(), REDIRECT, "photos")
    answer = world.decide(pending.url, action="deny", password="")
    assert answer.status == 303
    got = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert got == {"error": ["access_denied"], "state": [pending.state]}
    with pytest.raises(AuthError, match="access_denied"):
        client_side.parse_redirect(answer.headers["Location"], pending.state)
    assert world.toy.oauth2_state.codes == {}


# -- the authorize page ---------------------------------------------------------------------


def test_the_page_names_the_account_and_escapes_a_hostile_state(world: World) -> None:
    client = world.client()
    url = client.authorize_url + "?" + urlencode(
        {"response_type": "code", "client_id": "conf", "redirect_uri": REDIRECT,
         "state": '"><script>x</script>', "code_challenge": "c" * 43}
    )  # fmt: skip
    page = world.http.request("GET", url).data.decode()
    assert "<kbd>toy-user</kbd>" in page and "<kbd>toy-pass</kbd>" in page
    assert "<script>" not in page and "Toy &lt;App&gt;" in page
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    wrong = world.decide(url, password="nope")
    assert wrong.status == 401 and b'role="alert"' in wrong.data


def test_an_unregistered_redirect_or_client_gets_a_page_never_a_redirect(world: World) -> None:
    base = world.client().authorize_url + "?"
    for query in (
        {"response_type": "code", "client_id": "conf", "redirect_uri": "https://evil.example/"},
        {"response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT},
    ):
        r = world.http.request("GET", base + urlencode(query), redirect=False)
        assert r.status == 400 and "Location" not in r.headers
        assert r.headers["Content-Type"].startswith("text/html")
    r = world.http.request(
        "GET", base + urlencode({"response_type": "nope", "client_id": "conf", "state": "s"}),
        redirect=False,
    )  # fmt: skip
    # One registered redirect_uri: it may be left out, and errors go there.
    got = parse_qs(urlsplit(r.headers["Location"]).query)
    assert got["error"] == ["unsupported_response_type"] and got["state"] == ["s"]


# -- the token endpoint's answers -----------------------------------------------------------


def test_rfc6749_error_answers(world: World) -> None:
    url = f"{world.root}/oauth2/token"
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(body: bytes, headers: dict[str, str]) -> tuple[int, str, Any]:
        r = world.http.request("POST", url, body=body, headers=headers)
        return r.status, json.loads(r.data).get("error", ""), r.headers

    basic = urllib3.make_headers(basic_auth="conf:conf-secret")
    status, error, headers = post(b"grant_type=client_credentials", {**basic, **form})
    assert (status, error) == (200, "") and headers["Cache-Control"] == "no-store"
    assert post(b"grant_type=x", {**basic})[:2] == (400, "invalid_request")
    assert post(b"grant_type=x", {**basic, **form})[:2] == (400, "unsupported_grant_type")
    twice = b"grant_type=password&grant_type=password"
    assert post(twice, {**basic, **form})[:2] == (400, "invalid_request")
    assert post(b"grant_type=authorization_code", {**basic, **form})[:2] == (
        400,
        "invalid_request",
    )
    bad = urllib3.make_headers(basic_auth="conf:nope")
    status, error, headers = post(b"grant_type=client_credentials", {**bad, **form})
    assert (status, error) == (401, "invalid_client")
    assert headers["WWW-Authenticate"] == 'Basic realm="tether sandbox"'
    assert headers["Cache-Control"] == "no-store"
