"""crispy-forms' fields drawn by Jinja2 (extranet/templatetags/portal_forms.py) come out exactly
as crispy-forms draws them, byte for byte, on every kind of field and on the portal's pages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.templatetags import crispy_forms_filters
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings

from billing.forms import ChildSimulationForm, SimulatorForm
from courses.forms import EvaluationCommonForm
from extranet.forms import PasswordLostForm, TextSizeForm
from extranet.templatetags import portal_forms
from families.models import Family
from reenrollment.forms import ChildForm, PreRegistrationForm, RefusalForm
from students.models import Student
from tests.html import without_csrf
from tests.pages import family_form_data, student_form_data


class EveryKindForm(forms.Form):
    name = forms.CharField(label="Nom d'usage <b>", help_text="Tel qu'<em>imprimé</em>")
    kind = forms.ChoiceField(choices=[("a", "L'un"), ("b", "L'autre")], required=False)
    agree = forms.BooleanField(label="J'accepte")
    optional_box = forms.BooleanField(required=False, help_text="Facultatif")
    note = forms.CharField(widget=forms.Textarea, required=False)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "class": "wide"}))
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    count = forms.IntegerField(min_value=0, label="")

    def clean(self) -> dict:
        raise forms.ValidationError("Erreur de tout le formulaire")


FORMS: list[Callable[..., forms.BaseForm]] = [
    EveryKindForm,
    SimulatorForm,
    ChildSimulationForm,
    EvaluationCommonForm,
    PasswordLostForm,
    TextSizeForm,
    ChildForm,
    RefusalForm,
    PreRegistrationForm,
]
BAD_DATA = {"name": "", "agree": "", "when": "31/02/2026", "count": "-1", "kind": "z"}


@pytest.mark.parametrize("bound", [False, True], ids=["empty", "with errors"])
@pytest.mark.parametrize("form_class", FORMS, ids=lambda form_class: form_class.__name__)
@pytest.mark.django_db
def test_each_field_is_drawn_as_crispy_draws_it(
    form_class: Callable[..., forms.BaseForm], bound: bool
) -> None:
    # Two forms alike: drawing a field adds crispy's classes to its widget.
    theirs, ours = (form_class(BAD_DATA) if bound else form_class() for _ in range(2))
    if bound:
        theirs.is_valid()
        ours.is_valid()

    for name in theirs.fields:
        expected = crispy_forms_filters.as_crispy_field(theirs[name])
        assert portal_forms.as_crispy_field(ours[name]) == expected, name
    assert portal_forms.as_crispy_form(form_class(BAD_DATA) if bound else form_class()) == (
        crispy_forms_filters.as_crispy_form(form_class(BAD_DATA) if bound else form_class())
    )


def test_it_leaves_to_crispy_what_its_templates_do_not_cover() -> None:
    class RadioForm(forms.Form):
        choice = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
        upload = forms.FileField()

    class HelperForm(forms.Form):
        name = forms.CharField()

        def __init__(self) -> None:
            super().__init__()
            self.helper = FormHelper()
            self.helper.form_show_labels = False

    radio = RadioForm()
    assert portal_forms.as_crispy_field(radio["choice"]) == (
        crispy_forms_filters.as_crispy_field(RadioForm()["choice"])
    )
    assert 'type="radio"' in portal_forms.as_crispy_form(radio)
    assert 'type="file"' in portal_forms.as_crispy_field(radio["upload"])
    drawn = portal_forms.as_crispy_field(HelperForm()["name"])
    assert "<label" not in drawn
    assert drawn == crispy_forms_filters.as_crispy_field(HelperForm()["name"])


def with_crispys_own_tags() -> override_settings:
    """`{% load portal_forms %}` gives crispy-forms' own library instead."""
    templates: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["libraries"] = {
        "portal_forms": "crispy_forms.templatetags.crispy_forms_tags"
    }
    return override_settings(TEMPLATES=templates)


def both(client: Client, method: str, url: str, data: dict | None = None) -> tuple[str, str]:
    def draw() -> str:
        response = cast(
            HttpResponse, client.get(url) if method == "get" else client.post(url, data or {})
        )
        assert response.status_code in (200, 400), response.status_code
        return without_csrf(response)

    ours = draw()
    with with_crispys_own_tags():
        theirs = draw()
    assert "asteriskField" in ours
    return ours, theirs


def test_the_famille_and_identite_pages_are_the_same_as_with_crispy(
    alice: Family, alice_client: Client, alice_student: Student
) -> None:
    identity = f"/eleves/{alice_student.pk}/identite/"
    bad_family = family_form_data(alice, code_postal="7755", mobile="12", email="x@")
    bad_student = student_form_data(alice_student, nom="", personne_a_prevenir="", email="x@")

    for method, url, data in [
        ("get", "/famille/", None),
        ("post", "/famille/", bad_family),
        ("get", identity, None),
        ("post", identity, bad_student),
    ]:
        ours, theirs = both(alice_client, method, url, data)
        assert ours == theirs, (method, url)
    assert "invalid-feedback" in ours


def test_the_login_page_is_the_same_as_with_crispy(db: None) -> None:
    ours, theirs = both(Client(), "post", "/connexion/", {"username": "x", "password": ""})

    assert ours == theirs
    assert "invalid-feedback" in ours
