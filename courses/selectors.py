from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from courses.models import Enrolment, Slot, Teacher
from extranet.models import SchoolYear, User
from students.models import Student

ENROLMENT_RELATED = (
    "slot__course__department",
    "slot__teacher",
    "slot__room",
    "slot__school_year",
)


def student_enrolments(student: Student) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(student=student)
        .select_related(*ENROLMENT_RELATED)
        .order_by("slot__course__name", "pk")
    )


def get_enrolment_for_student(student: Student, pk: int) -> Enrolment:
    """One course follow-up of a pupil the caller may see; 404 otherwise."""
    try:
        return student_enrolments(student).get(pk=pk)
    except Enrolment.DoesNotExist:
        raise Http404 from None


def get_teacher_for_user(user: User) -> Teacher:
    try:
        teacher = Teacher.objects.get(account=user, site=user.site)
    except Teacher.DoesNotExist:
        raise Http404 from None
    teacher.site = user.site
    return teacher


def teacher_slots(teacher: Teacher, school_year: SchoolYear) -> QuerySet[Slot]:
    return (
        Slot.objects.filter(teacher=teacher, school_year=school_year)
        .select_related("course", "room")
        .annotate(pupils=Count("enrolments", filter=Q(enrolments__active=True)))
        .order_by("weekday", "start_time")
    )


def get_slot_for_teacher(teacher: Teacher, pk: int, school_year: SchoolYear) -> Slot:
    """A slot of this teacher in the current year; other teachers' and past years' are 404."""
    try:
        return Slot.objects.select_related("course", "room", "school_year").get(
            pk=pk, teacher=teacher, school_year=school_year
        )
    except Slot.DoesNotExist:
        raise Http404 from None


def slot_roster(slot: Slot) -> list[Enrolment]:
    return list(
        slot.enrolments.filter(active=True)
        .select_related("student")
        .order_by("student__nom", "student__prenom", "pk")
    )


def get_enrolment_for_teacher(teacher: Teacher, pk: int, school_year: SchoolYear) -> Enrolment:
    try:
        return Enrolment.objects.select_related(
            "student", "slot__course", "slot__room", "slot__school_year"
        ).get(pk=pk, slot__teacher=teacher, slot__school_year=school_year)
    except Enrolment.DoesNotExist:
        raise Http404 from None
