"""Mot de passe: change it with the current one; the other sessions end, this one stays."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import User
from families.models import Family
from tests.factories import PASSWORD
from tests.html import error_of, find, messages_of, page

NEW_PASSWORD = "Clarinette-du-samedi-77"


def change(client: Client, old: str, new: str, confirm: str | None = None):
    return client.post(
        "/mot-de-passe/",
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
        follow=True,
    )


def test_it_shows_the_three_fields(alice_client: Client) -> None:
    response = alice_client.get("/mot-de-passe/")

    assert response.status_code == 200
    for name in ("old_password", "new_password1", "new_password2"):
        assert find(page(response), "input", name=name, type="password")


def test_it_changes_the_password(alice_client: Client, alice: Family) -> None:
    response = change(alice_client, PASSWORD, NEW_PASSWORD)

    assert response.redirect_chain == [("/mot-de-passe/", 302)]
    assert messages_of(page(response)) == ["Votre mot de passe a été modifié."]
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(NEW_PASSWORD)


def test_it_refuses_a_wrong_current_password(alice_client: Client, alice: Family) -> None:
    response = change(alice_client, "not-my-password", NEW_PASSWORD)

    assert response.status_code == 200
    assert "ancien mot de passe est incorrect" in error_of(page(response), "id_old_password")
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("Ab1!", "Ce mot de passe est trop court"),
        ("12345678901", "Ce mot de passe est entièrement numérique"),
        ("motdepasse", "Ce mot de passe est trop courant"),
        ("alice.example", "Le mot de passe est trop semblable"),
    ],
)
def test_it_enforces_the_password_rules(
    alice_client: Client, alice: Family, new: str, expected: str
) -> None:
    response = change(alice_client, PASSWORD, new)

    assert response.status_code == 200
    assert expected in error_of(page(response), "id_new_password2")
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSWORD)


def test_it_refuses_two_different_new_passwords(alice_client: Client, alice: Family) -> None:
    response = change(alice_client, PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")

    assert "ne correspondent pas" in error_of(page(response), "id_new_password2")
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSWORD)


def test_it_ends_the_other_sessions_and_keeps_this_one(
    alice: Family, client_for: Callable[[User], Client]
) -> None:
    assert alice.account is not None
    here, elsewhere = client_for(alice.account), client_for(alice.account)
    assert elsewhere.get("/famille/accueil/").status_code == 200

    change(here, PASSWORD, NEW_PASSWORD)

    assert here.get("/famille/accueil/").status_code == 200
    response = elsewhere.get("/famille/accueil/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/famille/accueil/"


def test_it_leaves_the_other_accounts_alone(
    alice_client: Client, bob: Family, client_for: Callable[[User], Client]
) -> None:
    assert bob.account is not None
    bob_client = client_for(bob.account)

    change(alice_client, PASSWORD, NEW_PASSWORD)

    assert bob_client.get("/famille/accueil/").status_code == 200


def test_it_asks_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    response = client.get("/mot-de-passe/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/mot-de-passe/"
