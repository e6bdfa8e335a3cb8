"""Flickr uploads and replaces: a multipart body streamed from the file in constant memory,
signed the way the credentials require, and with ``async=1`` the ticket polled until Flickr
has processed the photo.

Invariants:
- An upload is never retried blindly (``idempotent=False``): Flickr would make a second photo.
- When the token's permissions are known and below ``write``, the upload is refused before a
  byte of the photo is sent.
- With ``async=1`` the answer has the shape of a synchronous upload's (``<photoid>``), so the
  caller's code does not change with the flag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.core.errors import UsageError
from tether.core.flow import Flow
from tether.core.messages import Request
from tether.services.flickr import parse as P
from tether.services.flickr.core import FlickrCore, encode_value
from tether.services.flickr.errors import (
    FlickrAuthError,
    FlickrError,
    FlickrProtocolError,
    FlickrUnavailable,
    IllegalArgumentException,
)
from tether.services.flickr.spec import PERMS, UPLOAD_FORMATS, perms_at_least
from tether.services.kit.rpc import poll

__all__ = ["Uploads"]


class Uploads(FlickrCore):
    """``upload`` and ``replace`` (a part of ``FlickrAPI``)."""

    def upload(
        self,
        filename: str | None = None,
        callback: Callable[[float, bool], None] | None = None,
        fileobj: Any = None,
        format: str | None = None,
        **params: Any,
    ) -> Any:
        """Upload a photo from ``filename`` (or ``fileobj``), streamed in constant memory.

        ``params``: title, description, tags, is_public, is_friend, is_family, safety_level,
        content_type, hidden, async (``async=1`` returns when Flickr has processed it: the
        ticket is polled). ``callback(progress_percent, done)`` reports progress.
        """
        return self._run(
            self._upload_flow(self._urls["upload"], filename, fileobj, callback, format, params)
        )

    def replace(
        self,
        filename: str | None = None,
        photo_id: str | int | None = None,
        callback: Callable[[float, bool], None] | None = None,
        fileobj: Any = None,
        format: str | None = None,
        **params: Any,
    ) -> Any:
        """Replace the image of ``photo_id`` (only the image; title, tags … stay)."""
        if photo_id is None or photo_id == "":
            raise IllegalArgumentException("replace() needs the photo_id of the photo to replace")
        params = {**params, "photo_id": photo_id}
        return self._run(
            self._upload_flow(self._urls["replace"], filename, fileobj, callback, format, params)
        )

    def _upload_flow(
        self,
        url: str,
        filename: str | None,
        fileobj: Any,
        callback: Callable[[float, bool], None] | None,
        fmt: str | None,
        params: dict[str, Any],
    ) -> Flow[Any]:
        from tether.core.upload import MultipartUpload

        fmt = fmt or self.default_format
        if fmt not in UPLOAD_FORMATS:
            raise IllegalArgumentException(
                f"format {fmt!r} is not possible for uploads: use etree, xmlnode or rest "
                "(Flickr answers uploads in XML only)"
            )
        if filename is None and fileobj is None:
            raise IllegalArgumentException("upload() needs a filename or a fileobj")
        if self.oauth_token is None and not self.token_cache.token:
            raise FlickrAuthError("Authentication is required to upload: authenticate first")
        self._refuse_upload_without_write(url)
        wait = str(params.pop("async", "0")) in ("1", "True", "true")
        fields = {k: encode_value(k, v) for k, v in params.items() if v is not None}
        if wait:
            fields["async"] = "1"
        try:
            if fileobj is not None:
                upload = MultipartUpload(fields, fileobj, filename=filename, progress=callback)
            else:
                upload = MultipartUpload(fields, filename or "", progress=callback)
        except UsageError as e:
            raise IllegalArgumentException(str(e)) from None
        name = "upload" if url == self._urls["upload"] else "replace"

        def build(now: float) -> Request:
            if self.oauth_token is not None:
                # The text fields are signed as if they were a form (flickr.md §5.2).
                signed = {**fields, "api_key": self.api_key}
                upload.fields = signed
                extra: tuple[tuple[str, str], ...] = (
                    ("Authorization", self._authorization(url, signed, now)),
                )
            else:
                upload.fields = self._signed_params(fields, upload=True)
                extra = ()
            return Request(
                "POST",
                url,
                (*upload.headers(), *extra),
                upload.body(),
                idempotent=False,
                label=f"flickr {name}",
            )

        response = yield from self._exchange(build, f"flickr {name}")
        if wait:
            rsp = P.parse_etree(response.body, name)
            ticket = rsp.findtext("ticketid")
            if not ticket:
                raise FlickrProtocolError(f"{name} with async=1 answered without a ticket id")
            photo_id = yield from self._poll_ticket(ticket)
            rsp = _photoid_rsp(photo_id)
            return (
                rsp
                if fmt == "etree"
                else P.XMLNode.from_element(rsp)
                if fmt == "xmlnode"
                else _rsp_xml(photo_id)
            )
        if fmt == "rest":
            return response.body.decode("utf-8", errors="replace")
        return self._decode(response.body, fmt, name)

    def _poll_ticket(self, ticket: str, interval: float = 0.5, max_polls: int = 600) -> Flow[str]:
        method = "flickr.photos.upload.checkTickets"

        def check() -> Flow[str | None]:
            args = {"method": method, "format": "rest", "tickets": ticket}
            response = yield from self._send(self._urls["rest"], args, method)
            t = P.parse_etree(response.body, method).find("uploader/ticket")
            if t is None or t.get("invalid") == "1":
                raise FlickrError(f"upload ticket {ticket} is unknown to Flickr")
            if t.get("complete") == "1":
                return t.get("photoid") or ""
            if t.get("complete") == "2":
                raise FlickrError(f"Flickr could not process the upload (ticket {ticket})")
            return None

        return (
            yield from poll(
                check,
                interval=interval,
                max_polls=max_polls,
                what=f"upload ticket {ticket}",
                pending=FlickrUnavailable,
            )
        )

    def _refuse_upload_without_write(self, url: str) -> None:
        """An upload or replace needs write permission: when the token's permissions are
        known (an ``OAuthToken``'s access level, or what checkToken said of a legacy token)
        and lower, refuse here, before a byte of the photo is sent. Unknown: Flickr decides."""
        what = "upload" if url == self._urls["upload"] else "replace"
        have: str | None
        if self.oauth_token is not None:
            have = self.oauth_token.access_level
        else:
            seen = self._legacy_perms
            have = seen[1] if seen is not None and seen[0] == self.token_cache.token else None
        if have not in PERMS or perms_at_least(have, "write"):
            return
        raise FlickrAuthError(
            f"Error: 99: Insufficient permissions (flickr {what}: the token has {have} "
            f"permission and {what} needs write; nothing was sent. Log in again with write "
            "permission: tether login flickr --perms write, or "
            "authenticate_console(perms='write') / authenticate_via_browser(perms='write') "
            "in Python)",
            99,
        )


def _photoid_rsp(photo_id: str) -> Any:
    import xml.etree.ElementTree as ET

    rsp = ET.Element("rsp", stat="ok")
    ET.SubElement(rsp, "photoid").text = photo_id
    return rsp


def _rsp_xml(photo_id: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<photoid>{photo_id}</photoid>\n</rsp>\n'
