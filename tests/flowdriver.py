"""Drive a flow by hand, with no socket: the way the core is meant to be tested."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.core.errors import TetherError
from tether.core.flow import Blocking, Browse, Exclusive, Flow, Gather, Now, Prompt, Send, Sleep
from tether.core.messages import Request, Response


class Driver:
    """Answers effects: ``responder(request)`` for sends (may raise a TransportError), a fixed
    clock, sleeps recorded instead of slept."""

    def __init__(
        self,
        responder: Callable[[Request], Response],
        clock: float = 1457018875.7,
        prompt: Callable[[Prompt], str] | None = None,
    ) -> None:
        self.responder = responder
        self.clock = clock
        self.sent: list[Request] = []
        self.slept: list[float] = []
        self.browsed: list[str] = []
        self.prompts: list[Prompt] = []
        self.blocking = 0  # Blocking effects met (each one called in place)
        self._prompt = prompt

    def run(self, flow: Flow[Any]) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value
            value = error = None
            if isinstance(effect, Send):
                self.sent.append(effect.request)
                try:
                    value = self.responder(effect.request)
                except TetherError as e:
                    error = e
            elif isinstance(effect, Now):
                value = self.clock
            elif isinstance(effect, Sleep):
                self.slept.append(effect.seconds)
                self.clock += effect.seconds
            elif isinstance(effect, Exclusive):
                try:
                    value = self.run(effect.flow)
                except TetherError as e:
                    error = e
            elif isinstance(effect, Gather):
                value = [self.run(f) for f in effect.flows]
            elif isinstance(effect, Blocking):
                self.blocking += 1
                value = effect.fn()
            elif isinstance(effect, Browse):
                self.browsed.append(effect.url)
            elif isinstance(effect, Prompt):
                self.prompts.append(effect)
                assert self._prompt is not None, f"unexpected prompt {effect}"
                value = self._prompt(effect)
            else:
                raise AssertionError(f"not an effect: {effect!r}")


def json_response(status: int, body: bytes, **headers: str) -> Response:
    return Response(status, (("Content-Type", "application/json"), *headers.items()), body)
