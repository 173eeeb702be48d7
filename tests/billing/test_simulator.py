"""The tariff simulator: public, pre-filled for a family, and polite about bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from billing.models import Residence, TariffGrid, TariffKind
from courses.models import Course
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student
from tests.billing.helpers import enrol, grid_for
from tests.factories import (
    FamilyBillingProfileFactory,
    SchoolYearFactory,
    StudentFactory,
    TariffGridFactory,
    TariffLineFactory,
)
from tests.html import attr, error_of, find, find_all, page, text

URL = "/facturation/simulateur/"


def ask(client: Client, children: list[tuple[str, list[str]]], **fields: Any) -> HttpResponse:
    data: dict[str, Any] = {
        "enfants-TOTAL_FORMS": str(len(children)),
        "enfants-INITIAL_FORMS": "0",
        "enfants-MIN_NUM_FORMS": "0",
        "enfants-MAX_NUM_FORMS": "8",
        **fields,
    }
    for index, (name, kinds) in enumerate(children):
        data[f"enfants-{index}-name"] = name
        data[f"enfants-{index}-kinds"] = kinds
    return client.get(URL, data)


def result(response: HttpResponse) -> tuple[str, list[list[str]]]:
    section = find(page(response), "section", role="status")
    heading = text(find(section, "h2"))
    rows = [[text(cell) for cell in find_all(row, "td")] for row in find_all(section, "tr")]
    return heading, [row for row in rows if row]


def test_anyone_can_compute_a_fee_line_by_line(client: Client, grid: TariffGrid) -> None:
    response = ask(
        client,
        [("Gaëlle", [TariffKind.INSTRUMENT_FM, TariffKind.SECOND_INSTRUMENT]), ("", ["dance"])],
        site=grid.site.pk,
        quotient="800",
        residence=Residence.INSIDE,
    )

    assert response.status_code == 200
    heading, rows = result(response)
    assert heading == "Cotisation annuelle estimée : 465,00 €"
    assert rows == [
        ["Gaëlle : Instrument et formation musicale", "200,00 €", "-", "200,00 €"],
        ["Gaëlle : Second instrument", "130,00 €", "-", "130,00 €"],
        ["Enfant 2 : Danse", "150,00 €", "10 %", "135,00 €"],
    ]


def test_without_a_qf_it_computes_the_ceiling_tariff_and_says_so(
    client: Client, grid: TariffGrid
) -> None:
    response = ask(
        client,
        [("Léo", [TariffKind.INSTRUMENT_FM])],
        site=grid.site.pk,
        quotient="",
        residence=Residence.OUTSIDE,
    )

    heading, rows = result(response)
    assert heading == "Cotisation annuelle estimée : 450,00 €"
    assert "Sans quotient familial, le tarif plafond s'applique." in text(page(response))


def test_it_uses_the_sites_latest_grid(client: Client, grid: TariffGrid, moissy: Site) -> None:
    next_year = SchoolYearFactory(start_date=grid.school_year.start_date.replace(year=2099))
    newer = TariffGridFactory(site=moissy, school_year=next_year)
    TariffLineFactory(grid=newer, kind=TariffKind.INSTRUMENT_FM, amount=999)

    response = ask(
        client, [("Léo", ["instrument_fm"])], site=moissy.pk, quotient="100", residence="inside"
    )

    assert result(response)[0] == "Cotisation annuelle estimée : 999,00 €"


def test_the_form_starts_empty_for_a_visitor(client: Client, grid: TariffGrid) -> None:
    response = client.get(URL)

    document = page(response)
    assert response.status_code == 200
    assert attr(find(document, "input", name="quotient"), "value") is None
    assert [text(h) for h in find_all(document, "h2") if text(h).startswith("Enfant")] == [
        "Enfant 1",
        "Enfant 2",
    ]
    assert not find_all(document, "section", role="status")


def test_a_family_finds_its_qf_residence_and_childrens_courses_filled_in(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    grid: TariffGrid,
    school_year: SchoolYear,
    piano: Course,
    fm: Course,
    violin: Course,
    dance: Course,
) -> None:
    FamilyBillingProfileFactory(family=alice, quotient_familial=850, residence=Residence.OUTSIDE)
    enrol(alice_student, piano, school_year)
    enrol(alice_student, fm, school_year)
    enrol(alice_student, violin, school_year)
    hugo = StudentFactory(family=alice, prenom="Hugo", nom="TEST")
    enrol(hugo, dance, school_year)

    document = page(alice_client.get(URL))

    assert attr(find(document, "input", name="quotient"), "value") == "850"
    assert attr(find(document, "option", value="outside"), "selected") is not None
    assert attr(find(document, "option", value=str(alice.site.pk)), "selected") is not None
    names = [attr(i, "value") for i in find_all(document, "input", type="text")]
    assert sorted(names) == ["Gaëlle", "Hugo"]
    checked = {
        (attr(box, "name"), attr(box, "value"))
        for box in find_all(document, "input", type="checkbox")
        if attr(box, "checked") is not None
    }
    gaelle, hugo_prefix = (
        ("enfants-0", "enfants-1") if names[0] == "Gaëlle" else ("enfants-1", "enfants-0")
    )
    assert checked == {
        (f"{gaelle}-kinds", "instrument_fm"),
        (f"{gaelle}-kinds", "second_instrument"),
        (f"{hugo_prefix}-kinds", "dance"),
    }


def test_a_family_without_profile_gets_an_empty_qf(
    alice_client: Client, alice: Family, grid: TariffGrid
) -> None:
    document = page(alice_client.get(URL))

    assert attr(find(document, "input", name="quotient"), "value") is None
    assert attr(find(document, "option", value="inside"), "selected") is not None


def test_a_qf_that_is_not_a_number_gets_a_french_error(client: Client, grid: TariffGrid) -> None:
    response = ask(
        client, [("Léo", ["instrument_fm"])], site=grid.site.pk, quotient="abc", residence="inside"
    )

    document = page(response)
    assert response.status_code == 200
    assert error_of(document, "id_quotient") == "Saisissez un nombre entier, par exemple 850."
    assert "Le formulaire contient des erreurs" in text(document)
    assert not find_all(document, "section", role="status")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"quotient": "-5"},
            "id_quotient",
            "Assurez-vous que cette valeur est supérieure ou égale à 0.",
        ),
        ({"site": ""}, "id_site", "Choisissez le conservatoire."),
        (
            {"site": "999999"},
            "id_site",
            "Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles.",
        ),
        (
            {"residence": "mars"},
            "id_residence",
            "Sélectionnez un choix valide. mars n’en fait pas partie.",
        ),
    ],
)
def test_bad_input_gets_a_french_error_next_to_its_field(
    client: Client, grid: TariffGrid, fields: dict[str, str], field: str, message: str
) -> None:
    data = {"site": str(grid.site.pk), "quotient": "800", "residence": "inside", **fields}

    response = ask(client, [("Léo", ["instrument_fm"])], **data)

    assert response.status_code == 200
    assert error_of(page(response), field) == message


def test_an_unknown_course_kind_is_refused_without_a_crash(
    client: Client, grid: TariffGrid
) -> None:
    response = ask(
        client, [("Léo", ["harpe"])], site=grid.site.pk, quotient="800", residence="inside"
    )

    assert response.status_code == 200
    assert error_of(page(response), "id_enfants-0-kinds").startswith("Sélectionnez un choix valide")
    assert not find_all(page(response), "section", role="status")


def test_a_query_without_the_childrens_forms_does_not_crash(
    client: Client, grid: TariffGrid
) -> None:
    response = client.get(URL, {"site": grid.site.pk, "quotient": "800", "residence": "inside"})

    assert response.status_code == 200
    assert not find_all(page(response), "section", role="status")


def test_a_site_without_a_grid_says_so(client: Client, moissy: Site, boulogne: Site) -> None:
    grid_for(moissy, SchoolYearFactory())

    response = ask(
        client, [("Léo", ["instrument_fm"])], site=boulogne.pk, quotient="800", residence="inside"
    )

    assert "Ce conservatoire n'a pas encore publié sa grille tarifaire." in text(page(response))


def test_a_kind_missing_from_the_grid_is_explained(
    client: Client, moissy: Site, school_year: SchoolYear
) -> None:
    grid = TariffGridFactory(site=moissy, school_year=school_year)
    TariffLineFactory(grid=grid, kind=TariffKind.INSTRUMENT_FM)

    response = ask(
        client, [("Léo", ["theatre"])], site=moissy.pk, quotient="800", residence="inside"
    )

    assert response.status_code == 200
    assert "La grille tarifaire n'a pas de tarif « Théâtre »." in text(page(response))


def test_a_staff_member_gets_the_form_empty(
    client_for, moissy_staff, alice: Family, grid: TariffGrid
) -> None:
    FamilyBillingProfileFactory(family=alice, quotient_familial=850)

    response = client_for(moissy_staff).get(URL)

    assert response.status_code == 200
    assert attr(find(page(response), "input", name="quotient"), "value") is None
