"""The PayZen form protocol: the signature of the fields, and the fields of a payment form."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re

import pytest
from django.utils import timezone

from billing import payzen, services
from billing.models import BillingSettings, Invoice
from families.models import Family

# PayZen's published example of a signed form (documentation "Calculer la signature").
EXAMPLE_KEY = "1122334455667788"
EXAMPLE = {
    "vads_action_mode": "INTERACTIVE",
    "vads_amount": "5124",
    "vads_ctx_mode": "TEST",
    "vads_currency": "978",
    "vads_page_action": "PAYMENT",
    "vads_payment_config": "SINGLE",
    "vads_site_id": "12345678",
    "vads_trans_date": "20170129130025",
    "vads_trans_id": "123456",
    "vads_version": "V2",
}
EXAMPLE_SIGNATURE = "ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0="


def test_it_signs_the_published_example() -> None:
    assert payzen.signature(EXAMPLE, EXAMPLE_KEY) == EXAMPLE_SIGNATURE


def test_it_ignores_fields_that_are_not_vads_fields() -> None:
    fields = {**EXAMPLE, "signature": "anything", "outcome": "accepted", "csrfmiddlewaretoken": "x"}

    assert payzen.signature(fields, EXAMPLE_KEY) == EXAMPLE_SIGNATURE


def test_it_sorts_the_fields_by_name_whatever_their_order() -> None:
    reversed_fields = dict(reversed(list(EXAMPLE.items())))

    assert payzen.signature(reversed_fields, EXAMPLE_KEY) == EXAMPLE_SIGNATURE


def test_an_empty_field_keeps_its_place_in_the_signed_string() -> None:
    fields = {**EXAMPLE, "vads_cust_email": ""}
    # vads_cust_email sorts between vads_currency (978) and vads_page_action (PAYMENT).
    signed = (
        "INTERACTIVE+5124+TEST+978++PAYMENT+SINGLE+12345678+20170129130025+123456+V2+" + EXAMPLE_KEY
    )
    expected = base64.b64encode(
        hmac.new(EXAMPLE_KEY.encode(), signed.encode(), hashlib.sha256).digest()
    ).decode()

    assert payzen.signature(fields, EXAMPLE_KEY) == expected
    assert expected != EXAMPLE_SIGNATURE


def test_it_accepts_the_right_signature() -> None:
    assert payzen.signature_matches({**EXAMPLE, "signature": EXAMPLE_SIGNATURE}, EXAMPLE_KEY)


@pytest.mark.parametrize(
    "received",
    [
        "",
        EXAMPLE_SIGNATURE[:-2] + "X=",
        EXAMPLE_SIGNATURE[:20],
        EXAMPLE_SIGNATURE + " ",
        EXAMPLE_SIGNATURE.lower(),
        "é" * len(EXAMPLE_SIGNATURE),
    ],
)
def test_it_refuses_any_other_signature(received: str) -> None:
    assert not payzen.signature_matches({**EXAMPLE, "signature": received}, EXAMPLE_KEY)


def test_it_refuses_fields_without_a_signature() -> None:
    assert not payzen.signature_matches(EXAMPLE, EXAMPLE_KEY)


def test_it_refuses_a_signature_made_with_another_key() -> None:
    other = payzen.signature(EXAMPLE, "6655443322118877")

    assert not payzen.signature_matches({**EXAMPLE, "signature": other}, EXAMPLE_KEY)


def test_it_refuses_a_signed_form_whose_amount_was_changed() -> None:
    tampered = {**EXAMPLE, "vads_amount": "124", "signature": EXAMPLE_SIGNATURE}

    assert not payzen.signature_matches(tampered, EXAMPLE_KEY)


def test_a_builtin_shop_uses_the_published_demonstration_shop() -> None:
    shop = payzen.shop_for(None)

    assert (shop.site_id, shop.mode, shop.builtin) == ("12345678", "TEST", True)
    assert shop.key("TEST") == "1122334455667788"
    assert shop.key("PRODUCTION") is None


# Payment form -----------------------------------------------------------------------------


def test_the_payment_form_has_every_required_field(alice: Family, alice_invoice: Invoice) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    fields = payzen.payment_fields(
        transaction=tx,
        shop=payzen.shop_for(None),
        email="alice@example.org",
        base_url="https://portail.example.org/",
    )

    return_url = f"https://portail.example.org/facturation/paiement/retour/{tx.order_id}/"
    assert fields == {
        "vads_action_mode": "INTERACTIVE",
        "vads_amount": "30000",
        "vads_ctx_mode": "TEST",
        "vads_currency": "978",
        "vads_cust_email": "alice@example.org",
        "vads_order_id": tx.order_id,
        "vads_page_action": "PAYMENT",
        "vads_payment_config": "SINGLE",
        "vads_site_id": "12345678",
        "vads_trans_date": tx.trans_date,
        "vads_trans_id": tx.trans_id,
        "vads_url_check": "https://portail.example.org/facturation/paiement/notification/",
        "vads_url_return": return_url,
        "vads_url_success": return_url,
        "vads_url_refused": return_url,
        "vads_url_cancel": return_url,
        "vads_return_mode": "GET",
        "vads_version": "V2",
        "signature": fields["signature"],
    }
    assert payzen.signature_matches(fields, payzen.TEST_KEY)


def test_the_transaction_id_has_six_digits_and_the_order_names_the_invoice(
    alice: Family, alice_invoice: Invoice
) -> None:
    first = services.transaction_create(invoice=alice_invoice, family=alice)
    second = services.transaction_create(invoice=alice_invoice, family=alice)

    for tx in (first, second):
        assert re.fullmatch(r"\d{6}", tx.trans_id)
        assert tx.order_id.startswith(f"{alice_invoice.number}-{tx.trans_id}-")
    assert first.trans_id != second.trans_id
    assert first.order_id != second.order_id


def test_the_transaction_date_is_utc(alice: Family, alice_invoice: Invoice) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    assert re.fullmatch(r"\d{14}", tx.trans_date)
    sent = datetime.datetime.strptime(tx.trans_date, "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)
    # Paris is one or two hours ahead of UTC: local time would be off by an hour at least.
    assert abs(timezone.now() - sent) < datetime.timedelta(minutes=1)
    assert tx.trans_date_day == tx.trans_date[:8]


def test_three_instalments_ask_for_a_multi_payment(alice: Family, alice_invoice: Invoice) -> None:
    tx = services.transaction_create(invoice=alice_invoice, family=alice, instalments=3)

    fields = payzen.payment_fields(
        transaction=tx,
        shop=payzen.shop_for(None),
        email="alice@example.org",
        base_url="http://testserver/",
    )

    assert fields["vads_amount"] == "30000"
    assert fields["vads_payment_config"] == "MULTI:first=10000;count=3;period=30"
    assert payzen.signature_matches(fields, payzen.TEST_KEY)


def test_a_site_with_a_payzen_shop_signs_with_its_key_from_the_environment(
    alice: Family,
    alice_invoice: Invoice,
    billing_settings: BillingSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    billing_settings.payzen_site_id = "87654321"
    billing_settings.payzen_mode = BillingSettings.Mode.PRODUCTION
    billing_settings.payzen_key_env = "PAYZEN_KEY_MOISSY"
    billing_settings.save()
    monkeypatch.setenv("PAYZEN_KEY_MOISSY_TEST", "1111222233334444")
    monkeypatch.setenv("PAYZEN_KEY_MOISSY_PRODUCTION", "9999888877776666")
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    fields = payzen.payment_fields(
        transaction=tx,
        shop=payzen.shop_for(billing_settings),
        email="alice@example.org",
        base_url="http://testserver/",
    )

    assert fields["vads_site_id"] == "87654321"
    assert fields["vads_ctx_mode"] == "PRODUCTION"
    assert tx.mode == "PRODUCTION"
    assert payzen.signature_matches(fields, "9999888877776666")
    assert not payzen.signature_matches(fields, "1111222233334444")


def test_a_payzen_shop_without_its_key_in_the_environment_cannot_sign(
    alice: Family,
    alice_invoice: Invoice,
    billing_settings: BillingSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    billing_settings.payzen_site_id = "87654321"
    billing_settings.payzen_key_env = "PAYZEN_KEY_MOISSY"
    billing_settings.save()
    monkeypatch.delenv("PAYZEN_KEY_MOISSY_TEST", raising=False)
    tx = services.transaction_create(invoice=alice_invoice, family=alice)

    with pytest.raises(RuntimeError, match="87654321"):
        payzen.payment_fields(
            transaction=tx,
            shop=payzen.shop_for(billing_settings),
            email="alice@example.org",
            base_url="http://testserver/",
        )
