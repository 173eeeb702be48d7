"""A teacher reaches their own slots and pupils only: another teacher's (of the same site or of
another) answer 404 to GET and POST and change nothing; other accounts don't open teacher
pages; a teacher's pages show no other teacher's pupils."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import User
from tests.security.helpers import private_texts, sample_url, shows_any
from tests.security.routes import BY_KEY, Access, routes, with_ids
from tests.security.snapshot import changes, db_state
from tests.security.world import Party, World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]


@pytest.mark.parametrize("victim", ["bob", "dora"])
@pytest.mark.parametrize("key", [route.key for route in with_ids(Access.TEACHER)])
def test_a_teacher_cannot_reach_another_teachers_slots_and_pupils(
    login: Login, world: World, key: str, victim: str
) -> None:
    route = BY_KEY[key]
    other: Party = getattr(world, victim)
    client = login(world.alice.teacher_account)
    url = route.url(other)
    before = db_state()

    assert client.get(url).status_code == 404
    for data in route.data(other):
        assert client.post(url, data).status_code == 404, data

    assert not changes(before, db_state())
    # The slot's own teacher opens the same address: the 404 above is about who asks.
    assert login(other.teacher_account).get(url).status_code == 200


@pytest.mark.parametrize("account", ["family", "staff", "superuser"])
@pytest.mark.parametrize("key", [route.key for route in routes(Access.TEACHER)])
def test_other_accounts_cannot_open_teacher_pages(
    login: Login, world: World, key: str, account: str
) -> None:
    route = BY_KEY[key]
    user = {
        "family": world.alice.account,
        "staff": world.moissy.staff,
        "superuser": world.superuser,
    }[account]
    client = login(user)
    url = sample_url(route, world.alice)
    before = db_state()

    assert client.get(url).status_code == 404
    for data in route.data(world.alice):
        assert client.post(url, data).status_code == 404

    assert not changes(before, db_state())


@pytest.mark.parametrize("key", [route.key for route in routes(Access.TEACHER)])
def test_teacher_pages_show_the_teachers_own_pupils_only(
    login: Login, world: World, key: str
) -> None:
    client = login(world.alice.teacher_account)

    response = client.get(sample_url(BY_KEY[key], world.alice))

    assert response.status_code == 200
    assert world.alice.slot.course.name in response.content.decode()
    assert shows_any(response, private_texts(world.bob) + private_texts(world.dora)) == []
