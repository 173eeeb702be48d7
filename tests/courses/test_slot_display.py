"""Slot.get_weekday_display: the portal's own lookup gives what Django's generated method gives."""

from __future__ import annotations

import pytest
from django.utils import translation

from courses.models import Slot, Weekday


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("weekday", [*Weekday.values, 0, 9])
def test_weekday_display_matches_djangos(language: str, weekday: int) -> None:
    slot = Slot(weekday=weekday)
    field = Slot._meta.get_field("weekday")
    with translation.override(language):
        ours = slot.get_weekday_display()
        djangos = slot._get_FIELD_display(field)
    assert ours == djangos
    assert type(ours) is type(djangos)


def test_weekday_display_is_translated() -> None:
    slot = Slot(weekday=Weekday.values[0])
    with translation.override("fr"):
        french = slot.get_weekday_display()
    with translation.override("en"):
        english = slot.get_weekday_display()
    assert french != english
