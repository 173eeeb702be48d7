from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from extranet.models import Site
from families.forms import EMAIL_ERRORS, ContactFieldsMixin
from students.models import NiveauScolaire, Student

YES_NO = [(True, _("Oui")), (False, _("Non"))]
ALWAYS_REQUIRED = ("nom", "prenom", "date_naissance")
CONTACT_FIELDS = ("adresse", "code_postal", "ville", "tel_domicile", "mobile", "tel_pro")


def _to_bool(value: object) -> bool | None:
    if value in (True, "True", "true", "1"):
        return True
    if value in (False, "False", "false", "0"):
        return False
    return None


class StudentForm(ContactFieldsMixin, forms.ModelForm):
    """Identité: the student's record, with the fields the site makes required."""

    droit_image = forms.TypedChoiceField(
        label=_("Droit à l'image"),
        choices=YES_NO,
        coerce=_to_bool,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    autorisation_sortie = forms.TypedChoiceField(
        label=_("Autorisation de sortie"),
        choices=YES_NO,
        coerce=_to_bool,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    niveau_scolaire = forms.ChoiceField(
        label=_("Niveau scolaire"),
        choices=[("", "---------"), *NiveauScolaire.choices],
        required=False,
    )

    class Meta:
        model = Student
        fields = [
            "civilite",
            "nom",
            "prenom",
            "date_naissance",
            "lieu_naissance",
            "situation_familiale",
            "utiliser_coordonnees_responsable",
            "adresse",
            "code_postal",
            "ville",
            "tel_domicile",
            "mobile",
            "tel_pro",
            "email",
            "personne_a_prevenir",
            "tel_urgence",
            "droit_image",
            "autorisation_sortie",
            "etablissement_scolaire",
            "niveau_scolaire",
            "nationalite",
        ]
        error_messages = {
            "email": EMAIL_ERRORS,
            "date_naissance": {
                "invalid": _(
                    "Date invalide : utilisez le format JJ/MM/AAAA, par exemple 17/12/2015."
                )
            },
        }
        widgets = {
            "date_naissance": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "code_postal": forms.TextInput(attrs={"inputmode": "numeric"}),
            "tel_domicile": forms.TextInput(attrs={"inputmode": "tel"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_pro": forms.TextInput(attrs={"inputmode": "tel"}),
            "tel_urgence": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(
        self, *args: Any, site: Site, school_year_label: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        birth_date = self.fields["date_naissance"]
        assert isinstance(birth_date, forms.DateField)
        birth_date.input_formats = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
        if school_year_label:
            self.fields["niveau_scolaire"].label = _("Niveau scolaire %(year)s") % {
                "year": school_year_label
            }
        required = set(ALWAYS_REQUIRED) | set(site.required_student_fields or [])
        for name, field in self.fields.items():
            field.required = name in required
        self.mark_required()

    def _uses_responsible_contact(self) -> bool:
        return bool(self.cleaned_data.get("utiliser_coordonnees_responsable"))

    def full_clean(self) -> None:
        # With "Utiliser les coordonnées du responsable légal", the contact fields come from
        # the family, so they are not required here.
        if self.is_bound and self.data.get(self.add_prefix("utiliser_coordonnees_responsable")):
            for name in CONTACT_FIELDS:
                self.fields[name].required = False
        super().full_clean()
