"""Garbage typed or forged in the shared pages never gives a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from extranet.models import Site, User
from families.models import Family
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

GARBAGE = [
    "x" * 10_000,
    "\x00",
    "nul\x00byte",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "🎻" * 300,
    "99999999999999999999",
    "-1",
    "   ",
]


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", ["site", "username", "password", "next"])
def test_the_login_survives_garbage(
    client: Client, alice: Family, moissy: Site, field: str, value: str
) -> None:
    data = {"site": str(moissy.pk), "username": "alice", "password": "wrong", field: value}

    response = client.post("/connexion/", data)

    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("value", GARBAGE)
def test_the_login_page_survives_garbage_in_its_address(client: Client, value: str) -> None:
    response = client.get("/connexion/", {"site": value, "acces": value, "next": value})

    assert response.status_code == 200


def test_the_login_survives_a_missing_form(client: Client, moissy: Site) -> None:
    assert client.post("/connexion/").status_code == 200
    assert client.post("/connexion/", {"site": [str(moissy.pk), "2"]}).status_code == 200


def test_an_unsafe_next_never_leaves_the_site_even_with_the_right_password(
    client: Client, alice: Family, moissy: Site
) -> None:
    response = client.post(
        "/connexion/",
        {
            "site": moissy.pk,
            "username": "alice",
            "password": PASSWORD,
            "next": "/\\evil.example.org",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/accueil/"


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", ["username", "email"])
def test_password_lost_survives_garbage(
    client: Client,
    alice: Family,
    field: str,
    value: str,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    data = {"username": "alice", "email": "alice@example.org", field: value}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/mot-de-passe-perdu/", data)

    assert response.status_code in (200, 302)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "path",
    [
        "/mot-de-passe/nouveau/!!!/abc/",
        "/mot-de-passe/nouveau/MQ/set-password/",
        "/mot-de-passe/nouveau/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-123/",
        "/mot-de-passe/nouveau/YWJj/abc-123/",
        "/mot-de-passe/nouveau/" + "A" * 5000 + "/" + "b" * 5000 + "/",
    ],
)
def test_a_forged_reset_link_is_just_invalid(client: Client, alice: Family, path: str) -> None:
    response = client.get(path, follow=True)

    assert response.status_code == 200
    assert "Ce lien n'est plus valable" in response.content.decode()


@pytest.mark.parametrize("value", GARBAGE)
def test_the_password_change_survives_garbage(
    alice_client: Client, alice: Family, value: str
) -> None:
    response = alice_client.post(
        "/mot-de-passe/",
        {"old_password": value, "new_password1": value, "new_password2": value},
    )

    assert response.status_code == 200
    assert alice.account is not None
    alice.account.refresh_from_db()
    assert alice.account.check_password(PASSWORD)


@pytest.mark.parametrize("value", GARBAGE)
def test_the_text_size_and_language_survive_garbage(client: Client, value: str) -> None:
    size = client.post("/accessibilite/taille-du-texte/", {"size": value, "next": value})
    language = client.post("/langue/", {"language": value, "next": value})

    assert size.status_code == 302
    assert language.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "%00", "99999999999999999999"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/families/family/{pk}/history/",
        "/admin/families/family/{pk}/history/1/",
        "/admin/students/student/{pk}/history/",
        "/admin/families/family/{pk}/change/",
        "/admin/extranet/user/{pk}/change/",
    ],
)
def test_the_admin_survives_ids_that_are_not_numbers(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, path: str, pk: str
) -> None:
    response = client_for(moissy_staff).get(path.format(pk=pk))

    assert response.status_code in (302, 404)


@pytest.mark.parametrize("version", ["abc", "1.5", "%00", "99999999999999999999"])
def test_the_admin_history_survives_versions_that_are_not_numbers(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, version: str
) -> None:
    url = f"/admin/families/family/{alice.pk}/history/{version}/"

    assert client_for(moissy_staff).get(url).status_code == 404


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize(
    "path", ["/admin/families/family/", "/admin/students/student/", "/admin/extranet/user/"]
)
def test_the_admin_search_survives_garbage(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, path: str, value: str
) -> None:
    response = client_for(moissy_staff).get(path, {"q": value})

    assert response.status_code == 200


@pytest.mark.parametrize("value", GARBAGE)
def test_the_admin_filters_survive_garbage(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, value: str
) -> None:
    response = client_for(moissy_staff).get(
        "/admin/families/family/", {"site__id__exact": value, "proof_of_address_needed": value}
    )

    assert response.status_code in (200, 302)


@pytest.mark.parametrize("value", GARBAGE)
def test_the_admin_autocomplete_survives_garbage(
    client_for: Callable[[User], Client], moissy_staff: User, alice: Family, value: str
) -> None:
    response = client_for(moissy_staff).get(
        "/admin/autocomplete/",
        {"app_label": "students", "model_name": "student", "field_name": "family", "term": value},
    )

    assert response.status_code == 200
