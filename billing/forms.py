from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Residence, TariffKind
from extranet.models import Site


class SimulatorForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("Conservatoire"),
        queryset=Site.objects.all(),
        empty_label=_("Choisissez le conservatoire"),
        error_messages={"required": _("Choisissez le conservatoire.")},
    )
    quotient = forms.IntegerField(
        label=_("Quotient familial (QF)"),
        required=False,
        min_value=0,
        max_value=100000,
        help_text=_("Sur votre attestation CAF. Laissé vide : le tarif plafond s'applique."),
        error_messages={"invalid": _("Saisissez un nombre entier, par exemple 850.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    residence = forms.ChoiceField(
        label=_("Résidence"), choices=Residence.choices, initial=Residence.INSIDE
    )


class ChildSimulationForm(forms.Form):
    name = forms.CharField(label=_("Prénom"), max_length=60, required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Cours"),
        choices=TariffKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def simulator_children_formset(extra: int) -> Any:
    return forms.formset_factory(ChildSimulationForm, extra=extra, max_num=8)
