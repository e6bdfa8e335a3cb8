"""The Flickr emulator, mounted by the sandbox at ``/flickr``.

Paths mirror Flickr's: ``/services/rest/``, ``/services/upload/``, ``/services/replace/``,
``/services/auth/`` (frob login page), ``/services/oauth/{request_token,authorize,access_token}``.
Control routes (mounted at ``/_sandbox/flickr``): ``POST approve`` (``{"frob"}`` or
``{"oauth_token", "perms"}``, ``"deny": true`` to refuse; returns the OAuth verifier),
``POST revoke`` (``{"token"}``: a legacy or OAuth token stops working), ``POST quota``
(``{"per_hour"}``), ``POST transient`` (``{"code": 105, "count": n}``: the next n calls fail
with that code), ``GET stats`` (calls per method, uploads, bytes received).

Invariants:
- All state lives in the ``FlickrEmulator`` instance; ``reset()`` rebuilds the same seeded data.
- Every signature is checked: legacy ``api_sig`` whenever present (and required with a token
  or on ``auth.*`` calls), OAuth 1.0a HMAC-SHA1 from the header, query or form, with the
  upload's text fields signed as a form (flickr.md §5). Secrets never appear in responses
  except Flickr's own ``debug_sbs`` (the base string, which holds no secret).
- Upload bodies are spooled to disk by the multipart parser and hashed in chunks, so a large
  upload does not grow the server's memory.

Choices where flickr.md says "unconfirmed" are marked in comments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any, Final
from urllib.parse import urlencode

from oauthlib.oauth1.rfc5849 import signature as S
from oauthlib.oauth1.rfc5849.utils import escape as escape_oauth
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tether.auth.flickr import legacy_signature

API_KEY: Final = "7f3c2a9e5b1d4c8fa0e6b2d9c4f1a8e3"
SECRET: Final = "b5e1c9d3a7f20486"
USER_NSID: Final = "12037949754@N01"
USERNAME: Final = "tether-tester"
LOGIN: Final = "tester@sandbox.tether"
PASSWORD: Final = "sandbox"
READY_TOKEN: Final = "72157600000000001-7e5d1c3b9a2f4e6d"
READY_OAUTH_TOKEN: Final = "72157626318069415-4c2b8d6e1f3a5c7e"
READY_OAUTH_SECRET: Final = "9d4e2a6c8b1f3e5a"

# Known applications: the sandbox's own, and the placeholder key and secret that FlickrAPI's
# manual uses in every example, so those examples run unchanged against the sandbox.
APPS: Final = {API_KEY: SECRET, "X" * 32: "Y" * 16}
SEED_PHOTOSET: Final = "2b640a3efc262f03567ee93cfd544e14"

PERMS = ("none", "read", "write", "delete")
TAGS = ("cat", "dog", "sunset", "amsterdam", "bridge", "snow", "portrait", "street")
USERS = (
    (USER_NSID, USERNAME, "Tess Tester"),
    ("35034346050@N01", "ada", "Ada Lovelace"),
    ("48889646112@N01", "grace", "Grace Hopper"),
    ("66956608@N00", "alan", "Alan Turing"),
    ("73509078@N00", "sybren", "Sybren Stuvel"),
)
TIMESTAMP_WINDOW = 300  # seconds; Flickr's OAuth window is unconfirmed (flickr.md §14)
TICKET_POLLS = 2  # an async upload completes on the second checkTickets poll


class Fault(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class OAuthFault(Exception):
    def __init__(self, problem: str, extra: dict[str, str] | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.extra = extra or {}


@dataclass
class Who:
    nsid: str | None
    perms: str = "none"


@dataclass
class Photo:
    id: str
    owner: str
    secret: str
    server: str
    farm: int
    title: str
    tags: tuple[str, ...]
    ispublic: int
    posted: int
    description: str = ""
    size: int | None = None
    sha1: str | None = None
    md5: str | None = None


@dataclass
class FlickrState:
    photos: dict[str, Photo]
    order: list[str]
    sets: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, str]]  # legacy token -> {perms, nsid}
    oauth: dict[str, dict[str, str]]  # access token -> {secret, perms, nsid}
    frobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    request_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonces: set[tuple[str, str, str]] = field(default_factory=set)
    next_id: int = 90000000000
    quota_per_hour: int = 3600
    quota_used: Counter[tuple[str, int]] = field(default_factory=Counter)
    transient: tuple[int, int] = (0, 0)  # (code, remaining)
    calls: Counter[str] = field(default_factory=Counter)
    uploads: int = 0
    bytes_received: int = 0

    @classmethod
    def seeded(cls) -> FlickrState:
        rng = random.Random(20240501)
        photos: dict[str, Photo] = {}
        order: list[str] = []
        base = 1_600_000_000
        for i in range(5200):
            owner = USER_NSID if i % 8 == 0 else USERS[1 + i % 4][0]
            pid = str(50_000_000_000 + i * 37)
            tags = tuple(sorted(rng.sample(TAGS, rng.randint(1, 3))))
            photos[pid] = Photo(
                pid,
                owner,
                f"{rng.getrandbits(40):010x}",
                str(rng.randint(1000, 9999)),
                rng.randint(1, 9),
                f"{tags[0].title()} #{i}",
                tags,
                int(rng.random() < 0.9),
                base + i * 3600,
            )
            order.append(pid)
        mine = [p for p in order if photos[p].owner == USER_NSID]
        sets = {}
        for n, (title, size) in enumerate(
            (("Holidays", 100), ("Cats", 40), ("Best of", 12), ("Empty-ish", 3))
        ):
            sid = str(72157600000000100 + n)
            members = mine[n * 50 : n * 50 + size]
            sets[sid] = {
                "id": sid,
                "title": title,
                "description": f"{title} photos",
                "photos": members,
                "owner": USER_NSID,
                "secret": f"{rng.getrandbits(24):06x}",
            }
        # The photoset id FlickrAPI's manual walks in its examples (owned by its author).
        sybren = [p for p in order if photos[p].owner == "73509078@N00"][:30]
        sets[SEED_PHOTOSET] = {
            "id": SEED_PHOTOSET,
            "title": "365",
            "description": "threesixtyfive",
            "photos": sybren,
            "owner": "73509078@N00",
            "secret": f"{rng.getrandbits(24):06x}",
        }
        return cls(
            photos=photos,
            order=order,
            sets=sets,
            tokens={READY_TOKEN: {"perms": "delete", "nsid": USER_NSID}},
            oauth={
                READY_OAUTH_TOKEN: {
                    "secret": READY_OAUTH_SECRET,
                    "perms": "delete",
                    "nsid": USER_NSID,
                }
            },
        )


def credentials(root_url: str) -> dict[str, Any]:
    """The Flickr block of ``GET /_sandbox/credentials``."""
    base = f"{root_url}/flickr"
    return {
        "base_url": base,
        "rest_url": f"{base}/services/rest/",
        "upload_url": f"{base}/services/upload/",
        "replace_url": f"{base}/services/replace/",
        "auth_url": f"{base}/services/auth/",
        "oauth_url": f"{base}/services/oauth/",
        "api_key": API_KEY,
        "secret": SECRET,
        "user": {"nsid": USER_NSID, "username": USERNAME, "login": LOGIN, "password": PASSWORD},
        "token": READY_TOKEN,
        "oauth_token": READY_OAUTH_TOKEN,
        "oauth_token_secret": READY_OAUTH_SECRET,
    }


def _user(nsid: str) -> tuple[str, str, str] | None:
    return next((u for u in USERS if u[0] == nsid), None)


# --- rendering ---------------------------------------------------------------------------

_ALWAYS_LIST = frozenset({"photo", "photoset", "ticket", "tag"})


def _to_json(el: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = dict(el.attrib)
    text = (el.text or "").strip()
    if text:
        out["_content"] = text
    groups: dict[str, list[dict[str, Any]]] = {}
    for child in el:
        groups.setdefault(child.tag, []).append(_to_json(child))
    for tag, items in groups.items():
        out[tag] = items if len(items) > 1 or tag in _ALWAYS_LIST else items[0]
    return out


def _render(payload: list[ET.Element], fmt: str, params: dict[str, str]) -> Response:
    if fmt == "json":
        body: dict[str, Any] = {}
        for el in payload:
            body[el.tag] = (
                ([_to_json(el)] if el.tag in _ALWAYS_LIST else _to_json(el))
                if el.tag not in body
                else body[el.tag]
            )
        body["stat"] = "ok"
        return _json_out(body, params)
    rsp = ET.Element("rsp", stat="ok")
    rsp.extend(payload)
    xml = '<?xml version="1.0" encoding="utf-8" ?>\n' + ET.tostring(rsp, encoding="unicode") + "\n"
    return Response(xml, media_type="text/xml; charset=utf-8")


def _json_out(body: dict[str, Any], params: dict[str, str]) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if params.get("nojsoncallback") != "1":
        text = f"{params.get('jsoncallback') or 'jsonFlickrApi'}({text})"
    return Response(text, media_type="text/javascript; charset=utf-8")


def _fail(code: int, msg: str, fmt: str, params: dict[str, str]) -> Response:
    if fmt == "json":
        return _json_out({"stat": "fail", "code": code, "message": msg}, params)
    xml = (
        '<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n'
        f'\t<err code="{code}" msg="{escape(msg, quote=True)}" />\n</rsp>\n'
    )
    return Response(xml, media_type="text/xml; charset=utf-8")


def _oauth_fail(problem: str, extra: dict[str, str]) -> Response:
    return Response(
        urlencode({"oauth_problem": problem, **extra}),
        status_code=401,
        media_type="text/plain; charset=utf-8",
    )


def _photo_el(p: Photo, tag: str = "photo", **extra: str) -> ET.Element:
    return ET.Element(
        tag,
        id=p.id,
        owner=p.owner,
        secret=p.secret,
        server=p.server,
        farm=str(p.farm),
        title=p.title,
        ispublic=str(p.ispublic),
        isfriend="0",
        isfamily="0",
        attrib=extra,
    )


def _page(
    items: list[Any], params: dict[str, str], default: int
) -> tuple[list[Any], dict[str, str]]:
    try:
        per_page = max(1, min(500, int(params.get("per_page") or default)))
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        raise Fault(3, "Invalid page or per_page") from None
    total = len(items)
    pages = max(1, -(-total // per_page))
    # Flickr keeps answering past the last page (flickr.md §10: hugoh/Offlickr2#7); we serve
    # the last page again, so a client that stops on an empty page never stops.
    shown = min(page, pages)
    chunk = items[(shown - 1) * per_page : shown * per_page]
    return chunk, {
        "page": str(page),
        "pages": str(pages),
        "perpage": str(per_page),
        "total": str(total),
    }


# --- the emulator --------------------------------------------------------------------------


class FlickrEmulator:
    name: Final = "flickr"

    def __init__(self) -> None:
        self.state = FlickrState.seeded()
        self.app = self._build_app()
        self._control = self._build_control()

    @property
    def control(self) -> Any:
        return self._control

    def reset(self) -> None:
        self.state = FlickrState.seeded()

    def error_response(self, status: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        body = f"<html><body><h1>{status}</h1>Flickr is having a problem.</body></html>".encode()
        return status, [(b"content-type", b"text/html; charset=utf-8")], body

    def rate_key(self, scope: Any) -> str:
        client = scope.get("client")
        return f"client:{client[0] if client else '?'}"

    # -- authentication ------------------------------------------------------------------

    def _check_oauth(
        self, request: Request, fields: list[tuple[str, str]], need_token: bool = True
    ) -> dict[str, str]:
        """Verify an OAuth 1.0a signature; returns the oauth_* parameters."""
        auth = request.headers.get("authorization", "")
        headers = {"Authorization": auth} if auth.startswith("OAuth ") else {}
        try:
            params = S.collect_parameters(
                uri_query=request.url.query,
                body=fields,
                headers=headers,
                exclude_oauth_signature=False,
                with_realm=False,
            )
        except ValueError:
            raise OAuthFault("parameter_rejected") from None
        oauth = {k: v for k, v in params if k.startswith("oauth_")}
        for required in ("oauth_consumer_key", "oauth_signature", "oauth_nonce", "oauth_timestamp"):
            if required not in oauth:
                raise OAuthFault("parameter_absent", {"oauth_parameters_absent": required})
        if oauth.get("oauth_signature_method", "HMAC-SHA1") != "HMAC-SHA1":
            raise OAuthFault("signature_method_rejected")
        app_secret = APPS.get(oauth["oauth_consumer_key"])
        if app_secret is None:
            raise OAuthFault("consumer_key_unknown")
        try:
            ts = int(oauth["oauth_timestamp"])
        except ValueError:
            raise OAuthFault("timestamp_refused") from None
        if abs(ts - time.time()) > TIMESTAMP_WINDOW:
            raise OAuthFault("timestamp_refused")
        token = oauth.get("oauth_token")
        token_secret = ""
        if token:
            if request.url.path.endswith("/access_token"):
                rt = self.state.request_tokens.get(token)
                if rt is None or rt.get("denied"):
                    raise OAuthFault("token_rejected")
                token_secret = rt["secret"]
            else:
                at = self.state.oauth.get(token)
                if at is None:
                    raise OAuthFault("token_rejected")
                token_secret = at["secret"]
        elif need_token:
            raise OAuthFault("parameter_absent", {"oauth_parameters_absent": "oauth_token"})
        unsigned = [(k, v) for k, v in params if k != "oauth_signature"]
        base = S.signature_base_string(
            request.method,
            S.base_string_uri(str(request.url).split("?")[0]),
            S.normalize_parameters(unsigned),
        )
        hkey = f"{escape_oauth(app_secret)}&{escape_oauth(token_secret)}".encode()
        expected = base64.b64encode(hmac.new(hkey, base.encode(), hashlib.sha1).digest()).decode()
        if not secrets.compare_digest(expected, oauth["oauth_signature"]):
            raise OAuthFault("signature_invalid", {"debug_sbs": base})
        key = (oauth["oauth_consumer_key"], oauth["oauth_timestamp"], oauth["oauth_nonce"])
        if key in self.state.nonces:
            raise OAuthFault("nonce_used")
        self.state.nonces.add(key)
        return oauth

    def _identify(
        self, request: Request, params: dict[str, str], pairs: list[tuple[str, str]], method: str
    ) -> Who:
        auth = request.headers.get("authorization", "")
        if auth.startswith("OAuth ") or "oauth_signature" in params:
            oauth = self._check_oauth(request, pairs, need_token=False)
            token = oauth.get("oauth_token")
            if token is None:
                return Who(None)
            at = self.state.oauth[token]
            return Who(at["nsid"], at["perms"])
        app_secret = APPS.get(params.get("api_key", ""))
        if app_secret is None:
            raise Fault(
                100,
                "Invalid API Key (Key has invalid format)"
                if params.get("api_key")
                else "Invalid API Key (Key not found)",
            )
        sig = params.get("api_sig")
        token = params.get("auth_token")
        if sig is None:
            if token or method.startswith("flickr.auth."):
                raise Fault(97, "Missing signature")
        elif not secrets.compare_digest(sig, legacy_signature(app_secret, params)):
            raise Fault(96, "Invalid signature")
        if token:
            t = self.state.tokens.get(token)
            if t is None:
                raise Fault(98, "Invalid auth token")
            return Who(t["nsid"], t["perms"])
        return Who(None)

    def _quota(self, key: str) -> bool:
        hour = int(time.time() // 3600)
        self.state.quota_used[(key, hour)] += 1
        return self.state.quota_used[(key, hour)] <= self.state.quota_per_hour

    # -- REST ---------------------------------------------------------------------------------

    async def rest(self, request: Request) -> Response:
        pairs = list(request.query_params.multi_items())
        if request.method == "POST":
            form = await request.form()
            pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        params = dict(pairs)
        fmt = params.get("format", "rest")
        out_fmt = "json" if fmt == "json" else "rest"
        method = params.get("method", "")
        self.state.calls[method] += 1
        try:
            if fmt not in ("rest", "json"):
                raise Fault(111, f'Format "{fmt}" not found')
            who = self._identify(request, params, pairs, method)
            if not self._quota(
                params.get("api_key") or params.get("oauth_consumer_key") or API_KEY
            ):
                # Flickr's answer to an exhausted key quota is undocumented (flickr.md §14):
                # we answer HTTP 429 with Retry-After, as rate-limited HTTP APIs do.
                return Response(
                    "Too many requests for this API key",
                    status_code=429,
                    headers={"Retry-After": "3600"},
                    media_type="text/plain",
                )
            code, left = self.state.transient
            if left > 0:
                self.state.transient = (code, left - 1)
                raise Fault(code, "Service currently unavailable")
            handler = _METHODS.get(method)
            if handler is None:
                raise Fault(112, f'Method "{method}" not found')
            need = _NEEDS.get(method, "none")
            if need != "none" and PERMS.index(who.perms) < PERMS.index(need):
                raise Fault(
                    99,
                    f"Insufficient permissions. Method requires {need} privileges; "
                    f"{who.perms} granted."
                    if who.nsid
                    else "User not logged in / Insufficient permissions",
                )
            for value in params.values():
                if "spam.example" in value:
                    raise Fault(116, "Bad URL found")
            payload = handler(self, params, who)
        except Fault as f:
            return _fail(f.code, f.msg, out_fmt, params)
        except OAuthFault as f:
            return _oauth_fail(f.problem, f.extra)
        return _render(payload, out_fmt, params)

    # -- uploads --------------------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        return await self._upload(request, replace=False)

    async def replace(self, request: Request) -> Response:
        return await self._upload(request, replace=True)

    async def _upload(self, request: Request, replace: bool) -> Response:
        form = await request.form(max_part_size=1024 * 1024)
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        params = dict(fields)
        photo = form.get("photo")
        try:
            try:
                who = self._identify(request, params, fields, "upload")
            finally:
                pass
            if who.nsid is None or PERMS.index(who.perms) < PERMS.index("write"):
                raise Fault(99, "Insufficient permissions. Method requires write privileges")
            if not isinstance(photo, UploadFile):
                raise Fault(2, "No photo specified")
            size, sha1, md5 = 0, hashlib.sha1(), hashlib.md5()
            while chunk := await photo.read(256 * 1024):
                size += len(chunk)
                sha1.update(chunk)
                md5.update(chunk)
            self.state.bytes_received += size
            if size == 0:
                raise Fault(4, "Filesize was zero")
            self.state.uploads += 1
            if replace:
                p = self.state.photos.get(params.get("photo_id", ""))
                if p is None:
                    raise Fault(1, "Photo not found")
                if p.owner != who.nsid:
                    raise Fault(99, "Insufficient permissions: not your photo")
                p.size, p.sha1, p.md5 = size, sha1.hexdigest(), md5.hexdigest()
                p.secret = secrets.token_hex(5)
                result = ET.Element("photoid", secret=p.secret, originalsecret=p.secret)
                result.text = p.id
            else:
                self.state.next_id += 1
                pid = str(self.state.next_id)
                tags = tuple(t.strip('"') for t in _split_tags(params.get("tags", "")))
                p = Photo(
                    pid,
                    who.nsid,
                    secrets.token_hex(5),
                    "7000",
                    8,
                    params.get("title") or (photo.filename or "untitled"),
                    tags,
                    int(params.get("is_public", "1") or 1),
                    int(time.time()),
                    params.get("description", ""),
                    size,
                    sha1.hexdigest(),
                    md5.hexdigest(),
                )
                self.state.photos[pid] = p
                self.state.order.append(pid)
                if params.get("async") == "1":
                    tid = str(len(self.state.tickets) + 1000)
                    self.state.tickets[tid] = {"polls": 0, "photoid": pid}
                    result = ET.Element("ticketid")
                    result.text = tid
                else:
                    result = ET.Element("photoid")
                    result.text = pid
        except Fault as f:
            return _fail(f.code, f.msg, "rest", {})
        except OAuthFault as f:
            return _oauth_fail(f.problem, f.extra)
        finally:
            if isinstance(photo, UploadFile):
                await photo.close()
        return _render([result], "rest", {})

    # -- human pages -----------------------------------------------------------------------

    async def auth_page(self, request: Request) -> Response:
        """The frob login page (legacy): sign in, see the perms, approve or deny."""
        q = dict(request.query_params)
        if request.method == "POST":
            q.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        signed = {k: v for k, v in q.items() if k in ("api_key", "perms", "frob", "api_sig")}
        app_secret = APPS.get(signed.get("api_key", ""))
        if app_secret is None or signed.get("api_sig") != legacy_signature(app_secret, signed):
            return _html_page(
                "Invalid login link", "<p>The link's signature does not check out.</p>", 400
            )
        perms = q.get("perms", "read")
        frob = q.get("frob")
        if request.method == "GET":
            return _login_form(f"Allow this application {escape(perms)} access?", q, "")
        if q.get("login") != LOGIN or q.get("password") != PASSWORD:
            return _login_form(
                f"Allow this application {escape(perms)} access?", q, "Wrong login or password."
            )
        if frob is None:  # web flow: a fresh frob for the app's callback (shown here)
            frob = self._new_frob()
        f = self.state.frobs.get(frob)
        if f is None:
            return _html_page(
                "Unknown frob", "<p>Start the login again from the application.</p>", 400
            )
        if q.get("action") == "deny":
            f["denied"] = True
            return _html_page("Access refused", "<p>The application was not authorised.</p>")
        f["perms"], f["approved"] = perms, True
        return _html_page(
            "You are signed in",
            f"<p>Return to the application. (frob <code>{escape(frob)}</code>)</p>",
        )

    async def authorize_page(self, request: Request) -> Response:
        q = dict(request.query_params)
        if request.method == "POST":
            q.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
        token = q.get("oauth_token", "")
        rt = self.state.request_tokens.get(token)
        perms = q.get("perms", "read")
        if rt is None:
            return _html_page(
                "Unknown request", "<p>This authorisation link is not valid.</p>", 400
            )
        if request.method == "GET":
            return _login_form(f"Allow this application {escape(perms)} access?", q, "")
        if q.get("login") != LOGIN or q.get("password") != PASSWORD:
            return _login_form(
                f"Allow this application {escape(perms)} access?", q, "Wrong login or password."
            )
        if q.get("action") == "deny":
            rt["denied"] = True
            return _html_page("Access refused", "<p>The application was not authorised.</p>")
        verifier = self._approve_request_token(token, perms)
        if rt["callback"] == "oob":
            return _html_page(
                "Your code",
                f"<p>Type this code in the application: <code>{escape(verifier)}</code></p>",
            )
        sep = "&" if "?" in rt["callback"] else "?"
        return RedirectResponse(
            rt["callback"] + sep + urlencode({"oauth_token": token, "oauth_verifier": verifier}),
            status_code=303,
        )

    def _approve_request_token(self, token: str, perms: str) -> str:
        rt = self.state.request_tokens[token]
        rt.update(perms=perms, approved=True, verifier=secrets.token_hex(8))
        return str(rt["verifier"])

    def _new_frob(self) -> str:
        frob = f"72157{secrets.randbelow(10**12):012d}-{secrets.token_hex(8)}-{secrets.randbelow(10**6)}"
        self.state.frobs[frob] = {"approved": False}
        return frob

    async def request_token(self, request: Request) -> Response:
        form = await request.form()
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        try:
            oauth = self._check_oauth(request, pairs, need_token=False)
        except OAuthFault as f:
            return _oauth_fail(f.problem, f.extra)
        callback = oauth.get("oauth_callback", "oob")
        token = f"72157{secrets.randbelow(10**12):012d}-{secrets.token_hex(8)}"
        self.state.request_tokens[token] = {"secret": secrets.token_hex(8), "callback": callback}
        body = urlencode(
            {
                "oauth_callback_confirmed": "true",
                "oauth_token": token,
                "oauth_token_secret": self.state.request_tokens[token]["secret"],
            }
        )
        return Response(body, media_type="text/plain; charset=utf-8")

    async def access_token(self, request: Request) -> Response:
        form = await request.form()
        pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        try:
            oauth = self._check_oauth(request, pairs, need_token=True)
            rt = self.state.request_tokens[oauth["oauth_token"]]
            if not rt.get("approved") or oauth.get("oauth_verifier") != rt.get("verifier"):
                raise OAuthFault("token_rejected")
        except OAuthFault as f:
            return _oauth_fail(f.problem, f.extra)
        del self.state.request_tokens[oauth["oauth_token"]]
        token = f"72157{secrets.randbelow(10**12):012d}-{secrets.token_hex(8)}"
        secret = secrets.token_hex(8)
        self.state.oauth[token] = {"secret": secret, "perms": rt["perms"], "nsid": USER_NSID}
        return Response(
            urlencode(
                {
                    "fullname": USERS[0][2],
                    "oauth_token": token,
                    "oauth_token_secret": secret,
                    "user_nsid": USER_NSID,
                    "username": USERNAME,
                }
            ),
            media_type="text/plain; charset=utf-8",
        )

    # -- apps -------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        app = Starlette(
            routes=[
                Route("/services/rest/", self.rest, methods=["GET", "POST"]),
                Route("/services/upload/", self.upload, methods=["POST"]),
                Route("/services/replace/", self.replace, methods=["POST"]),
                Route("/services/auth/", self.auth_page, methods=["GET", "POST"]),
                Route("/services/oauth/request_token", self.request_token, methods=["GET", "POST"]),
                Route("/services/oauth/authorize", self.authorize_page, methods=["GET", "POST"]),
                Route("/services/oauth/access_token", self.access_token, methods=["GET", "POST"]),
            ]
        )
        app.state.emulator = self
        return app

    def _build_control(self) -> Starlette:
        async def body(request: Request) -> dict[str, Any]:
            try:
                data = await request.json()
            except ValueError:
                data = None
            return data if isinstance(data, dict) else {}

        async def approve(request: Request) -> Response:
            b = await body(request)
            if "frob" in b:
                f = self.state.frobs.get(str(b["frob"]))
                if f is None:
                    return JSONResponse({"error": "unknown frob"}, status_code=404)
                if b.get("deny"):
                    f["denied"] = True
                else:
                    f.update(approved=True, perms=str(b.get("perms", "delete")))
                return JSONResponse({"frob": b["frob"], "approved": not b.get("deny")})
            token = str(b.get("oauth_token", ""))
            if token not in self.state.request_tokens:
                return JSONResponse({"error": "unknown request token"}, status_code=404)
            if b.get("deny"):
                self.state.request_tokens[token]["denied"] = True
                return JSONResponse({"oauth_token": token, "approved": False})
            verifier = self._approve_request_token(token, str(b.get("perms", "read")))
            return JSONResponse({"oauth_token": token, "oauth_verifier": verifier})

        async def revoke(request: Request) -> Response:
            token = str((await body(request)).get("token", ""))
            found = self.state.tokens.pop(token, None) or self.state.oauth.pop(token, None)
            return JSONResponse({"revoked": found is not None}, status_code=200 if found else 404)

        async def quota(request: Request) -> Response:
            self.state.quota_per_hour = int((await body(request)).get("per_hour", 3600))
            return JSONResponse({"per_hour": self.state.quota_per_hour})

        async def transient(request: Request) -> Response:
            b = await body(request)
            self.state.transient = (int(b.get("code", 105)), int(b.get("count", 1)))
            return JSONResponse({"code": self.state.transient[0], "count": self.state.transient[1]})

        async def stats(request: Request) -> Response:
            return JSONResponse(
                {
                    "calls": dict(self.state.calls),
                    "uploads": self.state.uploads,
                    "bytes_received": self.state.bytes_received,
                }
            )

        return Starlette(
            routes=[
                Route("/approve", approve, methods=["POST"]),
                Route("/revoke", revoke, methods=["POST"]),
                Route("/quota", quota, methods=["POST"]),
                Route("/transient", transient, methods=["POST"]),
                Route("/stats", stats, methods=["GET"]),
            ]
        )


def create_app() -> Starlette:
    """A fresh Flickr emulator app; its ``FlickrEmulator`` is ``app.state.emulator``."""
    return FlickrEmulator().app


def _split_tags(text: str) -> list[str]:
    out, cur, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#222}"
    "h1{color:#0063dc;font-size:1.5rem}label{display:block;margin:.6rem 0}"
    "input{margin-left:.5rem}button{margin:.8rem .6rem 0 0;padding:.4rem 1rem}"
    ".error{color:#b00020;font-weight:bold}footer{margin-top:2rem;color:#666;font-size:.9rem}"
)


def _html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} - Flickr "
        f"(tether sandbox)</title><style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"{body}<footer>tether sandbox: an offline emulator of the Flickr API.</footer>"
        "</body></html>",
        status_code=status,
    )


def _login_form(title: str, q: dict[str, str], error: str) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in q.items()
        if k not in ("login", "password", "action")
    )
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _html_page(
        title,
        f"{err}<form method='post'>{hidden}"
        "<p>An application asks to use your Flickr account (signed in as the sandbox's test "
        f"user). Permission asked: <strong>{escape(q.get('perms', 'read'))}</strong></p>"
        f"<label>Email <input name='login' value='{escape(q.get('login', ''))}'></label>"
        "<label>Password <input name='password' type='password'></label>"
        "<button name='action' value='approve'>OK, I'll authorize it</button>"
        "<button name='action' value='deny'>No thanks</button></form>",
        401 if error else 200,
    )


# --- methods ---------------------------------------------------------------------------------


def _m_echo(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    out = []
    for k, v in p.items():
        el = ET.Element(k)
        el.text = v
        out.append(el)
    return out


def _m_login(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    if who.nsid is None:
        raise Fault(99, "User not logged in / Insufficient permissions")
    user = ET.Element("user", id=who.nsid)
    ET.SubElement(user, "username").text = (_user(who.nsid) or ("", "?", ""))[1]
    return [user]


def _m_get_frob(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    el = ET.Element("frob")
    el.text = em._new_frob()
    return [el]


def _auth_el(token: str, perms: str, nsid: str, tag: str = "auth") -> ET.Element:
    u = _user(nsid) or (nsid, "?", "?")
    auth = ET.Element(tag)
    ET.SubElement(auth, "token").text = token
    ET.SubElement(auth, "perms").text = perms
    ET.SubElement(auth, "user", nsid=nsid, username=u[1], fullname=u[2])
    return auth


def _m_get_token(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    frob = p.get("frob", "")
    f = em.state.frobs.get(frob)
    if f is None or not f.get("approved") or f.get("denied"):
        raise Fault(108, "Invalid frob")
    del em.state.frobs[frob]  # single use
    token = f"72157{secrets.randbelow(10**12):012d}-{secrets.token_hex(8)}"
    em.state.tokens[token] = {"perms": f["perms"], "nsid": USER_NSID}
    return [_auth_el(token, f["perms"], USER_NSID)]


def _m_check_token(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    token = p.get("auth_token", "")
    t = em.state.tokens.get(token)
    if t is None:
        raise Fault(98, "Invalid auth token")
    return [_auth_el(token, t["perms"], t["nsid"])]


def _m_oauth_check(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    token = p.get("oauth_token", "")
    t = em.state.oauth.get(token)
    if t is None:
        raise Fault(98, "Invalid token")
    return [_auth_el(token, t["perms"], t["nsid"], tag="oauth")]


def _visible(em: FlickrEmulator, who: Who) -> list[Photo]:
    return [
        ph
        for pid in em.state.order
        if (ph := em.state.photos[pid]).ispublic or ph.owner == who.nsid
    ]


def _m_search(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    photos = _visible(em, who)
    user = p.get("user_id")
    if user:
        photos = [ph for ph in photos if ph.owner == (who.nsid if user == "me" else user)]
    tags = [t.strip().lower() for t in p.get("tags", "").split(",") if t.strip()]
    if tags:
        mode_all = p.get("tag_mode") == "all"
        photos = [ph for ph in photos if (all if mode_all else any)(t in ph.tags for t in tags)]
    text = p.get("text", "").lower()
    if text:
        photos = [ph for ph in photos if text in ph.title.lower() or text in " ".join(ph.tags)]
    chunk, attrs = _page(photos, p, 100)
    el = ET.Element("photos", attrs)
    el.extend(_photo_el(ph) for ph in chunk)
    return [el]


def _get_photo(em: FlickrEmulator, p: dict[str, str], who: Who) -> Photo:
    ph = em.state.photos.get(p.get("photo_id", ""))
    if ph is None or not (ph.ispublic or ph.owner == who.nsid):
        raise Fault(1, f'Photo "{p.get("photo_id", "")}" not found (invalid ID)')
    return ph


def _m_info(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    ph = _get_photo(em, p, who)
    el = ET.Element("photo", id=ph.id, secret=ph.secret, server=ph.server, farm=str(ph.farm))
    u = _user(ph.owner) or (ph.owner, "?", "?")
    ET.SubElement(el, "owner", nsid=ph.owner, username=u[1], realname=u[2])
    ET.SubElement(el, "title").text = ph.title
    ET.SubElement(el, "description").text = ph.description
    ET.SubElement(el, "dates", posted=str(ph.posted))
    tags = ET.SubElement(el, "tags")
    for t in ph.tags:
        ET.SubElement(tags, "tag", raw=t).text = t.replace(" ", "")
    if ph.size is not None:
        # Sandbox extension: what the emulator received, so tests can check an upload.
        ET.SubElement(el, "upload", size=str(ph.size), sha1=ph.sha1 or "", md5=ph.md5 or "")
    return [el]


def _m_set_meta(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    ph = _get_photo(em, p, who)
    if ph.owner != who.nsid:
        raise Fault(99, "Insufficient permissions: not your photo")
    if "title" in p:
        ph.title = p["title"]
    if "description" in p:
        ph.description = p["description"]
    return []


def _m_delete(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    ph = _get_photo(em, p, who)
    if ph.owner != who.nsid:
        raise Fault(99, "Insufficient permissions: not your photo")
    del em.state.photos[ph.id]
    em.state.order.remove(ph.id)
    return []


def _m_sets(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    user = p.get("user_id") or who.nsid
    if user is None:
        raise Fault(2, "User not found")
    sets = [s for s in em.state.sets.values() if s["owner"] == user]
    el = ET.Element("photosets", cancreate="1")
    for s in sets:
        members = [m for m in s["photos"] if m in em.state.photos]
        primary = members[0] if members else ""
        ps = ET.SubElement(
            el,
            "photoset",
            id=s["id"],
            primary=primary,
            secret=s["secret"],
            server="8",
            photos=str(len(members)),
        )
        ET.SubElement(ps, "title").text = s["title"]
        ET.SubElement(ps, "description").text = s["description"]
    return [el]


def _m_set_photos(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    s = em.state.sets.get(p.get("photoset_id", ""))
    if s is None:
        raise Fault(1, "Photoset not found")
    members = [em.state.photos[m] for m in s["photos"] if m in em.state.photos]
    chunk, attrs = _page(members, p, 500)
    el = ET.Element(
        "photoset",
        {"id": s["id"], "primary": members[0].id if members else "", "owner": s["owner"], **attrs},
    )
    el.extend(_photo_el(ph, isprimary=str(int(i == 0))) for i, ph in enumerate(chunk))
    return [el]


def _m_person(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    u = _user(p.get("user_id", ""))
    if u is None:
        raise Fault(1, "User not found")
    el = ET.Element("person", nsid=u[0], ispro="0")
    ET.SubElement(el, "username").text = u[1]
    ET.SubElement(el, "realname").text = u[2]
    photos = ET.SubElement(el, "photos")
    ET.SubElement(photos, "count").text = str(
        sum(1 for ph in em.state.photos.values() if ph.owner == u[0])
    )
    return [el]


def _m_people_photos(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    user = p.get("user_id", "me")
    nsid = who.nsid if user == "me" else user
    if nsid is None or _user(nsid) is None:
        raise Fault(2, "Unknown user")
    photos = [ph for ph in _visible(em, who) if ph.owner == nsid]
    chunk, attrs = _page(photos, p, 100)
    el = ET.Element("photos", attrs)
    el.extend(_photo_el(ph) for ph in chunk)
    return [el]


def _m_tickets(em: FlickrEmulator, p: dict[str, str], who: Who) -> list[ET.Element]:
    el = ET.Element("uploader")
    for tid in [t for t in p.get("tickets", "").split(",") if t]:
        t = em.state.tickets.get(tid)
        if t is None:
            ET.SubElement(el, "ticket", id=tid, invalid="1")
            continue
        t["polls"] += 1
        if t["polls"] >= TICKET_POLLS:
            ET.SubElement(el, "ticket", id=tid, complete="1", photoid=t["photoid"])
        else:
            ET.SubElement(el, "ticket", id=tid, complete="0")
    return [el]


_METHODS = {
    "flickr.test.echo": _m_echo,
    "flickr.test.login": _m_login,
    "flickr.auth.getFrob": _m_get_frob,
    "flickr.auth.getToken": _m_get_token,
    "flickr.auth.checkToken": _m_check_token,
    "flickr.auth.oauth.checkToken": _m_oauth_check,
    "flickr.photos.search": _m_search,
    "flickr.photos.getInfo": _m_info,
    "flickr.photos.setMeta": _m_set_meta,
    "flickr.photos.delete": _m_delete,
    "flickr.photosets.getList": _m_sets,
    "flickr.photosets.getPhotos": _m_set_photos,
    "flickr.people.getInfo": _m_person,
    "flickr.people.getPhotos": _m_people_photos,
    "flickr.people.getPublicPhotos": _m_people_photos,
    "flickr.photos.upload.checkTickets": _m_tickets,
}

_NEEDS = {
    "flickr.test.login": "read",
    "flickr.photos.setMeta": "write",
    "flickr.photos.delete": "delete",
}
