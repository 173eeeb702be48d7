"""Famille: the responsible updates the record, and is told clearly what is wrong."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from families.models import Family
from tests.browser.conftest import REQUIRED_BACKGROUND, assert_visible_focus, check_page

pytestmark = pytest.mark.browser


def test_the_responsible_updates_the_record_and_sees_errors_next_to_the_field(
    family_page: Page, family: Family
) -> None:
    page = family_page
    page.goto("/famille/accueil/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Famille"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Famille : Responsable")
    check_page(page)
    page.get_by_label("Mobile").fill("0611223344")
    page.get_by_label("Ville").fill("LIEUSAINT")
    page.keyboard.press("Shift+Tab")  # Back to Code postal, a required (yellow) field.
    expect(page.get_by_label("Code postal")).to_be_focused()
    assert_visible_focus(page, REQUIRED_BACKGROUND)
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator(".message-success")).to_have_text("Éléments modifiés")
    expect(page.get_by_label("Mobile")).to_have_value("06 11 22 33 44")
    expect(page.get_by_label("Ville")).to_have_value("LIEUSAINT")
    family.refresh_from_db()
    assert (family.mobile, family.ville) == ("06 11 22 33 44", "LIEUSAINT")
    check_page(page)

    postal_code = page.get_by_label("Code postal")
    postal_code.fill("ABC")
    page.get_by_role("button", name="Enregistrer").click()

    message = "Code postal invalide : 5 chiffres, par exemple 77550."
    expect(page.locator("#div_id_code_postal .invalid-feedback")).to_have_text(message)
    expect(postal_code).to_have_value("ABC")
    expect(postal_code).to_have_attribute("aria-invalid", "true")
    expect(postal_code).to_have_accessible_description(message)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    form_top = page.locator("form.card").bounding_box()["y"]
    assert summary.bounding_box()["y"] < form_top, "the error summary is not above the form"
    link = summary.get_by_role("link", name=f"Code postal : {message}")
    expect(link).to_have_attribute("href", "#id_code_postal")
    check_page(page)

    link.click()
    expect(postal_code).to_be_focused()
    family.refresh_from_db()
    assert family.code_postal == "77550"
