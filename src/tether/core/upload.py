"""Streaming ``multipart/form-data`` bodies for uploads, for every service.

``MultipartUpload(fields, file=…)`` produces the body as an iterator of byte chunks read from
the file as the transport sends them, so memory use does not grow with the file; the exact
``Content-Length`` is computed up front from the file's size, so no chunked encoding is
needed.

Invariants:
- A missing, unreadable or non-file source is a ``UsageError`` at construction: before any
  network activity.
- ``body()`` can be called again for a retry: a path is re-opened, a seekable file object is
  rewound to where it started. A non-seekable stream can be sent once (chunked, size unknown).
- The progress callback gets ``(percent, done)`` with percent non-decreasing, ending with
  ``(100.0, True)``; raising inside it (e.g. ``CancelUpload``) aborts the upload.
- Field names and the filename are escaped so they cannot break out of their header line.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

from tether.core.errors import UsageError

CHUNK = 256 * 1024  # large enough for few syscalls, small enough to stay constant-memory
Progress = Callable[[float, bool], None]


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", " ").replace("\n", " ")


class MultipartUpload:
    """Args:
    fields: text fields, sent first, in order.
    file: a path or a binary file object.
    filename: the name sent for the file (defaults to the path's base name).
    progress: ``callback(percent, done)``.
    file_field: the form name of the file part (``photo`` for Flickr).
    content_type: the file part's type (guessed from the name otherwise).
    """

    def __init__(
        self,
        fields: Mapping[str, str],
        file: str | os.PathLike[str] | IO[bytes],
        filename: str | None = None,
        progress: Progress | None = None,
        file_field: str = "photo",
        content_type: str | None = None,
    ) -> None:
        self.fields: Mapping[str, str] = dict(fields)
        self.progress = progress
        self.file_field = file_field
        self._path: str | None = None
        self._fileobj: IO[bytes] | None = None
        self._start = 0
        self._sent_once = False
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            try:
                st = os.stat(path)
                with open(path, "rb"):
                    pass
            except FileNotFoundError:
                raise UsageError(f"cannot upload {path}: no such file") from None
            except IsADirectoryError:
                raise UsageError(f"cannot upload {path}: it is a directory") from None
            except PermissionError:
                raise UsageError(f"cannot upload {path}: permission denied") from None
            except OSError as e:
                raise UsageError(f"cannot upload {path}: {e.strerror}") from None
            self._path = path
            self.size: int | None = st.st_size
            name = filename or os.path.basename(path)
        else:
            if not hasattr(file, "read"):
                raise UsageError("file must be a path or a binary file object")
            self._fileobj = file
            self.size = None
            try:
                if file.seekable():
                    self._start = file.tell()
                    self.size = file.seek(0, os.SEEK_END) - self._start
                    file.seek(self._start)
            except (OSError, ValueError):
                self.size = None
            name = filename or os.path.basename(str(getattr(file, "name", "") or "")) or "upload"
        self.filename = name
        self.content_type = (
            content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        self.boundary = "tether-" + secrets.token_hex(16)

    # The text before and after the file bytes; fields may be changed until body() is built.
    def _head(self) -> bytes:
        b = self.boundary
        parts = []
        for name, value in self.fields.items():
            parts.append(
                f'--{b}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                + str(value).encode("utf-8")
                + b"\r\n"
            )
        parts.append(
            (
                f'--{b}\r\nContent-Disposition: form-data; name="{_quote(self.file_field)}"; '
                f'filename="{_quote(self.filename)}"\r\nContent-Type: {self.content_type}\r\n\r\n'
            ).encode()
        )
        head = b"".join(parts)
        if self.boundary.encode() in b"".join(str(v).encode() for v in self.fields.values()):
            raise UsageError("a field contains the multipart boundary; retry the upload")
        return head

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    def content_length(self) -> int | None:
        if self.size is None:
            return None
        return len(self._head()) + self.size + len(self._tail())

    def headers(self) -> tuple[tuple[str, str], ...]:
        ctype = ("Content-Type", f"multipart/form-data; boundary={self.boundary}")
        length = self.content_length()
        return (ctype,) if length is None else (ctype, ("Content-Length", str(length)))

    def body(self) -> Iterator[bytes]:
        """A fresh iterator over the whole body (see the module invariants)."""
        if self._fileobj is not None and self.size is None:
            if self._sent_once:
                raise UsageError("this upload reads a stream that cannot be rewound; not re-sent")
            self._sent_once = True
        return self._chunks(self._head(), self._tail())

    def _chunks(self, head: bytes, tail: bytes) -> Iterator[bytes]:
        total = len(head) + (self.size or 0) + len(tail)
        sent = 0
        last = -1.0

        def report(n: int, done: bool = False) -> None:
            nonlocal sent, last
            sent += n
            if self.progress is None:
                return
            percent = 100.0 if done else min(99.99, 100.0 * sent / total) if total else 0.0
            if done or percent - last >= 1.0:
                last = percent
                self.progress(percent, done)

        yield head
        report(len(head))
        f: Any
        if self._path is not None:
            f = open(self._path, "rb")  # noqa: SIM115 - closed in finally; a generator owns it
            owned = True
        else:
            f = self._fileobj
            owned = False
            if self.size is not None:
                f.seek(self._start)
        try:
            remaining = self.size
            while remaining is None or remaining > 0:
                chunk = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    if remaining:
                        raise UsageError(
                            f"{self.filename} shrank while uploading ({remaining} bytes missing)"
                        )
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
                report(len(chunk))
        finally:
            if owned:
                f.close()
        yield tail
        report(len(tail), done=True)
