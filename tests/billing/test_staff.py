"""The secretariat's billing work in the admin: generate the year's invoices, follow the unpaid
ones, export for the accounts, record payments; always within its own site."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import BillingSettings, Invoice, OnlineTransaction, Payment, TariffGrid
from courses.models import Course
from extranet.models import SchoolYear, Site, User
from families.models import Family
from students.models import Student
from tests.billing.helpers import enrol
from tests.factories import InvoiceFactory, PaymentFactory, UserFactory
from tests.html import find, find_all, page, text

YEAR = timezone.localdate().year
GENERATE = "/admin/billing/invoice/generer/"
UNPAID = "/admin/billing/invoice/impayes/"


def listed(response, model: str) -> set[int]:
    """The ids of the rows of an admin changelist."""
    assert response.status_code == 200
    document = page(response)
    return {
        int(href.split("/")[-3])
        for a in find_all(document, "a")
        if (href := dict(a.attributes).get("href") or "").startswith(f"/admin/billing/{model}/")
        and href.endswith("/change/")
    }


# Generate the year's invoices -------------------------------------------------------------


@pytest.fixture
def pupils(
    grid: TariffGrid,
    billing_settings: BillingSettings,
    alice_student: Student,
    bob_student: Student,
    piano: Course,
    violin: Course,
    school_year: SchoolYear,
) -> None:
    """Gaëlle: piano and violin (QF unknown: 300 + 190); Léo: piano (300)."""
    enrol(alice_student, piano, school_year)
    enrol(alice_student, violin, school_year)
    enrol(bob_student, piano, school_year)


def generate(moissy: Site, school_year: SchoolYear, button: str, **extra: str) -> dict[str, str]:
    return {
        "site": str(moissy.pk),
        "school_year": str(school_year.pk),
        "label": "Premier appel de cotisation",
        "due_date": "2026-10-15",
        "instalments": "3",
        button: "1",
        **extra,
    }


def test_the_staff_preview_the_years_invoices_before_issuing_them(
    staff_client: Client, pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    response = staff_client.post(GENERATE, generate(moissy, school_year, "preview"))

    assert response.status_code == 200
    content = text(page(response))
    assert "Aperçu : 2 facture(s), 790,00 €" in content
    assert "Gaëlle TEST : Instrument et formation musicale : 300,00 €" in content
    assert "Gaëlle TEST : Second instrument : 190,00 €" in content
    # Discounts are between the children of one family: Léo is bob's only child.
    assert "Léo MARTIN : Instrument et formation musicale : 300,00 €" in content
    assert "15/10/2026 : 163,33 €" in content
    assert find(page(response), "input", name="issue")
    assert not Invoice.objects.exists()


def test_the_staff_issue_the_previewed_invoices(
    staff_client: Client, pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    response = staff_client.post(GENERATE, generate(moissy, school_year, "issue"), follow=True)

    assert response.redirect_chain == [("/admin/billing/invoice/", 302)]
    assert "2 factures émises." in text(page(response))
    invoices = Invoice.objects.order_by("number")
    assert [(i.number, i.total) for i in invoices] == [
        (f"FAC{YEAR}-000001", Decimal("490.00")),
        (f"FAC{YEAR}-000002", Decimal("300.00")),
    ]
    assert [i.instalments.count() for i in invoices] == [3, 3]


def test_the_staff_generate_only_for_their_site(
    charlie_client: Client, pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    form = charlie_client.get(GENERATE)
    options = [text(o) for o in find_all(find(page(form), "select", name="site"), "option")]

    response = charlie_client.post(GENERATE, generate(moissy, school_year, "issue"))

    assert "Moissy-Cramayel" not in options
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(page(response))
    assert not Invoice.objects.exists()


def test_generating_without_a_grid_says_why(
    staff_client: Client, billing_settings: BillingSettings, moissy: Site, school_year: SchoolYear
) -> None:
    response = staff_client.post(GENERATE, generate(moissy, school_year, "preview"))

    assert response.status_code == 200
    assert "Aucune grille tarifaire pour ce site et cette année." in text(page(response))


# Unpaid invoices and reminders --------------------------------------------------------------


@pytest.fixture
def bobs_paid_invoice(bob: Family, school_year: SchoolYear) -> Invoice:
    invoice = InvoiceFactory(family=bob, school_year=school_year)
    PaymentFactory(invoice=invoice, amount=Decimal("300.00"))
    return invoice


def test_the_unpaid_list_shows_what_is_left_to_pay(
    staff_client: Client, alice_invoice: Invoice, bobs_paid_invoice: Invoice
) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("100.00"))
    services.credit_note_issue(invoice=alice_invoice, amount=Decimal("20"), reason="Erreur")

    response = staff_client.get(UNPAID)

    rows = [
        [text(td) for td in find_all(tr, "td")]
        for tr in find_all(find(page(response), "tbody"), "tr")
    ]
    assert rows == [
        [
            "",
            alice_invoice.number,
            str(alice_invoice.family),
            alice_invoice.due_date.strftime("%d/%m/%Y"),
            "180,00 €",
        ]
    ]


def test_the_staff_send_reminders_to_the_families_they_tick(
    staff_client: Client,
    alice: Family,
    alice_invoice: Invoice,
    bob: Family,
    school_year: SchoolYear,
    django_capture_on_commit_callbacks,
) -> None:
    InvoiceFactory(family=bob, school_year=school_year)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(UNPAID, {"invoice": [alice_invoice.pk]}, follow=True)

    assert "1 relance envoyée." in text(page(response))
    [email] = mail.outbox
    assert email.to == [alice.email]
    assert email.subject == f"Rappel : facture {alice_invoice.number}"
    assert "présente un solde de 300,00\xa0€" in email.body
    assert "http://testserver/facturation/" in email.body


def test_a_family_without_email_is_reported(
    staff_client: Client, alice: Family, alice_invoice: Invoice, django_capture_on_commit_callbacks
) -> None:
    alice.email = ""
    alice.save()
    alice.account.email = ""
    alice.account.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(UNPAID, {"invoice": [alice_invoice.pk]}, follow=True)

    assert "La famille n'a pas d'adresse e-mail." in text(page(response))
    assert "0 relance envoyée." in text(page(response))
    assert mail.outbox == []


def test_the_reminder_action_skips_paid_invoices(
    staff_client: Client,
    alice_invoice: Invoice,
    bobs_paid_invoice: Invoice,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/billing/invoice/",
            {
                "action": "send_reminders",
                "_selected_action": [alice_invoice.pk, bobs_paid_invoice.pk],
            },
        )

    assert [email.to for email in mail.outbox] == [[alice_invoice.family.email]]


def test_another_sites_staff_neither_see_nor_remind_moissys_unpaid(
    charlie_client: Client, alice_invoice: Invoice, django_capture_on_commit_callbacks
) -> None:
    listing = charlie_client.get(UNPAID)
    with django_capture_on_commit_callbacks(execute=True):
        charlie_client.post(UNPAID, {"invoice": [alice_invoice.pk]})

    assert "Aucun impayé." in text(page(listing))
    assert alice_invoice.number not in listing.content.decode()
    assert mail.outbox == []


# Accounting export ------------------------------------------------------------------------


def test_the_export_lists_the_invoices_and_their_payments(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    payment = PaymentFactory(
        invoice=alice_invoice, amount=Decimal("80.50"), operation_number="Chèque 42"
    )

    response = staff_client.post(
        "/admin/billing/invoice/",
        {"action": "export_csv", "_selected_action": [alice_invoice.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="comptabilite.csv"'
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    day = alice_invoice.issued_at.strftime("%d/%m/%Y")
    assert rows == [
        ["Type", "Date", "Numéro", "Famille", "Libellé", "Mode", "Opération", "Débit", "Crédit"],
        [
            "Facture",
            day,
            alice_invoice.number,
            str(alice_invoice.family),
            "Premier appel de cotisation",
            "",
            "",
            "300,00",
            "",
        ],
        [
            "Règlement",
            payment.date.strftime("%d/%m/%Y"),
            payment.receipt_number,
            str(alice_invoice.family),
            alice_invoice.number,
            "Chèque",
            "Chèque 42",
            "",
            "80,50",
        ],
    ]


# Payments recorded by the staff ----------------------------------------------------------------


def add_payment(client: Client, invoice: Invoice, amount: str, **extra: str):
    return client.post(
        "/admin/billing/payment/add/",
        {
            "invoice": str(invoice.pk),
            "date": timezone.localdate().strftime("%d/%m/%Y"),
            "mode": Payment.Mode.CHEQUE,
            "operation_number": "Chèque n°42",
            "amount": amount,
            "_save": "Enregistrer",
            **extra,
        },
    )


def test_a_payment_added_in_the_admin_gets_a_receipt_number(
    staff_client: Client, alice: Family, alice_invoice: Invoice
) -> None:
    response = add_payment(staff_client, alice_invoice, "120.00")

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert payment.receipt_number == f"RC{YEAR}-000001"
    assert (payment.site, payment.family, payment.amount) == (
        alice_invoice.site,
        alice,
        Decimal("120.00"),
    )
    assert services.invoice_balance(alice_invoice) == Decimal("180.00")


def test_a_payment_cannot_exceed_the_balance(staff_client: Client, alice_invoice: Invoice) -> None:
    PaymentFactory(invoice=alice_invoice, amount=Decimal("100.00"))

    response = add_payment(staff_client, alice_invoice, "200.01")

    assert response.status_code == 200
    assert "Le montant dépasse le solde de la facture." in text(page(response))
    assert Payment.objects.count() == 1
    assert services.invoice_balance(alice_invoice) == Decimal("200.00")


def test_the_whole_balance_can_be_paid(staff_client: Client, alice_invoice: Invoice) -> None:
    response = add_payment(staff_client, alice_invoice, "300.00", mode=Payment.Mode.REMISE)

    assert response.status_code == 302
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")


def test_a_zero_payment_is_refused(staff_client: Client, alice_invoice: Invoice) -> None:
    response = add_payment(staff_client, alice_invoice, "0")

    assert response.status_code == 200
    assert "Le montant doit être positif." in text(page(response))
    assert not Payment.objects.exists()


def test_a_recorded_payment_is_read_only_and_kept(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    payment = services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal(50))

    change = staff_client.post(
        f"/admin/billing/payment/{payment.pk}/change/",
        {"amount": "10.00", "mode": "especes", "_save": "Enregistrer"},
    )
    delete = staff_client.post(f"/admin/billing/payment/{payment.pk}/delete/", {"post": "yes"})

    assert change.status_code in (200, 302)
    assert delete.status_code == 403
    payment.refresh_from_db()
    assert (payment.amount, payment.mode) == (Decimal("50.00"), "cheque")


def test_the_staff_cannot_record_a_payment_on_another_sites_invoice(
    charlie_client: Client, alice_invoice: Invoice
) -> None:
    response = add_payment(charlie_client, alice_invoice, "10.00")

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(page(response))
    assert not Payment.objects.exists()


# Each site's own data ----------------------------------------------------------------------------


@pytest.fixture
def moissy_billing(
    alice: Family, alice_invoice: Invoice
) -> tuple[Invoice, Payment, OnlineTransaction]:
    payment = services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal(50))
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    return alice_invoice, payment, tx


def test_the_sites_staff_see_its_invoices_payments_and_transactions(
    staff_client: Client, moissy_billing: tuple[Invoice, Payment, OnlineTransaction]
) -> None:
    invoice, payment, tx = moissy_billing

    assert listed(staff_client.get("/admin/billing/invoice/"), "invoice") == {invoice.pk}
    assert listed(staff_client.get("/admin/billing/payment/"), "payment") == {payment.pk}
    assert listed(staff_client.get("/admin/billing/onlinetransaction/"), "onlinetransaction") == {
        tx.pk
    }


def test_another_sites_staff_see_none_of_them(
    charlie_client: Client, moissy_billing: tuple[Invoice, Payment, OnlineTransaction]
) -> None:
    invoice, payment, tx = moissy_billing

    assert listed(charlie_client.get("/admin/billing/invoice/"), "invoice") == set()
    assert listed(charlie_client.get("/admin/billing/payment/"), "payment") == set()
    assert (
        listed(charlie_client.get("/admin/billing/onlinetransaction/"), "onlinetransaction")
        == set()
    )
    for url in (
        f"/admin/billing/invoice/{invoice.pk}/change/",
        f"/admin/billing/payment/{payment.pk}/change/",
        f"/admin/billing/onlinetransaction/{tx.pk}/change/",
        f"/admin/billing/invoice/{invoice.pk}/avoir/",
    ):
        response = charlie_client.get(url)
        assert response.status_code in (302, 404), url
        assert invoice.number not in response.content.decode()


def test_another_sites_staff_cannot_issue_a_credit_note(
    charlie_client: Client, alice_invoice: Invoice
) -> None:
    response = charlie_client.post(
        f"/admin/billing/invoice/{alice_invoice.pk}/avoir/", {"amount": "10", "reason": "x"}
    )

    assert response.status_code == 404
    assert Invoice.objects.count() == 1


@pytest.fixture
def clerk(moissy: Site) -> User:
    """A staff account of Moissy without any billing permission."""
    user = UserFactory(site=moissy, username="accueil", kind=User.Kind.STAFF, is_staff=True)
    user.staff_sites.set([moissy])
    return user


def test_staff_without_billing_permissions_are_refused(
    client_for, clerk: User, alice_invoice: Invoice
) -> None:
    payment = PaymentFactory(invoice=alice_invoice)
    client = client_for(clerk)

    for url in (
        f"/admin/billing/invoice/{alice_invoice.pk}/pdf/",
        f"/admin/billing/payment/{payment.pk}/pdf/",
        f"/admin/billing/invoice/{alice_invoice.pk}/avoir/",
        GENERATE,
        UNPAID,
    ):
        assert client.get(url).status_code == 403, url


def test_families_cannot_reach_the_staff_pages(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    for url in (GENERATE, UNPAID, f"/admin/billing/invoice/{alice_invoice.pk}/avoir/"):
        response = alice_client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def test_the_online_payment_log_is_read_only(
    staff_client: Client, moissy_billing: tuple[Invoice, Payment, OnlineTransaction]
) -> None:
    _invoice, _payment, tx = moissy_billing

    assert staff_client.get("/admin/billing/onlinetransaction/add/").status_code == 403
    delete = staff_client.post(f"/admin/billing/onlinetransaction/{tx.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert OnlineTransaction.objects.filter(pk=tx.pk).exists()


def test_an_old_unpaid_invoice_shows_its_due_date(
    staff_client: Client, alice: Family, school_year: SchoolYear, billing_settings: BillingSettings
) -> None:
    late = InvoiceFactory(
        family=alice, school_year=school_year, due_date=datetime.date(2026, 1, 31)
    )

    assert "31/01/2026" in text(page(staff_client.get(UNPAID)))
    assert late.number in text(page(staff_client.get(UNPAID)))
