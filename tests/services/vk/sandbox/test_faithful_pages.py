"""What the real old clients do on the wire, replayed by hand against the emulator (the fixes
``bench/vk_faithful.py`` found running pyvk 0.2.3 and vk_api 11.10.1 unchanged against it).

- vk_api's ``VkUpload.video(link=…)`` fetches the link's ``upload_url`` by a POST with no file
  at all (``requests.post(url, files=None)``: no body, no Content-Type), where pyvk GETs it:
  both are the link's fetch and answer ``{"response": 1}``; a file's upload is unchanged, and
  other kinds still refuse a POST with no file.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from tests.services.vk.sandbox.wire import Wire


def _path(url: str) -> str:
    u = urlsplit(url)
    return f"{u.path}?{u.query}"


def test_a_video_link_is_fetched_by_a_post_with_no_file_as_vk_api_does(wire: Wire) -> None:
    made = wire.ok("video.save", {"link": "https://example.com/watch?v=1", "name": "Linked"})
    bare = wire.raw("POST", _path(made["upload_url"]), b"", {"Content-Length": "0"})
    assert bare.status == 200 and bare.json() == {"response": 1}
    b = uuid.uuid4().hex  # an empty form says the same
    empty = wire.raw(
        "POST",
        _path(made["upload_url"]),
        f"--{b}--\r\n".encode(),
        {"Content-Type": f"multipart/form-data; boundary={b}"},
    )
    assert empty.json() == {"response": 1}
    assert wire.raw("GET", _path(made["upload_url"])).json() == {"response": 1}  # pyvk's way


def test_a_video_file_and_other_kinds_are_unchanged_by_it(wire: Wire) -> None:
    made = wire.ok("video.save", {"name": "Clip"})
    b = uuid.uuid4().hex
    body = (
        f'--{b}\r\nContent-Disposition: form-data; name="video_file"; filename="file0.mp4"'
        f"\r\n\r\n".encode()
        + b"MP4" * 10
        + f"\r\n--{b}--\r\n".encode()
    )
    got = wire.raw(
        "POST",
        _path(made["upload_url"]),
        body,
        {"Content-Type": f"multipart/form-data; boundary={b}"},
    ).json()
    assert got["video_id"] == made["video_id"] and got["size"] == 30 and got["video_hash"]
    doc = wire.ok("docs.getUploadServer")["upload_url"]
    refused = wire.raw("POST", _path(doc), b"", {"Content-Length": "0"}).json()
    assert refused["error"].startswith("ERR_UPLOAD_NO_FILE")
