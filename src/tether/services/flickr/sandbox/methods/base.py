"""What every Flickr emulator method is written with: the checked call (``Call``, ``Caller``),
``MethodError``, paging, photo elements and the permission check.

Invariants:
- Handlers run only after the envelope checks (format, key, signature, token, quota, method
  known, permission level of ``Method.perms``); they raise ``MethodError`` for the
  method-specific codes (``1: Photo not found`` …) and never see HTTP.
- Photo visibility is one rule everywhere (``Photo.visible_to``): public, or the caller's own.
  A private photo of someone else is "not found", as on Flickr.
- Lists are paged by ``paginate``: ``per_page`` default 100 (500 for a set's photos), at most
  500; ``pages`` is 0 for an empty list, as Flickr answers. A ``page`` past the last one
  returns the last page's photos again (see ``paginate``).
- This module imports no method family: the families import it, the table imports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from tether.sandbox.kit.rpc import RpcMethod
from tether.services.flickr.sandbox.render import Node, Raw, attrs_xml
from tether.services.flickr.sandbox.state import (
    FlickrState,
    Photo,
    Token,
    User,
    mysql_datetime,
    parse_date,
    perms_at_least,
)

T = TypeVar("T")
Payload = list[Node | Raw]

#: Flickr stops paging at page 10,000 (python-flickr-api#54: a higher page answers page 10,000).
MAX_PAGE: Final = 10_000
MAX_PER_PAGE: Final = 500
#: Hosts whose URLs Flickr's abuse blacklist refuses with error 116 ("Bad URL found").
BLACKLISTED_HOSTS: Final = ("spam.example", "malware.example")
_URL_HOST = re.compile(r"(?i)\b(?:https?|ftp)://([^/\s:?#\"'<>]+)")
#: Every photo's license: 0, "All Rights Reserved", the account default (seeded and uploaded
#: photos alike; the sandbox has no way to change it).
LICENSE: Final = "0"


class MethodError(Exception):
    """A ``stat="fail"`` answer: Flickr's code and message."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


NOT_LOGGED_IN: Final = "User not logged in / Insufficient permissions"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the application, and the user if a token came with the call."""

    api_key: str
    token: Token | None = None

    @property
    def nsid(self) -> str | None:
        return self.token.nsid if self.token is not None else None

    @property
    def perms(self) -> str:
        return self.token.perms if self.token is not None else "none"


@dataclass
class Call:
    state: FlickrState
    params: Mapping[str, str]
    caller: Caller
    now: float
    #: How many ``checkTickets`` polls an async upload takes to complete (a tunable).
    ticket_polls: int = 2

    def get(self, name: str) -> str:
        return self.params.get(name, "")


Handler = Callable[[Call], Payload]


class Method(RpcMethod[Handler]):
    """A line of the method table (the kit's ``RpcMethod``): the handler, the permission the
    envelope checks ("none" means no login required), and what
    ``flickr.reflection.getMethodInfo`` tells of it (arguments besides ``api_key`` and the
    method's own error codes; the envelope's codes are added there)."""


def bad_url(values: Iterable[str]) -> bool:
    """Whether any value holds a URL on a blacklisted host (error 116)."""
    for value in values:
        if "://" not in value:
            continue
        for host in _URL_HOST.findall(value):
            host = host.lower().rstrip(".")
            if any(host == h or host.endswith("." + h) for h in BLACKLISTED_HOSTS):
                return True
    return False


# -- paging ------------------------------------------------------------------------------------


def _int(text: str, default: int) -> int:
    # Flickr reads numbers leniently (PHP intval): junk means the default, not an error.
    try:
        value = int(text.strip())
    except ValueError:
        return default
    return value if value > 0 else default


def paginate(
    items: Sequence[T], params: Mapping[str, str], default: int, cap: int = MAX_PER_PAGE
) -> tuple[Sequence[T], dict[str, str | int]]:
    """One page of ``items`` and the list attributes (``page pages perpage total``).

    A page past the last one is answered with the last page's items again: live Flickr keeps
    returning photos there (hugoh/Offlickr2#7 looped forever on "stop at an empty page";
    smeredith/wdc-flickr-proxy#21), so a client must stop on ``page > pages``. The ``page``
    attribute echoes the page asked for (capped at 10,000, as Flickr caps it); ``per_page`` is
    capped at ``cap`` (500, or a method's own maximum: 1,000 for contacts).
    """
    per_page = min(_int(params.get("per_page", ""), default), cap)
    page = min(_int(params.get("page", ""), 1), MAX_PAGE)
    total = len(items)
    pages = -(-total // per_page)
    shown = min(page, max(pages, 1))
    chunk = items[(shown - 1) * per_page : shown * per_page]
    return chunk, {"page": page, "pages": pages, "perpage": per_page, "total": total}


# -- photo elements ----------------------------------------------------------------------------

#: extras name -> (size suffix, longest edge in pixels, square?) for the ``url_*`` extras.
_SIZES: Final = {
    "url_sq": ("s", 75, True),
    "url_q": ("q", 150, True),
    "url_t": ("t", 100, False),
    "url_s": ("m", 240, False),
    "url_n": ("n", 320, False),
    "url_m": ("", 500, False),
    "url_z": ("z", 640, False),
    "url_c": ("c", 800, False),
    "url_l": ("b", 1024, False),
    "url_o": ("o", 0, False),
}


def user_of(users: Mapping[str, User], nsid: str) -> User:
    return users.get(nsid) or User(nsid, nsid, "", "", "")


def _list_attrs(p: Photo, style: str, isprimary: str) -> dict[str, str | int]:
    attrs: dict[str, str | int] = {"id": p.id}
    if style == "list":
        attrs["owner"] = p.owner
    attrs.update(secret=p.secret, server=p.server, farm=p.farm, title=p.title)
    if style == "set":
        attrs["isprimary"] = isprimary
    attrs.update(ispublic=p.ispublic, isfriend=p.isfriend, isfamily=p.isfamily)
    return attrs


def photo_url(p: Photo, suffix: str, fmt: str = "jpg") -> str:
    if suffix == "o":
        return f"https://live.staticflickr.com/{p.server}/{p.id}_{p.originalsecret}_o.{fmt}"
    tail = f"_{suffix}" if suffix else ""
    return f"https://live.staticflickr.com/{p.server}/{p.id}_{p.secret}{tail}.jpg"


def _extras(
    p: Photo, extras: Iterable[str], attrs: dict[str, str | int], users: Mapping[str, User]
) -> list[Node | Raw]:
    children: list[Node | Raw] = []
    for extra in extras:
        if extra == "description":
            children.append(Node("description", text=p.description))
        elif extra == "license":
            attrs["license"] = LICENSE
        elif extra == "date_upload":
            attrs["dateupload"] = str(p.posted)
        elif extra == "date_taken":
            attrs["datetaken"] = mysql_datetime(p.taken)
            attrs["datetakengranularity"] = "0"
            attrs["datetakenunknown"] = "0"
        elif extra == "owner_name":
            attrs["ownername"] = user_of(users, p.owner).username
        elif extra == "icon_server":
            attrs["iconserver"] = "0"
            attrs["iconfarm"] = 0
        elif extra == "original_format":
            attrs["originalsecret"] = p.originalsecret
            attrs["originalformat"] = p.originalformat
        elif extra == "last_update":
            attrs["lastupdate"] = str(p.lastupdate)
        elif extra == "tags":
            attrs["tags"] = " ".join(p.clean_tags)
        elif extra == "views":
            attrs["views"] = str(p.views)
        elif extra == "media":
            attrs["media"] = "photo"
            attrs["media_status"] = "ready"
        elif extra == "path_alias":
            attrs["pathalias"] = user_of(users, p.owner).path_alias
        elif extra in _SIZES:
            suffix, edge, square = _SIZES[extra]
            if square:
                w = h = edge
            elif edge == 0 or edge >= max(p.width, p.height):
                w, h = p.width, p.height
            else:
                scale = edge / max(p.width, p.height)
                w, h = round(p.width * scale), round(p.height * scale)
            key = extra[4:]
            attrs[f"url_{key}"] = photo_url(p, suffix, p.originalformat)
            attrs[f"height_{key}"] = h
            attrs[f"width_{key}"] = w
    return children


def photo_element(
    p: Photo, style: str, extras: Sequence[str], users: Mapping[str, User], isprimary: str = "0"
) -> Node | Raw:
    """A ``<photo/>`` of a list: ``style`` "list" (search, photostreams: with ``owner``) or
    "set" (a set's photos: with ``isprimary``); ``users`` for the extras naming the owner.
    Without extras the element is rendered once and cached on the photo."""
    if not extras:
        key = style if style == "list" else f"set{isprimary}"
        hit: Raw | None = p.cache.get(key)
        if hit is None:
            attrs = _list_attrs(p, style, isprimary)
            hit = p.cache[key] = Raw("photo", f"<photo{attrs_xml(attrs)} />", attrs)
        return hit
    attrs = _list_attrs(p, style, isprimary)
    return Node("photo", attrs, children=_extras(p, extras, attrs, users))


def extras_param(call: Call) -> list[str]:
    return [e.strip() for e in call.get("extras").split(",") if e.strip()]


def photo_list(
    tag: str, call: Call, photos: Sequence[Photo], default: int = 100, **attrs: str | int
) -> Node:
    chunk, paging = paginate(photos, call.params, default)
    extras = extras_param(call)
    return Node(
        tag,
        {**attrs, **paging},
        children=[photo_element(p, "list", extras, call.state.users) for p in chunk],
        arrays=frozenset({"photo"}),
    )


def resolve_user(call: Call, unknown: tuple[int, str]) -> str:
    user_id = call.get("user_id")
    if user_id == "me":
        if call.caller.nsid is None:
            raise MethodError(99, NOT_LOGGED_IN)
        return call.caller.nsid
    if user_id not in call.state.users:
        raise MethodError(*unknown)
    return user_id


def date_bounds(call: Call, low: str, high: str) -> tuple[int | None, int | None]:
    lo = parse_date(call.get(low)) if call.get(low) else None
    hi = parse_date(call.get(high)) if call.get(high) else None
    return lo, hi


def check_perms(needed: str, caller: Caller) -> None:
    """Error 99 unless the caller's token carries the permission level ``needed`` (a method's
    ``Method.perms``, or ``write`` for an upload or replace)."""
    if needed == "none":
        return
    if caller.token is None:
        raise MethodError(99, NOT_LOGGED_IN)
    if not perms_at_least(caller.perms, needed):
        raise MethodError(
            99,
            f"Insufficient permissions. Method requires {needed} privileges; "
            f"{caller.perms} granted.",
        )
