"""Merging calls that differ only in an id list: many ``users.get`` of a few ids each become one
``users.get`` of all their ids, and each call gets back the objects of its own ids. A pack of
600 one-id calls is then one inner call, not 24 ``execute`` requests: under VK's 3 requests a
second, that is what makes bulk reads fast.

``plan(calls)`` is pure: it returns the units to send (the inner calls of the ``execute``
packs, or one plain call) and, for each call, where its answer comes from; ``spread`` turns
the units' answers back into each call's own answer, in order.

Invariants:
- Only methods listed in ``MERGEABLE`` merge, only calls whose other parameters are all
  equal (``fields``, ``name_case``, ``lang`` … compared as sent), and only calls whose ids
  are all plain numbers (a screen name's answer carries a numeric ``id``, so it could not be
  matched back). Anything else is a unit of its own, sent exactly as it was asked.
- A merged unit holds each id once, in the order first asked, and at most the method's
  limit of ids (VK's: 1000 for ``users.get``); more start another unit.
- A call's answer from a merged unit is the objects of its ids, in its order (an id asked
  twice, twice), as VK answers a ``users.get`` of those ids: ids VK left out stay out, and a call of exactly one
  id that VK left out gets VK's error 113 ("Invalid user id"), which that call alone would
  have got (vk.md §1.5). An error of the whole unit is every member's error.
- ``groups.getById`` is not merged: its answer's shape changed with the API version (a list,
  then ``{"groups": …}``), and the emulator, which tests check against, does not serve it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tether.services.vk.errors import APIError, api_error

__all__ = ["MERGEABLE", "Slot", "Units", "plan", "spread"]

Item = tuple[str, dict[str, str]]

#: method -> (the id-list parameter, most ids in one call).
MERGEABLE: Final[dict[str, tuple[str, int]]] = {"users.get": ("user_ids", 1000)}

#: Where one call's answer comes from: (unit index, the call's ids when the unit is merged).
Slot = tuple[int, "tuple[str, ...] | None"]


def _ids(call: Item) -> tuple[tuple[Any, ...], tuple[str, ...]] | None:
    """The merge key (method and the other parameters) and the ids of a mergeable call."""
    method, params = call
    spec = MERGEABLE.get(method)
    if spec is None:
        return None
    field = spec[0]
    raw = params.get(field)
    if not raw:
        return None
    ids = tuple(word.strip() for word in raw.split(","))
    if not all(word.isdigit() for word in ids):
        return None
    rest = tuple(sorted((k, v) for k, v in params.items() if k != field))
    return (method, rest), ids


class Units:
    """The units a growing list of calls makes, counted as they come (``plan`` builds on it,
    and ``autobatch`` uses it to know when a pack is full). A merged unit's id list is
    joined once, when ``units`` is read."""

    __slots__ = ("_calls", "_merged", "_open", "slots")

    def __init__(self) -> None:
        self._calls: list[Item] = []  # each unit's first call
        self._merged: dict[int, dict[str, None]] = {}  # unit index -> its ids, in order
        self.slots: list[Slot] = []
        # merge key -> index of the unit still taking ids
        self._open: dict[tuple[Any, ...], int] = {}

    def add(self, call: Item) -> int:
        """Take one more call; the number of units now."""
        found = _ids(call)
        if found is None:
            self.slots.append((len(self._calls), None))
            self._calls.append(call)
            return len(self._calls)
        key, ids = found
        limit = MERGEABLE[call[0]][1]
        index = self._open.get(key)
        if index is not None and len(self._merged[index].keys() | ids) <= limit:
            self._merged[index].update(dict.fromkeys(ids))
        else:
            index = self._open[key] = len(self._calls)
            self._merged[index] = dict.fromkeys(ids)
            self._calls.append(call)
        self.slots.append((index, ids))
        return len(self._calls)

    @property
    def units(self) -> list[Item]:
        """The inner calls to send, merged ones with all their ids."""
        out = list(self._calls)
        for index, ids in self._merged.items():
            method, params = out[index]
            out[index] = (method, {**params, MERGEABLE[method][0]: ",".join(ids)})
        return out


def plan(calls: list[Item]) -> tuple[list[Item], list[Slot]]:
    """The units to send for ``calls`` and each call's slot (see the module docstring)."""
    units = Units()
    for call in calls:
        units.add(call)
    return units.units, units.slots


def spread(calls: list[Item], slots: list[Slot], answers: list[Any]) -> list[Any]:
    """Each call's answer (or ``APIError``), from the units' ``answers``."""
    by_id: dict[int, dict[str, Any]] = {}
    out: list[Any] = []
    for (method, _), (index, ids) in zip(calls, slots, strict=True):
        answer = answers[index]
        if ids is None or isinstance(answer, APIError):
            out.append(answer)
            continue
        if not isinstance(answer, list):
            out.append(answer)  # not a list of objects: nothing to split, given as VK gave it
            continue
        found = by_id.get(index)
        if found is None:
            found = by_id[index] = {
                str(obj.get("id")): obj for obj in answer if isinstance(obj, Mapping)
            }
        mine = [found[i] for i in ids if i in found]
        if not mine and len(ids) == 1:
            error = {"error_code": 113, "error_msg": "Invalid user id"}
            out.append(api_error(error, method))
        else:
            out.append(mine)
    return out
