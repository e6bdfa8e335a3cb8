"""Streaming ``multipart/form-data`` bodies for uploads, for every service.

``MultipartUpload(fields, file, …)`` describes one upload; ``headers()`` gives its
``Content-Type`` (with the boundary) and exact ``Content-Length``, and ``body()`` an iterator of
byte chunks: the text fields first, then the file part, read from the file ``chunk_size`` bytes
at a time as the transport asks for them. Memory use does not grow with the file, and no chunked
encoding is needed, except for a stream of unknown size (a pipe), which is sent chunked
(``chunked`` is then true and ``content_length()`` is ``None``). ``text_fields(fields)`` is the
list of text fields exactly as they are sent: what a service signs (Flickr signs every field
but ``photo``).

Invariants:
- A missing, unreadable, write-only, text-mode or closed source is a ``UsageError`` raised by
  the constructor, before any network activity.
- ``body()`` can be called again for a retry: a path is re-opened, a seekable file object is
  rewound to where it was when the upload was made. A stream that cannot be rewound is sent
  once; asking again is a ``UsageError`` saying why.
- ``headers()`` and ``body()`` agree byte for byte as long as ``fields`` is not changed between
  them (it may be changed before, e.g. to add a signature).
- The boundary occurs in no field name, value or filename (it is re-drawn if it would), and is
  128 random bits, so it occurs in the file with negligible probability.
- Names and the filename are escaped so they cannot end their header line or their quoted
  string: ``\\`` and ``"`` as quoted pairs (RFC 2045; python-multipart and the email package
  undo them exactly), CR, LF and other control characters as ``%0D``-style escapes (as
  browsers do). Non-ASCII text is sent as UTF-8, as browsers do (RFC 7578 §4.2).
- The progress callback is called ``callback(percent, done)`` as the bytes are handed to the
  transport: ``percent`` in [0, 100], non-decreasing, at most about once per percent, ending
  with exactly one ``(100.0, True)``. Raising inside it (e.g. ``CancelUpload``) aborts the
  upload; the file is closed either way.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import secrets
import stat
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import IO, Any, Final

from tether.core.errors import UsageError

__all__ = ["CHUNK_SIZE", "MultipartUpload", "Progress", "text_fields"]

# Measured (256 MiB uploads to the sandbox, each in a fresh process, eight interleaved rounds):
# 64 KiB and 128 KiB chunks gave a median 299 MiB/s, 256 KiB 285 and 1 MiB 284 (flickrapi: 290).
# Likely causes, not verified: a chunk over glibc's 128 KiB mmap threshold can be mapped and
# unmapped on every read, and a smaller one stays in the CPU cache between the read and the
# send. Memory use is a constant either way.
CHUNK_SIZE: Final = 64 * 1024

Progress = Callable[[float, bool], None]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN_CHARS = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _quote(value: str) -> str:
    """Text that can sit inside a quoted header parameter and come back out unchanged."""
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", value)


def _field_value(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # an int subclass; "True" is rarely what a service wants
        raise UsageError(
            f"upload field {name!r} is a boolean; give the text the service expects "
            "(Flickr: '1' or '0')"
        )
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"upload field {name!r} is bytes that are not UTF-8 text") from None
    raise UsageError(f"upload field {name!r} must be text, not {type(value).__name__}")


def text_fields(fields: Mapping[str, object]) -> list[tuple[str, str]]:
    """The text fields of an upload exactly as they are sent, in order: what gets signed.

    Args:
        fields: field names to values (text, numbers, or UTF-8 bytes).

    Returns:
        ``(name, value)`` pairs of text, in the mapping's order.

    Raises:
        UsageError: a name is not a non-empty string, or a value is not text-like.
    """
    out = []
    for name, value in fields.items():
        if not isinstance(name, str) or not name:
            raise UsageError(f"an upload field name must be a non-empty string, not {name!r}")
        out.append((name, _field_value(name, value)))
    return out


def _check_path(path: str) -> tuple[int | None, bool]:
    """(size, regular file) for a path we are about to upload; raises UsageError early."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"cannot upload {path}: no such file") from None
    except PermissionError:
        raise UsageError(f"cannot upload {path}: permission denied") from None
    except OSError as e:
        raise UsageError(f"cannot upload {path}: {e.strerror}") from None
    except ValueError:  # an embedded NUL
        raise UsageError(f"cannot upload {path!r}: not a valid file name") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"cannot upload {path}: it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or a device: opening it here could block, and its size means nothing.
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot upload {path}: permission denied")
        return None, False
    try:
        with open(path, "rb"):  # the real test of readability (ACLs, network file systems)
            pass
    except PermissionError:
        raise UsageError(f"cannot upload {path}: permission denied") from None
    except OSError as e:
        raise UsageError(f"cannot upload {path}: {e.strerror}") from None
    return st.st_size, True


class MultipartUpload:
    """One ``multipart/form-data`` upload: text fields, then one file, streamed.

    Args:
        fields: text fields, sent first, in order (may be reassigned until the body is built,
            e.g. to add signature fields).
        file: a path, or a binary file object (seekable or not).
        filename: the name sent for the file; defaults to the path's base name, the file
            object's ``name``, or ``"upload"``. Never the full local path.
        progress: ``callback(percent, done)``, see the module invariants.
        file_field: the form name of the file part (``photo`` for Flickr).
        content_type: the file part's type; guessed from the filename otherwise.
        boundary: a fixed multipart boundary (tests); random otherwise.
        chunk_size: bytes read from the file at a time.

    Raises:
        UsageError: the file is missing, unreadable, a folder, opened in text mode or for
            writing only, or closed; or an argument is malformed. Nothing has been sent.
    """

    def __init__(
        self,
        fields: Mapping[str, object],
        file: str | os.PathLike[str] | IO[bytes],
        filename: str | None = None,
        progress: Progress | None = None,
        file_field: str = "photo",
        content_type: str | None = None,
        *,
        boundary: str | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.fields: Mapping[str, object] = dict(fields)
        if not isinstance(file_field, str) or not file_field:
            raise UsageError("file_field must be a non-empty string")
        if chunk_size < 1:
            raise UsageError("chunk_size must be positive")
        self.file_field = file_field
        self._text_pairs()  # bad fields fail now, not mid-request
        self.progress = progress
        self.chunk_size = chunk_size
        self._path: str | None = None
        self._fileobj: IO[bytes] | None = None
        self._start = 0
        self._rewindable = True
        self._sent_once = False
        self._live: Generator[bytes, None, None] | None = None
        self.size: int | None
        if isinstance(file, (str, os.PathLike)):
            path = os.fspath(file)
            if not path:
                raise UsageError("cannot upload: no file name given")
            self.size, self._rewindable = _check_path(path)
            self._path = path
            default_name = os.path.basename(path)
        elif isinstance(file, (bytes, bytearray, memoryview)):
            raise UsageError(
                "file must be a path (str) or a binary file object; wrap bytes in io.BytesIO"
            )
        else:
            self._fileobj = self._check_fileobj(file)
            default_name = os.path.basename(str(getattr(file, "name", "") or ""))
        self.filename = filename if filename is not None else (default_name or "upload")
        if not isinstance(self.filename, str):
            raise UsageError("filename must be a string")
        ctype = content_type or mimetypes.guess_type(self.filename)[0] or "application/octet-stream"
        if _CONTROL.search(ctype):
            raise UsageError(f"content_type {ctype!r} contains control characters")
        self.content_type = ctype
        if boundary is not None and not re.fullmatch(r"[0-9A-Za-z'()+_,./:=?-]{1,70}", boundary):
            raise UsageError("a multipart boundary is 1-70 letters, digits or '()+_,-./:=?")
        self._boundary_seed = boundary or "tether-" + secrets.token_hex(16)

    def _check_fileobj(self, file: Any) -> IO[bytes]:
        if not callable(getattr(file, "read", None)):
            raise UsageError(
                f"file must be a path or a binary file object, not {type(file).__name__}"
            )
        if isinstance(file, io.TextIOBase):
            raise UsageError("the file is open in text mode; open it in binary mode ('rb')")
        if getattr(file, "closed", False):
            raise UsageError("the file object is closed")
        readable = getattr(file, "readable", None)
        if callable(readable) and not readable():
            raise UsageError("the file object is not open for reading; open it with 'rb'")
        self.size = None
        self._rewindable = False
        try:
            if file.seekable():
                self._start = file.tell()
                try:
                    # seek()'s return value is not relied on: some file-like objects answer None.
                    file.seek(0, os.SEEK_END)
                    self.size = max(0, file.tell() - self._start)
                finally:
                    file.seek(self._start)  # the caller's position, whatever happened
                self._rewindable = True
        except (AttributeError, OSError, ValueError, TypeError):
            self.size = None
            self._rewindable = False
        return file  # type: ignore[no-any-return]

    # --- the pieces of the body ---------------------------------------------------------------

    @property
    def boundary(self) -> str:
        """The multipart boundary for the current fields (stable while they do not change)."""
        texts = [self.filename, self.file_field]
        for name, value in text_fields(self.fields):
            texts += (name, value)
        boundary, n = self._boundary_seed, 0
        while any(boundary in t for t in texts):
            n += 1
            boundary = f"{self._boundary_seed}{n}"
        return boundary

    @property
    def chunked(self) -> bool:
        """Whether the size is unknown, so the body must go with chunked transfer encoding."""
        return self.size is None

    def signing_fields(self) -> list[tuple[str, str]]:
        """``text_fields(self.fields)``: the fields as sent, the file part excluded."""
        return text_fields(self.fields)

    def _head(self, boundary: str) -> bytes:
        parts = []
        for name, value in self._text_pairs():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
                f"{value}\r\n"
            )
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quote(self.file_field)}"; filename="{_quote(self.filename)}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        )
        return "".join(parts).encode("utf-8")

    def _text_pairs(self) -> list[tuple[str, str]]:
        pairs = text_fields(self.fields)
        if any(name == self.file_field for name, _ in pairs):
            raise UsageError(f"a text field is named {self.file_field!r}, like the file part")
        return pairs

    @staticmethod
    def _tail(boundary: str) -> bytes:
        return f"\r\n--{boundary}--\r\n".encode()

    def content_length(self) -> int | None:
        """The exact body length in bytes, or ``None`` when the file's size is unknown."""
        if self.size is None:
            return None
        b = self.boundary
        return len(self._head(b)) + self.size + len(self._tail(b))

    def headers(self) -> tuple[tuple[str, str], ...]:
        """``Content-Type`` (with the boundary) and, when known, ``Content-Length``."""
        b = self.boundary
        ctype = ("Content-Type", f"multipart/form-data; boundary={b}")
        length = self.content_length()
        if length is None:
            return (ctype,)
        return ctype, ("Content-Length", str(length))

    def body(self) -> Iterator[bytes]:
        """A fresh iterator over the whole body (see the module invariants).

        Raises:
            UsageError: the source is a stream already sent once, which cannot be rewound;
                or (while iterating) the file shrank or its reads are not bytes.
        """
        if not self._rewindable:
            if self._sent_once:
                raise UsageError(
                    "the upload's source is a stream that cannot be rewound, so it cannot be "
                    "sent again; pass a file name or a seekable file to allow retries"
                )
            self._sent_once = True
        if self._fileobj is not None and self._live is not None:
            # A shared file object: an abandoned earlier attempt must not read from it again.
            self._live.close()
        b = self.boundary
        gen = self._chunks(self._head(b), self._tail(b))
        self._live = gen if self._fileobj is not None else None
        return gen

    __iter__ = body

    def rewind(self) -> bool:
        """Put a caller's seekable file object back where it stood when this upload was made,
        so the caller can upload the same object again after a failure; whether it did. A
        path, a stream, a closed file or one that refuses to seek is left as it is."""
        f = self._fileobj
        if f is None or not self._rewindable or f.closed:
            return False
        if self._live is not None:
            self._live.close()  # an abandoned attempt must not read from it again
            self._live = None
        try:
            f.seek(self._start)
        except (OSError, ValueError):
            return False
        return True

    def _chunks(self, head: bytes, tail: bytes) -> Generator[bytes, None, None]:
        size = self.size
        total = len(head) + size + len(tail) if size is not None else None
        progress = self.progress
        sent = 0
        last = -1.0

        def report(n: int) -> None:
            nonlocal sent, last
            sent += n
            if progress is None or total is None:
                return
            percent = min(100.0, 100.0 * sent / total)
            if percent - last >= 1.0:
                last = percent
                progress(percent, False)

        yield head
        report(len(head))
        f: Any
        if self._path is not None:
            f = open(self._path, "rb")  # noqa: SIM115 - closed in finally; the generator owns it
            owned = True
        else:
            f = self._fileobj
            owned = False
            if self._rewindable:
                f.seek(self._start)
        try:
            remaining = size
            while remaining is None or remaining > 0:
                want = self.chunk_size if remaining is None else min(self.chunk_size, remaining)
                chunk = f.read(want)
                if not isinstance(chunk, (bytes, bytearray)):
                    raise UsageError(
                        f"reading {self.filename} gave {type(chunk).__name__}, not bytes; "
                        "open the file in binary mode"
                    )
                if not chunk:
                    if remaining:
                        raise UsageError(
                            f"{self.filename} shrank while uploading ({remaining} bytes "
                            "missing); upload it again"
                        )
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield bytes(chunk)
                report(len(chunk))
        finally:
            if owned:
                f.close()
        yield tail
        if progress is not None:
            progress(100.0, True)

    def __repr__(self) -> str:
        size = "unknown size" if self.size is None else f"{self.size} bytes"
        return f"MultipartUpload({self.filename!r}, {size}, fields={sorted(self.fields)})"
