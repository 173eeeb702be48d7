"""PayZen's notification (IPN): only a correctly signed notification that matches the order asked
records a payment, once, however many copies arrive; anything else is logged and answered."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing import services
from billing.models import (
    BillingSettings,
    Invoice,
    OnlineTransaction,
    Payment,
    PaymentNotification,
)
from families.models import Family
from tests.billing.helpers import notification, run_concurrently
from tests.factories import BillingSettingsFactory, InvoiceFactory

IPN = "/facturation/paiement/notification/"


@pytest.fixture
def tx(alice: Family, alice_invoice: Invoice) -> OnlineTransaction:
    return services.transaction_create(invoice=alice_invoice, family=alice)


@pytest.fixture
def bank() -> Client:
    """PayZen's servers: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def payzen_shop(
    billing_settings: BillingSettings, monkeypatch: pytest.MonkeyPatch
) -> BillingSettings:
    """Moissy with a PayZen shop of its own in production, keys in the environment."""
    billing_settings.payzen_site_id = "87654321"
    billing_settings.payzen_mode = BillingSettings.Mode.PRODUCTION
    billing_settings.payzen_key_env = "PAYZEN_KEY_X"
    billing_settings.save()
    monkeypatch.setenv("PAYZEN_KEY_X_TEST", "1111222233334444")
    monkeypatch.setenv("PAYZEN_KEY_X_PRODUCTION", "9999888877776666")
    return billing_settings


def test_a_signed_authorised_notification_records_the_payment(
    bank: Client,
    tx: OnlineTransaction,
    alice: Family,
    alice_invoice: Invoice,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = bank.post(IPN, notification(tx))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"paid"
    payment = Payment.objects.get()
    assert payment.invoice == alice_invoice
    assert payment.family == alice
    assert payment.mode == Payment.Mode.EN_LIGNE
    assert payment.get_mode_display() == "Paiement en ligne"
    assert payment.amount == Decimal("300.00")
    assert payment.date == timezone.localdate()
    assert payment.operation_number == f"Paiement en ligne {tx.trans_id}"
    assert payment.receipt_number == f"RC{timezone.localdate().year}-000001"
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.PAID
    assert tx.payment == payment
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")
    logged = PaymentNotification.objects.get()
    assert (logged.transaction, logged.valid_signature, logged.outcome) == (tx, True, "paid")
    assert logged.raw["vads_trans_status"] == "AUTHORISED"


def test_the_family_gets_its_receipt_by_email(
    bank: Client, tx: OnlineTransaction, alice: Family, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        bank.post(IPN, notification(tx))

    [email] = mail.outbox
    number = Payment.objects.get().receipt_number
    assert email.to == [alice.email]
    assert email.subject == f"Paiement reçu : reçu {number}"
    assert "Nous avons bien reçu votre paiement de 300,00\xa0€" in email.body
    assert "http://testserver/facturation/" in email.body


def test_a_replayed_notification_records_nothing_more(
    bank: Client, tx: OnlineTransaction, alice_invoice: Invoice, django_capture_on_commit_callbacks
) -> None:
    fields = notification(tx)

    with django_capture_on_commit_callbacks(execute=True):
        first = bank.post(IPN, fields)
        again = bank.post(IPN, fields)

    assert (first.content, again.content) == (b"paid", b"already paid")
    assert Payment.objects.count() == 1
    assert len(mail.outbox) == 1
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")
    assert PaymentNotification.objects.filter(outcome="already paid").count() == 1


def test_a_refusal_after_the_payment_does_not_undo_it(
    bank: Client, tx: OnlineTransaction, alice_invoice: Invoice
) -> None:
    bank.post(IPN, notification(tx))

    response = bank.post(IPN, notification(tx, status="REFUSED"))

    assert response.status_code == 200
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.PAID
    assert Payment.objects.count() == 1
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("REFUSED", OnlineTransaction.Status.REFUSED),
        ("CANCELLED", OnlineTransaction.Status.REFUSED),
        ("ABANDONED", OnlineTransaction.Status.ABANDONED),
    ],
)
def test_a_refused_or_abandoned_payment_records_nothing(
    bank: Client,
    tx: OnlineTransaction,
    alice_invoice: Invoice,
    status: str,
    state: str,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = bank.post(IPN, notification(tx, status=status))

    assert response.status_code == 200
    assert response.content == status.lower().encode()
    tx.refresh_from_db()
    assert tx.status == state
    assert not Payment.objects.exists()
    assert mail.outbox == []
    assert services.invoice_balance(alice_invoice) == Decimal("300.00")


def forged_signature(tx: OnlineTransaction) -> dict[str, str]:
    return {**notification(tx), "signature": "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="}


def tampered_amount(tx: OnlineTransaction) -> dict[str, str]:
    """Signed for the order, then the amount lowered on the way."""
    return {**notification(tx), "vads_amount": "100"}


def signed_smaller_amount(tx: OnlineTransaction) -> dict[str, str]:
    return notification(tx, vads_amount="100", vads_effective_amount="100")


def wrong_currency(tx: OnlineTransaction) -> dict[str, str]:
    return notification(tx, vads_currency="840")


def wrong_site_id(tx: OnlineTransaction) -> dict[str, str]:
    return notification(tx, vads_site_id="99999999")


def wrong_trans_id(tx: OnlineTransaction) -> dict[str, str]:
    return notification(tx, vads_trans_id="000001" if tx.trans_id != "000001" else "000002")


def unknown_order(tx: OnlineTransaction) -> dict[str, str]:
    return notification(tx, vads_order_id="FAC2026-999999-123456-20260101")


def claimed_production(tx: OnlineTransaction) -> dict[str, str]:
    """The built-in gateway has no production key: the test key cannot sign for it."""
    return notification(tx, vads_ctx_mode="PRODUCTION")


@pytest.mark.parametrize(
    ("make", "valid_signature", "outcome", "linked"),
    [
        (forged_signature, False, "bad signature", True),
        (tampered_amount, False, "bad signature", True),
        (claimed_production, False, "bad signature", True),
        (signed_smaller_amount, True, "mismatch", True),
        (wrong_currency, True, "mismatch", True),
        (wrong_site_id, True, "mismatch", True),
        (wrong_trans_id, True, "mismatch", True),
        (unknown_order, False, "unknown order", False),
    ],
)
def test_a_notification_that_does_not_hold_records_nothing_and_is_logged(
    bank: Client,
    tx: OnlineTransaction,
    alice_invoice: Invoice,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks,
    make,
    valid_signature: bool,
    outcome: str,
    linked: bool,
) -> None:
    fields = make(tx)

    with (
        caplog.at_level(logging.WARNING, logger="billing.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = bank.post(IPN, fields)

    # PayZen only needs to know the notification arrived: the answer says no more.
    assert response.status_code == 200
    assert response.content == outcome.encode()
    assert not Payment.objects.exists()
    assert mail.outbox == []
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.CREATED
    assert services.invoice_balance(alice_invoice) == Decimal("300.00")
    logged = PaymentNotification.objects.get()
    assert logged.valid_signature is valid_signature
    assert logged.outcome == outcome
    assert logged.transaction == (tx if linked else None)
    assert logged.raw == fields
    assert [r.levelname for r in caplog.records if r.name == "billing.services"] == ["WARNING"]


def test_it_answers_only_post(bank: Client, tx: OnlineTransaction) -> None:
    response = bank.get(IPN, notification(tx))

    assert response.status_code == 405
    assert not Payment.objects.exists()


# A site's own PayZen shop -----------------------------------------------------------------


@pytest.fixture
def production_tx(
    payzen_shop: BillingSettings, alice: Family, alice_invoice: Invoice
) -> OnlineTransaction:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    assert tx.mode == "PRODUCTION"
    return tx


def test_a_shop_notification_signed_with_its_production_key_is_recorded(
    bank: Client, production_tx: OnlineTransaction
) -> None:
    response = bank.post(
        IPN,
        notification(
            production_tx,
            key="9999888877776666",
            vads_site_id="87654321",
            vads_ctx_mode="PRODUCTION",
        ),
    )

    assert response.content == b"paid"
    assert Payment.objects.count() == 1


def test_a_production_notification_signed_with_the_test_key_is_refused(
    bank: Client, production_tx: OnlineTransaction
) -> None:
    response = bank.post(
        IPN,
        notification(
            production_tx,
            key="1111222233334444",
            vads_site_id="87654321",
            vads_ctx_mode="PRODUCTION",
        ),
    )

    assert response.content == b"bad signature"
    assert not Payment.objects.exists()
    assert PaymentNotification.objects.get().valid_signature is False


def test_a_production_notification_signed_with_the_builtin_test_key_is_refused(
    bank: Client, production_tx: OnlineTransaction
) -> None:
    response = bank.post(
        IPN,
        notification(production_tx, vads_site_id="87654321", vads_ctx_mode="PRODUCTION"),
    )

    assert response.content == b"bad signature"
    assert not Payment.objects.exists()


def test_a_test_mode_notification_does_not_pay_an_order_asked_in_production(
    bank: Client, production_tx: OnlineTransaction, alice_invoice: Invoice
) -> None:
    # Rightly signed with the shop's TEST key, but a test payment moves no money.
    response = bank.post(
        IPN,
        notification(
            production_tx, key="1111222233334444", vads_site_id="87654321", vads_ctx_mode="TEST"
        ),
    )

    assert response.status_code == 200
    assert response.content == b"mismatch"
    assert not Payment.objects.exists()
    assert services.invoice_balance(alice_invoice) == Decimal("300.00")
    production_tx.refresh_from_db()
    assert production_tx.status == OnlineTransaction.Status.CREATED


def test_a_notification_signed_with_another_sites_key_is_refused(
    bank: Client,
    payzen_shop: BillingSettings,
    boulogne,
    dora: Family,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    BillingSettingsFactory(
        site=boulogne,
        payzen_site_id="11112222",
        payzen_mode=BillingSettings.Mode.PRODUCTION,
        payzen_key_env="PAYZEN_KEY_BOULOGNE",
    )
    monkeypatch.setenv("PAYZEN_KEY_BOULOGNE_PRODUCTION", "5555666677778888")
    invoice = InvoiceFactory(family=dora)
    tx = services.transaction_create(invoice=invoice, family=dora)

    response = bank.post(
        IPN,
        notification(
            tx, key="9999888877776666", vads_site_id="11112222", vads_ctx_mode="PRODUCTION"
        ),
    )

    assert response.content == b"bad signature"
    assert not Payment.objects.exists()


# Copies at the same moment ------------------------------------------------------------------


def test_ten_copies_at_the_same_moment_record_one_payment(
    postgresql: None, alice: Family, alice_invoice: Invoice
) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)
    fields = notification(tx)

    answers = run_concurrently([lambda: Client().post(IPN, fields) for _ in range(10)])

    assert sorted(a.content for a in answers) == [b"already paid"] * 9 + [b"paid"]
    assert Payment.objects.count() == 1
    assert services.invoice_balance(alice_invoice) == Decimal("0.00")
    assert PaymentNotification.objects.count() == 10
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.PAID
    assert tx.payment == Payment.objects.get()
