"""The family pages of the portal and the forms they hold, shared by the tests."""

from __future__ import annotations

import datetime
from typing import Any

from extranet.models import SchoolYear
from families.forms import FamilyForm
from families.models import Family
from students.forms import StudentForm
from students.models import SchoolLevel, Student

# The student tabs, in the order of the sub-menu; {pk} is the student's id.
STUDENT_TABS = ["identite", "cours", "historique", "repertoire", "reinscription", "documents"]
STUDENT_PAGES = [f"/eleves/{{pk}}/{tab}/" for tab in STUDENT_TABS]
# Every page of the family portal behind the tab bar.
FAMILY_PAGES = ["/famille/accueil/", "/famille/", *STUDENT_PAGES, "/facturation/"]
# Pages that every account reaches, drawn in the same portal shell.
SHARED_PAGES = ["/accessibilite/", "/mot-de-passe/", "/mentions-legales/"]


def family_form_data(family: Family, **changes: Any) -> dict[str, Any]:
    """What the browser sends back from the Famille page, with some fields retyped."""
    data = {name: getattr(family, name) or "" for name in FamilyForm.Meta.fields}
    data.update(changes)
    return data


def student_form_data(student: Student, **changes: Any) -> dict[str, Any]:
    """What the browser sends back from the Identité page, with some fields retyped."""
    data: dict[str, Any] = {}
    for name in StudentForm.Meta.fields:
        if name == "niveau_scolaire":
            continue
        value = getattr(student, name)
        if name == "utiliser_coordonnees_responsable":
            if value:
                data[name] = "on"  # An unchecked box is not sent at all.
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = "" if value is None else str(value)
    level = SchoolLevel.objects.filter(student=student, school_year=SchoolYear.current()).first()
    data["niveau_scolaire"] = level.niveau if level else ""
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}
