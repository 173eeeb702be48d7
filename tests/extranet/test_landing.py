"""The front door: Accès usager, Accès enseignant, Pré-inscription, and the sites."""

import pytest
from django.test import Client

from extranet.models import Site
from tests.html import attr, find, find_all, page, text


@pytest.fixture
def sites(moissy: Site, boulogne: Site) -> list[Site]:
    moissy.institution = "Conservatoire de Moissy-Cramayel"
    moissy.address = "Place du Souvenir"
    moissy.postal_code = "77550"
    moissy.phone = "01 64 88 15 00"
    moissy.email = "conservatoire.moissy@example.org"
    moissy.save()
    boulogne.institution = "Conservatoire à rayonnement régional"
    boulogne.address = "22 rue de la Belle Feuille"
    boulogne.postal_code = "92100"
    boulogne.city = "Boulogne-Billancourt"
    boulogne.phone = "01 55 18 45 85"
    boulogne.email = "conservatoire.boulogne@example.org"
    boulogne.save()
    return [boulogne, moissy]


def test_it_offers_the_three_entries(client: Client, sites: list[Site]) -> None:
    response = client.get("/")

    assert response.status_code == 200
    links = find_all(find(page(response), "ul", class_="entries"), "a")
    assert [attr(link, "href") for link in links] == [
        "/connexion/?acces=usager",
        "/connexion/?acces=enseignant",
        "/pre-inscription/",
    ]
    labels = [text(link) for link in links]
    assert labels[0].startswith("Accès usager")
    assert labels[1].startswith("Accès enseignant")
    assert labels[2].startswith("Pré-inscription")


def test_it_shows_each_site_with_its_contact_details(client: Client, sites: list[Site]) -> None:
    response = client.get("/")

    cards = find_all(find(page(response), "ul", class_="sites"), "li")
    assert [text(find(card, "h3")) for card in cards] == ["Boulogne-Billancourt", "Moissy-Cramayel"]
    for card, site in zip(cards, sites, strict=True):
        address = text(find(card, "address"))
        for detail in (
            site.institution,
            site.address,
            f"{site.postal_code} {site.city}",
            site.phone,
            site.email,
        ):
            assert detail in address
        assert attr(find(card, "a"), "href") == f"mailto:{site.email}"


def test_each_entry_opens_its_page(client: Client, sites: list[Site]) -> None:
    for url, title in (
        ("/connexion/?acces=usager", "Accès usager : Connexion"),
        ("/connexion/?acces=enseignant", "Accès enseignant : Connexion"),
        ("/pre-inscription/", "Pré-inscription"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert text(find(page(response), "h1")) == title
