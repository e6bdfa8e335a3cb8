"""The seeded data and the methods that read and write it: deterministic answers, VK's
count + items shapes and offset/count paging (vk.md §4.1), and a reset restoring the seed."""

from __future__ import annotations

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.sandbox.model.auth import (
    ALL_USER_BITS,
    BASIC_BITS,
    GROUP_TOKEN,
    NO_MESSAGES_TOKEN,
    SERVICE_TOKEN,
)


def test_friends_get_pages_to_exactly_12000(wire: Wire) -> None:
    seen: list[int] = []
    offset = 0
    calls = 0
    while True:
        # Asking for more than VK's maximum (5000) is clamped, not refused.
        got = wire.ok("friends.get", {"offset": offset, "count": 6000})
        calls += 1
        assert got["count"] == 12000
        if not got["items"]:
            break
        assert len(got["items"]) <= 5000
        seen += got["items"]
        offset += len(got["items"])
    assert calls == 4  # 5000 + 5000 + 2000, then the empty page past the end
    assert len(seen) == 12000 == len(set(seen))
    assert seen == sorted(seen)
    # The same friends, read by another user's token naming the user, as pyvk's reqn asks.
    first = wire.ok("friends.get", {"user_id": 100, "offset": 0, "count": 5000})["items"]
    rest = wire.ok("friends.get", {"user_id": 100, "offset": 5000, "count": 2000})["items"]
    assert first + rest == seen[:7000]


def test_friends_with_fields_are_user_objects(wire: Wire) -> None:
    got = wire.ok("friends.get", {"count": 2, "offset": 11999, "fields": "bdate,city"})
    assert got["count"] == 12000
    assert [u["id"] for u in got["items"]] == [12999]
    assert set(got["items"][0]) >= {"id", "first_name", "last_name", "bdate", "city"}


def test_users_get_is_deterministic_and_by_screen_name(wire: Wire) -> None:
    fields = "bdate,sex,screen_name,city,photo_100,online,followers_count"
    a = wire.ok("users.get", {"user_ids": "founder,id5,100", "fields": fields})
    assert a == wire.ok("users.get", {"user_ids": "1,5,sandbox_user", "fields": fields})
    assert [u["id"] for u in a] == [1, 5, 100]
    assert a[0]["followers_count"] == 1500 and a[0]["bdate"] == "2.2.1971"
    assert a[1]["bdate"] == "6.6"  # every fifth user hides the year
    assert a[2]["screen_name"] == "sandbox_user"


def test_users_get_followers_pages_by_1000(wire: Wire) -> None:
    got = wire.ok("users.getFollowers", {"user_id": 1, "count": 5000}, token=None)
    assert got["count"] == 1500 and len(got["items"]) == 1000
    rest = wire.ok("users.getFollowers", {"user_id": 1, "offset": 1000, "count": 1000})
    assert len(rest["items"]) == 500 and rest["items"][-1] == 51500


def test_account_methods(wire: Wire) -> None:
    assert wire.ok("account.getAppPermissions") == ALL_USER_BITS == 140492255
    assert wire.ok("account.getAppPermissions", token=NO_MESSAGES_TOKEN) == BASIC_BITS == 336926
    assert wire.ok("account.getInfo", {"fields": "country,lang"}) == {"country": "RU", "lang": 3}
    assert wire.error("account.getAppPermissions", {"user_id": 1})["error_code"] == 15
    assert wire.ok("stats.trackVisitor") == 1


def test_groups_get_and_members_paging(wire: Wire) -> None:
    assert wire.ok("groups.get") == {"count": 6, "items": [1, 2, 3, 5, 8, 13]}
    one = wire.ok("groups.get", {"extended": 1, "fields": "members_count", "offset": 3, "count": 1})
    assert one["items"][0]["id"] == 5 and one["items"][0]["members_count"] == 2500
    pages = [
        wire.ok("groups.getMembers", {"group_id": "sandbox_club", "offset": o, "count": 1000})
        for o in (0, 1000, 2000, 3000)
    ]
    assert [len(p["items"]) for p in pages] == [1000, 1000, 500, 0]
    assert all(p["count"] == 2500 for p in pages)
    assert pages[0]["items"][0] == 100
    by_id = wire.ok("groups.getMembers", {"group_id": 5, "count": 3}, token=GROUP_TOKEN)
    assert by_id["items"] == [100, 20001, 20002]
    assert wire.error("groups.getMembers", {"group_id": 999})["error_code"] == 100


def test_wall_get_pages_newest_first(wire: Wire) -> None:
    first = wire.ok("wall.get", {"count": 100})
    assert first["count"] == 250
    assert [p["id"] for p in first["items"][:3]] == [250, 249, 248]
    ids = [
        p["id"]
        for o in (0, 100, 200)
        for p in wire.ok("wall.get", {"offset": o, "count": 500})["items"]
    ]
    assert ids == list(range(250, 0, -1))
    assert wire.ok("wall.get", {"offset": 250})["items"] == []
    community = wire.ok("wall.get", {"owner_id": -5, "count": 1}, token=SERVICE_TOKEN)
    assert community["count"] == 120 and community["items"][0]["owner_id"] == -5
    ext = wire.ok("wall.get", {"domain": "founder", "count": 2, "extended": 1})
    assert ext["count"] == 30 and [p["id"] for p in ext["profiles"]] == [1]


def test_wall_post_then_get_by_id_and_reset_restores_the_seed(wire: Wire) -> None:
    posted = wire.ok("wall.post", {"message": "hello", "attachments": "photo-5_11,doc1_12"})
    assert posted == {"post_id": 251}
    community = wire.ok("wall.post", {"owner_id": -5, "message": "news", "from_group": 1})
    got = wire.ok("wall.getById", {"posts": f"100_251,-5_{community['post_id']},100_9999"})
    assert [(p["owner_id"], p["id"], p["from_id"], p["text"]) for p in got] == [
        (100, 251, 100, "hello"),
        (-5, 121, -5, "news"),
    ]
    assert got[0]["attachments"] == [
        {"type": "photo", "photo": {"id": 11, "owner_id": -5}},
        {"type": "doc", "doc": {"id": 12, "owner_id": 1}},
    ]
    assert wire.ok("wall.get", {"count": 1})["count"] == 251
    wire.set("/reset", {})
    wire.set("/rate", {"per_second": 0})
    assert wire.ok("wall.get", {"count": 1})["count"] == 250
    assert wire.ok("wall.getById", {"posts": "100_251"}) == []


def test_photos_and_albums(wire: Wire) -> None:
    albums = wire.ok("photos.getAlbums")
    assert [(a["id"], a["size"]) for a in albums["items"]] == [(1, 40), (2, 25), (3, 10)]
    with_system = wire.ok("photos.getAlbums", {"need_system": 1})
    assert with_system["count"] == 5
    cats = wire.ok("photos.get", {"album_id": 2, "count": 1000})
    assert cats["count"] == 25 and cats["items"][0]["id"] == 41
    community = wire.ok("photos.get", {"owner_id": -5, "album_id": 1, "offset": 10, "count": 1})
    assert (community["items"][0]["owner_id"], community["items"][0]["id"]) == (-5, 11)
    wall_album = wire.ok("photos.get", {"album_id": "wall", "rev": 1, "count": 2})
    assert wall_album["count"] == 12 and wall_album["items"][0]["album_id"] == -7
    assert wire.error("photos.get", {"album_id": 77})["error_code"] == 100


def test_docs_get(wire: Wire) -> None:
    got = wire.ok("docs.get", {"count": 3})
    assert got["count"] == 30 and [d["id"] for d in got["items"]] == [30, 29, 28]
    assert wire.ok("docs.get", {"owner_id": -5}, token=GROUP_TOKEN)["count"] == 5


def test_messages_send_drops_a_resend_with_the_same_random_id(wire: Wire) -> None:
    first = wire.ok("messages.send", {"user_id": 1, "message": "hi", "random_id": 77})
    assert wire.ok("messages.send", {"peer_id": 1, "message": "hi", "random_id": 77}) == first
    other = wire.ok("messages.send", {"peer_id": 1, "message": "hi", "random_id": 78})
    assert other == first + 1
    # random_id 0 never deduplicates; a community sends too.
    a = wire.ok("messages.send", {"peer_id": 1, "message": "x", "random_id": 0})
    b = wire.ok("messages.send", {"peer_id": 1, "message": "x", "random_id": 0}, token=GROUP_TOKEN)
    assert b == a + 1
    assert (
        wire.error("messages.send", {"peer_id": 13, "message": "x", "random_id": 1})["error_code"]
        == 18
    )


def test_resolve_screen_name(wire: Wire) -> None:
    assert wire.ok("utils.resolveScreenName", {"screen_name": "sandbox_club"}) == {
        "type": "group",
        "object_id": 5,
    }
    assert wire.ok("utils.resolveScreenName", {"screen_name": "founder"}) == {
        "type": "user",
        "object_id": 1,
    }
    assert wire.ok("utils.resolveScreenName", {"screen_name": "id42"}) == {
        "type": "user",
        "object_id": 42,
    }
    assert wire.ok("utils.resolveScreenName", {"screen_name": "nobody_here"}) == []


def test_stats_count_calls_per_method_and_unknown_names_together(wire: Wire) -> None:
    wire.ok("users.get", {"user_ids": 1})
    wire.ok("users.get", {"user_ids": 1}, token=SERVICE_TOKEN)
    for junk in ("a.b", "c.d"):
        wire.error(junk)
    stats = wire.control("/stats", verb="GET").json()
    assert stats["calls"] == {"users.get": 2, "<unknown>": 2}
    assert len(stats["tokens"]) == 2
