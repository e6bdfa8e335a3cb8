"""The tether sandbox: faithful local emulators of every supported API on one loopback port.

``Sandbox`` runs them in a background thread; ``tether.sandbox.server.serve`` in the foreground;
``tether.sandbox.app.create_app`` builds the combined ASGI app. Importing this package is cheap:
Starlette and uvicorn are imported only when a server starts.
"""

from __future__ import annotations

from tether.sandbox.runner import Sandbox, SandboxError

__all__ = ["Sandbox", "SandboxError"]
