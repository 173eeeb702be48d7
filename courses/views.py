"""Family tabs (Cours, Suivi, Historique, Répertoire, calendar) and the teacher access."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from courses import services
from courses.calendar import student_calendar
from courses.forms import (
    AbsenceDeclarationForm,
    AttendanceForm,
    EvaluationCommonForm,
    EvaluationRowsForm,
    RepertoireForm,
    ResultsForm,
)
from courses.models import Absence, CalendarFeed, Enrolment, RepertoireEntry, Weekday
from courses.selectors import (
    get_enrolment_for_student,
    get_enrolment_for_teacher,
    get_slot_for_teacher,
    get_teacher_for_user,
    slot_roster,
    student_enrolments,
    teacher_slots,
)
from courses.services import AttendanceEntry, CoursesError, EvaluationRow
from extranet.decorators import family_required, teacher_required
from extranet.models import SchoolYear, User
from students.selectors import get_family_students, get_student_for_family


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _search(rows: list[Any], query: str, *fields: str) -> list[Any]:
    """Keep the rows where any of the named attributes contains the query (case-insensitive)."""
    query = query.strip().casefold()
    if not query:
        return rows

    def text(row: Any, path: str) -> str:
        value = row
        for part in path.split("."):
            value = getattr(value, part, None)
            if callable(value):
                value = value()
        return str(value or "")

    return [r for r in rows if any(query in text(r, f).casefold() for f in fields)]


COURSE_SEARCH_FIELDS = (
    "slot.course.name",
    "slot.teacher",
    "cycle",
    "slot.room.name",
    "slot.get_weekday_display",
)

# Family side ------------------------------------------------------------------------------


@family_required
def courses_tab(request: HttpRequest, pk: int) -> HttpResponse:
    """Cours: this year's lessons of one pupil, with a search box and the calendar link."""
    student, students = get_student_for_family(_user(request), pk)
    school_year = SchoolYear.current()
    enrolments = list(student_enrolments(student).filter(slot__school_year=school_year))
    query = request.GET.get("q", "")
    feed = CalendarFeed.objects.filter(student=student).first()
    return render(
        request,
        "courses/family/courses.html",
        {
            "student": student,
            "students": students,
            "enrolments": _search(enrolments, query, *COURSE_SEARCH_FIELDS),
            "total": len(enrolments),
            "query": query,
            "feed": feed,
            "school_year": school_year,
            "tab": "students",
            "subtab": "cours",
        },
    )


@family_required
def follow_up(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Suivi: results, evaluations and absences of one course; absences can be told here."""
    student, students = get_student_for_family(_user(request), pk)
    enrolment = get_enrolment_for_student(student, enrolment_pk)
    school_year = SchoolYear.current()
    editable = school_year is not None and enrolment.slot.school_year_id == school_year.pk
    evaluations = list(enrolment.evaluations.all())
    absences = list(enrolment.absences.all())
    form = None
    if editable:
        form = AbsenceDeclarationForm(request.POST or None, enrolment=enrolment, absences=absences)
        if request.method == "POST" and form.is_valid():
            try:
                services.absence_declare(
                    enrolment=enrolment,
                    school_year=school_year,
                    date=form.cleaned_data["date"],
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                )
            except CoursesError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Merci : le conservatoire et l'enseignant sont prévenus de l'absence."),
                )
                return redirect("courses:follow_up", pk=student.pk, enrolment_pk=enrolment.pk)
    elif request.method == "POST":
        # A past year's follow-up is read-only, whatever the browser sends.
        raise Http404
    return render(
        request,
        "courses/family/follow_up.html",
        {
            "student": student,
            "students": students,
            "enrolment": enrolment,
            "evaluations": evaluations,
            "absences": absences,
            "form": form,
            "editable": editable,
            "tab": "students",
            "subtab": "cours" if editable else "historique",
        },
    )


@family_required
def history_tab(request: HttpRequest, pk: int) -> HttpResponse:
    """Historique: the courses of previous years."""
    student, students = get_student_for_family(_user(request), pk)
    school_year = SchoolYear.current()
    enrolments = student_enrolments(student).order_by(
        "-slot__school_year__start_date", "slot__course__name"
    )
    if school_year is not None:
        enrolments = enrolments.filter(slot__school_year__start_date__lt=school_year.start_date)
    query = request.GET.get("q", "")
    rows = _search(
        list(enrolments),
        query,
        "slot.school_year.label",
        "slot.course.department.name",
        "slot.course.name",
        "cycle",
        "slot.teacher",
    )
    return render(
        request,
        "courses/family/history.html",
        {
            "student": student,
            "students": students,
            "enrolments": rows,
            "query": query,
            "tab": "students",
            "subtab": "historique",
        },
    )


@family_required
def repertoire_tab(request: HttpRequest, pk: int) -> HttpResponse:
    student, students = get_student_for_family(_user(request), pk)
    entries = student.repertoire.select_related("course", "school_year")  # type: ignore[attr-defined]
    return render(
        request,
        "courses/family/repertoire.html",
        {
            "student": student,
            "students": students,
            "entries": entries,
            "tab": "students",
            "subtab": "repertoire",
        },
    )


@require_POST
@family_required
def calendar_renew(request: HttpRequest, pk: int) -> HttpResponse:
    student, _students = get_student_for_family(_user(request), pk)
    services.calendar_feed_renew(student=student)
    messages.success(
        request, _("Nouveau lien d'abonnement créé : l'ancien lien ne fonctionne plus.")
    )
    return redirect("courses:courses", pk=student.pk)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCalendar feed of a pupil: the token in the address is the key."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("student__family__site", "student__family__account"),
        token=token,
    )
    school_year = SchoolYear.current()
    enrolments = list(
        student_enrolments(feed.student).filter(slot__school_year=school_year, active=True)
    )
    response = HttpResponse(
        student_calendar(feed.student, enrolments), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="cours.ics"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@family_required
def family_timetable(request: HttpRequest) -> HttpResponse:
    """The family's weekly timetable, to print."""
    students = get_family_students(_user(request))
    school_year = SchoolYear.current()
    enrolments = (
        Enrolment.objects.filter(
            student__in=[s.pk for s in students], slot__school_year=school_year, active=True
        )
        .select_related("student", "slot__course", "slot__teacher", "slot__room")
        # The lesson's own time: NULL passage times sort first on SQLite, last on PostgreSQL.
        .order_by("slot__weekday", Coalesce("passage_time", "slot__start_time"), "pk")
    )
    days: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        days[enrolment.slot.weekday].append(enrolment)
    week = [(label, days[value]) for value, label in Weekday.choices if days[value]]
    return render(
        request,
        "courses/family/timetable.html",
        {"week": week, "school_year": school_year, "tab": "students"},
    )


# Teacher side -----------------------------------------------------------------------------


def _current_year() -> SchoolYear:
    school_year = SchoolYear.current()
    if school_year is None:
        raise Http404
    return school_year


@teacher_required
def teacher_week(request: HttpRequest) -> HttpResponse:
    """The teacher's week: slots by day, room, number of pupils."""
    teacher = get_teacher_for_user(_user(request))
    school_year = _current_year()
    days: dict[int, list[Any]] = defaultdict(list)
    for slot in teacher_slots(teacher, school_year):
        days[slot.weekday].append(slot)
    week = [(label, days[value]) for value, label in Weekday.choices if days[value]]
    return render(
        request,
        "courses/teacher/week.html",
        {"teacher": teacher, "week": week, "school_year": school_year, "tab": "teacher"},
    )


def _lesson_date(request: HttpRequest, dates: list[datetime.date]) -> datetime.date:
    """The lesson date asked for, or the last one up to today (the first one otherwise)."""
    asked = request.POST.get("date") or request.GET.get("date")
    if asked:
        try:
            day = datetime.date.fromisoformat(asked)
        except ValueError:
            raise Http404 from None
        if day not in dates:
            raise Http404
        return day
    today = timezone.localdate()
    past = [d for d in dates if d <= today]
    return past[-1] if past else dates[0]


@teacher_required
def slot_roll(request: HttpRequest, pk: int) -> HttpResponse:
    """A slot's roster and the roll call of one lesson date."""
    teacher = get_teacher_for_user(_user(request))
    school_year = _current_year()
    slot = get_slot_for_teacher(teacher, pk, school_year)
    dates = slot.lesson_dates()
    day = _lesson_date(request, dates)
    roster = slot_roster(slot)
    absences = {a.enrolment_id: a for a in Absence.objects.filter(enrolment__slot=slot, date=day)}
    form = AttendanceForm(request.POST or None, roster=roster, absences=absences)
    if request.method == "POST" and form.is_valid():
        entries = [
            AttendanceEntry(
                enrolment=e,
                status=form.cleaned_data[f"status_{e.pk}"],
                justified=form.cleaned_data[f"justified_{e.pk}"],
            )
            for e in roster
        ]
        try:
            count = services.attendance_record(
                slot=slot,
                teacher=teacher,
                date=day,
                entries=entries,
                base_url=request.build_absolute_uri("/"),
            )
        except CoursesError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Appel du %(date)s enregistré : %(count)s absence ou retard.",
                    "Appel du %(date)s enregistré : %(count)s absences ou retards.",
                    count,
                )
                % {"date": day.strftime("%d/%m/%Y"), "count": count},
            )
            return redirect(f"{request.path}?date={day.isoformat()}")
    return render(
        request,
        "courses/teacher/roll.html",
        {
            "teacher": teacher,
            "slot": slot,
            "day": day,
            "dates": dates,
            "form": form,
            "absences": absences,
            "future": day > timezone.localdate(),
            "tab": "teacher",
        },
    )


def _evaluation_rows(form: EvaluationRowsForm) -> list[EvaluationRow]:
    data = form.cleaned_data
    return [
        EvaluationRow(
            enrolment=e,
            note=data[f"note_{e.pk}"],
            lettre=data[f"lettre_{e.pk}"],
            mention=data[f"mention_{e.pk}"],
            appreciation=data[f"appreciation_{e.pk}"],
            absent=data[f"absent_{e.pk}"],
        )
        for e in form.roster
    ]


def _save_evaluations(
    request: HttpRequest,
    teacher: Any,
    school_year: SchoolYear,
    common: EvaluationCommonForm,
    rows: EvaluationRowsForm,
) -> bool:
    if not (common.is_valid() and rows.is_valid()):
        return False
    try:
        created = services.evaluations_record(
            teacher=teacher,
            school_year=school_year,
            type_evaluation=common.cleaned_data["type_evaluation"],
            date=common.cleaned_data["date"],
            type_critere=common.cleaned_data["type_critere"],
            note_sur=common.cleaned_data["note_sur"],
            rows=_evaluation_rows(rows),
        )
    except CoursesError as error:
        common.add_error(None, error.message)
        return False
    messages.success(
        request,
        ngettext(
            "%(count)s évaluation enregistrée.",
            "%(count)s évaluations enregistrées.",
            len(created),
        )
        % {"count": len(created)},
    )
    return True


@teacher_required
def slot_evaluations(request: HttpRequest, pk: int) -> HttpResponse:
    """Evaluations of a whole class at once."""
    teacher = get_teacher_for_user(_user(request))
    school_year = _current_year()
    slot = get_slot_for_teacher(teacher, pk, school_year)
    roster = slot_roster(slot)
    data = request.POST or None
    common = EvaluationCommonForm(data, initial={"date": timezone.localdate()})
    rows = EvaluationRowsForm(data, roster=roster)
    if request.method == "POST" and _save_evaluations(request, teacher, school_year, common, rows):
        return redirect("courses:slot_roll", pk=slot.pk)
    return render(
        request,
        "courses/teacher/evaluations.html",
        {"slot": slot, "common": common, "rows": rows, "tab": "teacher"},
    )


@teacher_required
def teacher_pupil(request: HttpRequest, enrolment_pk: int) -> HttpResponse:
    """One pupil in one of the teacher's courses: evaluations, results, répertoire."""
    teacher = get_teacher_for_user(_user(request))
    school_year = _current_year()
    enrolment = get_enrolment_for_teacher(teacher, enrolment_pk, school_year)
    action = request.POST.get("action") if request.method == "POST" else None
    posted = request.POST

    common = EvaluationCommonForm(
        posted if action == "evaluation" else None, initial={"date": timezone.localdate()}
    )
    rows = EvaluationRowsForm(posted if action == "evaluation" else None, roster=[enrolment])
    results = ResultsForm(posted if action == "results" else None, instance=enrolment)
    repertoire = RepertoireForm(posted if action == "repertoire" else None)

    if action == "evaluation" and _save_evaluations(request, teacher, school_year, common, rows):
        return redirect("courses:teacher_pupil", enrolment_pk=enrolment.pk)
    if action == "results" and results.is_valid():
        try:
            services.enrolment_results_update(
                enrolment=enrolment,
                school_year=school_year,
                data=results.cleaned_data,
                by=_user(request),
            )
        except CoursesError as error:
            results.add_error(None, error.message)
        else:
            messages.success(request, _("Résultats de fin d'année enregistrés."))
            return redirect("courses:teacher_pupil", enrolment_pk=enrolment.pk)
    if action == "repertoire" and repertoire.is_valid():
        services.repertoire_add(
            teacher=teacher,
            enrolment=enrolment,
            school_year=school_year,
            data=repertoire.cleaned_data,
        )
        messages.success(request, _("Morceau ajouté au répertoire."))
        return redirect("courses:teacher_pupil", enrolment_pk=enrolment.pk)
    if action == "repertoire_delete":
        entry = get_object_or_404(
            RepertoireEntry,
            pk=posted.get("entry", "0") if posted.get("entry", "").isdigit() else 0,
            student=enrolment.student,
            course=enrolment.slot.course,
        )
        try:
            services.repertoire_delete(entry=entry, school_year=school_year)
        except CoursesError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Morceau retiré du répertoire."))
        return redirect("courses:teacher_pupil", enrolment_pk=enrolment.pk)

    return render(
        request,
        "courses/teacher/pupil.html",
        {
            "enrolment": enrolment,
            "evaluations": enrolment.evaluations.all(),
            "absences": enrolment.absences.all(),
            "entries": enrolment.student.repertoire.filter(  # type: ignore[attr-defined]
                course=enrolment.slot.course
            ).select_related("school_year"),
            "common": common,
            "rows": rows,
            "results": results,
            "repertoire": repertoire,
            "tab": "teacher",
        },
    )
