"""django-axes: 5 failures for one (site, identifiant) from one address lock that pair only."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from extranet.models import Site
from families.models import Family
from tests.factories import PASSWORD
from tests.html import attr, find, page, text

LOCKED_TITLE = "Connexion temporairement bloquée"
LOCKED_TEXT = "Trop de tentatives ont échoué pour cet identifiant."
ADDRESS = "203.0.113.7"


def attempt(site: Site, username: str, password: str, address: str = ADDRESS) -> HttpResponse:
    return Client().post(
        "/connexion/",
        {"site": site.pk, "username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail_five_times(site: Site, username: str) -> list[HttpResponse]:
    return [attempt(site, username, f"wrong-{n}") for n in range(5)]


def is_locked_out(response: HttpResponse) -> bool:
    if response.status_code != 429:
        return False
    summary = text(find(page(response), "div", class_="error-summary"))
    return LOCKED_TITLE in summary and LOCKED_TEXT in summary


def test_it_counts_the_first_failures_as_ordinary_errors(alice: Family, moissy: Site) -> None:
    for response in fail_five_times(moissy, "alice")[:4]:
        assert response.status_code == 200
        assert not is_locked_out(response)


def test_it_refuses_the_right_password_after_five_failures(alice: Family, moissy: Site) -> None:
    fail_five_times(moissy, "alice")

    response = attempt(moissy, "alice", PASSWORD)

    assert is_locked_out(response)
    assert "_auth_user_id" not in response.wsgi_request.session


def test_it_keeps_the_identifiant_typed_on_the_locked_page(alice: Family, moissy: Site) -> None:
    fail_five_times(moissy, "alice")

    response = attempt(moissy, "alice", PASSWORD)

    assert is_locked_out(response)
    assert attr(find(page(response), "input", name="username"), "value") == "alice"
    assert attr(find(page(response), "option", value=str(moissy.pk)), "selected") is not None
    assert PASSWORD not in response.content.decode()


def test_it_lets_another_identifiant_log_in_from_the_same_address(
    alice: Family, bob: Family, moissy: Site
) -> None:
    fail_five_times(moissy, "alice")

    response = attempt(moissy, "bob", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/accueil/"


def test_it_lets_the_same_identifiant_on_another_site_log_in(
    alice: Family, dora: Family, moissy: Site, boulogne: Site
) -> None:
    fail_five_times(moissy, "alice")

    response = attempt(boulogne, "alice", PASSWORD)

    assert response.status_code == 302
    assert dora.account is not None
    assert response.wsgi_request.session["_auth_user_id"] == str(dora.account.pk)


def test_it_lets_the_same_identifiant_log_in_from_another_address(
    alice: Family, moissy: Site
) -> None:
    fail_five_times(moissy, "alice")

    response = attempt(moissy, "alice", PASSWORD, address="198.51.100.20")

    assert response.status_code == 302


@pytest.mark.parametrize("username", ["alice", "ALICE", " Alice "])
def test_it_counts_the_identifiant_whatever_its_case(
    alice: Family, moissy: Site, username: str
) -> None:
    fail_five_times(moissy, "alice")

    assert is_locked_out(attempt(moissy, username, PASSWORD))


def test_a_success_before_the_limit_starts_the_count_again(alice: Family, moissy: Site) -> None:
    for n in range(4):
        attempt(moissy, "alice", f"wrong-{n}")
    assert attempt(moissy, "alice", PASSWORD).status_code == 302

    for n in range(4):
        assert not is_locked_out(attempt(moissy, "alice", f"again-{n}"))
    assert attempt(moissy, "alice", PASSWORD).status_code == 302
