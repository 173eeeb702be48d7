"""The shell around every family page: tab bar, footer, logout."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

import extranet
from extranet.models import User
from families.models import Family
from students.models import Student
from tests.html import attr, find, find_all, messages_of, page, text
from tests.pages import FAMILY_PAGES, SHARED_PAGES

FAMILY_TABS = [
    ("Accueil", "/famille/accueil/"),
    ("Famille", "/famille/"),
    ("Elèves", "/eleves/"),
    ("Facturation", "/facturation/"),
    ("Accessibilité", "/accessibilite/"),
    ("Mot de passe", "/mot-de-passe/"),
]
CURRENT_TAB = {
    "/famille/accueil/": "Accueil",
    "/famille/": "Famille",
    "/eleves/": "Elèves",
    "/facturation/": "Facturation",
    "/accessibilite/": "Accessibilité",
    "/mot-de-passe/": "Mot de passe",
    "/mentions-legales/": None,
}


@pytest.mark.parametrize("url", FAMILY_PAGES + SHARED_PAGES)
def test_every_family_page_has_the_tab_bar(
    alice_client: Client, alice_student: Student, url: str
) -> None:
    response = alice_client.get(url.format(pk=alice_student.pk))

    assert response.status_code == 200
    tabs = find(page(response), "nav", class_="tabs")
    links = [(text(link), attr(link, "href")) for link in find_all(tabs, "a")]
    assert links == FAMILY_TABS
    logout = find(tabs, "form", action="/deconnexion/")
    assert attr(logout, "method") == "post"
    assert text(find(logout, "button")) == "Déconnexion"
    assert find(logout, "input", name="csrfmiddlewaretoken")


@pytest.mark.parametrize("url", FAMILY_PAGES + SHARED_PAGES)
def test_the_tab_bar_marks_the_current_tab(
    alice_client: Client, alice_student: Student, url: str
) -> None:
    response = alice_client.get(url.format(pk=alice_student.pk))

    current = find_all(find(page(response), "nav", class_="tabs"), "a", **{"aria-current": "page"})
    expected = CURRENT_TAB.get(url, "Elèves")
    assert [text(link) for link in current] == ([expected] if expected else [])


@pytest.mark.parametrize("url", FAMILY_PAGES + SHARED_PAGES)
def test_every_family_page_has_the_footer(
    alice_client: Client, alice_student: Student, url: str
) -> None:
    response = alice_client.get(url.format(pk=alice_student.pk))

    footer = find(page(response), "footer")
    assert "Moissy-Cramayel" in text(footer)
    assert text(find(footer, "a", href="/mentions-legales/")) == "Mentions légales"
    assert f"version {extranet.__version__}" in text(footer)


def test_the_header_names_the_site_of_the_account(alice_client: Client) -> None:
    response = alice_client.get("/famille/")

    assert "Moissy-Cramayel" in text(find(page(response), "header"))
    assert text(find(page(response), "title")) == "Famille · Moissy-Cramayel · Tutti"


def test_a_teacher_sees_no_family_tab(client_for: Callable[[User], Client], teacher: User) -> None:
    response = client_for(teacher).get("/accessibilite/")

    tabs = find(page(response), "nav", class_="tabs")
    assert [text(link) for link in find_all(tabs, "a")] == [
        "Accueil",
        "Accessibilité",
        "Mot de passe",
    ]
    assert attr(find(tabs, "a", href="/enseignant/"), "href") == "/enseignant/"


def test_anonymous_visitors_see_no_tab_bar(client: Client, alice: Family) -> None:
    response = client.get("/")

    assert find_all(page(response), "nav", class_="tabs") == []
    footer = find(page(response), "footer")
    assert find(footer, "a", href="/mentions-legales/")
    assert f"version {extranet.__version__}" in text(footer)


def test_logout_refuses_a_get(alice_client: Client) -> None:
    response = alice_client.get("/deconnexion/")

    assert response.status_code == 405
    assert alice_client.get("/famille/accueil/").status_code == 200


def test_logout_ends_the_session(alice_client: Client) -> None:
    response = alice_client.post("/deconnexion/", follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert messages_of(page(response)) == ["Vous êtes déconnecté."]
    assert "_auth_user_id" not in alice_client.session
    after = alice_client.get("/famille/accueil/")
    assert after.status_code == 302
    assert after["Location"] == "/connexion/?next=/famille/accueil/"
