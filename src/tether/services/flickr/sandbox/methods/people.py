"""``flickr.photosets.*``, ``flickr.people.*`` and ``flickr.contacts.getList``: sets in their own
order, people and their photostreams newest upload first, the caller's contacts by name or by
time added.

Invariants:
- People are looked up in ``FlickrState.users`` only; contacts in ``FlickrState.contacts``.
- A set lists only the members the caller may see (``Photo.visible_to``).
"""

from __future__ import annotations

from typing import Final

from tether.services.flickr.sandbox.methods.base import (
    MAX_PER_PAGE,
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
    Contact,
    Photo,
    PhotoSet,
    mysql_datetime,
)

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
    extras = extras_param(call)
    owner = user_of(call.state.users, s.owner)
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
    nsid = resolve_user(call, unknown)
    viewer = None if public_only else call.caller.nsid
    state = call.state
    photos = [
        p
        for p in (state.photos[pid] for pid in reversed(state.by_owner.get(nsid, [])))
        if p.visible_to(viewer)
    ]
    up_lo, up_hi = date_bounds(call, "min_upload_date", "max_upload_date")
    if up_lo is not None or up_hi is not None:
        photos = [
            p
            for p in photos
            if (up_lo is None or p.posted >= up_lo) and (up_hi is None or p.posted <= up_hi)
        ]
    return [photo_list("photos", call, photos)]


def m_people_get_photos(call: Call) -> Payload:
    return _photostream(call, (2, "Unknown user"), public_only=False)


def m_people_get_public_photos(call: Call) -> Payload:
    return _photostream(call, (1, "User not found"), public_only=True)


# -- contacts ----------------------------------------------------------------------------------

#: ``filter`` value -> the (friend, family) pair it keeps (Flickr's documented four).
_CONTACT_FILTERS: Final = {
    "friends": (1, 0),
    "family": (0, 1),
    "both": (1, 1),
    "neither": (0, 0),
}
#: Flickr's default and largest page of contacts.
_CONTACTS_PER_PAGE: Final = 1000


def m_contacts_get_list(call: Call) -> Payload:
    sort = call.get("sort") or "name"
    if sort not in ("name", "time"):
        raise MethodError(1, "Invalid sort parameter.")
    users = call.state.users
    contacts: list[Contact] = list(call.state.contacts.get(call.caller.nsid or "", ()))
    # Unconfirmed what Flickr does with a ``filter`` outside its four values: ignored here
    # (every contact listed), as Flickr ignores other arguments it cannot read.
    wanted = _CONTACT_FILTERS.get(call.get("filter"))
    if wanted is not None:
        contacts = [c for c in contacts if (c.friend, c.family) == wanted]
    if sort == "name":
        contacts.sort(key=lambda c: (user_of(users, c.nsid).username.lower(), c.nsid))
    else:
        # Unconfirmed direction: most recently added first, as Flickr's own contact pages show.
        contacts.sort(key=lambda c: (c.added, c.nsid), reverse=True)
    chunk, paging = paginate(contacts, call.params, _CONTACTS_PER_PAGE, _CONTACTS_PER_PAGE)
    # Live answers carry ``per_page`` next to ``perpage`` (as a set's photos do).
    attrs: dict[str, str | int] = {
        "page": paging["page"],
        "pages": paging["pages"],
        "per_page": paging["perpage"],
        "perpage": paging["perpage"],
        "total": paging["total"],
    }
    out = Node("contacts", attrs, arrays=frozenset({"contact"}))
    for c in chunk:
        user = user_of(users, c.nsid)
        # The documented example's attributes, plus ``iconfarm`` and ``path_alias`` that
        # current answers carry (unconfirmed for every account; the sandbox has no icons).
        out.add(
            Node(
                "contact",
                {
                    "nsid": user.nsid,
                    "username": user.username,
                    "iconserver": "0",
                    "iconfarm": 0,
                    "ignored": c.ignored,
                    "realname": user.realname,
                    "friend": c.friend,
                    "family": c.family,
                    "path_alias": user.path_alias,
                },
            )
        )
    return [out]
