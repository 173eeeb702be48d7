"""Family pages are for family accounts only; a forged form changes nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import Site, User
from families.models import Family
from students.models import Student
from tests.pages import FAMILY_PAGES, family_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", FAMILY_PAGES)
@pytest.mark.parametrize("account", ["teacher", "moissy_staff", "charlie", "superuser"])
def test_other_accounts_cannot_open_family_pages(
    request: pytest.FixtureRequest,
    client_for: Callable[[User], Client],
    alice_student: Student,
    account: str,
    url: str,
) -> None:
    client = client_for(request.getfixturevalue(account))

    assert client.get(url.format(pk=alice_student.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/famille/", "/eleves/{pk}/identite/"])
def test_other_accounts_cannot_post_to_family_pages(
    client_for: Callable[[User], Client],
    moissy_staff: User,
    alice: Family,
    alice_student: Student,
    url: str,
) -> None:
    response = client_for(moissy_staff).post(
        url.format(pk=alice_student.pk), family_form_data(alice, nom="PIRATE")
    )

    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.nom == "TEST"


@pytest.mark.parametrize("url", [*FAMILY_PAGES, "/eleves/"])
def test_anonymous_visitors_are_sent_to_the_login(
    client: Client, alice_student: Student, url: str
) -> None:
    url = url.format(pk=alice_student.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/connexion/?next={url}"


def test_a_family_account_without_family_record_gets_not_found(
    client_for: Callable[[User], Client], alice: Family
) -> None:
    account = alice.account
    assert account is not None
    alice.account = None
    alice.save()

    client = client_for(account)

    assert client.get("/famille/accueil/").status_code == 404
    assert client.get("/famille/").status_code == 404


def test_a_forged_famille_form_changes_only_the_record_fields(
    alice_client: Client, alice: Family, bob: Family, boulogne: Site
) -> None:
    assert bob.account is not None
    response = alice_client.post(
        "/famille/",
        {
            **family_form_data(alice, profession="Luthière"),
            "site": boulogne.pk,
            "site_id": boulogne.pk,
            "account": bob.account.pk,
            "family": bob.pk,
            "id": bob.pk,
            "pk": bob.pk,
            "proof_of_address_needed": "on",
            "address_changed_at": "2020-01-01 00:00",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.profession == "Luthière"
    assert alice.site.slug == "moissy-cramayel"
    assert alice.account is not None and alice.account.username == "alice"
    assert alice.proof_of_address_needed is False
    assert alice.address_changed_at is None
    bob.refresh_from_db()
    assert bob.profession == ""
    assert bob.account is not None and bob.account.username == "bob"
