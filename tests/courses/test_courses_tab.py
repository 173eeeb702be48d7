"""Cours: the current school year's lessons of one pupil, with the "Recherche" box."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from courses.models import Enrolment, Slot, Teacher, Weekday
from extranet.models import SchoolYear
from families.models import Family
from students.models import Student
from tests.courses.helpers import column, headers, rows, table_with
from tests.factories import CourseFactory, EnrolmentFactory, SlotFactory, StudentFactory
from tests.html import attr, find, find_all, label_of, page, text

COLUMNS = ["Cours", "Ha", "Enseignant", "Cycle", "Salle", "Jour", "Heure de passage", "Durée"]


def url(student: Student) -> str:
    return f"/eleves/{student.pk}/cours/"


def other_weekday(slot: Slot) -> int:
    return slot.weekday % 7 + 1


@pytest.fixture
def solfege(slot: Slot, petit: Teacher, alice_student: Student) -> Enrolment:
    """A second course of alice's daughter, with another teacher on another day."""
    fm = SlotFactory(
        course=CourseFactory(
            site=slot.course.site, department=slot.course.department, name="formation musicale 1.3"
        ),
        teacher=petit,
        room=slot.room,
        school_year=slot.school_year,
        weekday=other_weekday(slot),
        start_time=datetime.time(17, 0),
        duration=90,
    )
    return EnrolmentFactory(student=alice_student, slot=fm, cycle="Cycle 1")


def test_it_has_the_columns_of_the_legacy_portal(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    response = alice_client.get(url(alice_student))

    assert response.status_code == 200
    assert headers(table_with(response, "Ha")) == COLUMNS


def test_it_shows_a_row_per_course_with_passage_time_and_duration(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    slot = alice_enrolment.slot

    response = alice_client.get(url(alice_student))

    assert rows(table_with(response, "Ha")) == [
        {
            "Cours": "clarinette MOISSY",
            "Ha": "Oui",
            "Enseignant": str(slot.teacher),
            "Cycle": "Cycle 1",
            "Salle": "Salle 12",
            "Jour": slot.get_weekday_display(),
            "Heure de passage": "15:00",
            "Durée": "00:30",
        }
    ]
    assert str(slot.teacher) == "DURAND Marie (Moissy)"


def test_without_a_passage_time_it_shows_the_slot_time_and_duration(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    alice_enrolment.passage_time = None
    alice_enrolment.passage_duration = None
    alice_enrolment.horaires_amenages = False
    alice_enrolment.save()

    response = alice_client.get(url(alice_student))

    [row] = rows(table_with(response, "Ha"))
    assert (row["Heure de passage"], row["Durée"], row["Ha"]) == ("14:30", "01:00", "Non")


def test_each_course_links_to_its_follow_up(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment, solfege: Enrolment
) -> None:
    response = alice_client.get(url(alice_student))

    links = find_all(table_with(response, "Ha"), "a")
    assert [(text(a), attr(a, "href")) for a in links] == [
        ("clarinette MOISSY", f"/eleves/{alice_student.pk}/cours/{alice_enrolment.pk}/"),
        ("formation musicale 1.3", f"/eleves/{alice_student.pk}/cours/{solfege.pk}/"),
    ]


def test_it_shows_only_the_current_school_year(
    alice_client: Client,
    alice_student: Student,
    alice_enrolment: Enrolment,
    last_year: SchoolYear,
    two_years_ago: SchoolYear,
) -> None:
    for year, name in [(last_year, "clarinette 2"), (two_years_ago, "clarinette 1")]:
        EnrolmentFactory(
            student=alice_student,
            slot__site=alice_student.family.site,
            slot__school_year=year,
            slot__course__name=name,
        )

    response = alice_client.get(url(alice_student))

    assert column(table_with(response, "Ha"), "Cours") == ["clarinette MOISSY"]
    title = text(find_all(page(response), "h2")[0])
    assert title == f"Cours {alice_enrolment.slot.school_year.label}"


def test_it_shows_only_this_childs_courses(
    alice_client: Client, alice: Family, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    brother = StudentFactory(family=alice, prenom="Keera")
    EnrolmentFactory(student=brother, slot=alice_enrolment.slot)
    EnrolmentFactory(student=brother, slot__site=alice.site, slot__course__name="HARPE")

    response = alice_client.get(url(alice_student))

    assert column(table_with(response, "Ha"), "Cours") == ["clarinette MOISSY"]


def test_a_pupil_without_courses_gets_a_sentence(
    alice_client: Client, alice_student: Student, current_year: SchoolYear
) -> None:
    response = alice_client.get(url(alice_student))

    assert find_all(page(response), "table") == []
    assert "Aucun cours attribué." in text(page(response))


def test_the_search_box_is_labelled_recherche(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    response = alice_client.get(url(alice_student))

    assert label_of(page(response), "q") == "Recherche"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("clarinette", ["clarinette MOISSY"]),
        ("musicale 1", ["formation musicale 1.3"]),
        ("durand", ["clarinette MOISSY"]),
        ("PETIT jean", ["formation musicale 1.3"]),
        ("", ["clarinette MOISSY", "formation musicale 1.3"]),
    ],
)
def test_the_search_filters_by_course_and_teacher(
    alice_client: Client,
    alice_student: Student,
    alice_enrolment: Enrolment,
    solfege: Enrolment,
    query: str,
    expected: list[str],
) -> None:
    response = alice_client.get(url(alice_student), {"q": query})

    assert column(table_with(response, "Ha"), "Cours") == expected
    assert attr(find(page(response), "input", name="q"), "value") == query


def test_the_search_filters_by_day(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment, solfege: Enrolment
) -> None:
    for enrolment in (alice_enrolment, solfege):
        day = Weekday(enrolment.slot.weekday).label

        response = alice_client.get(url(alice_student), {"q": str(day).lower()})

        assert column(table_with(response, "Ha"), "Cours") == [enrolment.slot.course.name]
        assert column(table_with(response, "Ha"), "Jour") == [str(day)]


def test_a_search_without_match_says_so(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    response = alice_client.get(url(alice_student), {"q": "violoncelle"})

    assert find_all(page(response), "table") == []
    assert "Aucun cours ne correspond à la recherche." in text(page(response))
