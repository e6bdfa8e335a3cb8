"""The emulator's upload servers and the upload methods, driven by hand over loopback HTTP:
every kind through its three steps, any file part name, files counted, replies shaped per
kind, saved objects listed, and forged, changed, reused or foreign uploads refused."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.services.vk.sandbox.wire import Answer, Wire
from tether.services.vk.sandbox.model.auth import GROUP_ID, GROUP_TOKEN, USER_ID

Part = tuple[str, str | None, bytes]  # name, filename, bytes


def post(wire: Wire, url: str, parts: list[Part], *, boundary: str | None = None) -> Answer:
    b = boundary or uuid.uuid4().hex
    out = bytearray()
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{b}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    out += f"--{b}--\r\n".encode()
    u = urlsplit(url)
    headers = {"Content-Type": f"multipart/form-data; boundary={b}"}
    return wire.raw("POST", f"{u.path}?{u.query}", bytes(out), headers)


def reply(wire: Wire, url: str, parts: list[Part]) -> Any:
    answer = post(wire, url, parts)
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json")
    return answer.json()


def test_a_wall_photo_goes_through_the_three_steps_and_is_listed(wire: Wire) -> None:
    server = wire.ok("photos.getWallUploadServer", {"group_id": GROUP_ID})
    assert set(server) == {"upload_url", "album_id", "user_id"}
    assert server["upload_url"].startswith(wire.root + "/vk/upload/wall?")
    got = reply(wire, server["upload_url"], [("photo", "a.jpg", b"JPEG" * 100)])
    assert set(got) == {"server", "photo", "hash"}  # bare JSON: no "response" envelope
    assert isinstance(got["server"], int) and isinstance(json.loads(got["photo"]), list)
    (photo,) = wire.ok("photos.saveWallPhoto", {**got, "group_id": GROUP_ID})
    assert (photo["owner_id"], photo["album_id"]) == (-GROUP_ID, -7)
    listed = wire.ok("photos.get", {"owner_id": -GROUP_ID, "album_id": "wall"})
    assert listed["items"][-1]["id"] == photo["id"] and listed["count"] == 5  # 4 seeded + 1
    ref = f"photo{-GROUP_ID}_{photo['id']}"
    posted = wire.ok("wall.post", {"owner_id": -GROUP_ID, "attachments": ref})
    (post_json,) = wire.ok("wall.getById", {"posts": f"{-GROUP_ID}_{posted['post_id']}"})
    assert post_json["attachments"] == [
        {"type": "photo", "photo": {"id": photo["id"], "owner_id": -GROUP_ID}}
    ]


@pytest.mark.parametrize("names", [["file1"], ["file0", "file1"], ["photo", "file", "file2"]])
def test_an_album_takes_any_part_names_and_counts_the_files(wire: Wire, names: list[str]) -> None:
    server = wire.ok("photos.getUploadServer", {"album_id": 2})
    assert (server["album_id"], server["user_id"]) == (2, USER_ID)
    got = reply(
        wire, server["upload_url"], [(n, None, b"x" * (i + 1)) for i, n in enumerate(names)]
    )
    assert set(got) == {"server", "photos_list", "aid", "hash"} and got["aid"] == 2
    assert len(json.loads(got["photos_list"])) == len(names)
    saved = wire.ok("photos.save", {"album_id": 2, **got})
    assert [p["album_id"] for p in saved] == [2] * len(names)
    items = wire.ok("photos.get", {"album_id": 2, "count": 1000})["items"]
    assert [p["id"] for p in items[-len(names) :]] == [p["id"] for p in saved]


def test_too_many_files_and_no_file_are_answered_as_errors(wire: Wire) -> None:
    album = wire.ok("photos.getUploadServer", {"album_id": 1})["upload_url"]
    too_many = reply(wire, album, [(f"file{i}", "p.jpg", b"x") for i in range(6)])
    assert too_many["error"].startswith("ERR_UPLOAD_TOO_MANY_FILES")
    doc = wire.ok("docs.getUploadServer")["upload_url"]
    assert reply(wire, doc, [("title", None, b"text only")])["error"].startswith(
        "ERR_UPLOAD_NO_FILE"
    )
    # A photo upload without a photo answers an empty list, which the save refuses (VK's 100).
    wall = wire.ok("photos.getWallUploadServer")["upload_url"]
    empty = reply(wire, wall, [])
    assert empty["photo"] == "[]"
    assert wire.error("photos.saveWallPhoto", empty)["error_code"] == 100
    answer = wire.raw("POST", urlsplit(doc).path + "?" + urlsplit(doc).query, b"a=1", {})
    assert answer.json()["error"].startswith("ERR_UPLOAD_NO_FILE")


def test_a_document_is_saved_and_listed_first(wire: Wire) -> None:
    url = wire.ok("docs.getUploadServer")["upload_url"]
    got = reply(wire, url, [("file", "report.pdf", b"%PDF-1.4" * 10)])
    assert set(got) == {"file"} and isinstance(got["file"], str)
    saved = wire.ok("docs.save", {"file": got["file"], "title": "Report"})
    assert saved["type"] == "doc"
    doc = saved["doc"]
    assert (doc["title"], doc["ext"], doc["size"], doc["type"]) == ("Report", "pdf", 80, 1)
    assert wire.ok("docs.get")["items"][0] == doc  # newest first
    assert wire.ok("docs.get")["count"] == 31  # 30 seeded


def test_docs_save_below_5_81_answers_a_list(wire: Wire) -> None:
    url = wire.ok("docs.getWallUploadServer", {"group_id": GROUP_ID})["upload_url"]
    got = reply(wire, url, [("file", "a.txt", b"hi")])
    wire.set("/settings", {"min_version": "5.0"})
    (doc,) = wire.ok("docs.save", {"file": got["file"]}, v="5.60")
    assert doc["owner_id"] == -GROUP_ID and doc["title"] == "a.txt"


def test_message_photos_and_documents_carry_access_keys(wire: Wire) -> None:
    server = wire.ok("photos.getMessagesUploadServer", {"peer_id": 5}, token=GROUP_TOKEN)
    assert server["group_id"] == GROUP_ID
    got = reply(wire, server["upload_url"], [("photo", "p.png", b"PNG")])
    (photo,) = wire.ok("photos.saveMessagesPhoto", got, token=GROUP_TOKEN)
    assert photo["owner_id"] == -GROUP_ID and photo["access_key"]
    url = wire.ok("docs.getMessagesUploadServer", {"peer_id": 5, "type": "audio_message"})
    got = reply(wire, url["upload_url"], [("file", "voice.ogg", b"OGG")])
    saved = wire.ok("docs.save", got)
    assert saved["type"] == "audio_message" and saved["audio_message"]["access_key"]


def test_a_profile_photo_is_announced_on_the_wall(wire: Wire) -> None:
    url = wire.ok("photos.getOwnerPhotoUploadServer")["upload_url"]
    got = reply(wire, url, [("file", "me.jpg", b"JPEG")])
    saved = wire.ok("photos.saveOwnerPhoto", got)
    assert saved["saved"] == 1 and set(saved) >= {"photo_hash", "photo_src", "post_id"}
    newest = wire.ok("photos.get", {"album_id": "profile", "rev": 1, "count": 1})["items"][0]
    (post_json,) = wire.ok("wall.getById", {"posts": f"{USER_ID}_{saved['post_id']}"})
    assert post_json["attachments"][0]["photo"]["id"] == newest["id"]
    assert wire.error("photos.getOwnerPhotoUploadServer", {"owner_id": 1})["error_code"] == 15


def test_video_by_file_and_by_link_and_audio(wire: Wire) -> None:
    made = wire.ok("video.save", {"name": "Clip", "description": "d"})
    assert set(made) == {"upload_url", "video_id", "owner_id", "title", "description", "access_key"}
    got = reply(wire, made["upload_url"], [("video_file", "video", b"MP4" * 50)])
    assert got["video_id"] == made["video_id"] and got["size"] == 150 and got["video_hash"]
    link = wire.ok("video.save", {"link": "https://example.com/v"})
    u = urlsplit(link["upload_url"])
    assert wire.raw("GET", f"{u.path}?{u.query}").json() == {"response": 1}
    server = wire.ok("audio.getUploadServer")
    got = reply(wire, server["upload_url"], [("file", "song.mp3", b"ID3" * 1000)])
    assert set(got) >= {"server", "audio", "hash"}
    audio = wire.ok("audio.save", {**got, "artist": "A", "title": "T"})
    assert (audio["artist"], audio["title"], audio["owner_id"]) == ("A", "T", USER_ID)


def _forge(url: str, **change: str) -> str:
    u = urlsplit(url)
    query = dict(parse_qsl(u.query))
    path = u.path.replace("/wall", "/" + change.pop("kind")) if "kind" in change else u.path
    query.update(change)
    return f"{u.scheme}://{u.netloc}{path}?{urlencode(query)}"


@pytest.mark.parametrize(
    "change", [{"kind": "album"}, {"mid": "1"}, {"to": "7"}, {"sig": "0" * 40}, {"n": "x"}]
)
def test_a_changed_or_made_up_upload_url_is_refused(wire: Wire, change: dict[str, str]) -> None:
    url = wire.ok("photos.getWallUploadServer", {"group_id": GROUP_ID})["upload_url"]
    got = reply(wire, _forge(url, **change), [("photo", "a.jpg", b"x")])
    assert got["error"].startswith("ERR_UPLOAD_BAD_SIGNATURE")
    assert wire.emulator.state.uploads.stats["refused"] == 1


def test_a_reply_is_saved_once_by_its_own_caller_unchanged(wire: Wire) -> None:
    url = wire.ok("photos.getWallUploadServer", {"group_id": GROUP_ID})["upload_url"]
    got = reply(wire, url, [("photo", "a.jpg", b"x")])
    other_group = {**got, "group_id": 3}
    # As real VK answers a wall photo saved for another community than the URL's.
    assert wire.error("photos.saveWallPhoto", other_group)["error_code"] == 121
    mine = {**got, "group_id": GROUP_ID}
    changed = {**mine, "photo": got["photo"].replace(":0", ":1")}
    assert wire.error("photos.saveWallPhoto", changed)["error_code"] == 121
    assert wire.error("photos.saveWallPhoto", {**mine, "server": 1})["error_code"] == 121
    assert wire.error("photos.saveWallPhoto", {**got})["error_code"] == 121  # its own wall
    assert wire.error("photos.saveMessagesPhoto", got)["error_code"] == 121  # another kind
    wire.ok("photos.saveWallPhoto", mine)
    error = wire.error("photos.saveWallPhoto", mine)
    assert (error["error_code"], error["error_msg"]) == (121, "Invalid hash")
    # Another caller (the community token) cannot save a user's upload.
    url = wire.ok("photos.getMessagesUploadServer")["upload_url"]
    got = reply(wire, url, [("photo", "a.jpg", b"x")])
    assert wire.error("photos.saveMessagesPhoto", got, token=GROUP_TOKEN)["error_code"] == 121


def test_targets_are_the_callers_own(wire: Wire) -> None:
    assert wire.error("photos.getWallUploadServer", {"group_id": 3})["error_code"] == 203
    assert wire.error("photos.getUploadServer", {"album_id": 99})["error_code"] == 100
    assert wire.error("photos.getUploadServer", {"album_id": -7})["error_code"] == 100
    assert wire.error("docs.getUploadServer", {"group_id": 999})["error_code"] == 100
    assert wire.error("docs.getMessagesUploadServer", {"type": "x"})["error_code"] == 100


def test_a_reset_forgets_every_url(wire: Wire) -> None:
    url = wire.ok("docs.getUploadServer")["upload_url"]
    wire.set("/reset", {})
    assert reply(wire, url, [("file", "a", b"x")])["error"].startswith("ERR_UPLOAD_BAD_SIGNATURE")


def test_files_are_measured_not_kept(wire: Wire) -> None:
    url = wire.ok("docs.getUploadServer")["upload_url"]
    big = b"z" * (3 * 1024 * 1024)
    got = reply(wire, url, [("file", "big.bin", big)])
    record = wire.emulator.state.uploads.received[got["file"]]
    assert record.files[0].size == len(big) and len(record.files[0].sha1) == 40
    assert not hasattr(record.files[0], "data")
    assert wire.ok("docs.save", got)["doc"]["size"] == len(big)
