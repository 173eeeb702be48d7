"""Accès enseignant: evaluations of a whole class at once."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from courses.models import Enrolment, Evaluation, Slot, Teacher
from tests.courses.helpers import rows, table_with
from tests.html import error_of, find, find_all, label_of, messages_of, page, text


def url(slot: Slot) -> str:
    return f"/enseignant/creneaux/{slot.pk}/evaluations/"


def common(**changes: str) -> dict[str, str]:
    data = {
        "type_evaluation": "Audition de Noël",
        "date": "2026-12-12",
        "type_critere": "Examen",
        "note_sur": "5",
    }
    data.update(changes)
    return data


def pupil(enrolment: Enrolment, **fields: str) -> dict[str, str]:
    return {f"{name}_{enrolment.pk}": value for name, value in fields.items()}


def error_summary(response: Any) -> str:
    return text(find(page(response), "div", class_="error-summary"))


def test_the_form_has_the_common_fields_and_a_row_per_pupil(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    response = durand_client.get(url(slot))

    assert response.status_code == 200
    content = page(response)
    assert [label_of(content, f"id_{name}") for name in common()] == [
        "Type d'évaluation",
        "Date",
        "Type de critère",
        "Note sur",
    ]
    assert [text(h3) for h3 in find_all(content, "h3")] == ["MARTIN Léo", "TEST Gaëlle"]
    pk = alice_enrolment.pk
    assert [label_of(content, f"id_{name}_{pk}") for name in ("note", "lettre", "mention")] == [
        "Note de TEST Gaëlle",
        "Lettre de TEST Gaëlle",
        "Mention de TEST Gaëlle",
    ]
    assert label_of(content, f"id_appreciation_{pk}") == "Appréciation de TEST Gaëlle"
    assert label_of(content, f"id_absent_{pk}") == "TEST Gaëlle absent"


def test_it_records_an_evaluation_per_filled_row(
    durand_client: Client,
    durand: Teacher,
    slot: Slot,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
) -> None:
    response = durand_client.post(
        url(slot),
        {
            **common(),
            **pupil(
                alice_enrolment,
                note="4,5",
                lettre="B",
                mention="Bien",
                appreciation="Beau son, à poursuivre.",
            ),
            **pupil(bob_enrolment, absent="on", note="3"),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/enseignant/creneaux/{slot.pk}/"
    alice = Evaluation.objects.get(enrolment=alice_enrolment)
    assert (alice.type_evaluation, alice.date, alice.type_critere) == (
        "Audition de Noël",
        datetime.date(2026, 12, 12),
        "Examen",
    )
    assert (alice.note, alice.note_sur) == (Decimal("4.5"), Decimal("5"))
    assert (alice.lettre, alice.mention, alice.absent) == ("B", "Bien", False)
    assert alice.appreciation == "Beau son, à poursuivre."
    assert alice.recorded_by == durand
    bob = Evaluation.objects.get(enrolment=bob_enrolment)
    assert (bob.absent, bob.note) == (True, None)


def test_empty_rows_are_skipped(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(slot),
        {
            **common(),
            **pupil(alice_enrolment, note="4"),
            **pupil(bob_enrolment, note="", lettre=""),
        },
        follow=True,
    )

    assert list(Evaluation.objects.values_list("enrolment", flat=True)) == [alice_enrolment.pk]
    assert messages_of(page(response)) == ["1 évaluation enregistrée."]


def test_a_note_above_the_scale_is_refused_and_nothing_is_saved(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(slot),
        {
            **common(note_sur="7,5"),
            **pupil(alice_enrolment, note="6"),
            **pupil(bob_enrolment, note="8"),
        },
    )

    assert response.status_code == 200
    assert "La note de MARTIN Léo doit être entre 0 et 7,5." in error_summary(response)
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("quatre", "Saisissez un nombre, par exemple 4,5."),
        ("-1", "Assurez-vous que cette valeur est supérieure ou égale à 0."),
        ("4,555", "Deux chiffres après la virgule au plus."),
    ],
)
def test_a_bad_note_is_refused_next_to_the_field(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, note: str, message: str
) -> None:
    response = durand_client.post(url(slot), {**common(), **pupil(alice_enrolment, note=note)})

    assert response.status_code == 200
    assert error_of(page(response), f"id_note_{alice_enrolment.pk}") == message
    assert not Evaluation.objects.exists()


def test_the_common_fields_are_checked(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        url(slot),
        {
            **common(type_evaluation="", date="31/02/2026", note_sur="0"),
            **pupil(alice_enrolment, note="4"),
        },
    )

    content = page(response)
    assert error_of(content, "id_type_evaluation") == "Ce champ est obligatoire."
    assert error_of(content, "id_date") == "Date invalide, par exemple 24/12/2026."
    assert error_of(content, "id_note_sur") == (
        "Assurez-vous que cette valeur est supérieure ou égale à 1."
    )
    assert not Evaluation.objects.exists()


def test_a_french_date_is_accepted(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    durand_client.post(url(slot), {**common(date="05/01/2027"), **pupil(alice_enrolment, note="4")})

    assert Evaluation.objects.get().date == datetime.date(2027, 1, 5)


def test_the_class_evaluations_appear_on_the_familys_suivi(
    durand_client: Client, alice_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    durand_client.post(
        url(slot),
        {**common(), **pupil(alice_enrolment, note="4,5", appreciation="Très belle audition.")},
    )

    response = alice_client.get(f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/")

    [row] = rows(table_with(response, "Type d'évaluation"))
    assert (row["Type d'évaluation"], row["Date"], row["Type de critère"]) == (
        "Audition de Noël",
        "12/12/2026",
        "Examen",
    )
    assert row["Note"] == "4,50/5,00"
    assert "Très belle audition." in row["Appréciation"]
