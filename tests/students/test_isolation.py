"""A family reaches its own children only, whatever id it types or sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from families.models import Family
from students.models import Student
from tests.pages import STUDENT_PAGES, student_form_data


def stored(student: Student) -> dict[str, Any]:
    return model_to_dict(Student.objects.get(pk=student.pk))


@pytest.mark.parametrize("url", STUDENT_PAGES)
def test_a_family_cannot_open_a_student_of_another_family(
    alice_client: Client, bob_student: Student, url: str
) -> None:
    assert alice_client.get(url.format(pk=bob_student.pk)).status_code == 404


@pytest.mark.parametrize("url", STUDENT_PAGES)
def test_a_family_cannot_open_a_student_of_another_site(
    alice_client: Client, dora: Family, url: str
) -> None:
    student = dora.students.get()

    assert alice_client.get(url.format(pk=student.pk)).status_code == 404


@pytest.mark.parametrize("url", STUDENT_PAGES)
def test_a_family_cannot_open_a_student_that_does_not_exist(
    alice_client: Client, alice_student: Student, url: str
) -> None:
    assert alice_client.get(url.format(pk=alice_student.pk + 1000)).status_code == 404


def test_a_family_cannot_change_a_student_of_another_family(
    alice_client: Client, bob_student: Student
) -> None:
    before = stored(bob_student)

    response = alice_client.post(
        f"/eleves/{bob_student.pk}/identite/",
        student_form_data(bob_student, prenom="Piraté", personne_a_prevenir="Alice"),
    )

    assert response.status_code == 404
    assert stored(bob_student) == before
    assert bob_student.history.count() == 1


@pytest.mark.parametrize("chosen", ["{bob}", "{dora}", "999999", "abc", "1 OR 1=1", "-1"])
def test_the_selector_refuses_a_child_of_another_family(
    alice_client: Client, alice_student: Student, bob_student: Student, dora: Family, chosen: str
) -> None:
    chosen = chosen.format(bob=bob_student.pk, dora=dora.students.get().pk)

    response = alice_client.get("/eleves/", {"eleve": chosen})

    assert response.status_code == 404


def test_the_selector_never_lists_another_family_children(
    alice_client: Client, alice_student: Student, bob_student: Student
) -> None:
    response = alice_client.get(f"/eleves/{alice_student.pk}/identite/")

    assert "MARTIN Léo" not in response.content.decode()
    assert f'value="{bob_student.pk}"' not in response.content.decode()


def test_a_forged_family_field_does_not_move_the_student(
    alice_client: Client, alice: Family, alice_student: Student, bob: Family, bob_student: Student
) -> None:
    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        {
            **student_form_data(alice_student, lieu_naissance="Melun"),
            "family": bob.pk,
            "family_id": bob.pk,
            "id": bob_student.pk,
            "pk": bob_student.pk,
        },
    )

    assert response.status_code == 302
    alice_student.refresh_from_db()
    assert alice_student.family_id == alice.pk
    assert alice_student.lieu_naissance == "Melun"
    bob_student.refresh_from_db()
    assert bob_student.lieu_naissance == ""
    assert bob.students.count() == 1
