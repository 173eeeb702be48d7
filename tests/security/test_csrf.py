"""A form posted without its CSRF token is refused (403) and changes nothing, on every route,
for the account that could otherwise post it. The payment notification and the test gateway are
exempt on purpose: a signature protects them instead (see test_anonymous)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import mail
from django.db import models
from django.http import HttpResponse
from django.test import Client
from django.utils.crypto import get_random_string

from extranet.models import User
from tests.security.admin_models import (
    NETWORK_WIDE,
    SUPERUSER_ONLY,
    admin_url,
    label,
    registered,
)
from tests.security.helpers import drained, sample_url
from tests.security.routes import BY_KEY, ROUTES, Access, Route
from tests.security.snapshot import changes, db_state
from tests.security.world import World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]
CSRF_FAILURE = "extranet/csrf_failure.html"


def poster(route: Route, world: World, login: Login) -> Client:
    """A client of the account that may post to the route, checking CSRF as browsers get it."""
    party = world.alice
    if route.access in (Access.PUBLIC, Access.TOKEN):
        client = Client()
    elif route.access in (Access.ACCOUNT, Access.FAMILY):
        client = login(party.account)
    elif route.access == Access.TEACHER:
        client = login(party.teacher_account)
    elif route.access == Access.STAFF_LOGIN:
        client = Client()
        client.force_login(party.site.staff)  # Between the password and the code.
    elif route.key.startswith("admin:otp_totp_"):
        client = login(world.superuser)
    else:
        client = login(party.site.staff)
    client.handler.enforce_csrf_checks = True
    return client


def refused_for_csrf(response: HttpResponse) -> bool:
    return response.status_code == 403 and CSRF_FAILURE in [t.name for t in response.templates]


def with_token(client: Client, data: dict[str, object]) -> dict[str, object]:
    """The same form with the token a page of the portal would have put in it."""
    token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return {**data, "csrfmiddlewaretoken": token}


@pytest.mark.parametrize("key", [route.key for route in ROUTES if not route.csrf_exempt])
def test_a_post_without_its_csrf_token_is_refused(login: Login, world: World, key: str) -> None:
    route = BY_KEY[key]
    client = poster(route, world, login)
    url = sample_url(route, world.alice)
    forms = route.data(world.alice)
    before = db_state()

    for data in forms:
        assert refused_for_csrf(client.post(url, data)), data

    assert not changes(before, db_state())
    assert mail.outbox == []
    # With its token, the same form reaches the view: the refusal above was the token's.
    response = client.post(url, with_token(client, route.data(world.alice)[0]))
    drained(response)
    assert not refused_for_csrf(response)


def test_the_admins_catch_all_address_refuses_a_post_without_token(
    login: Login, world: World
) -> None:
    client = login(world.moissy.staff)
    client.handler.enforce_csrf_checks = True

    assert refused_for_csrf(client.post("/admin/pas-une-page/", {}))


def admin_poster(model: type[models.Model], world: World, login: Login) -> Client:
    user = world.superuser if label(model) in SUPERUSER_ONLY | NETWORK_WIDE else world.moissy.staff
    client = login(user)
    client.handler.enforce_csrf_checks = True
    return client


@pytest.mark.parametrize("model", sorted(registered(), key=label), ids=label)
def test_admin_forms_without_their_csrf_token_are_refused(
    login: Login, world: World, model: type[models.Model]
) -> None:
    client = admin_poster(model, world, login)
    row = model._default_manager.order_by("pk").first()
    pk = row.pk if row is not None else 1
    before = db_state()

    posts = [
        (admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [pk]}),
        (admin_url(model, "add"), {"name": "Pirate", "nom": "PIRATE"}),
        (admin_url(model, "change", pk), {"name": "Pirate", "nom": "PIRATE"}),
        (admin_url(model, "delete", pk), {"post": "yes"}),
    ]
    for url, data in posts:
        assert refused_for_csrf(client.post(url, data)), url

    assert not changes(before, db_state())
