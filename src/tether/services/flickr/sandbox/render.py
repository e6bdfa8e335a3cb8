"""Flickr's response envelopes: REST XML, JSON (JSONP or bare) and PHP-serialised, from one
small element tree (flickr.md §3, §4.1).

Invariants:
- A payload is a list of ``Node`` (or pre-rendered ``Raw``) elements, the children of
  ``<rsp>``. XML and JSON are both derived from it, so the two formats carry the same elements
  and values (but for the characters XML cannot carry, below).
- JSON follows Flickr's conversion (§3.2): attributes -> members, text -> ``_content``,
  children -> objects, repeated children -> arrays, tags listed in ``arrays`` -> arrays even
  when single (``photo`` in a list of photos), ``<rsp>`` dropped and ``stat`` added last.
  An ``int`` attribute value becomes a JSON number (the attributes live Flickr sends as numbers:
  ``page``, ``farm``, ``ispublic`` …); every other value is a string.
- An element's attribute names never coincide with its children's tags (nor ``_content``),
  as in every Flickr payload, so the JSON members never collide.
- Every attribute value and text reaching XML is escaped, and the characters XML 1.0 cannot
  carry (C0 controls other than tab, newline and carriage return, U+FFFE, U+FFFF, lone
  surrogates) are dropped, so any value a client sends (a title, an echoed parameter) still
  yields well-formed XML. Tags and attribute names are not escaped: they are the sandbox's
  own, or checked with ``is_xml_name`` first (``flickr.test.echo``).
- Errors use HTTP 200 and Flickr's envelopes: ``<err code msg/>`` in XML, ``code``/``message``
  in JSON (``code`` a number, as live responses have it).
"""

from __future__ import annotations

import json
import re
import xml.parsers.expat as expat
from collections.abc import Callable, Mapping
from typing import Any, Final

XML_TYPE: Final = "text/xml; charset=utf-8"
JSONP_TYPE: Final = "text/javascript; charset=utf-8"
#: Unconfirmed: bare JSON (``nojsoncallback=1``) is labelled as JSON, JSONP as JavaScript.
JSON_TYPE: Final = "application/json; charset=utf-8"
PHP_TYPE: Final = "text/plain; charset=utf-8"
XML_DECL: Final = '<?xml version="1.0" encoding="utf-8" ?>\n'
FORMATS: Final = frozenset({"rest", "json", "php_serial"})

#: Code points outside XML 1.0's ``Char`` production, dropped from every value written to XML.
_NOT_XML = {
    c: None for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000))
} | {0xFFFE: None, 0xFFFF: None}
_TEXT = {**_NOT_XML, ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
# Newlines and tabs in attributes are written as character references: a parser would
# otherwise normalise them to spaces and a title would not round-trip.
_ATTR = {**_TEXT, ord('"'): "&quot;", ord("\n"): "&#10;", ord("\r"): "&#13;", ord("\t"): "&#9;"}
_CALLBACK_JUNK = re.compile(r"[^A-Za-z0-9_$.]")
# The ASCII names XML allows, without the colon (a prefix would need a namespace declaration).
_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
#: JSON string literal of a str (the C encoder behind ``json.dumps(..., ensure_ascii=False)``).
_jstr: Callable[[str], str] = json.encoder.encode_basestring

Attrs = Mapping[str, "str | int"]


def is_xml_name(name: str) -> bool:
    """Whether ``name`` can be a tag that every XML parser reads (``a<b``, ``1x``, ``a b``,
    ``a:b`` and ``""`` cannot).

    Beyond ASCII the rule is expat's (so ElementTree's): XML 1.0's 4th edition name
    characters, narrower than the 5th edition's that other parsers (libxml2) accept, so a name
    it passes is read everywhere. expat itself is asked, as nothing else carries its tables.
    """
    if name.isascii():
        return _ASCII_NAME.fullmatch(name) is not None
    if ":" in name:
        return False
    seen: list[str] = []
    parser = expat.ParserCreate("utf-8")
    parser.StartElementHandler = lambda tag, attrs: seen.append(tag) if not attrs else None
    try:
        parser.Parse(f"<{name}/>".encode(), True)
    except (expat.ExpatError, UnicodeEncodeError):  # not a name, or a lone surrogate
        return False
    return seen == [name]


def esc_text(text: str) -> str:
    return text.translate(_TEXT)


def esc_attr(text: str) -> str:
    return text.translate(_ATTR)


def attrs_xml(attrs: Attrs) -> str:
    return "".join(f' {k}="{esc_attr(str(v))}"' for k, v in attrs.items())


class Node:
    """One XML element: attributes, optional text, child elements.

    ``text=None`` means no text at all; ``text=""`` is an empty text element (Flickr writes
    ``<description />`` and ``{"_content": ""}`` for it).
    """

    __slots__ = ("arrays", "attrs", "children", "tag", "text")

    def __init__(
        self,
        tag: str,
        attrs: Attrs | None = None,
        text: str | None = None,
        children: list[Node | Raw] | None = None,
        arrays: frozenset[str] = frozenset(),
    ) -> None:
        self.tag = tag
        self.attrs: Attrs = attrs or {}
        self.text = text
        self.children: list[Node | Raw] = children if children is not None else []
        self.arrays = arrays

    def add(self, child: Node | Raw) -> Node | Raw:
        self.children.append(child)
        return child

    def xml(self, indent: str) -> str:
        head = f"<{self.tag}{attrs_xml(self.attrs)}"
        if self.children:
            inner = indent + "\t"
            body = "".join(f"\n{inner}{c.xml(inner)}" for c in self.children)
            text = esc_text(self.text) if self.text else ""
            return f"{head}>{text}{body}\n{indent}</{self.tag}>"
        if self.text:
            return f"{head}>{esc_text(self.text)}</{self.tag}>"
        return f"{head} />"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.attrs)
        if self.text is not None:
            out["_content"] = self.text
        _merge_children(out, self.children, self.arrays)
        return out

    def json_text(self) -> str:
        """``json.dumps(self.json())`` (compact), written directly."""
        parts = [f"{_jstr(k)}:{_jvalue(v)}" for k, v in self.attrs.items()]
        if self.text is not None:
            parts.append(f'"_content":{_jstr(self.text)}')
        parts.extend(_children_json_text(self.children, self.arrays))
        return "{" + ",".join(parts) + "}"


class Raw:
    """A pre-rendered element (a photo in a list): its XML text and JSON object, built once
    and cached on the photo; its JSON text is made on first use and kept."""

    __slots__ = ("_json", "_json_text", "_xml", "tag")

    def __init__(self, tag: str, xml: str, json_obj: dict[str, Any]) -> None:
        self.tag = tag
        self._xml = xml
        self._json = json_obj
        self._json_text: str | None = None

    def xml(self, indent: str) -> str:
        return self._xml

    def json(self) -> dict[str, Any]:
        return self._json

    def json_text(self) -> str:
        if self._json_text is None:
            self._json_text = json.dumps(self._json, separators=(",", ":"), ensure_ascii=False)
        return self._json_text


def _jvalue(value: str | int) -> str:
    return str(value) if isinstance(value, int) else _jstr(value)


def _children_json_text(children: list[Node | Raw], arrays: frozenset[str]) -> list[str]:
    groups: dict[str, list[str]] = {}
    for child in children:
        groups.setdefault(child.tag, []).append(child.json_text())
    for tag in arrays:
        groups.setdefault(tag, [])
    return [
        f"{_jstr(tag)}:[{','.join(items)}]"
        if tag in arrays or len(items) > 1
        else f"{_jstr(tag)}:{items[0]}"
        for tag, items in groups.items()
    ]


def _merge_children(
    out: dict[str, Any], children: list[Node | Raw], arrays: frozenset[str]
) -> None:
    counts: dict[str, int] = {}
    for child in children:
        counts[child.tag] = counts.get(child.tag, 0) + 1
    for child in children:
        tag = child.tag
        if tag in arrays or counts[tag] > 1:
            out.setdefault(tag, []).append(child.json())
        else:
            out[tag] = child.json()
    for tag in arrays:
        out.setdefault(tag, [])  # an empty list is still a list: ``"photo": []``


def to_json(payload: list[Node | Raw]) -> dict[str, Any]:
    """The JSON object for a successful payload (``stat`` last, as Flickr writes it)."""
    out: dict[str, Any] = {}
    _merge_children(out, payload, frozenset())
    out["stat"] = "ok"
    return out


def ok_json_text(payload: list[Node | Raw]) -> str:
    """``json.dumps(to_json(payload))`` without building the objects: cached photos are
    spliced in as text."""
    return (
        "{"
        + "".join(f"{part}," for part in _children_json_text(payload, frozenset()))
        + '"stat":"ok"}'
    )


def ok_xml(payload: list[Node | Raw]) -> bytes:
    body = "".join(f"\n\t{el.xml(chr(9))}" for el in payload)
    return f'{XML_DECL}<rsp stat="ok">{body}\n</rsp>\n'.encode()


def fail_xml(code: int, msg: str) -> bytes:
    # Layout of a live failure (flickr.md §3.1): tab indent, space before "/>", final newline.
    return f'{XML_DECL}<rsp stat="fail">\n\t<err code="{code}" msg="{esc_attr(msg)}" />\n</rsp>\n'.encode()


def fail_json(code: int, msg: str) -> dict[str, Any]:
    return {"stat": "fail", "code": code, "message": msg}


def fail_json_text(code: int, msg: str) -> str:
    return json.dumps(fail_json(code, msg), separators=(",", ":"), ensure_ascii=False)


def json_body(text: str, params: Mapping[str, str]) -> tuple[bytes, str]:
    """JSON ``text`` with Flickr's wrapper: ``jsonFlickrApi(...)`` by default, the caller's
    ``jsoncallback`` name, or bare with ``nojsoncallback=1``."""
    if params.get("nojsoncallback") == "1":
        return text.encode(), JSON_TYPE
    # The callback name is written into JavaScript: keep only identifier characters so that a
    # crafted name cannot inject script (the seed shows no trailing semicolon; neither do we).
    name = _CALLBACK_JUNK.sub("", params.get("jsoncallback", "")) or "jsonFlickrApi"
    return f"{name}({text})".encode(), JSONP_TYPE


def php_serialize(value: Any) -> str:
    """PHP ``serialize()`` of a JSON-shaped value (``format=php_serial``). Lengths are in
    UTF-8 bytes, as PHP counts them."""
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    if isinstance(value, list):
        value = dict(enumerate(value))
    if isinstance(value, dict):
        items = "".join(php_serialize(k) + php_serialize(v) for k, v in value.items())
        return f"a:{len(value)}:{{{items}}}"
    return "N;"
