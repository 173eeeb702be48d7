"""Each student tab runs a fixed number of queries, whatever the number of children."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from families.models import Family
from students.models import Student
from tests.factories import StudentFactory


@pytest.fixture(params=[1, 5], ids=["1 child", "5 children"])
def family_client(
    request: pytest.FixtureRequest, alice: Family, alice_student: Student, alice_client: Client
) -> Client:
    StudentFactory.create_batch(request.param - 1, family=alice)
    assert alice.students.count() == request.param
    return alice_client


def test_identite(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family (the selector and the one shown)
    # 4. the current school year
    # 5. the child's school level of that year
    with django_assert_num_queries(5):
        response = family_client.get(f"/eleves/{alice_student.pk}/identite/")
    assert response.status_code == 200


def test_cours(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the current school year
    # 5. the child's enrolments of that year
    # 6. the child's calendar feed
    with django_assert_num_queries(6):
        response = family_client.get(f"/eleves/{alice_student.pk}/cours/")
    assert response.status_code == 200


def test_historique(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the current school year
    # 5. the child's enrolments of the previous years
    with django_assert_num_queries(5):
        response = family_client.get(f"/eleves/{alice_student.pk}/historique/")
    assert response.status_code == 200


def test_repertoire(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the child's repertoire
    with django_assert_num_queries(4):
        response = family_client.get(f"/eleves/{alice_student.pk}/repertoire/")
    assert response.status_code == 200


def test_reinscription(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the site's re-enrollment campaign, with its school year (none open here)
    with django_assert_num_queries(4):
        response = family_client.get(f"/eleves/{alice_student.pk}/reinscription/")
    assert response.status_code == 200


def test_documents(
    family_client: Client, alice_student: Student, django_assert_num_queries: Callable
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the documents of the family and of the child
    with django_assert_num_queries(4):
        response = family_client.get(f"/eleves/{alice_student.pk}/documents/")
    assert response.status_code == 200
