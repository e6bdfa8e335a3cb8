"""The REST kit by hand: the status table, the answer view, query strings."""

from __future__ import annotations

import pytest

from tether.core.messages import Response
from tether.services.kit.rest import Headers, ResponseView, StatusTable, with_query


class Base(Exception):
    pass


class Server(Base):
    pass


class NotFound(Base):
    pass


class NotGranted(Base):
    pass


TABLE = StatusTable(
    by_status={404: NotFound}, server_error=Server, default=Base, by_code={403: {"NG": NotGranted}}
)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, None, NotFound),
        (403, "NG", NotGranted),  # the body's code first ...
        (403, "OTHER", Base),  # ... an unknown one falls to the status, then the default
        (503, None, Server),
        (599, "NG", Server),  # codes only count for the status they are listed under
        (418, None, Base),
    ],
)
def test_status_table_is_total(status: int, code: str | None, cls: type) -> None:
    assert TABLE.error_class(status, code) is cls


def test_with_query() -> None:
    assert with_query("/me", "") == "/me"
    assert with_query("/me", "a=1") == "/me?a=1"
    assert with_query("/me?x=2", "a=1") == "/me?x=2&a=1"


def test_response_view_reads_like_requests() -> None:
    r = Response(201, (("Content-Type", "application/json"), ("X-Next", "c2")), b'{"a": [1]}')
    view = ResponseView(r)
    assert (view.status_code, view.ok, view.content) == (201, True, b'{"a": [1]}')
    assert view.json() == {"a": [1]}
    assert view.headers["x-next"] == "c2" and view.headers["X-NEXT"] == "c2"
    assert list(view.headers) == ["Content-Type", "X-Next"]
    assert repr(view) == "<ResponseView [201]>"
    assert not ResponseView(Response(404, (), b"")).ok


def test_headers_keep_the_last_of_a_repeated_name() -> None:
    h = Headers((("Set-Thing", "1"), ("set-thing", "2")))
    assert h["SET-THING"] == "2" and len(h) == 1
