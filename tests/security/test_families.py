"""A family reaches its own objects only: another family's ids (of the same site or of another)
answer 404 to GET and POST and change nothing; other accounts don't open family pages; no page,
PDF or archive of a family shows another family's data."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import User
from tests.security.helpers import drained, private_texts, sample_url, shows_any
from tests.security.routes import BY_KEY, Access, Route, routes, with_ids
from tests.security.snapshot import changes, db_state
from tests.security.world import Party, World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]


def foreign_urls(route: Route, own: Party, other: Party) -> list[str]:
    """Every address of the route with at least one id of `other` in it, the rest `own`'s."""
    urls = set()
    for ids in route.id_variants():
        mine = route.url(own, ids=ids)
        for parties in itertools.product([own, other], repeat=len(ids)):
            url = route.url(*parties, ids=ids)
            if url != mine:
                urls.add(url)
    return sorted(urls)


@pytest.mark.parametrize("victim", ["bob", "dora"])
@pytest.mark.parametrize("key", [route.key for route in with_ids(Access.FAMILY)])
def test_a_family_cannot_reach_another_familys_objects(
    login: Login, world: World, key: str, victim: str
) -> None:
    route = BY_KEY[key]
    other: Party = getattr(world, victim)
    client = login(world.alice.account)
    urls = foreign_urls(route, world.alice, other)
    assert urls
    before = db_state()

    for url in urls:
        assert client.get(url).status_code == (405 if route.post_only else 404), url
        for data in route.data(other):
            assert client.post(url, data).status_code == 404, (url, data)

    assert not changes(before, db_state())
    # The same addresses work for their owner: the 404 above is about who asks.
    owner = login(other.account)
    response = owner.post(route.url(other), route.data(other)[0])
    drained(response)  # A file's answer holds it open until read.
    assert response.status_code in (200, 302), response.status_code


@pytest.mark.parametrize("account", ["teacher", "staff", "superuser"])
@pytest.mark.parametrize("key", [route.key for route in routes(Access.FAMILY)])
def test_other_accounts_cannot_open_family_pages(
    login: Login, world: World, key: str, account: str
) -> None:
    route = BY_KEY[key]
    user = {
        "teacher": world.alice.teacher_account,
        "staff": world.moissy.staff,
        "superuser": world.superuser,
    }[account]
    client = login(user)
    url = sample_url(route, world.alice)
    before = db_state()

    assert client.get(url).status_code == (405 if route.post_only else 404)
    for data in route.data(world.alice):
        assert client.post(url, data).status_code == 404

    assert not changes(before, db_state())


@pytest.mark.parametrize(
    "key", [route.key for route in routes(Access.FAMILY) if not route.post_only]
)
def test_family_pages_and_files_show_the_familys_own_data_only(
    login: Login, world: World, key: str
) -> None:
    route = BY_KEY[key]
    client = login(world.alice.account)

    response = client.get(sample_url(route, world.alice), follow=True)

    assert response.status_code == 200
    others = private_texts(world.bob) + private_texts(world.dora)
    assert shows_any(response, others) == []


def test_a_family_cannot_pick_another_familys_child_in_the_selector(
    login: Login, world: World
) -> None:
    client = login(world.alice.account)

    for party in (world.bob, world.dora):
        assert client.get(f"/eleves/?eleve={party.student.pk}").status_code == 404
