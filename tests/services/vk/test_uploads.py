"""``up(api).*`` and PyVK's uploader classes against the sandbox's upload servers, sync and
async: every kind end to end, the attachment string accepted by ``wall.post``, paths and file
objects, progress, and the hostile cases (garbage or refusing upload servers, a connection cut
mid-upload, a forged URL): each a clear error, nothing saved, the file untouched."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.both import Both, client_factory
from tether.core.errors import UsageError
from tether.services.vk.sandbox import upload as upload_server
from tether.services.vk.uploads import Uploaded, UploadError, UploadFailed
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError
from tether.vk.helpers.uploaders import (
    AlbumPhotoUploader,
    AudioUploader,
    DocUploader,
    DocWallUploader,
    MessagePhotoUploader,
    ProfilePhotoUploader,
    VideoUploader,
    WallPhotoUploader,
)


@pytest.fixture
def sb(tether_sandbox: Any) -> Any:
    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0, "group_per_second": 0})
    return tether_sandbox


@pytest.fixture(params=["sync", "async"])
def vk(request: Any, sb: Any) -> Iterator[Any]:
    env = {"TETHER_SANDBOX": sb.url}
    yield from client_factory(request.param, API, AsyncAPI, environ=env, rate_limit=0)


def up(api: Both) -> Any:
    """``api.upload`` with its calls resolved (awaited on the async twin)."""
    return Both(api.client.upload, api.loop)


def gid(sb: Any) -> int:
    return int(sb.credentials()["vk"]["group_id"])


def photo_file(tmp_path: Path, size: int = 200_000) -> Path:
    path = tmp_path / "cat.jpg"
    path.write_bytes(b"\xff\xd8" + bytes(range(256)) * (size // 256))
    return path


def test_every_kind_end_to_end(vk: Any, sb: Any, tmp_path: Path) -> None:
    api, group = vk(), gid(sb)
    path = photo_file(tmp_path)
    wall = up(api).wall_photo(str(path), group_id=group)
    assert isinstance(wall, Uploaded) and wall.kind == "photo"
    assert wall.attachment == f"photo-{group}_{wall.items[0]['id']}"
    album = up(api).photo(path, album_id=1, caption="c")
    assert album.items[0]["album_id"] == 1 and album.items[0]["text"] == "c"
    message = up(api).message_photo(path, peer_id=group)
    key = message.items[0]["access_key"]
    assert key and message.attachment.endswith(f"_{key}")
    profile = up(api).profile_photo(path)
    assert profile.result["saved"] == 1 and profile.attachment.startswith("photo100_")
    doc = up(api).document(io.BytesIO(b"%PDF" * 10), title="Report", filename="r.pdf")
    assert doc.result["type"] == "doc" and doc.attachment == f"doc100_{doc.items[0]['id']}"
    wall_doc = up(api).document(io.BytesIO(b"text"), to_wall=True, group_id=group)
    assert wall_doc.attachment.startswith(f"doc-{group}_")
    voice = up(api).document(io.BytesIO(b"OGG"), peer_id=group, doc_type="audio_message")
    assert voice.result["type"] == "audio_message" and voice.attachment.count("_") == 2
    video = up(api).video(io.BytesIO(b"MP4" * 100), name="Clip")
    assert video.result["size"] == 300 and video.result["title"] == "Clip"
    assert video.attachment == f"video100_{video.result['video_id']}_{video.result['access_key']}"
    link = up(api).video(link="https://example.com/v.mp4")
    assert link.reply == {"response": 1} and link.attachment.startswith("video100_")
    audio = up(api).audio(io.BytesIO(b"ID3" * 100), "Artist", "Song")
    assert audio.attachment == f"audio100_{audio.items[0]['id']}"
    assert audio.items[0]["artist"] == "Artist"
    # Saved objects are listed where VK lists them.
    docs = api.docs.get()["items"]
    assert [d["id"] for d in docs[:2]] == [voice.items[0]["id"], doc.items[0]["id"]]
    walls = api.photos.get(owner_id=-group, album_id="wall")["items"]
    assert walls[-1]["id"] == wall.items[0]["id"]


def test_the_attachment_string_is_accepted_by_wall_post(vk: Any, sb: Any, tmp_path: Path) -> None:
    api, group = vk(), gid(sb)
    photo = up(api).wall_photo(photo_file(tmp_path), group_id=group)
    doc = up(api).document(io.BytesIO(b"x"), filename="a.txt")
    both = f"{photo.attachment},{doc.attachment}"
    posted = api.wall.post(owner_id=-group, from_group=1, attachments=both)
    (post,) = api.wall.getById(posts=f"-{group}_{posted['post_id']}")
    assert [a["type"] for a in post["attachments"]] == ["photo", "doc"]
    assert post["attachments"][0]["photo"]["id"] == photo.items[0]["id"]


def test_a_file_object_is_read_from_where_it_stands_and_left_open(vk: Any) -> None:
    api = vk()
    f = io.BytesIO(b"HEADER" + b"D" * 5000)
    f.seek(6)
    doc = up(api).document(f, filename="d.bin")
    assert doc.items[0]["size"] == 5000 and not f.closed


def test_the_callback_sees_growing_progress_ending_done(vk: Any, tmp_path: Path) -> None:
    seen: list[tuple[float, bool]] = []
    up(vk()).wall_photo(photo_file(tmp_path, 1_000_000), callback=lambda p, d: seen.append((p, d)))
    percents = [p for p, _ in seen]
    assert len(seen) > 3 and percents == sorted(percents)
    assert seen[-1] == (100.0, True) and not any(d for _, d in seen[:-1])


def test_a_missing_file_fails_before_any_call(vk: Any, sb: Any, tmp_path: Path) -> None:
    before = sb.stats("vk")["calls"].get("photos.getWallUploadServer", 0)
    with pytest.raises(UsageError, match="no such file"):
        up(vk()).wall_photo(tmp_path / "nope.jpg")
    assert sb.stats("vk")["calls"].get("photos.getWallUploadServer", 0) == before
    with pytest.raises(UsageError, match="exactly one"):
        up(vk()).video()


def test_vk_refusing_the_first_step_is_its_api_error(vk: Any, tmp_path: Path) -> None:
    with pytest.raises(APIError) as info:
        up(vk()).wall_photo(photo_file(tmp_path), group_id=3)  # not an admin of it
    assert info.value.error_code == 203


def _wall_count(api: Any, group: int) -> int:
    return int(api.photos.get(owner_id=-group, album_id="wall")["count"])


def test_garbage_from_the_upload_server_is_a_clear_error(
    vk: Any, sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.responses import Response

    api, group = vk(), gid(sb)
    before = _wall_count(api, group)
    monkeypatch.setattr(
        upload_server, "JSONResponse", lambda *a, **k: Response(b"<html>\x00oops", 200)
    )
    with pytest.raises(UploadError, match="not JSON; nothing was saved") as info:
        up(api).wall_photo(photo_file(tmp_path), group_id=group)
    assert not isinstance(info.value, UploadFailed)
    monkeypatch.setattr(upload_server, "JSONResponse", lambda *a, **k: Response(b"[1, 2]", 200))
    with pytest.raises(UploadError, match="not an object"):
        up(api).wall_photo(photo_file(tmp_path), group_id=group)
    monkeypatch.undo()
    assert _wall_count(api, group) == before


def test_an_upload_server_error_or_status_is_a_clear_error(
    vk: Any, sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, group = vk(), gid(sb)
    before = _wall_count(api, group)
    sb.set_faults(path_prefix="/vk/upload/", status=502, count=1)  # nginx's HTML page
    with pytest.raises(UploadError, match="HTTP 502; nothing was saved"):
        up(api).wall_photo(photo_file(tmp_path), group_id=group)
    refuse = {"error": "ERR_UPLOAD_BAD_IMAGE_SIZE: photo is too small"}
    monkeypatch.setattr(upload_server.UploadBook, "record", lambda self, *a: refuse)
    with pytest.raises(UploadError, match="refused the file: ERR_UPLOAD_BAD_IMAGE_SIZE"):
        up(api).wall_photo(photo_file(tmp_path), group_id=group)
    monkeypatch.setattr(upload_server.UploadBook, "record", lambda self, *a: {"server": 1})
    with pytest.raises(UploadError, match="without photo, hash; nothing was saved"):
        up(api).wall_photo(photo_file(tmp_path), group_id=group)
    monkeypatch.undo()
    assert _wall_count(api, group) == before


def test_a_connection_cut_mid_upload_is_a_clear_error_and_the_file_untouched(
    vk: Any, sb: Any, tmp_path: Path
) -> None:
    # drop "mid": the server read the upload, then the answer is lost half-way. An upload is
    # not sent twice on an unknown outcome: a clear error; the save step never ran.
    api = vk()
    path = photo_file(tmp_path, 300_000)
    content = path.read_bytes()
    before = api.docs.get()["count"]
    sb.set_faults(path_prefix="/vk/upload/", drop="mid", count=1)
    with open(path, "rb") as f:
        with pytest.raises(UploadFailed, match="nothing was saved and the file is unchanged"):
            up(api).document(f)
        assert not f.closed and f.tell() == 0  # back where it stood: ready to upload again
        again = up(api).document(f)
    assert again.items[0]["size"] == len(content) and again.items[0]["title"] == "cat.jpg"
    assert path.read_bytes() == content and api.docs.get()["count"] == before + 1


def test_a_connection_closed_before_the_upload_is_read_saves_at_most_once(
    vk: Any, sb: Any, tmp_path: Path
) -> None:
    # drop "before": the connection is closed unread. Whether the client sees a refused
    # write (provably unsent: sent again) or a lost answer (an error) depends on timing;
    # either way the photo is saved at most once and the file is not touched.
    api, group = vk(), gid(sb)
    path = photo_file(tmp_path, 300_000)
    content = path.read_bytes()
    before = _wall_count(api, group)
    sb.set_faults(path_prefix="/vk/upload/", drop="before", count=1)
    try:
        up(api).wall_photo(path, group_id=group)
        saved = 1
    except UploadFailed as e:
        assert "nothing was saved" in str(e)
        saved = 0
    assert _wall_count(api, group) == before + saved and path.read_bytes() == content


def test_a_forged_upload_url_is_refused(sb: Any) -> None:
    with API(environ={"TETHER_SANDBOX": sb.url}, rate_limit=0) as api:
        uploader = WallPhotoUploader(api, group_id=gid(sb))
        assert uploader.server is not None
        uploader.server["upload_url"] = uploader.server["upload_url"].replace(
            "/upload/wall", "/upload/album"
        )
        with pytest.raises(UploadError, match="BAD_SIGNATURE"):
            uploader.upload(b"JPEG")


# -- PyVK's uploaders ---------------------------------------------------------------------------


def test_pyvk_uploaders_give_saved_objects_or_attachments(sb: Any, tmp_path: Path) -> None:
    group = gid(sb)
    with API(environ={"TETHER_SANDBOX": sb.url}, rate_limit=0) as api:
        wall = WallPhotoUploader(api, group_id=group)
        assert wall.server is not None and "upload_url" in wall.server  # asked at once
        (attachment,) = wall.upload(b"JPEG", attach=True)
        assert attachment.startswith(f"photo-{group}_")
        (saved,) = wall.upload(b"JPEG2")  # the same server, a second upload
        assert saved["owner_id"] == -group
        assert AlbumPhotoUploader(api, 2).upload(b"J", caption="x")[0]["album_id"] == 2
        assert ProfilePhotoUploader(api).upload(b"J")["saved"] == 1
        (key,) = MessagePhotoUploader(api).upload(b"J", attach=True)
        assert key.count("_") == 2
        (doc,) = DocUploader(api).upload("a.pdf", b"%PDF", title="T", attach=True)
        assert doc.startswith("doc100_")  # docs.save's {"type": "doc", "doc": …} answer
        assert DocWallUploader(api, group_id=group).upload("b.txt", b"t")["doc"]["title"] == "b.txt"
        reply = VideoUploader(api, name="V").upload(b"MP4")
        assert set(reply) >= {"video_id", "size", "video_hash"}
        assert VideoUploader(api, link="https://example.com/v").upload() == {"response": 1}
        audio = AudioUploader(api).upload(str(photo_file(tmp_path, 1000)), "A", "T")
        assert (audio["artist"], audio["title"]) == ("A", "T")


def test_pyvk_uploaders_print_nothing(sb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with API(environ={"TETHER_SANDBOX": sb.url}, rate_limit=0) as api:
        WallPhotoUploader(api).upload(b"JPEG")
    assert capsys.readouterr().out == ""


def test_pyvk_uploaders_on_the_async_api(sb: Any) -> None:
    import asyncio

    async def main() -> Any:
        async with AsyncAPI(environ={"TETHER_SANDBOX": sb.url}, rate_limit=0) as api:
            uploader = WallPhotoUploader(api, group_id=gid(sb))
            assert uploader.server is None  # asked by the first upload
            return await uploader.upload(b"JPEG", attach=True)

    (attachment,) = asyncio.run(main())
    assert attachment.startswith("photo-")


def test_pyvks_module_path_lists_its_uploaders_each_with_upload() -> None:
    import tether.vk.helpers as helpers
    import tether.vk.helpers.uploaders as uploaders

    names = {
        "AlbumPhotoUploader",
        "AudioUploader",
        "DocUploader",
        "DocWallUploader",
        "MessagePhotoUploader",
        "ProfilePhotoUploader",
        "VideoUploader",
        "WallPhotoUploader",
    }
    assert set(uploaders.__all__) == names  # fmt: skip
    assert all(callable(getattr(uploaders, n).upload) for n in names)
    assert callable(helpers.reqn)  # pyvk.helpers' other name, beside its uploaders module
