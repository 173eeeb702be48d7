"""Small helpers to read the pages the portal renders, on top of Django's own HTML parser."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.http import HttpResponse
from django.test.html import Element, parse_html

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page(response: HttpResponse) -> Element:
    return parse_html(response.content.decode())


def elements(node: Element) -> Iterator[Element]:
    for child in node.children:
        if isinstance(child, Element):
            yield child
            yield from elements(child)


def attr(node: Element, name: str) -> str | None:
    for key, value in node.attributes:
        if key == name:
            return value if value is not None else ""
    return None


def find_all(node: Element, tag: str | None = None, **attrs: str) -> list[Element]:
    """Elements with this tag and these attribute values (class_ for class)."""
    wanted = {key.rstrip("_"): value for key, value in attrs.items()}
    return [
        element
        for element in elements(node)
        if (tag is None or element.name == tag)
        and all(attr(element, key) == value for key, value in wanted.items())
    ]


def find(node: Element, tag: str | None = None, **attrs: str) -> Element:
    found = find_all(node, tag, **attrs)
    assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
    return found[0]


def text(node: Element | str) -> str:
    if isinstance(node, str):
        return node
    return " ".join(" ".join(text(child) for child in node.children).split())


def label_of(node: Element, field_id: str) -> str:
    """The visible text of the label of a field, without the required asterisk."""
    return text(find(node, "label", for_=field_id)).rstrip("*").strip()


def error_of(node: Element, field_id: str) -> str:
    """The error crispy-forms shows right under a field ("" when there is none)."""
    pattern = re.compile(rf"error_\d+_{re.escape(field_id)}")
    return " ".join(
        text(element) for element in elements(node) if pattern.fullmatch(attr(element, "id") or "")
    )


def messages_of(node: Element) -> list[str]:
    return [
        text(element)
        for element in find_all(node, "p")
        if "message" in (attr(element, "class") or "").split()
    ]


def without_csrf(response: HttpResponse) -> str:
    """The page, without the per-request CSRF token, to compare two answers."""
    return _CSRF.sub("", response.content.decode())
