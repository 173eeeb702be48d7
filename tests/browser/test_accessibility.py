"""Aide - Accessibilité, and the pages around the login: text size, password, legal notice."""

from __future__ import annotations

import re

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect

from families.models import Family
from students.models import Student
from tests.browser.conftest import check_page

pytestmark = pytest.mark.browser


def root_font_size(page: Page) -> float:
    size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    return float(size.removesuffix("px"))


def test_the_largest_text_size_grows_the_text_without_sideways_scrolling(
    family_page: Page, children: list[Student]
) -> None:
    page = family_page
    page.goto("/famille/accueil/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Accessibilité"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aide - Accessibilité")
    check_page(page)
    normal = root_font_size(page)

    page.get_by_label("Très grande").check()
    page.get_by_role("button", name="Appliquer").click()

    expect(page.locator("html")).to_have_class("text-xlarge")
    expect(page.get_by_label("Très grande")).to_be_checked()
    page.wait_for_load_state("load")  # The DOM can be there before the stylesheet.
    assert root_font_size(page) > normal * 1.3
    check_page(page)
    for path in (
        "/famille/accueil/",
        "/famille/",
        f"/eleves/{children[0].pk}/identite/",
        "/mot-de-passe/",
        "/mentions-legales/",
        "/",
        "/connexion/",
        "/mot-de-passe-perdu/",
    ):
        page.goto(path)
        expect(page.locator("html")).to_have_class("text-xlarge")
        check_page(page)


def test_the_password_and_legal_pages(family_page: Page) -> None:
    page = family_page
    page.goto("/famille/accueil/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mot de passe"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier mon mot de passe")
    check_page(page)

    page.get_by_role("contentinfo").get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentions légales")
    expect(page.get_by_role("heading", name="Moissy-Cramayel")).to_be_visible()
    check_page(page)


def test_a_lost_password_sends_a_link(
    page: Page, family: Family, mailoutbox: list[EmailMessage]
) -> None:
    page.goto("/")
    check_page(page)
    page.get_by_role("link", name="Accès usager").click()
    page.get_by_role("link", name="Mot de passe perdu").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe perdu")
    check_page(page)
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("E-mail").fill(family.account.email)
    page.get_by_role("button", name="Valider").click()

    expect(page).to_have_url(re.compile(r"/mot-de-passe-perdu/envoye/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    check_page(page)
    assert [message.to for message in mailoutbox] == [[family.account.email]]
