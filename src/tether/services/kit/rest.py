"""The REST kit: what facades of resource APIs share (OVHcloud now; Vimeo next).

Such an API is verbs on paths, JSON bodies, errors told by the status (and often a code in the
body), and listings paged by a cursor header or a next link (``tether.core.paging``). The kit
gives a facade:
- ``StatusTable``: status (and body error code) → error class, as data, with the 5xx and
  catch-all classes; the service keeps its own messages and hints;
- ``ResponseView``: an answer as ``requests.Response``'s everyday parts (``status_code``,
  ``ok``, ``content``, ``text``, ``json()``, case-insensitive ``headers``), which both
  python-ovh's ``raw_call`` and PyVimeo hand their users;
- ``with_query``: a query string added to a path that may already carry one.

The verbs themselves stay with each service: python-ovh's are ``get(_target, _need_auth,
**kwargs)`` and PyVimeo's take ``requests``' keywords; one shape for both would fit neither.

Invariants:
- ``StatusTable.error_class`` is total: every status maps to a class (the catch-all for the
  unknown), so a strange answer is still an error of the service's tree.
- ``ResponseView.json()`` parses with the nesting bound (``tether.core.jsonparse``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tether.core import jsonparse
from tether.core.messages import Response

__all__ = ["Headers", "ResponseView", "StatusTable", "with_query"]


def with_query(path: str, query: str) -> str:
    """``path`` with ``query`` (already encoded) added after ``?``, or ``&`` if it has one."""
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + query


@dataclass(frozen=True)
class StatusTable:
    """Which error class an error answer raises.

    Attributes:
        by_status: the class for a status (``404: ResourceNotFound``).
        by_code: for a status, the class for an error code the body names
            (``{403: {"NOT_GRANTED_CALL": NotGrantedCall}}``); checked before ``by_status``.
        server_error: the class for any other 5xx.
        default: the class for anything else.
    """

    by_status: Mapping[int, type[Exception]]
    server_error: type[Exception]
    default: type[Exception]
    by_code: Mapping[int, Mapping[str, type[Exception]]] = field(default_factory=dict)

    def error_class(self, status: int, code: str | None = None) -> type[Exception]:
        if code is not None:
            cls = self.by_code.get(status, {}).get(code)
            if cls is not None:
                return cls
        cls = self.by_status.get(status)
        if cls is not None:
            return cls
        return self.server_error if status >= 500 else self.default


class Headers(Mapping[str, str]):
    """A case-insensitive, read-only view of an answer's headers (the last one of a name)."""

    __slots__ = ("_d",)

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._d = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._d[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._d.values())

    def __len__(self) -> int:
        return len(self._d)


class ResponseView:
    """An answer untouched, with the parts of ``requests.Response`` users reach for."""

    __slots__ = ("_response", "headers")

    def __init__(self, response: Response) -> None:
        self._response = response
        self.headers = Headers(response.headers)

    @property
    def status_code(self) -> int:
        return self._response.status

    @property
    def ok(self) -> bool:
        return self._response.status < 400

    @property
    def content(self) -> bytes:
        return self._response.body

    @property
    def text(self) -> str:
        return self._response.text()

    def json(self) -> Any:
        return jsonparse.loads(self._response.body, "raw_call json()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}]>"
