from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reenrollment.models import Choice
from reenrollment.selectors import CourseRow


def slot_label(slot: Any) -> str:
    free = max(slot.capacity - slot.enrolled - slot.held, 0)
    base = f"{slot.get_weekday_display()} {slot.start_time:%H:%M} · {slot.teacher}"
    if free <= 0:
        return str(_("%(slot)s · complet : liste d'attente") % {"slot": base})
    seats = ngettext("%(n)s place restante", "%(n)s places restantes", free) % {"n": free}
    return f"{base} · {seats}"


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
            options: list[tuple[str, str]] = [("", _("Choisissez un horaire"))]
            for slot in row.slots:
                full = slot.capacity - slot.enrolled - slot.held <= 0
                mine = choice is not None and choice.slot_id == slot.pk
                value = f"wait:{slot.pk}" if full and not mine else str(slot.pk)
                options.append((value, slot_label(slot) if not mine else self._mine(slot, choice)))
            initial = ""
            if choice is not None and choice.slot_id:
                initial = str(choice.slot_id)
            self.fields[f"slot_{pk}"] = forms.ChoiceField(
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
        return [
            {
                "row": row,
                "renew": self[f"renew_{row.enrolment.pk}"],
                "slot": self[f"slot_{row.enrolment.pk}"]
                if f"slot_{row.enrolment.pk}" in self.fields
                else None,
            }
            for row in self.rows
        ]

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
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Fichier (PDF, ou une ou plusieurs photos)"),
        error_messages={"required": _("Choisissez un fichier à importer.")},
        help_text=_(
            "PDF, JPEG, PNG ou HEIC, 10 Mo au plus. Plusieurs photos deviennent un seul PDF. "
            "Les accents et espaces dans le nom du fichier ne posent aucun problème."
        ),
    )


class RefusalForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=300)
