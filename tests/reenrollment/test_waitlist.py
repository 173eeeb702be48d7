"""Waiting lists: families wait in the order they asked; a seat that frees is offered to the
first of them for 48 hours, then to the next one if it is declined or left unanswered."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, Slot
from extranet.models import User
from reenrollment import services
from reenrollment.models import Campaign, Choice, ReenrollmentRequest
from reenrollment.services import OFFER_HOURS
from students.models import Student
from tests.html import attr, find_all, messages_of, page, text
from tests.reenrollment.helpers import BASE_URL, mails_to, renew, slot_options, submit, tab_url

ALICE_EMAIL = "test@example.org"
CAROL_EMAIL = "carol@example.org"

pytestmark = pytest.mark.usefixtures("pianists")


def choice_of(enrolment: Enrolment) -> Choice:
    return Choice.objects.get(enrolment=enrolment)


def offer_url(choice: Choice) -> str:
    return f"/reinscription/offre/{choice.offer_token}/"


@pytest.fixture
def queue(
    campaign: Campaign,
    leo_piano: Enrolment,
    gaelle_piano: Enrolment,
    carol: Enrolment,
    piano_monday: Slot,
) -> None:
    """Léo holds the one Monday seat; Gaëlle, then carol's child, wait for it."""
    renew(campaign, leo_piano, piano_monday)
    renew(campaign, gaelle_piano, piano_monday, waitlist=True)
    renew(campaign, carol, piano_monday, waitlist=True)
    mail.outbox.clear()


@pytest.fixture
def offered_to_alice(
    queue: None,
    bob_client: Client,
    bob_student: Student,
    leo_piano: Enrolment,
    piano_wednesday: Slot,
    gaelle_piano: Enrolment,
    django_capture_on_commit_callbacks: Callable,
) -> Choice:
    """bob moves Léo to Wednesday: the Monday seat is offered to alice."""
    with django_capture_on_commit_callbacks(execute=True):
        submit(bob_client, bob_student, {leo_piano: str(piano_wednesday.pk)})
    return choice_of(gaelle_piano)


def test_families_asking_for_a_full_slot_wait_in_the_order_they_asked(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    leo_piano: Enrolment,
    gaelle_piano: Enrolment,
    carol: Enrolment,
    carol_client: Client,
    piano_monday: Slot,
) -> None:
    renew(campaign, leo_piano, piano_monday)

    submit(alice_client, alice_student, {gaelle_piano: f"wait:{piano_monday.pk}"})
    submit(carol_client, carol.student, {carol: f"wait:{piano_monday.pk}"})

    waiting = Choice.objects.filter(slot=piano_monday, state=Choice.State.WAITING).order_by(
        "queued_at"
    )
    assert [c.enrolment for c in waiting] == [gaelle_piano, carol]
    assert (
        ReenrollmentRequest.objects.get(student=alice_student).status
        == ReenrollmentRequest.Status.SENT
    )


def test_each_family_sees_its_position_on_the_waiting_list(
    queue: None,
    alice_client: Client,
    alice_student: Student,
    carol_client: Client,
    carol: Enrolment,
) -> None:
    alice_page = page(alice_client.get(tab_url(alice_student)))
    carol_page = page(carol_client.get(tab_url(carol.student)))

    assert [text(p) for p in find_all(alice_page, "p", class_="badge")] == [
        "Liste d'attente : position 1"
    ]
    assert [text(p) for p in find_all(carol_page, "p", class_="badge")] == [
        "Liste d'attente : position 2"
    ]


def test_waiting_again_keeps_the_place_in_the_queue(
    queue: None,
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    carol_client: Client,
    carol: Enrolment,
    piano_monday: Slot,
) -> None:
    queued_at = choice_of(gaelle_piano).queued_at
    # The list shows the family's own line under its plain id.
    assert (str(piano_monday.pk), "Lundi 17:00 · DURAND Marie · Liste d'attente") in slot_options(
        alice_client.get(tab_url(alice_student)), gaelle_piano
    )

    submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert choice_of(gaelle_piano).state == Choice.State.WAITING
    assert choice_of(gaelle_piano).queued_at == queued_at
    carol_page = page(carol_client.get(tab_url(carol.student)))
    assert [text(p) for p in find_all(carol_page, "p", class_="badge")] == [
        "Liste d'attente : position 2"
    ]


def test_a_family_asking_to_wait_gets_the_seat_that_freed_meanwhile(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    leo_piano: Enrolment,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
) -> None:
    renew(campaign, leo_piano, piano_monday)
    shown = slot_options(alice_client.get(tab_url(alice_student)), gaelle_piano)
    assert (
        f"wait:{piano_monday.pk}",
        "Lundi 17:00 · DURAND Marie · complet : liste d'attente",
    ) in shown
    renew(campaign, leo_piano, piano_wednesday)  # Léo leaves Monday before alice submits.

    response = submit(alice_client, alice_student, {gaelle_piano: f"wait:{piano_monday.pk}"})

    assert response.status_code == 302
    assert choice_of(gaelle_piano).state == Choice.State.HELD


# Offers -------------------------------------------------------------------------------------


def test_a_seat_freed_by_a_change_of_choice_is_offered_to_the_first_family_waiting(
    offered_to_alice: Choice, carol: Enrolment, piano_monday: Slot
) -> None:
    choice = offered_to_alice

    assert choice.state == Choice.State.OFFERED
    assert choice.offer_token
    assert choice.offer_expires_at is not None
    expected = timezone.now() + datetime.timedelta(hours=48)
    assert abs(choice.offer_expires_at - expected) < datetime.timedelta(minutes=1)
    assert choice_of(carol).state == Choice.State.WAITING
    # The offered seat counts as taken: nobody else gets it meanwhile.
    assert piano_monday.capacity == 1
    assert Choice.objects.filter(slot=piano_monday, state__in=Choice.SEAT_STATES).count() == 1


def test_the_family_offered_a_seat_gets_an_email_with_the_link(offered_to_alice: Choice) -> None:
    [message] = mails_to(ALICE_EMAIL)

    assert message.subject == "Une place se libère en Piano"
    assert "Une place s'est libérée pour Gaëlle en Piano, le Lundi à 17:00." in message.body
    assert "Elle vous est réservée pendant 48 heures." in message.body
    assert f"http://testserver/reinscription/offre/{offered_to_alice.offer_token}/" in message.body
    assert mails_to(CAROL_EMAIL) == []


def test_the_tab_links_to_the_offer(
    offered_to_alice: Choice, alice_client: Client, alice_student: Student
) -> None:
    response = alice_client.get(tab_url(alice_student))

    links = [
        a
        for a in find_all(page(response), "a")
        if text(a) == "Une place vous est proposée : répondre"
    ]
    assert [dict(a.attributes)["href"] for a in links] == [offer_url(offered_to_alice)]


def test_the_offer_page_describes_the_seat(offered_to_alice: Choice, alice_client: Client) -> None:
    response = alice_client.get(offer_url(offered_to_alice))

    assert response.status_code == 200
    content = text(page(response))
    assert "Pour Gaëlle : Piano, le Lundi à 17:00, avec DURAND Marie." in content
    assert "Cette place vous est réservée jusqu'au " in content
    buttons = find_all(page(response), "button", name="answer")
    assert [(attr(b, "value"), text(b)) for b in buttons] == [
        ("accept", "J'accepte la place"),
        ("decline", "Je décline"),
    ]


def test_accepting_the_offer_holds_the_seat(
    offered_to_alice: Choice, alice_client: Client, alice_student: Student
) -> None:
    response = alice_client.post(offer_url(offered_to_alice), {"answer": "accept"}, follow=True)

    assert response.redirect_chain == [(tab_url(alice_student), 302)]
    assert messages_of(page(response)) == ["Place acceptée : elle est réservée pour votre enfant."]
    choice = Choice.objects.get(pk=offered_to_alice.pk)
    assert choice.state == Choice.State.HELD
    assert (choice.offer_token, choice.offer_expires_at) == ("", None)


def test_an_offer_answered_once_cannot_be_answered_again(
    offered_to_alice: Choice, alice_client: Client
) -> None:
    alice_client.post(offer_url(offered_to_alice), {"answer": "accept"})

    response = alice_client.post(offer_url(offered_to_alice), {"answer": "decline"})

    assert response.status_code == 404  # The token was used up.
    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.HELD


def test_declining_passes_the_seat_to_the_next_family(
    offered_to_alice: Choice,
    alice_client: Client,
    carol: Enrolment,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            offer_url(offered_to_alice), {"answer": "decline"}, follow=True
        )

    assert messages_of(page(response)) == [
        "Proposition déclinée : la place passe à la famille suivante."
    ]
    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.RELEASED
    carol_choice = choice_of(carol)
    assert carol_choice.state == Choice.State.OFFERED
    [message] = mails_to(CAROL_EMAIL)
    assert offer_url(carol_choice) in message.body


def test_an_offer_left_unanswered_for_48_hours_passes_to_the_next_family(
    offered_to_alice: Choice, carol: Enrolment, django_capture_on_commit_callbacks: Callable
) -> None:
    assert offered_to_alice.offer_expires_at is not None
    just_before = offered_to_alice.offer_expires_at - datetime.timedelta(minutes=1)
    assert services.offers_expire(base_url=BASE_URL, now=just_before) == 0
    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.OFFERED

    later = timezone.now() + datetime.timedelta(hours=OFFER_HOURS, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        expired = services.offers_expire(base_url=BASE_URL, now=later)

    assert expired == 1
    alice_choice = Choice.objects.get(pk=offered_to_alice.pk)
    assert (alice_choice.state, alice_choice.offer_token) == (Choice.State.RELEASED, "")
    assert choice_of(carol).state == Choice.State.OFFERED
    assert len(mails_to(CAROL_EMAIL)) == 1


def test_an_expired_offer_can_no_longer_be_accepted(
    offered_to_alice: Choice, alice_client: Client
) -> None:
    Choice.objects.filter(pk=offered_to_alice.pk).update(
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = alice_client.post(offer_url(offered_to_alice), {"answer": "accept"}, follow=True)

    assert messages_of(page(response)) == ["Cette proposition a expiré ou a déjà reçu une réponse."]
    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.OFFERED


def test_another_family_cannot_use_someone_elses_offer(
    offered_to_alice: Choice, carol_client: Client, bob_client: Client
) -> None:
    for client in (carol_client, bob_client):
        assert client.get(offer_url(offered_to_alice)).status_code == 404
        assert client.post(offer_url(offered_to_alice), {"answer": "accept"}).status_code == 404

    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.OFFERED


def test_an_offer_link_asks_to_log_in_first(offered_to_alice: Choice, client: Client) -> None:
    response = client.post(offer_url(offered_to_alice), {"answer": "accept"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("extranet:login"))
    assert Choice.objects.get(pk=offered_to_alice.pk).state == Choice.State.OFFERED


def test_staff_accounts_cannot_answer_an_offer(
    offered_to_alice: Choice, client_for: Callable[[User], Client], moissy_staff: User
) -> None:
    response = client_for(moissy_staff).post(offer_url(offered_to_alice), {"answer": "accept"})

    assert response.status_code == 404


def test_a_seat_freed_by_a_refused_request_is_offered(
    queue: None,
    leo_piano: Enrolment,
    gaelle_piano: Enrolment,
    moissy_staff: User,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    request = ReenrollmentRequest.objects.get(student=leo_piano.student)

    with django_capture_on_commit_callbacks(execute=True):
        services.request_refuse(
            request=request, reason="Dossier en double", by=moissy_staff, base_url=BASE_URL
        )

    assert choice_of(leo_piano).state == Choice.State.RELEASED
    assert choice_of(gaelle_piano).state == Choice.State.OFFERED
    assert len(mails_to(ALICE_EMAIL)) == 1


def test_seats_added_by_raising_the_capacity_are_offered_in_order(
    queue: None,
    gaelle_piano: Enrolment,
    carol: Enrolment,
    piano_monday: Slot,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    piano_monday.capacity = 2
    piano_monday.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.waitlists_fill(base_url=BASE_URL) == 1

    assert choice_of(gaelle_piano).state == Choice.State.OFFERED
    assert choice_of(carol).state == Choice.State.WAITING
    assert len(mails_to(ALICE_EMAIL)) == 1
    # Nothing more is free: a second round offers nothing.
    assert services.waitlists_fill(base_url=BASE_URL) == 0

    piano_monday.capacity = 3
    piano_monday.save()
    assert services.slot_seats_freed(slot=piano_monday, base_url=BASE_URL) == 1
    assert choice_of(carol).state == Choice.State.OFFERED


def test_an_offer_expiring_while_the_slot_is_full_again_offers_nothing_more(
    offered_to_alice: Choice,
    carol: Enrolment,
    campaign: Campaign,
    new_pianist: Callable[[str], Enrolment],
    piano_monday: Slot,
) -> None:
    """The offered seat is taken back from alice only; it goes to carol, not to two families."""
    later = timezone.now() + datetime.timedelta(hours=OFFER_HOURS, minutes=1)

    services.offers_expire(base_url=BASE_URL, now=later)

    taken = Choice.objects.filter(slot=piano_monday, state__in=Choice.SEAT_STATES)
    assert [c.enrolment for c in taken] == [carol]


def test_a_seat_accepted_after_the_request_was_validated_becomes_an_enrolment_at_once(
    offered_to_alice: Choice, alice_client: Client, alice_student: Student
) -> None:
    request = offered_to_alice.request
    ReenrollmentRequest.objects.filter(pk=request.pk).update(
        status=ReenrollmentRequest.Status.VALIDATED
    )

    alice_client.post(offer_url(offered_to_alice), {"answer": "accept"})

    choice = Choice.objects.get(pk=offered_to_alice.pk)
    assert choice.state == Choice.State.CONFIRMED
    assert Enrolment.objects.filter(student=alice_student, slot=choice.slot).exists()
