"""Test helper: the error messages a page shows next to a form control (inside the nearest ``.field`` around it),
read from the HTML with the standard library's parser."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Node:
    def __init__(self, tag: str, attrs: dict, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = _Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def field_errors(html: str, name: str) -> tuple[bool, list[str]]:
    """``(marked, messages)`` for the control named ``name``: whether its ``.field`` is marked ``has-error`` and
    the ``.error`` texts inside that field.  Raises when there is no such control."""
    tree = _Tree()
    tree.feed(html)
    control = next((n for n in tree.root.walk() if n.attrs.get("name") == name
                    and n.tag in ("input", "select", "textarea")), None)
    if control is None:
        raise AssertionError(f"no control named {name!r} on the page")
    field = control.parent
    while field is not None and "field" not in field.classes:
        field = field.parent
    if field is None:
        raise AssertionError(f"the control {name!r} is in no .field")
    messages = [n.all_text().strip() for n in field.walk() if "error" in n.classes]
    return "has-error" in field.classes, messages
