"""Validation of French contact details, with messages a parent understands."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s.\-/()]")
_FRENCH_NUMBER = re.compile(r"^0[1-9]\d{8}$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{6,14}$")
_POSTAL_CODE = re.compile(r"^\d{5}$")


def normalize_phone(value: str) -> str:
    """Return the number as "06 12 93 31 09" (or "+44 ..." abroad), or raise ValidationError."""
    raw = _SEPARATORS.sub("", value or "")
    if raw.startswith("0033"):
        raw = "+33" + raw[4:]
    if raw.startswith("+33") and len(raw) == 12:
        raw = "0" + raw[3:]
    if _FRENCH_NUMBER.match(raw):
        return " ".join(raw[i : i + 2] for i in range(0, 10, 2))
    if _INTERNATIONAL.match(raw) and not raw.startswith("+33"):
        return raw
    raise ValidationError(
        _("Numéro invalide : 10 chiffres commençant par 0, par exemple 06 12 34 56 78."),
        code="phone",
    )


def normalize_postal_code(value: str) -> str:
    raw = (value or "").replace(" ", "")
    if not _POSTAL_CODE.match(raw):
        raise ValidationError(
            _("Code postal invalide : 5 chiffres, par exemple 77550."), code="postal_code"
        )
    return raw
