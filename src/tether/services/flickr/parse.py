"""Turning Flickr's answers into Python: hardened ElementTree, XMLNode, JSON.

Invariants:
- XML is parsed by ``tether.core.xml``: DTDs, entity declarations (billion laughs, quadratic
  blowup) and external entities are refused, so a hostile or compromised endpoint cannot
  exhaust memory or read local files. Any parse failure is a ``FlickrProtocolError`` naming
  the call.
- Nesting is bounded in every parsed format (``MAX_DEPTH``, 512 levels): ``tether.core.xml``
  refuses deeper trees and ``tether.core.jsonparse`` deeper JSON, so no answer ends in
  ``RecursionError``; ``XMLNode`` is built without recursion all the same.
- ``stat="fail"`` becomes the ``FlickrError`` subclass for its code; unparsed formats are never
  checked (the seed's promise).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from tether.core import jsonparse
from tether.core import xml as hardened
from tether.services.flickr.errors import FlickrProtocolError, error_for

_XML_ERR = re.compile(rb'<err\s+code="(\d+)"')
_JSON_ERR = re.compile(
    rb'"stat"\s*:\s*"fail"[^}]*"code"\s*:\s*"?(\d+)|"code"\s*:\s*"?(\d+)"?[^}]*"stat"\s*:\s*"fail"'
)
_JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\((.*)\)\s*;?\s*$", re.S)


def error_code(body: bytes) -> int | None:
    """The error code of a failed answer (XML or JSON), without a full parse."""
    m = _XML_ERR.search(body[:4096])
    if m:
        return int(m.group(1))
    m = _JSON_ERR.search(body[:4096])
    if m:
        return int(m.group(1) or m.group(2))
    return None


class FlickrElement(ET.Element):
    """An ElementTree element with what the seed's examples use beyond today's ElementTree:
    ``getiterator(tag)`` and ``getchildren()`` (removed in Python 3.9; "to list all title
    elements, you only need to do ``sets.getiterator('title')``", flickrapi#129), and children
    by tag name as lists, as the seed's table navigates them: ``set0.title[0].text``.

    Invariants: every name an ``Element`` has (``tag``, ``text``, ``attrib``, ``find`` …)
    means what it means on an ``Element``; a child tag only answers when no attribute of that
    name exists, and a name with no such child (or starting with ``_``) is an
    ``AttributeError``, so typos and ``hasattr`` behave as usual.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> list[ET.Element]:
        # Only reached when normal lookup failed: Element's own attributes always win.
        if not name.startswith("_"):
            children = self.findall(name)
            if children:
                return children
        raise AttributeError(f"<{self.tag}> has no attribute or child element {name!r}")

    def getiterator(self, tag: str | None = None) -> list[ET.Element]:
        """Every element of this subtree (this one included) named ``tag`` (all if ``None``),
        in document order."""
        return list(self.iter(tag))

    def getchildren(self) -> list[ET.Element]:
        """The direct children, in order."""
        return list(self)


def parse_etree(body: bytes, method: str) -> ET.Element:
    """The ``<rsp>`` root element (``FlickrElement``s throughout); raises for ``stat="fail"``
    and for malformed XML."""
    try:
        root = hardened.fromstring(body, FlickrElement)
    except hardened.HostileXML as e:
        raise FlickrProtocolError(f"{method}: {e}") from None
    except hardened.MalformedXML as e:
        raise FlickrProtocolError(
            f"{method}: the answer is {e}; {len(body)} bytes starting {body[:60]!r}"
        ) from None
    if root.tag != "rsp":
        raise FlickrProtocolError(f"{method}: expected an <rsp> answer, got <{root.tag}>")
    if root.get("stat") != "ok":
        err = root.find("err")
        if err is None:
            raise FlickrProtocolError(f"{method}: stat={root.get('stat')!r} without <err>")
        try:
            code = int(err.get("code", ""))
        except ValueError:
            raise FlickrProtocolError(f"{method}: error without a numeric code") from None
        raise error_for(code, err.get("msg", ""), method)
    return root


def parse_json(body: bytes, method: str) -> dict[str, Any]:
    """The decoded object, JSONP wrapper (``jsonFlickrApi(...)``) removed; raises on fail."""
    text = body.decode("utf-8", errors="replace")
    m = _JSONP.match(text)
    if m:
        text = m.group(1)
    try:
        data = jsonparse.loads(text, method)
    except jsonparse.NestingTooDeep as e:
        raise FlickrProtocolError(str(e)) from None
    except ValueError as e:
        raise FlickrProtocolError(f"{method}: the answer is not JSON ({e})") from None
    if not isinstance(data, dict):
        raise FlickrProtocolError(f"{method}: expected a JSON object, got {type(data).__name__}")
    if data.get("stat") != "ok":
        try:
            code = int(data.get("code", -1))
        except (TypeError, ValueError):
            code = -1
        raise error_for(code, str(data.get("message", "")), method)
    return data


class XMLNode:
    """The seed's XMLNode: attributes by item access, children by attribute (always lists).

    ``node['id']``, ``node.photoset[0]``, ``node.text``, ``node.name`` (the element's name).
    Unlike FlickrAPI's, repeated children are all kept whatever their names; a child whose
    name collides with ``name``/``text``/``attrib``/``xml`` is reachable as ``node.children('name')``.
    """

    __slots__ = ("_children", "attrib", "name", "text", "xml")

    def __init__(self, name: str, attrib: dict[str, str], text: str) -> None:
        self.name = name
        self.attrib = attrib
        self.text = text
        self.xml: str | None = None
        self._children: dict[str, list[XMLNode]] = {}

    @classmethod
    def from_element(cls, el: ET.Element) -> XMLNode:
        root = cls(el.tag, dict(el.attrib), el.text or "")
        # Iterative (a work list), so no depth of tree can exhaust the stack.
        pending = [(root, el)]
        while pending:
            node, element = pending.pop()
            for child in element:
                child_node = cls(child.tag, dict(child.attrib), child.text or "")
                node._children.setdefault(child.tag, []).append(child_node)
                pending.append((child_node, child))
        return root

    def children(self, name: str) -> list[XMLNode]:
        return self._children.get(name, [])

    def __getattr__(self, name: str) -> list[XMLNode]:
        try:
            return self._children[name]
        except KeyError:
            raise AttributeError(f"<{self.name}> has no child <{name}>") from None

    def __getitem__(self, key: str) -> str:
        return self.attrib[key]

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrib.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.attrib

    def __repr__(self) -> str:
        return f"<XMLNode {self.name} {self.attrib!r} children={list(self._children)}>"


def parse_xmlnode(body: bytes, method: str) -> XMLNode:
    node = XMLNode.from_element(parse_etree(body, method))
    node.xml = body.decode("utf-8", errors="replace")
    return node


def parse_form(body: bytes) -> dict[str, str]:
    """OAuth endpoints answer ``a=1&b=2`` text."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
