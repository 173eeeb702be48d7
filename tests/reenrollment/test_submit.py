"""Valider on the Réinscription tab: the rules must be accepted; then the request is stored, the
chosen seats are held at once, and the family and the conservatory are told by email."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from courses.models import Course, Department, Enrolment, Slot, Weekday
from extranet.models import SchoolYear, Site
from families.models import Family
from reenrollment import selectors, services
from reenrollment.models import Campaign, Choice, DocumentType, ReenrollmentRequest
from reenrollment.services import ChoiceInput, ReenrollmentError
from students.models import Student
from tests.factories import (
    ChoiceFactory,
    CourseFactory,
    DocumentFactory,
    DocumentTypeFactory,
    EnrolmentFactory,
    ReenrollmentRequestFactory,
    SlotFactory,
)
from tests.html import error_of, find, messages_of, page, text
from tests.reenrollment.helpers import (
    ACCEPT_REQUIRED,
    RULES,
    as_read,
    error_summary,
    mails_to,
    renew,
    slot_options,
    submit,
    tab_url,
)

ALICE_EMAIL = "test@example.org"
SITE_EMAIL = "conservatoire@example.org"
SENT = "Votre demande de réinscription est envoyée. Un accusé de réception vous a été adressé par e-mail."

pytestmark = pytest.mark.usefixtures("pianists")


# J'accepte ----------------------------------------------------------------------------------


def test_without_j_accepte_the_request_is_refused_next_to_the_box_and_nothing_saved(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            alice_client,
            alice_student,
            {gaelle_piano: str(piano_monday.pk)},
            accept=False,
            comment="Elle voudrait aussi essayer le violon.",
        )

    assert response.status_code == 400
    assert error_of(page(response), "id_accept_rules") == ACCEPT_REQUIRED
    assert (
        text(find(page(response), "textarea", name="comment"))
        == "Elle voudrait aussi essayer le violon."
    )
    assert not ReenrollmentRequest.objects.exists()
    assert not Choice.objects.exists()
    assert mail.outbox == []


def test_the_service_refuses_a_request_whose_rules_are_not_accepted(
    campaign: Campaign, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    with pytest.raises(ReenrollmentError, match="Cochez « J'accepte »"):
        services.reenrollment_submit(
            campaign=campaign,
            student=gaelle_piano.student,
            family=gaelle_piano.student.family,
            administrative=True,
            choices=[],
            comment="",
            accept_rules=False,
            base_url="http://testserver/",
        )
    assert not ReenrollmentRequest.objects.exists()


def test_with_j_accepte_the_request_is_stored_with_the_exact_rules_accepted(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    before = timezone.now()

    response = submit(
        alice_client,
        alice_student,
        {gaelle_piano: str(piano_monday.pk)},
        comment="  Elle voudrait aussi essayer le violon. ",
    )

    assert response.status_code == 302
    assert response["Location"] == tab_url(alice_student)
    request = ReenrollmentRequest.objects.get()
    assert (request.campaign, request.student, request.family) == (campaign, alice_student, alice)
    assert request.rules_accepted_text == campaign.rules_text == RULES
    assert request.rules_accepted_at is not None
    assert before <= request.rules_accepted_at <= timezone.now()
    assert request.submitted_at is not None
    assert request.comment == "Elle voudrait aussi essayer le violon."
    assert request.administrative is False


def test_the_rules_accepted_stay_as_they_were_when_the_campaign_text_changes(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})
    campaign.rules_text = "Nouveau règlement."
    campaign.save()

    assert ReenrollmentRequest.objects.get().rules_accepted_text == RULES


def test_after_valider_the_family_reads_that_the_request_is_sent(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    response = alice_client.post(
        tab_url(alice_student),
        {
            f"renew_{gaelle_piano.pk}": "on",
            f"slot_{gaelle_piano.pk}": piano_monday.pk,
            "accept_rules": "on",
        },
        follow=True,
    )

    assert messages_of(page(response)) == [SENT]
    assert "Votre demande : Envoyée" in text(page(response))


# Seats ----------------------------------------------------------------------------------------


def test_the_chosen_seat_is_held_at_once(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    choice = Choice.objects.get()
    assert (choice.enrolment, choice.course, choice.slot) == (
        gaelle_piano,
        piano_monday.course,
        piano_monday,
    )
    assert choice.state == Choice.State.HELD
    assert selectors.slot_taken(piano_monday) == 1
    options = slot_options(alice_client.get(tab_url(alice_student)), gaelle_piano)
    assert (str(piano_monday.pk), "Lundi 17:00 · DURAND Marie · Place réservée") in options


def test_a_double_submission_takes_one_seat_only(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_wednesday: Slot
) -> None:
    first = submit(alice_client, alice_student, {gaelle_piano: str(piano_wednesday.pk)})
    second = submit(alice_client, alice_student, {gaelle_piano: str(piano_wednesday.pk)})

    assert (first.status_code, second.status_code) == (302, 302)
    assert ReenrollmentRequest.objects.count() == 1
    assert list(Choice.objects.values_list("slot", "state")) == [
        (piano_wednesday.pk, Choice.State.HELD)
    ]
    assert selectors.slot_taken(piano_wednesday) == 1


def test_a_double_submission_of_the_last_seat_is_not_refused_as_full(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    again = submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert again.status_code == 302
    assert Choice.objects.get().state == Choice.State.HELD


def test_changing_the_choice_frees_the_old_seat(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
    campaign: Campaign,
) -> None:
    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    submit(alice_client, alice_student, {gaelle_piano: str(piano_wednesday.pk)})

    assert list(Choice.objects.values_list("slot", "state")) == [
        (piano_wednesday.pk, Choice.State.HELD)
    ]
    assert selectors.slot_taken(piano_monday) == 0
    # The seat is really free: another family takes it.
    renew(campaign, leo_piano, piano_monday)
    assert selectors.slot_taken(piano_monday) == 1


def test_a_change_refused_half_way_keeps_every_old_seat(
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
    moissy: Site,
    music: Department,
    current_year: SchoolYear,
    next_year: SchoolYear,
) -> None:
    """The old seat is freed in the same transaction as the new one is taken: when a later
    line of the request fails, the first line's change is undone too."""
    violin = CourseFactory(site=moissy, department=music, name="Violon")
    gaelle_violin = EnrolmentFactory(
        student=alice_student,
        slot=SlotFactory(course=violin, school_year=current_year, site=moissy),
    )
    violin_next = SlotFactory(course=violin, school_year=next_year, site=moissy, capacity=1)
    family = alice_student.family
    kwargs = {
        "campaign": campaign,
        "student": alice_student,
        "family": family,
        "administrative": False,
        "comment": "",
        "accept_rules": True,
        "base_url": "http://testserver/",
    }
    services.reenrollment_submit(
        choices=[
            ChoiceInput(enrolment=gaelle_piano, renew=True, slot_id=piano_monday.pk),
            ChoiceInput(enrolment=gaelle_violin, renew=False, slot_id=None),
        ],
        **kwargs,
    )
    ChoiceFactory(slot=violin_next, request__campaign=campaign)  # The violin seat goes.

    with pytest.raises(ReenrollmentError, match="vient d'être complet"):
        services.reenrollment_submit(
            choices=[
                ChoiceInput(enrolment=gaelle_piano, renew=True, slot_id=piano_wednesday.pk),
                ChoiceInput(enrolment=gaelle_violin, renew=True, slot_id=violin_next.pk),
            ],
            **kwargs,
        )

    piano_choice = Choice.objects.get(enrolment=gaelle_piano)
    assert (piano_choice.slot, piano_choice.state) == (piano_monday, Choice.State.HELD)
    assert selectors.slot_taken(piano_wednesday) == 0


def test_a_slot_that_became_full_since_the_page_was_shown_is_refused_in_french(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    campaign: Campaign,
) -> None:
    shown = slot_options(alice_client.get(tab_url(alice_student)), gaelle_piano)
    assert (str(piano_monday.pk), "Lundi 17:00 · DURAND Marie · 1 place restante") in shown
    renew(campaign, leo_piano, piano_monday)  # bob was quicker.

    response = submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert response.status_code == 400
    assert (
        "Le créneau du Lundi à 17:00 vient d'être complet : choisissez un autre horaire ou la "
        "liste d'attente." in error_summary(response)
    )
    assert not ReenrollmentRequest.objects.filter(student=alice_student).exists()
    assert selectors.slot_taken(piano_monday) == 1
    # The page shown with the refusal is the new state: the slot now offers the waiting list.
    values = [value for value, _label in slot_options(response, gaelle_piano)]
    assert f"wait:{piano_monday.pk}" in values
    assert str(piano_monday.pk) not in values


def test_the_service_refuses_a_full_slot_unless_the_family_asks_for_the_waiting_list(
    campaign: Campaign, gaelle_piano: Enrolment, leo_piano: Enrolment, piano_monday: Slot
) -> None:
    renew(campaign, leo_piano, piano_monday)

    with pytest.raises(ReenrollmentError, match="vient d'être complet"):
        renew(campaign, gaelle_piano, piano_monday)

    assert not ReenrollmentRequest.objects.filter(student=gaelle_piano.student).exists()
    renew(campaign, gaelle_piano, piano_monday, waitlist=True)
    assert Choice.objects.get(enrolment=gaelle_piano).state == Choice.State.WAITING


@pytest.fixture
def forged_slots(
    piano: Course,
    piano_now: Slot,
    moissy: Site,
    boulogne: Site,
    next_year: SchoolYear,
) -> dict[str, Slot]:
    other_course = CourseFactory(site=moissy, name="Guitare")
    boulogne_piano = CourseFactory(site=boulogne, name="Piano")
    return {
        "another course": SlotFactory(course=other_course, school_year=next_year, site=moissy),
        "another site": SlotFactory(course=boulogne_piano, school_year=next_year, site=boulogne),
        "this year": piano_now,
    }


@pytest.mark.parametrize("forgery", ["another course", "another site", "this year"])
def test_a_forged_slot_id_is_refused_and_nothing_saved(
    forgery: str,
    forged_slots: dict[str, Slot],
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
) -> None:
    slot = forged_slots[forgery]

    response = submit(alice_client, alice_student, {gaelle_piano: str(slot.pk)})

    assert response.status_code == 400
    assert not ReenrollmentRequest.objects.exists()
    assert not Choice.objects.exists()


@pytest.mark.parametrize("forgery", ["another course", "another site", "this year"])
def test_the_service_refuses_a_slot_not_offered_for_the_course(
    forgery: str,
    forged_slots: dict[str, Slot],
    campaign: Campaign,
    gaelle_piano: Enrolment,
) -> None:
    with pytest.raises(ReenrollmentError, match="Ce créneau n'est pas proposé pour ce cours."):
        renew(campaign, gaelle_piano, forged_slots[forgery])

    assert not ReenrollmentRequest.objects.exists()
    assert not Choice.objects.exists()


def test_a_family_cannot_submit_for_another_familys_child(
    bob_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    response = submit(bob_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert response.status_code == 404
    assert not ReenrollmentRequest.objects.exists()


# Choices that are not seats -----------------------------------------------------------------


def test_a_course_to_renew_needs_a_slot(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment
) -> None:
    response = submit(alice_client, alice_student, {gaelle_piano: ""})

    assert response.status_code == 400
    select = find(page(response), "select", name=f"slot_{gaelle_piano.pk}")
    error = find(page(response), "p", id=f"{dict(select.attributes)['id']}_error")
    assert text(error) == "Choisissez un horaire pour ce cours."
    assert not ReenrollmentRequest.objects.exists()


def test_a_course_not_ticked_is_not_renewed_and_takes_no_seat(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    response = alice_client.post(
        tab_url(alice_student),
        {"administrative": "on", "accept_rules": "on", f"slot_{gaelle_piano.pk}": piano_monday.pk},
    )

    assert response.status_code == 302
    request = ReenrollmentRequest.objects.get()
    assert request.administrative is True
    assert list(request.choices.values_list("slot", "state")) == [(None, Choice.State.NOT_RENEWED)]
    assert selectors.slot_taken(piano_monday) == 0


def test_neither_a_course_nor_the_administrative_box_is_refused(
    alice_client: Client, alice_student: Student, gaelle_piano: Enrolment
) -> None:
    response = submit(alice_client, alice_student, {})

    assert response.status_code == 400
    assert (
        "Cochez « Réinscription administrative » ou au moins un cours à reconduire."
        in error_summary(response)
    )
    assert not ReenrollmentRequest.objects.exists()


def test_courses_assigned_by_the_conservatory_are_renewed_without_a_slot(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    dance: Department,
    moissy: Site,
    current_year: SchoolYear,
    next_year: SchoolYear,
) -> None:
    classique = CourseFactory(site=moissy, department=dance, name="Classique")
    SlotFactory(course=classique, school_year=next_year, site=moissy, weekday=Weekday.SAMEDI)
    enrolment = EnrolmentFactory(
        student=alice_student,
        slot=SlotFactory(course=classique, school_year=current_year, site=moissy),
    )

    response = submit(alice_client, alice_student, {enrolment: None}, administrative=True)

    assert response.status_code == 302
    choice = Choice.objects.get(enrolment=enrolment)
    assert (choice.slot, choice.state) == (None, Choice.State.ASSIGNED)


def test_a_request_decided_by_the_secretariat_cannot_be_changed(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    ReenrollmentRequestFactory(
        campaign=campaign, student=alice_student, status=ReenrollmentRequest.Status.VALIDATED
    )

    response = submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert response.status_code == 400
    assert "Cette demande a déjà été traitée par le secrétariat" in error_summary(response)
    assert not Choice.objects.exists()


# Completeness -------------------------------------------------------------------------------


@pytest.fixture
def insurance(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Attestation d'assurance", scope=DocumentType.Scope.STUDENT
    )


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


def test_a_request_missing_a_required_piece_is_incomplete(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    insurance: DocumentType,
    tax_notice: DocumentType,
) -> None:
    DocumentFactory(document_type=tax_notice, family=alice)

    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert ReenrollmentRequest.objects.get().status == ReenrollmentRequest.Status.INCOMPLETE


def test_a_request_with_every_required_piece_is_sent(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    insurance: DocumentType,
    tax_notice: DocumentType,
) -> None:
    DocumentFactory(document_type=tax_notice, family=alice)
    DocumentFactory(document_type=insurance, family=alice, student=alice_student)
    # Pieces that do not concern this family may be missing.
    for rule in (
        DocumentType.Rule.DANCE,
        DocumentType.Rule.TWO_CHILDREN,
        DocumentType.Rule.ADDRESS_CHANGED,
    ):
        DocumentTypeFactory(campaign=campaign, rule=rule)
    DocumentTypeFactory(
        campaign=campaign, rule=DocumentType.Rule.OPTIONAL, scope=DocumentType.Scope.STUDENT
    )

    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert ReenrollmentRequest.objects.get().status == ReenrollmentRequest.Status.SENT


def test_a_refused_piece_counts_as_missing(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    tax_notice: DocumentType,
) -> None:
    DocumentFactory(
        document_type=tax_notice, family=alice, status="refused", refusal_reason="Illisible"
    )

    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert ReenrollmentRequest.objects.get().status == ReenrollmentRequest.Status.INCOMPLETE


# Emails -------------------------------------------------------------------------------------


def test_the_family_gets_an_acknowledgment_of_its_choices_and_documents(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    insurance: DocumentType,
    tax_notice: DocumentType,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    DocumentFactory(document_type=tax_notice, family=alice, display_name="avis 2025.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    [message] = mails_to(ALICE_EMAIL)
    assert as_read(message.subject) == "Accusé de réception : réinscription de Gaëlle"
    body = as_read(message.body)
    assert "Nous avons bien reçu la demande de réinscription de Gaëlle TEST" in body
    assert "État de la demande : Incomplète" in body
    assert "Vos choix :\n- Piano : Lundi 17:00, DURAND Marie (Place réservée)\n" in body
    assert "Documents reçus :\n- Avis d'imposition : avis 2025.pdf\n" in body
    assert "Documents encore à fournir :\n- Attestation d'assurance\n" in body
    assert f"http://testserver/eleves/{alice_student.pk}/reinscription/" in body


def test_the_conservatory_is_notified_of_the_request(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    insurance: DocumentType,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            alice_client,
            alice_student,
            {gaelle_piano: str(piano_monday.pk)},
            comment="Elle voudrait aussi essayer le violon.",
        )

    [message] = mails_to(SITE_EMAIL)
    assert as_read(message.subject) == "Réinscription : TEST Gaëlle"
    assert "Demande de réinscription de TEST Gaëlle (famille TEST FAMILLE)." in as_read(
        message.body
    )
    assert "- Piano : Lundi 17:00 (Place réservée)" in as_read(message.body)
    assert "Information complémentaire : Elle voudrait aussi essayer le violon." in as_read(
        message.body
    )
    assert "Documents encore à fournir : Attestation d'assurance" in as_read(message.body)
    assert len(mail.outbox) == 2


def test_a_refused_submission_sends_no_email(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    renew(campaign, leo_piano, piano_monday)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReenrollmentError):
        renew(campaign, gaelle_piano, piano_monday)

    assert mail.outbox == []


def test_the_acknowledgment_says_when_the_family_is_on_the_waiting_list(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    campaign: Campaign,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    renew(campaign, leo_piano, piano_monday)

    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, alice_student, {gaelle_piano: f"wait:{piano_monday.pk}"})

    [message] = mails_to(ALICE_EMAIL)
    assert "- Piano : Lundi 17:00, DURAND Marie (Liste d'attente)" in as_read(message.body)


def test_the_acknowledgment_goes_to_the_account_email_when_the_family_has_none(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    alice.email = ""
    alice.save()
    assert alice.account is not None

    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert len(mails_to(alice.account.email)) == 1


def test_submitted_at_is_the_first_submission(
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
) -> None:
    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})
    first = ReenrollmentRequest.objects.get().submitted_at
    assert first is not None
    ReenrollmentRequest.objects.update(submitted_at=first - datetime.timedelta(days=1))

    submit(alice_client, alice_student, {gaelle_piano: str(piano_wednesday.pk)})

    assert ReenrollmentRequest.objects.get().submitted_at == first - datetime.timedelta(days=1)
