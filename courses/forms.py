from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Absence, AbsenceReason, Enrolment, RepertoireEntry

NOTE_ERRORS = {
    "invalid": _("Saisissez un nombre, par exemple 4,5."),
    "max_digits": _("Nombre trop grand."),
    "max_decimal_places": _("Deux chiffres après la virgule au plus."),
}
REQUIRED = {"required": _("Ce champ est obligatoire.")}


def _date_choices(dates: list[datetime.date]) -> list[tuple[str, str]]:
    return [(d.isoformat(), formats.date_format(d, "l j F Y")) for d in dates]


class AbsenceDeclarationForm(forms.Form):
    """A parent tells about an absence: a coming lesson, or a recorded one to justify."""

    date = forms.ChoiceField(label=_("Date du cours"), error_messages=REQUIRED)
    reason = forms.ChoiceField(
        label=_("Motif"),
        choices=[("", "---------"), *AbsenceReason.choices],
        error_messages=REQUIRED,
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, enrolment: Enrolment, absences: list[Absence], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        coming = [d for d in enrolment.slot.lesson_dates() if d >= today][:10]
        to_justify = [
            a.date
            for a in absences
            if a.date < today and not a.justified and a.justification != "pending"
        ]
        choices = []
        if coming:
            choices.append((_("Cours à venir"), _date_choices(coming)))
        if to_justify:
            choices.append((_("Absences à justifier"), _date_choices(sorted(to_justify))))
        self.fields["date"].choices = [("", "---------"), *choices]  # type: ignore[attr-defined]
        self.fields["reason"].widget.attrs["aria-required"] = "true"
        self.fields["date"].widget.attrs["aria-required"] = "true"

    def clean_date(self) -> datetime.date:
        return datetime.date.fromisoformat(self.cleaned_data["date"])


class AttendanceForm(forms.Form):
    """The roll call of one lesson: present, absent or late, justified or not, per pupil."""

    STATUS_CHOICES = [("present", _("Présent")), ("absent", _("Absent")), ("late", _("Retard"))]

    def __init__(
        self,
        *args: Any,
        roster: list[Enrolment],
        absences: dict[int, Absence],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.roster = roster
        self.absences = absences
        for enrolment in roster:
            absence = absences.get(enrolment.pk)
            status = "present"
            if absence is not None and absence.recorded_by_id is not None:
                status = "late" if absence.kind == Absence.Kind.LATE else "absent"
            elif absence is not None:
                status = "absent"  # Told by the family: proposed as absent.
            self.fields[f"status_{enrolment.pk}"] = forms.ChoiceField(
                label=str(enrolment.student),
                choices=self.STATUS_CHOICES,
                initial=status,
                widget=forms.RadioSelect,
            )
            self.fields[f"justified_{enrolment.pk}"] = forms.BooleanField(
                label=_("Justifiée"),
                required=False,
                initial=bool(absence and absence.justified),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "enrolment": enrolment,
                "status": self[f"status_{enrolment.pk}"],
                "justified": self[f"justified_{enrolment.pk}"],
                "absence": self.absences.get(enrolment.pk),
            }
            for enrolment in self.roster
        ]


class EvaluationCommonForm(forms.Form):
    type_evaluation = forms.CharField(
        label=_("Type d'évaluation"),
        max_length=100,
        initial="Pratique individuelle",
        error_messages=REQUIRED,
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={**REQUIRED, "invalid": _("Date invalide, par exemple 24/12/2026.")},
    )
    type_critere = forms.CharField(
        label=_("Type de critère"), max_length=100, initial="Contrôle continu", required=False
    )
    note_sur = forms.DecimalField(
        label=_("Note sur"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("1"),
        initial=Decimal("5"),
        localize=True,
        error_messages={**NOTE_ERRORS, **REQUIRED},
    )


class EvaluationRowsForm(forms.Form):
    """One line per pupil: note, letter, mention, appraisal, absent."""

    def __init__(self, *args: Any, roster: list[Enrolment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roster = roster
        for enrolment in roster:
            name = str(enrolment.student)
            pk = enrolment.pk
            self.fields[f"note_{pk}"] = forms.DecimalField(
                label=_("Note de %(name)s") % {"name": name},
                required=False,
                max_digits=5,
                decimal_places=2,
                min_value=Decimal("0"),
                localize=True,
                error_messages=NOTE_ERRORS,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
            )
            self.fields[f"lettre_{pk}"] = forms.CharField(
                label=_("Lettre de %(name)s") % {"name": name}, required=False, max_length=10
            )
            self.fields[f"mention_{pk}"] = forms.CharField(
                label=_("Mention de %(name)s") % {"name": name}, required=False, max_length=100
            )
            self.fields[f"appreciation_{pk}"] = forms.CharField(
                label=_("Appréciation de %(name)s") % {"name": name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"absent_{pk}"] = forms.BooleanField(
                label=_("%(name)s absent") % {"name": name}, required=False
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "enrolment": enrolment,
                **{
                    key: self[f"{key}_{enrolment.pk}"]
                    for key in ("note", "lettre", "mention", "appreciation", "absent")
                },
            }
            for enrolment in self.roster
        ]


class ResultsForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ["moyenne", "moyenne_sur", "moyenne_lettree", "mention", "resultat", "admission"]
        error_messages = {"moyenne": NOTE_ERRORS, "moyenne_sur": NOTE_ERRORS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same bounds as an evaluation's note and scale.
        for name, minimum in (("moyenne", Decimal("0")), ("moyenne_sur", Decimal("1"))):
            field = self.fields[name]
            field.validators.append(MinValueValidator(minimum))
            field.localize = True
            field.widget = forms.TextInput(attrs={"inputmode": "decimal"})
            field.widget.is_localized = True


class RepertoireForm(forms.ModelForm):
    class Meta:
        model = RepertoireEntry
        fields = ["composer", "title", "status"]
        error_messages = {"composer": REQUIRED, "title": REQUIRED}
