"""VK's three-step uploads as one call each (vk.md §5): ``api.upload.photo(path, album_id=7)``
asks for an upload server, streams the file there, saves what the server answered, and returns
an ``Uploaded``: the saved objects and their attachment string (``photo-5_11``, §5.4), ready
for ``wall.post(attachments=…)`` or ``messages.send(attachment=…)``.

Every kind is one flow (``upload_flow``), run by the API's driver: a value on ``API``, an
awaitable on ``AsyncAPI``; PyVK's uploader classes (``tether.vk.helpers.uploaders``) run the same flows.

Invariants:
- The file is checked before anything is sent (missing, unreadable, a folder, text mode: a
  ``UsageError``, no call made), then streamed from disk or the file object in chunks
  (``core.upload.MultipartUpload``): memory does not grow with the file. A file object is
  read from its current position and never closed here; a path is opened and closed here.
- ``callback(progress, done)`` is the core's: percent non-decreasing, at most about once per
  percent, ending with one ``(100.0, True)`` when the bytes have been handed over.
- The upload URL is VK's (absolute, http or https); no token is sent to it (it is signed).
  The POST is never re-sent once it may have reached the server (``idempotent=False``); the
  save step runs only on a well-formed reply.
- A reply that is not a JSON object, an ``{"error": …}`` reply, a non-2xx status, a reply
  without the fields the save needs, or a photo reply that took no photo is an
  ``UploadError``; no upload answer at all is an ``UploadFailed``. Both say that nothing was
  saved. The string fields of a reply are passed to the save method unchanged (vk.md §5.1).
- ``Uploaded.attachment`` is ``<type><owner_id>_<id>`` (``_<access_key>`` when the object has
  one), comma-joined over the saved objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Final, Union
from urllib.parse import urlsplit

from tether.core.errors import TransportError, UsageError
from tether.core.flow import Flow
from tether.core.jsonparse import NestingTooDeep, loads
from tether.core.messages import Request, Response
from tether.core.upload import MultipartUpload
from tether.services.vk.errors import APIError, ReqError, RequestFailed

__all__ = [
    "KINDS",
    "Kind",
    "UploadError",
    "UploadFailed",
    "Uploaded",
    "Uploads",
    "attachment_of",
    "prepare",
    "upload_flow",
]

Source = Union[str, "os.PathLike[str]", IO[bytes]]
Progress = Callable[[float, bool], None]


class UploadError(ReqError):
    """VK's upload server answered something that cannot be saved; nothing was saved."""


class UploadFailed(UploadError, RequestFailed):
    """No answer came from VK's upload server; nothing was saved (``exc``: the transport
    error)."""


@dataclass(frozen=True)
class Kind:
    """One kind of upload, as data (vk.md §5.2)."""

    name: str  # how messages name it
    step: str  # the method handing out the upload URL
    field: str  # the file part's name
    filename: str  # sent when the source has no name
    save: str | None  # the save method (None: video, saved at step 1)
    needs: tuple[str, ...]  # reply fields the save cannot do without
    type: str  # the attachment type
    photos: str | None = None  # the reply field holding the photo list, for photos


#: name | step | file part | filename without one | save ("-": none) | reply fields | type
_ROWS: Final = """
album photo | photos.getUploadServer | file1 | file.jpg | photos.save | server photos_list hash | photo
wall photo | photos.getWallUploadServer | photo | file.jpg | photos.saveWallPhoto | server photo hash | photo
message photo | photos.getMessagesUploadServer | photo | file.jpg | photos.saveMessagesPhoto | server photo hash | photo
profile photo | photos.getOwnerPhotoUploadServer | photo | file.jpg | photos.saveOwnerPhoto | server photo hash | photo
document | docs.getUploadServer | file | file | docs.save | file | doc
wall document | docs.getWallUploadServer | file | file | docs.save | file | doc
message document | docs.getMessagesUploadServer | file | file | docs.save | file | doc
video | video.save | video_file | video | - | | video
audio | audio.getUploadServer | file | audio.mp3 | audio.save | server audio hash | audio
"""


def _kind(row: str) -> Kind:
    name, step, part, filename, save, needs, kind = (c.strip() for c in row.split("|"))
    wanted = tuple(needs.split())
    photos = wanted[1] if kind == "photo" else None  # photos_list or photo
    return Kind(name, step, part, filename, None if save == "-" else save, wanted, kind, photos)


KINDS: Final[dict[str, Kind]] = {k.name: k for k in map(_kind, _ROWS.strip().splitlines())}


def attachment_of(kind: str, obj: Mapping[str, Any]) -> str:
    """``<kind><owner_id>_<id>[_<access_key>]`` for one saved object (vk.md §5.4).

    Raises:
        UploadError: the object has no ``owner_id`` and ``id`` (``video_id``) numbers.
    """
    owner, oid = obj.get("owner_id"), obj.get("id", obj.get("video_id"))
    if isinstance(owner, bool) or not isinstance(owner, int) or not isinstance(oid, int):
        raise UploadError(
            f"VK saved the {kind} but its answer has no owner_id and id to attach it by; "
            "look the object up (photos.get, docs.get …) to attach it"
        )
    key = obj.get("access_key")
    return f"{kind}{owner}_{oid}" + (f"_{key}" if isinstance(key, str) and key else "")


@dataclass(frozen=True)
class Uploaded:
    """What an upload saved.

    Attributes:
        kind: the attachment type (``photo``, ``doc``, ``video``, ``audio``).
        items: the saved objects, as VK answered them.
        result: the save method's whole answer (``docs.save``'s ``{type, doc}``,
            ``photos.saveOwnerPhoto``'s ``{photo_src, post_id, …}``; for a video,
            ``video.save``'s answer merged with the upload server's).
        reply: the upload server's answer (what the save method was given).
        attachments: one attachment string per saved object.
    """

    kind: str
    items: list[Any]
    result: Any
    reply: Mapping[str, Any] = field(repr=False)
    attachments: list[str] = field(default_factory=list)

    @property
    def attachment(self) -> str:
        """The attachment strings, comma-joined: ``attachments=`` of ``wall.post``."""
        return ",".join(self.attachments)

    def __str__(self) -> str:
        return self.attachment


def prepare(
    kind: Kind,
    file: Source | bytes,
    filename: str | None,
    callback: Progress | None,
    field: str | None = None,
) -> MultipartUpload:
    """The multipart body of one upload, checked now (before any call).

    Raises:
        UsageError: the file cannot be read (see ``MultipartUpload``).
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        import io

        file = io.BytesIO(bytes(file))  # PyVK's uploaders take the file's bytes
    if filename is None and not isinstance(file, (str, os.PathLike)):
        name = os.path.basename(str(getattr(file, "name", "") or ""))
        filename = name or kind.filename
    return MultipartUpload(
        {}, file, filename=filename, progress=callback, file_field=field or kind.field
    )


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UploadError(
            f"{what} answered {type(value).__name__}, not an object; nothing was saved"
        )
    return value


def _upload_url(answer: Mapping[str, Any], kind: Kind) -> str:
    url = answer.get("upload_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise UploadError(
            f"{kind.step} answered no usable upload_url (an absolute http(s) URL); nothing was "
            "sent or saved: check api_url, or retry later"
        )
    assert isinstance(url, str)
    return url


def _decode_reply(response: Response, kind: Kind) -> dict[str, Any]:
    """The upload server's bare JSON object (vk.md §5.1)."""
    where = f"VK's upload server ({kind.name})"
    if not response.ok:
        raise UploadError(
            f"{where} answered HTTP {response.status}; nothing was saved: upload again later",
            status=response.status,
        )
    try:
        reply = loads(response.body, where)
    except (ValueError, NestingTooDeep):
        raise UploadError(
            f"{where} answered {len(response.body)} bytes that are not JSON; nothing was saved: "
            "upload again (a proxy in the way?)",
            status=response.status,
        ) from None
    if not isinstance(reply, dict):
        raise UploadError(
            f"{where} answered JSON {type(reply).__name__}, not an object; nothing was saved: "
            "upload again"
        )
    if "error" in reply:
        raise UploadError(
            f"{where} refused the file: {str(reply['error'])[:300]}; nothing was saved: check "
            "the file (type, size) and upload again",
            reply=reply,
        )
    missing = [k for k in kind.needs if not isinstance(reply.get(k), (str, int)) or reply[k] == ""]
    if missing:
        raise UploadError(
            f"{where} answered without {', '.join(missing)}; nothing was saved: upload again"
        )
    if kind.photos is not None and str(reply.get(kind.photos)).strip() in ("[]", ""):
        raise UploadError(
            f"{where} took no photo from the file (is it a JPG, PNG or GIF under 50 MB?); "
            "nothing was saved"
        )
    return reply


def _send(api: Any, request: Request, kind: Kind) -> Flow[Response]:
    try:
        response: Response = yield from api._retrying(lambda now: request, None, None)
    except TransportError as e:
        raise UploadFailed(
            f"VK upload ({kind.name}): no answer from the upload server ({e}); nothing was "
            "saved and the file is unchanged: upload again",
            exc=e,
        ) from e
    return response


def post_flow(api: Any, url: str, upload: MultipartUpload, kind: Kind) -> Flow[dict[str, Any]]:
    """Step 2: the file streamed to ``url``; the server's reply."""

    def build(now: float) -> Request:
        # A fresh body per attempt: a path is reopened, a seekable file rewound.
        return Request(
            "POST",
            url,
            upload.headers(),
            upload.body(),
            idempotent=False,
            label=f"vk upload {kind.name}",
        )

    try:
        response: Response = yield from api._retrying(build, None, None)
        return _decode_reply(response, kind)
    except TransportError as e:
        _rewind(upload)
        raise UploadFailed(
            f"VK upload ({kind.name}): the upload to VK's upload server failed ({e}); nothing "
            "was saved and the file is unchanged: upload again",
            exc=e,
        ) from e
    except UploadError:
        _rewind(upload)
        raise


def _rewind(upload: MultipartUpload) -> None:
    """A seekable file object back where it stood, so that the same object can be uploaded
    again (an object that refuses stays where the failed upload left it)."""
    upload.rewind()


def _items(kind: Kind, result: Any) -> list[Any]:
    if kind.type == "doc" and isinstance(result, Mapping) and "type" in result:
        doc = result.get(str(result["type"]))  # docs.save since 5.8x: {"type": "doc", "doc": …}
        return [doc] if doc is not None else []
    if isinstance(result, list):
        return result
    return [result]


def upload_flow(
    api: Any,
    kind: Kind,
    upload: MultipartUpload | None,
    step_args: Mapping[str, Any],
    save_args: Mapping[str, Any],
    server: Mapping[str, Any] | None = None,
    lookup: bool = True,
) -> Flow[Uploaded]:
    """The three steps: the upload URL (``server``: already asked, PyVK's uploaders), the POST
    (a GET without a file, for a video by link), the save. ``lookup=False``: a profile photo
    is not looked up (no ``items``, no attachment), as PyVK does not.

    Raises:
        UploadError, UploadFailed: see the module's invariants. APIError: a step's call failed.
    """
    if server is None:
        server = _mapping((yield from api._call_flow(kind.step, dict(step_args), False)), kind.step)
    url = _upload_url(server, kind)
    if upload is None:  # a video by link: VK fetches it once the URL is requested
        response = yield from _send(api, Request("GET", url, label=f"vk upload {kind.name}"), kind)
        reply = _decode_reply(response, kind)
    else:
        reply = yield from post_flow(api, url, upload, kind)
    if kind.save is None:
        result: Any = {**server, **reply}
        result.pop("upload_url", None)
        items = [result]
    else:
        fields = {k: v for k, v in reply.items() if isinstance(v, (str, int, float))}
        if kind.name == "album photo" and "album_id" not in save_args and "aid" in reply:
            fields["album_id"] = reply["aid"]  # as vk_api does
        result = yield from api._call_flow(kind.save, {**fields, **save_args}, False)
        items = _items(kind, result)
        if kind.name == "profile photo":
            items = (yield from _profile_photo(api, step_args.get("owner_id"))) if lookup else []
    attachments = [attachment_of(kind.type, _mapping(o, kind.save or kind.step)) for o in items]
    return Uploaded(kind.type, items, result, reply, attachments)


def _profile_photo(api: Any, owner_id: Any) -> Flow[list[Any]]:
    """The new main photo: ``photos.saveOwnerPhoto`` names no photo id (its answer is
    ``photo_src``, ``post_id`` …), so the newest photo of the profile album is asked for."""
    try:
        page = yield from api._call_flow(
            "photos.get", {"owner_id": owner_id, "album_id": "profile", "rev": 1, "count": 1}, False
        )
    except APIError:
        return []  # saved, but not readable with this token: no attachment
    found = page.get("items") if isinstance(page, Mapping) else None
    return list(found[:1]) if isinstance(found, list) else []


def _clean(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


class Uploads:
    """``api.upload``: one call per kind of upload, each returning an ``Uploaded``.

    Every method takes ``file`` (a path, or a binary file object read from where it stands),
    ``filename=`` (the name VK is told; default the file's own), and ``callback=`` (called
    ``(percent, done)`` as the bytes go). On ``AsyncAPI`` each returns an awaitable.

    Raises (every method):
        UsageError: the file cannot be read (nothing was sent).
        UploadError / UploadFailed: the upload server's answer was unusable / did not come.
        APIError: VK refused a step (no right, not an admin of the community, …).
    """

    def __init__(self, api: Any) -> None:
        self._api = api

    def _go(
        self,
        name: str,
        file: Any,
        filename: str | None,
        callback: Progress | None,
        step_args: Mapping[str, Any],
        save_args: Mapping[str, Any],
    ) -> Any:
        kind = KINDS[name]
        upload = None if file is None else prepare(kind, file, filename, callback)
        return self._api._run(
            upload_flow(self._api, kind, upload, _clean(step_args), _clean(save_args))
        )

    def photo(
        self,
        file: Source,
        album_id: int,
        group_id: int | None = None,
        *,
        caption: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """A photo into album ``album_id`` (of community ``group_id``): ``photos.save``."""
        where = {"album_id": album_id, "group_id": group_id}
        extra = {"caption": caption, "latitude": latitude, "longitude": longitude}
        return self._go("album photo", file, filename, callback, where, {**where, **extra})

    def wall_photo(
        self,
        file: Source,
        group_id: int | None = None,
        *,
        user_id: int | None = None,
        caption: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """A photo for a wall post (community ``group_id``'s wall): ``photos.saveWallPhoto``."""
        extra: dict[str, Any] = {"user_id": user_id, "group_id": group_id, "caption": caption}
        extra.update(latitude=latitude, longitude=longitude)
        return self._go("wall photo", file, filename, callback, {"group_id": group_id}, extra)

    def message_photo(
        self,
        file: Source,
        peer_id: int | None = None,
        *,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """A photo for a message to ``peer_id``: ``photos.saveMessagesPhoto`` (its attachment
        carries the access key)."""
        return self._go("message photo", file, filename, callback, {"peer_id": peer_id}, {})

    def profile_photo(
        self,
        file: Source,
        owner_id: int | None = None,
        *,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """The main photo of the user (or of community ``owner_id=-id``):
        ``photos.saveOwnerPhoto``; ``items`` is the new photo, looked up in the profile album
        (one ``photos.get``), ``result`` VK's ``{photo_src, post_id, …}``."""
        return self._go("profile photo", file, filename, callback, {"owner_id": owner_id}, {})

    def document(
        self,
        file: Source,
        title: str | None = None,
        tags: Any = None,
        *,
        group_id: int | None = None,
        to_wall: bool = False,
        peer_id: int | None = None,
        doc_type: str | None = None,
        message_peer_id: int | None = None,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """A document (``to_wall=True``: for a wall post; ``peer_id``: for a message, of
        ``doc_type`` doc, audio_message or graffiti): ``docs.save``."""
        peer = peer_id if peer_id is not None else message_peer_id
        if peer is not None or doc_type is not None:
            name, step = "message document", {"peer_id": peer, "type": doc_type}
        else:
            name = "wall document" if to_wall else "document"
            step = {"group_id": group_id}
        return self._go(name, file, filename, callback, step, {"title": title, "tags": tags})

    def wall_document(
        self, file: Source, title: str | None = None, tags: Any = None, **kw: Any
    ) -> Any:
        """``document(..., to_wall=True)``."""
        return self.document(file, title, tags, to_wall=True, **kw)

    def video(
        self,
        file: Source | None = None,
        link: str | None = None,
        *,
        filename: str | None = None,
        callback: Progress | None = None,
        **video_save_args: Any,
    ) -> Any:
        """A video from ``file`` or from ``link`` (exactly one): ``video.save`` with
        ``video_save_args`` (name, description, is_private, wallpost, group_id, album_id,
        privacy_view, privacy_comment, no_comments, repeat), then the upload."""
        if (file is None) == (link is None):
            raise UsageError("video() needs exactly one of file= and link=")
        args = {**video_save_args, "link": link}
        return self._go("video", file, filename, callback, args, {})

    def audio(
        self,
        file: Source,
        artist: str | None = None,
        title: str | None = None,
        *,
        filename: str | None = None,
        callback: Progress | None = None,
    ) -> Any:
        """An audio file: ``audio.save`` with ``artist`` and ``title``."""
        return self._go("audio", file, filename, callback, {}, {"artist": artist, "title": title})
