"""Connexion: a login is (site, identifiant, password); each account lands on its own home."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from extranet.models import Site, User
from families.models import Family
from students.models import Student
from tests.factories import PASSWORD
from tests.html import attr, find, find_all, page, text, without_csrf

GENERIC_ERROR = (
    "Site, identifiant ou mot de passe incorrect. Vérifiez le site choisi et réessayez, "
    "ou utilisez « Mot de passe perdu »."
)
DORA_PASSWORD = "Boulogne-2026-autre"


def log_in(client: Client, site: Site, username: str, password: str, **extra: str) -> HttpResponse:
    return client.post(
        "/connexion/", {"site": site.pk, "username": username, "password": password, **extra}
    )


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


@pytest.fixture
def dora_with_own_password(dora: Family) -> Family:
    assert dora.account is not None
    dora.account.set_password(DORA_PASSWORD)
    dora.account.save()
    return dora


def test_it_asks_for_the_site_in_a_drop_down(client: Client, moissy: Site, boulogne: Site) -> None:
    response = client.get("/connexion/?acces=usager")

    select = find(page(response), "select", name="site")
    options = [(attr(option, "value"), text(option)) for option in find_all(select, "option")]
    assert options == [
        ("", "Choisissez votre site"),
        (str(boulogne.pk), "Boulogne-Billancourt"),
        (str(moissy.pk), "Moissy-Cramayel"),
    ]
    assert find(page(response), "input", name="username")
    assert attr(find(page(response), "input", name="password"), "type") == "password"


def test_it_preselects_the_site_named_in_the_link(client: Client, moissy: Site) -> None:
    response = client.get("/connexion/?site=moissy-cramayel")

    option = find(page(response), "option", value=str(moissy.pk))
    assert attr(option, "selected") is not None


def test_the_same_identifiant_on_two_sites_opens_the_account_of_the_chosen_site(
    alice: Family, dora_with_own_password: Family, moissy: Site, boulogne: Site
) -> None:
    assert alice.account is not None and dora_with_own_password.account is not None

    at_moissy = Client()
    response = log_in(at_moissy, moissy, "alice", PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(at_moissy) == alice.account.pk

    at_boulogne = Client()
    response = log_in(at_boulogne, boulogne, "alice", DORA_PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(at_boulogne) == dora_with_own_password.account.pk


def test_it_refuses_the_password_of_the_same_identifiant_on_another_site(
    alice: Family, dora_with_own_password: Family, boulogne: Site
) -> None:
    client = Client()
    response = log_in(client, boulogne, "alice", PASSWORD)

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_the_identifiant_is_not_case_sensitive(client: Client, alice: Family, moissy: Site) -> None:
    response = log_in(client, moissy, "ALICE", PASSWORD)

    assert response.status_code == 302
    assert alice.account is not None
    assert logged_in_user_id(client) == alice.account.pk


def test_it_gives_one_generic_message_whatever_was_wrong(
    alice: Family, moissy: Site, boulogne: Site
) -> None:
    wrong_password = log_in(Client(), moissy, "alice", "not-the-password")
    unknown_user = log_in(Client(), moissy, "alicia", "not-the-password")
    wrong_site = log_in(Client(), boulogne, "alice", PASSWORD)

    for response in (wrong_password, unknown_user, wrong_site):
        assert response.status_code == 200
        summary = find(page(response), "div", class_="error-summary")
        assert [text(item) for item in find_all(summary, "li")] == [GENERIC_ERROR]
    # Nothing in the page tells an unknown identifiant from a wrong password.
    assert without_csrf(unknown_user).replace('value="alicia"', 'value="?"') == without_csrf(
        wrong_password
    ).replace('value="alice"', 'value="?"')


def test_it_never_sends_the_password_back(client: Client, alice: Family, moissy: Site) -> None:
    response = log_in(client, moissy, "alice", "secret-typed-wrong")

    assert "secret-typed-wrong" not in response.content.decode()


def test_it_says_which_field_is_missing(client: Client, moissy: Site) -> None:
    response = client.post("/connexion/", {"site": "", "username": "", "password": ""})

    body = text(page(response))
    assert "Choisissez le site de votre conservatoire." in body
    assert "Saisissez votre identifiant." in body
    assert "Saisissez votre mot de passe." in body


def test_it_refuses_a_deactivated_account(client: Client, alice: Family, moissy: Site) -> None:
    assert alice.account is not None
    alice.account.is_active = False
    alice.account.save()

    response = log_in(client, moissy, "alice", PASSWORD)

    assert response.status_code == 200
    assert GENERIC_ERROR in text(page(response))
    assert logged_in_user_id(client) is None


def test_a_family_lands_on_its_home_page(client: Client, alice: Family, moissy: Site) -> None:
    response = client.post(
        "/connexion/",
        {"site": moissy.pk, "username": "alice", "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [("/accueil/", 302), ("/famille/accueil/", 302)]
    assert response.status_code == 200
    assert "Bonjour Madame TEST FAMILLE" in text(page(response))


def test_a_teacher_lands_on_the_teacher_page(client: Client, teacher: User, moissy: Site) -> None:
    response = client.post(
        "/connexion/?acces=enseignant",
        {"site": moissy.pk, "username": "prof.moissy", "password": PASSWORD},
    )

    assert response["Location"] == "/accueil/"
    assert client.get("/accueil/")["Location"] == "/enseignant/"


def test_the_secretariat_is_asked_for_the_second_factor_before_the_admin(
    client: Client, moissy_staff: User, moissy: Site
) -> None:
    response = client.post(
        "/connexion/",
        {"site": moissy.pk, "username": "secretariat.moissy", "password": PASSWORD},
        follow=True,
    )

    # No authenticator paired yet: the setup page (tests/extranet/test_second_factor.py).
    assert response.redirect_chain == [
        ("/connexion/verification/?next=%2Fadmin%2F", 302),
        ("/connexion/verification/configurer/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_it_goes_back_to_the_page_asked_before_login(
    client: Client, alice: Family, moissy: Site, alice_student: Student
) -> None:
    target = f"/eleves/{alice_student.pk}/identite/"
    asked = client.get(target)
    assert asked.status_code == 302
    assert asked["Location"] == f"/connexion/?next={target}"

    form = find(page(client.get(asked["Location"])), "form", action="/connexion/")
    assert attr(find(form, "input", name="next"), "value") == target

    response = log_in(client, moissy, "alice", PASSWORD, next=target)
    assert response.status_code == 302
    assert response["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.org/",
        "//evil.example.org/famille/",
        "http://testserver.evil.example.org/",
        "javascript:alert(1)",
        "https:///evil.example.org",
    ],
)
def test_it_ignores_a_next_page_on_another_site(
    client: Client, alice: Family, moissy: Site, target: str
) -> None:
    form = find(page(client.get("/connexion/", {"next": target})), "form", action="/connexion/")
    assert find_all(form, "input", name="next") == []

    response = log_in(client, moissy, "alice", PASSWORD, next=target)

    assert response.status_code == 302
    assert response["Location"] == "/accueil/"


def test_it_renews_the_session_key_at_login(client: Client, alice: Family, moissy: Site) -> None:
    session = client.session
    session["langue_choisie"] = "fr"
    session.save()
    before = client.cookies["sessionid"].value

    response = log_in(client, moissy, "alice", PASSWORD)

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.session.get("langue_choisie") == "fr"
    assert alice.account is not None
    assert logged_in_user_id(client) == alice.account.pk


def test_it_asks_the_admin_login_to_go_through_the_portal_login(client: Client, db: None) -> None:
    response = client.get("/admin/login/?next=/admin/families/family/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=%2Fadmin%2Ffamilies%2Ffamily%2F"
