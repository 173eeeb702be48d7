from __future__ import annotations

from typing import Any

from django.db import transaction

from extranet.models import SchoolYear
from families.services import SHARED_CONTACT_FIELDS
from students.models import SchoolLevel, Student


def student_update(
    *, student: Student, data: dict[str, Any], school_year: SchoolYear | None
) -> list[str]:
    """Save the Identité record and this year's school level; return what changed."""
    data = dict(data)
    niveau = data.pop("niveau_scolaire", "") or ""
    if data.get("utiliser_coordonnees_responsable"):
        for name in SHARED_CONTACT_FIELDS:
            data[name] = getattr(student.family, name)
    with transaction.atomic():
        stored = Student.objects.select_for_update().get(pk=student.pk)
        # Compare with the stored row, not with `student`: a ModelForm bound to it has already
        # copied the typed values onto it, so nothing would ever look changed.
        changed = [name for name, value in data.items() if getattr(stored, name) != value]
        if changed:
            for name in changed:
                setattr(student, name, data[name])
            student.save()
        if school_year is not None:
            level = SchoolLevel.objects.filter(student=student, school_year=school_year).first()
            if niveau and (level is None or level.niveau != niveau):
                if level is None:
                    level = SchoolLevel(student=student, school_year=school_year)
                level.niveau = niveau
                level.save()
                changed.append("niveau_scolaire")
            elif not niveau and level is not None:
                level.delete()
                changed.append("niveau_scolaire")
    return changed
