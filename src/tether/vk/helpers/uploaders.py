"""PyVK's uploader classes (``pyvk.helpers.uploaders``), on tether's upload flows
(``tether.services.vk.uploads``)::

    uploader = WallPhotoUploader(api, group_id=5)     # step 1: photos.getWallUploadServer
    uploader.upload(b"JPEG…", attach=True)            # steps 2 and 3 -> ['photo-5_11']

Invariants:
- The constructor asks for the upload server at once, with its arguments, as PyVK does (on
  ``AsyncAPI``, which cannot wait in a constructor, the first ``await upload(…)`` asks); each
  ``upload()`` streams one file there and saves it. ``content`` is the file's bytes, as in
  PyVK, or (beyond PyVK) a path or a binary file object, streamed.
- The file parts are PyVK's: ``file1`` for album photos, ``photo`` for wall, profile and
  message photos (named ``file.jpg``), ``file`` for documents (named as given) and audio (a
  random 18-letter ``.mp3`` name), ``video_file`` for videos (``video``).
- ``upload()`` returns the save method's answer (a video: the upload server's reply); with
  ``attach=True`` the attachment strings, one per saved object, also for ``docs.save``'s
  ``{"type": "doc", "doc": …}`` answers of current API versions (PyVK breaks on those).
- Nothing is printed (PyVK prints every upload reply).
"""

from __future__ import annotations

import random
import string
from typing import Any

from tether.core.flow import Flow
from tether.services.vk.uploads import KINDS, Kind, Uploaded, prepare, upload_flow

__all__ = [
    "AlbumPhotoUploader",
    "AudioUploader",
    "DocUploader",
    "DocWallUploader",
    "MessagePhotoUploader",
    "ProfilePhotoUploader",
    "VideoUploader",
    "WallPhotoUploader",
]


def _clean(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


class _Uploader:
    """What every uploader shares: the server asked once, then one flow per ``upload``."""

    kind: Kind
    filename: str | None = "file.jpg"

    def __init__(self, api: Any, **step_args: Any) -> None:
        self.api = api
        self._step_args = _clean(step_args)
        #: ``*.getUploadServer``'s answer (``None`` on ``AsyncAPI`` until the first upload).
        self.server: dict[str, Any] | None = None
        if getattr(api, "_sync", False):
            self.server = api._run(self._server_flow())

    def _server_flow(self) -> Flow[dict[str, Any]]:
        answer = yield from self.api._call_flow(self.kind.step, dict(self._step_args), False)
        return dict(answer) if hasattr(answer, "keys") else answer

    def _upload_common(
        self,
        content: Any,
        save_args: dict[str, Any],
        attach: bool = False,
        filename: str | None = None,
    ) -> Any:
        upload = None
        if content is not None:
            upload = prepare(self.kind, content, filename or self.filename, None)
        flow = self._flow(upload, _clean(save_args), attach)
        return self.api._run(flow)

    def _flow(self, upload: Any, save_args: dict[str, Any], attach: bool) -> Flow[Any]:
        if self.server is None:
            self.server = yield from self._server_flow()
        done: Uploaded = yield from upload_flow(
            self.api, self.kind, upload, self._step_args, save_args, self.server, lookup=attach
        )
        if attach:
            return done.attachments
        return self._answer(done)

    def _answer(self, done: Uploaded) -> Any:
        return done.result


class AlbumPhotoUploader(_Uploader):
    """A photo into album ``album_id`` (of community ``group_id``): ``photos.save``."""

    kind = KINDS["album photo"]

    def __init__(self, api: Any, album_id: int, group_id: int | None = None) -> None:
        self.album_id, self.group_id = album_id, group_id
        super().__init__(api, album_id=album_id, group_id=group_id)

    def upload(
        self,
        content: Any,
        latitude: float | None = None,
        longitude: float | None = None,
        caption: str | None = None,
        attach: bool = False,
    ) -> Any:
        """The saved photos (``attach=True``: their attachment strings)."""
        extra = {"latitude": latitude, "longitude": longitude, "caption": caption}
        where = {"album_id": self.album_id, "group_id": self.group_id}
        return self._upload_common(content, {**extra, **where}, attach)


class WallPhotoUploader(_Uploader):
    """A photo for a wall post (community ``group_id``'s): ``photos.saveWallPhoto``."""

    kind = KINDS["wall photo"]

    def __init__(self, api: Any, group_id: int | None = None) -> None:
        self.group_id = group_id
        super().__init__(api, group_id=group_id)

    def upload(self, content: Any, user_id: int | None = None, attach: bool = False) -> Any:
        """The saved photos (``attach=True``: ``['photo-5_11']``)."""
        return self._upload_common(content, {"user_id": user_id, "group_id": self.group_id}, attach)


class ProfilePhotoUploader(_Uploader):
    """The main photo of the user or of community ``owner_id=-id``: ``photos.saveOwnerPhoto``."""

    kind = KINDS["profile photo"]

    def __init__(self, api: Any, owner_id: int | None = None) -> None:
        super().__init__(api, owner_id=owner_id)

    def upload(self, content: Any, attach: bool = False) -> Any:
        """VK's ``{photo_hash, photo_src, …, post_id}`` (``attach=True``: the new photo's
        attachment string, found in the profile album)."""
        return self._upload_common(content, {}, attach)


class MessagePhotoUploader(_Uploader):
    """A photo for messages: ``photos.saveMessagesPhoto`` (``peer_id`` beyond PyVK)."""

    kind = KINDS["message photo"]

    def __init__(self, api: Any, peer_id: int | None = None) -> None:
        super().__init__(api, peer_id=peer_id)

    def upload(self, content: Any, attach: bool = False) -> Any:
        """The saved photos (``attach=True``: attachment strings with their access keys)."""
        return self._upload_common(content, {}, attach)


class DocUploader(_Uploader):
    """A document (of community ``group_id``): ``docs.getUploadServer`` and ``docs.save``."""

    kind = KINDS["document"]
    filename = None

    def __init__(self, api: Any, group_id: int | None = None) -> None:
        super().__init__(api, group_id=group_id)

    def upload(
        self,
        filename: str,
        content: Any,
        title: str | None = None,
        tags: Any = None,
        attach: bool = False,
    ) -> Any:
        """``docs.save``'s answer (``attach=True``: ``['doc1_12']``, whatever its shape)."""
        return self._upload_common(content, {"title": title, "tags": tags}, attach, filename)


class DocWallUploader(DocUploader):
    """A document for a wall post: ``docs.getWallUploadServer`` and ``docs.save``."""

    kind = KINDS["wall document"]


class VideoUploader(_Uploader):
    """A video: ``video.save(**video_save_args)`` at once, then the file (or, for a
    ``link``, a plain GET of the upload URL)."""

    kind = KINDS["video"]
    filename = "video"

    def __init__(self, api: Any, **video_save_args: Any) -> None:
        super().__init__(api, **video_save_args)

    def upload(self, content: Any = None, attach: bool = False) -> Any:
        """The upload server's reply (``attach=True``: ``['video<owner>_<id>_<key>']``)."""
        return self._upload_common(content, {}, attach)

    def _answer(self, done: Uploaded) -> Any:
        return dict(done.reply)


class AudioUploader(_Uploader):
    """An audio file: ``audio.getUploadServer`` and ``audio.save(artist, title)``."""

    kind = KINDS["audio"]

    def __init__(self, api: Any) -> None:
        super().__init__(api)

    def upload(
        self,
        content: Any,
        artist: str | None = None,
        title: str | None = None,
        attach: bool = False,
    ) -> Any:
        """The saved audio (``attach=True``: ``['audio<owner>_<id>']``)."""
        name = "".join(random.choices(string.ascii_letters, k=18)) + ".mp3"
        return self._upload_common(content, {"artist": artist, "title": title}, attach, name)
