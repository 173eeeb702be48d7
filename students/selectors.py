from __future__ import annotations

from django.http import Http404

from extranet.models import User
from students.models import Student


def get_family_students(user: User) -> list[Student]:
    """The children of a family login, with their family, in one query."""
    students = list(Student.objects.for_family_account(user).select_related("family"))
    for student in students:
        student.family.site = user.site
    return students


def get_student_for_family(user: User, pk: int) -> tuple[Student, list[Student]]:
    """One child of this family and all of them (for the selector); 404 for anyone else's."""
    students = get_family_students(user)
    for student in students:
        if student.pk == pk:
            return student, students
    raise Http404
