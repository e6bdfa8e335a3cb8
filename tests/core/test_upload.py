"""Streaming multipart: parses back exactly (python-multipart and the email package), exact
length, constant memory, progress, retries, early errors, hostile names."""

from __future__ import annotations

import io
import os
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_multipart.multipart import MultipartParser, parse_options_header

from tether.core.errors import UsageError
from tether.core.upload import CHUNK_SIZE, MultipartUpload, text_fields

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Part:
    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)

    @property
    def disposition(self) -> dict[str, str]:
        _, params = parse_options_header(self.headers["content-disposition"].encode("latin-1"))
        return {k.decode(): v.decode("utf-8") for k, v in params.items()}


def multipart_parts(upload: MultipartUpload, chunks: Iterator[bytes] | None = None) -> list[Part]:
    """Parse the body as a server does (python-multipart, what Starlette uses), streaming."""
    headers = dict(upload.headers())
    ctype, params = parse_options_header(headers["Content-Type"])
    assert ctype == b"multipart/form-data"
    parts: list[Part] = []
    name = bytearray()
    value = bytearray()

    def on_part_begin() -> None:
        parts.append(Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1].headers[name.decode().lower()] = value.decode("latin-1")
        name.clear()
        value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.extend(data[start:end])

    ended: list[bool] = []
    parser = MultipartParser(
        params[b"boundary"],
        {  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_end": lambda: ended.append(True),
        },
    )
    n = 0
    for chunk in chunks if chunks is not None else upload.body():
        n += len(chunk)
        parser.write(chunk)
    parser.finalize()
    assert ended == [True]
    if "Content-Length" in headers:
        assert int(headers["Content-Length"]) == n
    return parts


def fields_and_file(upload: MultipartUpload) -> tuple[list[tuple[str, str]], bytes, Part]:
    parts = multipart_parts(upload)
    *texts, file_part = parts
    assert all("filename" not in p.disposition for p in texts)  # text fields first
    return (
        [(p.disposition["name"], p.data.decode()) for p in texts],
        bytes(file_part.data),
        file_part,
    )


def email_parse(upload: MultipartUpload) -> tuple[dict[str, str], bytes, str]:
    """A second, independent parser: the standard library's."""
    body = b"".join(upload.body())
    headers = dict(upload.headers())
    msg = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    data, filename = b"", ""
    for part in msg.iter_parts():  # type: ignore[attr-defined]
        if part.get_filename():
            data, filename = part.get_payload(decode=True), part.get_filename()
        else:
            name = part.get_param("name", header="content-disposition")
            fields[name] = part.get_payload(decode=True).decode()
    return fields, data, filename


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "pic.jpg"
    p.write_bytes(os.urandom(1_000_003))  # not a multiple of any chunk size
    return p


# --- the body parses back exactly --------------------------------------------------------------


def test_round_trip(photo: Path) -> None:
    fields = {
        "title": "Zo\u00eb \u20ac30 \U0001f600",
        "tags": 'Amsterdam "central station"',
        "description": "line 1\r\n--not-a-boundary\r\nline 3",
        "is_public": "0",
    }
    up = MultipartUpload(fields, str(photo))
    texts, data, part = fields_and_file(up)
    assert texts == list(fields.items())
    assert data == photo.read_bytes()
    assert part.disposition == {"name": "photo", "filename": "pic.jpg"}
    assert part.headers["content-type"] == "image/jpeg"
    assert email_parse(up) == (fields, photo.read_bytes(), "pic.jpg")


def test_file_object_and_content_type(tmp_path: Path) -> None:
    f = io.BytesIO(b"\x89PNG" + bytes(range(256)) * 10)
    up = MultipartUpload({"a": "b"}, f, filename="x.png", file_field="file")
    texts, data, part = fields_and_file(up)
    assert texts == [("a", "b")] and data == f.getvalue()
    assert part.disposition["name"] == "file" and part.headers["content-type"] == "image/png"
    assert MultipartUpload({}, io.BytesIO(b"")).content_type == "application/octet-stream"
    given_type = MultipartUpload({}, io.BytesIO(b""), filename="a.jpg", content_type="video/mp4")
    assert given_type.content_type == "video/mp4"


def test_filename_defaults_never_send_the_local_folder(tmp_path: Path, photo: Path) -> None:
    assert MultipartUpload({}, str(photo)).filename == "pic.jpg"
    assert MultipartUpload({}, photo).filename == "pic.jpg"  # a Path works
    with open(photo, "rb") as f:
        assert MultipartUpload({}, f).filename == "pic.jpg"
    assert MultipartUpload({}, io.BytesIO(b"x")).filename == "upload"
    assert MultipartUpload({}, str(photo), filename="other.gif").content_type == "image/gif"


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 100])
def test_content_length_is_exact_at_chunk_edges(tmp_path: Path, size: int) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(os.urandom(size))
    up = MultipartUpload({"k": "v"}, str(p), chunk_size=7)
    length = up.content_length()
    assert length == int(dict(up.headers())["Content-Length"])
    chunks = list(up.body())
    assert sum(map(len, chunks)) == length and not up.chunked
    assert all(len(c) <= 7 for c in chunks[1:-1])  # the file is read 7 bytes at a time
    assert fields_and_file(up)[1] == p.read_bytes()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda n: n != "photo"),
        st.text(max_size=40),
        max_size=5,
    ),
    data=st.binary(max_size=3000),
    chunk_size=st.integers(1, 700),
    filename=st.text(max_size=20),
)
def test_any_fields_and_bytes_parse_back(
    fields: dict[str, str], data: bytes, chunk_size: int, filename: str
) -> None:
    up = MultipartUpload(fields, io.BytesIO(data), filename=filename, chunk_size=chunk_size)
    texts, got, part = fields_and_file(up)
    assert got == data
    # A value comes back exactly; names and filenames exactly unless they hold control
    # characters, which are escaped so that they cannot end the header line.
    assert [v for _, v in texts] == list(fields.values())
    for (name, _), sent in zip(texts, fields, strict=True):
        assert name == sent or any(ord(c) < 32 or ord(c) == 127 for c in sent)
    if not any(ord(c) < 32 or ord(c) == 127 for c in filename):
        assert part.disposition.get("filename", "") == filename or "\\" in filename


# --- fields ----------------------------------------------------------------------------------


def test_text_fields_are_what_gets_signed() -> None:
    assert text_fields({"b": "2", "a": 1, "c": b"\xc3\xa9", "d": 1.5}) == [
        ("b", "2"),
        ("a", "1"),
        ("c", "\u00e9"),
        ("d", "1.5"),
    ]
    up = MultipartUpload({"title": "t", "n": 3}, io.BytesIO(b"x"))
    assert up.signing_fields() == [("title", "t"), ("n", "3")]  # the file part never is


@pytest.mark.parametrize(
    "fields",
    [{"is_public": True}, {"x": None}, {"x": object()}, {"": "v"}, {"x": b"\xff"}, {3: "v"}],
)
def test_bad_fields_fail_at_construction(fields: dict[Any, Any]) -> None:
    with pytest.raises(UsageError):
        MultipartUpload(fields, io.BytesIO(b"x"))


def test_fields_can_be_replaced_before_sending(photo: Path) -> None:
    """The Flickr client adds api_key and a signature after building the upload."""
    up = MultipartUpload({"title": "t"}, str(photo))
    up.fields = {"title": "t", "api_key": "k", "api_sig": "0123abcd"}
    texts, data, _ = fields_and_file(up)
    assert texts == [("title", "t"), ("api_key", "k"), ("api_sig", "0123abcd")]
    assert data == photo.read_bytes()


def test_a_text_field_named_like_the_file_part_is_refused() -> None:
    with pytest.raises(UsageError, match="named 'photo'"):
        MultipartUpload({"photo": "oops"}, io.BytesIO(b"x"))  # at construction
    up = MultipartUpload({}, io.BytesIO(b"x"))
    up.fields = {"photo": "oops"}
    with pytest.raises(UsageError, match="named 'photo'"):
        up.headers()


def test_boundary_never_occurs_in_the_fields() -> None:
    up = MultipartUpload(
        {"a": "xx--fixedboundary--yy"}, io.BytesIO(b"data"), boundary="fixedboundary"
    )
    assert up.boundary != "fixedboundary" and up.boundary.startswith("fixedboundary")
    assert up.boundary not in "xx--fixedboundary--yy"
    texts, data, _ = fields_and_file(up)
    assert texts == [("a", "xx--fixedboundary--yy")] and data == b"data"
    assert dict(up.headers())["Content-Type"].endswith(up.boundary)
    a = MultipartUpload({}, io.BytesIO(b""))
    b = MultipartUpload({}, io.BytesIO(b""))
    assert a.boundary != b.boundary and len(a.boundary) >= 32


def test_bad_boundary_and_content_type_are_refused() -> None:
    with pytest.raises(UsageError):
        MultipartUpload({}, io.BytesIO(b""), boundary="has space")
    with pytest.raises(UsageError):
        MultipartUpload({}, io.BytesIO(b""), boundary="x" * 71)
    with pytest.raises(UsageError):
        MultipartUpload({}, io.BytesIO(b""), content_type="image/jpeg\r\nX-Evil: 1")
    with pytest.raises(UsageError):
        MultipartUpload({}, io.BytesIO(b""), chunk_size=0)


# --- hostile names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "parsed"),
    [
        ('evil"; name="other', 'evil"; name="other'),
        ("back\\slash.jpg", "back\\slash.jpg"),
        (
            "\u65e5\u672c\u8a9e \u00e9t\u00e9 \U0001f600.jpg",
            "\u65e5\u672c\u8a9e \u00e9t\u00e9 \U0001f600.jpg",
        ),
        (
            'x"\r\nContent-Type: text/html\r\n\r\n<script>.jpg',
            'x"%0D%0AContent-Type: text/html%0D%0A%0D%0A<script>.jpg',
        ),
        ("nul\x00byte\ttab.jpg", "nul%00byte%09tab.jpg"),
    ],
)
def test_hostile_filenames_cannot_break_out(tmp_path: Path, filename: str, parsed: str) -> None:
    up = MultipartUpload({"title": "t"}, io.BytesIO(b"data"), filename=filename)
    parts = multipart_parts(up)
    assert len(parts) == 2  # no part was smuggled in
    file_part = parts[1]
    assert file_part.disposition["name"] == "photo" and file_part.disposition["filename"] == parsed
    assert set(file_part.headers) == {"content-disposition", "content-type"}  # none injected
    assert bytes(file_part.data) == b"data"


def test_hostile_field_names(tmp_path: Path) -> None:
    up = MultipartUpload({'na"me\r\nX-Evil: 1': "v", "\u00e9": "w"}, io.BytesIO(b"d"))
    parts = multipart_parts(up)
    assert len(parts) == 3 and all("x-evil" not in p.headers for p in parts)
    assert parts[0].disposition["name"] == 'na"me%0D%0AX-Evil: 1'
    assert parts[1].disposition["name"] == "\u00e9"
    body = b"".join(up.body())
    assert b"\r\nX-Evil" not in body


# --- memory, progress ---------------------------------------------------------------------------


def test_constant_memory_for_a_large_file(tmp_path: Path) -> None:
    p = tmp_path / "big.bin"
    with open(p, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # 64 MiB, sparse: costs no disk
    up = MultipartUpload({"title": "big"}, str(p))
    tracemalloc.start()
    n = biggest = 0
    try:
        for chunk in up.body():
            n += len(chunk)
            biggest = max(biggest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (
        n
        == up.content_length()
        == 64 * 1024 * 1024 + len(up._head(up.boundary)) + len(up._tail(up.boundary))
    )
    assert biggest == CHUNK_SIZE
    assert peak < 3 * CHUNK_SIZE + 512 * 1024, peak  # a chunk or two, never the file


def test_progress_is_monotonic_and_ends_done_once(photo: Path) -> None:
    calls: list[tuple[float, bool]] = []
    up = MultipartUpload(
        {"t": "1"}, str(photo), chunk_size=4096, progress=lambda pc, done: calls.append((pc, done))
    )
    for _ in up.body():
        pass
    percents = [pc for pc, _ in calls]
    assert percents == sorted(percents) and all(0 <= pc <= 100 for pc in percents)
    assert calls[-1] == (100.0, True) and [d for _, d in calls].count(True) == 1
    assert 50 <= len(calls) <= 102  # about once per percent, not once per chunk
    assert percents[0] < 1.0  # the first report comes early


def test_progress_follows_what_the_transport_took(photo: Path) -> None:
    """A report comes when the transport asks for more: the bytes before were handed over."""
    calls: list[float] = []
    up = MultipartUpload(
        {}, str(photo), chunk_size=100_000, progress=lambda pc, d: calls.append(pc)
    )
    total = up.content_length() or 0
    it = up.body()
    taken = len(next(it)) + len(next(it))  # head, first chunk
    assert calls and calls[-1] == pytest.approx(100 * len(up._head(up.boundary)) / total)
    next(it)
    assert calls[-1] == pytest.approx(100 * taken / total)


def test_a_raising_callback_aborts_and_closes_the_file(
    photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Cancel(Exception):
        pass

    def cancel(pc: float, done: bool) -> None:
        if pc > 30:
            raise Cancel

    opened: list[Any] = []  # kept alive here, so only an explicit close() can close them

    def spy_open(*args: Any, **kwargs: Any) -> Any:
        f = open(*args, **kwargs)  # noqa: SIM115 - the test checks who closes it
        opened.append(f)
        return f

    monkeypatch.setattr("tether.core.upload.open", spy_open, raising=False)
    up = MultipartUpload({}, str(photo), chunk_size=10_000, progress=cancel)
    body = up.body()  # also kept alive: its frame must not be what closes the file
    with pytest.raises(Cancel):
        for _ in body:
            pass
    assert opened and all(f.closed for f in opened)


# --- retries -------------------------------------------------------------------------------------


def test_body_is_re_iterable_for_a_retry(photo: Path) -> None:
    up = MultipartUpload({"a": "b"}, str(photo))
    first = b"".join(up.body())
    it = up.body()
    next(it)
    next(it)  # an attempt that died part-way
    assert b"".join(up.body()) == first == b"".join(up)


def test_file_object_is_sent_from_where_it_was_and_rewound_for_retries() -> None:
    f = io.BytesIO(b"junk" + b"y" * 5000 + b"end")
    f.read(4)
    up = MultipartUpload({}, f, filename="y.bin", chunk_size=1000)
    assert up.size == 5003
    abandoned = up.body()
    next(abandoned)
    next(abandoned)  # the first attempt read 1000 bytes, then failed
    second = up.body()
    next(second)
    assert list(abandoned) == []  # a late pull on the dead attempt cannot move the file
    assert b"".join(second) == b"".join(up.body())[len(next(up.body())) :]
    _, data, _ = fields_and_file(up)
    assert data == b"y" * 5000 + b"end"


def test_a_non_seekable_stream_is_sent_once_chunked() -> None:
    r, w = os.pipe()
    os.write(w, b"streamed" * 1000)
    os.close(w)
    calls: list[tuple[float, bool]] = []
    with os.fdopen(r, "rb", buffering=0) as f:
        up = MultipartUpload({"a": "b"}, f, filename="s.bin", progress=lambda *a: calls.append(a))
        assert up.chunked and up.content_length() is None and up.size is None
        assert "Content-Length" not in dict(up.headers())
        _, data, _ = fields_and_file(up)
        assert data == b"streamed" * 1000
        assert calls == [(100.0, True)]  # no percentages without a size, but the end is told
        with pytest.raises(UsageError, match="cannot be rewound"):
            up.body()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_not_opened_early_and_is_streamed(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    up = MultipartUpload({}, str(fifo))  # must not block: nobody writes yet
    assert up.chunked

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(b"piped data")

    t = threading.Thread(target=writer)
    t.start()
    _, data, _ = fields_and_file(up)
    t.join()
    assert data == b"piped data"


def test_a_file_that_shrinks_mid_upload_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"x" * 10_000)
    up = MultipartUpload({}, str(p), chunk_size=1000)
    it = up.body()
    next(it)
    next(it)
    p.write_bytes(b"x" * 1500)
    with pytest.raises(UsageError, match="shrank"):
        list(it)


def test_a_file_that_grows_sends_what_was_announced(tmp_path: Path) -> None:
    p = tmp_path / "f.bin"
    p.write_bytes(b"a" * 100)
    up = MultipartUpload({}, str(p))
    p.write_bytes(b"a" * 100 + b"b" * 50)
    _, data, _ = fields_and_file(up)  # also checks Content-Length against the bytes
    assert data == b"a" * 100


# --- early, clear errors -------------------------------------------------------------------


def test_missing_folder_and_empty_paths_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        MultipartUpload({}, str(tmp_path / "nope.jpg"))
    with pytest.raises(UsageError, match="folder"):
        MultipartUpload({}, str(tmp_path))
    with pytest.raises(UsageError, match="no file name"):
        MultipartUpload({}, "")
    with pytest.raises(UsageError):
        MultipartUpload({}, str(tmp_path / "a\x00b"))


@pytest.mark.skipif(IS_ROOT or sys.platform == "win32", reason="root reads any file")
def test_unreadable_file_fails_at_construction(photo: Path) -> None:
    photo.chmod(0)
    with pytest.raises(UsageError, match="permission denied"):
        MultipartUpload({}, str(photo))


def test_unreadable_file_fails_at_construction_even_as_root(
    photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tether.core.upload as upload_module

    def denied(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(upload_module, "open", denied, raising=False)
    with pytest.raises(UsageError, match="permission denied"):
        MultipartUpload({}, str(photo))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: 12345, "not int"),
        (lambda p: b"raw bytes", "io.BytesIO"),
        (lambda p: io.StringIO("text"), "binary mode"),
        (lambda p: open(p, encoding="utf-8"), "binary mode"),  # noqa: SIM115
        (lambda p: open(p, "ab"), "not open for reading"),  # noqa: SIM115
    ],
)
def test_bad_sources_fail_at_construction(photo: Path, make: Any, message: str) -> None:
    src = make(photo)
    try:
        with pytest.raises(UsageError, match=message):
            MultipartUpload({}, src)
    finally:
        if hasattr(src, "close"):
            src.close()


def test_a_closed_file_fails_at_construction(photo: Path) -> None:
    f = open(photo, "rb")  # noqa: SIM115
    f.close()
    with pytest.raises(UsageError, match="closed"):
        MultipartUpload({}, f)


def test_a_file_object_reading_text_is_caught() -> None:
    class Sneaky:
        def read(self, n: int = -1) -> str:
            return "text"

    up = MultipartUpload({}, Sneaky())  # type: ignore[arg-type]
    assert up.chunked
    with pytest.raises(UsageError, match="not bytes"):
        list(up.body())


def test_repr_shows_no_field_values(photo: Path) -> None:
    up = MultipartUpload({"api_sig": "SECRETSIG"}, str(photo))
    assert "SECRETSIG" not in repr(up) and "pic.jpg" in repr(up)


def test_a_file_object_whose_seek_answers_none_is_measured_and_left_in_place() -> None:
    class OldStyle(io.BytesIO):
        def seek(self, pos: int, whence: int = 0) -> Any:  # type: ignore[override]
            super().seek(pos, whence)
            return None  # as some file-like objects do

    f = OldStyle(b"0123456789")
    f.read(3)
    up = MultipartUpload({}, f)
    assert up.size == 7 and f.tell() == 3
    _, data, _ = fields_and_file(up)
    assert data == b"3456789"


def test_rewind_puts_a_callers_file_back_where_it_stood(photo: Path) -> None:
    data = photo.read_bytes()
    f = io.BytesIO(b"xx" + data)
    f.seek(2)
    up = MultipartUpload({}, f, filename="a.jpg")
    it = up.body()
    next(it), next(it)  # part of the body read, as by an upload cut off
    assert f.tell() > 2
    assert up.rewind() is True
    assert f.tell() == 2
    assert fields_and_file(up)[1] == data  # the same object, sent whole again
    assert MultipartUpload({}, photo).rewind() is False  # a path: nothing of the caller's


def test_rewind_leaves_a_stream_and_a_closed_file_alone() -> None:
    class Stream(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, b: Any) -> int:
            return 0

    assert MultipartUpload({}, Stream(), filename="s").rewind() is False
    f = io.BytesIO(b"abc")
    up = MultipartUpload({}, f, filename="c")
    f.close()
    assert up.rewind() is False
