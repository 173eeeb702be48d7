"""crispy-forms' fields, drawn by Jinja2: `{% load portal_forms %}` instead of crispy_forms_tags.

crispy-forms draws each field with its `bootstrap5/field.html` in Django's template language:
some 40 `{% if %}` and three `{% include %}` per field, about half of the CPU of the Famille and
Identité pages (bench/README.md, load benchmark). extranet/jinja2/bootstrap5/ holds the same
templates written for Jinja2, which compiles them to Python: the HTML is the same, byte for
byte (tests/extranet/test_portal_forms.py compares both on every form of the portal).

The two filters keep crispy's names and arguments. What the copies do not cover goes to crispy
itself: forms with a FormHelper, and radio, multiple-checkbox and file fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from crispy_forms.templatetags import crispy_forms_filters
from crispy_forms.templatetags.crispy_forms_utils import remove_spaces
from django import forms, template
from django.conf import settings
from django.forms.boundfield import BoundField
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

TEMPLATES = Path(__file__).resolve().parent.parent / "jinja2"


def _crispy_field(field: BoundField, attribute_name: str, value: str) -> SafeString:
    """crispy's `{% crispy_field field 'class' '...' %}`: add the classes, draw the widget."""
    widget = field.field.widget
    widgets = getattr(widget, "widgets", [getattr(widget, "widget", widget)])
    converters = getattr(settings, "CRISPY_CLASS_CONVERTERS", {})
    for each in widgets:
        class_name = each.__class__.__name__.lower()
        class_name = converters.get(class_name, class_name)
        css_class = each.attrs.get("class", "")
        if css_class:
            if css_class.find(class_name) == -1:
                css_class += f" {class_name}"
        else:
            css_class = class_name
        each.attrs["class"] = css_class
        if attribute_name in each.attrs:
            for part in value.split():
                if part not in each.attrs[attribute_name].split():
                    each.attrs[attribute_name] += " " + part
        else:
            each.attrs[attribute_name] = value
    return mark_safe(str(field))  # noqa: S308 (the widget, drawn and escaped by its renderer)


def _crispy_only() -> str:
    raise AssertionError("radio, multiple-checkbox and file fields are drawn by crispy")


class _Templates:
    @cached_property
    def environment(self) -> jinja2.Environment:
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            # Django keeps a template's last newline; an {% include %} draws it too.
            keep_trailing_newline=True,
            # Escaped as Django escapes ("'" as &#x27;, where Jinja2 writes &#39;).
            finalize=conditional_escape,
            auto_reload=settings.DEBUG,
            undefined=jinja2.Undefined,
        )
        environment.globals.update(crispy_field=_crispy_field, crispy_only=_crispy_only)
        environment.filters.update(
            is_checkbox=lambda field: isinstance(field.field.widget, forms.CheckboxInput),
            is_select=lambda field: isinstance(field.field.widget, forms.Select),
            is_file=lambda field: isinstance(field.field.widget, forms.FileInput),
            is_radioselect=lambda field: _is_radioselect(field.field.widget),
            is_checkboxselectmultiple=lambda field: isinstance(
                field.field.widget, forms.CheckboxSelectMultiple
            ),
            # The block's own output, escaped already: only spaces between tags go.
            specialspaceless=lambda html: mark_safe(remove_spaces(str(html).strip())),  # noqa: S308
        )
        return environment

    def render(self, name: str, context: dict[str, Any]) -> SafeString:
        # Escaped by Jinja2 (autoescape), as Django's Jinja2 backend marks its output.
        return mark_safe(self.environment.get_template(name).render(context))  # noqa: S308


_templates = _Templates()


def _is_radioselect(widget: forms.Widget) -> bool:
    return isinstance(widget, forms.RadioSelect) and not isinstance(
        widget, forms.CheckboxSelectMultiple
    )


def _jinja2_draws(field: BoundField) -> bool:
    widget = field.field.widget
    return not (
        getattr(field.form, "helper", None) is not None
        or isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput))
    )


def _context(label_class: str, field_class: str) -> dict[str, Any]:
    return {
        "form_show_errors": True,
        "form_show_labels": True,
        "label_class": label_class,
        "field_class": field_class,
        "form_class": "",
    }


@register.filter(name="as_crispy_field")
def as_crispy_field(
    field: BoundField,
    template_pack: str = "bootstrap5",
    label_class: str = "",
    field_class: str = "",
) -> SafeString:
    """`{{ form.field|as_crispy_field }}`, as crispy draws it."""
    if (
        template_pack != "bootstrap5"
        or not isinstance(field, BoundField)
        or not _jinja2_draws(field)
    ):
        return crispy_forms_filters.as_crispy_field(field, template_pack, label_class, field_class)
    return _templates.render(
        "bootstrap5/field.html", {"field": field} | _context(label_class, field_class)
    )


@register.filter(name="crispy")
def as_crispy_form(
    form: forms.BaseForm,
    template_pack: str = "bootstrap5",
    label_class: str = "",
    field_class: str = "",
) -> SafeString:
    """`{{ form|crispy }}`, as crispy draws it."""
    if (
        template_pack != "bootstrap5"
        or not isinstance(form, forms.BaseForm)
        or not all(_jinja2_draws(field) for field in form)
    ):
        return crispy_forms_filters.as_crispy_form(form, template_pack, label_class, field_class)
    return _templates.render(
        "bootstrap5/uni_form.html",
        {"form": form, "field_template": "bootstrap5/field.html"}
        | _context(label_class, field_class),
    )
