"""Reads of the Réinscription tab and the staff queue, with a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from courses.models import Enrolment, Slot
from extranet.models import SchoolYear, Site
from families.models import Family
from reenrollment.models import Campaign, Choice, Document, DocumentType, ReenrollmentRequest
from students.models import Student


def campaign_for_site(
    site: Site, now: datetime.datetime | None = None, *, student: Student | None = None
) -> Campaign | None:
    """The open campaign of the site, else the next one, else the last one.

    With `student`, the same query brings that pupil's request in each campaign:
    `request_of(campaign)`.
    """
    now = now or timezone.now()
    queryset = Campaign.objects.filter(site=site).select_related("school_year")
    if student is not None:
        queryset = queryset.annotate(
            student_request=FilteredRelation("requests", condition=Q(requests__student=student))
        ).select_related("student_request")  # type: ignore[misc]
    campaigns = list(queryset)
    open_ = [c for c in campaigns if c.is_open(now)]
    if open_:
        return open_[0]
    coming = sorted((c for c in campaigns if c.opens_at > now), key=lambda c: c.opens_at)
    if coming:
        return coming[0]
    return max(campaigns, key=lambda c: c.closes_at, default=None)


def request_of(campaign: Campaign) -> ReenrollmentRequest | None:
    """The request that `campaign_for_site(..., student=...)` brought with the campaign."""
    # select_related() leaves the attribute unset when the pupil has no request.
    return getattr(campaign, "student_request", None)


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


def seats_taken(slot_ids: Iterable[int]) -> Counter[int]:
    """Seats taken in each slot, active enrolments and seats held by requests: one query."""
    ids = list(slot_ids)
    if not ids:
        return Counter()
    enrolled = Enrolment.objects.filter(slot_id__in=ids, active=True).order_by()
    held = Choice.objects.filter(slot_id__in=ids, state__in=Choice.SEAT_STATES).order_by()
    rows = enrolled.values_list("slot_id").union(held.values_list("slot_id"), all=True)
    return Counter(slot_id for (slot_id,) in rows)


def slot_taken(slot: Slot) -> int:
    return seats_taken([slot.pk])[slot.pk]


def seats_left(slot: Slot) -> int | None:
    """The seats left in a slot read through `with_occupancy`; None when it was not counted."""
    enrolled = getattr(slot, "enrolled", None)
    if enrolled is None:
        return None
    return max(slot.capacity - enrolled - slot.held, 0)  # type: ignore[attr-defined]


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
    campaign: Campaign,
    family: Family,
    student: Student,
    *,
    children: Sequence[Student] | None = None,
    dance: bool | None = None,
) -> tuple[list[DocumentRow], list[DocumentRow]]:
    """The campaign's pieces with the file given for each (the family's, or this pupil's), and
    whether each is required: one query. The facts some rules need are asked for only when a
    piece has that rule and the caller does not know them: the family's children (under 20
    when the school year starts) and whether the pupil took a dance course before it."""
    given = Q(documents__family=family) & (
        Q(documents__student__isnull=True) | Q(documents__student=student)
    )
    types = (
        DocumentType.objects.filter(campaign=campaign)
        .annotate(given=FilteredRelation("documents", condition=given))
        .select_related("given")  # type: ignore[misc]
        .order_by("order", "pk")
    )
    pieces: dict[int, DocumentType] = {}
    documents: dict[int, Document] = {}
    for document_type in types:
        pieces.setdefault(document_type.pk, document_type)
        # select_related() leaves the attribute unset when no file was given.
        document = getattr(document_type, "given", None)
        family_piece = document_type.scope == DocumentType.Scope.FAMILY
        if document is not None and (document.student_id is None) == family_piece:
            documents[document_type.pk] = document
    rules = {piece.rule for piece in pieces.values()}
    start = campaign.school_year.start_date
    limit = start.replace(year=start.year - 20)
    under_20 = 0
    if DocumentType.Rule.TWO_CHILDREN in rules:
        if children is None:
            under_20 = Student.objects.filter(family=family, date_naissance__gt=limit).count()
        else:
            under_20 = sum(1 for child in children if child.date_naissance > limit)
    if dance is None and DocumentType.Rule.DANCE in rules:
        dance = Enrolment.objects.filter(
            student=student,
            slot__school_year__start_date__lt=start,
            slot__course__department__name__iexact="danse",
        ).exists()
    family_rows, student_rows = [], []
    for piece in pieces.values():
        required = document_required(piece, family=family, under_20=under_20, dance=bool(dance))
        row = DocumentRow(piece, documents.get(piece.pk), required)
        if piece.scope == DocumentType.Scope.FAMILY:
            family_rows.append(row)
        else:
            student_rows.append(row)
    return family_rows, student_rows


def course_rows(
    student: Student,
    campaign: Campaign,
    choices: dict[int, Choice] | None = None,
    *,
    occupancy: bool = True,
) -> list[CourseRow]:
    """This year's courses of the pupil (those of the school year just before the campaign's),
    each with the next-year slots of its course and, with `occupancy`, their seats taken:
    2 queries."""
    previous = (
        SchoolYear.objects.filter(start_date__lt=campaign.school_year.start_date)
        .order_by("-start_date")
        .values("pk")[:1]
    )
    current = list(
        Enrolment.objects.filter(student=student, slot__school_year=Subquery(previous))
        .select_related("slot__course__department", "slot__course__cursus")
        .order_by("slot__course__name", "pk")
    )
    if not current:
        return []
    slots = Slot.objects.filter(
        course_id__in={e.slot.course_id for e in current}, school_year=campaign.school_year_id
    )
    if occupancy:
        slots = with_occupancy(slots)
    next_slots = list(slots.select_related("teacher").order_by("weekday", "start_time"))
    choices = choices or {}
    return [
        CourseRow(
            enrolment,
            is_assigned_by_conservatory(enrolment),
            [s for s in next_slots if s.course_id == enrolment.slot.course_id],
            choices.get(enrolment.pk),
        )
        for enrolment in current
    ]


def request_choices(request: ReenrollmentRequest) -> QuerySet[Choice]:
    """The request's choices with slot, teacher and course; each one is annotated with `ahead`,
    the number of families queued before it for its slot (for a waiting one)."""
    ahead = (
        Choice.objects.filter(
            slot=OuterRef("slot"),
            state=Choice.State.WAITING,
            queued_at__lt=OuterRef("queued_at"),
        )
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return request.choices.select_related("slot__teacher", "slot__course").annotate(  # type: ignore[attr-defined, no-any-return]
        ahead=Subquery(ahead, output_field=IntegerField())
    )


def reenrollment_page(
    student: Student, family: Family, site: Site, *, children: Sequence[Student]
) -> ReenrollmentPage:
    """Everything the Réinscription tab shows, in 5 queries (4 before the pupil's first
    submission) whatever the number of courses, slots, choices and documents: the campaign
    with the pupil's request, its choices, this year's courses, next year's slots, the pieces
    with their files. `children` are the family's (the tab has them already)."""
    campaign = campaign_for_site(site, student=student)
    if campaign is None:
        return ReenrollmentPage(campaign=None, request=None)
    request = request_of(campaign)
    choices: dict[int, Choice] = {}
    positions: dict[int, int] = {}
    if request is not None:
        for choice in request_choices(request):
            choices[choice.enrolment_id] = choice  # type: ignore[index]
            if choice.state == Choice.State.WAITING:
                positions[choice.pk] = (choice.ahead or 0) + 1  # type: ignore[attr-defined]
    rows = course_rows(student, campaign, choices)
    dance = any(row.enrolment.slot.course.department.name.casefold() == "danse" for row in rows)
    family_docs, student_docs = document_rows(
        campaign, family, student, children=children, dance=dance
    )
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
    """The same documents as the tab shows, without the courses and slots: 1 query, and one
    more for each of the rules "two children" and "dance" when a piece has it."""
    return DocumentStatus(*document_rows(campaign, family, student))
