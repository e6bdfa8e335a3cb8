"""The sandbox dashboard, the page at the sandbox root for a person in a browser: each service
with its URLs and test credentials, the recent requests, the active faults (and a button to
clear them), and the grants waiting for approval (with a button to approve each).

Routes (mounted by ``app.create_app``)::

    GET  /                                  the page (for a client that accepts HTML)
    POST /_sandbox/dashboard/clear-faults   the "Clear faults" button: every fault removed
    POST /_sandbox/dashboard/approve        an "Approve" button: form ``service``, ``ref``

Invariants:
- It names no service: services come from the sandbox registry (``sandbox.registry.SERVICES``,
  titles from ``services.registry``), credentials from each emulator module, grants from each
  emulator's ``pending_grants()`` hook (``kit.base``), faults from the ``FaultBook``, requests
  from the ``RequestLog``.
- The page shows the test credentials, secrets included, on purpose: they are the sandbox's
  fixed fake values (``/_sandbox/credentials`` hands out the same), and copying them into a
  test is what the page is for. Nothing here logs, so the suite's secret canary, which watches
  logs, errors and reprs, never sees them. Request query strings are redacted
  (``core.redact``), and grants are named by ``grant_ref`` digests, never their values: those
  are what an application holds as its own secret.
- Every value on the page goes through ``html.escape``. Buttons are plain same-origin form
  posts that answer ``303 See Other`` back to the page; no script.
- A POST is refused with 403 when its ``Origin`` names another origin than the one addressed,
  or when its ``Host`` is neither a loopback name nor the address the server listens on (a
  DNS-rebinding page would send its own name). The page may not be framed, and forms may only
  post to this origin (``Content-Security-Policy``).
- Approving calls the grant's own ``approve`` (what the service's page does); a grant that is
  no longer pending (decided or expired meanwhile) is answered 409, an unknown one 404.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from tether.sandbox.faults import Fault, FaultBook
from tether.sandbox.kit.grants import GrantRefused, PendingGrant
from tether.sandbox.registry import Emulator, ServiceModule, ServiceSpec
from tether.sandbox.requestlog import Entry, RequestLog
from tether.services import registry as service_registry

CLEAR_PATH: Final = "/_sandbox/dashboard/clear-faults"
APPROVE_PATH: Final = "/_sandbox/dashboard/approve"
#: A dashboard form is two short fields; anything longer is no form of ours.
MAX_FORM: Final = 4096
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})
_NOTICES: Final = {"approved": "Approved.", "cleared": "Faults cleared."}
_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
}
_STYLE: Final = """
body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#123}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0;width:100%} caption{text-align:left;font-weight:bold}
td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{font-size:.9rem;word-break:break-all} .muted{color:#667} .notice{background:#e6f4ea;padding:.5rem}
.s2{color:#176f2c} .s3{color:#345} .s4{color:#9a5b00} .s5,.s0{color:#b00020;font-weight:bold}
form{margin:0} button{padding:.25rem .9rem}
"""


def wants_html(request: Request) -> bool:
    """Whether the client asked for a page (a browser) rather than the JSON index."""
    return "text/html" in request.headers.get("accept", "")


class Dashboard:
    """The page and its two form actions, over the combined app's state (see module doc)."""

    def __init__(
        self,
        *,
        specs: Iterable[ServiceSpec],
        modules: Mapping[str, ServiceModule],
        emulators: Mapping[str, Emulator],
        book: FaultBook,
        log: RequestLog,
        root_url: Callable[[Request], str],
    ) -> None:
        self.specs = tuple(specs)
        self.modules = modules
        self.emulators = emulators
        self.book = book
        self.log = log
        self.root_url = root_url

    def routes(self) -> list[Route]:
        return [
            Route(CLEAR_PATH, self.clear_faults, methods=["POST"]),
            Route(APPROVE_PATH, self.approve, methods=["POST"]),
        ]

    # -- reading the state --------------------------------------------------------------------

    def pending(self) -> list[tuple[str, PendingGrant]]:
        """``(service, grant)`` for every grant waiting, in registry order."""
        out: list[tuple[str, PendingGrant]] = []
        for spec in self.specs:
            out.extend((spec.name, grant) for grant in self.emulators[spec.name].pending_grants())
        return out

    # -- the page -----------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        root = self.root_url(request)
        notice = _NOTICES.get(request.query_params.get("done", ""), "")
        body = "".join(
            (
                "<h1>tether sandbox</h1>",
                f'<p class="notice" role="status">{escape(notice)}</p>' if notice else "",
                '<p class="muted">Offline emulators of every service on one origin. '
                'The credentials below are the sandbox\'s own test values. <a href="/">Refresh</a>'
                "</p>",
                self._services(root),
                self._requests(),
                self._faults(),
                self._grants(),
            )
        )
        html = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>tether sandbox</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
        )
        return HTMLResponse(html, headers=_HEADERS)

    def _services(self, root: str) -> str:
        parts = ['<section id="services"><h2>Services</h2>']
        for spec in self.specs:
            try:
                title = service_registry.get(spec.name).title
            except KeyError:  # an emulator with no client (yet)
                title = spec.name
            urls, secrets = _split(_flatten(self.modules[spec.name].credentials(root)))
            rows = [("API base URL", f"{root}{spec.mount}{spec.api_path}"), *urls, *secrets]
            parts.append(
                f'<table id="service-{escape(spec.name)}" class="service">'
                f"<caption>{escape(title)} <span class=muted>({escape(spec.name)})</span>"
                "</caption><tbody>"
                + "".join(
                    f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>"
                    for k, v in rows
                )
                + "</tbody></table>"
            )
        parts.append("</section>")
        return "".join(parts)

    def _requests(self) -> str:
        entries = self.log.newest_first()
        head = (
            f'<section id="requests"><h2>Recent requests</h2><p class="muted">The last '
            f"{self.log.size}, newest first; query strings with secrets hidden.</p>"
        )
        if not entries:
            return head + "<p>No requests yet.</p></section>"
        rows = "".join(_request_row(e) for e in entries)
        return (
            head + '<table id="request-log"><thead><tr><th>Time</th><th>Service</th>'
            "<th>Method</th><th>Path</th><th>Status</th><th>ms</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )

    def _faults(self) -> str:
        faults = self.book.faults
        head = '<section id="faults"><h2>Active faults</h2>'
        button = (
            f'<form method="post" action="{CLEAR_PATH}">'
            '<button type="submit" id="clear-faults">Clear faults</button></form>'
        )
        if not faults:
            return head + "<p>No faults: every request is answered normally.</p></section>"
        rows = "".join(_fault_row(f) for f in faults)
        return (
            head + '<table id="fault-list"><thead><tr><th>Id</th><th>Service</th>'
            "<th>Path prefix</th><th>Effect</th><th>Left</th><th>Applied</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{button}</section>"
        )

    def _grants(self) -> str:
        pending = self.pending()
        head = '<section id="grants"><h2>Pending grants</h2>'
        if not pending:
            return head + "<p>Nothing waiting for approval.</p></section>"
        rows = "".join(
            f'<tr class="grant" data-service="{escape(service)}" data-kind="{escape(g.kind)}">'
            f"<td>{escape(service)}</td><td>{escape(g.kind)}</td>"
            f"<td><code>{escape(g.app_key)}</code></td><td>{escape(g.asks)}</td>"
            f"<td>{_clock(g.created)}</td><td>"
            f'<form method="post" action="{APPROVE_PATH}">'
            f'<input type="hidden" name="service" value="{escape(service)}">'
            f'<input type="hidden" name="ref" value="{escape(g.ref)}">'
            '<button type="submit" class="approve">Approve</button></form></td></tr>'
            for service, g in pending
        )
        return (
            head + '<table id="grant-list"><thead><tr><th>Service</th><th>Kind</th>'
            "<th>Application key</th><th>Grants</th><th>Asked at</th><th></th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )

    # -- the actions --------------------------------------------------------------------------

    async def clear_faults(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        self.book.clear()
        return RedirectResponse("/?done=cleared#faults", status_code=303)

    async def approve(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        raw = await request.body()
        if len(raw) > MAX_FORM:
            return _notice("Not a dashboard form", "The form is too long.", 413)
        form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        service, ref = form.get("service", ""), form.get("ref", "")
        # Looked up after the body arrived: a reset meanwhile has replaced the grants.
        for name, grant in self.pending():
            if name == service and grant.ref == ref:
                try:
                    grant.approve()
                except GrantRefused as refusal:
                    return _notice("Not pending any more", f"This {grant.kind} is {refusal.state}.")
                return RedirectResponse("/?done=approved#grants", status_code=303)
        return _notice("No such grant", "It was decided, expired or never existed.", 404)

    def _refuse(self, request: Request) -> Response | None:
        """403 for a cross-origin or rebinding POST (see the module docstring), else ``None``."""
        host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
        server = request.scope.get("server") or ("", None)
        if host not in _LOOPBACK and host != server[0]:
            return _notice(
                "Refused", "Dashboard actions answer only on the sandbox's address.", 403
            )
        origin = request.headers.get("origin")
        if origin is not None and origin != self.root_url(request):
            return _notice("Refused", "This form was posted from another origin.", 403)
        return None


def _notice(title: str, text: str, status: int = 409) -> HTMLResponse:
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - tether sandbox</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href="/">Back to the dashboard</a>'
        "</p></body></html>\n"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``{"account": {"login": x}}`` -> ``[("account.login", x)]``, in the module's order."""
    out: list[tuple[str, str]] = []
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", str(value)))
    return out


def _split(rows: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(URLs, other values): URLs first, as they are what a client is pointed at."""
    urls = [(k, v) for k, v in rows if v.startswith(("http://", "https://"))]
    return urls, [row for row in rows if row not in urls]


def _clock(seconds: float) -> str:
    """Local time of day with milliseconds (the person reading the page is on this machine)."""
    whole = time.localtime(seconds)
    return f"{time.strftime('%H:%M:%S', whole)}.{int(seconds % 1 * 1000):03d}"


def _request_row(entry: Entry) -> str:
    status = "dropped" if entry.status is None else str(entry.status)
    klass = f"s{(entry.status or 0) // 100}"
    return (
        f'<tr class="request"><td>{_clock(entry.at)}</td><td>{escape(entry.service)}</td>'
        f"<td>{escape(entry.method)}</td><td><code>{escape(entry.target())}</code></td>"
        f'<td class="status {klass}">{status}</td><td>{entry.duration * 1000:.1f}</td></tr>'
    )


def _fault_row(fault: Fault) -> str:
    effects = []
    if fault.latency_ms:
        effects.append(f"+{fault.latency_ms:g} ms")
    if fault.rate is not None:
        effects.append(f"429 past {fault.rate[0]:g}/s (burst {fault.rate[1]:g})")
    if fault.drop is not None:
        effects.append(f"drop {fault.drop}")
    if fault.status is not None:
        effects.append(f"status {fault.status}")
    left = "∞" if fault.remaining is None else str(fault.remaining)
    return (
        f'<tr class="fault"><td>{fault.fault_id}</td><td>{escape(fault.service or "any")}</td>'
        f"<td><code>{escape(fault.path_prefix or '/')}</code></td>"
        f"<td>{escape(', '.join(effects))}</td><td>{left}</td><td>{fault.applied}</td></tr>"
    )
