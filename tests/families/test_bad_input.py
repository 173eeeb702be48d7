"""Garbage typed or forged in the Famille form never gives a server error, nor is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from families.forms import FamilyForm
from families.models import Family
from tests.html import find, page, text
from tests.pages import family_form_data

GARBAGE = ["x" * 10_000, "\x00", "nul\x00byte", "🎻" * 300]
# Fields where any text up to its length is a valid answer, a number included.
FREE_TEXT = {"nom", "prenom", "profession", "adresse", "ville"}


def stored(family: Family) -> dict[str, Any]:
    return model_to_dict(Family.objects.get(pk=family.pk))


@pytest.mark.parametrize("value", GARBAGE)
@pytest.mark.parametrize("field", FamilyForm.Meta.fields)
def test_garbage_in_any_field_is_refused_with_a_message(
    alice_client: Client, alice: Family, field: str, value: str
) -> None:
    before = stored(alice)

    response = alice_client.post("/famille/", family_form_data(alice, **{field: value}))

    assert response.status_code == 200
    assert find(page(response), "div", class_="error-summary")
    assert stored(alice) == before


@pytest.mark.parametrize("field", sorted(set(FamilyForm.Meta.fields) - FREE_TEXT))
def test_a_huge_number_is_refused_where_text_is_not_free(
    alice_client: Client, alice: Family, field: str
) -> None:
    before = stored(alice)

    response = alice_client.post(
        "/famille/", family_form_data(alice, **{field: "99999999999999999999"})
    )

    assert response.status_code == 200
    assert stored(alice) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("civilite", "Roi"),
        ("situation_familiale", "compliquée"),
        ("code_socio_professionnel", "99"),
    ],
)
def test_an_unknown_choice_is_refused(
    alice_client: Client, alice: Family, field: str, value: str
) -> None:
    before = stored(alice)

    response = alice_client.post("/famille/", family_form_data(alice, **{field: value}))

    assert response.status_code == 200
    assert value in text(find(page(response), "div", class_="error-summary"))
    assert stored(alice) == before


def test_a_value_sent_twice_is_handled(alice_client: Client, alice: Family) -> None:
    data = family_form_data(alice)
    data["mobile"] = ["0612933109", "0711223344"]

    response = alice_client.post("/famille/", data)

    assert response.status_code == 302


def test_markup_typed_in_a_field_is_shown_as_text(alice_client: Client, alice: Family) -> None:
    alice_client.post("/famille/", family_form_data(alice, profession="<b>Luthière</b>"))

    for url in ("/famille/", "/famille/accueil/"):
        assert "<b>Luthière</b>" not in alice_client.get(url).content.decode()
    alice.refresh_from_db()
    assert alice.profession == "<b>Luthière</b>"


def test_the_famille_page_survives_an_empty_post(alice_client: Client, alice: Family) -> None:
    before = stored(alice)

    response = alice_client.post("/famille/", {})

    assert response.status_code == 200
    assert stored(alice) == before
