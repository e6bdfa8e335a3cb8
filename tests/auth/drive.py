"""By-hand drives for auth flows: ``Driver`` from tests/flowdriver.py, plus ``Blocking``.

``tests/flowdriver.py`` does not answer ``Blocking`` (no flow of its day needed it);
``performing_blocking`` wraps a flow so that its ``Blocking`` effects, and those of its
``Exclusive`` sub-flows, are performed here and recorded, and every other effect goes on to
the driver unchanged.
"""

from __future__ import annotations

from typing import Any

from tether.core.flow import Blocking, Exclusive, Flow, Now, Send
from tether.core.messages import Request, Response


def performing_blocking(flow: Flow[Any], log: list[Any]) -> Flow[Any]:
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        value = error = None
        if isinstance(effect, Blocking):
            log.append(effect.fn)
            value = effect.fn()
            continue
        if isinstance(effect, Exclusive):
            effect = Exclusive(effect.key, performing_blocking(effect.flow, log))
            log.append(("exclusive", effect.key))
        try:
            value = yield effect
        except BaseException as e:  # thrown in by the driver: hand it to the flow
            error = e


def send_once(build: Any, method: str) -> Flow[Response]:
    """An ``exchange`` with no retry and no error mapping."""
    now = yield Now()
    request: Request = build(now)
    response: Response = yield Send(request)
    return response


def form(status: int, text: str) -> Response:
    return Response(status, (("Content-Type", "text/plain"),), text.encode())
