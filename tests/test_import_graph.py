"""No import circle anywhere in tether (issue 8): the whole package's import graph, every
import counted (function-level and ``TYPE_CHECKING`` ones too)."""

from __future__ import annotations

from tests.sandbox.test_kit_import_graph import _cycles, _graph, _modules


def test_no_import_circle_anywhere_in_tether() -> None:
    modules = _modules()
    assert "tether.transport.stdlib" in modules  # the graph sees the whole package
    assert _cycles(_graph(modules)) == []
