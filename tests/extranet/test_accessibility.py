"""Accessibilité (text size), Mentions légales and the language switch."""

from __future__ import annotations

import pytest
from django.test import Client

from extranet.models import Site
from families.models import Family
from tests.html import attr, find, find_all, page, text

pytestmark = pytest.mark.django_db


def html_class(client: Client, url: str = "/accessibilite/") -> str | None:
    return attr(page(client.get(url)), "class")


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_accessibility_page_is_open_to_everyone(
    client: Client, alice: Family, logged_in: bool
) -> None:
    if logged_in:
        assert alice.account is not None
        client.force_login(alice.account)

    response = client.get("/accessibilite/")

    assert response.status_code == 200
    assert text(find(page(response), "h1")) == "Aide - Accessibilité"
    assert "RGAA 4.1" in text(page(response))


def test_it_shows_each_site_accessibility_statement(client: Client, moissy: Site) -> None:
    moissy.accessibility_statement = "Boucle magnétique à l'accueil du conservatoire."
    moissy.save()

    response = client.get("/accessibilite/")

    assert "Boucle magnétique à l'accueil du conservatoire." in text(page(response))


def test_it_offers_three_text_sizes_with_the_current_one_checked(client: Client) -> None:
    response = client.get("/accessibilite/")

    form = find(page(response), "form", action="/accessibilite/taille-du-texte/")
    radios = find_all(form, "input", type="radio", name="size")
    assert [attr(radio, "value") for radio in radios] == ["normal", "large", "xlarge"]
    assert [attr(radio, "value") for radio in radios if attr(radio, "checked") is not None] == [
        "normal"
    ]
    assert [text(find(form, "label", for_=attr(radio, "id"))) for radio in radios] == [
        "Normale",
        "Grande",
        "Très grande",
    ]


@pytest.mark.parametrize("size", ["large", "xlarge", "normal"])
def test_choosing_a_text_size_sets_a_cookie_and_the_page_class(
    alice_client: Client, size: str
) -> None:
    response = alice_client.post("/accessibilite/taille-du-texte/", {"size": size})

    assert response.status_code == 302
    assert response["Location"] == "/accessibilite/"
    cookie = response.cookies["text_size"]
    assert cookie.value == size
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    assert cookie["samesite"] == "Lax"
    assert html_class(alice_client) == f"text-{size}"
    assert html_class(alice_client, "/famille/") == f"text-{size}"
    radio = find(page(alice_client.get("/accessibilite/")), "input", value=size, name="size")
    assert attr(radio, "checked") is not None


def test_an_unknown_text_size_changes_nothing(client: Client) -> None:
    client.post("/accessibilite/taille-du-texte/", {"size": "large"})

    response = client.post("/accessibilite/taille-du-texte/", {"size": "gigantic"})

    assert response.status_code == 302
    assert "text_size" not in response.cookies
    assert html_class(client) == "text-large"


def test_a_forged_text_size_cookie_falls_back_to_normal(client: Client) -> None:
    client.cookies["text_size"] = 'x" onload="alert(1)'

    assert html_class(client) == "text-normal"


def test_the_text_size_form_returns_to_a_safe_next_page_only(alice_client: Client) -> None:
    back_home = alice_client.post(
        "/accessibilite/taille-du-texte/", {"size": "large", "next": "/famille/"}
    )
    away = alice_client.post(
        "/accessibilite/taille-du-texte/", {"size": "large", "next": "https://evil.example.org/"}
    )

    assert back_home["Location"] == "/famille/"
    assert away["Location"] == "/accessibilite/"


def test_the_text_size_form_refuses_a_get(client: Client) -> None:
    assert client.get("/accessibilite/taille-du-texte/?size=large").status_code == 405


def test_the_legal_notice_lists_every_site(client: Client, moissy: Site, boulogne: Site) -> None:
    moissy.legal_notice = "Directeur de la publication : le maire de Moissy-Cramayel."
    moissy.save()

    response = client.get("/mentions-legales/")

    assert response.status_code == 200
    assert text(find(page(response), "h1")) == "Mentions légales"
    titles = [text(title) for title in find_all(page(response), "h2")]
    assert titles == ["Boulogne-Billancourt", "Moissy-Cramayel"]
    assert "Directeur de la publication : le maire de Moissy-Cramayel." in text(page(response))


@pytest.mark.parametrize("url", ["/", "/accessibilite/", "/famille/"])
def test_the_language_switch_turns_the_page_to_english(alice_client: Client, url: str) -> None:
    assert attr(page(alice_client.get(url)), "lang") == "fr"

    response = alice_client.post("/langue/", {"language": "en", "next": url})

    assert response.status_code == 302
    assert response["Location"] == url
    assert attr(page(alice_client.get(url)), "lang") == "en"


def test_the_language_switch_goes_back_to_french(client: Client) -> None:
    client.post("/langue/", {"language": "en", "next": "/"})

    client.post("/langue/", {"language": "fr", "next": "/"})

    assert attr(page(client.get("/")), "lang") == "fr"


def test_the_language_switch_ignores_an_unknown_language(client: Client) -> None:
    client.post("/langue/", {"language": "xx", "next": "/"})

    assert attr(page(client.get("/")), "lang") == "fr"


def test_every_page_offers_the_language_switch(client: Client) -> None:
    form = find(page(client.get("/")), "form", action="/langue/")

    assert attr(form, "method") == "post"
    options = find_all(find(form, "select", name="language"), "option")
    assert [attr(option, "value") for option in options] == ["fr", "en"]
