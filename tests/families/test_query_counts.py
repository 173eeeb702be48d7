"""Each family page runs a fixed number of queries, whatever the number of children."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from families.models import Family
from tests.factories import StudentFactory


@pytest.fixture(params=[1, 5], ids=["1 child", "5 children"])
def family_client(request: pytest.FixtureRequest, alice: Family, alice_client: Client) -> Client:
    StudentFactory.create_batch(request.param - 1, family=alice)
    assert alice.students.count() == request.param
    return alice_client


def test_accueil(family_client: Client, django_assert_num_queries: Callable) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family
    # 4. its children, for the buttons
    with django_assert_num_queries(4):
        response = family_client.get("/famille/accueil/")
    assert response.status_code == 200


def test_famille(family_client: Client, django_assert_num_queries: Callable) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family
    with django_assert_num_queries(3):
        response = family_client.get("/famille/")
    assert response.status_code == 200


def test_facturation(family_client: Client, django_assert_num_queries: Callable) -> None:
    # 1. the session
    # 2. the account, with its site
    # 3. the family
    # 4. the school years, for the year selector
    # 5. the current school year
    # 6. the family's invoices of that year
    # 7. the site's billing settings (online payment)
    with django_assert_num_queries(7):
        response = family_client.get("/facturation/")
    assert response.status_code == 200
