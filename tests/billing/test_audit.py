"""Money matters go to the audit log: invoices issued, credit notes, payments recorded by the
secretariat or received online, reminders; each entry with its author, site and amounts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import (
    BillingSettings,
    InstrumentRental,
    Invoice,
    OnlineTransaction,
    Payment,
    TariffGrid,
)
from courses.models import Course
from extranet.audit import Action
from extranet.models import AuditEntry, SchoolYear, Site, User
from families.models import Family
from students.models import Student
from tests.billing.helpers import enrol, notification
from tests.factories import InvoiceFactory

YEAR = timezone.localdate().year
IPN = "/facturation/paiement/notification/"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_issuing_the_years_invoices_logs_each_invoice(
    staff_client: Client,
    moissy_staff: User,
    moissy: Site,
    school_year: SchoolYear,
    grid: TariffGrid,
    billing_settings: BillingSettings,
    alice_student: Student,
    bob_student: Student,
    piano: Course,
) -> None:
    enrol(alice_student, piano, school_year)
    enrol(bob_student, piano, school_year)

    response = staff_client.post(
        "/admin/billing/invoice/generer/",
        {
            "site": str(moissy.pk),
            "school_year": str(school_year.pk),
            "label": "Premier appel de cotisation",
            "due_date": "2026-10-15",
            "instalments": "1",
            "issue": "1",
        },
    )

    assert response.status_code == 302
    invoices = list(Invoice.objects.order_by("number"))
    logged = entries(Action.INVOICE_ISSUED)
    assert [(e.actor, e.site, e.object_id) for e in logged] == [
        (moissy_staff, moissy, str(invoice.pk)) for invoice in invoices
    ]
    assert logged[0].details == {
        "number": f"FAC{YEAR}-000001",
        "family": invoices[0].billing_name,
        "total": "300.00",
    }


def test_a_credit_note_is_logged_with_the_invoice_it_corrects(
    staff_client: Client, moissy_staff: User, alice_invoice: Invoice
) -> None:
    response = staff_client.post(
        f"/admin/billing/invoice/{alice_invoice.pk}/avoir/",
        {"amount": "20", "reason": "Erreur de tarif"},
    )

    assert response.status_code == 302
    note = Invoice.objects.get(credit_note_of=alice_invoice)
    [entry] = entries(Action.CREDIT_NOTE_ISSUED)
    assert (entry.actor, entry.object_id) == (moissy_staff, str(note.pk))
    assert entry.details == {
        "number": note.number,
        "invoice": alice_invoice.number,
        "amount": "20.00",
        "reason": "Erreur de tarif",
    }


def test_a_payment_recorded_in_the_admin_is_logged_once_with_its_amount(
    staff_client: Client, moissy_staff: User, moissy: Site, alice_invoice: Invoice
) -> None:
    response = staff_client.post(
        "/admin/billing/payment/add/",
        {
            "invoice": str(alice_invoice.pk),
            "date": "02/03/2026",
            "mode": Payment.Mode.CHEQUE,
            "operation_number": "Chèque n°42",
            "amount": "120.00",
            "_save": "Enregistrer",
        },
    )

    assert response.status_code == 302
    payment = Payment.objects.get()
    [entry] = AuditEntry.objects.filter(object_type="billing.payment")
    assert (entry.action, entry.actor, entry.site, entry.object_id) == (
        Action.PAYMENT_RECORDED,
        moissy_staff,
        moissy,
        str(payment.pk),
    )
    assert entry.details == {
        "invoice": alice_invoice.number,
        "amount": "120.00",
        "mode": "Chèque",
        "operation_number": "Chèque n°42",
        "date": "2026-03-02",
    }


def test_a_payment_over_the_balance_is_refused_and_not_logged(alice_invoice: Invoice) -> None:
    with pytest.raises(services.BillingError), transaction.atomic():
        services.payment_record(
            invoice=alice_invoice, mode=Payment.Mode.CHEQUE, amount=Decimal("301")
        )

    assert not AuditEntry.objects.filter(object_type="billing.payment").exists()


def test_a_payment_rolled_back_leaves_no_entry(moissy_staff: User, alice_invoice: Invoice) -> None:
    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        services.payment_record(
            invoice=alice_invoice, mode=Payment.Mode.CHEQUE, amount=Decimal("10"), by=moissy_staff
        )
        assert entries(Action.PAYMENT_RECORDED)
        raise Undone

    assert not Payment.objects.exists()
    assert not entries(Action.PAYMENT_RECORDED)


def test_reminders_sent_from_the_unpaid_list_are_logged(
    staff_client: Client, moissy_staff: User, alice_invoice: Invoice
) -> None:
    response = staff_client.post("/admin/billing/invoice/impayes/", {"invoice": [alice_invoice.pk]})

    assert response.status_code == 302
    [entry] = entries(Action.REMINDER_SENT)
    assert (entry.actor, entry.object_id, entry.details) == (
        moissy_staff,
        str(alice_invoice.pk),
        {"number": alice_invoice.number, "balance": "300.00"},
    )


def test_a_reminder_to_a_family_without_email_is_not_logged(
    staff_client: Client, bob: Family, school_year: SchoolYear, billing_settings: BillingSettings
) -> None:
    Family.objects.filter(pk=bob.pk).update(email="")
    User.objects.filter(pk=bob.account_id).update(email="")
    invoice = InvoiceFactory(family=bob, school_year=school_year, total=Decimal("100.00"))

    staff_client.post(
        "/admin/billing/invoice/",
        {"action": "send_reminders", "_selected_action": [invoice.pk]},
    )

    assert not entries(Action.REMINDER_SENT)


def test_an_online_payment_is_logged_once_without_author_with_its_transaction(
    alice: Family, alice_invoice: Invoice, moissy: Site
) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    bank = Client(enforce_csrf_checks=True)

    first = bank.post(IPN, notification(tx))
    again = bank.post(IPN, notification(tx))

    assert (first.content, again.content) == (b"paid", b"already paid")
    tx.refresh_from_db()
    [entry] = entries(Action.PAYMENT_ONLINE)
    assert (entry.actor, entry.site, entry.object_id) == (None, moissy, str(tx.payment_id))
    assert entry.details == {
        "invoice": alice_invoice.number,
        "amount": "300.00",
        "transaction_id": tx.trans_id,
        "order_id": tx.order_id,
    }


def test_a_refused_online_payment_is_not_logged(alice: Family, alice_invoice: Invoice) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    Client().post(IPN, notification(tx, status="REFUSED"))

    assert OnlineTransaction.objects.get().status == OnlineTransaction.Status.REFUSED
    assert not entries(Action.PAYMENT_ONLINE)


def test_invoicing_a_rental_is_logged(
    staff_client: Client, moissy_staff: User, moissy: Site, alice: Family, school_year: SchoolYear
) -> None:
    rental = InstrumentRental.objects.create(
        site=moissy,
        family=alice,
        student=alice.students.get(),
        instrument="Violon 1/2",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + datetime.timedelta(days=60),
        monthly_fee=Decimal("15.00"),
    )

    staff_client.post(
        "/admin/billing/instrumentrental/",
        {"action": "invoice_rentals", "_selected_action": [rental.pk]},
    )

    invoice = Invoice.objects.get(kind=Invoice.Kind.LOCATION)
    [entry] = entries(Action.INVOICE_ISSUED)
    assert (entry.actor, entry.object_id, entry.details["number"]) == (
        moissy_staff,
        str(invoice.pk),
        invoice.number,
    )
