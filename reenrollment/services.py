"""Re-enrollment rules: requests, seats, waiting lists, documents, staff decisions."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, Slot
from extranet import audit
from extranet.audit import Action
from extranet.models import OutboxMessage, Site, User
from extranet.services import password_link_send, send_templated_email
from families.models import Family
from reenrollment import selectors
from reenrollment.documents import DocumentRejected, page_warning, process_upload, stored_name
from reenrollment.models import (
    Campaign,
    CeilingTariff,
    Choice,
    Document,
    DocumentType,
    PreRegistration,
    PreRegistrationChild,
    PreRegistrationDocument,
    ReenrollmentRequest,
    new_offer_token,
)
from students.models import Student

OFFER_HOURS = 48


class ReenrollmentError(Exception):
    """A refusal of the re-enrollment rules, with a message for the family or staff."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class ChoiceInput:
    """What the family asked for one of this year's courses."""

    enrolment: Enrolment
    renew: bool
    slot_id: int | None
    waitlist: bool = False


def _check_open(campaign: Campaign) -> None:
    if not campaign.is_open():
        raise ReenrollmentError(
            _("La campagne de réinscription est fermée : plus aucun envoi n'est possible.")
        )


def _family_email(family: Family) -> tuple[str, str]:
    to = family.email or (family.account.email if family.account else "")
    language = family.account.language if family.account else "fr"
    return to, language


def _lock_slots(slot_ids: Iterable[int]) -> dict[int, Slot]:
    # Always in primary-key order, so that two requests locking the same slots cannot deadlock.
    ids = sorted(set(slot_ids))
    return {
        slot.pk: slot for slot in Slot.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def _get_or_create_request(
    campaign: Campaign, student: Student, family: Family
) -> ReenrollmentRequest:
    """The pupil's request in the campaign, created if needed, locked for this transaction."""
    # INSERT ... ON CONFLICT DO NOTHING: when a concurrent first submission inserts it at the
    # same moment, this waits for theirs, then the lock below takes it.
    ReenrollmentRequest.objects.bulk_create(
        [ReenrollmentRequest(campaign=campaign, student=student, family=family)],
        ignore_conflicts=True,
    )
    request = ReenrollmentRequest.objects.select_for_update().get(
        campaign=campaign, student=student
    )
    request.campaign = campaign
    request.student = student
    return request


@dataclass
class _Step:
    """What a submission does with one course, decided before any slot is locked."""

    item: ChoiceInput
    previous: Choice | None
    slot: Slot | None
    state: str  # "" while the seat is still to be taken (held, or waiting if full)
    keep: bool  # The previous choice stays as it is (same seat, or same place in the queue).
    frees: int | None  # The slot whose seat the previous choice gives back.

    @property
    def takes_seat(self) -> bool:
        return self.slot is not None and not self.state and not self.keep


def _planned_choice(step: _Step, request: ReenrollmentRequest, freed: set[int]) -> Choice:
    """The choice as the submission leaves it if the seat read before the lock is still free
    when counted under it (almost always): it is saved, with the state counted, under the lock."""
    if step.keep:
        assert step.previous is not None
        return step.previous
    enrolment = step.item.enrolment
    choice = step.previous or Choice(request=request, enrolment=enrolment)
    choice.course = enrolment.slot.course
    choice.slot = step.slot
    choice.state = step.state
    if step.takes_seat:
        assert step.slot is not None
        free = selectors.seats_left(step.slot) or step.slot.pk in freed
        choice.state = Choice.State.HELD if free else Choice.State.WAITING
    choice.offer_expires_at = None
    choice.offer_token = ""
    return choice


def _full(slot: Slot) -> ReenrollmentError:
    return ReenrollmentError(
        _(
            "Le créneau du %(day)s à %(time)s vient d'être complet : choisissez "
            "un autre horaire ou la liste d'attente."
        )
        % {"day": slot.get_weekday_display(), "time": slot.start_time.strftime("%H:%M")}
    )


def _plan(
    campaign: Campaign,
    choices: Sequence[ChoiceInput],
    old: dict[int | None, Choice],
    slots: dict[int, Slot],
) -> list[_Step]:
    steps = []
    for item in choices:
        enrolment = item.enrolment
        previous = old.pop(enrolment.pk, None)
        slot: Slot | None = None
        state: str
        if not item.renew:
            state = Choice.State.NOT_RENEWED
        elif selectors.is_assigned_by_conservatory(enrolment) or item.slot_id is None:
            state = Choice.State.ASSIGNED
        else:
            slot = slots.get(item.slot_id)
            if (
                slot is None
                or slot.course_id != enrolment.slot.course_id
                or slot.school_year_id != campaign.school_year_id
            ):
                raise ReenrollmentError(_("Ce créneau n'est pas proposé pour ce cours."))
            state = ""
        keep = (
            slot is not None
            and previous is not None
            and previous.slot_id == slot.pk
            # Same seat as before, or still waiting for the same slot (keeps its place).
            and previous.state in (*Choice.SEAT_STATES, Choice.State.WAITING)
        )
        frees = None
        if not keep and previous is not None and previous.state in Choice.SEAT_STATES:
            frees = previous.slot_id
        steps.append(_Step(item, previous, slot, state, keep, frees))
    return steps


def reenrollment_submit(
    *,
    campaign: Campaign,
    student: Student,
    family: Family,
    administrative: bool,
    choices: Sequence[ChoiceInput],
    comment: str,
    accept_rules: bool,
    base_url: str,
) -> ReenrollmentRequest:
    """Validate a pupil's re-enrollment: take the chosen seats at once, atomically.

    Lock, then count, then write: the slots involved are locked in a fixed order, their
    occupancy recounted, and a seat taken only if one is left. Submitting the same choices
    again takes nothing more; a changed choice frees the old seat in the same transaction,
    and a freed seat is offered to the waiting list. A slot already full when first read
    refuses the submission before any slot is locked.
    """
    _check_open(campaign)
    if not accept_rules:
        raise ReenrollmentError(_("Cochez « J'accepte » pour valider la réinscription."))
    if not administrative and not any(c.renew for c in choices):
        raise ReenrollmentError(
            _("Cochez « Réinscription administrative » ou au moins un cours à reconduire.")
        )
    with transaction.atomic():
        request = _get_or_create_request(campaign, student, family)
        if request.status in (
            ReenrollmentRequest.Status.VALIDATED,
            ReenrollmentRequest.Status.REFUSED,
        ):
            raise ReenrollmentError(
                _(
                    "Cette demande a déjà été traitée par le secrétariat : "
                    "contactez-le pour la modifier."
                )
            )
        old = {
            c.enrolment_id: c
            for c in request.choices.select_related("slot__teacher", "course")  # type: ignore[attr-defined]
        }
        # The slots asked for and their seats taken, read without a lock.
        asked = {c.slot_id for c in choices if c.renew and c.slot_id}
        slots = {
            slot.pk: slot
            for slot in selectors.with_occupancy(Slot.objects.filter(pk__in=asked)).select_related(
                "teacher"
            )
        }
        steps = _plan(campaign, choices, old, slots)
        leftovers = list(old.values())
        freed = {step.frees for step in steps if step.frees} | {
            c.slot_id for c in leftovers if c.slot_id and c.state in Choice.SEAT_STATES
        }
        for step in steps:
            # A slot already full when read refuses the submission here, without queueing
            # for its lock: it was full at that moment (seats are only taken below, locked
            # and recounted). Not when this submission itself frees a seat in it.
            slot = step.slot
            if (
                slot is not None
                and step.takes_seat
                and not step.item.waitlist
                and slot.pk not in freed
                and selectors.seats_left(slot) == 0
            ):
                raise _full(slot)

        # Everything that needs no seat is written before the slots are locked (a row lock is
        # held until the commit, and the whole rush queues for the same slot), the
        # acknowledgment too, with the seats as read above.
        request.family = family
        request.administrative = administrative
        request.comment = comment.strip()
        request.rules_accepted_at = timezone.now()
        request.rules_accepted_text = campaign.rules_text
        first_submission = request.submitted_at is None
        request.submitted_at = request.submitted_at or timezone.now()
        documents = selectors.document_status(campaign, family, student)
        request.status = _completeness(documents)
        request.save()
        planned = [_planned_choice(step, request, freed) for step in steps]
        acknowledge = partial(
            _send_acknowledgment,
            request,
            student,
            family,
            documents,
            choices=planned,
            base_url=base_url,
            first=first_submission,
        )
        sent = acknowledge()

        # Lock, then count, then write: only the slots where a seat is taken or freed.
        wanted = {step.slot.pk for step in steps if step.slot is not None and step.takes_seat}
        locked = _lock_slots(wanted | freed)
        if wanted - locked.keys():  # Deleted in the meantime.
            raise ReenrollmentError(_("Ce créneau n'est pas proposé pour ce cours."))
        counted = selectors.seats_taken(wanted)
        taken = {pk: (locked[pk].capacity, counted[pk]) for pk in wanted}
        as_read = True
        for step, choice in zip(steps, planned, strict=True):
            if step.keep:
                continue
            slot = step.slot
            if slot is not None and step.takes_seat:
                capacity, count = taken[slot.pk]
                if count < capacity:
                    state = Choice.State.HELD
                    taken[slot.pk] = (capacity, count + 1)
                elif step.item.waitlist:
                    state = Choice.State.WAITING
                else:
                    raise _full(slot)
                as_read = as_read and state == choice.state
                choice.state = state
            if step.frees in taken:
                capacity, count = taken[step.frees]
                taken[step.frees] = (capacity, count - 1)
            choice.queued_at = timezone.now() if choice.state == Choice.State.WAITING else None
            choice.save()
        for leftover in leftovers:
            leftover.delete()
        for slot_id in sorted(freed):
            _offer_free_seats(slot_id, base_url=base_url)
        if not as_read:  # The slot filled up in between: the family waits instead.
            for message in sent:
                message.delete()
            acknowledge()
    return request


def _completeness(documents: selectors.DocumentStatus) -> str:
    if documents.missing:
        return ReenrollmentRequest.Status.INCOMPLETE
    return ReenrollmentRequest.Status.SENT


def _send_acknowledgment(
    request: ReenrollmentRequest,
    student: Student,
    family: Family,
    documents: selectors.DocumentStatus,
    *,
    choices: list[Choice],
    base_url: str,
    first: bool,
) -> list[OutboxMessage]:
    """The family's acknowledgment and the secretariat's notice, queued in the outbox."""
    to, language = _family_email(family)
    context = {
        "request": request,
        "student": student,
        "family": family,
        "site": family.site,
        "choices": sorted(choices, key=lambda c: c.course.name),
        "received": documents.received,
        "missing": documents.missing,
        "campaign": request.campaign,
        "link": base_url.rstrip("/") + f"/eleves/{student.pk}/reinscription/",
    }
    sent = []
    if to:
        sent.append(
            send_templated_email(
                to=to,
                template="reenrollment/emails/acknowledgment",
                context=context,
                language=language,
            )
        )
    if family.site.email:
        sent.append(
            send_templated_email(
                to=family.site.email,
                template="reenrollment/emails/staff_notification",
                context={**context, "first": first},
            )
        )
    return sent


def _offer_free_seats(slot_id: int, *, base_url: str, by: User | None = None) -> int:
    """Offer the seats left in a slot to the first families waiting, for OFFER_HOURS.

    The caller holds the slot's lock, so the count below cannot change under us. `by` is the
    staff member whose decision freed the seat; the offers of the worker have no author.
    """
    slot = Slot.objects.select_for_update().get(pk=slot_id)
    free = slot.capacity - selectors.slot_taken(slot)
    offered = 0
    if free <= 0:
        return 0
    waiting = (
        # of=("self",): PostgreSQL cannot lock the nullable side of an outer join (account).
        Choice.objects.select_for_update(of=("self",))
        .filter(slot=slot, state=Choice.State.WAITING)
        .select_related("request__family__account", "request__student", "course")
        .order_by("queued_at", "pk")[:free]
    )
    for choice in waiting:
        choice.state = Choice.State.OFFERED
        choice.offer_expires_at = timezone.now() + datetime.timedelta(hours=OFFER_HOURS)
        choice.offer_token = new_offer_token()
        choice.save(update_fields=["state", "offer_expires_at", "offer_token", "updated_at"])
        audit.record(
            Action.WAITLIST_OFFERED,
            actor=by,
            obj=choice,
            student=str(choice.request.student),
            slot=str(slot),
            offer_expires_at=choice.offer_expires_at,
        )
        family = choice.request.family
        to, language = _family_email(family)
        if to:
            link = base_url.rstrip("/") + f"/reinscription/offre/{choice.offer_token}/"
            send_templated_email(
                to=to,
                template="reenrollment/emails/seat_offer",
                context={
                    "choice": choice,
                    "slot": slot,
                    "student": choice.request.student,
                    "site": family.site,
                    "link": link,
                    "hours": OFFER_HOURS,
                },
                language=language,
            )
        offered += 1
    return offered


def slot_seats_freed(*, slot: Slot, base_url: str, by: User | None = None) -> int:
    """After staff raise a slot's capacity (or free a seat by hand): offer what is free."""
    with transaction.atomic():
        _lock_slots([slot.pk])
        return _offer_free_seats(slot.pk, base_url=base_url, by=by)


def offer_answer(*, choice: Choice, family: Family, accept: bool, base_url: str) -> Choice:
    """The family accepts or declines a seat offered from the waiting list."""
    with transaction.atomic():
        if choice.slot_id is None:
            raise ReenrollmentError(_("Cette proposition n'existe plus."))
        _lock_slots([choice.slot_id])
        choice = Choice.objects.select_for_update().get(pk=choice.pk)
        if choice.request.family_id != family.pk:
            raise ReenrollmentError(_("Cette proposition n'existe plus."))
        if choice.state != Choice.State.OFFERED or (
            choice.offer_expires_at and choice.offer_expires_at < timezone.now()
        ):
            raise ReenrollmentError(_("Cette proposition a expiré ou a déjà reçu une réponse."))
        choice.offer_token = ""
        choice.offer_expires_at = None
        choice.state = Choice.State.HELD if accept else Choice.State.RELEASED
        request = choice.request
        if accept and request.status == ReenrollmentRequest.Status.VALIDATED and choice.slot:
            # The request was validated while this course was still waiting: the seat taken
            # now becomes next year's enrolment at once, as validation would have made it.
            previous = choice.enrolment
            Enrolment.objects.get_or_create(
                student_id=request.student_id,
                slot=choice.slot,
                defaults={
                    "cycle": previous.cycle if previous else "",
                    "horaires_amenages": previous.horaires_amenages if previous else False,
                },
            )
            choice.state = Choice.State.CONFIRMED
        choice.save(update_fields=["state", "offer_token", "offer_expires_at", "updated_at"])
        if not accept and choice.slot_id is not None:
            _offer_free_seats(choice.slot_id, base_url=base_url)
    return choice


def offers_expire(*, base_url: str, now: datetime.datetime | None = None) -> int:
    """Offers not taken in time pass to the next family waiting (run by the worker)."""
    now = now or timezone.now()
    expired = 0
    slot_ids = set(
        Choice.objects.filter(state=Choice.State.OFFERED, offer_expires_at__lt=now).values_list(
            "slot_id", flat=True
        )
    )
    for slot_id in sorted(slot_ids):
        with transaction.atomic():
            _lock_slots([slot_id])
            stale = Choice.objects.select_for_update().filter(
                slot_id=slot_id, state=Choice.State.OFFERED, offer_expires_at__lt=now
            )
            for choice in stale:
                choice.state = Choice.State.RELEASED
                choice.offer_token = ""
                choice.save(update_fields=["state", "offer_token", "updated_at"])
                expired += 1
            _offer_free_seats(slot_id, base_url=base_url)
    return expired


# Documents -----------------------------------------------------------------------------


def document_upload(
    *,
    document_type: DocumentType,
    family: Family,
    student: Student | None,
    files: Sequence[IO[bytes]],
) -> Document:
    """Store a supporting document privately, replacing the previous file for this piece."""
    campaign = document_type.campaign
    _check_open(campaign)
    if document_type.scope == DocumentType.Scope.STUDENT:
        if student is None or student.family_id != family.pk:
            raise ReenrollmentError(_("Choisissez l'élève concerné par ce document."))
    else:
        student = None
    try:
        processed = process_upload(files, max_bytes=campaign.max_upload_mb * 1024 * 1024)
    except DocumentRejected as rejected:
        raise ReenrollmentError(rejected.message) from rejected
    name = default_storage.save(stored_name(), ContentFile(processed.content))
    old_name = None
    try:
        with transaction.atomic():
            existing = (
                Document.objects.select_for_update()
                .filter(document_type=document_type, family=family, student=student)
                .first()
            )
            document = existing or Document(
                document_type=document_type, family=family, student=student
            )
            old_name = existing.file.name if existing else None
            document.file.name = name
            document.display_name = processed.display_name
            document.size = len(processed.content)
            document.pages = processed.pages
            document.uploaded_at = timezone.now()
            document.status = Document.Status.PROVIDED
            document.refusal_reason = ""
            document.page_warning = page_warning(processed, document_type.min_pages) or ""
            document.reviewed_by = None
            document.reviewed_at = None
            document.save()
            _refresh_requests(family, campaign)
    except Exception:
        default_storage.delete(name)  # Nothing saved: no orphan file either.
        raise
    if old_name:
        transaction.on_commit(lambda: default_storage.delete(old_name))
    return document


def document_delete(*, document: Document) -> None:
    campaign = document.document_type.campaign
    _check_open(campaign)
    if document.status == Document.Status.VALIDATED:
        raise ReenrollmentError(
            _("Ce document a été validé par le secrétariat : il ne peut plus être supprimé.")
        )
    with transaction.atomic():
        family = document.family
        # Its stored file is deleted once this commits (reenrollment.signals).
        document.delete()
        _refresh_requests(family, campaign)


def _refresh_requests(family: Family, campaign: Campaign) -> None:
    """Sent requests become Incomplète (or Envoyée again) as documents come and go."""
    requests = ReenrollmentRequest.objects.filter(
        campaign=campaign,
        family=family,
        status__in=[ReenrollmentRequest.Status.SENT, ReenrollmentRequest.Status.INCOMPLETE],
    ).select_related("student")
    for request in requests:
        status = _completeness(selectors.document_status(campaign, family, request.student))
        if status != request.status:
            request.status = status
            request.save(update_fields=["status"])


def document_review(
    *, document: Document, accept: bool, reason: str, by: User, base_url: str
) -> Document:
    """Staff accept or refuse a document; the family is told by email."""
    if not accept and not reason.strip():
        raise ReenrollmentError(_("Indiquez le motif du refus : la famille le verra."))
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(of=("self",))
            .select_related("family__site", "family__account", "document_type__campaign", "student")
            .get(pk=document.pk)
        )
        document.status = Document.Status.VALIDATED if accept else Document.Status.REFUSED
        document.refusal_reason = "" if accept else reason.strip()
        document.reviewed_by = by
        document.reviewed_at = timezone.now()
        document.save()
        audit.record(
            Action.DOCUMENT_ACCEPTED if accept else Action.DOCUMENT_REFUSED,
            actor=by,
            obj=document,
            document_type=str(document.document_type.name),
            family=str(document.family),
            reason=document.refusal_reason,
        )
        _refresh_requests(document.family, document.document_type.campaign)
        to, language = _family_email(document.family)
        if to:
            send_templated_email(
                to=to,
                template="reenrollment/emails/document_review",
                context={
                    "document": document,
                    "site": document.family.site,
                    "link": base_url.rstrip("/") + "/famille/accueil/",
                },
                language=language,
            )
    return document


# Staff decisions -----------------------------------------------------------------------


def request_validate(
    *, request: ReenrollmentRequest, by: User, base_url: str
) -> ReenrollmentRequest:
    """Next year's enrolments are created in the chosen slots; the family gets its times."""
    with transaction.atomic():
        request = (
            ReenrollmentRequest.objects.select_for_update(of=("self",))
            .select_related("student", "family__site", "family__account", "campaign")
            .get(pk=request.pk)
        )
        if request.status not in (
            ReenrollmentRequest.Status.SENT,
            ReenrollmentRequest.Status.INCOMPLETE,
        ):
            raise ReenrollmentError(_("Seule une demande envoyée peut être validée."))
        choices = list(
            request.choices.select_related(
                "enrolment", "slot__teacher", "slot__room", "slot__course"
            )
        )  # type: ignore[attr-defined]
        _lock_slots([c.slot_id for c in choices if c.slot_id])
        lessons = []
        for choice in choices:
            if choice.state != Choice.State.HELD or choice.slot is None:
                continue
            previous = choice.enrolment
            enrolment, _created = Enrolment.objects.get_or_create(
                student=request.student,
                slot=choice.slot,
                defaults={
                    "cycle": previous.cycle if previous else "",
                    "horaires_amenages": previous.horaires_amenages if previous else False,
                },
            )
            choice.state = Choice.State.CONFIRMED
            choice.save(update_fields=["state", "updated_at"])
            lessons.append(enrolment)
        request.status = ReenrollmentRequest.Status.VALIDATED
        request.decided_at = timezone.now()
        request.decided_by = by
        request.refusal_reason = ""
        request.save()
        audit.record(
            Action.REENROLLMENT_VALIDATED,
            actor=by,
            obj=request,
            slots=[str(enrolment.slot) for enrolment in lessons],
        )
        to, language = _family_email(request.family)
        if to:
            send_templated_email(
                to=to,
                template="reenrollment/emails/validated",
                context={
                    "request": request,
                    "student": request.student,
                    "site": request.family.site,
                    "lessons": lessons,
                    "choices": choices,
                },
                language=language,
            )
    return request


def request_refuse(
    *, request: ReenrollmentRequest, reason: str, by: User, base_url: str
) -> ReenrollmentRequest:
    """Refuse a request: its seats go to the waiting lists."""
    if not reason.strip():
        raise ReenrollmentError(_("Indiquez le motif du refus : la famille le verra."))
    with transaction.atomic():
        request = (
            ReenrollmentRequest.objects.select_for_update(of=("self",))
            .select_related("student", "family__site", "family__account")
            .get(pk=request.pk)
        )
        if request.status == ReenrollmentRequest.Status.VALIDATED:
            raise ReenrollmentError(_("Une demande validée ne peut plus être refusée."))
        choices = list(request.choices.all())  # type: ignore[attr-defined]
        seats = [c.slot_id for c in choices if c.slot_id and c.state in Choice.SEAT_STATES]
        _lock_slots([c.slot_id for c in choices if c.slot_id])
        for choice in choices:
            if choice.state in (*Choice.SEAT_STATES, Choice.State.WAITING):
                choice.state = Choice.State.RELEASED
                choice.offer_token = ""
                choice.save(update_fields=["state", "offer_token", "updated_at"])
        request.status = ReenrollmentRequest.Status.REFUSED
        request.refusal_reason = reason.strip()
        request.decided_at = timezone.now()
        request.decided_by = by
        request.save()
        audit.record(
            Action.REENROLLMENT_REFUSED, actor=by, obj=request, reason=request.refusal_reason
        )
        for slot_id in sorted(set(seats)):
            _offer_free_seats(slot_id, base_url=base_url, by=by)
        to, language = _family_email(request.family)
        if to:
            send_templated_email(
                to=to,
                template="reenrollment/emails/refused",
                context={
                    "request": request,
                    "student": request.student,
                    "site": request.family.site,
                },
                language=language,
            )
    return request


def campaign_close(*, campaign: Campaign, by: User | None = None) -> int:
    """At the close, families whose required documents are missing get the ceiling tariff.

    `by` is the staff member who closes it; the worker's close at the end date has no author.
    """
    marked = 0
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.closed_at is not None:
            return 0
        requests = (
            ReenrollmentRequest.objects.filter(campaign=campaign)
            .exclude(status=ReenrollmentRequest.Status.DRAFT)
            .select_related("student", "family__site")
        )
        missing_by_family: dict[int, tuple[Family, set[str]]] = {}
        for request in requests:
            documents = selectors.document_status(campaign, request.family, request.student)
            names = {str(row.document_type.name) for row in documents.missing}
            family, known = missing_by_family.setdefault(request.family_id, (request.family, set()))
            known.update(names)
        for family, names in missing_by_family.values():
            if names:
                CeilingTariff.objects.get_or_create(
                    campaign=campaign, family=family, defaults={"missing": "\n".join(sorted(names))}
                )
                marked += 1
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["closed_at"])
        audit.record(Action.CAMPAIGN_CLOSED, actor=by, obj=campaign, families_marked=marked)
    return marked


def campaigns_close_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    total = 0
    for campaign in Campaign.objects.filter(closes_at__lte=now, closed_at__isnull=True):
        total += campaign_close(campaign=campaign)
    return total


def ceiling_tariff_clear(*, mark: CeilingTariff, by: User) -> None:
    with transaction.atomic():
        mark.cleared_at = timezone.now()
        mark.cleared_by = by
        mark.save(update_fields=["cleared_at", "cleared_by"])
        audit.record(Action.CEILING_TARIFF_CLEARED, actor=by, obj=mark, family=str(mark.family))


def waitlists_fill(*, base_url: str) -> int:
    """Offer every free seat of a slot that has families waiting (a raised capacity, a seat
    freed by hand in the admin...). Run by the worker."""
    offered = 0
    slot_ids = sorted(
        set(Choice.objects.filter(state=Choice.State.WAITING).values_list("slot_id", flat=True))
    )
    for slot_id in slot_ids:
        with transaction.atomic():
            _lock_slots([slot_id])
            offered += _offer_free_seats(slot_id, base_url=base_url)
    return offered


# Pre-registration ------------------------------------------------------------------------


def _duplicate_note(site: Any, email: str, children: list[dict[str, Any]]) -> str:
    notes = []
    if (
        Family.objects.filter(site=site, email__iexact=email).exists()
        or User.objects.filter(site=site, email__iexact=email).exists()
    ):
        notes.append(str(_("Une famille du site a déjà l'adresse %(email)s.") % {"email": email}))
    if PreRegistration.objects.filter(
        site=site, email__iexact=email, status=PreRegistration.Status.NEW
    ).exists():
        notes.append(str(_("Une autre pré-inscription en attente a la même adresse e-mail.")))
    for child in children:
        if Student.objects.filter(
            family__site=site,
            nom__iexact=child["nom"],
            prenom__iexact=child["prenom"],
            date_naissance=child["date_naissance"],
        ).exists():
            notes.append(
                str(
                    _("%(name)s, né(e) le %(date)s, est déjà élève du site.")
                    % {
                        "name": f"{child['prenom']} {child['nom']}",
                        "date": child["date_naissance"].strftime("%d/%m/%Y"),
                    }
                )
            )
    return "\n".join(notes)


def preregistration_submit(
    *,
    data: dict[str, Any],
    children: list[dict[str, Any]],
    documents: list[tuple[str, Sequence[IO[bytes]]]],
    max_bytes: int = 10 * 1024 * 1024,
) -> PreRegistration:
    """Record a new family's pre-registration; flag possible duplicates for staff."""
    processed = []
    for name, files in documents:
        if files:
            try:
                processed.append((name, process_upload(files, max_bytes=max_bytes)))
            except DocumentRejected as rejected:
                raise ReenrollmentError(f"{name} : {rejected.message}") from rejected
    stored: list[str] = []
    try:
        with transaction.atomic():
            pre = PreRegistration.objects.create(
                **data, duplicate_note=_duplicate_note(data["site"], data["email"], children)
            )
            for child in children:
                PreRegistrationChild.objects.create(pre_registration=pre, **child)
            for name, document in processed:
                path = default_storage.save(stored_name(), ContentFile(document.content))
                stored.append(path)
                PreRegistrationDocument.objects.create(
                    pre_registration=pre,
                    name=name,
                    file=path,
                    display_name=document.display_name,
                    size=len(document.content),
                    pages=document.pages,
                )
            site = data["site"]
            context = {"pre": pre, "site": site, "children": children}
            send_templated_email(
                to=pre.email, template="reenrollment/emails/preregistration", context=context
            )
            if site.email:
                send_templated_email(
                    to=site.email,
                    template="reenrollment/emails/preregistration_staff",
                    context=context,
                )
    except Exception:
        for path in stored:
            default_storage.delete(path)
        raise
    return pre


def _free_username(site: Any, nom: str, prenom: str) -> str:
    def ascii_slug(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(c for c in text.lower() if c.isalnum() or c in "-")

    base = f"{ascii_slug(prenom)}.{ascii_slug(nom)}".strip(".") or "famille"
    candidate, number = base, 1
    while User.objects.filter(site=site, username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


def preregistration_convert(*, pre: PreRegistration, by: User, base_url: str) -> Family:
    """Turn a pre-registration into a family, its students and its account; the family gets
    a link to choose its password (never a password by email)."""
    with transaction.atomic():
        pre = PreRegistration.objects.select_for_update().select_related("site").get(pk=pre.pk)
        if pre.status != PreRegistration.Status.NEW:
            raise ReenrollmentError(_("Cette pré-inscription a déjà été traitée."))
        account = User(
            site=pre.site,
            username=_free_username(pre.site, pre.nom, pre.prenom),
            email=pre.email,
            kind=User.Kind.FAMILY,
            first_name=pre.prenom,
            last_name=pre.nom,
        )
        account.set_unusable_password()
        account.save()
        family = Family.objects.create(
            site=pre.site,
            account=account,
            civilite=pre.civilite,
            nom=pre.nom.upper(),
            prenom=pre.prenom,
            adresse=pre.adresse,
            code_postal=pre.code_postal,
            ville=pre.ville,
            mobile=pre.mobile,
            email=pre.email,
        )
        for child in pre.children.all():  # type: ignore[attr-defined]
            Student.objects.create(
                family=family,
                nom=child.nom.upper(),
                prenom=child.prenom,
                date_naissance=child.date_naissance,
                utiliser_coordonnees_responsable=True,
                adresse=pre.adresse,
                code_postal=pre.code_postal,
                ville=pre.ville,
                mobile=pre.mobile,
            )
        pre.status = PreRegistration.Status.CONVERTED
        pre.family = family
        pre.save(update_fields=["status", "family"])
        audit.record(
            Action.PREREGISTRATION_CONVERTED,
            actor=by,
            obj=pre,
            family=str(family),
            username=account.username,
        )
        password_link_send(user=account, base_url=base_url)
    return family


# Retention ------------------------------------------------------------------------------


def documents_purge(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> list[tuple[Site, int]]:
    """Delete the supporting documents kept longer than their site keeps them
    (Site.document_retention_days); return each site with the count deleted (or, with
    `dry_run`, to delete).

    A re-enrollment campaign's documents count from the campaign's closing date, once the close
    has been processed (the ceiling tariff needs the documents until then). A pre-registration's
    count from its reception, once the secretariat has dealt with it (family created or
    filed): a new one waiting to be read keeps them. The stored files go once each site's
    deletion is committed (reenrollment.signals). Safe to run every night, and twice at once: a
    document already gone is simply not found again.
    """
    now = now or timezone.now()
    counts = []
    for site in Site.objects.order_by("name"):
        cutoff = now - datetime.timedelta(days=site.document_retention_days)
        expired = Document.objects.filter(
            document_type__campaign__site=site,
            document_type__campaign__closed_at__isnull=False,
            document_type__campaign__closes_at__lte=cutoff,
        )
        expired_pre_registration = PreRegistrationDocument.objects.filter(
            pre_registration__site=site,
            pre_registration__created_at__lte=cutoff,
        ).exclude(pre_registration__status=PreRegistration.Status.NEW)
        if dry_run:
            counts.append((site, expired.count() + expired_pre_registration.count()))
            continue
        with transaction.atomic():
            deleted, _by_model = expired.delete()
            deleted_pre_registration, _by_model = expired_pre_registration.delete()
            if deleted or deleted_pre_registration:
                audit.record(
                    "documents.purged",
                    obj=site,
                    count=deleted,
                    pre_registration_count=deleted_pre_registration,
                    retention_days=site.document_retention_days,
                )
        counts.append((site, deleted + deleted_pre_registration))
    return counts


DOCUMENTS_FOLDER = "documents"


def _stored_documents(folder: str) -> Iterator[str]:
    """Every file stored under this folder, at any depth (documents/<year>/<2 hex>/…)."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # A local storage that has received no document yet.
        return
    for name in files:
        yield f"{folder}/{name}"
    for child in folders:
        yield from _stored_documents(f"{folder}/{child}")


def orphan_files_purge(
    *,
    older_than: datetime.timedelta = datetime.timedelta(days=1),
    dry_run: bool = False,
    now: datetime.datetime | None = None,
) -> list[str]:
    """Delete the stored files under documents/ that no document names (Document.file,
    PreRegistrationDocument.file) and that were last written more than `older_than` before
    `now`; return their names, sorted (with `dry_run`, those it would delete, deleting nothing).

    Such orphans come from uploads whose transaction never committed: the file is written
    before the row is inserted (document_upload, preregistration_submit), so a request that
    dies or rolls back after the write leaves the file with no row pointing at it, and a
    family's personal data that nothing would ever delete.

    The order is what keeps a file that is still wanted:
    1. list the storage first;
    2. then read every name the rows hold (one query per model, into a set), so that a row
       committed before this read is seen, including one committed while the listing ran;
    3. then read the modification time of the unreferenced files only (one request each on
       S3) and keep those younger than `older_than`.
    A file unreferenced at step 2 is either a true orphan or an upload still in progress
    (written, its transaction not committed yet). An upload finishes within a request's time
    (gunicorn's timeout), so the age rule keeps it. Stored names are random and never reused:
    a file no row names at step 2 can only gain a row through the upload that wrote it. A file
    whose row is deleted meanwhile goes with the row (reenrollment.signals). Safe to run every
    night, and twice at once: a file another run deleted is skipped.
    """
    now = now or timezone.now()
    cutoff = now - older_than
    listed = list(_stored_documents(DOCUMENTS_FOLDER))
    referenced = set(Document.objects.values_list("file", flat=True))
    referenced.update(PreRegistrationDocument.objects.values_list("file", flat=True))
    orphans = []
    for name in listed:
        if name in referenced:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except Exception:
            # S3 raises its own error for a missing object: skip only a file that is gone.
            if default_storage.exists(name):
                raise
            continue
        if modified < cutoff:
            orphans.append(name)
    orphans.sort()
    if dry_run:
        return orphans
    deleted: list[str] = []
    try:
        for name in orphans:
            default_storage.delete(name)
            deleted.append(name)
    finally:
        # Files are not transactional: log what went, even when a deletion failed midway.
        if deleted:
            audit.record(
                "documents.orphans_purged",
                count=len(deleted),
                older_than_hours=older_than.total_seconds() / 3600,
            )
    return deleted
