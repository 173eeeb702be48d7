"""Accès enseignant: one pupil's page, with an evaluation, the year's results and the
répertoire; what the teacher records shows on the family's Suivi and Répertoire."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from courses.models import Course, Enrolment, Evaluation, RepertoireEntry, Teacher
from extranet.models import SchoolYear
from tests.courses.helpers import facts, rows, table_with
from tests.factories import EvaluationFactory, RepertoireEntryFactory
from tests.html import error_of, find, find_all, messages_of, page, text

RESULTS = {
    "moyenne": "4,86",
    "moyenne_sur": "5",
    "moyenne_lettree": "A",
    "mention": "Très bien",
    "resultat": "Admis",
    "admission": "Cycle 2",
}


def url(enrolment: Enrolment) -> str:
    return f"/enseignant/eleves/{enrolment.pk}/"


def suivi(enrolment: Enrolment) -> str:
    return f"/eleves/{enrolment.student_id}/cours/{enrolment.pk}/"


def error_summary(response: Any) -> str:
    return text(find(page(response), "div", class_="error-summary"))


def test_the_pupil_page_shows_the_course_and_the_evaluations(
    durand_client: Client, alice_enrolment: Enrolment
) -> None:
    EvaluationFactory(enrolment=alice_enrolment, note=Decimal("3.5"), appreciation="Concentrée.")

    response = durand_client.get(url(alice_enrolment))

    assert response.status_code == 200
    content = page(response)
    assert text(find(content, "h1")) == "TEST Gaëlle · clarinette MOISSY"
    [row] = rows(table_with(content, "Type d'évaluation"))
    assert (row["Note"], row["Appréciation"]) == ("3,50/5,00", "Concentrée.")


def test_the_teacher_records_one_evaluation(
    durand_client: Client, alice_client: Client, durand: Teacher, alice_enrolment: Enrolment
) -> None:
    pk = alice_enrolment.pk

    response = durand_client.post(
        url(alice_enrolment),
        {
            "action": "evaluation",
            "type_evaluation": "Contrôle de gammes",
            "date": "2026-11-18",
            "type_critere": "Contrôle continu",
            "note_sur": "20",
            f"note_{pk}": "15,5",
            f"appreciation_{pk}": "Gammes propres.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url(alice_enrolment)
    evaluation = Evaluation.objects.get()
    assert (evaluation.note, evaluation.note_sur) == (Decimal("15.5"), Decimal("20"))
    assert evaluation.recorded_by == durand
    [row] = rows(table_with(alice_client.get(suivi(alice_enrolment)), "Type d'évaluation"))
    assert (row["Type d'évaluation"], row["Date"], row["Note"]) == (
        "Contrôle de gammes",
        "18/11/2026",
        "15,50/20,00",
    )


def test_an_evaluation_above_the_scale_is_refused(
    durand_client: Client, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(alice_enrolment),
        {
            "action": "evaluation",
            "type_evaluation": "Contrôle",
            "date": "2026-11-18",
            "note_sur": "5",
            f"note_{alice_enrolment.pk}": "5,5",
        },
    )

    assert response.status_code == 200
    assert "La note de TEST Gaëlle doit être entre 0 et 5." in error_summary(response)
    assert not Evaluation.objects.exists()


def test_the_teacher_records_the_years_results(
    durand_client: Client, alice_client: Client, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(alice_enrolment), {"action": "results", **RESULTS}, follow=True
    )

    assert messages_of(page(response)) == ["Résultats de fin d'année enregistrés."]
    alice_enrolment.refresh_from_db()
    assert (alice_enrolment.moyenne, alice_enrolment.moyenne_sur) == (
        Decimal("4.86"),
        Decimal("5"),
    )
    shown = facts(alice_client.get(suivi(alice_enrolment)))
    assert {name: shown[name] for name in ("Moyenne", "Moyenne lettrée", "Mention")} == {
        "Moyenne": "4,86 / 5,00",
        "Moyenne lettrée": "A",
        "Mention": "Très bien",
    }
    assert (shown["Résultat"], shown["Admission"]) == ("Admis", "Cycle 2")


def test_the_results_form_shows_the_stored_average_in_french(
    durand_client: Client, alice_enrolment: Enrolment
) -> None:
    alice_enrolment.moyenne = Decimal("4.86")
    alice_enrolment.save()

    response = durand_client.get(url(alice_enrolment))

    moyenne = find(page(response), "input", name="moyenne")
    assert dict(moyenne.attributes)["value"] == "4,86"


def test_an_average_above_the_scale_is_refused(
    durand_client: Client, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(alice_enrolment), {"action": "results", **RESULTS, "moyenne": "5,5"}
    )

    assert response.status_code == 200
    assert "La moyenne ne peut pas dépasser la note maximale." in error_summary(response)
    alice_enrolment.refresh_from_db()
    assert (alice_enrolment.moyenne, alice_enrolment.resultat) == (None, "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("moyenne", "-1", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
        ("moyenne", "bien", "Saisissez un nombre, par exemple 4,5."),
        ("moyenne_sur", "0", "Assurez-vous que cette valeur est supérieure ou égale à 1."),
    ],
)
def test_a_bad_average_is_refused_next_to_the_field(
    durand_client: Client, alice_enrolment: Enrolment, field: str, value: str, message: str
) -> None:
    response = durand_client.post(
        url(alice_enrolment), {"action": "results", **RESULTS, field: value}
    )

    assert response.status_code == 200
    assert error_of(page(response), f"id_{field}") == message
    alice_enrolment.refresh_from_db()
    assert alice_enrolment.moyenne is None


def test_the_teacher_adds_a_piece_to_the_repertoire(
    durand_client: Client,
    alice_client: Client,
    durand: Teacher,
    alice_enrolment: Enrolment,
    current_year: SchoolYear,
) -> None:
    response = durand_client.post(
        url(alice_enrolment),
        {"action": "repertoire", "composer": "Weber", "title": "Concertino", "status": "en_cours"},
    )

    assert response.status_code == 302
    entry = RepertoireEntry.objects.get()
    assert (entry.student, entry.course, entry.school_year) == (
        alice_enrolment.student,
        alice_enrolment.slot.course,
        current_year,
    )
    assert entry.added_by == durand
    family = alice_client.get(f"/eleves/{alice_enrolment.student_id}/repertoire/")
    assert rows(table_with(family, "Compositeur")) == [
        {
            "Compositeur": "Weber",
            "Titre": "Concertino",
            "Cours": "clarinette MOISSY",
            "Année": current_year.label,
            "Statut": "En cours",
        }
    ]


def test_a_piece_needs_a_composer_and_a_title(
    durand_client: Client, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(alice_enrolment), {"action": "repertoire", "composer": "", "title": "", "status": "x"}
    )

    content = page(response)
    assert error_of(content, "id_composer") == "Ce champ est obligatoire."
    assert error_of(content, "id_title") == "Ce champ est obligatoire."
    assert "Sélectionnez un choix valide." in error_of(content, "id_status")
    assert not RepertoireEntry.objects.exists()


def test_the_teacher_removes_a_piece(
    durand_client: Client,
    alice_client: Client,
    alice_enrolment: Enrolment,
    clarinet: Course,
    current_year: SchoolYear,
) -> None:
    kept = RepertoireEntryFactory(
        student=alice_enrolment.student, course=clarinet, school_year=current_year, title="Gardé"
    )
    removed = RepertoireEntryFactory(
        student=alice_enrolment.student, course=clarinet, school_year=current_year, title="Retiré"
    )

    response = durand_client.post(
        url(alice_enrolment), {"action": "repertoire_delete", "entry": str(removed.pk)}, follow=True
    )

    assert messages_of(page(response)) == ["Morceau retiré du répertoire."]
    assert list(RepertoireEntry.objects.all()) == [kept]
    family = alice_client.get(f"/eleves/{alice_enrolment.student_id}/repertoire/")
    assert [row["Titre"] for row in rows(table_with(family, "Compositeur"))] == ["Gardé"]


def test_a_past_years_piece_cannot_be_removed(
    durand_client: Client, alice_enrolment: Enrolment, clarinet: Course, last_year: SchoolYear
) -> None:
    old = RepertoireEntryFactory(
        student=alice_enrolment.student, course=clarinet, school_year=last_year
    )

    response = durand_client.post(
        url(alice_enrolment), {"action": "repertoire_delete", "entry": str(old.pk)}, follow=True
    )

    assert messages_of(page(response)) == ["Les années précédentes ne peuvent plus être modifiées."]
    assert RepertoireEntry.objects.get() == old


def test_another_courses_piece_cannot_be_removed(
    durand_client: Client, alice_enrolment: Enrolment, current_year: SchoolYear
) -> None:
    other = RepertoireEntryFactory(student=alice_enrolment.student, school_year=current_year)

    response = durand_client.post(
        url(alice_enrolment), {"action": "repertoire_delete", "entry": str(other.pk)}
    )

    assert response.status_code == 404
    assert RepertoireEntry.objects.get() == other


def test_the_page_lists_this_courses_pieces_with_a_remove_button(
    durand_client: Client, alice_enrolment: Enrolment, clarinet: Course, current_year: SchoolYear
) -> None:
    entry = RepertoireEntryFactory(
        student=alice_enrolment.student,
        course=clarinet,
        school_year=current_year,
        composer="Mozart",
        title="Concerto",
    )
    RepertoireEntryFactory(
        student=alice_enrolment.student, school_year=current_year, title="Ailleurs"
    )

    response = durand_client.get(url(alice_enrolment))

    section = find(page(response), "section", **{"aria-labelledby": "repertoire"})
    items = find_all(section, "li")
    assert [text(li) for li in items] == [
        f"Mozart : Concerto (En cours, {current_year.label}) Retirer Concerto"
    ]
    assert dict(find(items[0], "input", name="entry").attributes)["value"] == str(entry.pk)
