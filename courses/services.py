from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from courses.models import (
    Absence,
    AbsenceReason,
    CalendarFeed,
    Enrolment,
    Evaluation,
    RepertoireEntry,
    Slot,
    Teacher,
    new_calendar_token,
)
from extranet import audit
from extranet.audit import Action
from extranet.models import SchoolYear, User
from extranet.services import send_templated_email
from students.models import Student


class CoursesError(Exception):
    """A refusal of the courses rules, with a message for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _check_current(enrolment: Enrolment, school_year: SchoolYear | None) -> None:
    # Past years are history: nobody edits them through the portal.
    if school_year is None or enrolment.slot.school_year_id != school_year.pk:
        raise CoursesError(_("Les années précédentes ne peuvent plus être modifiées."))


def absence_declare(
    *,
    enrolment: Enrolment,
    school_year: SchoolYear | None,
    date: datetime.date,
    reason: str,
    comment: str,
) -> Absence:
    """A family tells the conservatory about an absence: a coming lesson, or a past absence
    the teacher recorded, which it justifies. The secretariat accepts the justification."""
    _check_current(enrolment, school_year)
    if reason not in AbsenceReason.values:
        raise CoursesError(_("Choisissez un motif dans la liste."))
    if not enrolment.slot.is_lesson_date(date):
        raise CoursesError(_("Il n'y a pas de cours ce jour-là."))
    today = timezone.localdate()
    with transaction.atomic():
        absence = Absence.objects.select_for_update().filter(enrolment=enrolment, date=date).first()
        if absence is None:
            if date < today:
                raise CoursesError(
                    _("Aucune absence n'a été relevée ce jour-là : il n'y a rien à justifier.")
                )
            absence = Absence(
                enrolment=enrolment,
                date=date,
                end_date=date,
                start_time=enrolment.lesson_time,
                end_time=enrolment.lesson_end_time,
                source=Absence.Source.FAMILY,
                caracteristique=str(_("Signalée par la famille")),
            )
        elif absence.justification == Absence.Justification.ACCEPTED:
            raise CoursesError(_("Cette absence est déjà justifiée."))
        absence.family_reason = reason
        absence.family_comment = comment.strip()
        absence.family_declared_at = timezone.now()
        absence.justification = Absence.Justification.PENDING
        absence.save()
    return absence


def absence_justification_decide(
    *, absence: Absence, accept: bool, by: User | None = None
) -> Absence:
    """The secretariat accepts (or refuses) a justification the family gave."""
    with transaction.atomic():
        locked = Absence.objects.select_for_update().get(pk=absence.pk)
        locked.justification = (
            Absence.Justification.ACCEPTED if accept else Absence.Justification.REFUSED
        )
        locked.justified = accept
        locked.save(update_fields=["justification", "justified"])
        audit.record(
            Action.ABSENCE_ACCEPTED if accept else Action.ABSENCE_REFUSED,
            actor=by,
            obj=locked,
            reason=locked.get_family_reason_display(),
        )
    return locked


@dataclass
class AttendanceEntry:
    enrolment: Enrolment
    status: str  # "present", "absent" or "late"
    justified: bool


def attendance_record(
    *,
    slot: Slot,
    teacher: Teacher,
    date: datetime.date,
    entries: list[AttendanceEntry],
    base_url: str,
) -> int:
    """Record the roll call of one lesson; return the number of absences and latenesses.

    Families get an email for each new unjustified absence when their site wants it.
    """
    if not slot.is_lesson_date(date):
        raise CoursesError(_("Il n'y a pas de cours de ce créneau ce jour-là."))
    if date > timezone.localdate():
        raise CoursesError(_("L'appel d'un cours à venir ne peut pas encore être fait."))
    site = teacher.site
    missing = 0
    with transaction.atomic():
        existing = {
            absence.enrolment_id: absence
            for absence in Absence.objects.select_for_update().filter(
                enrolment__slot=slot, date=date
            )
        }
        for entry in entries:
            if entry.enrolment.slot_id != slot.pk:
                raise CoursesError(_("Cet élève n'est pas inscrit à ce créneau."))
            absence = existing.get(entry.enrolment.pk)
            if entry.status == "present":
                if absence is not None:
                    absence.delete()
                continue
            missing += 1
            if absence is None:
                absence = Absence(
                    enrolment=entry.enrolment,
                    date=date,
                    end_date=date,
                    start_time=entry.enrolment.lesson_time,
                    end_time=entry.enrolment.lesson_end_time,
                )
            absence.kind = Absence.Kind.LATE if entry.status == "late" else Absence.Kind.ABSENT
            absence.recorded_by = teacher
            absence.justified = (
                entry.justified or absence.justification == Absence.Justification.ACCEPTED
            )
            notify = (
                site.notify_unjustified_absences
                and not absence.justified
                and absence.kind == Absence.Kind.ABSENT
                and absence.justification != Absence.Justification.PENDING
                and not absence.notified
            )
            if notify:
                absence.notified = True
                absence.notification_date = timezone.localdate()
                absence.notification_type = Absence.NotificationType.EMAIL
            absence.save()
            if notify:
                _schedule_absence_email(absence, base_url)
        audit.record(
            Action.ATTENDANCE_RECORDED,
            actor=teacher.account,
            obj=slot,
            date=date,
            pupils=len(entries),
            absent=sum(1 for entry in entries if entry.status == "absent"),
            late=sum(1 for entry in entries if entry.status == "late"),
        )
    return missing


def _schedule_absence_email(absence: Absence, base_url: str) -> None:
    student = absence.enrolment.student
    family = student.family
    to = family.email or (family.account.email if family.account else "")
    if not to:
        return
    language = family.account.language if family.account else "fr"
    context = {
        "student": student,
        "course": absence.enrolment.slot.course.name,
        "date": absence.date,
        "time": absence.start_time,
        "site": family.site,
        "link": base_url.rstrip("/") + f"/eleves/{student.pk}/cours/{absence.enrolment_id}/",
    }
    send_templated_email(
        to=to, template="courses/emails/absence", context=context, language=language
    )


@dataclass
class EvaluationRow:
    enrolment: Enrolment
    note: Decimal | None
    lettre: str
    mention: str
    appreciation: str
    absent: bool

    def is_empty(self) -> bool:
        return self.note is None and not (
            self.lettre or self.mention or self.appreciation or self.absent
        )


def evaluations_record(
    *,
    teacher: Teacher,
    school_year: SchoolYear | None,
    type_evaluation: str,
    date: datetime.date,
    type_critere: str,
    note_sur: Decimal,
    rows: list[EvaluationRow],
) -> list[Evaluation]:
    """Evaluations of one pupil or a whole class at once; empty rows are skipped."""
    created = []
    with transaction.atomic():
        for row in rows:
            if row.is_empty():
                continue
            if row.enrolment.slot.teacher_id != teacher.pk:
                raise CoursesError(_("Cet élève n'est pas dans vos cours."))
            _check_current(row.enrolment, school_year)
            if row.note is not None and not (0 <= row.note <= note_sur):
                raise CoursesError(
                    _("La note de %(name)s doit être entre 0 et %(max)s.")
                    % {"name": row.enrolment.student, "max": formats.localize(note_sur)}
                )
            created.append(
                Evaluation.objects.create(
                    enrolment=row.enrolment,
                    type_evaluation=type_evaluation,
                    date=date,
                    type_critere=type_critere,
                    note=None if row.absent else row.note,
                    note_sur=note_sur,
                    lettre=row.lettre,
                    mention=row.mention,
                    appreciation=row.appreciation,
                    absent=row.absent,
                    recorded_by=teacher,
                )
            )
        if created:
            enrolments = {evaluation.enrolment for evaluation in created}
            audit.record(
                Action.EVALUATIONS_RECORDED,
                actor=teacher.account,
                obj=enrolments.pop() if len(enrolments) == 1 else created[0].enrolment.slot,
                type_evaluation=type_evaluation,
                date=date,
                count=len(created),
            )
    return created


RESULT_FIELDS = ("moyenne", "moyenne_sur", "moyenne_lettree", "mention", "resultat", "admission")


def enrolment_results_update(
    *,
    enrolment: Enrolment,
    school_year: SchoolYear | None,
    data: dict[str, Any],
    by: User | None = None,
) -> None:
    """The end-of-year results of a pupil in a course."""
    _check_current(enrolment, school_year)
    moyenne, sur = data.get("moyenne"), data.get("moyenne_sur")
    if moyenne is not None and sur is not None and moyenne > sur:
        raise CoursesError(_("La moyenne ne peut pas dépasser la note maximale."))
    # From the database: a ModelForm bound to the enrolment has already set the new values.
    before = Enrolment.objects.filter(pk=enrolment.pk).values(*RESULT_FIELDS).get()
    changed = [name for name in RESULT_FIELDS if name in data and before[name] != data[name]]
    for name in RESULT_FIELDS:
        if name in data:
            setattr(enrolment, name, data[name])
    with transaction.atomic():
        enrolment.save(update_fields=[name for name in RESULT_FIELDS if name in data])
        if changed:
            audit.record(Action.RESULTS_UPDATED, actor=by, obj=enrolment, fields=changed)


def repertoire_add(
    *, teacher: Teacher, enrolment: Enrolment, school_year: SchoolYear | None, data: dict[str, Any]
) -> RepertoireEntry:
    _check_current(enrolment, school_year)
    return RepertoireEntry.objects.create(
        student=enrolment.student,
        course=enrolment.slot.course,
        school_year=enrolment.slot.school_year,
        composer=data["composer"],
        title=data["title"],
        status=data["status"],
        added_by=teacher,
    )


def repertoire_delete(*, entry: RepertoireEntry, school_year: SchoolYear | None) -> None:
    if school_year is None or entry.school_year_id != school_year.pk:
        raise CoursesError(_("Les années précédentes ne peuvent plus être modifiées."))
    entry.delete()


def calendar_feed_for(student: Student) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(student=student)
    return feed


def calendar_feed_renew(*, student: Student) -> CalendarFeed:
    """A new private address; the old one stops working at once."""
    feed = calendar_feed_for(student)
    feed.token = new_calendar_token()
    feed.save(update_fields=["token", "created_at"])
    return feed
