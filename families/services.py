from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from families.models import ADDRESS_FIELDS, Family


class FamiliesError(Exception):
    """A refusal of the families rules, with a message for the family or staff."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


# The responsible's contact details that students marked "Utiliser les coordonnées du
# responsable légal" follow.
SHARED_CONTACT_FIELDS = ("adresse", "code_postal", "ville", "tel_domicile", "mobile", "tel_pro")


def family_update(*, family: Family, data: dict[str, Any]) -> list[str]:
    """Save the responsible's record; return the names of the fields that changed.

    A new address means the conservatory needs a new proof of address: the family is marked
    (re-enrollment asks for the document) and told so by the view.
    """
    with transaction.atomic():
        locked = Family.objects.select_for_update().get(pk=family.pk)
        # Compare with the stored row, not with `family`: a ModelForm bound to it has already
        # copied the typed values onto it, so nothing would ever look changed.
        changed = [name for name, value in data.items() if getattr(locked, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, data[name])
        if any(name in ADDRESS_FIELDS for name in changed):
            locked.proof_of_address_needed = True
            locked.address_changed_at = timezone.now()
        locked.save()
        shared = {name: data[name] for name in changed if name in SHARED_CONTACT_FIELDS}
        if shared:
            for student in locked.students.filter(utiliser_coordonnees_responsable=True):
                for name, value in shared.items():
                    setattr(student, name, value)
                student.save()  # save(), not update(): the history keeps the change.
    family.refresh_from_db()
    return changed
