"""The REST methods the Flickr emulator implements: one handler per method name, each taking
the checked call (parameters, caller, clock) and returning the children of ``<rsp>``.

Invariants:
- Handlers run only after the envelope checks (format, key, signature, token, quota, method
  known, permission level of ``Method.perms``); they raise ``MethodError`` for the
  method-specific codes (``1: Photo not found`` …) and never see HTTP.
- Photo visibility is one rule everywhere (``Photo.visible_to``): public, or the caller's own.
  A private photo of someone else is "not found", as on Flickr.
- Lists are paged by ``paginate``: ``per_page`` default 100 (500 for a set's photos), at most
  500; ``pages`` is 0 for an empty list, as Flickr answers. A ``page`` past the last one
  returns the last page's photos again (see ``paginate``).
- Default orders are Flickr's: searches and photostreams newest upload first, sets in their
  own order.
- Every search filter the method accepts is applied, against what the sandbox has: every photo
  has license 0 and none is geotagged, in a group or a contact's, so those filters find all
  or nothing; machine tags are read from the photos' raw tags.
- People are looked up in ``FlickrState.users`` only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from tether.services.flickr.sandbox.render import Node, Raw, attrs_xml, is_xml_name
from tether.services.flickr.sandbox.state import (
    USER_NSID,
    FlickrState,
    Photo,
    PhotoSet,
    Token,
    User,
    clean_tag,
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


@dataclass(frozen=True)
class Method:
    handler: Handler
    #: Least permission needed; "none" means no login required.
    perms: str = "none"


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
    items: Sequence[T], params: Mapping[str, str], default: int
) -> tuple[Sequence[T], dict[str, str | int]]:
    """One page of ``items`` and the list attributes (``page pages perpage total``).

    A page past the last one is answered with the last page's items again: live Flickr keeps
    returning photos there (hugoh/Offlickr2#7 looped forever on "stop at an empty page";
    smeredith/wdc-flickr-proxy#21), so a client must stop on ``page > pages``. The ``page``
    attribute echoes the page asked for (capped at 10,000, as Flickr caps it).
    """
    per_page = min(_int(params.get("per_page", ""), default), MAX_PER_PAGE)
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


def _user(users: Mapping[str, User], nsid: str) -> User:
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
            attrs["ownername"] = _user(users, p.owner).username
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
            attrs["pathalias"] = _user(users, p.owner).path_alias
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


def _extras_param(call: Call) -> list[str]:
    return [e.strip() for e in call.get("extras").split(",") if e.strip()]


def _photo_list(
    tag: str, call: Call, photos: Sequence[Photo], default: int = 100, **attrs: str | int
) -> Node:
    chunk, paging = paginate(photos, call.params, default)
    extras = _extras_param(call)
    return Node(
        tag,
        {**attrs, **paging},
        children=[photo_element(p, "list", extras, call.state.users) for p in chunk],
        arrays=frozenset({"photo"}),
    )


# -- test and auth -----------------------------------------------------------------------------


def m_echo(call: Call) -> Payload:
    # Flickr echoes each parameter as an element named after it. Unconfirmed what it does with
    # a name that cannot be an XML tag (``a<b``, ``1x``, ``a b``): such a parameter is left out
    # here, of every format alike, so the answer stays well-formed.
    return [Node(name, text=value) for name, value in call.params.items() if is_xml_name(name)]


def m_login(call: Call) -> Payload:
    user = _user(call.state.users, call.caller.nsid or "")
    return [
        Node(
            "user",
            {"id": user.nsid, "path_alias": user.path_alias},
            children=[Node("username", text=user.username)],
        )
    ]


def m_get_frob(call: Call) -> Payload:
    return [Node("frob", text=call.state.new_frob(call.caller.api_key, call.now).value)]


def _auth(tag: str, token: Token, users: Mapping[str, User]) -> Node:
    user = _user(users, token.nsid)
    return Node(
        tag,
        children=[
            Node("token", text=token.value),
            Node("perms", text=token.perms),
            Node(
                "user",
                {"nsid": user.nsid, "username": user.username, "fullname": user.realname},
            ),
        ],
    )


def m_get_token(call: Call) -> Payload:
    state = call.state
    frob = state.frobs.get(call.get("frob"))
    # Unknown, not yet approved, refused, used, expired or another key's: all "Invalid frob".
    if frob is None or frob.status != "approved" or not frob.usable(call.now, call.caller.api_key):
        raise MethodError(108, "Invalid frob")
    del state.frobs[frob.value]  # single use
    token = Token(state.new_token_value(), "legacy", frob.api_key, USER_NSID, frob.perms or "read")
    state.tokens[token.value] = token
    return [_auth("auth", token, state.users)]


def m_check_token(call: Call) -> Payload:
    token = call.state.tokens.get(call.get("auth_token"))
    if token is None or token.kind != "legacy" or token.api_key != call.caller.api_key:
        raise MethodError(98, "Invalid auth token")
    return [_auth("auth", token, call.state.users)]


def m_oauth_check_token(call: Call) -> Payload:
    # The token to check is an argument: without it live Flickr answers 98 "Invalid token"
    # (flickr.md §6.4, sybrenstuvel/flickrapi#123).
    token = call.state.tokens.get(call.get("oauth_token"))
    if token is None or token.kind != "oauth" or token.api_key != call.caller.api_key:
        raise MethodError(98, "Invalid token")
    return [_auth("oauth", token, call.state.users)]


def m_oauth_get_access_token(call: Call) -> Payload:
    """Trade the legacy token of this call for an OAuth pair (the legacy token is deleted)."""
    legacy = call.caller.token
    if legacy is None or legacy.kind != "legacy":
        raise MethodError(98, "Invalid auth token")
    state = call.state
    del state.tokens[legacy.value]
    token = Token(
        state.new_token_value(),
        "oauth",
        legacy.api_key,
        legacy.nsid,
        legacy.perms,
        state.new_secret(),
    )
    state.tokens[token.value] = token
    access = Node("access_token", {"oauth_token": token.value, "oauth_token_secret": token.secret})
    return [Node("auth", children=[access])]


# -- photos ------------------------------------------------------------------------------------

#: Filters no photo of the sandbox matches: it has no groups, no contacts and no geotagged
#: photos, so a group, a contact list, a place or coordinates find nothing.
_NOTHING_MATCHES: Final = ("group_id", "bbox", "woe_id", "place_id", "contacts", "lat", "lon")
#: Any one of these makes a search one with parameters (else error 3).
_SEARCH_FILTERS: Final = (
    "tags",
    "text",
    "user_id",
    "min_upload_date",
    "max_upload_date",
    "min_taken_date",
    "max_taken_date",
    "has_geo",
    "license",
    "machine_tags",
    *_NOTHING_MATCHES,
)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_MACHINE_TAG = re.compile(rf"({_NAME}):({_NAME})=(.+)", re.DOTALL)
#: A ``machine_tags`` search term: ``ns:``, ``ns:pred``, ``ns:pred=``, ``ns:pred=value``, with
#: ``*`` for any namespace or predicate and the value optionally in double quotes.
_MACHINE_TERM = re.compile(rf"({_NAME}|\*):(?:({_NAME}|\*)(?:=(.*))?)?", re.DOTALL)
MachineTag = tuple[str, str, str]


def _machine_tag(raw: str) -> MachineTag | None:
    """``(namespace, predicate, value)`` of a machine tag (``dc:title=Mr Camera``; namespace
    and predicate lower case), ``None`` for an ordinary tag."""
    m = _MACHINE_TAG.fullmatch(raw.strip())
    return None if m is None else (m[1].lower(), m[2].lower(), m[3])


def _machine_terms(text: str) -> list[MachineTag] | None:
    """The terms of ``machine_tags`` as ``(namespace, predicate, value)``, ``*`` or ``""`` for
    any; ``None`` when a term has no machine-tag syntax (nothing matches it)."""
    terms: list[MachineTag] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        m = _MACHINE_TERM.fullmatch(item)
        if m is None:
            return None
        value = (m[3] or "").strip()
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        terms.append((m[1].lower(), (m[2] or "*").lower(), value.lower()))
    return terms


def _has_machine_tags(p: Photo, terms: list[MachineTag], every: bool) -> bool:
    tags = [t for t in map(_machine_tag, p.tags) if t is not None]

    def hit(term: MachineTag) -> bool:
        ns, pred, value = term
        return any(
            ns in ("*", t[0]) and pred in ("*", t[1]) and value in ("", t[2].lower()) for t in tags
        )

    return all(map(hit, terms)) if every else any(map(hit, terms))


def _resolve_user(call: Call, unknown: tuple[int, str]) -> str:
    user_id = call.get("user_id")
    if user_id == "me":
        if call.caller.nsid is None:
            raise MethodError(99, NOT_LOGGED_IN)
        return call.caller.nsid
    if user_id not in call.state.users:
        raise MethodError(*unknown)
    return user_id


def _date_bounds(call: Call, low: str, high: str) -> tuple[int | None, int | None]:
    lo = parse_date(call.get(low)) if call.get(low) else None
    hi = parse_date(call.get(high)) if call.get(high) else None
    return lo, hi


def _sorted(photos: list[Photo], sort: str) -> list[Photo]:
    """``photos`` arrive oldest upload first; Flickr's default is newest first."""
    if sort == "date-posted-asc":
        return photos
    if sort in ("date-taken-asc", "date-taken-desc"):
        return sorted(photos, key=lambda p: (p.taken, p.id), reverse=sort.endswith("desc"))
    if sort in ("interestingness-desc", "interestingness-asc"):
        return sorted(photos, key=lambda p: (p.views, p.id), reverse=sort.endswith("desc"))
    photos.reverse()  # date-posted-desc (the default) and relevance
    return photos


def m_search(call: Call) -> Payload:
    params, state, viewer = call.params, call.state, call.caller.nsid
    if not any(params.get(name) for name in _SEARCH_FILTERS):
        raise MethodError(
            3,
            "Parameterless searches have been disabled. Please use flickr.photos.getRecent "
            "instead.",
        )
    ids: Iterable[str] = state.order
    if params.get("user_id"):
        ids = state.by_owner[_resolve_user(call, (2, "Unknown user"))]
    licenses = {x.strip() for x in call.get("license").split(",") if x.strip()}
    if (
        any(call.get(name) for name in _NOTHING_MATCHES)
        or call.get("has_geo") not in ("", "0")  # has_geo=0 asks for what the seed has
        or (licenses and LICENSE not in licenses)
    ):
        ids = ()
    machine = _machine_terms(call.get("machine_tags"))
    if machine is None:
        ids = ()
    every_machine_tag = call.get("machine_tag_mode") == "all"
    wanted: set[str] | None = None
    tags = [t for t in (clean_tag(x) for x in call.get("tags").split(",")) if t]
    if tags:
        groups = [state.by_tag.get(t, set()) for t in tags]
        if call.get("tag_mode") == "all":
            wanted = set.intersection(*groups)
        else:
            wanted = set().union(*groups)
    words = call.get("text").lower().split()
    up_lo, up_hi = _date_bounds(call, "min_upload_date", "max_upload_date")
    tk_lo, tk_hi = _date_bounds(call, "min_taken_date", "max_taken_date")
    photos = state.photos
    if wanted is not None and len(wanted) < 1000:
        # A narrow tag: walk its matches (in upload order) rather than every photo.
        narrow = wanted if ids is state.order else wanted.intersection(ids)
        ids = sorted(narrow, key=lambda pid: photos[pid].posted)
        wanted = None
    found: list[Photo] = []
    for pid in ids:
        if wanted is not None and pid not in wanted:
            continue
        p = photos[pid]
        if not p.ispublic and p.owner != viewer:
            continue
        if words:
            haystack = p.haystack
            if not all(w in haystack for w in words):
                continue
        if (up_lo is not None and p.posted < up_lo) or (up_hi is not None and p.posted > up_hi):
            continue
        if (tk_lo is not None and p.taken < tk_lo) or (tk_hi is not None and p.taken > tk_hi):
            continue
        if machine and not _has_machine_tags(p, machine, every_machine_tag):
            continue
        found.append(p)
    return [_photo_list("photos", call, _sorted(found, call.get("sort")))]


def m_get_recent(call: Call) -> Payload:
    state = call.state
    recent = [state.photos[pid] for pid in reversed(state.order) if state.photos[pid].ispublic]
    return [_photo_list("photos", call, recent)]


def find_photo(call: Call) -> Photo:
    photo_id = call.get("photo_id")
    p = call.state.photos.get(photo_id)
    # The right secret skips the permission check (flickr.photos.getInfo's ``secret``).
    if p is None or not (p.visible_to(call.caller.nsid) or call.get("secret") == p.secret):
        raise MethodError(1, f'Photo "{photo_id}" not found (invalid ID)')
    return p


def _own_photo(call: Call) -> Photo:
    p = find_photo(call)
    if p.owner != call.caller.nsid:
        # Unconfirmed: the code Flickr gives for editing someone else's (public) photo.
        raise MethodError(99, "Insufficient permissions. You do not own this photo.")
    return p


def m_get_info(call: Call) -> Payload:
    p = find_photo(call)
    owner = _user(call.state.users, p.owner)
    mine = p.owner == call.caller.nsid
    node = Node(
        "photo",
        {
            "id": p.id,
            "secret": p.secret,
            "server": p.server,
            "farm": p.farm,
            "dateuploaded": str(p.posted),
            "isfavorite": 0,
            "license": LICENSE,
            "safety_level": str(p.safety_level - 1),  # getInfo counts from 0, upload from 1
            "rotation": 0,
            "originalsecret": p.originalsecret,
            "originalformat": p.originalformat,
            "views": str(p.views),
            "media": "photo",
        },
    )
    node.add(
        Node(
            "owner",
            {
                "nsid": owner.nsid,
                "username": owner.username,
                "realname": owner.realname,
                "location": owner.location,
                "iconserver": "0",
                "iconfarm": 0,
                "path_alias": owner.path_alias,
            },
        )
    )
    node.add(Node("title", text=p.title))
    node.add(Node("description", text=p.description))
    node.add(
        Node("visibility", {"ispublic": p.ispublic, "isfriend": p.isfriend, "isfamily": p.isfamily})
    )
    node.add(
        Node(
            "dates",
            {
                "posted": str(p.posted),
                "taken": mysql_datetime(p.taken),
                "takengranularity": "0",
                "takenunknown": "0",
                "lastupdate": str(p.lastupdate),
            },
        )
    )
    if mine:
        node.add(Node("permissions", {"permcomment": "3", "permaddmeta": "2"}))
    node.add(Node("editability", {"cancomment": int(mine), "canaddmeta": int(mine)}))
    node.add(Node("publiceditability", {"cancomment": 1, "canaddmeta": 0}))
    node.add(Node("usage", {"candownload": 1, "canblog": 0, "canprint": 0, "canshare": 1}))
    node.add(Node("comments", text="0"))
    node.add(Node("notes", arrays=frozenset({"note"})))
    node.add(Node("people", {"haspeople": 0}))
    author = owner.nsid.split("@", 1)[0]
    tags = Node("tags", arrays=frozenset({"tag"}))
    for n, raw in enumerate(p.tags):
        tags.add(
            Node(
                "tag",
                {
                    "id": f"{author}-{p.id}-{n + 1}",
                    "author": owner.nsid,
                    "authorname": owner.username,
                    "raw": raw,
                    "machine_tag": int(_machine_tag(raw) is not None),
                },
                text=clean_tag(raw),
            )
        )
    node.add(tags)
    page = f"https://www.flickr.com/photos/{owner.path_alias or owner.nsid}/{p.id}/"
    node.add(
        Node(
            "urls",
            children=[Node("url", {"type": "photopage"}, text=page)],
            arrays=frozenset({"url"}),
        )
    )
    if p.size is not None:
        # Sandbox extension (not in Flickr's answer): what the emulator received for the
        # uploaded or replaced file, so a test can check the bytes arrived intact.
        node.add(Node("upload", {"size": str(p.size), "sha1": p.sha1 or ""}))
    return [node]


def m_set_meta(call: Call) -> Payload:
    p = _own_photo(call)
    if "title" in call.params:
        p.title = call.params["title"]
    if "description" in call.params:
        p.description = call.params["description"]
    p.touch(int(call.now))
    return []


def m_delete(call: Call) -> Payload:
    call.state.remove_photo(_own_photo(call))
    return []


def m_check_tickets(call: Call) -> Payload:
    uploader = Node("uploader", arrays=frozenset({"ticket"}))
    for tid in (t.strip() for t in call.get("tickets").split(",")):
        if not tid:
            continue
        ticket = call.state.tickets.get(tid)
        if ticket is None:
            uploader.add(Node("ticket", {"id": tid, "invalid": "1"}))
            continue
        ticket.polls += 1
        if ticket.polls < call.ticket_polls:
            uploader.add(Node("ticket", {"id": tid, "complete": "0"}))
        elif ticket.fails:
            uploader.add(Node("ticket", {"id": tid, "complete": "2"}))
        else:
            uploader.add(Node("ticket", {"id": tid, "complete": "1", "photoid": ticket.photo_id}))
    return [uploader]


# -- photosets ---------------------------------------------------------------------------------


def _set_attrs(s: PhotoSet, members: list[Photo]) -> dict[str, str | int]:
    # A set's secret, server and farm are its primary photo's (they build its thumbnail URL).
    primary = members[0] if members else None
    return {
        "id": s.id,
        "primary": primary.id if primary else "0",
        "secret": primary.secret if primary else "",
        "server": primary.server if primary else "0",
        "farm": primary.farm if primary else 0,
        "photos": len(members),
        "videos": 0,
        "count_views": "0",
        "count_comments": "0",
        "can_comment": 0,
        "date_create": str(s.created),
        "date_update": str(s.created),
    }


def _visible_members(call: Call, s: PhotoSet) -> list[Photo]:
    viewer = call.caller.nsid
    return [p for p in s.members(call.state.photos) if p.visible_to(viewer)]


def m_sets_get_list(call: Call) -> Payload:
    user_id = call.get("user_id") or call.caller.nsid or ""
    if user_id not in call.state.users:
        raise MethodError(1, "User not found")
    sets = [s for s in call.state.sets.values() if s.owner == user_id]
    # Without ``page`` every set is returned (the historical behaviour the seed relies on).
    default = MAX_PER_PAGE if call.get("page") else (len(sets) or 1)
    chunk, paging = paginate(sets, call.params, default)
    out = Node("photosets", {"cancreate": 1, **paging}, arrays=frozenset({"photoset"}))
    for s in chunk:
        out.add(
            Node(
                "photoset",
                _set_attrs(s, _visible_members(call, s)),
                children=[Node("title", text=s.title), Node("description", text=s.description)],
            )
        )
    return [out]


def m_sets_get_photos(call: Call) -> Payload:
    s = call.state.sets.get(call.get("photoset_id"))
    if s is None:
        raise MethodError(1, "Photoset not found")
    members = _visible_members(call, s)
    chunk, paging = paginate(members, call.params, MAX_PER_PAGE)
    primary = members[0].id if members else "0"
    extras = _extras_param(call)
    owner = _user(call.state.users, s.owner)
    attrs: dict[str, str | int] = {
        "id": s.id,
        "primary": primary,
        "owner": owner.nsid,
        "ownername": owner.username,
        "page": paging["page"],
        "per_page": paging["perpage"],
        "perpage": paging["perpage"],
        "pages": paging["pages"],
        "total": paging["total"],
        "title": s.title,
    }
    users = call.state.users
    photos = [
        photo_element(p, "set", extras, users, "1" if p.id == primary else "0") for p in chunk
    ]
    return [Node("photoset", attrs, children=photos, arrays=frozenset({"photo"}))]


# -- people ------------------------------------------------------------------------------------


def m_people_get_info(call: Call) -> Payload:
    user = call.state.users.get(call.get("user_id"))
    if user is None:
        raise MethodError(1, "User not found")
    viewer = call.caller.nsid
    photos = [call.state.photos[p] for p in call.state.by_owner.get(user.nsid, [])]
    visible = [p for p in photos if p.visible_to(viewer)]
    alias = user.path_alias or user.nsid
    counts = Node(
        "photos",
        children=[
            Node("firstdatetaken", text=mysql_datetime(min(p.taken for p in visible)))
            if visible
            else Node("firstdatetaken", text=""),
            Node("firstdate", text=str(visible[0].posted) if visible else ""),
            Node("count", text=str(len(visible))),
        ],
    )
    return [
        Node(
            "person",
            {
                "id": user.nsid,
                "nsid": user.nsid,
                "ispro": 0,
                "can_buy_pro": 0,
                "iconserver": "0",
                "iconfarm": 0,
                "path_alias": user.path_alias,
                "has_stats": 0,
            },
            children=[
                Node("username", text=user.username),
                Node("realname", text=user.realname),
                Node("location", text=user.location),
                Node("description", text=""),
                Node("photosurl", text=f"https://www.flickr.com/photos/{alias}/"),
                Node("profileurl", text=f"https://www.flickr.com/people/{alias}/"),
                Node("mobileurl", text=f"https://m.flickr.com/photostream.gne?id={user.nsid}"),
                counts,
            ],
        )
    ]


def _photostream(call: Call, unknown: tuple[int, str], public_only: bool) -> Payload:
    if not call.get("user_id"):
        raise MethodError(*unknown)
    nsid = _resolve_user(call, unknown)
    viewer = None if public_only else call.caller.nsid
    state = call.state
    photos = [
        p
        for p in (state.photos[pid] for pid in reversed(state.by_owner.get(nsid, [])))
        if p.visible_to(viewer)
    ]
    up_lo, up_hi = _date_bounds(call, "min_upload_date", "max_upload_date")
    if up_lo is not None or up_hi is not None:
        photos = [
            p
            for p in photos
            if (up_lo is None or p.posted >= up_lo) and (up_hi is None or p.posted <= up_hi)
        ]
    return [_photo_list("photos", call, photos)]


def m_people_get_photos(call: Call) -> Payload:
    return _photostream(call, (2, "Unknown user"), public_only=False)


def m_people_get_public_photos(call: Call) -> Payload:
    return _photostream(call, (1, "User not found"), public_only=True)


METHODS: Final[dict[str, Method]] = {
    "flickr.test.echo": Method(m_echo),
    "flickr.test.login": Method(m_login, "read"),
    "flickr.auth.getFrob": Method(m_get_frob),
    "flickr.auth.getToken": Method(m_get_token),
    "flickr.auth.checkToken": Method(m_check_token),
    "flickr.auth.oauth.checkToken": Method(m_oauth_check_token),
    "flickr.auth.oauth.getAccessToken": Method(m_oauth_get_access_token, "read"),
    "flickr.photos.search": Method(m_search),
    "flickr.photos.getRecent": Method(m_get_recent),
    "flickr.photos.getInfo": Method(m_get_info),
    "flickr.photos.setMeta": Method(m_set_meta, "write"),
    "flickr.photos.delete": Method(m_delete, "delete"),
    "flickr.photos.upload.checkTickets": Method(m_check_tickets),
    "flickr.photosets.getList": Method(m_sets_get_list),
    "flickr.photosets.getPhotos": Method(m_sets_get_photos),
    "flickr.people.getInfo": Method(m_people_get_info),
    "flickr.people.getPhotos": Method(m_people_get_photos),
    "flickr.people.getPublicPhotos": Method(m_people_get_public_photos),
}


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
