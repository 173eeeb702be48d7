"""Facturation: a parent downloads the invoice, pays it online through the built-in test
gateway (which notifies the live server, as PayZen would), and downloads the receipt."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from billing import services
from billing.models import BillingSettings, Invoice, InvoiceLine, OnlineTransaction, Payment
from extranet.models import SchoolYear
from families.models import Family
from students.models import Student
from tests.browser.conftest import check_page, log_in

pytestmark = pytest.mark.browser


def issue_invoice(family: Family, school_year: SchoolYear, children: list[Student]) -> Invoice:
    """The year's invoice as the secretariat issues it: the next number, a line per child,
    payable online for 60 days. The site has no BillingSettings: the test gateway is used."""
    assert not BillingSettings.objects.filter(site=family.site).exists()
    today = timezone.localdate()
    gaelle, hugo = children
    with transaction.atomic():
        invoice = Invoice.objects.create(
            site=family.site,
            family=family,
            school_year=school_year,
            kind=Invoice.Kind.COTISATION,
            number=services.next_number(site=family.site, year=today.year, prefix="FAC"),
            label=f"Cotisation {school_year.label}",
            issued_at=today,
            due_date=today + datetime.timedelta(days=30),
            online_until=today + datetime.timedelta(days=60),
            total=Decimal("244.50"),
            billing_name=family.display_name,
            billing_address="1 rue de la Mare l'Evêque\n77550 MOISSY CRAMAYEL",
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            student=gaelle,
            label="Gaëlle TEST : Instrument et formation musicale",
            amount=Decimal("180.00"),
        )
        InvoiceLine.objects.create(
            invoice=invoice,
            student=hugo,
            label="Hugo TEST : Formation musicale seule (-10 %)",
            amount=Decimal("64.50"),
        )
    return invoice


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def download(page: Page, link: Locator) -> tuple[str, str]:
    """Click a PDF link; return the file name offered and the text of the PDF."""
    with page.expect_download() as info:
        link.click()
    pdf = info.value
    assert pdf.failure() is None
    return pdf.suggested_filename, pdf_text(Path(pdf.path()))


def open_billing(page: Page) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Facturation"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Facturation")


def totals(page: Page) -> Locator:
    return page.locator("dl.totals dd")


def test_a_parent_downloads_the_invoice_pays_it_online_and_gets_the_receipt(
    page: Page,
    family: Family,
    children: list[Student],
    school_year: SchoolYear,
    mailoutbox: list[EmailMessage],
) -> None:
    invoice = issue_invoice(family, school_year, children)

    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
    open_billing(page)

    ledger = page.get_by_role("table", name="Factures et règlements")
    expect(ledger.locator("tbody tr")).to_have_count(1)
    expect(totals(page)).to_have_text(["244,50 €", "0,00 €", "244,50 €"])
    to_pay = page.get_by_role("region", name=re.compile(r"^Montant à payer"))
    expect(to_pay.get_by_role("heading")).to_have_text(
        f"Montant à payer : 244,50 € ({invoice.number})"
    )
    check_page(page)

    name, text = download(page, ledger.get_by_role("link", name=f"Cotisation {school_year.label}"))
    assert name == f"{invoice.number}.pdf"
    assert invoice.number in text

    to_pay.get_by_role("button", name="Paiement en ligne").click()

    expect(page).to_have_url(re.compile(r"/facturation/passerelle-test/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Passerelle de paiement de test")
    expect(page.locator(".lead")).to_contain_text("Montant : 244,50 €")
    check_page(page)
    page.get_by_role("button", name="Paiement accepté").click()

    expect(page).to_have_url(re.compile(r"/facturation/paiement/retour/"))
    expect(page.locator(".message-success")).to_have_text(
        "Paiement de 244,50 € accepté. Merci ! Votre reçu est disponible dans l'onglet Facturation."
    )
    check_page(page)
    tx = OnlineTransaction.objects.get()
    assert tx.status == OnlineTransaction.Status.PAID
    payment = Payment.objects.get()
    assert (payment.invoice, payment.amount, payment.mode) == (
        invoice,
        Decimal("244.50"),
        Payment.Mode.EN_LIGNE,
    )
    assert [message.to for message in mailoutbox] == [[family.email]]

    open_billing(page)

    solde = page.locator("dl.totals div").filter(has_text="Solde")
    expect(solde.locator("dd")).to_have_text("0,00 €")
    expect(totals(page)).to_have_text(["244,50 €", "244,50 €", "0,00 €"])
    receipt = ledger.locator("tbody tr").filter(has_text=f"Reçu {payment.receipt_number}")
    expect(receipt.locator("td")).to_have_text(
        [
            timezone.localdate().strftime("%d/%m/%Y"),
            "Paiement en ligne",
            f"Paiement en ligne {tx.trans_id}",
            f"Reçu {payment.receipt_number} (PDF)",
            "",
            "244,50 €",
            "",
        ]
    )
    expect(page.get_by_role("region", name=re.compile(r"^Montant à payer"))).to_have_count(0)
    check_page(page)

    name, text = download(page, receipt.get_by_role("link"))
    assert name == f"{payment.receipt_number}.pdf"
    assert payment.receipt_number in text
    assert invoice.number in text


def test_without_javascript_the_parent_continues_to_the_gateway_and_can_give_up(
    page: Page, family: Family, children: list[Student], school_year: SchoolYear
) -> None:
    """The page that sends the payment form to the bank, shown when scripts do not run."""
    invoice = issue_invoice(family, school_year, children)
    page.route("**/autosubmit.js", lambda route: route.abort())

    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
    open_billing(page)
    page.get_by_role("button", name="Paiement en ligne").click()

    expect(page).to_have_url(re.compile(rf"/facturation/factures/{invoice.pk}/payer/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Paiement en ligne")
    expect(page.locator(".narrow p").first).to_have_text(
        "Vous allez payer 244,50 € sur la page sécurisée de la banque."
    )
    check_page(page)
    page.get_by_role("button", name="Continuer vers le paiement sécurisé").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Passerelle de paiement de test")
    check_page(page)
    page.get_by_role("button", name="Abandon").click()

    expect(page.locator(".notice")).to_have_text("Paiement abandonné : rien n'a été débité.")
    check_page(page)
    assert OnlineTransaction.objects.get().status == OnlineTransaction.Status.ABANDONED
    page.get_by_role("link", name="Retour à la facturation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Facturation")
    expect(totals(page)).to_have_text(["244,50 €", "0,00 €", "244,50 €"])
    expect(page.get_by_role("button", name="Paiement en ligne")).to_be_visible()
    check_page(page)
    assert not Payment.objects.exists()
