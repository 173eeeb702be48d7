"""Historique: the courses of previous years, each with its Suivi, read-only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from courses import services
from courses.models import Absence, Course, Enrolment, Evaluation, Teacher
from extranet.models import SchoolYear
from students.models import Student
from tests.courses.helpers import coming_lesson, facts, headers, rows, table_with
from tests.factories import EnrolmentFactory, EvaluationFactory, SlotFactory
from tests.html import attr, find_all, page, text


def url(student: Student) -> str:
    return f"/eleves/{student.pk}/historique/"


def follow_up_url(enrolment: Enrolment) -> str:
    return f"/eleves/{enrolment.student_id}/historique/{enrolment.pk}/"


def enrol(
    student: Student, year: SchoolYear, course: Course, teacher: Teacher, **kwargs
) -> Enrolment:
    slot = SlotFactory(course=course, teacher=teacher, room=None, school_year=year)
    return EnrolmentFactory(student=student, slot=slot, **kwargs)


@pytest.fixture
def last_years_clarinet(
    alice_student: Student, last_year: SchoolYear, clarinet: Course, durand: Teacher
) -> Enrolment:
    return enrol(
        alice_student,
        last_year,
        clarinet,
        durand,
        cycle="Cycle 1",
        moyenne=Decimal("4.20"),
        mention="Bien",
        resultat="Admis",
        admission="Cycle 1, 2e année",
    )


@pytest.fixture
def first_years_clarinet(
    alice_student: Student, two_years_ago: SchoolYear, clarinet: Course, petit: Teacher
) -> Enrolment:
    return enrol(alice_student, two_years_ago, clarinet, petit, cycle="Éveil")


def test_it_lists_previous_years_only_newest_first(
    alice_client: Client,
    alice_student: Student,
    alice_enrolment: Enrolment,
    last_years_clarinet: Enrolment,
    first_years_clarinet: Enrolment,
) -> None:
    response = alice_client.get(url(alice_student))

    assert response.status_code == 200
    table = table_with(response, "Classe")
    assert headers(table) == ["Année", "Département", "Classe", "Cycle", "Enseignant"]
    assert rows(table) == [
        {
            "Année": last_years_clarinet.slot.school_year.label,
            "Département": "Musique",
            "Classe": "clarinette MOISSY",
            "Cycle": "Cycle 1",
            "Enseignant": "DURAND Marie (Moissy)",
        },
        {
            "Année": first_years_clarinet.slot.school_year.label,
            "Département": "Musique",
            "Classe": "clarinette MOISSY",
            "Cycle": "Éveil",
            "Enseignant": "PETIT Jean",
        },
    ]
    assert alice_enrolment.slot.school_year.label not in text(page(response))


def test_each_row_links_to_its_follow_up(
    alice_client: Client,
    alice_student: Student,
    last_years_clarinet: Enrolment,
    first_years_clarinet: Enrolment,
) -> None:
    response = alice_client.get(url(alice_student))

    links = find_all(table_with(response, "Classe"), "a")
    assert [attr(a, "href") for a in links] == [
        follow_up_url(last_years_clarinet),
        follow_up_url(first_years_clarinet),
    ]


def test_the_search_filters_the_history_by_year(
    alice_client: Client,
    alice_student: Student,
    last_years_clarinet: Enrolment,
    first_years_clarinet: Enrolment,
) -> None:
    label = first_years_clarinet.slot.school_year.label

    response = alice_client.get(url(alice_student), {"q": label})

    assert [row["Année"] for row in rows(table_with(response, "Classe"))] == [label]


def test_a_pupil_without_history_gets_a_sentence(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    response = alice_client.get(url(alice_student))

    assert find_all(page(response), "table") == []
    assert "Pas encore d'historique" in text(page(response))


def test_a_past_follow_up_shows_the_years_results_and_evaluations(
    alice_client: Client, last_years_clarinet: Enrolment
) -> None:
    EvaluationFactory(
        enrolment=last_years_clarinet,
        date=last_years_clarinet.slot.school_year.start_date + datetime.timedelta(days=90),
        note=Decimal("3.75"),
        appreciation="Des progrès constants.",
    )

    response = alice_client.get(follow_up_url(last_years_clarinet))

    assert response.status_code == 200
    shown = facts(response)
    assert (shown["Moyenne"], shown["Mention"], shown["Résultat"], shown["Admission"]) == (
        "4,20 / 5,00",
        "Bien",
        "Admis",
        "Cycle 1, 2e année",
    )
    [evaluation] = rows(table_with(response, "Type d'évaluation"))
    assert evaluation["Note"] == "3,75/5,00"
    assert "Des progrès constants." in evaluation["Appréciation"]
    assert "Année précédente : consultation seulement." in text(page(response))


def test_a_past_follow_up_has_no_declaration_form(
    alice_client: Client, last_years_clarinet: Enrolment
) -> None:
    response = alice_client.get(follow_up_url(last_years_clarinet))

    content = page(response)
    assert find_all(content, "form", method="post", novalidate="") == []
    assert find_all(content, "select", name="date") == []
    assert find_all(content, "section", **{"aria-labelledby": "signaler"}) == []
    [back] = [a for a in find_all(content, "a") if text(a) == "Retour"]
    assert attr(back, "href") == url(last_years_clarinet.student)


@pytest.mark.parametrize("kind", ["historique", "cours"])
def test_a_forged_post_to_a_past_follow_up_is_refused(
    alice_client: Client, last_years_clarinet: Enrolment, alice_enrolment: Enrolment, kind: str
) -> None:
    # A date that is a lesson of this year's slot, so that only the year makes it wrong.
    day = coming_lesson(alice_enrolment.slot)
    path = f"/eleves/{last_years_clarinet.student_id}/{kind}/{last_years_clarinet.pk}/"

    response = alice_client.post(
        path, {"date": day.isoformat(), "reason": "maladie", "comment": "Forgé"}
    )

    assert response.status_code == 404
    assert not Absence.objects.exists()
    assert not Evaluation.objects.exists()


def test_the_services_refuse_to_change_a_past_year(
    last_years_clarinet: Enrolment, current_year: SchoolYear, durand: Teacher
) -> None:
    day = last_years_clarinet.slot.lesson_dates()[-1]
    message = "Les années précédentes ne peuvent plus être modifiées."

    with pytest.raises(services.CoursesError, match=message):
        services.absence_declare(
            enrolment=last_years_clarinet,
            school_year=current_year,
            date=day,
            reason="maladie",
            comment="",
        )
    with pytest.raises(services.CoursesError, match=message):
        services.enrolment_results_update(
            enrolment=last_years_clarinet, school_year=current_year, data={"mention": "Passable"}
        )
    with pytest.raises(services.CoursesError, match=message):
        services.repertoire_add(
            teacher=durand,
            enrolment=last_years_clarinet,
            school_year=current_year,
            data={"composer": "Weber", "title": "Concertino", "status": "en_cours"},
        )
    with pytest.raises(services.CoursesError, match=message):
        services.evaluations_record(
            teacher=durand,
            school_year=current_year,
            type_evaluation="Contrôle",
            date=day,
            type_critere="",
            note_sur=Decimal("5"),
            rows=[
                services.EvaluationRow(
                    enrolment=last_years_clarinet,
                    note=Decimal("4"),
                    lettre="",
                    mention="",
                    appreciation="",
                    absent=False,
                )
            ],
        )

    last_years_clarinet.refresh_from_db()
    assert last_years_clarinet.mention == "Bien"
    assert not Absence.objects.exists()
    assert not Evaluation.objects.exists()
