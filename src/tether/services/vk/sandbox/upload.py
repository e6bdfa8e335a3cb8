"""The VK emulator's upload servers (vk.md §5): the URLs the ``*.getUploadServer`` methods (and
``video.save``) hand out, what a POST of files to them answers, and the records the save
methods check what they are given back against::

    /upload/<kind>?mid=&to=&n=&sig=   POST multipart/form-data -> bare JSON (no envelope)
                                      video by link: GET, or a POST with no file (vk_api's
                                      ``VkUpload.video(link=…)``) -> {"response": 1}

``kind`` is one of ``KINDS``; ``mid`` the user (or ``-group``) the URL was made for, ``to`` the
target the step method was asked for (album and community, peer, owner …), ``n`` a nonce and
``sig`` an HMAC of the four under a key drawn per state.

Invariants:
- A URL is honoured only with its signature: changing its kind, user or target, or making
  one up, is refused (``ERR_UPLOAD_BAD_SIGNATURE``), so a URL cannot be used for another kind
  or user. The same URL may be used again, as VK's can (each use is a new upload).
- The body is read as it streams in (``sandbox.kit.multipart``): a file part costs a hash
  state and a counter, never its bytes. Any part with a filename is a file, and so are parts
  named as the seed clients name theirs (``file``, ``file0``…, ``photo``, ``video_file``),
  whatever the kind; files are counted against the kind's limit.
- Every answer is HTTP 200 bare JSON: the documented reply of the kind (vk.md §5.2), or
  ``{"error": "ERR_…: why"}`` (the error strings are the emulator's: VK's are unconfirmed).
- What a reply hands out (``hash``, or the ``file`` string of documents) names a ``Received``
  record in the state's ``UploadBook``; a save method takes the record once (``take``), after
  checking that the caller, the kind, the ``server`` and the payload string are the ones of
  the upload and that its target agrees. The book keeps at most ``MAX_RECEIVED`` records, the
  oldest dropped first.
- The book is the state's (``VkState.uploads``): a reset forgets every URL key and record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.sandbox.kit.multipart import (
    FilePart,
    MultipartError,
    boundary_of,
    read_multipart,
)

#: Upload kinds -> how many files one POST may carry (vk.md §5.2: album ≤ 5, wall ≤ 6).
KINDS: Final[dict[str, int]] = {
    "album": 5,
    "wall": 6,
    "owner": 1,
    "message": 1,
    "doc": 1,
    "wall_doc": 1,
    "message_doc": 1,
    "audio": 1,
    "video": 1,
}
PHOTO_KINDS: Final = frozenset({"album", "wall", "owner", "message"})
DOC_KINDS: Final = frozenset({"doc", "wall_doc", "message_doc"})
#: Part names the seed clients give files, taken as files even without a filename.
_FILE_FIELDS: Final = frozenset({"file", "photo", "video_file", *(f"file{i}" for i in range(10))})
MAX_RECEIVED: Final = 1000
#: The upload server number (any number: clients only pass it back).
FIRST_SERVER: Final = 830000


class Refused(ValueError):
    """A save was given something no upload handed out (or not to this caller, or twice)."""


@dataclass
class Received:
    """One upload: what a save method must be given back, and the files' sizes and names."""

    kind: str
    user: int
    target: str
    server: int
    payload: str  # photos_list / photo / audio / file: passed back unchanged
    files: list[FilePart]
    taken: bool = False


@dataclass
class UploadBook:
    """The URL key and the uploads received, for one state."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    received: OrderedDict[str, Received] = field(default_factory=OrderedDict)
    servers: int = FIRST_SERVER
    stats: Counter[str] = field(default_factory=Counter)

    def _sig(self, kind: str, mid: str, to: str, nonce: str) -> str:
        text = f"{kind}\n{mid}\n{to}\n{nonce}".encode()
        return hmac.new(self.key, text, hashlib.sha256).hexdigest()[:40]

    def url(self, root: str, kind: str, user: int, target: str) -> str:
        """A signed upload URL for ``kind``, made for ``user`` and ``target``, under ``root``
        (the emulator's address as the caller reached it)."""
        nonce = secrets.token_hex(8)
        query = {"mid": str(user), "to": target, "n": nonce}
        query["sig"] = self._sig(kind, query["mid"], target, nonce)
        return f"{root}/upload/{kind}?{urlencode(query)}"

    def verify(self, kind: str, query: Mapping[str, str]) -> tuple[int, str] | None:
        """``(user, target)`` of a URL this book signed, else ``None``."""
        mid, to, nonce = query.get("mid", ""), query.get("to", ""), query.get("n", "")
        if kind not in KINDS or not nonce:
            return None
        if not hmac.compare_digest(self._sig(kind, mid, to, nonce), query.get("sig", "")):
            return None
        try:
            return int(mid), to
        except ValueError:
            return None

    def record(self, kind: str, user: int, target: str, files: list[FilePart]) -> dict[str, Any]:
        """Keep one upload and answer its reply (vk.md §5.2)."""
        self.servers += 1
        server = self.servers
        ref = secrets.token_hex(16)
        items = [
            {"photo": f"{f.sha1[:10]}:{i}", "sizes": [], "kid": f.sha1[10:42], "size": f.size}
            for i, f in enumerate(files)
        ]
        reply: dict[str, Any]
        if kind in DOC_KINDS:
            payload = f"{server}|{user}|{ref}|{files[0].sha1[:16]}"
            reply = {"file": payload}
            key = payload
        elif kind == "video":
            owner, _, video_id = target.partition("_")
            payload = ref
            reply = {
                "size": files[0].size,
                "video_id": int(video_id),
                "owner_id": int(owner),
                "video_hash": ref,
            }
            key = ref
        else:
            payload = json.dumps(items, separators=(",", ":"))
            reply = {"server": server}
            if kind == "album":
                reply["photos_list"] = payload
                reply["aid"] = int(target.partition("_")[0])
            elif kind == "audio":
                payload = json.dumps({"sha1": files[0].sha1, "size": files[0].size})
                reply["audio"] = payload
                reply["redirect"] = ""
            else:
                reply["photo"] = payload
            reply["hash"] = ref
            key = ref
        self.received[key] = Received(kind, user, target, server, payload, files)
        while len(self.received) > MAX_RECEIVED:
            self.received.popitem(last=False)
        self.stats["uploads"] += 1
        self.stats["files"] += len(files)
        self.stats["bytes"] += sum(f.size for f in files)
        return reply

    def take(
        self,
        kinds: frozenset[str],
        key: str,
        user: int,
        *,
        server: str | None = None,
        payload: str | None = None,
        target: str | None = None,
    ) -> Received:
        """The record ``key`` names, taken: it is of one of ``kinds``, made for ``user``, with
        this ``server``, ``payload`` and ``target`` (when the save method knows them). A
        refused save takes nothing: the right one may follow.

        Raises:
            Refused: anything else (unknown, another caller's, changed, or taken before).
        """
        found = self.received.get(key)
        if found is None or found.taken or found.kind not in kinds or found.user != user:
            raise Refused(key)
        if server is not None and server != str(found.server):
            raise Refused(key)
        if payload is not None and payload != found.payload:
            raise Refused(key)
        if target is not None and target != found.target:
            raise Refused(key)
        found.taken = True
        return found


def _fail(code: str, why: str) -> JSONResponse:
    return JSONResponse({"error": f"{code}: {why}"})


class _Host(Protocol):
    state: Any


def upload_routes(em: _Host) -> list[Route]:
    """The upload server the step methods hand out URLs of."""

    async def server(request: Request) -> Response:
        kind = request.path_params["kind"]
        uploads = em.state.uploads
        found = uploads.verify(kind, request.query_params)
        if found is None:
            uploads.stats["refused"] += 1
            return _fail("ERR_UPLOAD_BAD_SIGNATURE", "this upload url was not handed out by VK")
        user, target = found
        if request.method == "GET":
            # A video by link: the URL is fetched without a file (vk.md §5.2).
            if kind != "video":
                return _fail("ERR_UPLOAD_NO_FILE", "POST the file as multipart/form-data")
            return JSONResponse({"response": 1})
        boundary = boundary_of(request.headers.get("content-type", ""))
        if boundary is None:
            if kind == "video":  # vk_api fetches a link's URL by a bare POST (files=None)
                return JSONResponse({"response": 1})
            return _fail("ERR_UPLOAD_NO_FILE", "the body is not multipart/form-data")
        try:
            body = await read_multipart(request.stream(), boundary, _FILE_FIELDS)
        except MultipartError as e:
            return _fail("ERR_UPLOAD_BAD_BODY", str(e))
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening any more
        files = list(body.files.values())
        if not files and kind == "video":  # the link's fetch again, with an empty form
            return JSONResponse({"response": 1})
        if len(files) > KINDS[kind]:
            return _fail("ERR_UPLOAD_TOO_MANY_FILES", f"at most {KINDS[kind]} files here")
        if not files and kind not in PHOTO_KINDS:
            return _fail("ERR_UPLOAD_NO_FILE", "no file part in the body")
        # Photos with no file answer an empty list, as VK's do (vk.md §5.2; the save refuses it).
        return JSONResponse(uploads.record(kind, user, target, files))

    return [
        Route("/upload/{kind}", server, methods=["GET", "POST"]),
    ]
