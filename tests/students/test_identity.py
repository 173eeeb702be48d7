"""Elèves > Identité: the student's record, with the fields each site makes required."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client

from extranet.models import SchoolYear, Site, User
from families.models import Family
from students.models import SchoolLevel, Student
from tests.factories import FamilyFactory, SchoolYearFactory, StudentFactory
from tests.html import attr, error_of, find, find_all, label_of, messages_of, page, text
from tests.pages import STUDENT_TABS, student_form_data

MANUAL_LABELS = {
    "civilite": "Civilité",
    "nom": "Nom",
    "prenom": "Prénom",
    "date_naissance": "Date de naissance",
    "lieu_naissance": "Lieu de naissance",
    "situation_familiale": "Situation familiale",
    "utiliser_coordonnees_responsable": "Utiliser les coordonnées du responsable légal",
    "adresse": "Adresse",
    "code_postal": "Code postal",
    "ville": "Ville",
    "tel_domicile": "Tél domicile",
    "mobile": "Mobile",
    "tel_pro": "Tél pro",
    "email": "E-mail",
    "personne_a_prevenir": "Personne à prévenir",
    "tel_urgence": "Tél urgence",
    "etablissement_scolaire": "Établissement scolaire",
    "nationalite": "Nationalité",
}
# Radio buttons: a legend names the group, each button has its own label.
CHOICE_GROUPS = {"droit_image": "Droit à l'image", "autorisation_sortie": "Autorisation de sortie"}
ALWAYS_REQUIRED = {"nom", "prenom", "date_naissance"}
DEFAULT_SITE_REQUIRED = {"personne_a_prevenir", "tel_urgence", "droit_image", "autorisation_sortie"}
REQUIRED = "Ce champ est obligatoire."
BAD_DATE = "Date invalide : utilisez le format JJ/MM/AAAA, par exemple 17/12/2015."


def identity_url(student: Student) -> str:
    return f"/eleves/{student.pk}/identite/"


def save(client: Client, student: Student, **changes: Any) -> HttpResponse:
    return client.post(identity_url(student), student_form_data(student, **changes), follow=True)


def stored(student: Student) -> dict[str, Any]:
    return model_to_dict(Student.objects.get(pk=student.pk))


def required_names(response: HttpResponse) -> set[str | None]:
    """Fields announced as required: aria-required on a field, a starred legend on a group."""
    document = page(response)
    announced = {
        attr(element, "name")
        for element in find_all(document)
        if attr(element, "aria-required") == "true"
    }
    # aria-required is not allowed on a radio button (ARIA 1.2): the group's legend carries the
    # asterisk and each button the native "required".
    for name, legend in CHOICE_GROUPS.items():
        radios = find_all(document, "input", type="radio", name=name)
        legends = [
            element
            for element in find_all(document, "legend")
            if text(element).rstrip("*").strip() == legend
        ]
        assert all(attr(radio, "aria-required") is None for radio in radios)
        if all(attr(radio, "required") is not None for radio in radios) and all(
            "requiredField" in (attr(element, "class") or "") for element in legends
        ):
            announced.add(name)
    return announced


@pytest.fixture
def keera(alice: Family) -> Student:
    return StudentFactory(family=alice, prenom="Keera", nom="TEST")


def test_the_selector_lists_the_family_children_only(
    alice_client: Client, alice_student: Student, keera: Student, bob_student: Student
) -> None:
    response = alice_client.get(identity_url(keera))

    select = find(page(response), "select", id="eleve")
    options = [
        (attr(option, "value"), text(option), attr(option, "selected") is not None)
        for option in find_all(select, "option")
    ]
    assert options == [
        (str(alice_student.pk), "TEST Gaëlle", False),
        (str(keera.pk), "TEST Keera", True),
    ]
    assert text(find(page(response), "h1")) == "TEST Keera"


def test_the_selector_opens_the_chosen_child(
    alice_client: Client, alice_student: Student, keera: Student
) -> None:
    response = alice_client.get("/eleves/", {"eleve": keera.pk})

    assert response.status_code == 302
    assert response["Location"] == identity_url(keera)


def test_the_students_tab_opens_the_first_child(
    alice_client: Client, alice_student: Student, keera: Student
) -> None:
    response = alice_client.get("/eleves/")

    assert response["Location"] == identity_url(alice_student)


def test_a_family_without_children_is_told_so(
    client_for: Callable[[User], Client], moissy: Site
) -> None:
    family = FamilyFactory(site=moissy)

    response = client_for(family.account).get("/eleves/")

    assert response.status_code == 200
    assert "Aucun élève n'est rattaché à votre famille." in text(page(response))


def test_it_shows_every_field_of_the_manual(
    alice_client: Client, alice_student: Student, school_year: SchoolYear
) -> None:
    response = alice_client.get(identity_url(alice_student))

    assert response.status_code == 200
    form = find(page(response), "form", method="post", class_="card")
    for name, label in MANUAL_LABELS.items():
        assert label_of(form, f"id_{name}") == label
    assert label_of(form, "id_niveau_scolaire") == f"Niveau scolaire {school_year.label}"
    legends = [text(legend).rstrip("*").strip() for legend in find_all(form, "legend")]
    assert legends == list(CHOICE_GROUPS.values())
    for name in CHOICE_GROUPS:
        assert [label_of(form, f"id_{name}_{n}") for n in (0, 1)] == ["Oui", "Non"]


def test_it_shows_the_sub_tabs_of_the_manual(alice_client: Client, alice_student: Student) -> None:
    response = alice_client.get(identity_url(alice_student))

    nav = find(page(response), "ul", class_="subtabs")
    assert [text(link) for link in find_all(nav, "a")] == [
        "Identité",
        "Cours",
        "Historique",
        "Répertoire",
        "Réinscription",
        "Documents fournis",
    ]
    assert [attr(link, "href") for link in find_all(nav, "a")] == [
        f"/eleves/{alice_student.pk}/{tab}/" for tab in STUDENT_TABS
    ]


def test_it_shows_the_stored_values(alice_client: Client, alice_student: Student) -> None:
    response = alice_client.get(identity_url(alice_student))

    document = page(response)
    assert attr(find(document, "input", name="prenom"), "value") == "Gaëlle"
    assert attr(find(document, "input", name="date_naissance"), "value") == "2015-06-01"
    assert attr(find(document, "input", id="id_droit_image_0"), "checked") is not None
    assert attr(find(document, "input", id="id_autorisation_sortie_1"), "checked") is not None


def test_it_marks_the_fields_the_site_requires_by_default(
    alice_client: Client, alice_student: Student
) -> None:
    response = alice_client.get(identity_url(alice_student))

    assert required_names(response) == ALWAYS_REQUIRED | DEFAULT_SITE_REQUIRED


def test_it_marks_the_fields_another_choice_of_the_site_requires(
    alice_client: Client, alice_student: Student, moissy: Site
) -> None:
    chosen = {"lieu_naissance", "email", "niveau_scolaire", "civilite", "autorisation_sortie"}
    moissy.required_student_fields = sorted(chosen)
    moissy.save()

    response = alice_client.get(identity_url(alice_student))

    assert required_names(response) == ALWAYS_REQUIRED | chosen


@pytest.mark.parametrize(
    "field", sorted(ALWAYS_REQUIRED | DEFAULT_SITE_REQUIRED | {"lieu_naissance", "email"})
)
def test_it_refuses_a_required_field_left_empty(
    alice_client: Client, alice_student: Student, moissy: Site, field: str
) -> None:
    moissy.required_student_fields = [*moissy.required_student_fields, "lieu_naissance", "email"]
    moissy.save()
    alice_student.lieu_naissance = "Melun"
    alice_student.email = "gaelle@example.org"
    alice_student.save()
    before = stored(alice_student)

    response = alice_client.post(
        identity_url(alice_student),
        student_form_data(alice_student, **{field: "", "nationalite": "française"}),
    )

    assert response.status_code == 200
    assert error_of(page(response), f"id_{field}") == REQUIRED
    assert attr(find(page(response), "input", name="nationalite"), "value") == "française"
    assert stored(alice_student) == before


def test_a_field_the_site_does_not_require_may_stay_empty(
    alice_client: Client, alice_student: Student, moissy: Site
) -> None:
    moissy.required_student_fields = []
    moissy.save()

    response = save(
        alice_client, alice_student, personne_a_prevenir="", tel_urgence="", droit_image=""
    )

    assert messages_of(page(response)) == ["Éléments modifiés"]
    alice_student.refresh_from_db()
    assert alice_student.personne_a_prevenir == ""
    assert alice_student.droit_image is None


def test_saving_says_elements_modifies(alice_client: Client, alice_student: Student) -> None:
    response = save(
        alice_client,
        alice_student,
        lieu_naissance="Melun",
        autorisation_sortie="True",
        tel_urgence="0164881500",
    )

    assert response.redirect_chain == [(identity_url(alice_student), 302)]
    assert messages_of(page(response)) == ["Éléments modifiés"]
    alice_student.refresh_from_db()
    assert alice_student.lieu_naissance == "Melun"
    assert alice_student.autorisation_sortie is True
    assert alice_student.tel_urgence == "01 64 88 15 00"


def test_saving_without_change_says_so(alice_client: Client, alice_student: Student) -> None:
    response = save(alice_client, alice_student)

    assert messages_of(page(response)) == ["Aucune modification."]


@pytest.mark.parametrize("typed", ["17/12/2015", "2015-12-17", "17/12/15"])
def test_it_reads_the_birth_date_in_the_usual_formats(
    alice_client: Client, alice_student: Student, typed: str
) -> None:
    save(alice_client, alice_student, date_naissance=typed)

    alice_student.refresh_from_db()
    assert alice_student.date_naissance == datetime.date(2015, 12, 17)


@pytest.mark.parametrize("typed", ["31/02/2020", "2020-02-30", "17.12.2015", "hier", "00/00/0000"])
def test_it_refuses_an_impossible_birth_date(
    alice_client: Client, alice_student: Student, typed: str
) -> None:
    before = stored(alice_student)

    response = alice_client.post(
        identity_url(alice_student), student_form_data(alice_student, date_naissance=typed)
    )

    assert response.status_code == 200
    assert error_of(page(response), "id_date_naissance") == BAD_DATE
    assert stored(alice_student) == before


def test_it_saves_the_school_level_of_the_current_year(
    alice_client: Client, alice_student: Student, school_year: SchoolYear
) -> None:
    previous = SchoolYearFactory(
        label="2000/2001",
        start_date=datetime.date(2000, 9, 1),
        end_date=datetime.date(2001, 8, 31),
    )
    SchoolLevel.objects.create(student=alice_student, school_year=previous, niveau="cp")

    response = save(alice_client, alice_student, niveau_scolaire="cm1")

    assert messages_of(page(response)) == ["Éléments modifiés"]
    levels = {level.school_year: level.niveau for level in alice_student.school_levels.all()}
    assert levels == {school_year: "cm1", previous: "cp"}
    select = find(page(response), "select", name="niveau_scolaire")
    assert attr(find(select, "option", value="cm1"), "selected") is not None


def test_it_changes_then_clears_the_school_level(
    alice_client: Client, alice_student: Student, school_year: SchoolYear
) -> None:
    save(alice_client, alice_student, niveau_scolaire="cm1")
    save(alice_client, alice_student, niveau_scolaire="cm2")

    assert list(alice_student.school_levels.values_list("niveau", flat=True)) == ["cm2"]

    save(alice_client, alice_student, niveau_scolaire="")

    assert not alice_student.school_levels.exists()


def test_it_refuses_an_unknown_school_level(
    alice_client: Client, alice_student: Student, school_year: SchoolYear
) -> None:
    response = alice_client.post(
        identity_url(alice_student), student_form_data(alice_student, niveau_scolaire="bac+12")
    )

    assert response.status_code == 200
    assert "bac+12" in error_of(page(response), "id_niveau_scolaire")
    assert not alice_student.school_levels.exists()


def test_the_responsible_contact_fills_the_student_contact(
    alice_client: Client, alice: Family, alice_student: Student, moissy: Site
) -> None:
    moissy.required_student_fields = ["adresse", "code_postal", "ville", "mobile"]
    moissy.save()

    response = save(
        alice_client,
        alice_student,
        utiliser_coordonnees_responsable="on",
        adresse="",
        code_postal="",
        ville="",
        mobile="",
    )

    assert messages_of(page(response)) == ["Éléments modifiés"]
    alice_student.refresh_from_db()
    assert alice_student.utiliser_coordonnees_responsable is True
    for name in ("adresse", "code_postal", "ville", "mobile", "tel_domicile", "tel_pro"):
        assert getattr(alice_student, name) == getattr(alice, name)


def test_without_the_responsible_contact_the_site_required_contact_is_asked(
    alice_client: Client, alice_student: Student, moissy: Site
) -> None:
    moissy.required_student_fields = ["adresse"]
    moissy.save()

    response = alice_client.post(
        identity_url(alice_student), student_form_data(alice_student, adresse="")
    )

    assert error_of(page(response), "id_adresse") == REQUIRED


@pytest.mark.parametrize("tab", STUDENT_TABS)
def test_every_tab_of_the_student_opens(
    alice_client: Client, alice_student: Student, tab: str
) -> None:
    response = alice_client.get(f"/eleves/{alice_student.pk}/{tab}/")

    assert response.status_code == 200
    assert text(find(page(response), "h1")) == "TEST Gaëlle"
    current = find(find(page(response), "ul", class_="subtabs"), "a", **{"aria-current": "page"})
    assert attr(current, "href") == f"/eleves/{alice_student.pk}/{tab}/"


def test_an_unknown_tab_is_not_found(alice_client: Client, alice_student: Student) -> None:
    assert alice_client.get(f"/eleves/{alice_student.pk}/inconnu/").status_code == 404
