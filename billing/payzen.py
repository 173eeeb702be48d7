"""The PayZen form protocol (V2): payment forms, their signature, and notifications (IPN).

signature = base64(HMAC-SHA-256(key, "+".join(values of every vads_* field sorted by name)
+ "+" + key)). Empty fields keep their place. Published example: key 1122334455667788 ->
ycA5Do5tNvsnKdc/eP1bj2xa19z9q3iWPy9/rpesfS0= (tests/billing/test_payzen.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.urls import reverse

from billing.models import BillingSettings, OnlineTransaction

# The built-in test gateway, used by sites with no PayZen account: PayZen's published
# demonstration shop and key, in TEST mode.
TEST_SITE_ID = "12345678"
TEST_KEY = "1122334455667788"
PAID_STATUSES = {"AUTHORISED", "CAPTURED", "ACCEPTED", "AUTHORISED_TO_VALIDATE"}
REFUSED_STATUSES = {"REFUSED", "CANCELLED", "EXPIRED", "ABANDONED", "NOT_CREATED"}


def signature(fields: Mapping[str, str], key: str) -> str:
    values = [str(fields[name]) for name in sorted(fields) if name.startswith("vads_")]
    message = "+".join([*values, key]).encode("utf-8")
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(fields: Mapping[str, str], key: str) -> bool:
    received = fields.get("signature", "")
    return hmac.compare_digest(signature(fields, key).encode(), str(received).encode())


@dataclass(frozen=True)
class Shop:
    """A site's PayZen shop, or the built-in test gateway when it has none."""

    site_id: str
    mode: str
    gateway_url: str
    builtin: bool
    key_env: str = ""

    @property
    def available(self) -> bool:
        """A real shop, or the built-in test gateway where it is allowed (demo, development:
        PAYZEN_TEST_GATEWAY); in production, a site with no PayZen account takes no payment."""
        return not self.builtin or bool(django_settings.PAYZEN_TEST_GATEWAY)

    def key(self, mode: str | None = None) -> str | None:
        """The key of a mode (the one a notification claims); secrets come from the
        environment only: <key_env>_TEST and <key_env>_PRODUCTION."""
        mode = mode or self.mode
        if mode not in ("TEST", "PRODUCTION"):
            return None
        if self.builtin:
            return TEST_KEY if mode == "TEST" and self.available else None
        if not self.key_env:
            return None
        return os.environ.get(f"{self.key_env}_{mode}") or None


def shop_for(settings: BillingSettings | None) -> Shop:
    if settings is None or not settings.payzen_site_id:
        return Shop(site_id=TEST_SITE_ID, mode="TEST", gateway_url="", builtin=True)
    return Shop(
        site_id=settings.payzen_site_id,
        mode=settings.payzen_mode,
        gateway_url=settings.payzen_gateway_url,
        builtin=False,
        key_env=settings.payzen_key_env,
    )


def payment_fields(
    *,
    transaction: OnlineTransaction,
    shop: Shop,
    email: str,
    base_url: str,
) -> dict[str, str]:
    """The vads_* fields of the payment form, signed."""
    base = base_url.rstrip("/")
    return_url = base + reverse("billing:payment_return", args=[transaction.order_id])
    fields = {
        "vads_action_mode": "INTERACTIVE",
        "vads_amount": str(transaction.amount_cents),
        "vads_ctx_mode": shop.mode,
        "vads_currency": "978",
        "vads_cust_email": email,
        "vads_order_id": transaction.order_id,
        "vads_page_action": "PAYMENT",
        "vads_payment_config": transaction.payment_config,
        "vads_site_id": shop.site_id,
        "vads_trans_date": transaction.trans_date,
        "vads_trans_id": transaction.trans_id,
        "vads_url_check": base + reverse("billing:ipn"),
        "vads_url_return": return_url,
        "vads_url_success": return_url,
        "vads_url_refused": return_url,
        "vads_url_cancel": return_url,
        "vads_return_mode": "GET",
        "vads_version": "V2",
    }
    key = shop.key()
    if key is None:
        raise RuntimeError(f"No PayZen key in the environment for shop {shop.site_id}.")
    fields["signature"] = signature(fields, key)
    return fields
