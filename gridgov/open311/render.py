"""JSON and XML answers shaped as the GeoReport v2 examples (``<services><service>…``, ``<errors><error>…``)."""

from __future__ import annotations

import json
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse

# a list under this element name holds elements of that name
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _fill(parent: Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(parent, key), item)
    elif isinstance(value, list):
        name = ITEMS.get(parent.tag, "item")
        for item in value:
            _fill(SubElement(parent, name), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = str(value)


def to_xml(root: str, data) -> bytes:
    element = Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="utf-8", xml_declaration=False)


def respond(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """``data`` as JSON, or as XML under the element ``root`` (whose list items are named by ITEMS)."""
    if fmt == "xml":
        body = to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))


def refused(request, status: int, messages: list[str]) -> HttpResponse:
    """The spec's error list for a request refused before any view, in the format its path names (.xml or JSON)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return respond(fmt, "errors", [{"code": status, "description": m} for m in messages], status=status)
