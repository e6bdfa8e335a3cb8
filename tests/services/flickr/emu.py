"""Driving the Flickr emulator by hand: raw urllib3, legacy signatures computed here, OAuth
signatures by oauthlib's ``Client`` (a signer independent of both tether's client and the
emulator's checker). Nothing from ``tether.services.flickr`` is imported, on purpose.

oauthlib's ``Client.sign`` logs base strings and signatures at DEBUG; the suite's secret
canary would rightly flag that, so signing runs with the ``oauthlib`` logger quietened.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import urllib3
from oauthlib.oauth1 import (
    SIGNATURE_TYPE_AUTH_HEADER,
    SIGNATURE_TYPE_BODY,
    SIGNATURE_TYPE_QUERY,
    Client,
)

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=30))
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PLACEMENTS = {
    "header": SIGNATURE_TYPE_AUTH_HEADER,
    "query": SIGNATURE_TYPE_QUERY,
    "body": SIGNATURE_TYPE_BODY,
}
#: The §13 test-vector application, a known application of the emulator. Its values are not
#: in the sandbox's credentials block (so not log canaries): tests may put them in URLs.
VECTOR_KEY = "0123456789abcdef0123456789abcdef"
VECTOR_SECRET = "fedcba9876543210"
VECTOR_TOKEN = "72157626318069415-087bfc7b5816092c"
VECTOR_TOKEN_SECRET = "a202d1f853ec69de"


def md5_sig(secret: str, params: Mapping[str, str]) -> str:
    """flickr.md §5.1, written out: secret + sorted name/value pairs, MD5 hex. Every parameter
    but ``api_sig`` is signed: an upload's ``photo`` is its file part, never among ``params``
    (``upload`` sends it apart), and on a REST call ``photo`` is signed like any other."""
    text = secret + "".join(k + params[k] for k in sorted(params) if k != "api_sig")
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def signed(secret: str, **params: str) -> dict[str, str]:
    return {**params, "api_sig": md5_sig(secret, params)}


def post(
    url: str, fields: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> urllib3.BaseHTTPResponse:
    return HTTP.request(
        "POST", url, body=urlencode(fields), headers={**FORM, **(headers or {})}, redirect=False
    )


def get(url: str, fields: Mapping[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    query = f"?{urlencode(fields)}" if fields else ""
    return HTTP.request("GET", url + query, redirect=False)


def rsp(r: urllib3.BaseHTTPResponse) -> ET.Element:
    assert r.status == 200, (r.status, r.data[:300])
    return ET.fromstring(r.data)


def ok(r: urllib3.BaseHTTPResponse) -> ET.Element:
    root = rsp(r)
    assert root.get("stat") == "ok", r.data[:300]
    return root


def err(r: urllib3.BaseHTTPResponse) -> tuple[int, str]:
    """(code, msg) of an XML failure."""
    root = rsp(r)
    assert root.get("stat") == "fail", r.data[:300]
    e = root.find("err")
    assert e is not None
    return int(e.get("code", "-1")), e.get("msg", "")


def jsonp(body: bytes, callback: str = "jsonFlickrApi") -> Any:
    text = body.decode()
    assert text.startswith(callback + "(") and text.endswith(")"), text[:80]
    return json.loads(text[len(callback) + 1 : -1])


def form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


@contextlib.contextmanager
def quiet_oauthlib() -> Iterator[None]:
    logger = logging.getLogger("oauthlib")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def oauth_request(
    method: str,
    url: str,
    fields: Mapping[str, str],
    *,
    key: str,
    secret: str,
    token: str | None = None,
    token_secret: str | None = None,
    placement: str = "header",
    callback: str | None = None,
    verifier: str | None = None,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> urllib3.BaseHTTPResponse:
    """Sign with oauthlib and send; ``fields`` go in the form body (POST) or query (GET)."""
    client = Client(
        key,
        client_secret=secret,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        callback_uri=callback,
        verifier=verifier,
        signature_type=PLACEMENTS[placement],
        nonce=nonce or uuid.uuid4().hex,
        timestamp=str(timestamp if timestamp is not None else int(time.time())),
    )
    with quiet_oauthlib():
        if method == "GET":
            uri, headers, _ = client.sign(
                url + (f"?{urlencode(fields)}" if fields else ""), http_method="GET"
            )
            return HTTP.request("GET", uri, headers=headers, redirect=False)
        uri, headers, body = client.sign(
            url, http_method=method, body=urlencode(fields) if fields else "", headers=dict(FORM)
        )
    return HTTP.request(method, uri, body=body or "", headers=headers, redirect=False)


class Flickr:
    """The sandbox's Flickr credentials and a few ways to call with them."""

    def __init__(self, creds: Mapping[str, Any]) -> None:
        self.c = creds
        self.rest = str(creds["rest_url"])
        self.key = str(creds["api_key"])
        self.secret = str(creds["secret"])
        self.oauth_url = str(creds["oauth_url"])

    def legacy(
        self, method: str, token: str | None = None, sign: bool = True, **params: str
    ) -> urllib3.BaseHTTPResponse:
        fields = {"method": method, "api_key": self.key, **params}
        if token is not None:
            fields["auth_token"] = token
        return post(self.rest, signed(self.secret, **fields) if sign else fields)

    def oauth(
        self,
        method: str,
        token: tuple[str, str] | None = None,
        placement: str = "header",
        **params: str,
    ) -> urllib3.BaseHTTPResponse:
        tok, tsecret = token or (self.c["oauth_token"], self.c["oauth_token_secret"])
        return oauth_request(
            "POST",
            self.rest,
            {"method": method, **params},
            key=self.key,
            secret=self.secret,
            token=tok,
            token_secret=tsecret,
            placement=placement,
        )

    def anon(self, method: str, **params: str) -> urllib3.BaseHTTPResponse:
        return post(self.rest, {"method": method, "api_key": self.key, **params})


def multipart(
    fields: Mapping[str, str], photo: bytes | None, filename: str = "photo.jpg"
) -> tuple[bytes, str]:
    """A multipart/form-data body: text fields, then the ``photo`` part (as 1.4 sends it)."""
    boundary = "tetherTestBoundary7MA4YWxkTrZu0gW"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    if photo is not None:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        out += photo + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def upload(
    url: str,
    fields: Mapping[str, str],
    photo: bytes | None,
    headers: Mapping[str, str] | None = None,
) -> urllib3.BaseHTTPResponse:
    body, content_type = multipart(fields, photo)
    return HTTP.request(
        "POST", url, body=body, headers={"Content-Type": content_type, **(headers or {})}
    )


def oauth_upload_header(
    url: str,
    fields: Mapping[str, str],
    *,
    key: str,
    secret: str,
    token: str,
    token_secret: str,
) -> dict[str, str]:
    """The Authorization header flickrapi 2.4 computes for an upload: the text fields signed
    as if they were an urlencoded form (flickr.md §5.2)."""
    client = Client(
        key, client_secret=secret, resource_owner_key=token, resource_owner_secret=token_secret
    )
    with quiet_oauthlib():
        _, headers, _ = client.sign(
            url, http_method="POST", body=urlencode(fields), headers=dict(FORM)
        )
    return {"Authorization": headers["Authorization"]}


_CODE = re.compile(rb"<code>([^<]+)</code>")


def page_code(body: bytes) -> str:
    """The one ``<code>`` a page hands the user (a verifier or frob)."""
    found = _CODE.findall(body)
    assert len(found) == 1, body[:400]
    return found[0].decode()
