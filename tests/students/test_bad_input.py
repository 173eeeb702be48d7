"""Garbage typed or forged in the Identité form or the addresses never gives a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from students.forms import StudentForm
from students.models import Student
from tests.html import find, page
from tests.pages import STUDENT_TABS, student_form_data

GARBAGE = ["x" * 10_000, "\x00", "nul\x00byte", "🎻" * 300]
# Fields where any text up to its length is a valid answer, a number included.
FREE_TEXT = {
    "nom",
    "prenom",
    "lieu_naissance",
    "adresse",
    "ville",
    "personne_a_prevenir",
    "etablissement_scolaire",
    "nationalite",
}


def stored(student: Student) -> dict[str, Any]:
    return model_to_dict(Student.objects.get(pk=student.pk))


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize(
    "field",
    [name for name in StudentForm.Meta.fields if name != "utiliser_coordonnees_responsable"],
)
def test_garbage_in_any_field_never_breaks_the_page(
    alice_client: Client, alice_student: Student, field: str, value: str
) -> None:
    before = stored(alice_student)

    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        student_form_data(alice_student, **{field: value}),
    )

    assert response.status_code == 200
    assert find(page(response), "div", class_="error-summary")
    assert stored(alice_student) == before


@pytest.mark.parametrize(
    "field",
    sorted(set(StudentForm.Meta.fields) - FREE_TEXT - {"utiliser_coordonnees_responsable"}),
)
def test_a_huge_number_is_refused_where_text_is_not_free(
    alice_client: Client, alice_student: Student, field: str
) -> None:
    before = stored(alice_student)

    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        student_form_data(alice_student, **{field: "99999999999999999999"}),
    )

    assert response.status_code == 200
    assert stored(alice_student) == before


@pytest.mark.parametrize(
    "value",
    ["31/02/2020", "29/02/2023", "2020-13-45", "99999-01-01", "0", "-1", "31/12/99999", "𝟚𝟘𝟚𝟘"],
)
def test_an_impossible_date_is_refused(
    alice_client: Client, alice_student: Student, value: str
) -> None:
    before = stored(alice_student)

    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        student_form_data(alice_student, date_naissance=value),
    )

    assert response.status_code == 200
    assert stored(alice_student) == before


@pytest.mark.parametrize("field", ["droit_image", "autorisation_sortie"])
@pytest.mark.parametrize("value", ["peut-être", "2", "None", "on"])
def test_an_unknown_yes_no_answer_is_refused(
    alice_client: Client, alice_student: Student, field: str, value: str
) -> None:
    before = stored(alice_student)

    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        student_form_data(alice_student, **{field: value}),
    )

    assert response.status_code == 200
    assert stored(alice_student) == before


@pytest.mark.parametrize("tab", STUDENT_TABS)
@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "%00", "1e3", "0x1", " 1"])
def test_an_id_that_is_not_a_number_is_not_found(
    alice_client: Client, alice_student: Student, tab: str, pk: str
) -> None:
    assert alice_client.get(f"/eleves/{pk}/{tab}/").status_code == 404


@pytest.mark.parametrize("tab", STUDENT_TABS)
def test_an_id_too_large_for_the_database_is_not_found(
    alice_client: Client, alice_student: Student, tab: str
) -> None:
    response = alice_client.get(f"/eleves/99999999999999999999999/{tab}/")

    assert response.status_code == 404


@pytest.mark.parametrize("chosen", ["x" * 10_000, "\x00", "99999999999999999999999", "🎻"])
def test_the_selector_survives_garbage(
    alice_client: Client, alice_student: Student, chosen: str
) -> None:
    assert alice_client.get("/eleves/", {"eleve": chosen}).status_code == 404


def test_the_identity_page_survives_an_empty_post(
    alice_client: Client, alice_student: Student
) -> None:
    before = stored(alice_student)

    response = alice_client.post(f"/eleves/{alice_student.pk}/identite/", {})

    assert response.status_code == 200
    assert stored(alice_student) == before
