"""Connexion: from the landing page to Accueil, with the mouse, with a typo, with the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from families.models import Family
from tests.browser.conftest import (
    DESKTOP,
    PAGE_BACKGROUND,
    WHITE,
    assert_visible_focus,
    check_page,
    save_screenshot,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

GENERIC_ERROR = "Site, identifiant ou mot de passe incorrect."


def press_tab_until(page: Page, selector: str, limit: int = 25) -> None:
    """Tab forward, like a keyboard user, until the focus reaches the element `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses on Tab never reached {selector}")


def test_a_family_logs_in_from_the_landing_page(page: Page, family: Family) -> None:
    page.goto("/")
    check_page(page)
    page.get_by_role("link", name="Accès usager").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Accès usager : Connexion")
    check_page(page)
    page.get_by_label("Site").select_option(label="Moissy-Cramayel")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(re.compile(r"/famille/accueil/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
    children = page.locator(".children").get_by_role("link")
    expect(children).to_have_text(["TEST Gaëlle", "TEST Hugo"])
    check_page(page)
    save_screenshot(page, "accueil")

    page.set_viewport_size(DESKTOP)
    check_page(page)


def test_a_wrong_password_gives_the_generic_error_and_keeps_what_was_typed(
    page: Page, family: Family
) -> None:
    page.goto("/connexion/?acces=usager")
    page.get_by_label("Site").select_option(label="Moissy-Cramayel")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()

    expect(page.locator(".error-summary")).to_contain_text(GENERIC_ERROR)
    expect(page).to_have_url(re.compile(r"/connexion/"))
    expect(page.get_by_label("Site")).to_have_value(str(family.site.pk))
    expect(page.get_by_label("Identifiant")).to_have_value("alice")
    expect(page.get_by_label("Mot de passe")).to_have_value("")
    check_page(page)


def test_a_family_logs_in_with_the_keyboard_only(page: Page, family: Family) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    press_tab_until(page, "a[href$='acces=usager']")
    assert_visible_focus(page, PAGE_BACKGROUND)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/connexion/\?acces=usager$"))
    press_tab_until(page, "#id_site")
    page.keyboard.type("Moissy")  # A closed drop-down picks the option starting so.
    expect(page.get_by_label("Site")).to_have_value(str(family.site.pk))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Identifiant")).to_be_focused()
    assert_visible_focus(page, WHITE)
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/famille/accueil/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
