"""The built-in test gateway takes no real money: off in production unless asked for."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from billing import payzen, services
from billing.models import Invoice, OnlineTransaction
from billing.services import BillingError
from families.models import Family


@override_settings(PAYZEN_TEST_GATEWAY=False)
def test_a_site_without_payzen_account_takes_no_online_payment_in_production(
    alice: Family, alice_invoice: Invoice
) -> None:
    with pytest.raises(BillingError):
        services.transaction_create(invoice=alice_invoice, family=alice)

    assert not OnlineTransaction.objects.exists()


@override_settings(PAYZEN_TEST_GATEWAY=False)
def test_the_tab_says_to_pay_the_secretariat_instead_of_offering_the_button(
    alice_client: Client, alice_invoice: Invoice
) -> None:
    content = alice_client.get("/facturation/").content.decode()

    assert "ne propose pas encore le paiement en ligne" in content
    assert 'name="instalments"' not in content


@override_settings(PAYZEN_TEST_GATEWAY=False)
def test_the_test_gateway_page_does_not_exist_in_production(client: Client, db: None) -> None:
    assert client.post("/facturation/passerelle-test/", {"vads_amount": "100"}).status_code == 404


@override_settings(PAYZEN_TEST_GATEWAY=False)
def test_a_notification_signed_with_the_public_test_key_pays_nothing_in_production(
    alice: Family, alice_invoice: Invoice
) -> None:
    with override_settings(PAYZEN_TEST_GATEWAY=True):
        tx = services.transaction_create(invoice=alice_invoice, family=alice)
    fields = {
        "vads_ctx_mode": "TEST",
        "vads_order_id": tx.order_id,
        "vads_trans_id": tx.trans_id,
        "vads_site_id": "12345678",
        "vads_amount": str(tx.amount_cents),
        "vads_currency": "978",
        "vads_trans_status": "AUTHORISED",
    }
    fields["signature"] = payzen.signature(fields, payzen.TEST_KEY)

    assert services.notification_handle(fields, base_url="http://testserver/") == "bad signature"
    tx.refresh_from_db()
    assert tx.status == OnlineTransaction.Status.CREATED
    assert not alice_invoice.payments.exists()
