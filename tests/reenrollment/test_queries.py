"""The Réinscription and Documents fournis tabs run a fixed number of queries, whatever the
number of children and of documents."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from courses.models import Enrolment, Slot
from families.models import Family
from reenrollment.models import Campaign, DocumentType
from students.models import Student
from tests.factories import DocumentFactory, DocumentTypeFactory, StudentFactory
from tests.reenrollment.helpers import renew, tab_url


@pytest.fixture(params=[1, 5], ids=["1 child", "5 children"])
def children(request: pytest.FixtureRequest, alice: Family) -> int:
    StudentFactory.create_batch(request.param - 1, family=alice)
    assert alice.students.count() == request.param
    return request.param


@pytest.fixture(params=[1, 5], ids=["1 document", "5 documents"])
def documents(
    request: pytest.FixtureRequest, campaign: Campaign, alice: Family, alice_student: Student
) -> int:
    """Five pieces (three for the family, two for the pupil), `param` of them provided."""
    types = [
        DocumentTypeFactory(campaign=campaign, scope=scope)
        for scope in [DocumentType.Scope.FAMILY] * 3 + [DocumentType.Scope.STUDENT] * 2
    ]
    for document_type in types[: request.param]:
        student = alice_student if document_type.scope == DocumentType.Scope.STUDENT else None
        DocumentFactory(document_type=document_type, family=alice, student=student)
    return request.param


@pytest.fixture
def family_client(
    pianists: None,
    children: int,
    documents: int,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    alice_client: Client,
) -> Client:
    renew(campaign, gaelle_piano, piano_monday)
    return alice_client


def test_reinscription(
    family_client: Client,
    documents: int,
    alice_student: Student,
    django_assert_num_queries: Callable,
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the site's campaigns, with their school year
    # 5. the child's request in the campaign
    # 6. its choices, with their slot, teacher and course
    # 7. the school year before the campaign's (this year)
    # 8. the child's enrolments of this year, with course, department and cursus
    # 9. next year's slots of those courses, with teacher and seats taken (subqueries)
    # 10. the family's children, for the number under 20
    # 11. the campaign's pieces
    # 12. the documents of the family and of the child
    with django_assert_num_queries(12):
        response = family_client.get(tab_url(alice_student))
    assert response.status_code == 200
    assert response.content.decode().count(">Télécharger<") == documents


def test_documents_fournis(
    family_client: Client,
    documents: int,
    alice_student: Student,
    django_assert_num_queries: Callable,
) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family's children, with their family
    # 4. the documents of the family and of the child, with piece, campaign and school year
    with django_assert_num_queries(4):
        response = family_client.get(f"/eleves/{alice_student.pk}/documents/")
    assert response.status_code == 200
    assert response.content.decode().count(">Télécharger<") == documents
