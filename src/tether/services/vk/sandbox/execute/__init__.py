"""VK's ``execute`` in the emulator: a VKScript interpreter (``lexer`` -> ``parser`` ->
``machine``, with ``values`` and ``members`` for the language's values and methods) and the
handler the method table serves it with (``execute_handler``).

Invariants:
- ``run(code, dispatch)`` is pure: it parses (a failure is VK's 12, "Unable to compile code:
  …"), runs within the machine's bounds (a failure is VK's 13, "Runtime error occurred during
  code invocation: …", among them "Too many API calls" past 25) and answers the returned
  value with the inner calls that failed. No ``eval``/``exec`` of Python anywhere.
- Each inner call passes the gates the envelope runs that are about the method, in the same
  order (``app.py``): method known (3; ``execute`` itself is not callable from a script) ->
  token kind served (5/27/28) -> the right it needs (15/7) -> required arguments (100) -> the
  method. The envelope's other gates (version, token, per-token rate, validation, captcha,
  flood, quota) are passed once by the ``execute`` call itself: a script of 25 calls counts as
  one call against the token's rate, as VK counts it (vk.md §3.4).
- An inner failure is ``false`` in the result and ``{method, error_code, error_msg}`` in the
  answer's top-level ``execute_errors`` (vk.md §1.4): the handler answers an ``Enveloped``
  value then, which the envelope writes as ``{"response": …, "execute_errors": […]}``; with
  no failure it answers the plain value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.sandbox.kit.rpc import Registry
    from tether.services.vk.sandbox.methods.base import Call, VkMethod

__all__ = ["Enveloped", "execute_handler"]


@dataclass(frozen=True)
class Enveloped:
    """A method's answer with top-level keys beside ``response``."""

    response: Any
    extra: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {"response": self.response, **self.extra}


def execute_handler(table: Callable[[], Registry[VkMethod]]) -> Callable[[Call], Any]:
    """The handler of ``execute`` for the method table ``table()`` (a callable: the table
    holds this handler, so it is read when a call comes, not when the table is built)."""

    def m_execute(call: Call) -> Any:
        """Run a VKScript program (``code``): at most 25 API calls, one call's rate."""
        # Here, not at the top: ``serve`` imports ``methods.base``, whose package imports this
        # one (see the package docstring); after the first call this is a dict lookup.
        from tether.services.vk.sandbox.execute.serve import inner_dispatch, run

        result = run(call.get("code"), inner_dispatch(table(), call))
        if result.errors:
            return Enveloped(result.value, {"execute_errors": result.errors})
        return result.value

    return m_execute
