"""``flickr.photos.*``: search, recent, recently updated, info, metadata, delete and async upload
tickets.

Invariants:
- Default orders are Flickr's: searches newest upload first.
- Every search filter the method accepts is applied, against what the sandbox has: every photo
  has license 0 and none is geotagged, in a group or a contact's, so those filters find all
  or nothing; machine tags are read from the photos' raw tags.
- A ticket is a ``kit.progress.Progression``: running until its n-th poll, then done or failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from tether.sandbox.kit.progress import Phase
from tether.services.flickr.sandbox.methods.base import (
    LICENSE,
    Call,
    MethodError,
    Payload,
    date_bounds,
    extras_param,
    paginate,
    photo_element,
    photo_list,
    resolve_user,
    user_of,
)
from tether.services.flickr.sandbox.render import Node
from tether.services.flickr.sandbox.state import (
    Photo,
    clean_tag,
    mysql_datetime,
    parse_date,
)

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
        ids = state.by_owner[resolve_user(call, (2, "Unknown user"))]
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
    up_lo, up_hi = date_bounds(call, "min_upload_date", "max_upload_date")
    tk_lo, tk_hi = date_bounds(call, "min_taken_date", "max_taken_date")
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
    return [photo_list("photos", call, _sorted(found, call.get("sort")))]


def m_get_recent(call: Call) -> Payload:
    state = call.state
    recent = [state.photos[pid] for pid in reversed(state.order) if state.photos[pid].ispublic]
    return [photo_list("photos", call, recent)]


def m_recently_updated(call: Call) -> Payload:
    """The caller's photos updated at or after ``min_date``, most recently updated first
    (Flickr: "sorted by their date updated timestamp, in descending order")."""
    text = call.get("min_date")
    if not text.strip():
        raise MethodError(1, "Required argument missing.")
    since = parse_date(text)
    if since is None:
        raise MethodError(2, "Not a valid date")
    state, me = call.state, call.caller.nsid or ""
    mine = (state.photos[pid] for pid in state.by_owner.get(me, ()))
    # Unconfirmed whether Flickr's bound is inclusive: ``min_date`` is "the date from which
    # modifications should be compared", read here as at-or-after (a photo touched at exactly
    # ``min_date`` is listed).
    found = sorted(
        (p for p in mine if p.lastupdate >= since),
        key=lambda p: (p.lastupdate, p.posted),
        reverse=True,
    )
    # Flickr's example answer carries ``lastupdate`` on every photo without being asked.
    wanted = extras_param(call)
    extras = wanted if "last_update" in wanted else ["last_update", *wanted]
    chunk, paging = paginate(found, call.params, 100)
    users = state.users
    return [
        Node(
            "photos",
            paging,
            children=[photo_element(p, "list", extras, users) for p in chunk],
            arrays=frozenset({"photo"}),
        )
    ]


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
    owner = user_of(call.state.users, p.owner)
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
        phase = ticket.poll(call.ticket_polls)
        if phase is Phase.RUNNING:
            uploader.add(Node("ticket", {"id": tid, "complete": "0"}))
        elif phase is Phase.FAILED:
            uploader.add(Node("ticket", {"id": tid, "complete": "2"}))
        else:
            uploader.add(Node("ticket", {"id": tid, "complete": "1", "photoid": ticket.photo_id}))
    return [uploader]
