"""What an accepted upload or replace does to the state (flickr.md §9): a new photo, or new
bytes for an existing one, and the answer element.

Invariants:
- Called only after the request passed every check (auth, ``write`` permission, a non-empty
  ``photo`` part); the only codes raised here are the upload-specific ones (3, 9).
- The photo's bytes are never kept: a photo records the size and the SHA-1 of what arrived,
  which ``flickr.photos.getInfo`` reports in its ``<upload>`` element.
- ``dedup_check`` knows each photo by the SHA-1 of its current bytes only: a replace forgets
  the bytes it replaced, so uploading them again is no duplicate.
- An async upload (``async=1``) is answered with a ticket; its photo exists at once unless the
  ticket is one set to fail, whose photo never appears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tether.sandbox.kit.multipart import FilePart
from tether.services.flickr.sandbox.methods import MethodError
from tether.services.flickr.sandbox.render import Node
from tether.services.flickr.sandbox.state import FlickrState, Photo, Ticket, split_tags


def _choice(value: str | None, allowed: Sequence[int], default: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if number in allowed else default


def new_photo(
    state: FlickrState,
    params: Mapping[str, str],
    owner: str,
    file: FilePart,
    now: int,
    *,
    fail_ticket: bool = False,
) -> Node:
    """Store an uploaded photo; ``<photoid>`` or, with ``async=1``, ``<ticketid>``."""
    if params.get("dedup_check") in ("1", "2"):
        duplicate = state.uploaded_sha1.get((owner, file.sha1))
        if duplicate is not None and duplicate in state.photos:
            raise MethodError(9, "Duplicate photo detected")
    filename = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = filename.rpartition(".")
    title = params.get("title")
    if title is None:
        # Unconfirmed: without a title the file name minus its extension, as Flickr's web
        # uploader does.
        title = stem if dot else filename
    public = params.get("is_public", "1") != "0"  # the account default is public
    p = Photo(
        id=state.new_photo_id(),
        owner=owner,
        secret=state.new_photo_secret(),
        originalsecret=state.new_photo_secret(),
        server="65535",
        farm=66,
        title=title,
        description=params.get("description", ""),
        tags=tuple(split_tags(params.get("tags", ""))),
        ispublic=int(public),
        isfriend=0 if public else int(params.get("is_friend") == "1"),
        isfamily=0 if public else int(params.get("is_family") == "1"),
        posted=now,
        taken=now,
        width=4000,
        height=3000,
        lastupdate=now,
        safety_level=_choice(params.get("safety_level"), (1, 2, 3), 1),
        content_type=_choice(params.get("content_type"), (1, 2, 3), 1),
        hidden=_choice(params.get("hidden"), (1, 2), 1),
        originalformat=extension.lower() if extension.lower() in ("png", "gif") else "jpg",
        size=file.size,
        sha1=file.sha1,
    )
    if params.get("async") == "1":
        ticket = Ticket(id=state.new_ticket_id(), photo_id=p.id, fails=fail_ticket)
        state.tickets[ticket.id] = ticket
        if not fail_ticket:
            state.add_photo(p)
            state.uploaded_sha1[(owner, file.sha1)] = p.id
        return Node("ticketid", text=ticket.id)
    state.add_photo(p)
    state.uploaded_sha1[(owner, file.sha1)] = p.id
    return Node("photoid", text=p.id)


def replace_photo(
    state: FlickrState, params: Mapping[str, str], owner: str, file: FilePart, now: int
) -> Node:
    """New bytes for the caller's photo ``photo_id``; ``<photoid secret originalsecret>``."""
    p = state.photos.get(params.get("photo_id", ""))
    if p is None or p.owner != owner:
        # Unconfirmed: replace documents codes 2-6 only (flickr.md §9.2); an unknown or
        # someone else's photo is answered as a general failure.
        raise MethodError(3, "General upload failure")
    # Only the image changes, not title, tags or description (the seed says so), although
    # flickrapi 2.4 sends a title with every replace.
    if p.sha1 is not None and state.uploaded_sha1.get((owner, p.sha1)) == p.id:
        del state.uploaded_sha1[(owner, p.sha1)]
    p.size, p.sha1 = file.size, file.sha1
    p.secret = state.new_photo_secret()
    p.originalsecret = state.new_photo_secret()
    p.touch(now)
    state.uploaded_sha1[(owner, file.sha1)] = p.id
    if params.get("async") == "1":
        ticket = Ticket(id=state.new_ticket_id(), photo_id=p.id)
        state.tickets[ticket.id] = ticket
        return Node("ticketid", text=ticket.id)
    return Node("photoid", {"secret": p.secret, "originalsecret": p.originalsecret}, p.id)
