"""Django's template backend, aware that `{% load i18n %}` is the portal's on purpose.

extranet/settings.py maps the `i18n` library to extranet.templatetags.portal_i18n (Django's
library with a `{% translate %}` that remembers its answers). Django's check for two modules
claiming one library name (templates.W003) would report that mapping; this backend leaves out
exactly that pair, so that any other clash is still reported.
"""

from __future__ import annotations

from typing import Any

from django.template.backends.django import DjangoTemplates

INTENDED = "'i18n' is used for multiple template tag modules: " + ", ".join(
    repr(path) for path in sorted(["django.templatetags.i18n", "extranet.templatetags.portal_i18n"])
)


class PortalDjangoTemplates(DjangoTemplates):
    def _check_for_template_tags_with_the_same_name(self) -> list[Any]:
        warnings = super()._check_for_template_tags_with_the_same_name()  # type: ignore[misc]
        return [warning for warning in warnings if warning.msg != INTENDED]
