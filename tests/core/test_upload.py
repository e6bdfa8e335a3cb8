"""Streaming multipart: parses back exactly, exact length, constant memory, progress, retries."""

from __future__ import annotations

import io
import os
import tracemalloc
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from tether.core.errors import UsageError
from tether.core.upload import MultipartUpload


def parse(upload: MultipartUpload) -> tuple[dict[str, str], bytes, str]:
    body = b"".join(upload.body())
    headers = dict(upload.headers())
    if "Content-Length" in headers:
        assert int(headers["Content-Length"]) == len(body)
    msg = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    data, filename = b"", ""
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            data, filename = part.get_payload(decode=True), part.get_filename()
        else:
            fields[name] = part.get_payload(decode=True).decode()
    return fields, data, filename


def test_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "pic.jpg"
    p.write_bytes(os.urandom(200_000))
    up = MultipartUpload({"title": "Zo\u00eb", "tags": 'a "b c"', "is_public": "0"}, str(p))
    fields, data, filename = parse(up)
    assert fields == {"title": "Zo\u00eb", "tags": 'a "b c"', "is_public": "0"}
    assert data == p.read_bytes() and filename == "pic.jpg"
    assert up.content_type == "image/jpeg"


def test_body_can_be_sent_again_for_a_retry(tmp_path: Path) -> None:
    p = tmp_path / "a.bin"
    p.write_bytes(b"x" * 100_000)
    up = MultipartUpload({}, str(p))
    assert b"".join(up.body()) == b"".join(up.body())
    f = io.BytesIO(b"junk" + b"y" * 5000)
    f.read(4)  # a file object positioned mid-way is sent from there, and rewound for retries
    up = MultipartUpload({}, f, filename="y.bin")
    first = b"".join(up.body())
    assert first == b"".join(up.body()) and b"junk" not in first


def test_progress_is_monotonic_and_ends_done(tmp_path: Path) -> None:
    p = tmp_path / "a.bin"
    p.write_bytes(b"z" * 8_000_000)
    calls: list[tuple[float, bool]] = []
    up = MultipartUpload({"t": "1"}, str(p), progress=lambda pc, done: calls.append((pc, done)))
    for _ in up.body():
        pass
    percents = [c[0] for c in calls]
    assert percents == sorted(percents) and calls[-1] == (100.0, True)
    assert not any(done for _, done in calls[:-1]) and len(calls) > 10


def test_constant_memory_for_a_large_file(tmp_path: Path) -> None:
    p = tmp_path / "big.bin"
    with open(p, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # 64 MiB, sparse
    up = MultipartUpload({"title": "big"}, str(p))
    tracemalloc.start()
    n = 0
    for chunk in up.body():
        n += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == int(dict(up.headers())["Content-Length"])
    assert peak < 2 * 1024 * 1024, peak


def test_missing_unreadable_and_directory_fail_early(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        MultipartUpload({}, str(tmp_path / "nope.jpg"))
    with pytest.raises(UsageError, match="directory"):
        MultipartUpload({}, str(tmp_path))
    with pytest.raises(UsageError):
        MultipartUpload({}, 12345)  # type: ignore[arg-type]


def test_hostile_filename_cannot_break_the_header(tmp_path: Path) -> None:
    p = tmp_path / "a.bin"
    p.write_bytes(b"data")
    up = MultipartUpload(
        {'na"me\r\nX-Evil: 1': "v"}, str(p), filename='evil"\r\nContent-Type: text/html\r\n.jpg'
    )
    body = b"".join(up.body())
    assert b"\r\nX-Evil" not in body and b'evil"\r\n' not in body
    fields, data, filename = parse(up)
    assert data == b"data" and "\r" not in filename and "\n" not in filename
    assert list(fields.values()) == ["v"]


def test_non_seekable_stream_is_sent_once_without_length() -> None:
    r, w = os.pipe()
    os.write(w, b"streamed")
    os.close(w)
    with os.fdopen(r, "rb", buffering=0) as f:
        up = MultipartUpload({"a": "b"}, f, filename="s.bin")
        assert "Content-Length" not in dict(up.headers())
        assert b"streamed" in b"".join(up.body())
        with pytest.raises(UsageError, match="cannot be rewound"):
            up.body()
