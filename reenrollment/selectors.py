"""Reads of the Réinscription tab and the staff queue, with a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from courses.models import Enrolment, Slot
from extranet.models import SchoolYear, Site
from families.models import Family
from reenrollment.models import Campaign, Choice, Document, DocumentType, ReenrollmentRequest
from students.models import Student


def campaign_for_site(site: Site, now: datetime.datetime | None = None) -> Campaign | None:
    """The open campaign of the site, else the next one, else the last one."""
    now = now or timezone.now()
    campaigns = list(Campaign.objects.filter(site=site).select_related("school_year"))
    open_ = [c for c in campaigns if c.is_open(now)]
    if open_:
        return open_[0]
    coming = sorted((c for c in campaigns if c.opens_at > now), key=lambda c: c.opens_at)
    if coming:
        return coming[0]
    return max(campaigns, key=lambda c: c.closes_at, default=None)


def _count(queryset: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("slot").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def with_occupancy(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    """Annotate each slot with `taken`: active enrolments plus seats held by requests."""
    enrolled = Enrolment.objects.filter(slot=OuterRef("pk"), active=True)
    held = Choice.objects.filter(slot=OuterRef("pk"), state__in=Choice.SEAT_STATES)
    return slots.annotate(enrolled=_count(enrolled), held=_count(held))


def slot_taken(slot: Slot) -> int:
    return (
        Enrolment.objects.filter(slot=slot, active=True).count()
        + Choice.objects.filter(slot=slot, state__in=Choice.SEAT_STATES).count()
    )


def is_assigned_by_conservatory(enrolment: Enrolment) -> bool:
    """Horaires aménagés, dance (by level) and collective courses of a cursus need no choice."""
    course = enrolment.slot.course
    return (
        enrolment.horaires_amenages
        or course.department.name.casefold() == "danse"
        or (course.collective and course.cursus_id is not None)
    )


@dataclass
class CourseRow:
    enrolment: Enrolment
    assigned: bool
    slots: list[Slot]
    choice: Choice | None

    @property
    def no_slot(self) -> bool:
        return not self.assigned and not self.slots


@dataclass
class DocumentRow:
    document_type: DocumentType
    document: Document | None
    required: bool

    @property
    def state_label(self) -> str:
        return self.document.get_status_display() if self.document else str(_A_FOURNIR)


_A_FOURNIR = gettext_lazy("A fournir")


@dataclass
class ReenrollmentPage:
    campaign: Campaign | None
    request: ReenrollmentRequest | None
    rows: list[CourseRow] = field(default_factory=list)
    family_documents: list[DocumentRow] = field(default_factory=list)
    student_documents: list[DocumentRow] = field(default_factory=list)
    waiting_positions: dict[int, int] = field(default_factory=dict)

    @property
    def missing(self) -> list[DocumentRow]:
        return [
            row
            for row in self.family_documents + self.student_documents
            if row.required and (row.document is None or row.document.status == "refused")
        ]


def children_under_20(family: Family, day: datetime.date) -> int:
    limit = day.replace(year=day.year - 20)
    return sum(1 for s in family.students.all() if s.date_naissance > limit)  # type: ignore[attr-defined]


def document_required(
    document_type: DocumentType,
    *,
    family: Family,
    under_20: int,
    dance: bool,
) -> bool:
    rule = document_type.rule
    if rule == DocumentType.Rule.REQUIRED:
        return True
    if rule == DocumentType.Rule.DANCE:
        return dance
    if rule == DocumentType.Rule.TWO_CHILDREN:
        return under_20 >= 2
    if rule == DocumentType.Rule.ADDRESS_CHANGED:
        return family.proof_of_address_needed
    return False


def document_rows(
    campaign: Campaign, family: Family, student: Student, *, under_20: int, dance: bool
) -> tuple[list[DocumentRow], list[DocumentRow]]:
    types = list(campaign.document_types.all())
    documents = Document.objects.filter(document_type__campaign=campaign, family=family).filter(
        Q(student__isnull=True) | Q(student=student)
    )
    by_type = {(d.document_type_id, d.student_id): d for d in documents}
    family_rows, student_rows = [], []
    for document_type in types:
        required = document_required(document_type, family=family, under_20=under_20, dance=dance)
        if document_type.scope == DocumentType.Scope.FAMILY:
            family_rows.append(
                DocumentRow(document_type, by_type.get((document_type.pk, None)), required)
            )
        else:
            student_rows.append(
                DocumentRow(document_type, by_type.get((document_type.pk, student.pk)), required)
            )
    return family_rows, student_rows


def reenrollment_page(student: Student, family: Family, site: Site) -> ReenrollmentPage:
    campaign = campaign_for_site(site)
    if campaign is None:
        return ReenrollmentPage(campaign=None, request=None)
    request = ReenrollmentRequest.objects.filter(campaign=campaign, student=student).first()
    choices = {}
    if request is not None:
        choices = {
            c.enrolment_id: c
            for c in request.choices.select_related("slot__teacher", "slot__course")  # type: ignore[attr-defined]
        }
    # This year's courses: those of the school year just before the campaign's.
    previous = (
        SchoolYear.objects.filter(start_date__lt=campaign.school_year.start_date)
        .order_by("-start_date")
        .first()
    )
    current = list(
        Enrolment.objects.filter(student=student, slot__school_year=previous)
        .select_related("slot__course__department", "slot__course__cursus__department")
        .order_by("slot__course__name", "pk")
    )
    course_ids = {e.slot.course_id for e in current}
    next_slots = list(
        with_occupancy(
            Slot.objects.filter(course_id__in=course_ids, school_year=campaign.school_year)
        )
        .select_related("teacher")
        .order_by("weekday", "start_time")
    )
    rows = []
    dance = False
    for enrolment in current:
        assigned = is_assigned_by_conservatory(enrolment)
        dance = dance or enrolment.slot.course.department.name.casefold() == "danse"
        slots = [s for s in next_slots if s.course_id == enrolment.slot.course_id]
        rows.append(CourseRow(enrolment, assigned, slots, choices.get(enrolment.pk)))
    under_20 = children_under_20(family, campaign.school_year.start_date)
    family_docs, student_docs = document_rows(
        campaign, family, student, under_20=under_20, dance=dance
    )
    positions: dict[int, int] = {}
    waiting = [c for c in choices.values() if c.state == Choice.State.WAITING]
    if waiting:
        ahead = {
            row["pk"]: row["ahead"]
            for row in Choice.objects.filter(pk__in=[c.pk for c in waiting])
            .annotate(
                ahead=Subquery(
                    Choice.objects.filter(
                        slot=OuterRef("slot"),
                        state=Choice.State.WAITING,
                        queued_at__lt=OuterRef("queued_at"),
                    )
                    .order_by()
                    .values("slot")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                )
            )
            .values("pk", "ahead")
        }
        positions = {pk: (n or 0) + 1 for pk, n in ahead.items()}
    return ReenrollmentPage(
        campaign=campaign,
        request=request,
        rows=rows,
        family_documents=family_docs,
        student_documents=student_docs,
        waiting_positions=positions,
    )


@dataclass
class DocumentStatus:
    """The documents of a pupil's request: what was received and what is still missing."""

    family_documents: list[DocumentRow]
    student_documents: list[DocumentRow]

    @property
    def rows(self) -> list[DocumentRow]:
        return self.family_documents + self.student_documents

    @property
    def received(self) -> list[DocumentRow]:
        return [row for row in self.rows if row.document]

    @property
    def missing(self) -> list[DocumentRow]:
        return [
            row
            for row in self.rows
            if row.required and (row.document is None or row.document.status == "refused")
        ]


def document_status(campaign: Campaign, family: Family, student: Student) -> DocumentStatus:
    """The same documents as the tab shows, without the courses and slots (4 queries)."""
    dance = Enrolment.objects.filter(
        student=student,
        slot__school_year__start_date__lt=campaign.school_year.start_date,
        slot__course__department__name__iexact="danse",
    ).exists()
    under_20 = children_under_20(family, campaign.school_year.start_date)
    family_rows, student_rows = document_rows(
        campaign, family, student, under_20=under_20, dance=dance
    )
    return DocumentStatus(family_rows, student_rows)
