"""Every change a family makes through the portal is kept: who, when, old and new value."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import User
from families.models import Family
from students.models import Student
from tests.html import find, find_all, page, text
from tests.pages import family_form_data, student_form_data


@pytest.fixture
def alice_moved(alice_client: Client, alice: Family, alice_student: Student) -> Family:
    """Alice typed a new mobile and a new address; her daughter uses her contact details."""
    alice_student.utiliser_coordonnees_responsable = True
    alice_student.save()
    response = alice_client.post(
        "/famille/", family_form_data(alice, mobile="0711223344", adresse="3 rue des Lilas")
    )
    assert response.status_code == 302
    return alice


def test_a_portal_edit_records_who_made_it(alice_moved: Family) -> None:
    record = alice_moved.history.first()

    assert record is not None
    assert record.history_type == "~"
    assert record.history_user == alice_moved.account


def test_a_portal_edit_records_the_old_and_new_values(alice_moved: Family) -> None:
    new, old = alice_moved.history.all()[:2]

    changes = {change.field: (change.old, change.new) for change in new.diff_against(old).changes}
    assert changes["mobile"] == ("06 12 93 31 09", "07 11 22 33 44")
    assert changes["adresse"] == ("1 rue de la Mare l'Evêque", "3 rue des Lilas")
    assert changes["proof_of_address_needed"] == (False, True)
    assert "nom" not in changes


def test_the_students_that_follow_the_address_keep_a_history_too(
    alice_moved: Family, alice_student: Student
) -> None:
    new, old = alice_student.history.all()[:2]

    assert new.history_user == alice_moved.account
    changes = {change.field: (change.old, change.new) for change in new.diff_against(old).changes}
    assert changes["adresse"] == ("", "3 rue des Lilas")
    assert changes["mobile"] == ("", "07 11 22 33 44")


def test_an_identity_edit_records_who_made_it(
    alice_client: Client, alice: Family, alice_student: Student
) -> None:
    response = alice_client.post(
        f"/eleves/{alice_student.pk}/identite/",
        student_form_data(alice_student, lieu_naissance="Melun"),
    )
    assert response.status_code == 302

    new, old = alice_student.history.all()[:2]
    assert new.history_user == alice.account
    changes = {change.field: (change.old, change.new) for change in new.diff_against(old).changes}
    assert changes == {"lieu_naissance": ("", "Melun")}


def test_the_secretariat_sees_the_change_in_the_admin_history(
    alice_moved: Family, moissy_staff: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(moissy_staff).get(f"/admin/families/family/{alice_moved.pk}/history/")

    assert response.status_code == 200
    rows = find_all(find(page(response), "table", id="change-history"), "tr")
    latest = text(rows[1])
    assert "alice" in latest
    assert "06 12 93 31 09" in latest
    assert "07 11 22 33 44" in latest
    assert "3 rue des Lilas" in latest


def test_another_site_cannot_open_the_history(
    alice_moved: Family, charlie: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(charlie)

    assert client.get(f"/admin/families/family/{alice_moved.pk}/history/").status_code == 404
    record = alice_moved.history.first()
    assert record is not None
    url = f"/admin/families/family/{alice_moved.pk}/history/{record.history_id}/"
    assert client.get(url).status_code == 404


def test_another_site_cannot_open_a_student_history(
    alice_moved: Family,
    alice_student: Student,
    charlie: User,
    moissy_staff: User,
    client_for: Callable[[User], Client],
) -> None:
    url = f"/admin/students/student/{alice_student.pk}/history/"

    assert client_for(charlie).get(url).status_code == 404
    response = client_for(moissy_staff).get(url)
    assert response.status_code == 200
    assert "3 rue des Lilas" in text(page(response))
