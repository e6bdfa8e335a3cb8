"""Hardened XML parsing for every service that answers in XML (Flickr today, Ipernity next).

``fromstring(body)`` gives an ElementTree root, or raises ``HostileXML`` (``XMLTooDeep`` among
them) / ``MalformedXML``.

Invariants:
- No DTD is ever accepted, so no entity is ever declared: no billion laughs, no quadratic
  blowup, no external entity reading a local file or a URL. A document that holds
  ``<!DOCTYPE`` goes to defusedxml with ``forbid_dtd=True``, which refuses it.
- Everything else goes to the stdlib's C parser, about three times faster than defusedxml's
  (which has to use the pure-Python parser to install its handlers). That is safe because
  the C parser is told the input is UTF-8, which overrides any encoding the document
  declares (so an ``encoding="cp500"`` switch to EBCDIC fails to parse), and in UTF-8 the
  only spelling of a document type declaration is the bytes ``<!DOCTYPE``; a document
  without one can declare no entity, and an undeclared entity is a parse error.
- Expat still detects UTF-16/UTF-32 from the first bytes despite that override, so a body
  holding a NUL byte (which every UTF-16/32 XML document does: ``<`` is ``3C 00``) is not
  taken by the fast path either; it goes to defusedxml, which sees a DTD in any encoding.
  Every API we talk to answers in UTF-8, where NUL is not allowed in XML at all.
- No tree deeper than ``MAX_DEPTH`` (512) elements is returned: code that walks it recursively
  (``XMLNode``, ``ET.tostring``, a user's printer) could otherwise end in ``RecursionError``.
  expat and the C ``TreeBuilder`` build any depth without recursing, so the depth is checked on
  the tree, and only when it could be too deep: a level takes seven bytes (``<a>``, ``</a>``),
  and every element but the innermost of a chain has children, so an end tag ``</`` (only a
  comment or CDATA can hold more ``</``, which only makes the bound looser). A short body, or
  one with fewer ``</`` than the limit, is never walked. The walk goes level by level (a list
  per level, no recursion), one step per element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from tether.core.errors import TetherError
from tether.core.jsonparse import MAX_DEPTH, NestingTooDeep

__all__ = ["MAX_DEPTH", "HostileXML", "MalformedXML", "XMLTooDeep", "fromstring"]


class HostileXML(TetherError):
    """The XML holds a DTD (entities, external references): refused unread."""


class MalformedXML(TetherError):
    """The answer is not well-formed UTF-8 XML."""


class XMLTooDeep(HostileXML, NestingTooDeep):
    """Elements nested deeper than the limit: refused (no API answer nests that deep)."""


def fromstring(
    body: bytes, element_factory: type[ET.Element] | None = None, *, max_depth: int = MAX_DEPTH
) -> ET.Element:
    """The root element of ``body``.

    Args:
        body: the document.
        element_factory: an ``Element`` subclass to build the tree from (a service may give
            its elements methods its users were promised).
        max_depth: deepest nesting of elements accepted (the root is level 1).

    Raises:
        HostileXML: the document has a DTD.
        XMLTooDeep: elements nest deeper than ``max_depth`` (also a ``HostileXML``).
        MalformedXML: it is not well-formed (the message has the parser's reason and place).
    """
    root = _parse(body, element_factory)
    # UTF-16/32 bodies (they hold NUL) spell "</" with NULs between: count "<" for them.
    end_tag = b"<" if b"\x00" in body else b"</"
    if len(body) > 7 * max_depth and body.count(end_tag) >= max_depth:
        _check_depth(root, max_depth)
    return root


def _check_depth(root: ET.Element, max_depth: int) -> None:
    level = [root]
    for _ in range(max_depth):
        level = [child for element in level for child in element]
        if not level:
            return
    raise XMLTooDeep(
        f"refused an XML document whose elements nest deeper than {max_depth} levels (no real "
        "API answer nests that deep: check the endpoint URL and any proxy in between)"
    )


def _parse(body: bytes, element_factory: type[ET.Element] | None) -> ET.Element:
    target = ET.TreeBuilder(element_factory=element_factory)
    try:
        if b"<!DOCTYPE" in body or b"\x00" in body:
            slow = DefusedXMLParser(target=target, forbid_dtd=True)
            slow.feed(body)
            root: ET.Element = slow.close()
            return root
        parser = ET.XMLParser(target=target, encoding="utf-8")
        parser.feed(body)
        root = parser.close()
        return root
    except DefusedXmlException as e:
        raise HostileXML(
            f"refused a hostile XML document ({type(e).__name__}): DTDs and entities are not "
            "allowed"
        ) from None
    except ET.ParseError as e:
        raise MalformedXML(f"not well-formed XML ({e})") from None
