"""Accueil: the greeting, one button per child, the site's welcome message."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from extranet.models import Site, User
from families.models import Family
from students.models import Student
from tests.factories import FamilyFactory, StudentFactory
from tests.html import attr, find, find_all, page, text


def test_it_greets_the_responsible_by_civility_name_and_first_name(alice_client: Client) -> None:
    response = alice_client.get("/famille/accueil/")

    assert response.status_code == 200
    assert text(find(page(response), "h1")) == "Bonjour Madame TEST FAMILLE"


def test_it_writes_the_name_in_capitals(client_for: Callable[[User], Client], moissy: Site) -> None:
    family = FamilyFactory(site=moissy, civilite="Monsieur", nom="Durand", prenom="Jean")

    response = client_for(family.account).get("/famille/accueil/")

    assert text(find(page(response), "h1")) == "Bonjour Monsieur DURAND Jean"


def test_it_has_one_button_per_child_to_its_identity(
    alice_client: Client, alice: Family, alice_student: Student, bob: Family
) -> None:
    keera = StudentFactory(family=alice, prenom="Keera", nom="TEST")

    response = alice_client.get("/famille/accueil/")

    buttons = find_all(find(page(response), "ul", class_="children"), "a")
    assert [(text(button), attr(button, "href")) for button in buttons] == [
        ("TEST Gaëlle", f"/eleves/{alice_student.pk}/identite/"),
        ("TEST Keera", f"/eleves/{keera.pk}/identite/"),
    ]
    assert "MARTIN Léo" not in text(page(response))


def test_a_family_without_children_has_no_buttons(
    client_for: Callable[[User], Client], moissy: Site
) -> None:
    family = FamilyFactory(site=moissy)

    response = client_for(family.account).get("/famille/accueil/")

    assert response.status_code == 200
    assert find_all(page(response), "ul", class_="children") == []


def test_it_shows_the_welcome_message_of_the_site(
    alice_client: Client, moissy: Site, boulogne: Site
) -> None:
    moissy.welcome_message = "Chers élèves et parents d'élèves,\nL'administration du conservatoire."
    moissy.save()
    boulogne.welcome_message = "Bienvenue à Boulogne."
    boulogne.save()

    response = alice_client.get("/famille/accueil/")

    section = find(page(response), "section", **{"aria-labelledby": "message-accueil"})
    assert text(find(section, "h2")) == "Le mot du conservatoire de Moissy-Cramayel"
    assert text(find(section, "p")) == (
        "Chers élèves et parents d'élèves, L'administration du conservatoire."
    )
    assert find_all(section, "br")
    assert "Bienvenue à Boulogne." not in text(page(response))


def test_it_escapes_the_welcome_message(alice_client: Client, moissy: Site) -> None:
    moissy.welcome_message = "<script>alert('x')</script>"
    moissy.save()

    response = alice_client.get("/famille/accueil/")

    assert "<script>alert" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_it_has_no_welcome_section_when_the_site_has_no_message(
    alice_client: Client, moissy: Site
) -> None:
    moissy.welcome_message = ""
    moissy.save()

    response = alice_client.get("/famille/accueil/")

    assert find_all(page(response), "section") == []


def test_it_reminds_a_family_that_moved_to_bring_a_proof_of_address(
    alice_client: Client, alice: Family
) -> None:
    assert "justificatif de domicile" not in text(page(alice_client.get("/famille/accueil/")))
    alice.proof_of_address_needed = True
    alice.save()

    response = alice_client.get("/famille/accueil/")

    assert "justificatif de domicile" in text(find(page(response), "p", class_="notice"))


def test_its_title_names_the_page_and_the_site(alice_client: Client, moissy: Site) -> None:
    response = alice_client.get("/famille/accueil/")

    assert text(find(page(response), "title")) == f"Accueil · {moissy.name} · Tutti"


def test_it_leads_to_mes_donnees(alice_client: Client) -> None:
    links = find_all(page(alice_client.get("/famille/accueil/")), "a", href="/famille/mes-donnees/")
    assert [text(link) for link in links if "Mes données" in text(link)]
