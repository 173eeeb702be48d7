"""Mot de passe perdu: a single-use link, valid 24 hours, sent to the known address only."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from extranet.models import Site, User
from families.models import Family
from tests.factories import PASSWORD
from tests.html import error_of, find, page, text, without_csrf

LINK = re.compile(r"http://testserver(/mot-de-passe/nouveau/[\w-]+/[\w-]+/)")
NEW_PASSWORD = "Clarinette-du-samedi-77"


@pytest.fixture
def ask(
    client: Client, django_capture_on_commit_callbacks: Callable
) -> Callable[[str, str], HttpResponse]:
    def post(username: str, email: str) -> HttpResponse:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/mot-de-passe-perdu/", {"username": username, "email": email}, follow=True
            )

    return post


def link_in(message: mail.EmailMessage) -> str:
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    return links.pop()


def choose_password(link: str, password: str = NEW_PASSWORD) -> HttpResponse:
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


def test_it_sends_a_link_when_identifiant_and_email_match(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    response = ask("alice", "alice@example.org")

    assert response.redirect_chain == [("/mot-de-passe-perdu/envoye/", 302)]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Moissy-Cramayel : choisissez votre mot de passe"
    assert link_in(message)
    html = message.alternatives[0].content
    assert link_in(message) in html


def test_the_email_never_holds_a_password(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    ask("alice", "alice@example.org")

    assert alice.account is not None
    message = mail.outbox[0]
    for content in (message.body, message.alternatives[0].content):
        assert PASSWORD not in content
        assert alice.account.password not in content
        assert alice.account.password.split("$")[-1] not in content


def test_the_match_ignores_case_and_spaces(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    ask(" ALICE ", "Alice@Example.ORG")

    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("username", "email"),
    [
        ("alice", "someone.else@example.org"),
        ("bob", "alice@example.org"),
        ("nobody", "nobody@example.org"),
    ],
)
def test_it_sends_nothing_and_answers_the_same_when_they_do_not_match(
    alice: Family,
    bob: Family,
    ask: Callable[[str, str], HttpResponse],
    username: str,
    email: str,
) -> None:
    matching = ask("alice", "alice@example.org")
    mail.outbox.clear()

    response = ask(username, email)

    assert mail.outbox == []
    assert response.redirect_chain == matching.redirect_chain
    assert without_csrf(response) == without_csrf(matching)


def test_it_sends_nothing_to_a_deactivated_account(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    assert alice.account is not None
    alice.account.is_active = False
    alice.account.save()

    response = ask("alice", "alice@example.org")

    assert response.redirect_chain == [("/mot-de-passe-perdu/envoye/", 302)]
    assert mail.outbox == []


def test_it_sends_one_link_per_site_when_the_identifiant_exists_on_two(
    alice: Family, dora: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    assert dora.account is not None
    dora.account.email = "alice@example.org"
    dora.account.save()

    ask("alice", "alice@example.org")

    assert sorted(message.subject for message in mail.outbox) == [
        "Boulogne-Billancourt : choisissez votre mot de passe",
        "Moissy-Cramayel : choisissez votre mot de passe",
    ]
    assert len({link_in(message) for message in mail.outbox}) == 2


def test_it_explains_a_malformed_email(client: Client, db: None) -> None:
    response = client.post("/mot-de-passe-perdu/", {"username": "alice", "email": "pas-un-email"})

    assert response.status_code == 200
    assert error_of(page(response), "id_email") == (
        "Adresse e-mail invalide, par exemple prenom.nom@exemple.fr."
    )
    assert mail.outbox == []


def test_the_link_sets_a_new_password(
    alice: Family, moissy: Site, ask: Callable[[str, str], HttpResponse]
) -> None:
    ask("alice", "alice@example.org")

    response = choose_password(link_in(mail.outbox[0]))

    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe/nouveau/termine/"
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(NEW_PASSWORD)
    assert not alice.account.check_password(PASSWORD)
    login = Client().post(
        "/connexion/", {"site": moissy.pk, "username": "alice", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


def test_the_link_enforces_the_password_rules(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    ask("alice", "alice@example.org")

    response = choose_password(link_in(mail.outbox[0]), password="12345678")

    assert response.status_code == 200
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSWORD)


def test_the_link_cannot_be_used_twice(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    ask("alice", "alice@example.org")
    link = link_in(mail.outbox[0])
    choose_password(link)

    again = Client().get(link, follow=True)

    assert "Ce lien n'est plus valable" in text(page(again))
    assert find(page(again), "a", class_="btn")
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("hours", "valid"), [(23, True), (25, False)])
def test_the_link_expires_after_24_hours(
    alice: Family, ask: Callable[[str, str], HttpResponse], hours: int, valid: bool
) -> None:
    ask("alice", "alice@example.org")
    link = link_in(mail.outbox[0])
    later = datetime.datetime.now() + datetime.timedelta(hours=hours)

    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        response = choose_password(link) if valid else Client().get(link, follow=True)

    assert alice.account is not None
    alice.account.refresh_from_db()
    if valid:
        assert response.status_code == 302
        assert alice.account.check_password(NEW_PASSWORD)
    else:
        assert "Ce lien n'est plus valable" in text(page(response))
        assert alice.account.check_password(PASSWORD)


def test_a_new_password_ends_the_other_open_sessions(
    alice: Family,
    ask: Callable[[str, str], HttpResponse],
    client_for: Callable[[User], Client],
) -> None:
    assert alice.account is not None
    elsewhere = client_for(alice.account)
    assert elsewhere.get("/famille/accueil/").status_code == 200

    ask("alice", "alice@example.org")
    choose_password(link_in(mail.outbox[0]))

    response = elsewhere.get("/famille/accueil/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_it_also_accepts_the_email_the_family_keeps_on_its_famille_tab(
    alice: Family, ask: Callable[[str, str], HttpResponse]
) -> None:
    alice.email = "nouvelle.adresse@example.org"
    alice.save()

    ask("alice", "nouvelle.adresse@example.org")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nouvelle.adresse@example.org"]
    assert link_in(mail.outbox[0])
