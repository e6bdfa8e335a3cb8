"""The Flickr emulator's data, driven by hand: the seeded photos (search filters, paging and
its quirks, visibility), photo info and edits, sets, people, uploads and replaces (streamed,
checksummed, signed both ways) and async tickets."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.services.flickr.emu import (
    HTTP,
    Flickr,
    err,
    multipart,
    oauth_upload_header,
    ok,
    post,
    signed,
    upload,
)

SYBREN = "73509078@N00"
SEED_SET = "2b640a3efc262f03567ee93cfd544e14"


@pytest.fixture
def fl(fcreds: dict[str, Any]) -> Flickr:
    return Flickr(fcreds)


def _ids(root: Any, path: str = "photos/photo") -> list[str]:
    return [p.get("id") for p in root.findall(path)]


# -- search and paging -------------------------------------------------------------------------


def test_seed_has_thousands_of_photos_from_several_users(fl: Flickr) -> None:
    everything = ok(fl.anon("flickr.photos.search", min_upload_date="1", per_page="500"))
    photos = everything.find("photos")
    assert photos is not None
    assert int(photos.get("total", "0")) >= 4500  # public ones; ~10% are private
    assert photos.get("perpage") == "500" and len(photos.findall("photo")) == 500
    assert len({p.get("owner") for p in photos.findall("photo")}) >= 4
    mine = ok(fl.oauth("flickr.photos.search", min_upload_date="1", per_page="1"))
    assert int(mine.find("photos").get("total")) > int(photos.get("total"))  # type: ignore[union-attr,arg-type]
    counts = [
        int(ok(fl.anon("flickr.people.getInfo", user_id=u)).findtext("person/photos/count") or 0)
        for u in (
            fl.c["user"]["nsid"],
            SYBREN,
            "35034346050@N01",
            "48889646112@N01",
            "66956608@N00",
        )
    ]
    assert sum(counts) >= 4500 and all(c > 100 for c in counts)


def test_paging_defaults_limits_and_order(fl: Flickr) -> None:
    first = ok(fl.anon("flickr.photos.search", tags="cat", extras="date_upload")).find("photos")
    assert first is not None and first.get("page") == "1" and first.get("perpage") == "100"
    total, pages = int(first.get("total", "")), int(first.get("pages", ""))
    assert pages == -(-total // 100) and total > 500
    dates = [int(p.get("dateupload", "")) for p in first.findall("photo")]
    assert dates == sorted(dates, reverse=True)  # newest upload first
    big = ok(fl.anon("flickr.photos.search", tags="cat", per_page="1000")).find("photos")
    assert big is not None and big.get("perpage") == "500" and len(big.findall("photo")) == 500
    junk = ok(fl.anon("flickr.photos.search", tags="cat", per_page="lots", page="-3"))
    assert junk.find("photos").get("perpage") == "100"  # type: ignore[union-attr]
    assert junk.find("photos").get("page") == "1"  # type: ignore[union-attr]
    walked: list[str] = []
    pages = -(-total // 250)
    for page in range(1, pages + 1):
        listing = ok(fl.anon("flickr.photos.search", tags="cat", per_page="250", page=str(page)))
        assert listing.find("photos").get("pages") == str(pages)  # type: ignore[union-attr]
        walked += _ids(listing)
    assert len(walked) == len(set(walked)) == total
    # Past the last page Flickr keeps answering: the last page's photos again.
    last = ok(fl.anon("flickr.photos.search", tags="cat", per_page="250", page=str(pages)))
    past = ok(fl.anon("flickr.photos.search", tags="cat", per_page="250", page=str(pages + 5)))
    assert _ids(past) == _ids(last) == walked[(pages - 1) * 250 :]
    assert past.find("photos").get("page") == str(pages + 5)  # type: ignore[union-attr]
    capped = ok(fl.anon("flickr.photos.search", tags="cat", page="99999")).find("photos")
    assert capped is not None and capped.get("page") == "10000"


def test_search_filters(fl: Flickr) -> None:
    def total(**params: str) -> int:
        found = ok(fl.anon("flickr.photos.search", **params)).find("photos")
        assert found is not None
        return int(found.get("total", ""))

    cat, dog = total(tags="cat"), total(tags="dog")
    both = total(tags="cat,dog", tag_mode="all")
    either = total(tags="cat, DOG")  # normalised, any by default
    assert 0 < both < min(cat, dog) and either == cat + dog - both
    assert total(tags="cat,nosuch", tag_mode="all") == 0
    assert 0 < total(text="Portrait") < total(min_upload_date="1")
    assert 0 < total(text="portrait lovelace") < total(text="portrait")
    sybren = total(user_id=SYBREN)
    assert 0 < total(user_id=SYBREN, tags="snow") < sybren
    assert err(fl.anon("flickr.photos.search", user_id="1@N00")) == (2, "Unknown user")
    assert err(fl.anon("flickr.photos.search", user_id="me"))[0] == 99
    # Upload dates: Unix seconds or MySQL datetimes, inclusive bounds.
    everything = total(min_upload_date="1")
    later = total(min_upload_date="1610000000")
    assert 0 < later < everything
    assert total(min_upload_date="2021-01-07 06:13:20") == later  # same instant, as a datetime
    assert total(max_upload_date="1610000000") + later == everything + total(
        min_upload_date="1610000000", max_upload_date="1610000000"
    )
    assert total(min_taken_date="2008-08-20", max_taken_date="2008-08-30") == 0
    window = total(min_taken_date="2020-10-01", max_taken_date="2020-11-01")
    assert 0 < window < everything


def test_unreadable_dates_are_ignored_or_saturate(fl: Flickr) -> None:
    """No date argument makes a 500: digits of other scripts are no number (ignored, as any
    junk), and a number past 64 bits reads as the largest one, as PHP reads it."""

    def total(**params: str) -> int:
        found = ok(fl.anon("flickr.photos.search", **params)).find("photos")
        assert found is not None
        return int(found.get("total", ""))

    everything = total(min_upload_date="1")
    assert total(min_upload_date="\u00b2") == everything  # "²".isdigit() is True
    assert total(min_upload_date="\u0661\u0666\u0661\u0660") == everything  # Arabic-Indic digits
    assert total(min_taken_date="\u0662\u0660\u0662\u0660-10-01") == everything
    assert total(min_upload_date="9" * 5000) == 0  # over Python's 4,300-digit int() limit
    assert total(max_upload_date="9" * 5000) == everything
    assert total(max_upload_date="0" * 5000 + "1610000000") == total(max_upload_date="1610000000")
    stream = ok(fl.anon("flickr.people.getPhotos", user_id=SYBREN, min_upload_date="9" * 5000))
    assert stream.find("photos").get("total") == "0"  # type: ignore[union-attr]


def test_license_geo_group_and_contact_filters(fl: Flickr) -> None:
    """Every photo has license 0 and none is geotagged, in a group or a contact's: those
    filters find everything or nothing, and each still counts as a search parameter."""

    def total(**params: str) -> int:
        found = ok(fl.anon("flickr.photos.search", **params)).find("photos")
        assert found is not None
        return int(found.get("total", ""))

    everything, cats = total(min_upload_date="1"), total(tags="cat")
    assert total(license="4") == 0
    assert total(license="4", tags="cat") == 0
    assert total(license="0") == total(license="4, 0") == everything
    assert total(license="0", tags="cat") == cats
    assert total(has_geo="1") == total(has_geo="1", tags="cat") == 0
    assert total(has_geo="0") == everything and total(has_geo="0", tags="cat") == cats
    for name, value in [
        ("group_id", "34427469792@N01"),
        ("bbox", "-180,-90,180,90"),
        ("woe_id", "727232"),
        ("place_id", "Zz2tDL5WU7rxMD5d"),
        ("lat", "52.37"),
        ("lon", "4.89"),
    ]:
        assert total(**{name: value}) == 0, name
        assert total(**{name: value, "tags": "cat"}) == 0, name
    assert total(user_id=SYBREN, contacts="all") == 0 < total(user_id=SYBREN)
    mine = ok(fl.oauth("flickr.photos.search", user_id="me", contacts="ff")).find("photos")
    assert mine is not None and mine.get("total") == "0"
    extras = ok(fl.anon("flickr.photos.search", tags="cat", extras="license", per_page="3"))
    assert {p.get("license") for p in extras.findall("photos/photo")} == {"0"}


def test_machine_tags_search(fl: Flickr) -> None:
    tags = 'dc:title="Mr Camera" geo:lat=52 plain'
    pid = ok(upload(fl.c["upload_url"], _legacy_fields(fl, tags=tags), b"mt")).findtext("photoid")
    other = ok(upload(fl.c["upload_url"], _legacy_fields(fl, tags="dc:creator=ada"), b"mt2"))
    oid = other.findtext("photoid")
    assert pid and oid

    def found(**params: str) -> list[str]:
        fields = _legacy_fields(fl, method="flickr.photos.search", per_page="500", **params)
        return _ids(ok(post(fl.rest, fields)))

    assert found(machine_tags="dc:") == [oid, pid]  # newest first
    assert found(machine_tags="dc:title=") == [pid]
    assert found(machine_tags="dc:title") == [pid]
    assert found(machine_tags='dc:title="mr camera"') == [pid]  # values match in any case
    assert found(machine_tags='*:*="Mr Camera"') == [pid]
    assert found(machine_tags="*:creator=") == [oid]
    assert found(machine_tags="DC:*=ada") == [oid]
    assert found(machine_tags="dc:title=other") == []
    assert found(machine_tags="geo:lat=52,dc:creator=ada") == [oid, pid]  # any, by default
    assert found(machine_tags="geo:lat=52,dc:creator=ada", machine_tag_mode="all") == []
    assert found(machine_tags="geo:,dc:title=", machine_tag_mode="all") == [pid]
    assert found(machine_tags="plain") == []  # no machine-tag syntax
    assert found(machine_tags="dc:", user_id=SYBREN) == []  # the seed has none
    info = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).findall("photo/tags/tag")
    assert [(t.get("raw"), t.get("machine_tag")) for t in info] == [
        ("dc:title=Mr Camera", "1"),
        ("geo:lat=52", "1"),
        ("plain", "0"),
    ]


def test_private_photos_are_the_owners_only(fl: Flickr) -> None:
    mine = ok(fl.oauth("flickr.people.getPhotos", user_id="me", per_page="500"))
    private = [p for p in mine.findall("photos/photo") if p.get("ispublic") == "0"]
    assert private
    photo = private[0]
    pid = photo.get("id", "")
    public_view = _ids(
        ok(fl.anon("flickr.people.getPhotos", user_id=fl.c["user"]["nsid"], per_page="500"))
    )
    assert pid not in public_view and pid in _ids(mine)
    assert err(fl.anon("flickr.photos.getInfo", photo_id=pid))[0] == 1
    ok(fl.anon("flickr.photos.getInfo", photo_id=pid, secret=photo.get("secret", "")))
    ok(fl.oauth("flickr.photos.getInfo", photo_id=pid))
    public_only = ok(
        fl.oauth("flickr.people.getPublicPhotos", user_id=fl.c["user"]["nsid"], per_page="500")
    )
    assert pid not in _ids(public_only)
    assert err(fl.anon("flickr.people.getPublicPhotos", user_id="nobody")) == (1, "User not found")
    assert err(fl.anon("flickr.people.getPhotos", user_id="nobody")) == (2, "Unknown user")


def test_get_info_shape(fl: Flickr) -> None:
    pid = _ids(ok(fl.anon("flickr.photos.search", user_id=SYBREN, per_page="1")))[0]
    photo = ok(fl.anon("flickr.photos.getInfo", photo_id=pid)).find("photo")
    assert photo is not None and photo.get("id") == pid
    assert photo.find("owner").get("nsid") == SYBREN  # type: ignore[union-attr]
    assert photo.find("owner").get("username") == "sybren"  # type: ignore[union-attr]
    assert photo.findtext("title") and photo.findtext("description")
    assert photo.find("dates").get("posted") == photo.get("dateuploaded")  # type: ignore[union-attr]
    tags = photo.findall("tags/tag")
    assert tags and all(t.text and t.get("raw") for t in tags)
    assert photo.findtext("urls/url", "").endswith(f"/photos/sybren/{pid}/")
    assert photo.find("upload") is None  # only uploaded photos have one
    js = json.loads(
        fl.anon("flickr.photos.getInfo", photo_id=pid, format="json", nojsoncallback="1").data
    )["photo"]
    assert isinstance(js["tags"]["tag"], list) and js["notes"] == {"note": []}
    assert js["title"]["_content"] == photo.findtext("title")


def test_set_meta_updates_listings(fl: Flickr) -> None:
    pid = _ids(ok(fl.oauth("flickr.photos.search", user_id="me", tags="cat", per_page="1")))[0]
    ok(
        fl.oauth(
            "flickr.photos.setMeta", photo_id=pid, title="Renamed \u20ac", description="<b>d</b>"
        )
    )
    listing = ok(fl.oauth("flickr.photos.search", user_id="me", tags="cat", per_page="1"))
    assert listing.find("photos/photo").get("title") == "Renamed \u20ac"  # type: ignore[union-attr]
    assert pid in _ids(ok(fl.oauth("flickr.photos.search", user_id="me", text="renamed")))
    info = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid))
    assert info.findtext("photo/description") == "<b>d</b>"
    assert err(fl.oauth("flickr.photos.setMeta", photo_id="1"))[0] == 1


def test_titles_with_non_xml_characters_keep_listings_well_formed(fl: Flickr) -> None:
    """U+FFFE and U+FFFF are no XML characters: a title holding them (set through setMeta or
    an upload) is written without them, and every later listing still parses."""
    pid = _ids(ok(fl.oauth("flickr.photos.search", user_id="me", per_page="1")))[0]
    ok(fl.oauth("flickr.photos.setMeta", photo_id=pid, title="a\ufffeb\uffffc\x07"))
    listing = ok(fl.oauth("flickr.photos.search", user_id="me", per_page="1"))
    assert listing.find("photos/photo").get("title") == "abc"  # type: ignore[union-attr]
    assert ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).findtext("photo/title") == "abc"
    js = fl.oauth("flickr.photos.getInfo", photo_id=pid, format="json", nojsoncallback="1")
    assert json.loads(js.data)["photo"]["title"]["_content"] == "a\ufffeb\uffffc\x07"  # whole
    up = _legacy_fields(fl, title="\uffffup\ufffe", description="d\uffff")
    new = ok(upload(fl.c["upload_url"], up, b"bytes")).findtext("photoid")
    stream = ok(fl.oauth("flickr.people.getPhotos", user_id="me", extras="description"))
    first = stream.find("photos/photo")
    assert first is not None and first.get("id") == new and first.get("title") == "up"
    assert first.findtext("description") == "d"


def test_delete_removes_everywhere(fl: Flickr) -> None:
    sets = ok(fl.oauth("flickr.photosets.getList")).findall("photosets/photoset")
    holidays = next(s for s in sets if s.findtext("title") == "Holidays")
    primary = holidays.get("primary", "")
    ok(fl.oauth("flickr.photos.delete", photo_id=primary))
    assert err(fl.oauth("flickr.photos.getInfo", photo_id=primary))[0] == 1
    after = ok(fl.oauth("flickr.photosets.getPhotos", photoset_id=holidays.get("id", "")))
    assert primary not in _ids(after, "photoset/photo")
    assert after.find("photoset").get("primary") != primary  # type: ignore[union-attr]
    assert int(after.find("photoset").get("total")) == int(holidays.get("photos", "")) - 1  # type: ignore[union-attr,arg-type]
    assert err(fl.oauth("flickr.photos.delete", photo_id=primary))[0] == 1


# -- sets and people ---------------------------------------------------------------------------


def test_photosets_get_list_has_the_seed_structure(fl: Flickr) -> None:
    root = ok(fl.anon("flickr.photosets.getList", user_id=SYBREN))
    sets = root.find("photosets")
    assert sets is not None and sets.get("cancreate") == "1"
    set0 = sets.findall("photoset")[0]
    assert set0.get("id") == SEED_SET
    assert {"id", "primary", "secret", "server", "photos"} <= set(set0.attrib)
    assert set0.findtext("title") == "365" and set0.findtext("description") == "threesixtyfive"
    assert set0.get("photos") == "30"
    members = ok(fl.anon("flickr.photosets.getPhotos", photoset_id=SEED_SET)).find("photoset")
    assert members is not None and members.get("primary") == set0.get("primary")
    first = members.findall("photo")[0]
    assert first.get("isprimary") == "1" and first.get("secret") == set0.get("secret")
    mine = ok(fl.oauth("flickr.photosets.getList")).findall("photosets/photoset")
    assert [s.findtext("title") for s in mine] == ["Holidays", "Cats", "Best of", "Empty-ish"]
    assert err(fl.anon("flickr.photosets.getList")) == (1, "User not found")


def test_photosets_get_photos_paging(fl: Flickr) -> None:
    whole = ok(fl.anon("flickr.photosets.getPhotos", photoset_id=SEED_SET)).find("photoset")
    assert whole is not None
    assert (whole.get("page"), whole.get("perpage"), whole.get("pages"), whole.get("total")) == (
        "1",
        "500",
        "1",
        "30",
    )
    assert whole.get("owner") == SYBREN and whole.get("title") == "365"
    ids = _ids(whole, "photo")
    second = ok(
        fl.anon("flickr.photosets.getPhotos", photoset_id=SEED_SET, per_page="15", page="2")
    )
    assert _ids(second, "photoset/photo") == ids[15:30]
    assert second.find("photoset").get("pages") == "2"  # type: ignore[union-attr]
    assert err(fl.anon("flickr.photosets.getPhotos", photoset_id="0")) == (1, "Photoset not found")


def test_people(fl: Flickr) -> None:
    person = ok(fl.anon("flickr.people.getInfo", user_id=SYBREN)).find("person")
    assert person is not None and person.get("nsid") == SYBREN
    assert person.findtext("username") == "sybren" and person.findtext("realname")
    assert person.findtext("photosurl") == "https://www.flickr.com/photos/sybren/"
    assert err(fl.anon("flickr.people.getInfo", user_id="x")) == (1, "User not found")
    stream = ok(fl.anon("flickr.people.getPhotos", user_id=SYBREN, per_page="5")).find("photos")
    assert stream is not None and len(stream.findall("photo")) == 5
    assert {p.get("owner") for p in stream.findall("photo")} == {SYBREN}


# -- uploads -----------------------------------------------------------------------------------


def _legacy_fields(fl: Flickr, token: str | None = None, **fields: str) -> dict[str, str]:
    return signed(fl.secret, api_key=fl.key, auth_token=token or fl.c["token"], **fields)


def test_legacy_upload_stores_size_and_checksums(fl: Flickr) -> None:
    data = os.urandom(70_000)
    fields = _legacy_fields(fl, title="Test", tags='Amsterdam "central station"', is_public="0")
    r = upload(fl.c["upload_url"], {**fields, "format": "json"}, data)  # format is ignored...
    assert err(r)[0] == 96  # ...but it is signed like every field
    r = upload(fl.c["upload_url"], fields, data)
    assert r.data.startswith(b'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">')
    pid = ok(r).findtext("photoid")
    assert pid
    info = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).find("photo")
    assert info is not None and info.findtext("title") == "Test"
    up = info.find("upload")
    assert up is not None and up.attrib == {
        "size": "70000",
        "sha1": hashlib.sha1(data).hexdigest(),
    }
    assert [(t.get("raw"), t.text) for t in info.findall("tags/tag")] == [
        ("Amsterdam", "amsterdam"),
        ("central station", "centralstation"),
    ]
    assert info.find("visibility").get("ispublic") == "0"  # type: ignore[union-attr]
    assert err(fl.anon("flickr.photos.getInfo", photo_id=pid))[0] == 1  # private
    assert pid in _ids(ok(fl.oauth("flickr.photos.search", user_id="me", tags="centralstation")))


def test_oauth_upload_signs_the_text_fields_as_a_form(fl: Flickr) -> None:
    fields = {"title": "Via OAuth & co", "is_public": "1", "api_key": fl.key}
    header = oauth_upload_header(
        fl.c["upload_url"],
        fields,
        key=fl.key,
        secret=fl.secret,
        token=fl.c["oauth_token"],
        token_secret=fl.c["oauth_token_secret"],
    )
    pid = ok(upload(fl.c["upload_url"], fields, b"jpeg!", header)).findtext("photoid")
    assert (
        ok(fl.anon("flickr.photos.getInfo", photo_id=pid or "")).findtext("photo/title")
        == "Via OAuth & co"
    )
    # A field the signature did not cover is caught.
    tampered = upload(fl.c["upload_url"], {**fields, "title": "other"}, b"jpeg!", header)
    assert tampered.status == 401 and b"signature_invalid" in tampered.data
    # No token at all: the OAuth layer says which parameter is missing.
    client_only = oauth_upload_header(
        fl.c["upload_url"], fields, key=fl.key, secret=fl.secret, token="", token_secret=""
    )
    r = upload(fl.c["upload_url"], fields, b"jpeg!", client_only)
    assert r.status == 401 and b"oauth_parameters_absent=oauth_token" in r.data


def test_upload_refusals(fl: Flickr, tether_sandbox: Any) -> None:
    url = fl.c["upload_url"]
    assert err(upload(url, signed(fl.secret, api_key=fl.key, title="x"), b"x"))[0] == 99
    assert err(upload(url, {"api_key": fl.key, "auth_token": fl.c["token"]}, b"x"))[0] == 97
    assert err(upload(url, _legacy_fields(fl), None)) == (2, "No photo specified")
    assert err(upload(url, _legacy_fields(fl), b"")) == (4, "Filesize was zero")
    assert err(upload(url, _legacy_fields(fl, link="http://spam.example/"), b"x"))[0] == 116
    frob = ok(fl.legacy("flickr.auth.getFrob")).findtext("frob") or ""
    tether_sandbox.approve_flickr(frob=frob, perms="read")
    reader = ok(fl.legacy("flickr.auth.getToken", frob=frob)).findtext("auth/token")
    assert err(upload(url, _legacy_fields(fl, reader), b"x"))[0] == 99
    body, content_type = multipart(_legacy_fields(fl), b"abc")
    truncated = HTTP.request("POST", url, body=body[:-20], headers={"Content-Type": content_type})
    assert err(truncated) == (3, "General upload failure")
    not_multipart = HTTP.request(
        "POST", url, body="api_key=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert err(not_multipart)[0] == 100
    # With a good key and signature the form is read, and holds no photo.
    good_form = HTTP.request(
        "POST",
        url,
        body=urlencode(_legacy_fields(fl, title="no file")),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert err(good_form) == (2, "No photo specified")
    data = b"same bytes"
    ok(upload(url, _legacy_fields(fl), data))
    assert err(upload(url, _legacy_fields(fl, dedup_check="1"), data)) == (
        9,
        "Duplicate photo detected",
    )


def test_replace(fl: Flickr) -> None:
    pid = (
        ok(upload(fl.c["upload_url"], _legacy_fields(fl, title="keep me"), b"one")).findtext(
            "photoid"
        )
        or ""
    )
    before = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).find("photo")
    assert before is not None
    data = b"two" * 1000
    got = ok(upload(fl.c["replace_url"], _legacy_fields(fl, photo_id=pid, title="ignored"), data))
    photoid = got.find("photoid")
    assert photoid is not None and photoid.text == pid
    assert photoid.get("secret") and photoid.get("originalsecret")
    assert photoid.get("secret") != before.get("secret")
    after = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).find("photo")
    assert after is not None and after.findtext("title") == "keep me"  # only the image changes
    assert after.find("upload").get("sha1") == hashlib.sha1(data).hexdigest()  # type: ignore[union-attr]
    theirs = _ids(ok(fl.anon("flickr.photos.search", user_id=SYBREN, per_page="1")))[0]
    assert err(upload(fl.c["replace_url"], _legacy_fields(fl, photo_id=theirs), b"x"))[0] == 3
    asynchronous = ok(
        upload(fl.c["replace_url"], _legacy_fields(fl, photo_id=pid, **{"async": "1"}), b"3")
    )
    assert asynchronous.findtext("ticketid")


def test_replaced_bytes_are_no_duplicate(fl: Flickr) -> None:
    """dedup_check knows a photo by its current bytes: once replaced, the old bytes upload
    again as a new photo, and the new bytes are the duplicate."""
    url = fl.c["upload_url"]
    pid = ok(upload(url, _legacy_fields(fl), b"first bytes")).findtext("photoid") or ""
    ok(upload(fl.c["replace_url"], _legacy_fields(fl, photo_id=pid), b"second bytes"))
    again = ok(upload(url, _legacy_fields(fl, dedup_check="1"), b"first bytes")).findtext("photoid")
    assert again and again != pid
    assert err(upload(url, _legacy_fields(fl, dedup_check="1"), b"second bytes")) == (
        9,
        "Duplicate photo detected",
    )


def test_async_uploads_and_tickets(fl: Flickr, tether_sandbox: Any) -> None:
    tid = ok(upload(fl.c["upload_url"], _legacy_fields(fl, **{"async": "1"}), b"later")).findtext(
        "ticketid"
    )
    assert tid

    def poll(*ids: str) -> list[dict[str, str]]:
        uploader = ok(fl.anon("flickr.photos.upload.checkTickets", tickets=",".join(ids)))
        return [t.attrib for t in uploader.findall("uploader/ticket")]

    assert poll(tid, "999") == [{"id": tid, "complete": "0"}, {"id": "999", "invalid": "1"}]
    done = poll(tid)[0]
    assert done["complete"] == "1" and done["photoid"]
    ok(fl.oauth("flickr.photos.getInfo", photo_id=done["photoid"]))
    tether_sandbox.control("POST", "/_sandbox/flickr/tickets", {"polls": 3, "fail_next": 1})
    bad = (
        ok(upload(fl.c["upload_url"], _legacy_fields(fl, **{"async": "1"}), b"broken")).findtext(
            "ticketid"
        )
        or ""
    )
    assert [poll(bad)[0]["complete"] for _ in range(3)] == ["0", "0", "2"]


def test_a_large_upload_is_streamed_not_buffered(fl: Flickr, tether_sandbox: Any) -> None:
    """64 MiB sent as a stream: the server (in this process) hashes it as it arrives, so the
    peak of memory allocated meanwhile stays far below the upload's size."""
    size, chunk = 64 * 1024 * 1024, os.urandom(1024 * 1024)
    fields = _legacy_fields(fl, title="big")
    head, content_type = multipart(fields, b"")
    prefix, suffix = head.split(b"\r\n\r\n\r\n--")  # where the empty photo's bytes would be
    prefix += b"\r\n\r\n"
    suffix = b"\r\n--" + suffix
    expected = hashlib.sha1()
    for _ in range(size // len(chunk)):
        expected.update(chunk)

    def body() -> Iterator[bytes]:
        yield prefix
        for _ in range(size // len(chunk)):
            yield chunk
        yield suffix

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        r = HTTP.request(
            "POST",
            fl.c["upload_url"],
            body=body(),
            headers={
                "Content-Type": content_type,
                "Content-Length": str(len(prefix) + size + len(suffix)),
            },
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pid = ok(r).findtext("photoid") or ""
    assert peak < 24 * 1024 * 1024, peak
    up = ok(fl.oauth("flickr.photos.getInfo", photo_id=pid)).find("photo/upload")
    assert up is not None and up.get("size") == str(size) and up.get("sha1") == expected.hexdigest()
    assert tether_sandbox.control("GET", "/_sandbox/flickr/stats")["bytes_received"] == size
