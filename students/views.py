from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from extranet.decorators import family_required
from extranet.models import SchoolYear, User
from students.forms import StudentForm
from students.models import SchoolLevel
from students.selectors import get_family_students, get_student_for_family
from students.services import student_update


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@family_required
def index(request: HttpRequest) -> HttpResponse:
    """Elèves: the selected child (?eleve=pk) or the first one."""
    students = get_family_students(_user(request))
    if not students:
        return render(request, "students/no_student.html", {"tab": "students"})
    chosen = request.GET.get("eleve", "")
    target = students[0]
    if chosen:
        matches = [s for s in students if str(s.pk) == chosen]
        if not matches:
            raise Http404
        target = matches[0]
    return redirect("students:identity", pk=target.pk)


@family_required
def identity(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    student, students = get_student_for_family(user, pk)
    school_year = SchoolYear.current()
    level = None
    if school_year is not None:
        level = SchoolLevel.objects.filter(student=student, school_year=school_year).first()
    form = StudentForm(
        request.POST or None,
        instance=student,
        site=user.site,
        school_year_label=school_year.label if school_year else None,
        initial={"niveau_scolaire": level.niveau if level else ""},
    )
    if request.method == "POST" and form.is_valid():
        changed = student_update(student=student, data=form.cleaned_data, school_year=school_year)
        if changed:
            messages.success(request, _("Éléments modifiés"))
        else:
            messages.info(request, _("Aucune modification."))
        return redirect("students:identity", pk=student.pk)
    return render(
        request,
        "students/identity.html",
        {
            "student": student,
            "students": students,
            "form": form,
            "tab": "students",
            "subtab": "identite",
        },
    )
