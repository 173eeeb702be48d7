"""How form widgets are drawn: Django's own widget templates through Jinja2.

Django ships every widget template twice, for its template language and for Jinja2, with the
same HTML. Drawn with Django templates, each <option> of a select and each attribute list is an
{% include %}: half of the Famille page's CPU went into its three selects and sixteen inputs
(bench/README.md, load benchmark). Jinja2 compiles the same templates to Python and draws them
several times faster. The admin's own widget templates (related-object links, date pickers)
exist for Django templates only: those are drawn by Django templates, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2
from django.utils.functional import cached_property


class PortalFormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self.fallback = DjangoTemplates()
        self._django_only: set[str] = set()  # Names Jinja2 has no template for.

    @cached_property
    def jinja2(self) -> Jinja2:
        # Django's widget templates only: the portal's pages stay Django templates.
        return Jinja2(
            {
                "APP_DIRS": False,
                # Ours first: select.html and input.html with their options and attributes
                # drawn in place (extranet/jinja2/django/forms/widgets/), the same HTML.
                "DIRS": [
                    Path(__file__).resolve().parent / "jinja2",
                    Path(django.forms.__file__).parent / "jinja2",
                ],
                "NAME": "portal-forms",
                "OPTIONS": {},
            }
        )

    def get_template(self, template_name: str) -> Any:
        if template_name not in self._django_only:
            try:
                return self.jinja2.get_template(template_name)
            except TemplateDoesNotExist:
                self._django_only.add(template_name)
        return self.fallback.get_template(template_name)
