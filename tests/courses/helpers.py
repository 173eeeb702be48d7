"""Helpers for the courses tests: lesson dates relative to today, tables as the page shows them."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.test.html import Element
from django.utils import timezone

from courses.models import Slot
from tests.html import find_all, page, text


def past_lesson(slot: Slot) -> datetime.date:
    """The last lesson date of the slot before today."""
    today = timezone.localdate()
    past = [day for day in slot.lesson_dates() if day < today]
    assert past, f"{slot.school_year} has no lesson before {today}"
    return past[-1]


def coming_lesson(slot: Slot) -> datetime.date:
    """The next lesson date of the slot, today or later."""
    today = timezone.localdate()
    coming = [day for day in slot.lesson_dates() if day >= today]
    assert coming, f"{slot.school_year} has no lesson from {today} on"
    return coming[0]


def not_a_lesson(slot: Slot) -> datetime.date:
    """A coming date of the school year on another weekday than the slot's."""
    return coming_lesson(slot) + datetime.timedelta(days=1)


def table_with(node: Element | HttpResponse, header: str) -> Element:
    """The one table of the page that has a column with this header."""
    if isinstance(node, HttpResponse):
        node = page(node)
    tables = [t for t in find_all(node, "table") if header in headers(t)]
    assert len(tables) == 1, f"expected one table with a column {header!r}, found {len(tables)}"
    return tables[0]


def headers(table: Element) -> list[str]:
    return [text(th) for th in find_all(table, "th")]


def rows(table: Element) -> list[dict[str, str]]:
    """The body rows of a table, each as {column header: cell text}."""
    names = headers(table)
    body = find_all(table, "tbody")
    assert len(body) == 1
    return [
        dict(zip(names, [text(td) for td in find_all(tr, "td")], strict=True))
        for tr in find_all(body[0], "tr")
    ]


def column(table: Element, header: str) -> list[str]:
    return [row[header] for row in rows(table)]


def facts(node: Element | HttpResponse) -> dict[str, str]:
    """The <dl class="facts"> of a page, as {term: definition}."""
    if isinstance(node, HttpResponse):
        node = page(node)
    [dl] = find_all(node, "dl", class_="facts")
    return {
        text(find_all(div, "dt")[0]): text(find_all(div, "dd")[0]) for div in find_all(dl, "div")
    }
