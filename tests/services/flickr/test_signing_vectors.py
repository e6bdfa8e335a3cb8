"""flickr.md §13 signing vectors (F1–F12), through tether's signers."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

import pytest

from tether.auth.flickr import legacy_signature, oauth_header

KEY = "0123456789abcdef0123456789abcdef"
SECRET = "fedcba9876543210"
NONCE = "12345678901234567890"
TS = 1500000000
REQ_TOKEN, REQ_SECRET = "72157626737672178-022bbd2f4c2f3432", "fccb68c4e6103197"
VERIFIER = "5d1b96a26b494074"
ACC_TOKEN, ACC_SECRET = "72157626318069415-087bfc7b5816092c", "a202d1f853ec69de"
FROB = "72157600000000000-abcdef0123456789-123456"
AUTH_TOKEN = "72157600000000001-0123456789abcdef"


@pytest.mark.parametrize(
    ("secret", "params", "sig"),
    [
        (
            "000005fab4534d05",
            {"api_key": "9a0554259914a86fb9e7eb014e4e5d52", "method": "flickr.auth.getFrob"},
            "8ad70cd3888ce493c8dde4931f7d6bd0",
        ),
        (
            SECRET,
            {"api_key": KEY, "frob": FROB, "perms": "write"},
            "118ec72624a3081f43a2735f9233fd45",
        ),
        (SECRET, {"api_key": KEY, "perms": "read"}, "e894d4da882b19470127abd89561a9ea"),
        (
            SECRET,
            {"api_key": KEY, "format": "rest", "frob": FROB, "method": "flickr.auth.getToken"},
            "5a14fb75db4655cdc72dfe01ab3b57c9",
        ),
        (
            SECRET,
            {
                "method": "flickr.photos.setMeta",
                "api_key": KEY,
                "auth_token": AUTH_TOKEN,
                "format": "rest",
                "photo_id": "12345",
                "title": "Money",
                "description": "Around \u20ac30,-",
            },
            "37a522deb0cab4aa2f24f9222ad897af",
        ),
        (
            SECRET,
            {
                "api_key": KEY,
                "auth_token": AUTH_TOKEN,
                "is_public": "0",
                "tags": 'Amsterdam "central station"',
                "title": "Test",
                "photo": "<file bytes>",
            },
            "a6f6dbbe0450cc469a5fe7ea3557759e",
        ),
    ],
    ids=["F1", "F2", "F3", "F4", "F5", "F6"],
)
def test_legacy_vectors(secret: str, params: dict[str, str], sig: str) -> None:
    assert legacy_signature(secret, params, upload="photo" in params) == sig


def test_photo_is_signed_except_as_an_uploads_file_field() -> None:
    params = {"api_key": KEY, "method": "flickr.test.echo", "photo": "a"}
    rest = legacy_signature(SECRET, params)
    assert rest != legacy_signature(SECRET, {**params, "photo": "b"})  # tampering shows
    assert legacy_signature(SECRET, params, upload=True) == legacy_signature(
        SECRET, {"api_key": KEY, "method": "flickr.test.echo"}
    )


def _sig(header: str) -> str:
    pairs = dict(
        (k.strip(), unquote(v.strip().strip('"')))
        for k, v in (p.split("=", 1) for p in header.removeprefix("OAuth ").split(","))
    )
    return pairs["oauth_signature"]


OAUTH = "https://www.flickr.com/services/oauth/"
REST = "https://api.flickr.com/services/rest/"


@pytest.mark.parametrize(
    ("url", "fields", "kw", "sig"),
    [
        (OAUTH + "request_token", {}, {"callback": "oob"}, "/OS8A5sE/S7Bl/KXFmwJ4edw9I4="),
        (
            OAUTH + "access_token",
            {},
            {"token": REQ_TOKEN, "token_secret": REQ_SECRET, "verifier": VERIFIER},
            "Rf7eloIXl3PcuOoAyP1HvBF6XGQ=",
        ),
        (
            REST,
            dict(
                parse_qsl(
                    "photo_id=12345&title=Money+%26+more&description=Around+%E2%82%AC30%2C-&method=flickr.photos.setMeta&format=rest&nojsoncallback=1"
                )
            ),
            {"token": ACC_TOKEN, "token_secret": ACC_SECRET},
            "aoYy19whmzq6Qr9cPIZ7BfMYDOM=",
        ),
        (
            REST,
            {"method": "flickr.test.login", "format": "rest", "nojsoncallback": "1"},
            {"token": ACC_TOKEN, "token_secret": ACC_SECRET},
            "AtlVG4KXBeGHKeMOPkIIibu7T20=",
        ),
        (
            REST,
            {
                "photo_id": "7955646798",
                "method": "flickr.photos.getInfo",
                "format": "rest",
                "nojsoncallback": "1",
            },
            {},
            "LqDAEwHe1XsCIc5zrGy2aX5/X+o=",
        ),
        (
            "https://up.flickr.com/services/upload/",
            {"title": "Test", "is_public": "0", "api_key": KEY},
            {"token": ACC_TOKEN, "token_secret": ACC_SECRET},
            "R9/OsSqj6Zu/+dx7D2mBe1pNIf0=",
        ),
        (
            "https://up.flickr.com/services/replace/",
            {"photo_id": "1234", "api_key": KEY, "title": "photo.jpg"},
            {"token": ACC_TOKEN, "token_secret": ACC_SECRET},
            "DGaSFyH/WZx6rgJWyeTYRxBIJeY=",
        ),
    ],
    ids=["F7", "F8", "F9", "F10-login", "F10-anon", "F11-upload", "F11-replace"],
)
def test_oauth_vectors(url: str, fields: dict[str, str], kw: dict[str, str], sig: str) -> None:
    header = oauth_header(
        "POST", url, fields, api_key=KEY, secret=SECRET, nonce=NONCE, timestamp=TS, **kw
    )
    assert _sig(header) == sig
    assert SECRET not in header and (kw.get("token_secret") or "§") not in header
