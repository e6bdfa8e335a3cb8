"""Reading VK's sign-in pages as PyVK's ``ClientAuth`` reads them (vk.md §2.7), with the
standard library's ``html.parser``: the one form (its action resolved against the page's
address, its ``act``, its fields as a browser would post them), a ``service_msg_warning``,
the phone check's two ``field_prefix`` spans and ``fi_row`` lines, the captcha picture and
the dialog's "Cancel" link.

Invariants:
- Pure: text in, a frozen ``LoginPage`` out; nothing is fetched.
- ``act`` is set only when the page holds exactly one form whose action carries ``act=``
  (PyVK's rule); otherwise it is ``None`` and the caller refuses the page.
- Fields are what a browser posts: inputs with a name (checkboxes only when checked,
  buttons and files never), ``<select>`` s' chosen options, ``<textarea>`` s' text.
- Malformed HTML never raises: whatever was read is what the page holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

__all__ = ["LoginPage", "read_page"]


@dataclass(frozen=True)
class LoginPage:
    """What a sign-in page asks.

    Attributes:
        act: the form's ``act`` (``login``, ``authcheck_code``, ``security_check``,
            ``grant_access`` …), or ``None`` if the page has not exactly one form with one.
        action: the form's absolute action URL.
        fields: the form's fields as a browser would post them, in page order.
        warning: the text of a ``service_msg_warning`` element ("" if none).
        prefixes: the texts of ``span.field_prefix`` (the phone check's shown digits).
        rows: the texts of ``div.fi_row`` (the phone check's question).
        image: the captcha picture's absolute URL, or "".
        cancel: the absolute URL of a "Cancel" link (``button_cancel`` or one to
            ``access_denied``), or "".
        text: the page's paragraphs, joined (the dialog's list of rights).
    """

    act: str | None
    action: str
    fields: tuple[tuple[str, str], ...]
    warning: str
    prefixes: tuple[str, ...]
    rows: tuple[str, ...]
    image: str
    cancel: str
    text: str


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.warning: list[str] = []
        self.prefixes: list[str] = []
        self.rows: list[str] = []
        self.paragraphs: list[str] = []
        self.image = ""
        self.cancel = ""
        # What text is being collected, and for which list (a stack, for nested tags).
        self._collect: list[tuple[str, list[str], list[str]]] = []
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "form":
            self.forms.append((a.get("action", ""), []))
        elif tag == "input" and self.forms and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if kind in ("checkbox", "radio") else ""
            self.forms[-1][1].append((a["name"], a.get("value", default)))
        elif tag == "select" and self.forms:
            self._select, self._first_option = a.get("name") or None, None
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value", ""), "selected" in a)
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.forms[-1][1].append((self._select, a.get("value", "")))
                self._select = None
        elif tag == "textarea" and self.forms and a.get("name"):
            self._textarea = a["name"]
            self._collect.append((tag, [], []))
        elif tag == "img" and ("captcha_img" in classes or "captcha" in a.get("src", "")):
            self.image = self.image or a.get("src", "")
        elif tag == "a":
            href = a.get("href", "")
            if "button_cancel" in classes or "access_denied" in href or "cancel=1" in href:
                self.cancel = self.cancel or href
        if "service_msg_warning" in classes:
            self._collect.append((tag, [], self.warning))
        elif tag == "span" and "field_prefix" in classes:
            self._collect.append((tag, [], self.prefixes))
        elif tag == "div" and "fi_row" in classes:
            self._collect.append((tag, [], self.rows))
        elif tag == "p":
            self._collect.append((tag, [], self.paragraphs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None and self.forms:
            if self._first_option is not None:  # none selected: the first one is sent
                self.forms[-1][1].append((self._select, self._first_option))
            self._select = None
        if self._collect and self._collect[-1][0] == tag:
            _, parts, into = self._collect.pop()
            text = " ".join("".join(parts).split())
            if tag == "textarea" and self._textarea is not None and self.forms:
                self.forms[-1][1].append((self._textarea, "".join(parts)))
                self._textarea = None
            elif text:
                into.append(text)

    def handle_data(self, data: str) -> None:
        for _, parts, _into in self._collect:
            parts.append(data)


def read_page(html: str, url: str) -> LoginPage:
    """The sign-in page ``html``, fetched from ``url`` (relative links resolve against it)."""
    reader = _Reader()
    try:
        reader.feed(html)
        reader.close()
    except (AssertionError, ValueError):  # html.parser's few refusals: keep what was read
        pass
    act: str | None = None
    action = ""
    fields: tuple[tuple[str, str], ...] = ()
    if len(reader.forms) == 1:
        raw, found = reader.forms[0]
        action = urljoin(url, raw)
        act = dict(parse_qsl(urlsplit(action).query)).get("act") or None
        fields = tuple(found)
    return LoginPage(
        act=act,
        action=action,
        fields=fields,
        warning=" ".join(reader.warning),
        prefixes=tuple(p.replace("\xa0", " ").strip() for p in reader.prefixes),
        rows=tuple(reader.rows),
        image=urljoin(url, reader.image) if reader.image else "",
        cancel=urljoin(url, reader.cancel) if reader.cancel else "",
        text=" ".join(reader.paragraphs),
    )
