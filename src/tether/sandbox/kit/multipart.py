"""Reading a ``multipart/form-data`` body as it streams in: text fields are kept, file parts are
measured and hashed chunk by chunk and never stored.

Invariants:
- Memory stays bounded whatever the upload's size: a file part costs a hash state and a
  counter; everything else that is kept (part headers and text fields) is at most
  ``MAX_TEXT_BYTES`` in all, in at most ``MAX_PARTS`` parts, and a body over either cap is
  refused (``MultipartError``) as soon as it crosses it, rather than buffered.
- A body that ends before its closing boundary, or whose headers are malformed, raises
  ``MultipartError``; a caller answers it in its own service's words (Flickr: "General upload
  failure"; VK: ``ERR_UPLOAD_BAD_BODY``).
- A part is a file when its ``Content-Disposition`` has a ``filename`` or its name is one of
  ``file_fields`` (``photo``); of several file parts with one name only the first is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

#: Bytes of part headers and text fields together, for the whole body (as much as an urlencoded
#: form may carry, ``incoming.MAX_FORM_BYTES``).
MAX_TEXT_BYTES: Final = 1024 * 1024
MAX_PARTS: Final = 256


class MultipartError(ValueError):
    """The body is not a complete, well-formed multipart form (or exceeds the caps)."""


@dataclass
class FilePart:
    """What arrived in a file part: its size and checksums, never its bytes."""

    name: str
    filename: str | None
    size: int = 0
    sha1: str = ""


@dataclass
class MultipartBody:
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, FilePart] = field(default_factory=dict)


class _Reader:
    """python-multipart callbacks collecting one body."""

    def __init__(self, file_fields: frozenset[str]) -> None:
        self.file_fields = file_fields
        self.body = MultipartBody()
        self.ended = False
        self.parts = 0
        self.text_bytes = 0  # part headers and text fields so far, against MAX_TEXT_BYTES
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._text: bytearray | None = None
        self._file: FilePart | None = None
        # SHA-1 only: at ~1.8 GB/s it is a small part of the sandbox's work per byte, where
        # adding MD5 (~0.7 GB/s) made the sandbox, not the client, the limit of every upload
        # benchmark.
        self._sha1: Any = None

    def _count(self, size: int) -> None:
        self.text_bytes += size
        if self.text_bytes > MAX_TEXT_BYTES:
            raise MultipartError(f"headers and text fields over {MAX_TEXT_BYTES} bytes")

    # -- callbacks ------------------------------------------------------------------------

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise MultipartError(f"more than {MAX_PARTS} parts")
        self._headers = {}
        self._text = None
        self._file = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise MultipartError("a part without 'Content-Disposition: form-data; name=…'")
        self._name = options[b"name"].decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        if raw_filename is not None or self._name in self.file_fields:
            self._file = FilePart(
                self._name,
                None if raw_filename is None else raw_filename.decode("utf-8", "replace"),
            )
            self._sha1 = hashlib.sha1(usedforsecurity=False)
        else:
            self._text = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            # A memoryview slice: hashing a multi-megabyte chunk copies nothing.
            chunk = memoryview(data)[start:end]
            self._file.size += len(chunk)
            self._sha1.update(chunk)
        elif self._text is not None:
            self._count(end - start)
            self._text += data[start:end]

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.sha1 = self._sha1.hexdigest()
            self.body.files.setdefault(self._file.name, self._file)
        elif self._text is not None:
            self.body.fields.append((self._name, self._text.decode("utf-8", "replace")))

    def on_end(self) -> None:
        self.ended = True


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a ``multipart/form-data`` content type, else ``None``."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        return None
    return options.get(b"boundary") or None


async def read_multipart(
    chunks: AsyncIterator[bytes],
    boundary: bytes,
    file_fields: frozenset[str] = frozenset({"photo"}),
) -> MultipartBody:
    """Parse a multipart body from ``chunks`` as they arrive.

    Raises:
        MultipartError: malformed or truncated body, or a cap exceeded.
    """
    reader = _Reader(file_fields)
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": reader.on_part_begin,
                "on_part_data": reader.on_part_data,
                "on_part_end": reader.on_part_end,
                "on_header_field": reader.on_header_field,
                "on_header_value": reader.on_header_value,
                "on_header_end": reader.on_header_end,
                "on_headers_finished": reader.on_headers_finished,
                "on_end": reader.on_end,
            },
        )
        async for chunk in chunks:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except FormParserError as err:
        raise MultipartError(str(err)) from None
    if not reader.ended:
        raise MultipartError("the body ended before its closing boundary")
    return reader.body
