"""Staff reach the admin only after a TOTP code (django-otp): pairing at the first login, a code
at every login, wrong codes refused and throttled, families never asked."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from extranet.models import AuditEntry, Site, User
from families.models import Family
from tests.extranet.test_login import PASSWORD
from tests.html import attr, find, page, text

pytestmark = pytest.mark.django_db


def code_for(key: bytes, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset in 30-second steps)."""
    totp = TOTP(key)
    totp.time = time.time() + offset * 30
    return f"{totp.token():06d}"


def log_in(client: Client, site: Site, username: str) -> None:
    client.post("/connexion/", {"site": site.pk, "username": username, "password": PASSWORD})


def test_the_first_login_pairs_an_authenticator_app(
    client: Client, moissy_staff: User, moissy: Site
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    setup = client.get("/connexion/verification/configurer/?next=/admin/")
    html = page(setup)

    # The QR code is an image in a data: address, with a text alternative; the key is shown too.
    qr = find(html, "img", class_="otp-qr")
    assert attr(qr, "src").startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(attr(qr, "src").split(",", 1)[1])
    assert b"<svg" in svg and b"<script" not in svg
    assert attr(qr, "alt")
    secret = text(find(html, "code", id="otp-secret")).replace(" ", "")
    key = base64.b32decode(secret)
    device = TOTPDevice.objects.get(user=moissy_staff)
    assert device.confirmed is False and device.bin_key == key

    response = client.post(
        "/connexion/verification/configurer/", {"code": code_for(key), "next": "/admin/"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get(action="admin.otp_configured")
    assert (entry.actor, entry.site) == (moissy_staff, moissy)


def test_a_wrong_code_is_explained_next_to_the_field_and_pairs_nothing(
    client: Client, moissy_staff: User, moissy: Site
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    client.get("/connexion/verification/configurer/")
    device = TOTPDevice.objects.get(user=moissy_staff)
    wrong = f"{(int(code_for(device.bin_key)) + 1) % 1_000_000:06d}"

    response = client.post("/connexion/verification/configurer/", {"code": wrong})

    assert response.status_code == 200
    html = page(response)
    assert "pas le bon" in text(find(html, id="error_1_id_code"))
    assert attr(find(html, "input", name="code"), "value") == wrong
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("typed", ["12345", "abcdef", "1234567", ""])
def test_a_malformed_code_gets_a_french_message(
    client: Client, moissy_staff: User, moissy: Site, typed: str
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    response = client.post("/connexion/verification/configurer/", {"code": typed})

    assert response.status_code == 200
    message = text(find(page(response), id="error_1_id_code"))
    assert "6 chiffres" in message


@pytest.fixture
def paired(moissy_staff: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=moissy_staff, name="Téléphone", confirmed=True)


def test_every_login_asks_for_a_code_then_opens_the_admin(
    client: Client, moissy: Site, paired: TOTPDevice
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    before = client.session.session_key
    assert client.get("/admin/").status_code == 302

    asked = client.get("/connexion/verification/?next=/admin/reenrollment/")
    assert asked.status_code == 200
    assert attr(find(page(asked), "input", name="code"), "autocomplete") == "one-time-code"

    response = client.post(
        "/connexion/verification/",
        {"code": code_for(paired.bin_key), "next": "/admin/reenrollment/"},
    )

    assert response["Location"] == "/admin/reenrollment/"
    assert client.session.session_key != before  # A new session id with the new rights.
    assert client.get("/admin/").status_code == 200


def test_a_code_works_once(client: Client, moissy: Site, paired: TOTPDevice) -> None:
    code = code_for(paired.bin_key)
    log_in(client, moissy, "secretariat.moissy")
    assert client.post("/connexion/verification/", {"code": code}).status_code == 302

    other = Client()
    log_in(other, moissy, "secretariat.moissy")
    replay = other.post("/connexion/verification/", {"code": code})

    assert replay.status_code == 200
    assert other.get("/admin/").status_code == 302


def test_wrong_codes_are_throttled_and_audited(
    client: Client, moissy: Site, paired: TOTPDevice, moissy_staff: User
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    good = code_for(paired.bin_key)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    client.post("/connexion/verification/", {"code": wrong})

    # Right after a failure the device refuses even the right code for a moment.
    response = client.post("/connexion/verification/", {"code": good})

    assert response.status_code == 200
    assert "Trop de codes erronés" in text(find(page(response), id="error_1_id_code"))
    assert client.get("/admin/").status_code == 302
    assert AuditEntry.objects.filter(action="admin.otp_failed", actor=moissy_staff).count() == 2


def test_the_admin_login_address_leads_a_logged_in_staff_member_to_the_code(
    client: Client, moissy: Site, paired: TOTPDevice
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    response = client.get("/admin/billing/invoice/")

    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert followed.status_code == 302
    assert followed["Location"] == "/connexion/verification/?next=%2Fadmin%2Fbilling%2Finvoice%2F"


def test_a_next_address_elsewhere_is_ignored(
    client: Client, moissy: Site, paired: TOTPDevice
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    response = client.post(
        "/connexion/verification/",
        {"code": code_for(paired.bin_key), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/admin/"


def test_families_and_anonymous_visitors_never_reach_the_code_pages(
    alice_client: Client, client: Client
) -> None:
    for url in ("/connexion/verification/", "/connexion/verification/configurer/"):
        assert alice_client.get(url).status_code == 404
        assert alice_client.post(url, {"code": "123456"}).status_code == 404
        assert client.get(url)["Location"].startswith("/connexion/?next=")


def test_families_log_in_without_a_second_factor(
    client: Client, alice: Family, moissy: Site
) -> None:
    response = client.post(
        "/connexion/", {"site": moissy.pk, "username": "alice", "password": PASSWORD}
    )
    assert response["Location"] == "/accueil/"


def test_only_superusers_see_and_reset_second_factors(
    client_for: Callable[[User], Client], moissy_staff: User, paired: TOTPDevice
) -> None:
    staff = client_for(moissy_staff)
    assert staff.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert "totpdevice" not in staff.get("/admin/").content.decode()

    superuser = User.objects.create_superuser(
        username="root", site=moissy_staff.site, password=PASSWORD
    )
    admin = client_for(superuser)
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert admin.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    deleted = admin.post(f"/admin/otp_totp/totpdevice/{paired.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(pk=paired.pk).exists()
    # The next login of that staff member pairs a new app.
    assert staff.get("/connexion/verification/")["Location"].startswith(
        "/connexion/verification/configurer/"
    )


def test_the_setup_page_is_not_offered_once_paired(
    client: Client, moissy: Site, paired: TOTPDevice
) -> None:
    log_in(client, moissy, "secretariat.moissy")
    response = client.get("/connexion/verification/configurer/")
    assert response.status_code == 302
    assert re.match(r"^/connexion/verification/\?next=", response["Location"])
    assert TOTPDevice.objects.filter(user=paired.user).count() == 1
