"""What a submission costs when the whole rush asks for the same slot (bench/rush.py): a
refusal for a slot already full does not queue for the slot's lock, sending the same seat
again takes no lock, and an accepted submission runs few statements, and only two while it
holds the lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.models import Course, Enrolment, Slot
from extranet.models import OutboxMessage, SchoolYear
from reenrollment import services
from reenrollment.models import Campaign, Choice
from reenrollment.services import ChoiceInput, ReenrollmentError
from students.models import Student
from tests.factories import EnrolmentFactory, SlotFactory
from tests.query_counts import TRANSACTION_CONTROL
from tests.reenrollment.helpers import ALICE_EMAIL, BASE_URL, as_read, renew, submit

FULL = "vient d'être complet"


@contextmanager
def locked_elsewhere(slot: Slot) -> Iterator[None]:
    """The slot's row locked by another connection, and this one giving up on a lock after
    2 seconds (an error, where it would otherwise wait for the block to end)."""
    locked, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=slot.pk)
                locked.set()
                done.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.postgres
def test_a_family_asking_for_a_full_slot_is_refused_without_waiting_for_its_lock(
    postgresql: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    renew(campaign, leo_piano, piano_monday)  # Its only seat.

    with locked_elsewhere(piano_monday), pytest.raises(ReenrollmentError, match=FULL):
        renew(campaign, gaelle_piano, piano_monday)


@pytest.mark.postgres
def test_sending_the_same_seat_again_waits_for_no_lock(
    postgresql: None, campaign: Campaign, gaelle_piano: Enrolment, piano_monday: Slot
) -> None:
    renew(campaign, gaelle_piano, piano_monday)

    with locked_elsewhere(piano_monday):
        renew(campaign, gaelle_piano, piano_monday)

    assert list(Choice.objects.values_list("slot", "state")) == [
        (piano_monday.pk, Choice.State.HELD)
    ]


def test_a_seat_freed_by_the_same_submission_can_be_taken_in_it(
    campaign: Campaign,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano: Course,
    current_year: SchoolYear,
    piano_monday: Slot,
) -> None:
    """The full slot is not refused before the lock when the submission itself gives a seat
    of it back: the seat of one course goes to the other (Monday has one seat)."""
    renew(campaign, gaelle_piano, piano_monday)
    other = EnrolmentFactory(
        student=alice_student, slot=SlotFactory(course=piano, school_year=current_year)
    )

    services.reenrollment_submit(
        campaign=campaign,
        student=alice_student,
        family=alice_student.family,
        administrative=False,
        choices=[
            ChoiceInput(enrolment=gaelle_piano, renew=False, slot_id=None),
            ChoiceInput(enrolment=other, renew=True, slot_id=piano_monday.pk),
        ],
        comment="",
        accept_rules=True,
        base_url=BASE_URL,
    )

    assert dict(Choice.objects.values_list("enrolment", "state")) == {
        gaelle_piano.pk: Choice.State.NOT_RENEWED,
        other.pk: Choice.State.HELD,
    }


@pytest.mark.postgres
def test_an_accepted_submission_runs_few_statements_and_fewer_under_the_slot_lock(
    postgresql: None,
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    with CaptureQueriesContext(connection) as context:
        response = submit(alice_client, alice_student, {gaelle_piano: str(piano_monday.pk)})

    assert response.status_code == 302
    # The transaction's statements aside, up to its commit (after which the test settings
    # send the emails at once).
    statements = []
    for sql in (q["sql"] for q in context.captured_queries):
        if sql.startswith("COMMIT"):
            break
        if not TRANSACTION_CONTROL.match(sql):
            statements.append(sql)
    # The session, the account, the children, the campaign, this year's courses, next year's
    # slots (the form); the request created, then locked, its choices, the slots asked for
    # with their seats taken, the pieces, the request updated, the two emails in the outbox
    # (the family's acknowledgment, the secretariat's notice); the slot locked...
    [lock] = [
        i for i, sql in enumerate(statements) if "FOR UPDATE" in sql and "courses_slot" in sql
    ]
    assert lock == 14
    assert all("outboxmessage" in sql for sql in statements[12:14])
    # ... then only its seats counted again and the choice written, until the commit.
    assert [sql.split()[0] for sql in statements[lock + 1 :]] == [
        "(SELECT",  # enrolments UNION ALL held seats
        "INSERT",
    ]


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.postgres
def test_a_seat_taken_between_the_read_and_the_lock_puts_the_family_on_the_waiting_list(
    postgresql: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    """The acknowledgment, written before the lock with the seat as read, is written again."""
    seated, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def bob_takes_the_last_seat() -> None:
        try:
            with transaction.atomic():
                renew(campaign, leo_piano, piano_monday)
                seated.set()
                release.wait(timeout=30)  # Committed only once alice waits for the lock.
        finally:
            connections.close_all()

    def alice_asks_for_it_or_the_waiting_list() -> None:
        try:
            outcome["request"] = renew(campaign, gaelle_piano, piano_monday, waitlist=True)
        except BaseException as error:  # noqa: BLE001 (the test looks at it)
            outcome["error"] = error
        finally:
            connections.close_all()

    bob = threading.Thread(target=bob_takes_the_last_seat)
    bob.start()
    assert seated.wait(timeout=10)
    alice = threading.Thread(target=alice_asks_for_it_or_the_waiting_list)
    alice.start()
    for _ in range(100):  # alice read a free seat (bob's is not committed), then waits.
        if waiting_for_a_lock():
            break
        time.sleep(0.05)
    release.set()
    bob.join(timeout=30)
    alice.join(timeout=30)

    assert "error" not in outcome
    assert Choice.objects.get(enrolment=gaelle_piano).state == Choice.State.WAITING
    family_mails = OutboxMessage.objects.filter(to=ALICE_EMAIL)
    assert [as_read(m.text_body).count("(Liste d'attente)") for m in family_mails] == [1]
