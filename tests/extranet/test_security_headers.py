"""Security headers on every answer: HSTS, a strict Content-Security-Policy (no inline script,
no inline style), Referrer-Policy, X-Frame-Options DENY, nosniff; and templates that keep to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from families.models import Family

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    "url", ["/", "/connexion/", "/famille/accueil/", "/famille/", "/facturation/"]
)
def test_family_pages_carry_the_security_headers(alice_client: Client, url: str) -> None:
    response = alice_client.get(url)

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_sent_over_https(client: Client, settings: SettingsWrapper) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False

    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/")  # Never over plain HTTP.


def test_the_admin_is_under_the_same_policy(client: Client) -> None:
    response = client.get("/admin/", follow=True)
    assert "script-src 'self';" in response["Content-Security-Policy"] + ";"


def test_the_payment_page_may_post_to_its_gateway_only(
    alice_client: Client, alice: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    from billing.models import BillingSettings
    from tests.factories import InvoiceFactory

    BillingSettings.objects.update_or_create(
        site=alice.site,
        defaults={
            "payzen_site_id": "12345678",
            "payzen_gateway_url": "https://secure.payzen.eu/vads-payment/",
            "payzen_key_env": "PAYZEN_KEY_TEST_SECURITY",
        },
    )
    monkeypatch.setenv("PAYZEN_KEY_TEST_SECURITY_TEST", "a-shop-test-key")
    invoice = InvoiceFactory(family=alice)
    response = alice_client.post(f"/facturation/factures/{invoice.pk}/payer/")

    assert response.status_code == 200, response.content[:500]
    policy = directives(response["Content-Security-Policy"])
    assert policy["form-action"] == ["'self'", "https://secure.payzen.eu"]
    assert policy["script-src"] == ["'self'"]


TEMPLATE_FOLDERS = [ROOT / "templates", *ROOT.glob("*/templates")]
# Emails are read in mail programs, not under the portal's policy: inline styles are their norm.
EMAIL_TEMPLATE = re.compile(r"/emails?/")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def portal_templates() -> list[Path]:
    return [
        path
        for folder in TEMPLATE_FOLDERS
        if ".venv" not in str(folder)
        for path in folder.rglob("*.html")
        if not EMAIL_TEMPLATE.search(str(path.relative_to(folder)))
    ]


def test_there_are_templates_to_check() -> None:
    assert len(portal_templates()) > 40


@pytest.mark.parametrize(
    "pattern", [INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, JAVASCRIPT_URL], ids=str
)
def test_no_template_needs_an_inline_script_or_style(pattern: re.Pattern[str]) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in portal_templates()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
