"""Répertoire: the pieces a pupil works on, as the teachers fill them."""

from __future__ import annotations

from django.test import Client

from courses.models import Course, RepertoireEntry
from extranet.models import SchoolYear
from students.models import Student
from tests.courses.helpers import headers, rows, table_with
from tests.factories import RepertoireEntryFactory
from tests.html import find_all, page, text


def url(student: Student) -> str:
    return f"/eleves/{student.pk}/repertoire/"


def test_it_lists_the_pieces_with_composer_title_course_year_and_status(
    alice_client: Client,
    alice_student: Student,
    clarinet: Course,
    current_year: SchoolYear,
    last_year: SchoolYear,
) -> None:
    RepertoireEntryFactory(
        student=alice_student,
        course=clarinet,
        school_year=last_year,
        composer="Mozart",
        title="Concerto pour clarinette, 2e mouvement",
        status=RepertoireEntry.Status.AUDITION,
    )
    RepertoireEntryFactory(
        student=alice_student,
        course=None,
        school_year=current_year,
        composer="Bach",
        title="Menuet en sol",
        status=RepertoireEntry.Status.A_TRAVAILLER,
    )

    response = alice_client.get(url(alice_student))

    assert response.status_code == 200
    table = table_with(response, "Compositeur")
    assert headers(table) == ["Compositeur", "Titre", "Cours", "Année", "Statut"]
    assert rows(table) == [
        {
            "Compositeur": "Bach",
            "Titre": "Menuet en sol",
            "Cours": "-",
            "Année": current_year.label,
            "Statut": "À travailler",
        },
        {
            "Compositeur": "Mozart",
            "Titre": "Concerto pour clarinette, 2e mouvement",
            "Cours": "clarinette MOISSY",
            "Année": last_year.label,
            "Statut": "Joué en audition",
        },
    ]


def test_it_shows_only_this_pupils_pieces(
    alice_client: Client, alice_student: Student, bob_student: Student, current_year: SchoolYear
) -> None:
    RepertoireEntryFactory(student=bob_student, school_year=current_year, title="Le morceau de Léo")

    response = alice_client.get(url(alice_student))

    assert find_all(page(response), "table") == []
    assert "Le morceau de Léo" not in text(page(response))
    assert "Les enseignants n'ont pas encore ajouté de morceau." in text(page(response))
