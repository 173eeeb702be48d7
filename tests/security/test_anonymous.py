"""Anonymous visitors: every page behind a login sends them to it, token links with a wrong
token show nothing, public pages show no one's data; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.test import Client

from billing.models import OnlineTransaction, Payment, PaymentNotification
from extranet.models import User
from reenrollment.models import Choice
from tests.security.admin_models import admin_url, label, registered
from tests.security.helpers import LOGIN, private_texts, sample_url, sent_to_login, shows_any
from tests.security.routes import BY_KEY, CATCH_ALL, STANDARD_ADMIN_VIEWS, Access, routes
from tests.security.snapshot import changes, db_state
from tests.security.world import World

pytestmark = pytest.mark.django_db

LOGGED_IN_ONLY = [
    r.key for r in routes(Access.FAMILY, Access.TEACHER, Access.ACCOUNT, Access.STAFF_LOGIN)
]
ADMIN_ONLY = [r.key for r in routes(Access.ADMIN, Access.STAFF)]
PUBLIC = [r.key for r in routes(Access.PUBLIC)]


@pytest.mark.parametrize("key", LOGGED_IN_ONLY)
def test_pages_behind_the_login_send_anonymous_visitors_to_it(
    client: Client, world: World, key: str
) -> None:
    route = BY_KEY[key]
    url = sample_url(route, world.alice)
    before = db_state()

    got = client.get(url)
    posted = [client.post(url, data) for data in route.data(world.alice)]

    if route.post_only:
        assert got.status_code == 405
    else:
        assert sent_to_login(got, url), (got.status_code, got.get("Location"))
    for response in posted:
        assert sent_to_login(response, url), (response.status_code, response.get("Location"))
    assert not changes(before, db_state())


def ends_at_the_login(client: Client, method: str, url: str, data: Any = None) -> bool:
    response = getattr(client, method)(url, data, follow=True)
    return response.status_code == 200 and response.request["PATH_INFO"] == LOGIN


@pytest.mark.parametrize("key", [*ADMIN_ONLY, CATCH_ALL])
def test_admin_pages_send_anonymous_visitors_to_the_login(
    client: Client, world: World, key: str
) -> None:
    if key == CATCH_ALL:
        url, forms = "/admin/pas-une-page/", [{}]
    else:
        url, forms = sample_url(BY_KEY[key], world.alice), BY_KEY[key].data(world.alice)
    before = db_state()

    assert ends_at_the_login(client, "get", url)
    for data in forms:
        assert ends_at_the_login(client, "post", url, data)
    assert not changes(before, db_state())


@pytest.mark.parametrize("model", sorted(registered(), key=label), ids=label)
def test_every_admin_model_sends_anonymous_visitors_to_the_login(
    client: Client, model: type[models.Model]
) -> None:
    for view in STANDARD_ADMIN_VIEWS:
        url = admin_url(model, view, pk=1)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url
        assert client.post(url, {"nom": "PIRATE"}).status_code == 302, url


@pytest.mark.parametrize("key", PUBLIC)
def test_public_pages_show_no_ones_data(client: Client, world: World, key: str) -> None:
    route = BY_KEY[key]
    url = sample_url(route, world.alice)

    response = client.get(url)

    assert response.status_code in (200, 302, 405), response.status_code
    everyone = [text for party in world.parties() for text in private_texts(party)]
    assert shows_any(response, everyone) == []


@pytest.mark.parametrize(
    "token",
    ["", "x", "A" * 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_", "%00", "..%2F..%2Fetc%2Fpasswd"],
)
def test_a_calendar_feed_with_a_wrong_token_is_not_found(
    client: Client, world: World, token: str
) -> None:
    assert client.get(f"/calendrier/{token}.ics").status_code == 404


def test_a_calendar_feed_answers_its_own_token_only(client: Client, world: World) -> None:
    response = client.get(f"/calendrier/{world.alice.feed.token}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = response.content.decode()
    assert world.alice.student.prenom in calendar
    assert world.bob.student.prenom not in calendar
    assert world.dora.student.prenom not in calendar


def test_a_password_link_with_a_wrong_token_offers_no_form(client: Client, world: World) -> None:
    url = sample_url(BY_KEY["extranet:password_reset_confirm"], world.alice)
    password = world.alice.account.password

    response = client.get(url, follow=True)
    posted = client.post(
        url, {"new_password1": "Pirate-2026-x!", "new_password2": "Pirate-2026-x!"}, follow=True
    )

    assert response.status_code == 200
    assert "new_password1" not in response.content.decode()
    assert "new_password1" not in posted.content.decode()
    assert User.objects.get(pk=world.alice.account.pk).password == password


def test_a_waiting_list_offer_needs_the_familys_login(client: Client, world: World) -> None:
    url = f"/reinscription/offre/{world.alice.choice.offer_token}/"

    assert sent_to_login(client.get(url), url)
    assert sent_to_login(client.post(url, {"answer": "accept"}), url)
    assert Choice.objects.get(pk=world.alice.choice.pk).state == Choice.State.OFFERED


def test_the_payment_notification_ignores_unsigned_posts(world: World) -> None:
    bank = Client(enforce_csrf_checks=True)
    tx = world.alice.transaction
    forged = {
        "vads_order_id": tx.order_id,
        "vads_trans_status": "AUTHORISED",
        "vads_amount": str(tx.amount_cents),
        "vads_currency": "978",
        "vads_trans_id": tx.trans_id,
        "vads_ctx_mode": tx.mode,
        "signature": "0" * 44,
    }

    answers = [bank.post("/facturation/paiement/notification/", data) for data in ({}, forged)]

    assert [a.content for a in answers] == [b"unknown order", b"bad signature"]
    assert Payment.objects.filter(invoice=tx.invoice).count() == 1  # The cheque of the world.
    assert OnlineTransaction.objects.get(pk=tx.pk).status == OnlineTransaction.Status.CREATED
    assert not PaymentNotification.objects.filter(valid_signature=True).exists()


def test_the_test_gateway_refuses_what_it_did_not_sign(client: Client, world: World) -> None:
    assert client.get("/facturation/passerelle-test/").status_code == 404
    response = client.post(
        "/facturation/passerelle-test/",
        {"vads_ctx_mode": "TEST", "vads_amount": "1", "signature": "x", "outcome": "accepted"},
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 3  # The cheques of the world, nothing more.
