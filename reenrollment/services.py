"""Re-enrollment rules: requests, seats, waiting lists, documents, staff decisions."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, Slot
from extranet.models import User
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
    try:
        with transaction.atomic():
            request, _created = ReenrollmentRequest.objects.get_or_create(
                campaign=campaign, student=student, defaults={"family": family}
            )
    except IntegrityError:
        # A concurrent submission created it first: use theirs.
        request = ReenrollmentRequest.objects.get(campaign=campaign, student=student)
    return ReenrollmentRequest.objects.select_for_update().get(pk=request.pk)


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
    and a freed seat is offered to the waiting list.
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
        old = {c.enrolment_id: c for c in request.choices.all()}  # type: ignore[attr-defined]
        wanted_slots = [c.slot_id for c in choices if c.renew and c.slot_id]
        old_slots = [c.slot_id for c in old.values() if c.slot_id and c.state in Choice.SEAT_STATES]
        slots = _lock_slots([*wanted_slots, *old_slots])
        freed: set[int] = set()
        for item in choices:
            enrolment = item.enrolment
            previous = old.pop(enrolment.pk, None)
            assigned = selectors.is_assigned_by_conservatory(enrolment)
            slot: Slot | None
            state: str
            if not item.renew:
                state, slot = Choice.State.NOT_RENEWED, None
            elif assigned or item.slot_id is None:
                state, slot = Choice.State.ASSIGNED, None
            else:
                slot = slots.get(item.slot_id)
                if (
                    slot is None
                    or slot.course_id != enrolment.slot.course_id
                    or slot.school_year_id != campaign.school_year_id
                ):
                    raise ReenrollmentError(_("Ce créneau n'est pas proposé pour ce cours."))
                state = ""
            if previous is not None and previous.slot_id and previous.state in Choice.SEAT_STATES:
                if slot is not None and previous.slot_id == slot.pk:
                    continue  # Same seat as before: nothing to take or free.
                freed.add(previous.slot_id)
            if slot is not None and not state:
                if (
                    previous is not None
                    and previous.slot_id == slot.pk
                    and previous.state == Choice.State.WAITING
                ):
                    continue  # Still waiting for the same slot: keep the place in the queue.
                taken = selectors.slot_taken(slot)
                if taken < slot.capacity:
                    state = Choice.State.HELD
                elif item.waitlist:
                    state = Choice.State.WAITING
                else:
                    raise ReenrollmentError(
                        _(
                            "Le créneau du %(day)s à %(time)s vient d'être complet : choisissez "
                            "un autre horaire ou la liste d'attente."
                        )
                        % {
                            "day": slot.get_weekday_display(),
                            "time": slot.start_time.strftime("%H:%M"),
                        }
                    )
            choice = previous or Choice(request=request, enrolment=enrolment)
            choice.course = enrolment.slot.course
            choice.slot = slot
            choice.state = state
            choice.queued_at = timezone.now() if state == Choice.State.WAITING else None
            choice.offer_expires_at = None
            choice.offer_token = ""
            choice.save()
        for leftover in old.values():
            if leftover.slot_id and leftover.state in Choice.SEAT_STATES:
                freed.add(leftover.slot_id)
            leftover.delete()

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
        for slot_id in sorted(freed):
            _offer_free_seats(slot_id, base_url=base_url)
        _send_acknowledgment(
            request, student, family, documents, base_url=base_url, first=first_submission
        )
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
    base_url: str,
    first: bool,
) -> None:
    to, language = _family_email(family)
    context = {
        "request": request,
        "student": student,
        "family": family,
        "site": family.site,
        "choices": list(request.choices.select_related("slot__teacher", "course")),  # type: ignore[attr-defined]
        "received": documents.received,
        "missing": documents.missing,
        "campaign": request.campaign,
        "link": base_url.rstrip("/") + f"/eleves/{student.pk}/reinscription/",
    }
    if to:
        send_templated_email(
            to=to, template="reenrollment/emails/acknowledgment", context=context, language=language
        )
    if family.site.email:
        send_templated_email(
            to=family.site.email,
            template="reenrollment/emails/staff_notification",
            context={**context, "first": first},
        )


def _offer_free_seats(slot_id: int, *, base_url: str) -> int:
    """Offer the seats left in a slot to the first families waiting, for OFFER_HOURS.

    The caller holds the slot's lock, so the count below cannot change under us.
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


def slot_seats_freed(*, slot: Slot, base_url: str) -> int:
    """After staff raise a slot's capacity (or free a seat by hand): offer what is free."""
    with transaction.atomic():
        _lock_slots([slot.pk])
        return _offer_free_seats(slot.pk, base_url=base_url)


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
    name = document.file.name
    with transaction.atomic():
        family = document.family
        document.delete()
        _refresh_requests(family, campaign)
    transaction.on_commit(lambda: default_storage.delete(name))


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
        for slot_id in sorted(set(seats)):
            _offer_free_seats(slot_id, base_url=base_url)
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


def campaign_close(*, campaign: Campaign) -> int:
    """At the close, families whose required documents are missing get the ceiling tariff."""
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
    return marked


def campaigns_close_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    total = 0
    for campaign in Campaign.objects.filter(closes_at__lte=now, closed_at__isnull=True):
        total += campaign_close(campaign=campaign)
    return total


def ceiling_tariff_clear(*, mark: CeilingTariff, by: User) -> None:
    mark.cleared_at = timezone.now()
    mark.cleared_by = by
    mark.save(update_fields=["cleared_at", "cleared_by"])


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
        password_link_send(user=account, base_url=base_url)
    return family
