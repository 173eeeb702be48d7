"""The Facturation tab: a school year's invoices and payments, totals in French form, online
payment while it is open, and the PDFs, for the family only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import BillingSettings, Invoice, Payment
from extranet.models import SchoolYear, User
from families.models import Family
from tests.billing.helpers import pdf_text
from tests.factories import InvoiceFactory, PaymentFactory, SchoolYearFactory
from tests.html import attr, find, find_all, page, text

URL = "/facturation/"
HEADERS = [
    "Date",
    "Mode de règlement",
    "Numéro d'opération",
    "Libellé",
    "Débit",
    "Crédit",
    "Remise",
]


def table(response: HttpResponse) -> list[list[str]]:
    document = page(response)
    assert [text(th) for th in find_all(document, "th")] == HEADERS
    return [
        [text(td) for td in find_all(tr, "td")] for tr in find_all(find(document, "tbody"), "tr")
    ]


def totals(response: HttpResponse) -> dict[str, str]:
    facts = find(page(response), "dl")
    return {text(div.children[0]): text(div.children[1]) for div in find_all(facts, "div")}


def to_pay(response: HttpResponse) -> list[str]:
    return [text(h3) for h3 in find_all(page(response), "h3")]


def buttons(response: HttpResponse) -> list[str]:
    return [
        text(b)
        for b in find_all(page(response), "button", type="submit")
        if attr(b, "name") == "instalments"
    ]


@pytest.fixture
def paid_in_part(alice_invoice: Invoice) -> tuple[Payment, Payment]:
    """A cheque of 80 € and a discount of 15 € against alice's 300 €."""
    cheque = PaymentFactory(
        invoice=alice_invoice,
        amount=Decimal("80.00"),
        operation_number="Chèque n°1234567",
        date=alice_invoice.issued_at + datetime.timedelta(days=1),
    )
    discount = PaymentFactory(
        invoice=alice_invoice,
        amount=Decimal("15.00"),
        mode=Payment.Mode.REMISE,
        date=alice_invoice.issued_at + datetime.timedelta(days=2),
    )
    return cheque, discount


def test_it_lists_invoices_and_payments_with_french_amounts(
    alice_client: Client, alice_invoice: Invoice, paid_in_part: tuple[Payment, Payment]
) -> None:
    cheque, discount = paid_in_part

    response = alice_client.get(URL)

    day = alice_invoice.issued_at
    assert table(response) == [
        [
            (day + datetime.timedelta(days=2)).strftime("%d/%m/%Y"),
            "Remise",
            discount.receipt_number,
            f"Reçu {discount.receipt_number} (PDF)",
            "",
            "",
            "15,00 €",
        ],
        [
            (day + datetime.timedelta(days=1)).strftime("%d/%m/%Y"),
            "Chèque",
            "Chèque n°1234567",
            f"Reçu {cheque.receipt_number} (PDF)",
            "",
            "80,00 €",
            "",
        ],
        [
            day.strftime("%d/%m/%Y"),
            "-",
            alice_invoice.number,
            "Premier appel de cotisation (PDF)",
            "300,00 €",
            "",
            "",
        ],
    ]
    assert totals(response) == {
        "Montant total facturé": "300,00 €",
        "Montant total réglé": "95,00 €",
        "Solde": "205,00 €",
    }
    assert to_pay(response) == [f"Montant à payer : 205,00 € ({alice_invoice.number})"]


def test_a_credit_note_lowers_what_was_billed(alice_client: Client, alice_invoice: Invoice) -> None:
    note = services.credit_note_issue(invoice=alice_invoice, amount=Decimal(50), reason="Erreur")

    response = alice_client.get(URL)

    rows = {row[2]: row for row in table(response)}
    assert rows[note.number][4:] == ["", "50,00 €", ""]
    assert totals(response)["Montant total facturé"] == "250,00 €"
    assert totals(response)["Solde"] == "250,00 €"
    assert to_pay(response) == [f"Montant à payer : 250,00 € ({alice_invoice.number})"]


def test_an_invoice_paid_in_full_has_nothing_left_to_pay(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("300.00"))

    response = alice_client.get(URL)

    assert totals(response)["Solde"] == "0,00 €"
    assert to_pay(response) == []
    assert buttons(response) == []


def test_thousands_are_grouped_the_french_way(
    alice_client: Client, alice: Family, school_year: SchoolYear, billing_settings: BillingSettings
) -> None:
    InvoiceFactory(family=alice, school_year=school_year, total=Decimal("1234.50"))

    response = alice_client.get(URL)

    assert totals(response)["Montant total facturé"] == "1 234,50 €"


def test_it_shows_the_chosen_school_year(
    alice_client: Client, alice: Family, alice_invoice: Invoice, school_year: SchoolYear
) -> None:
    last_year = SchoolYearFactory(
        start_date=school_year.start_date.replace(year=school_year.start_date.year - 1)
    )
    old = InvoiceFactory(
        family=alice,
        school_year=last_year,
        label="Cotisation de l'an passé",
        total=Decimal("120.00"),
    )

    current = alice_client.get(URL)
    chosen = alice_client.get(URL, {"annee": last_year.pk})

    options = find_all(find(page(current), "select", name="annee"), "option")
    assert [text(o) for o in options] == [school_year.label, last_year.label]
    assert [row[2] for row in table(current)] == [alice_invoice.number]
    assert [row[2] for row in table(chosen)] == [old.number]
    assert totals(chosen)["Montant total facturé"] == "120,00 €"
    selected = find(page(chosen), "option", value=str(last_year.pk))
    assert attr(selected, "selected") is not None
    assert f"Facturation {last_year.label}" in text(page(chosen))


@pytest.mark.parametrize("value", ["abc", "999999", "1 OR 1=1", "\x00"])
def test_an_unknown_year_falls_back_to_the_current_one(
    alice_client: Client, alice_invoice: Invoice, value: str
) -> None:
    response = alice_client.get(URL, {"annee": value, "onglet": value})

    assert response.status_code == 200
    assert [row[2] for row in table(response)] == [alice_invoice.number]


def test_rentals_are_billed_under_their_own_sub_tab(
    alice_client: Client, alice: Family, alice_invoice: Invoice, school_year: SchoolYear
) -> None:
    rental = InvoiceFactory(
        family=alice,
        school_year=school_year,
        kind=Invoice.Kind.LOCATION,
        label="Location violon",
        total=Decimal("90.00"),
    )

    contributions = alice_client.get(URL, {"onglet": "cotisation"})
    rentals = alice_client.get(URL, {"onglet": "location"})

    assert [row[2] for row in table(contributions)] == [alice_invoice.number]
    assert [row[2] for row in table(rentals)] == [rental.number]
    assert totals(rentals)["Montant total facturé"] == "90,00 €"
    subtabs = find(page(rentals), "ul", class_="subtabs")
    assert text(find(subtabs, "a", **{"aria-current": "page"})) == "Facturation locations"
    links = [text(a) for a in find_all(subtabs, "a")]
    assert links == ["Facturation cotisations", "Facturation locations"]


def test_the_search_keeps_the_matching_lines(
    alice_client: Client, alice_invoice: Invoice, paid_in_part: tuple[Payment, Payment]
) -> None:
    cheque, _discount = paid_in_part

    response = alice_client.get(URL, {"q": "1234567"})

    assert [row[3] for row in table(response)] == [f"Reçu {cheque.receipt_number} (PDF)"]
    assert attr(find(page(response), "input", name="q"), "value") == "1234567"
    # The totals are the year's, whatever the search.
    assert totals(response)["Montant total réglé"] == "95,00 €"


def test_the_search_ignores_case_and_says_when_nothing_matches(
    alice_client: Client, alice_invoice: Invoice, paid_in_part: tuple[Payment, Payment]
) -> None:
    matched = alice_client.get(URL, {"q": "REMISE"})
    nothing = alice_client.get(URL, {"q": "harpe"})

    assert [row[1] for row in table(matched)] == ["Remise"]
    assert "Aucune ligne ne correspond à la recherche." in text(page(nothing))


def test_it_shows_only_the_familys_own_invoices(
    alice_client: Client, alice_invoice: Invoice, bob: Family, school_year: SchoolYear
) -> None:
    bobs = InvoiceFactory(family=bob, school_year=school_year)
    PaymentFactory(invoice=bobs)

    response = alice_client.get(URL)

    assert bobs.number not in response.text
    assert [row[2] for row in table(response)] == [alice_invoice.number]


def test_a_year_without_invoices_says_so(
    alice_client: Client, alice: Family, school_year: SchoolYear
) -> None:
    response = alice_client.get(URL)

    assert "Aucune facture pour cette année." in text(page(response))
    assert totals(response)["Solde"] == "0,00 €"


# Online payment ---------------------------------------------------------------------------


def test_the_online_payment_button_shows_while_it_is_open(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    response = alice_client.get(URL)

    form = find(page(response), "form", action=f"/facturation/factures/{alice_invoice.pk}/payer/")
    assert attr(form, "method") == "post"
    assert buttons(response) == ["Paiement en ligne", "Payer en 3 fois"]
    until = alice_invoice.online_until.strftime("%d/%m/%Y")
    assert f"Paiement en ligne par carte bancaire possible jusqu'au {until}." in text(
        page(response)
    )


def test_after_the_deadline_the_family_is_asked_to_call_the_secretariat(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    alice_invoice.online_until = timezone.localdate() - datetime.timedelta(days=1)
    alice_invoice.save()

    response = alice_client.get(URL)

    assert buttons(response) == []
    assert not find_all(
        page(response), "form", action=f"/facturation/factures/{alice_invoice.pk}/payer/"
    )
    until = alice_invoice.online_until.strftime("%d/%m/%Y")
    assert (
        f"La date limite du paiement en ligne ({until}) est passée : contactez rapidement le "
        "secrétariat (01 64 88 15 00, conservatoire@example.org) pour régler cette facture."
    ) in text(page(response))


def test_the_last_day_is_still_open(alice_client: Client, alice_invoice: Invoice) -> None:
    alice_invoice.online_until = timezone.localdate()
    alice_invoice.save()

    assert "Paiement en ligne" in buttons(alice_client.get(URL))


@pytest.mark.parametrize(
    ("paid", "shown"),
    [("150.00", True), ("149.99", True), ("150.01", False), ("200.00", False)],
)
def test_three_instalments_are_offered_from_the_threshold(
    alice_client: Client,
    alice_invoice: Invoice,
    billing_settings: BillingSettings,
    paid: str,
    shown: bool,
) -> None:
    # 300 € less what was paid: 150.00, 150.01, 149.99, 100.00 left for a threshold of 150.
    PaymentFactory(invoice=alice_invoice, amount=Decimal(paid))
    assert billing_settings.multi_threshold == Decimal("150.00")

    assert ("Payer en 3 fois" in buttons(alice_client.get(URL))) is shown


def test_the_threshold_is_the_sites(
    alice_client: Client, alice_invoice: Invoice, billing_settings: BillingSettings
) -> None:
    billing_settings.multi_threshold = Decimal("300.01")
    billing_settings.save()

    assert buttons(alice_client.get(URL)) == ["Paiement en ligne"]


# PDFs -------------------------------------------------------------------------------------


def assert_pdf_of(response: HttpResponse, number: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert number in pdf_text(response.content)


def test_the_family_downloads_its_invoice_from_the_tab(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    link = find(
        page(alice_client.get(URL)), "a", href=f"/facturation/factures/{alice_invoice.pk}/pdf/"
    )

    response = alice_client.get(attr(link, "href"))

    assert_pdf_of(response, alice_invoice.number)
    assert response["Cache-Control"] == "private, no-store"


def test_the_family_downloads_its_receipt_from_the_tab(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    payment = services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal(100))
    link = find(page(alice_client.get(URL)), "a", href=f"/facturation/recus/{payment.pk}/pdf/")

    assert_pdf_of(alice_client.get(attr(link, "href")), payment.receipt_number)


def test_a_credit_note_downloads_as_a_pdf_too(alice_client: Client, alice_invoice: Invoice) -> None:
    note = services.credit_note_issue(invoice=alice_invoice, amount=Decimal(50), reason="Erreur")

    assert_pdf_of(alice_client.get(f"/facturation/factures/{note.pk}/pdf/"), note.number)


def test_another_family_cannot_download_them(bob_client: Client, alice_invoice: Invoice) -> None:
    payment = PaymentFactory(invoice=alice_invoice)

    assert bob_client.get(f"/facturation/factures/{alice_invoice.pk}/pdf/").status_code == 404
    assert bob_client.get(f"/facturation/recus/{payment.pk}/pdf/").status_code == 404


def test_a_visitor_is_sent_to_the_login_page(client: Client, alice_invoice: Invoice) -> None:
    payment = PaymentFactory(invoice=alice_invoice)

    for url in (
        URL,
        f"/facturation/factures/{alice_invoice.pk}/pdf/",
        f"/facturation/recus/{payment.pk}/pdf/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/connexion/?next={url}"


def test_the_sites_staff_download_them_from_the_admin(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    payment = services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal(100))

    assert_pdf_of(
        staff_client.get(f"/admin/billing/invoice/{alice_invoice.pk}/pdf/"), alice_invoice.number
    )
    assert_pdf_of(
        staff_client.get(f"/admin/billing/payment/{payment.pk}/pdf/"), payment.receipt_number
    )


def test_the_staff_do_not_use_the_familys_urls(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    assert staff_client.get(f"/facturation/factures/{alice_invoice.pk}/pdf/").status_code == 404


def test_staff_of_another_site_cannot_download_them(
    charlie_client: Client, alice_invoice: Invoice
) -> None:
    payment = PaymentFactory(invoice=alice_invoice)

    for url in (
        f"/admin/billing/invoice/{alice_invoice.pk}/pdf/",
        f"/admin/billing/payment/{payment.pk}/pdf/",
        f"/facturation/factures/{alice_invoice.pk}/pdf/",
        f"/facturation/recus/{payment.pk}/pdf/",
    ):
        assert charlie_client.get(url).status_code == 404, url


def test_a_family_cannot_use_the_admin_pdf_urls(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    response = alice_client.get(f"/admin/billing/invoice/{alice_invoice.pk}/pdf/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_tab_is_for_families_only(client_for, charlie: User, teacher: User) -> None:
    for user in (charlie, teacher):
        assert client_for(user).get(URL).status_code == 404
