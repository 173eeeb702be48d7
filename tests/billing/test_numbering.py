"""Invoice, credit note and receipt numbers follow each other with no gap, per site, year and
kind, even when several are given at the same moment; an issued invoice never changes."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import BillingSettings, Invoice, InvoiceLine, Payment, TariffGrid
from billing.services import BillingError
from courses.models import Course
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student
from tests.billing.helpers import enrol, grid_for, run_concurrently
from tests.factories import (
    CourseFactory,
    DepartmentFactory,
    FamilyFactory,
    InvoiceFactory,
    StudentFactory,
)
from tests.html import find_all, page

YEAR = timezone.localdate().year
DUE = datetime.date(YEAR + 1, 1, 15)


class Boom(Exception):
    pass


def issue(site: Site, school_year: SchoolYear) -> list[Invoice]:
    return services.invoices_issue(
        site=site, school_year=school_year, due_date=DUE, label="Premier appel de cotisation"
    )


def pianist_families(site: Site, piano: Course, school_year: SchoolYear, count: int) -> None:
    for n in range(count):
        family = FamilyFactory(site=site, nom=f"PIANO{n}")
        enrol(StudentFactory(family=family), piano, school_year)


@pytest.fixture
def pupils(
    grid: TariffGrid,
    alice_student: Student,
    bob_student: Student,
    piano: Course,
    school_year: SchoolYear,
) -> None:
    """Both Moissy children learn the piano this year, a third family's child too."""
    enrol(alice_student, piano, school_year)
    enrol(bob_student, piano, school_year)
    pianist_families(piano.site, piano, school_year, 1)


def test_issued_invoices_get_numbers_that_follow_with_no_gap(
    pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    issued = issue(moissy, school_year)

    assert [i.number for i in issued] == [
        f"FAC{YEAR}-000001",
        f"FAC{YEAR}-000002",
        f"FAC{YEAR}-000003",
    ]


def test_a_second_run_goes_on_from_the_last_number(
    pupils: None, moissy: Site, school_year: SchoolYear, piano: Course
) -> None:
    issue(moissy, school_year)
    pianist_families(moissy, piano, school_year, 2)

    issued = issue(moissy, school_year)

    assert [i.number for i in issued] == [f"FAC{YEAR}-000004", f"FAC{YEAR}-000005"]


def test_each_site_has_its_own_sequence(
    pupils: None, moissy: Site, boulogne: Site, school_year: SchoolYear, dora: Family
) -> None:
    grid_for(boulogne, school_year)
    guitar = CourseFactory(
        site=boulogne, department=DepartmentFactory(site=boulogne), name="Guitare"
    )
    enrol(dora.students.get(), guitar, school_year)
    issue(moissy, school_year)

    [boulogne_invoice] = issue(boulogne, school_year)

    assert boulogne_invoice.number == f"FAC{YEAR}-000001"
    assert Invoice.objects.filter(number=f"FAC{YEAR}-000001").count() == 2


def test_each_year_has_its_own_sequence(moissy: Site) -> None:
    with transaction.atomic():
        this_year = services.next_number(site=moissy, year=YEAR, prefix="FAC")
        services.next_number(site=moissy, year=YEAR, prefix="FAC")
        next_year = services.next_number(site=moissy, year=YEAR + 1, prefix="FAC")

    assert this_year == f"FAC{YEAR}-000001"
    assert next_year == f"FAC{YEAR + 1}-000001"


def test_credit_notes_and_receipts_have_sequences_of_their_own(
    pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    first, second, third = issue(moissy, school_year)

    note = services.credit_note_issue(invoice=first, amount=Decimal("20"), reason="Erreur")
    receipt = services.payment_record(invoice=second, mode=Payment.Mode.CHEQUE, amount=Decimal(50))
    other_note = services.credit_note_issue(invoice=third, amount=Decimal("10"), reason="Geste")
    other_receipt = services.payment_record(
        invoice=third, mode=Payment.Mode.ESPECES, amount=Decimal(5)
    )

    assert (note.number, other_note.number) == (f"AV{YEAR}-000001", f"AV{YEAR}-000002")
    assert (receipt.receipt_number, other_receipt.receipt_number) == (
        f"RC{YEAR}-000001",
        f"RC{YEAR}-000002",
    )


def test_a_rolled_back_issue_does_not_use_up_a_number(
    pupils: None, moissy: Site, school_year: SchoolYear
) -> None:
    with pytest.raises(Boom), transaction.atomic():
        assert len(issue(moissy, school_year)) == 3
        raise Boom

    assert not Invoice.objects.exists()
    assert [i.number for i in issue(moissy, school_year)] == [
        f"FAC{YEAR}-000001",
        f"FAC{YEAR}-000002",
        f"FAC{YEAR}-000003",
    ]


def test_a_refused_payment_does_not_use_up_a_receipt_number(alice_invoice: Invoice) -> None:
    with pytest.raises(BillingError):
        services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal("300.01"))

    payment = services.payment_record(invoice=alice_invoice, mode="cheque", amount=Decimal(300))

    assert payment.receipt_number == f"RC{YEAR}-000001"


# Credit notes -----------------------------------------------------------------------------


def test_a_credit_note_is_a_negative_invoice_linked_to_the_original(
    alice_invoice: Invoice,
) -> None:
    note = services.credit_note_issue(
        invoice=alice_invoice, amount=Decimal("45.5"), reason="Cours non assuré"
    )

    note.refresh_from_db()
    assert note.total == Decimal("-45.50")
    assert note.credit_note_of == alice_invoice
    assert note.is_credit_note
    assert (note.family, note.site, note.school_year, note.kind) == (
        alice_invoice.family,
        alice_invoice.site,
        alice_invoice.school_year,
        alice_invoice.kind,
    )
    assert note.label == f"Avoir sur {alice_invoice.number} : Cours non assuré"
    assert [(line.label, line.amount) for line in note.lines.all()] == [
        ("Cours non assuré", Decimal("-45.50"))
    ]
    assert services.invoice_balance(alice_invoice) == Decimal("254.50")
    alice_invoice.refresh_from_db()
    assert alice_invoice.total == Decimal("300.00")


@pytest.mark.parametrize("amount", ["0", "-10", "300.01"])
def test_a_credit_note_is_positive_and_at_most_the_invoice(
    alice_invoice: Invoice, amount: str
) -> None:
    with pytest.raises(BillingError, match="au plus celui de la facture"):
        services.credit_note_issue(invoice=alice_invoice, amount=Decimal(amount), reason="x")

    assert Invoice.objects.count() == 1


def test_the_staff_issue_a_credit_note_from_the_admin(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    response = staff_client.post(
        f"/admin/billing/invoice/{alice_invoice.pk}/avoir/",
        {"amount": "30.00", "reason": "Remboursement d'un trimestre"},
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    note = Invoice.objects.get(credit_note_of=alice_invoice)
    assert response["Location"] == f"/admin/billing/invoice/{note.pk}/change/"
    assert note.total == Decimal("-30.00")
    assert note.number == f"AV{YEAR}-000001"


# Issued invoices never change ---------------------------------------------------------------


def test_the_admin_shows_an_issued_invoice_read_only(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    response = staff_client.get(f"/admin/billing/invoice/{alice_invoice.pk}/change/")

    assert response.status_code == 200
    form = page(response)
    editable = {
        name
        for tag in ("input", "select", "textarea")
        for element in find_all(form, tag)
        if (name := dict(element.attributes).get("name"))
        and dict(element.attributes).get("type") != "hidden"
        and not name.startswith("_")
    }
    assert editable == set()
    assert alice_invoice.number in response.text
    assert "/delete/" not in response.text


def test_posting_a_change_to_an_issued_invoice_changes_nothing(
    staff_client: Client, alice_invoice: Invoice
) -> None:
    response = staff_client.post(
        f"/admin/billing/invoice/{alice_invoice.pk}/change/",
        {
            "label": "Autre libellé",
            "total": "1.00",
            "number": "FAC0000-000000",
            "due_date": "01/01/2030",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": str(alice_invoice.lines.get().pk),
            "lines-0-invoice": str(alice_invoice.pk),
            "lines-0-label": "Autre ligne",
            "lines-0-amount": "1.00",
            "instalments-TOTAL_FORMS": "0",
            "instalments-INITIAL_FORMS": "0",
            "_save": "Enregistrer",
        },
    )

    assert response.status_code in (200, 302)
    saved = Invoice.objects.get(pk=alice_invoice.pk)
    assert (saved.label, saved.total, saved.number, saved.due_date) == (
        alice_invoice.label,
        Decimal("300.00"),
        alice_invoice.number,
        alice_invoice.due_date,
    )
    assert InvoiceLine.objects.get(invoice=alice_invoice).amount == Decimal("300.00")


def test_an_issued_invoice_cannot_be_deleted(staff_client: Client, alice_invoice: Invoice) -> None:
    delete = staff_client.post(
        f"/admin/billing/invoice/{alice_invoice.pk}/delete/", {"post": "yes"}
    )
    bulk = staff_client.post(
        "/admin/billing/invoice/",
        {"action": "delete_selected", "_selected_action": [alice_invoice.pk], "post": "yes"},
    )

    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Invoice.objects.filter(pk=alice_invoice.pk).exists()
    listing = staff_client.get("/admin/billing/invoice/")
    assert 'value="delete_selected"' not in listing.text
    assert 'value="export_csv"' in listing.text


def test_invoices_are_not_added_by_hand_in_the_admin(
    staff_client: Client, billing_settings: BillingSettings
) -> None:
    assert staff_client.get("/admin/billing/invoice/add/").status_code == 403


# At the same moment (PostgreSQL) ------------------------------------------------------------


def consecutive(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{YEAR}-{n:06d}" for n in range(1, count + 1)]


def test_payments_recorded_at_the_same_moment_get_consecutive_receipt_numbers(
    postgresql: None, moissy: Site, school_year: SchoolYear
) -> None:
    invoices = [
        InvoiceFactory(family=FamilyFactory(site=moissy), school_year=school_year)
        for _ in range(10)
    ]

    results = run_concurrently(
        [
            lambda invoice=invoice: services.payment_record(
                invoice=invoice, mode=Payment.Mode.CHEQUE, amount=Decimal("100")
            )
            for invoice in invoices
        ]
    )

    assert all(isinstance(r, Payment) for r in results), results
    assert sorted(r.receipt_number for r in results) == consecutive("RC", 10)
    assert sorted(Payment.objects.values_list("receipt_number", flat=True)) == consecutive("RC", 10)


def test_runs_of_invoices_at_the_same_moment_issue_each_family_once_with_no_gap(
    postgresql: None, moissy: Site, school_year: SchoolYear, piano: Course
) -> None:
    grid_for(moissy, school_year)
    pianist_families(moissy, piano, school_year, 6)

    results = run_concurrently([lambda: issue(moissy, school_year) for _ in range(3)])

    assert all(isinstance(r, list) for r in results), results
    assert sum(len(r) for r in results) == 6
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == consecutive("FAC", 6)
    assert Invoice.objects.values("family").distinct().count() == 6


def test_invoices_and_receipts_at_the_same_moment_keep_their_own_sequences(
    postgresql: None, moissy: Site, school_year: SchoolYear, piano: Course
) -> None:
    grid_for(moissy, school_year)
    pianist_families(moissy, piano, school_year, 4)
    invoices = [
        InvoiceFactory(family=FamilyFactory(site=moissy), school_year=school_year) for _ in range(4)
    ]

    results = run_concurrently(
        [lambda: issue(moissy, school_year)]
        + [
            lambda invoice=invoice: services.payment_record(
                invoice=invoice, mode=Payment.Mode.CHEQUE, amount=Decimal("100")
            )
            for invoice in invoices
        ]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    numbers = sorted(
        Invoice.objects.filter(number__startswith=f"FAC{YEAR}").values_list("number", flat=True)
    )
    assert numbers == consecutive("FAC", 4)
    assert sorted(Payment.objects.values_list("receipt_number", flat=True)) == consecutive("RC", 4)


def test_payments_at_the_same_moment_never_exceed_the_balance(
    postgresql: None, alice_invoice: Invoice
) -> None:
    results = run_concurrently(
        [
            lambda: services.payment_record(
                invoice=alice_invoice, mode=Payment.Mode.CHEQUE, amount=Decimal("100")
            )
            for _ in range(5)
        ]
    )

    recorded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, BillingError)]
    assert (len(recorded), len(refused)) == (3, 2), results
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")
    assert sorted(p.receipt_number for p in recorded) == consecutive("RC", 3)
    assert all(re.fullmatch(rf"RC{YEAR}-00000[123]", p.receipt_number) for p in recorded)
