"""Famille: the responsible's record, as the families' manual shows it."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client

from families.models import Family
from students.models import Student
from tests.factories import StudentFactory
from tests.html import attr, error_of, find, find_all, label_of, messages_of, page, text
from tests.pages import family_form_data

MANUAL_LABELS = {
    "civilite": "Civilité",
    "nom": "Nom",
    "prenom": "Prénom",
    "situation_familiale": "Situation familiale",
    "code_socio_professionnel": "Code socio-professionnel",
    "profession": "Profession",
    "adresse": "Adresse",
    "code_postal": "Code postal",
    "ville": "Ville",
    "tel_domicile": "Tél domicile",
    "mobile": "Mobile",
    "tel_pro": "Tél pro",
    "email": "E-mail",
    "tel_supplementaire_1": "Tél supplémentaire 1",
    "tel_supplementaire_2": "Tél supplémentaire 2",
    "tel_supplementaire_3": "Tél supplémentaire 3",
}
BAD_PHONE = "Numéro invalide : 10 chiffres commençant par 0, par exemple 06 12 34 56 78."
BAD_POSTAL_CODE = "Code postal invalide : 5 chiffres, par exemple 77550."
BAD_EMAIL = "Adresse e-mail invalide, par exemple prenom.nom@exemple.fr."
ADDRESS_WARNING = (
    "Vous avez changé d'adresse : il faudra fournir un nouveau justificatif de domicile de "
    "moins de 3 mois lors de la réinscription."
)


def save(client: Client, family: Family, **changes: str) -> HttpResponse:
    return client.post("/famille/", family_form_data(family, **changes), follow=True)


def stored(family: Family) -> dict[str, Any]:
    return model_to_dict(Family.objects.get(pk=family.pk))


def test_it_shows_every_field_of_the_manual(alice_client: Client) -> None:
    response = alice_client.get("/famille/")

    assert response.status_code == 200
    form = find(page(response), "form", method="post", class_="card")
    for name, label in MANUAL_LABELS.items():
        assert label_of(form, f"id_{name}") == label
    assert len(find_all(form, "label")) == len(MANUAL_LABELS)


def test_it_shows_the_stored_values(alice_client: Client) -> None:
    response = alice_client.get("/famille/")

    form = page(response)
    assert attr(find(form, "input", name="nom"), "value") == "TEST"
    assert attr(find(form, "input", name="prenom"), "value") == "FAMILLE"
    assert attr(find(form, "input", name="mobile"), "value") == "06 12 93 31 09"
    assert attr(find(form, "input", name="ville"), "value") == "MOISSY CRAMAYEL"
    selected = find(find(form, "select", name="civilite"), "option", value="Madame")
    assert attr(selected, "selected") is not None


def test_it_marks_the_required_fields(alice_client: Client) -> None:
    response = alice_client.get("/famille/")

    required = {
        attr(element, "name")
        for element in find_all(page(response))
        if attr(element, "aria-required") == "true"
    }
    assert required == {"civilite", "nom", "prenom", "adresse", "code_postal", "ville"}


def test_saving_says_elements_modifies(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice, profession="Luthière", situation_familiale="marie")

    assert response.redirect_chain == [("/famille/", 302)]
    assert messages_of(page(response)) == ["Éléments modifiés"]
    alice.refresh_from_db()
    assert alice.profession == "Luthière"
    assert alice.situation_familiale == "marie"


def test_saving_without_change_says_so(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice)

    assert messages_of(page(response)) == ["Aucune modification."]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0612933109", "06 12 93 31 09"),
        ("06.12.93.31.09", "06 12 93 31 09"),
        ("06-12-93-31-09", "06 12 93 31 09"),
        ("+33 6 12 93 31 09", "06 12 93 31 09"),
        ("+33612933109", "06 12 93 31 09"),
        ("0033 6 12 93 31 09", "06 12 93 31 09"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_it_writes_phone_numbers_the_french_way(
    alice_client: Client, alice: Family, typed: str, expected: str
) -> None:
    save(alice_client, alice, mobile=typed, tel_domicile=typed, tel_supplementaire_3=typed)

    alice.refresh_from_db()
    assert alice.mobile == expected
    assert alice.tel_domicile == expected
    assert alice.tel_supplementaire_3 == expected


def test_it_accepts_an_empty_optional_phone(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice, mobile="")

    assert messages_of(page(response)) == ["Éléments modifiés"]
    alice.refresh_from_db()
    assert alice.mobile == ""


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("mobile", "12345", BAD_PHONE),
        ("mobile", "06 12 93 31 0", BAD_PHONE),
        ("tel_pro", "+33 6 12 93 31", BAD_PHONE),
        ("tel_supplementaire_2", "téléphone", BAD_PHONE),
        ("code_postal", "7755", BAD_POSTAL_CODE),
        ("code_postal", "7755A", BAD_POSTAL_CODE),
        ("code_postal", "ABCDE", BAD_POSTAL_CODE),
        ("email", "claire@", BAD_EMAIL),
        ("email", "claire.example.org", BAD_EMAIL),
        ("adresse", "", "Ce champ est obligatoire."),
        ("civilite", "", "Ce champ est obligatoire."),
        ("nom", "", "Ce champ est obligatoire."),
    ],
)
def test_it_refuses_a_wrong_value_with_a_french_message_next_to_the_field(
    alice_client: Client, alice: Family, field: str, typed: str, message: str
) -> None:
    before = stored(alice)

    response = alice_client.post(
        "/famille/", family_form_data(alice, **{field: typed, "profession": "Luthière"})
    )

    assert response.status_code == 200
    document = page(response)
    assert error_of(document, f"id_{field}") == message
    summary = find(document, "div", class_="error-summary")
    assert f"{MANUAL_LABELS[field]} : {message}" in text(summary)
    # What was typed stays in the form, the other fields included.
    if field not in ("civilite",):
        assert attr(find(document, name=field), "value") == (typed or None)
    assert attr(find(document, "input", name="profession"), "value") == "Luthière"
    assert stored(alice) == before
    assert alice.history.count() == 1


def test_changing_the_address_asks_for_a_new_proof(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice, adresse="3 rue des Lilas")

    assert "Éléments modifiés" in messages_of(page(response))
    assert ADDRESS_WARNING in messages_of(page(response))
    assert "nouveau justificatif de domicile" in text(find(page(response), "p", class_="notice"))
    alice.refresh_from_db()
    assert alice.proof_of_address_needed is True
    assert alice.address_changed_at is not None


@pytest.mark.parametrize("field", ["code_postal", "ville"])
def test_changing_the_postal_code_or_town_also_asks_for_a_proof(
    alice_client: Client, alice: Family, field: str
) -> None:
    save(alice_client, alice, **{field: {"code_postal": "77380", "ville": "COMBS"}[field]})

    alice.refresh_from_db()
    assert alice.proof_of_address_needed is True


def test_changing_a_phone_does_not_ask_for_a_proof(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice, mobile="07 11 22 33 44")

    assert ADDRESS_WARNING not in messages_of(page(response))
    alice.refresh_from_db()
    assert alice.proof_of_address_needed is False
    assert alice.address_changed_at is None


def test_students_using_the_responsible_contact_follow_the_new_address(
    alice_client: Client, alice: Family, alice_student: Student
) -> None:
    alice_student.utiliser_coordonnees_responsable = True
    alice_student.save()
    own_address = StudentFactory(
        family=alice, adresse="5 place du Marché", code_postal="77000", ville="MELUN"
    )

    save(
        alice_client,
        alice,
        adresse="3 rue des Lilas",
        code_postal="77380",
        ville="COMBS-LA-VILLE",
        tel_domicile="0164887700",
    )

    alice_student.refresh_from_db()
    assert (alice_student.adresse, alice_student.code_postal, alice_student.ville) == (
        "3 rue des Lilas",
        "77380",
        "COMBS-LA-VILLE",
    )
    assert alice_student.tel_domicile == "01 64 88 77 00"
    own_address.refresh_from_db()
    assert (own_address.adresse, own_address.code_postal, own_address.ville) == (
        "5 place du Marché",
        "77000",
        "MELUN",
    )


def test_it_does_not_touch_another_family(alice_client: Client, alice: Family, bob: Family) -> None:
    before = stored(bob)

    save(alice_client, alice, adresse="3 rue des Lilas", mobile="0711223344")

    assert stored(bob) == before


def test_it_accepts_a_postal_code_typed_with_a_space(alice_client: Client, alice: Family) -> None:
    response = save(alice_client, alice, code_postal="77 380")

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.code_postal == "77380"
