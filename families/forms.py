from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from extranet.validators import normalize_phone, normalize_postal_code
from families.models import Family

PHONE_FIELDS = (
    "tel_domicile",
    "mobile",
    "tel_pro",
    "tel_urgence",
    "tel_supplementaire_1",
    "tel_supplementaire_2",
    "tel_supplementaire_3",
)
EMAIL_ERRORS = {"invalid": _("Adresse e-mail invalide, par exemple prenom.nom@exemple.fr.")}


class ContactFieldsMixin(forms.BaseForm):
    """Normalises phone numbers and postal codes, with a message next to the wrong field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        postal_code = self.fields.get("code_postal")
        if isinstance(postal_code, forms.CharField):
            # "77 550" is fine: spaces go before the 5-digit check, so accept a longer input.
            postal_code.max_length = 10
            postal_code.validators = [
                v for v in postal_code.validators if not isinstance(v, MaxLengthValidator)
            ]
            postal_code.widget.attrs["maxlength"] = "10"

    def _post_clean(self) -> None:
        for name in PHONE_FIELDS:
            self._normalize(name, normalize_phone)
        self._normalize("code_postal", normalize_postal_code)
        super()._post_clean()  # type: ignore[misc]

    def _normalize(self, name: str, normalizer: Any) -> None:
        value = self.cleaned_data.get(name)
        if name not in self.fields or not value:
            return
        try:
            self.cleaned_data[name] = normalizer(value)
        except ValidationError as error:
            self.add_error(name, error)

    def mark_required(self) -> None:
        """Required fields are highlighted (yellow) and announced to screen readers."""
        for field in self.fields.values():
            # aria-required is not allowed on a radio button (ARIA 1.2): the fieldset's legend
            # carries the asterisk and the native "required" stays.
            if field.required and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-required"] = "true"
                field.error_messages["required"] = _("Ce champ est obligatoire.")


class FamilyForm(ContactFieldsMixin, forms.ModelForm):
    class Meta:
        model = Family
        fields = [
            "civilite",
            "nom",
            "prenom",
            "situation_familiale",
            "code_socio_professionnel",
            "profession",
            "adresse",
            "code_postal",
            "ville",
            "tel_domicile",
            "mobile",
            "tel_pro",
            "email",
            "tel_supplementaire_1",
            "tel_supplementaire_2",
            "tel_supplementaire_3",
        ]
        error_messages = {"email": EMAIL_ERRORS}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "mobile": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "tel_domicile": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_pro": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_supplementaire_1": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_supplementaire_2": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_supplementaire_3": forms.TextInput(attrs={"inputmode": "tel"}),
            "code_postal": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
            ),
            "adresse": forms.TextInput(attrs={"autocomplete": "street-address"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("civilite", "adresse", "code_postal", "ville"):
            self.fields[name].required = True
        for number in (1, 2, 3):
            self.fields[f"tel_supplementaire_{number}"].label = _("Tél supplémentaire %(n)s") % {
                "n": number
            }
        self.mark_required()
