"""The methods users walk and shells complete from, against the real sandbox with the real client
(sync and async): ``flickr.photos.recentlyUpdated``, ``flickr.contacts.getList`` and
``flickr.reflection.getMethods`` / ``getMethodInfo``, in etree and JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tether import flickr as flickrapi
from tether.services.flickr.sandbox.methods import METHODS
from tether.services.flickr.sandbox.state import mysql_datetime


def _code(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(flickrapi.FlickrError) as e:
        call(*args, **kwargs)
    return int(e.value.code)


# -- flickr.photos.recentlyUpdated ---------------------------------------------------------------


def _my_photos(authed: Any) -> list[Any]:
    """The newest 500 of the sandbox user's photos (of 650), newest upload first."""
    rsp = authed.people.getPhotos(user_id="me", extras="last_update", per_page=500)
    photos: list[Any] = rsp.find("photos").findall("photo")
    assert int(rsp.find("photos").get("total")) > len(photos) == 500
    return photos


def test_recently_updated_honours_min_date_and_pages(authed: Any) -> None:
    mine = _my_photos(authed)  # newest upload first; seeded lastupdate is the upload date
    since = int(mine[24].get("lastupdate"))
    rsp = authed.photos.recentlyUpdated(min_date=since, per_page=10)
    photos = rsp.find("photos")
    assert (photos.get("page"), photos.get("pages"), photos.get("perpage")) == ("1", "3", "10")
    assert photos.get("total") == "25"
    got = photos.findall("photo")
    assert [p.get("id") for p in got] == [p.get("id") for p in mine[:10]]
    assert all(int(p.get("lastupdate")) >= since for p in got)  # lastupdate unasked, as Flickr
    last = authed.photos.recentlyUpdated(min_date=since, per_page=10, page=3)
    assert [p.get("id") for p in last.find("photos").findall("photo")] == [
        p.get("id") for p in mine[20:25]
    ]
    # The same bound as a MySQL datetime, and one second later drops the 25th photo.
    text = authed.photos.recentlyUpdated(min_date=mysql_datetime(since))
    assert text.find("photos").get("total") == "25"
    later = authed.photos.recentlyUpdated(min_date=since + 1)
    assert later.find("photos").get("total") == "24"


def test_recently_updated_lists_a_touched_photo_first(authed: Any) -> None:
    mine = _my_photos(authed)
    oldest = mine[-1].get("id")  # the 500th newest: far older than the bound below
    since = int(mine[2].get("lastupdate"))
    authed.photos.setMeta(photo_id=oldest, title="touched")
    rsp = authed.photos.recentlyUpdated(min_date=since, extras="owner_name")
    photos = rsp.find("photos").findall("photo")
    assert [p.get("id") for p in photos] == [oldest] + [p.get("id") for p in mine[:3]]
    assert photos[0].get("title") == "touched" and photos[0].get("ownername")


def test_recently_updated_json_and_errors(authed: Any, anon: Any) -> None:
    mine = _my_photos(authed)
    since = int(mine[4].get("lastupdate"))
    js = authed.photos.recentlyUpdated(min_date=since, format="parsed-json")
    assert js["stat"] == "ok" and js["photos"]["total"] == 5 and js["photos"]["page"] == 1
    assert [p["id"] for p in js["photos"]["photo"]] == [p.get("id") for p in mine[:5]]
    assert _code(authed.photos.recentlyUpdated) == 1
    assert _code(authed.photos.recentlyUpdated, min_date="next tuesday") == 2
    assert _code(anon.photos.recentlyUpdated, min_date=since) == 99
    empty = authed.photos.recentlyUpdated(min_date=4_000_000_000)
    assert (empty.find("photos").get("total"), empty.find("photos").get("pages")) == ("0", "0")


# -- flickr.contacts.getList ---------------------------------------------------------------------


def test_contacts_list_sorts_filters_and_pages(authed: Any) -> None:
    rsp = authed.contacts.getList()
    contacts = rsp.find("contacts")
    attrs = {k: contacts.get(k) for k in ("page", "pages", "per_page", "perpage", "total")}
    assert attrs == {"page": "1", "pages": "1", "per_page": "1000", "perpage": "1000", "total": "4"}
    names = [c.get("username") for c in contacts.findall("contact")]
    assert names == sorted(names) and len(names) == 4
    by_time = authed.contacts.getList(sort="time").find("contacts").findall("contact")
    assert [c.get("username") for c in by_time] != names
    assert sorted(c.get("username") for c in by_time) == names
    for filter_, pair in (("friends", "10"), ("family", "01"), ("both", "11"), ("neither", "00")):
        only = authed.contacts.getList(filter=filter_).find("contacts").findall("contact")
        assert len(only) == 1 and only[0].get("friend") + only[0].get("family") == pair
    assert _code(authed.contacts.getList, sort="age") == 1
    page2 = authed.contacts.getList(per_page=3, page=2).find("contacts")
    assert (page2.get("pages"), len(page2.findall("contact"))) == ("2", 1)


def test_contacts_walk_ends_at_the_count(authed: Any, anon: Any) -> None:
    total = int(authed.contacts.getList().find("contacts").get("total"))
    walked = authed.collect(authed.client.data_walker("flickr.contacts.getList", "*/contact", 1))
    assert len(walked) == total == 4
    assert len({c.get("nsid") for c in walked}) == total
    js = authed.contacts.getList(format="parsed-json")
    assert js["contacts"]["total"] == 4 and len(js["contacts"]["contact"]) == 4
    assert {c["nsid"] for c in js["contacts"]["contact"]} == {c.get("nsid") for c in walked}
    assert _code(anon.contacts.getList) == 99


# -- flickr.reflection.* -------------------------------------------------------------------------


def test_reflection_lists_exactly_the_table(anon: Any) -> None:
    rsp = anon.reflection.getMethods()
    names = [m.text for m in rsp.find("methods").findall("method")]
    assert names == sorted(METHODS)
    assert {"flickr.photos.recentlyUpdated", "flickr.contacts.getList"} <= set(names)
    js = anon.reflection.getMethods(format="parsed-json")
    assert [m["_content"] for m in js["methods"]["method"]] == names


def test_method_info_answers_for_every_method(anon: Any) -> None:
    for name, method in METHODS.items():
        rsp = anon.reflection.getMethodInfo(method_name=name)
        info = rsp.find("method")
        assert info.get("name") == name
        assert info.get("needslogin") == ("0" if method.perms == "none" else "1")
        args = {a.get("name"): a.get("optional") for a in rsp.find("arguments")}
        assert args == {
            "api_key": "0",
            **{a: "0" for a in method.required},
            **{a: "1" for a in method.optional},
        }
        codes = [int(e.get("code")) for e in rsp.find("errors").findall("error")]
        assert codes[: len(method.errors)] == [c for c, _ in method.errors] and 112 in codes


def test_method_info_details_json_and_unknown(anon: Any) -> None:
    js = anon.reflection.getMethodInfo(
        method_name="flickr.photos.recentlyUpdated", format="parsed-json"
    )
    assert js["method"]["needslogin"] == 1 and js["method"]["needssigning"] == 1
    assert js["method"]["requiredperms"] == 1
    assert {"name": "min_date", "optional": 0, "_content": ""} in js["arguments"]["argument"]
    assert js["errors"]["error"][0]["code"] == 1
    delete = anon.reflection.getMethodInfo(method_name="flickr.photos.delete").find("method")
    assert delete.get("requiredperms") == "3"
    frob = anon.reflection.getMethodInfo(method_name="flickr.auth.getFrob").find("method")
    assert (frob.get("needslogin"), frob.get("needssigning")) == ("0", "1")
    assert _code(anon.reflection.getMethodInfo, method_name="flickr.photos.nope") == 1
    assert _code(anon.reflection.getMethodInfo) == 1
