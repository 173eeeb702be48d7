"""Every "next" address the portal follows stays on the portal: no open redirect from the login,
the second factor, the text size or the language switch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from extranet.models import User
from tests.factories import PASSWORD
from tests.html import attr, find_all, page
from tests.security.world import World

pytestmark = pytest.mark.django_db

Login = Callable[[User], Client]
ELSEWHERE = [
    "https://pirate.example/",
    "//pirate.example/",
    "/\\pirate.example/",
    "http:pirate.example",
    "javascript:alert(1)",
]


def stays_here(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_login_does_not_send_elsewhere(client: Client, world: World, target: str) -> None:
    party = world.alice
    response = client.post(
        f"/connexion/?next={target}",
        {"site": party.site.site.pk, "username": party.account.username, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_shell_forms_do_not_send_elsewhere(login: Login, world: World, target: str) -> None:
    client = login(world.alice.account)

    for url, data in (
        ("/accessibilite/taille-du-texte/", {"size": "large", "next": target}),
        ("/langue/", {"language": "fr", "next": target}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert stays_here(response["Location"]), (url, response["Location"])
    response = client.get(f"/admin/login/?next={target}")
    assert stays_here(response["Location"])


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_second_factor_does_not_send_elsewhere(world: World, target: str) -> None:
    client = Client()
    client.force_login(world.moissy.staff)

    for url in ("/connexion/verification/configurer/", "/connexion/verification/"):
        response = client.get(f"{url}?next={target}")
        if response.status_code == 302:
            assert stays_here(response["Location"]), url
        else:
            # Where the form will go once the code is right.
            nexts = [attr(i, "value") or "" for i in find_all(page(response), "input", name="next")]
            assert nexts and all(stays_here(value) for value in nexts), (url, nexts)
