"""Mes données: the family reads what is kept and downloads all of it."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from families.models import Family
from tests.browser.conftest import assert_stacked_cells_aligned, check_page, save_screenshot
from tests.factories import BillingSettingsFactory, InvoiceFactory, InvoiceLineFactory

pytestmark = pytest.mark.browser


def test_the_family_downloads_all_its_data(
    family_page: Page, family: Family, tmp_path: Path
) -> None:
    BillingSettingsFactory(site=family.site)
    invoice = InvoiceFactory(family=family, number="FACT-2026-0001", total=Decimal("300.00"))
    InvoiceLineFactory(invoice=invoice)
    page = family_page
    page.goto("/famille/accueil/")
    page.get_by_role("contentinfo").get_by_role("link", name="Mes données").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    expect(page.get_by_text("Supprimées 365 jours après la clôture")).to_be_visible()
    check_page(page)
    assert_stacked_cells_aligned(page)
    save_screenshot(page, "my_data")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger mes données").click()
    download = download_info.value
    assert download.suggested_filename.startswith("mes-donnees-moissy-cramayel-")
    assert download.suggested_filename.endswith(".zip")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        record = json.loads(archive.read("family.json"))
        assert (record["nom"], record["prenom"]) == ("TEST", "FAMILLE")
        pupils = json.loads(archive.read("students.json"))
        assert sorted(pupil["prenom"] for pupil in pupils) == ["Gaëlle", "Hugo"]
        assert archive.read("factures/FACT-2026-0001.pdf").startswith(b"%PDF")
