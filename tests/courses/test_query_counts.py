"""Each teacher page runs a fixed number of queries, however many pupils it shows (checked
with a small and a large case). The family pages are in tests/test_family_page_queries.py."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import Enrolment, Slot, Teacher
from tests.courses.helpers import past_lesson
from tests.factories import (
    AbsenceFactory,
    CourseFactory,
    EnrolmentFactory,
    SlotFactory,
)


def pupils(slot: Slot, count: int) -> list[Enrolment]:
    return [
        EnrolmentFactory(slot=slot, student__family__site=slot.course.site) for _ in range(count)
    ]


@pytest.mark.parametrize("count", [1, 10])
def test_the_teacher_week(
    durand_client: Client,
    durand: Teacher,
    slot: Slot,
    django_assert_num_queries,
    count: int,
) -> None:
    pupils(slot, count)
    other = SlotFactory(
        course=CourseFactory(site=slot.course.site),
        teacher=durand,
        school_year=slot.school_year,
        weekday=slot.weekday % 7 + 1,
    )
    pupils(other, count)

    # 1 session, 2 user with its site, 3 teacher, 4 the current school year, 5 the teacher's
    # slots with course and room, and their number of active pupils
    with django_assert_num_queries(5):
        response = durand_client.get("/enseignant/")

    assert response.status_code == 200
    assert f"{count} élève" in response.content.decode()


@pytest.mark.parametrize("count", [1, 10])
def test_the_roll(
    durand_client: Client,
    slot: Slot,
    django_assert_num_queries,
    count: int,
) -> None:
    roster = pupils(slot, count)
    day = past_lesson(slot)
    for enrolment in roster[::2]:
        AbsenceFactory(enrolment=enrolment, date=day, family_reason="maladie")

    # 1 session, 2 user with its site, 3 teacher, 4 the current school year, 5 the slot with
    # course, room and year, 6 the active pupils with their student, 7 the date's absences
    with django_assert_num_queries(7):
        response = durand_client.get(f"/enseignant/creneaux/{slot.pk}/", {"date": day.isoformat()})

    assert response.status_code == 200
    assert response.content.decode().count('class="roll-row"') == count
