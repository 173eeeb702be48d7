"""Each page runs a fixed number of queries, however many children, courses, pupils or marks
it shows (checked with a small and a large case)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from courses.models import CalendarFeed, Enrolment, Slot, Teacher
from extranet.models import SchoolYear
from families.models import Family
from students.models import Student
from tests.courses.helpers import past_lesson, rows, table_with
from tests.factories import (
    AbsenceFactory,
    CourseFactory,
    EnrolmentFactory,
    EvaluationFactory,
    SlotFactory,
    StudentFactory,
)


def more_courses(student: Student, year: SchoolYear, count: int) -> list[Enrolment]:
    return [
        EnrolmentFactory(
            student=student,
            slot__site=student.family.site,
            slot__school_year=year,
            slot__course__name=f"cours {n:02d}",
        )
        for n in range(count)
    ]


def absences(enrolment: Enrolment, count: int) -> None:
    day = past_lesson(enrolment.slot)
    for week in range(count):
        AbsenceFactory(enrolment=enrolment, date=day - datetime.timedelta(weeks=week))


@pytest.mark.parametrize(("children", "courses", "marks"), [(1, 1, 1), (5, 5, 30)])
def test_the_cours_tab(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    alice_enrolment: Enrolment,
    django_assert_num_queries,
    children: int,
    courses: int,
    marks: int,
) -> None:
    StudentFactory.create_batch(children - 1, family=alice)
    more_courses(alice_student, alice_enrolment.slot.school_year, courses - 1)
    EvaluationFactory.create_batch(marks, enrolment=alice_enrolment)
    CalendarFeed.objects.create(student=alice_student)

    # 1 session, 2 user with its site, 3 the family's children, 4 the current school year,
    # 5 the year's enrolments with course, department, teacher, room and year, 6 calendar feed
    with django_assert_num_queries(6):
        response = alice_client.get(f"/eleves/{alice_student.pk}/cours/")

    assert len(rows(table_with(response, "Ha"))) == courses


@pytest.mark.parametrize("marks", [1, 30])
def test_the_suivi(
    alice_client: Client,
    alice_enrolment: Enrolment,
    django_assert_num_queries,
    marks: int,
) -> None:
    EvaluationFactory.create_batch(marks, enrolment=alice_enrolment)
    absences(alice_enrolment, 1 if marks == 1 else 6)

    # 1 session, 2 user with its site, 3 the family's children, 4 the enrolment with course,
    # department, teacher, room and year, 5 the current school year, 6 evaluations, 7 absences
    with django_assert_num_queries(7):
        response = alice_client.get(
            f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/"
        )

    assert len(rows(table_with(response, "Type d'évaluation"))) == marks


@pytest.mark.parametrize(("courses", "marks"), [(1, 1), (5, 30)])
def test_the_historique(
    alice_client: Client,
    alice_student: Student,
    alice_enrolment: Enrolment,
    last_year: SchoolYear,
    django_assert_num_queries,
    courses: int,
    marks: int,
) -> None:
    past = more_courses(alice_student, last_year, courses)
    EvaluationFactory.create_batch(marks, enrolment=past[0])

    # 1 session, 2 user with its site, 3 the family's children, 4 the current school year,
    # 5 the earlier years' enrolments with course, department, teacher, room and year
    with django_assert_num_queries(5):
        response = alice_client.get(f"/eleves/{alice_student.pk}/historique/")

    assert len(rows(table_with(response, "Classe"))) == courses


@pytest.mark.parametrize("marks", [1, 30])
def test_the_historique_suivi(
    alice_client: Client,
    alice_student: Student,
    last_year: SchoolYear,
    current_year: SchoolYear,
    django_assert_num_queries,
    marks: int,
) -> None:
    [past] = more_courses(alice_student, last_year, 1)
    EvaluationFactory.create_batch(marks, enrolment=past)

    # 1 session, 2 user with its site, 3 the family's children, 4 the enrolment with course,
    # department, teacher, room and year, 5 the current school year, 6 evaluations, 7 absences
    with django_assert_num_queries(7):
        response = alice_client.get(f"/eleves/{alice_student.pk}/historique/{past.pk}/")

    assert len(rows(table_with(response, "Type d'évaluation"))) == marks


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


@pytest.mark.parametrize("children", [1, 5])
def test_the_family_timetable(
    alice_client: Client,
    alice: Family,
    alice_enrolment: Enrolment,
    django_assert_num_queries,
    children: int,
) -> None:
    for student in StudentFactory.create_batch(children - 1, family=alice):
        more_courses(student, alice_enrolment.slot.school_year, 2)

    # 1 session, 2 user with its site, 3 the family's children, 4 the current school year,
    # 5 the children's active enrolments with student, course, teacher and room
    with django_assert_num_queries(5):
        response = alice_client.get("/famille/emploi-du-temps/")

    assert response.content.decode().count("<tr><td") == 1 + 2 * (children - 1)
