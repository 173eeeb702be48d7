"""Invoices, credit notes and receipts as PDF: what a family reads in them, on unsaved rows."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from billing import pdf
from billing.models import BillingSettings, Instalment, Invoice, InvoiceLine, Payment
from billing.pdf import euros, invoice_pdf, receipt_pdf
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student

LEGAL_MENTION = (
    "Facture à régler avant le 31/12/2026. Pas d'escompte pour paiement anticipé. "
    "En cas de retard de paiement, le recouvrement est confié au comptable public."
)


def text_of(data: bytes) -> str:
    """The text of every page, spaces made plain and lines joined, as a reader would copy it."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pages_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def site() -> Site:
    site = Site(
        name="Moissy-Cramayel",
        institution="Conservatoire de Moissy-Cramayel",
        address="2 place du 19 mars 1962",
        postal_code="77550",
        city="Moissy-Cramayel",
        phone="01 64 88 15 00",
        email="conservatoire@example.org",
    )
    # Assigning the site caches site.billing, as select_related("site__billing") would.
    BillingSettings(
        site=site,
        legal_name="Communauté d'agglomération Grand Paris Sud",
        legal_details="SIRET 200 059 228 00018\nTrésorerie de Melun Val de Seine",
    )
    return site


@pytest.fixture
def family(site: Site) -> Family:
    return Family(site=site, nom="DUPONT", prenom="Élodie")


@pytest.fixture
def invoice(site: Site, family: Family) -> Invoice:
    return Invoice(
        site=site,
        family=family,
        school_year=SchoolYear(label="2026/2027"),
        kind=Invoice.Kind.COTISATION,
        number="F2026-00042",
        label="Cotisation 2026/2027",
        issued_at=datetime.date(2026, 9, 15),
        due_date=datetime.date(2026, 12, 31),
        total=Decimal("1468.00"),
        billing_name="Mme Élodie DUPONT",
        billing_address="12 rue de l'Église\n77550 Moissy-Cramayel",
    )


@pytest.fixture
def lines(invoice: Invoice, family: Family) -> list[InvoiceLine]:
    gaelle = Student(family=family, nom="Dupont", prenom="Gaëlle")
    return [
        InvoiceLine(invoice=invoice, student=gaelle, label="Piano, 1er cycle", amount=Decimal(300)),
        InvoiceLine(invoice=invoice, label="Formation musicale adulte", amount=Decimal(1000)),
        InvoiceLine(invoice=invoice, label="Location de violon", amount=Decimal("168.00")),
    ]


@pytest.fixture
def payments(invoice: Invoice, site: Site, family: Family) -> list[Payment]:
    return [
        Payment(
            site=site,
            family=family,
            invoice=invoice,
            date=datetime.date(2026, 9, 20),
            mode=Payment.Mode.EN_LIGNE,
            operation_number="000123",
            receipt_number="R2026-00007",
            amount=Decimal("300.00"),
        ),
        Payment(
            site=site,
            family=family,
            invoice=invoice,
            date=datetime.date(2026, 10, 2),
            mode=Payment.Mode.ANCV,
            receipt_number="R2026-00015",
            amount=Decimal("1000.00"),
        ),
    ]


@pytest.fixture
def instalments(invoice: Invoice) -> list[Instalment]:
    return [
        Instalment(invoice=invoice, due_date=datetime.date(2026, month, 15), amount=amount)
        for month, amount in (
            (10, Decimal("489.34")),
            (11, Decimal("489.33")),
            (12, Decimal("489.33")),
        )
    ]


@pytest.fixture
def rendered(
    invoice: Invoice,
    lines: list[InvoiceLine],
    instalments: list[Instalment],
    payments: list[Payment],
) -> str:
    data = invoice_pdf(
        invoice,
        lines=lines,
        instalments=instalments,
        payments=payments,
        balance=Decimal("168.00"),
    )
    return text_of(data)


@pytest.fixture
def use_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Renders with only the fonts named ("DejaVuSans", "Vera", none: Helvetica)."""

    def use(name: str | None) -> None:
        candidates = tuple(c for c in pdf._FONT_CANDIDATES if c[0] == name)
        if name and not any(regular.is_file() for _, regular, _ in candidates):
            pytest.skip(
                f"{name} is not on this machine (Debian: apt-get install fonts-dejavu-core)"
            )
        monkeypatch.setattr(pdf, "_FONT_CANDIDATES", candidates)
        pdf._fonts.cache_clear()

    yield use
    pdf._fonts.cache_clear()


# Invoices ------------------------------------------------------------------------------------


def test_an_invoice_is_a_one_page_a4_document(
    invoice: Invoice, lines: list[InvoiceLine], payments: list[Payment]
) -> None:
    data = invoice_pdf(invoice, lines=lines, instalments=[], payments=payments, balance=Decimal(0))

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert reader.metadata is not None and reader.metadata.title == "Facture n° F2026-00042"
    # A single page needs no "Page 1 / 1".
    assert "Page 1" not in text_of(data)


def test_an_invoice_shows_the_site_its_number_date_and_school_year(rendered: str) -> None:
    assert "Conservatoire de Moissy-Cramayel" in rendered
    assert "2 place du 19 mars 1962 77550 Moissy-Cramayel Tél. 01 64 88 15 00" in rendered
    assert "conservatoire@example.org" in rendered
    assert "FACTURE n° F2026-00042" in rendered
    assert "Date 15/09/2026" in rendered
    assert "Année scolaire 2026/2027" in rendered
    assert "Objet Cotisation 2026/2027" in rendered


def test_an_invoice_is_addressed_to_the_family_billing_name_and_address(rendered: str) -> None:
    assert "Mme Élodie DUPONT 12 rue de l'Église 77550 Moissy-Cramayel" in rendered


def test_an_invoice_lists_each_line_with_its_amount_and_pupil(rendered: str) -> None:
    assert "Libellé Montant" in rendered
    assert "Piano, 1er cycle Élève : DUPONT Gaëlle 300,00 €" in rendered
    assert "Formation musicale adulte 1 000,00 €" in rendered
    assert "Location de violon 168,00 €" in rendered
    assert "Total 1 468,00 €" in rendered


def test_an_invoice_lists_the_payments_received_and_the_balance(rendered: str) -> None:
    assert "Règlements reçus" in rendered
    assert "20/09/2026 Paiement en ligne R2026-00007 300,00 €" in rendered
    assert "02/10/2026 Chèques vacances ANCV R2026-00015 1 000,00 €" in rendered
    assert "Déjà réglé 1 300,00 €" in rendered
    assert "Solde : reste à payer 168,00 €" in rendered


def test_an_invoice_shows_its_due_date_and_schedule(rendered: str) -> None:
    assert "Échéance 31/12/2026" in rendered
    assert "Échéancier" in rendered
    assert "15/10/2026 489,34 €" in rendered
    assert "15/11/2026 489,33 €" in rendered
    assert "15/12/2026 489,33 €" in rendered


def test_an_invoice_ends_with_the_legal_mentions_of_the_site(rendered: str) -> None:
    assert LEGAL_MENTION in rendered
    assert "Communauté d'agglomération Grand Paris Sud" in rendered
    assert "SIRET 200 059 228 00018 Trésorerie de Melun Val de Seine" in rendered


def test_an_invoice_of_a_site_without_billing_settings_keeps_the_legal_mention(
    family: Family, lines: list[InvoiceLine]
) -> None:
    bare = Site(name="Boulogne-Billancourt")
    invoice = Invoice(
        site=bare,
        family=family,
        school_year=SchoolYear(label="2026/2027"),
        number="F2026-00001",
        label="Cotisation",
        issued_at=datetime.date(2026, 9, 1),
        due_date=datetime.date(2026, 12, 31),
        total=Decimal("300.00"),
        billing_name="M. Paul MARTIN",
        billing_address="",
    )

    text = text_of(
        invoice_pdf(invoice, lines=lines[:1], instalments=[], payments=[], balance=Decimal(300))
    )

    assert "Boulogne-Billancourt" in text
    assert "M. Paul MARTIN" in text
    assert LEGAL_MENTION in text
    assert "Règlements reçus" not in text
    assert "Échéancier" not in text


def test_an_invoice_says_when_it_can_be_paid_online(
    invoice: Invoice, lines: list[InvoiceLine]
) -> None:
    invoice.online_until = datetime.date(2026, 11, 14)

    text = text_of(
        invoice_pdf(invoice, lines=lines, instalments=[], payments=[], balance=Decimal(1468))
    )

    assert "Paiement en ligne par carte bancaire possible" in text
    assert "jusqu'au 14/11/2026" in text


def test_a_paid_invoice_says_nothing_is_left_to_pay(
    invoice: Invoice, lines: list[InvoiceLine]
) -> None:
    text = text_of(
        invoice_pdf(invoice, lines=lines, instalments=[], payments=[], balance=Decimal(0))
    )

    assert "Solde : rien à payer 0,00 €" in text


def test_a_credit_note_is_titled_avoir_and_names_the_invoice_it_cancels(
    invoice: Invoice, family: Family
) -> None:
    credit = Invoice(
        site=invoice.site,
        family=family,
        school_year=invoice.school_year,
        number="A2026-00003",
        label="Remboursement du 3e trimestre",
        issued_at=datetime.date(2026, 10, 1),
        due_date=datetime.date(2026, 10, 1),
        total=Decimal("-95.00"),
        credit_note_of=invoice,
        billing_name=invoice.billing_name,
        billing_address=invoice.billing_address,
    )
    line = InvoiceLine(invoice=credit, label="Trimestre non suivi", amount=Decimal("-95.00"))

    data = invoice_pdf(credit, lines=[line], instalments=[], payments=[], balance=Decimal(-95))

    text = text_of(data)
    assert "AVOIR n° A2026-00003" in text
    assert "FACTURE" not in text
    assert "Avoir sur la facture n° F2026-00042 du 15/09/2026" in text
    assert "Trimestre non suivi -95,00 €" in text
    assert "Total de l'avoir -95,00 €" in text
    assert "Solde en votre faveur 95,00 €" in text
    assert "Facture à régler" not in text


def test_a_long_invoice_flows_onto_numbered_pages_repeating_the_table_header(
    invoice: Invoice,
) -> None:
    lines = [
        InvoiceLine(invoice=invoice, label=f"Cours numéro {n:03}", amount=Decimal("10.00"))
        for n in range(1, 101)
    ]
    invoice.total = Decimal("1000.00")

    data = invoice_pdf(invoice, lines=lines, instalments=[], payments=[], balance=Decimal(1000))

    pages = pages_of(data)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {len(pages)}" in page
        assert "Libellé" in page
    text = text_of(data)
    for n in range(1, 101):
        assert f"Cours numéro {n:03} 10,00 €" in text
    assert "Total 1 000,00 €" in text
    assert LEGAL_MENTION in text


def test_names_with_markup_characters_are_printed_as_typed(
    invoice: Invoice, family: Family
) -> None:
    invoice.billing_name = "M. & Mme <Dupont> </para>"
    invoice.billing_address = "Résidence <Les Pins> & Co\n77550 Moissy"
    pupil = Student(family=family, nom="O'Brien & <Co>", prenom="<b>Léa</b>")
    line = InvoiceLine(
        invoice=invoice, student=pupil, label="Piano <avancé> & chant", amount=Decimal(5)
    )

    text = text_of(
        invoice_pdf(invoice, lines=[line], instalments=[], payments=[], balance=Decimal(5))
    )

    assert "M. & Mme <Dupont> </para>" in text
    assert "Résidence <Les Pins> & Co 77550 Moissy" in text
    assert "Piano <avancé> & chant" in text
    assert "O'BRIEN & <CO> <b>Léa</b>" in text


def test_an_invoice_is_in_french_when_the_portal_speaks_english(
    invoice: Invoice,
    lines: list[InvoiceLine],
    payments: list[Payment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Labels of choices follow the active language; whether the English catalogue has this one
    # yet or not, the label must be asked for in French.
    monkeypatch.setattr(
        Payment,
        "get_mode_display",
        lambda self: "Paiement en ligne" if translation.get_language() == "fr" else "Online",
    )
    with translation.override("en"):
        data = invoice_pdf(
            invoice, lines=lines, instalments=[], payments=payments, balance=Decimal(0)
        )

    assert "20/09/2026 Paiement en ligne" in text_of(data)


# Receipts ------------------------------------------------------------------------------------


def test_a_receipt_shows_the_payment_and_the_invoice_it_pays(
    invoice: Invoice, payments: list[Payment]
) -> None:
    data = receipt_pdf(payments[0], invoice=invoice, balance=Decimal("1168.00"))

    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = text_of(data)
    assert "Conservatoire de Moissy-Cramayel" in text
    assert "REÇU n° R2026-00007" in text
    assert "Date du règlement 20/09/2026" in text
    assert "Reçu de Mme Élodie DUPONT" in text
    assert "Montant reçu 300,00 €" in text
    assert "Mode de règlement Paiement en ligne" in text
    assert "Numéro d'opération 000123" in text
    assert "la facture n° F2026-00042 du 15/09/2026 Cotisation 2026/2027" in text
    assert "Solde : reste à payer 1 168,00 €" in text
    assert "Pour acquit, le 20/09/2026." in text
    assert "SIRET 200 059 228 00018" in text


def test_a_receipt_without_operation_number_shows_a_dash(
    invoice: Invoice, payments: list[Payment]
) -> None:
    text = text_of(receipt_pdf(payments[1], invoice=invoice, balance=Decimal(0)))

    assert "Mode de règlement Chèques vacances ANCV" in text
    assert "Numéro d'opération —" in text


# Fonts ---------------------------------------------------------------------------------------


# Font registered -> the PostScript names in the PDF; "AAAAAA+" marks an embedded subset.
BASE_FONTS = {
    "DejaVuSans": {"AAAAAA+DejaVuSans", "AAAAAA+DejaVuSans-Bold"},
    "Vera": {"AAAAAA+BitstreamVeraSans-Roman", "AAAAAA+BitstreamVeraSans-Bold"},
    None: {"Helvetica", "Helvetica-Bold"},
}


@pytest.mark.parametrize("font", ["DejaVuSans", "Vera", None])
def test_accents_and_the_euro_sign_survive_in_every_font(
    use_font: Any,
    font: str | None,
    invoice: Invoice,
    lines: list[InvoiceLine],
    instalments: list[Instalment],
    payments: list[Payment],
) -> None:
    use_font(font)

    data = invoice_pdf(
        invoice, lines=lines, instalments=instalments, payments=payments, balance=Decimal(168)
    )
    receipt = receipt_pdf(payments[0], invoice=invoice, balance=Decimal(168))

    text = text_of(data)
    assert "Échéancier" in text
    assert "Élève : DUPONT Gaëlle" in text
    assert "1 468,00 €" in text
    assert "REÇU n° R2026-00007" in text_of(receipt)
    resources = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values()
    assert {str(used["/BaseFont"]).lstrip("/") for used in resources} == BASE_FONTS[font]


def test_dejavu_sans_is_used_when_the_machine_has_it() -> None:
    if not any(
        regular.is_file() for name, regular, _ in pdf._FONT_CANDIDATES if name == "DejaVuSans"
    ):
        pytest.skip(
            "DejaVu Sans is not on this machine (Debian: apt-get install fonts-dejavu-core)"
        )

    assert pdf._fonts().regular == "DejaVuSans"


# Amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal(0), "0,00 €"),
        (Decimal("5.5"), "5,50 €"),
        (Decimal("1234.5"), "1 234,50 €"),
        (Decimal(-95), "-95,00 €"),
        (Decimal("168.00"), "168,00 €"),
        (Decimal("1234567.891"), "1 234 567,89 €"),
        (Decimal("0.005"), "0,01 €"),
        (Decimal("-0.001"), "0,00 €"),
    ],
)
def test_euros_writes_amounts_the_french_way(amount: Decimal, expected: str) -> None:
    assert euros(amount).replace("\u202f", " ").replace("\u00a0", " ") == expected


def test_euros_never_breaks_an_amount_across_lines() -> None:
    assert euros(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
