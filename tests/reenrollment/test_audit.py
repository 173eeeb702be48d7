"""The secretariat's re-enrollment decisions go to the audit log, each with its author, its site
and what a superuser needs to read it back: documents, requests, seats offered, the close."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from courses.models import Enrolment, Slot
from extranet.audit import Action
from extranet.models import AuditEntry, Site, User
from families.models import Family
from reenrollment import services
from reenrollment.models import (
    Campaign,
    CeilingTariff,
    Choice,
    Document,
    DocumentType,
    PreRegistration,
    ReenrollmentRequest,
)
from students.models import Student
from tests.factories import DocumentFactory, DocumentTypeFactory
from tests.reenrollment.helpers import renew

REQUESTS = "/admin/reenrollment/reenrollmentrequest/"
DOCUMENTS = "/admin/reenrollment/document/"


def run_action(client: Client, changelist: str, action: str, *objects: object) -> HttpResponse:
    return client.post(
        changelist,
        {"action": action, "_selected_action": [o.pk for o in objects]},  # type: ignore[attr-defined]
    )


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


@pytest.fixture
def alice_tax(alice: Family, tax_notice: DocumentType) -> Document:
    return DocumentFactory(document_type=tax_notice, family=alice, display_name="avis 2025.pdf")


@pytest.fixture
def alice_request(
    pianists: None, campaign: Campaign, gaelle_piano: Enrolment, piano_monday: Slot
) -> ReenrollmentRequest:
    return renew(campaign, gaelle_piano, piano_monday)


def test_accepting_a_document_is_logged(
    staff_client: Client, moissy_staff: User, moissy: Site, alice_tax: Document
) -> None:
    run_action(staff_client, DOCUMENTS, "accept", alice_tax)

    [entry] = entries(Action.DOCUMENT_ACCEPTED)
    assert (entry.actor, entry.site, entry.object_type, entry.object_id) == (
        moissy_staff,
        moissy,
        "reenrollment.document",
        str(alice_tax.pk),
    )
    # The service has no request: the address comes from the request being served.
    assert entry.ip_address == "127.0.0.1"
    assert entry.details == {
        "document_type": "Avis d'imposition",
        "family": str(alice_tax.family),
        "reason": "",
    }


def test_refusing_a_document_is_logged_with_its_reason(
    staff_client: Client, moissy_staff: User, alice_tax: Document
) -> None:
    Document.objects.filter(pk=alice_tax.pk).update(refusal_reason="Page 2 illisible")

    run_action(staff_client, DOCUMENTS, "refuse", alice_tax)

    [entry] = entries(Action.DOCUMENT_REFUSED)
    assert (entry.actor, entry.object_id, entry.details["reason"]) == (
        moissy_staff,
        str(alice_tax.pk),
        "Page 2 illisible",
    )


def test_a_refusal_without_reason_is_not_made_nor_logged(
    staff_client: Client, alice_tax: Document
) -> None:
    run_action(staff_client, DOCUMENTS, "refuse", alice_tax)

    assert not AuditEntry.objects.filter(action__startswith="document.").exists()


def test_validating_a_request_is_logged_with_the_slots_taken(
    staff_client: Client,
    moissy_staff: User,
    moissy: Site,
    alice_request: ReenrollmentRequest,
    piano_monday: Slot,
) -> None:
    run_action(staff_client, REQUESTS, "validate", alice_request)

    [entry] = entries(Action.REENROLLMENT_VALIDATED)
    assert (entry.actor, entry.site, entry.object_id, entry.object_repr) == (
        moissy_staff,
        moissy,
        str(alice_request.pk),
        str(alice_request),
    )
    assert entry.details == {"slots": [str(piano_monday)]}


def test_refusing_a_request_logs_the_refusal_and_the_seat_offered_to_the_waiting_list(
    staff_client: Client,
    moissy_staff: User,
    alice_request: ReenrollmentRequest,
    campaign: Campaign,
    carol: Enrolment,
    piano_monday: Slot,
) -> None:
    carol_request = renew(campaign, carol, piano_monday, waitlist=True)
    ReenrollmentRequest.objects.filter(pk=alice_request.pk).update(
        refusal_reason="Âge limite dépassé"
    )
    assert not entries(Action.WAITLIST_OFFERED)

    run_action(staff_client, REQUESTS, "refuse", alice_request)

    [refusal] = entries(Action.REENROLLMENT_REFUSED)
    assert (refusal.actor, refusal.object_id, refusal.details) == (
        moissy_staff,
        str(alice_request.pk),
        {"reason": "Âge limite dépassé"},
    )
    [offer] = entries(Action.WAITLIST_OFFERED)
    carol_choice = Choice.objects.get(request=carol_request)
    assert carol_choice.state == Choice.State.OFFERED
    assert (offer.actor, offer.object_type, offer.object_id) == (
        moissy_staff,
        "reenrollment.choice",
        str(carol_choice.pk),
    )
    assert offer.details["student"] == str(carol.student)
    assert offer.details["slot"] == str(piano_monday)


def test_a_seat_the_worker_offers_is_logged_without_an_author(
    alice_request: ReenrollmentRequest,
    campaign: Campaign,
    carol: Enrolment,
    piano_monday: Slot,
    gaelle_piano: Enrolment,
) -> None:
    renew(campaign, carol, piano_monday, waitlist=True)
    Choice.objects.filter(request=alice_request).update(state=Choice.State.RELEASED)

    assert services.waitlists_fill(base_url="http://testserver/") == 1

    [offer] = entries(Action.WAITLIST_OFFERED)
    assert (offer.actor, offer.actor_name, offer.ip_address) == (None, "", None)


def test_closing_a_campaign_in_the_admin_is_logged_with_the_families_marked(
    staff_client: Client,
    moissy_staff: User,
    alice_request: ReenrollmentRequest,
    campaign: Campaign,
    tax_notice: DocumentType,
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    run_action(staff_client, "/admin/reenrollment/campaign/", "close_now", campaign)

    [entry] = entries(Action.CAMPAIGN_CLOSED)
    assert (entry.actor, entry.object_id, entry.details) == (
        moissy_staff,
        str(campaign.pk),
        {"families_marked": 1},
    )
    # Closing again changes nothing, and logs nothing.
    run_action(staff_client, "/admin/reenrollment/campaign/", "close_now", campaign)
    assert len(entries(Action.CAMPAIGN_CLOSED)) == 1


def test_clearing_a_ceiling_tariff_is_logged(
    staff_client: Client,
    moissy_staff: User,
    alice: Family,
    alice_request: ReenrollmentRequest,
    campaign: Campaign,
    tax_notice: DocumentType,
) -> None:
    services.campaign_close(campaign=campaign)
    mark = CeilingTariff.objects.get()

    run_action(staff_client, "/admin/reenrollment/ceilingtariff/", "clear", mark)

    [entry] = entries(Action.CEILING_TARIFF_CLEARED)
    assert (entry.actor, entry.object_id, entry.details) == (
        moissy_staff,
        str(mark.pk),
        {"family": str(alice)},
    )


def test_converting_a_pre_registration_is_logged_with_the_new_identifiant(
    staff_client: Client, moissy_staff: User, moissy: Site
) -> None:
    pre = PreRegistration.objects.create(
        site=moissy,
        nom="Nouveau",
        prenom="Nina",
        adresse="1 rue de la Paix",
        code_postal="77550",
        ville="Moissy-Cramayel",
        mobile="0601020304",
        email="nina@example.org",
    )

    run_action(staff_client, "/admin/reenrollment/preregistration/", "convert", pre)

    pre.refresh_from_db()
    assert pre.family is not None
    [entry] = entries(Action.PREREGISTRATION_CONVERTED)
    assert (entry.actor, entry.site, entry.object_id, entry.details) == (
        moissy_staff,
        moissy,
        str(pre.pk),
        {"family": str(pre.family), "username": "nina.nouveau"},
    )


def test_a_decision_rolled_back_leaves_no_entry(
    moissy_staff: User, alice_request: ReenrollmentRequest, alice_student: Student
) -> None:
    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        services.request_validate(
            request=alice_request, by=moissy_staff, base_url="http://testserver/"
        )
        assert entries(Action.REENROLLMENT_VALIDATED)
        raise Undone

    assert not entries(Action.REENROLLMENT_VALIDATED)
    alice_request.refresh_from_db()
    assert alice_request.status != ReenrollmentRequest.Status.VALIDATED
