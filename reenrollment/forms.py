from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from families.choices import Civilite
from families.forms import EMAIL_ERRORS, ContactFieldsMixin
from reenrollment.models import Choice, PreRegistration
from reenrollment.selectors import CourseRow, seats_left


def slot_label(slot: Any) -> str:  # a Slot annotated by selectors.with_occupancy
    free = seats_left(slot)
    base = f"{slot.get_weekday_display()} {slot.start_time:%H:%M} · {slot.teacher}"
    if free is None:
        return base
    if free <= 0:
        return str(_("%(slot)s · complet : liste d'attente") % {"slot": base})
    seats = ngettext("%(n)s place restante", "%(n)s places restantes", free) % {"n": free}
    return f"{base} · {seats}"


class SlotChoiceField(forms.ChoiceField):
    """A slot of the list, sent as a seat ("12") or as its waiting list ("wait:12").

    Which of the two the page offered depends on the seats left when it was drawn; by the time
    the family submits, the slot may have filled up or freed a seat. Both are accepted, and the
    service decides with the slot locked (a French message when it is full).
    """

    def valid_value(self, value: Any) -> bool:
        raw = str(value).removeprefix("wait:")
        return super().valid_value(raw) or super().valid_value(f"wait:{raw}")


class ReenrollmentForm(forms.Form):
    """The Réinscription tab: courses to renew, slots, administrative box, comment, rules."""

    administrative = forms.BooleanField(label=_("Réinscription administrative"), required=False)
    comment = forms.CharField(
        label=_("Information complémentaire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Par exemple l'instrument choisi, une nouvelle discipline ou l'arrêt d'une autre."
        ),
    )
    accept_rules = forms.BooleanField(
        label=_("J'accepte"),
        required=True,
        error_messages={"required": _("Cochez « J'accepte » pour valider la réinscription.")},
    )

    FORM_ID = "reinscription"

    def __init__(self, *args: Any, rows: list[CourseRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            pk = row.enrolment.pk
            choice = row.choice
            renew_initial = choice is None or choice.state != Choice.State.NOT_RENEWED
            self.fields[f"renew_{pk}"] = forms.BooleanField(
                label=_("Réinscription en %(course)s") % {"course": row.enrolment.slot.course.name},
                required=False,
                initial=renew_initial if choice else False,
            )
            if row.assigned or row.no_slot:
                continue
            options: list[tuple[str, Any]] = [("", _("Choisissez un horaire"))]
            for slot in row.slots:
                # Seats not counted (the check of a submission) is never full: the service
                # counts them, under the slot's lock.
                full = seats_left(slot) == 0
                mine = choice is not None and choice.slot_id == slot.pk
                value = f"wait:{slot.pk}" if full and not mine else str(slot.pk)
                label = (
                    self._mine(slot, choice) if choice is not None and mine else slot_label(slot)
                )
                options.append((value, label))
            initial = ""
            if choice is not None and choice.slot_id:
                initial = str(choice.slot_id)
            self.fields[f"slot_{pk}"] = SlotChoiceField(
                label=_("Cours disponible en %(course)s")
                % {"course": row.enrolment.slot.course.name},
                choices=options,
                required=False,
                initial=initial,
            )

        # The fields sit around the document tables (which have forms of their own), so they
        # join the main form through the HTML "form" attribute.
        for field in self.fields.values():
            field.widget.attrs["form"] = self.FORM_ID

    @staticmethod
    def _mine(slot: Any, choice: Choice) -> str:
        base = f"{slot.get_weekday_display()} {slot.start_time:%H:%M} · {slot.teacher}"
        return f"{base} · {choice.get_state_display()}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for row in self.rows:
            pk = row.enrolment.pk
            if not cleaned.get(f"renew_{pk}") or row.assigned or row.no_slot:
                continue
            if not cleaned.get(f"slot_{pk}"):
                self.add_error(f"slot_{pk}", _("Choisissez un horaire pour ce cours."))
        return cleaned

    def table(self) -> list[dict[str, Any]]:
        """One line per course. `chosen_value` and `chosen_label` are the slot the list shows
        as chosen (the saved choice, or the one just sent): a phone cuts the label short in
        the closed list, so the page writes it in full under it."""
        lines = []
        for row in self.rows:
            name = f"slot_{row.enrolment.pk}"
            slot = self[name] if name in self.fields else None
            chosen_value, chosen_label = self._chosen(slot) if slot is not None else ("", "")
            lines.append(
                {
                    "row": row,
                    "renew": self[f"renew_{row.enrolment.pk}"],
                    "slot": slot,
                    "chosen_value": chosen_value,
                    "chosen_label": chosen_label,
                }
            )
        return lines

    @staticmethod
    def _chosen(slot: BoundField) -> tuple[str, str]:
        value = str(slot.value())
        for option, label in slot.field.choices:  # type: ignore[attr-defined]
            if option and str(option) == value:
                return value, str(label)
        return "", ""

    def slot_choice(self, row: CourseRow) -> tuple[int | None, bool]:
        value = self.cleaned_data.get(f"slot_{row.enrolment.pk}") or ""
        waitlist = value.startswith("wait:")
        raw = value.removeprefix("wait:")
        return (int(raw) if raw.isdigit() else None), waitlist


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item] or (
                [] if not self.required else [single(None, initial)]
            )
        if not data and not self.required:
            return []
        return [single(data, initial)]


class UploadForm(forms.Form):
    # A declared field, moved into base_fields by the form metaclass: not BaseForm.files.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Fichier (PDF, ou une ou plusieurs photos)"),
        error_messages={"required": _("Choisissez un fichier à importer.")},
        help_text=_(
            "PDF, JPEG, PNG ou HEIC, 10 Mo au plus. Plusieurs photos deviennent un seul PDF. "
            "Les accents et espaces dans le nom du fichier ne posent aucun problème."
        ),
    )


class RefusalForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=300)


class PreRegistrationForm(ContactFieldsMixin, forms.ModelForm):
    """The public pre-registration form: the responsible's details."""

    class Meta:
        model = PreRegistration
        fields = [
            "site",
            "civilite",
            "nom",
            "prenom",
            "adresse",
            "code_postal",
            "ville",
            "mobile",
            "email",
            "message",
        ]
        widgets = {
            "civilite": forms.Select(choices=[("", "---------"), *Civilite.choices]),
            "message": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        }
        error_messages = {"email": EMAIL_ERRORS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].label = _("Conservatoire")
        self.fields["site"].empty_label = _("Choisissez le conservatoire")  # type: ignore[attr-defined]
        self.mark_required()


class ChildForm(forms.Form):
    prenom = forms.CharField(label=_("Prénom de l'enfant"), max_length=100)
    nom = forms.CharField(label=_("Nom de l'enfant"), max_length=100)
    date_naissance = forms.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Date invalide, par exemple 17/12/2015.")},
    )
    disciplines = forms.CharField(
        label=_("Disciplines souhaitées"),
        max_length=300,
        help_text=_("Par exemple : piano, danse classique, théâtre."),
    )
    availabilities = forms.CharField(
        label=_("Disponibilités"),
        max_length=300,
        required=False,
        help_text=_("Par exemple : mercredi après-midi, samedi matin."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.required:
                field.widget.attrs["aria-required"] = "true"
                field.error_messages["required"] = _("Ce champ est obligatoire.")


# One child required, two more optional: blank extra blocks are ignored (no script needed).
ChildFormSet = forms.formset_factory(
    ChildForm, extra=2, min_num=1, max_num=6, validate_min=True, validate_max=True
)


class PreRegistrationDocumentsForm(forms.Form):
    proof_of_address = MultipleFileField(
        label=_("Justificatif de domicile de moins de 3 mois"), required=False
    )
    tax_notice = MultipleFileField(label=_("Avis d'imposition (les 4 pages)"), required=False)

    DOCUMENT_NAMES = {
        "proof_of_address": "Justificatif de domicile de moins de 3 mois",
        "tax_notice": "Avis d'imposition",
    }
