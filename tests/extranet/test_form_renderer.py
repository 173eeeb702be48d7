"""Form widgets are drawn by Django's Jinja2 templates; the admin's own widgets still work."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django.forms
import pytest
from django import forms
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Jinja2
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test import Client

from extranet.models import User
from families.models import Family
from tests.html import attr, find, page


def test_django_widget_templates_are_drawn_by_jinja2() -> None:
    renderer = get_default_renderer()

    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    # Only Django templates exist for the admin's widgets: those are drawn as before.
    wrapper = "admin/widgets/related_widget_wrapper.html"
    assert isinstance(renderer.get_template(wrapper), DjangoTemplate)


def test_a_select_draws_its_choices_escaped_and_the_selected_one() -> None:
    class ChoiceForm(forms.Form):
        kind = forms.ChoiceField(choices=[("a", "L'un"), ("b", "<b>L'autre</b>")])

    html = str(ChoiceForm(initial={"kind": "b"})["kind"])

    assert '<option value="a">L&#39;un</option>' in html
    assert '<option value="b" selected>&lt;b&gt;L&#39;autre&lt;/b&gt;</option>' in html


def test_the_famille_page_shows_the_record_in_its_fields(
    alice: Family, alice_client: Client
) -> None:
    alice.civilite = "Madame"
    alice.save()

    html = page(alice_client.get("/famille/"))

    assert attr(find(html, "input", name="nom"), "value") == "TEST"
    select = find(html, "select", name="civilite")
    assert attr(find(select, "option", value="Madame"), "selected") is not None


def test_the_admin_change_page_still_draws_its_widgets(
    alice: Family, superuser: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(superuser).get(f"/admin/families/family/{alice.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="related-widget-wrapper"' in html
    assert 'name="nom"' in html


class DjangosJinja2Templates(BaseRenderer):
    """Django's own Jinja2 widget templates, none of the portal's."""

    def __init__(self) -> None:
        self.engine = Jinja2(
            {
                "APP_DIRS": False,
                "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
                "NAME": "djangos-widgets",
                "OPTIONS": {},
            }
        )

    def get_template(self, template_name: str) -> Any:
        return self.engine.get_template(template_name)


class OtherOptionSelect(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


GROUPED = [
    ("", "Choisissez"),
    ("Instruments", [("piano", "Piano"), ("violon", "Violon & <alto>")]),
    ("Danse", [("classique", "L'un"), ("jazz", "Jazz")]),
    ("solo", "Solo"),
]
WIDGETS = [
    (forms.Select(choices=GROUPED), "violon"),
    (forms.Select(choices=GROUPED, attrs={"disabled": True, "data-x": False, "class": "a"}), ""),
    (forms.SelectMultiple(choices=GROUPED), ["piano", "jazz"]),
    (forms.NullBooleanSelect(), None),
    (OtherOptionSelect(choices=[("a", "A"), ("b", "B")]), "b"),
    (
        forms.TextInput(attrs={"required": True, "maxlength": 100, "autofocus": False}),
        "O'Brien <b>",
    ),
    (forms.NumberInput(attrs={"min": 0}), 3),
    (forms.EmailInput(), None),
    (forms.DateInput(attrs={"type": "date"}), datetime.date(2026, 11, 23)),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.HiddenInput(), ""),
    (forms.CheckboxInput(), True),
    (forms.Textarea(), "a\nb"),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS, ids=lambda w: type(w).__name__)
def test_the_portals_widget_templates_draw_what_djangos_draw(
    widget: forms.Widget, value: Any
) -> None:
    ours = widget.render("field", value, {"id": "id_field"}, renderer=get_default_renderer())
    theirs = widget.render("field", value, {"id": "id_field"}, renderer=DjangosJinja2Templates())
    assert ours == theirs
    assert "<" in ours


def test_select_and_input_are_the_portals_templates() -> None:
    renderer = get_default_renderer()
    for name in ("select.html", "input.html"):
        template = renderer.get_template(f"django/forms/widgets/{name}")
        assert "extranet/jinja2" in template.origin.name, name
