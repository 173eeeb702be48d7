"""The whole database as plain values, to prove that a refused request changed nothing, and to
compare what two requests did."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

# Written by every request or login whatever it asks for: not the data a request may change.
IGNORED = {"sessions.session", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
# Drawn at random or from the clock when a row is written (a password hash has a random salt):
# two runs of the same request differ there and nowhere else.
RANDOM_FIELDS = {
    "token",
    "offer_token",
    "order_id",
    "trans_id",
    "trans_date",
    "trans_date_day",
    "password",
    "request_id",
}
# Two runs of one request, a few seconds apart, write clock values this close to each other.
CLOCK_TOLERANCE = datetime.timedelta(minutes=2)

Rows = dict[Any, dict[str, Any]]
State = dict[str, Rows]


def _models() -> Iterable[type[models.Model]]:
    for model in apps.get_models():
        if model._meta.label_lower not in IGNORED and not model._meta.proxy:
            yield model


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def db_state() -> State:
    """Every row of every table, {model label: {pk: {column: value}}}."""
    state: State = {}
    for model in _models():
        columns = _columns(model)
        pk = model._meta.pk
        assert pk is not None
        state[model._meta.label_lower] = {
            row[pk.attname]: row for row in model._base_manager.values(*columns)
        }
    return state


@dataclass
class Change:
    """What a request did to the database: rows added, removed, and changed column by column."""

    added: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    removed: dict[str, list[Any]] = field(default_factory=dict)
    changed: dict[str, dict[Any, dict[str, tuple[Any, Any]]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def __str__(self) -> str:
        lines = []
        for label, rows in self.added.items():
            lines += [f"+ {label} {row}" for row in rows]
        for label, pks in self.removed.items():
            lines += [f"- {label} pk={pk}" for pk in pks]
        for label, changes in self.changed.items():
            lines += [f"~ {label} pk={pk} {columns}" for pk, columns in changes.items()]
        return "\n".join(lines) or "no change"


def changes(before: State, after: State) -> Change:
    change = Change()
    for label, rows in after.items():
        old = before.get(label, {})
        added = [row for pk, row in rows.items() if pk not in old]
        removed = [pk for pk in old if pk not in rows]
        changed = {}
        for pk, row in rows.items():
            if pk in old and old[pk] != row:
                changed[pk] = {
                    column: (old[pk][column], value)
                    for column, value in row.items()
                    if old[pk][column] != value
                }
        if added:
            change.added[label] = added
        if removed:
            change.removed[label] = removed
        if changed:
            change.changed[label] = changed
    return change


def _field(label: str, column: str) -> models.Field[Any, Any]:
    model = apps.get_model(label)
    return next(f for f in model._meta.concrete_fields if f.attname == column)


def _same_value(label: str, column: str, a: Any, b: Any, new_ids: set[str]) -> bool:
    f = _field(label, column)
    if column in RANDOM_FIELDS or isinstance(f, models.FileField):
        return True  # Drawn at random (a stored file's name holds a random part too).
    if f.is_relation and f.related_model and f.related_model._meta.label_lower in new_ids:
        return True  # A row this request added: its id differs run to run.
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        return abs(a - b) <= CLOCK_TOLERANCE
    return bool(a == b)


def _new_row(label: str, row: dict[str, Any]) -> dict[str, Any]:
    """A new row without its id, which differs run to run."""
    pk = apps.get_model(label)._meta.pk
    assert pk is not None
    return {column: value for column, value in row.items() if column != pk.attname}


def _same_row(label: str, a: dict[str, Any], b: dict[str, Any], new_ids: set[str]) -> bool:
    return all(_same_value(label, column, value, b[column], new_ids) for column, value in a.items())


def same_effect(one: Change, other: Change) -> bool:
    """Whether two runs of a request, from the same starting data, did the same thing."""
    new_ids = set(one.added)
    if set(one.added) != set(other.added) or one.removed != other.removed:
        return False
    if set(one.changed) != set(other.changed):
        return False
    for label, rows in one.changed.items():
        if set(rows) != set(other.changed[label]):
            return False
        for pk, columns in rows.items():
            theirs = other.changed[label][pk]
            if set(columns) - RANDOM_FIELDS != set(theirs) - RANDOM_FIELDS:
                return False
            for column, (_old, new) in columns.items():
                if column in theirs and not _same_value(
                    label, column, new, theirs[column][1], new_ids
                ):
                    return False
    for label, rows in one.added.items():
        theirs = [_new_row(label, row) for row in other.added[label]]
        if len(rows) != len(theirs):
            return False
        for row in (_new_row(label, row) for row in rows):
            match = next((t for t in theirs if _same_row(label, row, t, new_ids)), None)
            if match is None:
                return False
            theirs.remove(match)
    return True
