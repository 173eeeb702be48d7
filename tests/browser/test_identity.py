"""Elèves > Identité: pick a child, see the required fields, save the record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from families.models import Family
from students.models import SchoolLevel, Student
from tests.browser.conftest import DESKTOP, REQUIRED_BACKGROUND, check_page, save_screenshot

pytestmark = pytest.mark.browser


def background(page: Page, selector: str) -> str:
    return page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")


def test_a_family_edits_the_identity_of_its_second_child(
    family_page: Page, family: Family, children: list[Student]
) -> None:
    gaelle, hugo = children
    page = family_page
    page.goto("/famille/accueil/")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Elèves").click()

    expect(page).to_have_url(re.compile(rf"/eleves/{gaelle.pk}/identite/$"))
    selector = page.get_by_label("Elève", exact=True)
    expect(selector.locator("option")).to_have_text(["TEST Gaëlle", "TEST Hugo"])
    selector.select_option(label="TEST Hugo")
    page.get_by_role("button", name="Afficher").click()

    expect(page).to_have_url(re.compile(rf"/eleves/{hugo.pk}/identite/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("TEST Hugo")
    check_page(page)
    save_screenshot(page, "identite")

    for name in ("nom", "prenom", "date_naissance", "personne_a_prevenir", "tel_urgence"):
        expect(page.locator(f"#id_{name}")).to_have_attribute("aria-required", "true")
        assert background(page, f"#id_{name}") == REQUIRED_BACKGROUND, name
    expect(page.locator("#id_lieu_naissance")).not_to_have_attribute("aria-required", "true")
    assert background(page, "#id_lieu_naissance") == "rgb(255, 255, 255)"

    contact = page.get_by_label("Personne à prévenir")
    contact.fill("")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator("#div_id_personne_a_prevenir .invalid-feedback")).to_have_text(
        "Ce champ est obligatoire."
    )
    expect(page.locator(".message-success")).to_have_count(0)
    hugo.refresh_from_db()
    assert hugo.personne_a_prevenir == "Claire Famille"
    check_page(page)

    contact.fill("Jean Dupont")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator(".message-success")).to_have_text("Éléments modifiés")
    expect(contact).to_have_value("Jean Dupont")
    hugo.refresh_from_db()
    assert hugo.personne_a_prevenir == "Jean Dupont"

    page.get_by_role("group", name="Droit à l'image").get_by_label("Oui").check()
    page.get_by_label("Niveau scolaire").select_option(label="CM1")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator(".message-success")).to_have_text("Éléments modifiés")
    expect(page.get_by_role("group", name="Droit à l'image").get_by_label("Oui")).to_be_checked()
    expect(page.get_by_label("Niveau scolaire")).to_have_value("cm1")
    hugo.refresh_from_db()
    assert hugo.droit_image is True
    assert SchoolLevel.objects.get(student=hugo).niveau == "cm1"
    gaelle.refresh_from_db()
    assert gaelle.personne_a_prevenir == "Claire Famille"
    check_page(page)

    page.set_viewport_size(DESKTOP)
    check_page(page)
