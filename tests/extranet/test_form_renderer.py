"""Form widgets are drawn by Django's Jinja2 templates; the admin's own widgets still work."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.forms.renderers import get_default_renderer
from django.template.backends.django import Template as DjangoTemplate
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
