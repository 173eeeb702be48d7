"""Seats under load: families submitting at the same moment never get more seats than a slot
has, and never deadlock. Lock, then count: proven against a real PostgreSQL, each family in a
thread of its own with its own database connection."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest

from courses.models import Course, Department, Enrolment, Room, Slot, Teacher, Weekday
from extranet.models import SchoolYear, Site
from reenrollment import services
from reenrollment.models import Campaign, Choice, ReenrollmentRequest
from reenrollment.services import ChoiceInput, ReenrollmentError
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    ReenrollmentRequestFactory,
    SlotFactory,
)
from tests.reenrollment.helpers import BASE_URL, renew, run_concurrently

FAMILIES = 40
SEATS = 30
FULL = "vient d'être complet"


def seat_slot(course: Course, teacher: Teacher, room: Room, year: SchoolYear, weekday: int) -> Slot:
    return SlotFactory(
        course=course,
        teacher=teacher,
        room=room,
        school_year=year,
        weekday=weekday,
        start_time=datetime.time(18, 0),
        capacity=SEATS,
    )


@pytest.fixture
def choir_next(piano: Course, durand: Teacher, room: Room, next_year: SchoolYear) -> Slot:
    """Next year's piano slot of 30 seats."""
    return seat_slot(piano, durand, room, next_year, Weekday.JEUDI)


@pytest.fixture
def pianists_40(new_pianist: Callable[[str], Enrolment]) -> list[Enrolment]:
    return [new_pianist(f"FAMILLE{i:02d}") for i in range(FAMILIES)]


def domain_errors(results: list[object]) -> list[ReenrollmentError]:
    """The refusals among the outcomes; anything else that was raised fails the test."""
    errors = [r for r in results if isinstance(r, BaseException)]
    others = [e for e in errors if not isinstance(e, ReenrollmentError)]
    assert others == [], f"unexpected errors: {others!r}"
    return errors  # type: ignore[return-value]


def test_one_family_after_the_last_seat_is_refused(
    campaign: Campaign, pianists_40: list[Enrolment], choir_next: Slot
) -> None:
    """The same rule without concurrency, on every database."""
    for enrolment in pianists_40[:SEATS]:
        renew(campaign, enrolment, choir_next)

    with pytest.raises(ReenrollmentError, match=FULL):
        renew(campaign, pianists_40[SEATS], choir_next)

    assert Choice.objects.filter(slot=choir_next, state=Choice.State.HELD).count() == SEATS


@pytest.mark.postgres
def test_forty_families_at_once_for_thirty_seats_get_exactly_thirty(
    postgresql: None, campaign: Campaign, pianists_40: list[Enrolment], choir_next: Slot
) -> None:
    results = run_concurrently([partial(renew, campaign, e, choir_next) for e in pianists_40])

    errors = domain_errors(results)
    assert len(errors) == FAMILIES - SEATS
    assert all(FULL in str(error.message) for error in errors)
    assert Choice.objects.filter(slot=choir_next, state=Choice.State.HELD).count() == SEATS
    assert Choice.objects.exclude(state=Choice.State.HELD).count() == 0
    # A refused family kept nothing: no request half-saved.
    assert ReenrollmentRequest.objects.count() == SEATS


@pytest.mark.postgres
def test_forty_families_at_once_asking_for_the_waiting_list_hold_thirty_and_wait_ten(
    postgresql: None, campaign: Campaign, pianists_40: list[Enrolment], choir_next: Slot
) -> None:
    results = run_concurrently(
        [partial(renew, campaign, e, choir_next, waitlist=True) for e in pianists_40]
    )

    assert domain_errors(results) == []
    states = Counter(Choice.objects.filter(slot=choir_next).values_list("state", flat=True))
    assert states == {Choice.State.HELD: SEATS, Choice.State.WAITING: FAMILIES - SEATS}
    queued = list(
        Choice.objects.filter(state=Choice.State.WAITING).values_list("queued_at", flat=True)
    )
    assert len(set(queued)) == FAMILIES - SEATS


@pytest.mark.postgres
def test_two_slots_chosen_in_opposite_orders_at_once_never_deadlock(
    postgresql: None,
    campaign: Campaign,
    pianists_40: list[Enrolment],
    choir_next: Slot,
    moissy: Site,
    music: Department,
    petit: Teacher,
    room: Room,
    current_year: SchoolYear,
    next_year: SchoolYear,
) -> None:
    violin = CourseFactory(site=moissy, department=music, name="Violon")
    violin_now = SlotFactory(course=violin, school_year=current_year, site=moissy, capacity=50)
    violin_next = seat_slot(violin, petit, room, next_year, Weekday.VENDREDI)
    violins = {e.pk: EnrolmentFactory(student=e.student, slot=violin_now) for e in pianists_40}

    def both(index: int, piano: Enrolment) -> ReenrollmentRequest:
        lines = [
            ChoiceInput(enrolment=piano, renew=True, slot_id=choir_next.pk),
            ChoiceInput(enrolment=violins[piano.pk], renew=True, slot_id=violin_next.pk),
        ]
        if index % 2:
            lines.reverse()  # Half the families list the violin first.
        return services.reenrollment_submit(
            campaign=campaign,
            student=piano.student,
            family=piano.student.family,
            administrative=False,
            choices=lines,
            comment="",
            accept_rules=True,
            base_url=BASE_URL,
        )

    results = run_concurrently([partial(both, i, e) for i, e in enumerate(pianists_40)])

    errors = domain_errors(results)
    assert len(errors) == FAMILIES - SEATS
    for slot in (choir_next, violin_next):
        assert Choice.objects.filter(slot=slot, state=Choice.State.HELD).count() == SEATS
    # Each family that got in holds both seats; the others hold none.
    for request in ReenrollmentRequest.objects.all():
        assert sorted(request.choices.values_list("slot", flat=True)) == sorted(
            [choir_next.pk, violin_next.pk]
        )


@pytest.mark.postgres
@pytest.mark.parametrize("existing", [False, True], ids=["first sending", "request saved before"])
def test_the_same_request_sent_five_times_at_once_takes_one_seat(
    existing: bool,
    postgresql: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    choir_next: Slot,
) -> None:
    if existing:
        ReenrollmentRequestFactory(
            campaign=campaign,
            student=gaelle_piano.student,
            status=ReenrollmentRequest.Status.DRAFT,
            submitted_at=None,
        )

    results = run_concurrently([partial(renew, campaign, gaelle_piano, choir_next)] * 5)

    assert domain_errors(results) == []
    assert ReenrollmentRequest.objects.count() == 1
    assert list(Choice.objects.values_list("slot", "state")) == [(choir_next.pk, Choice.State.HELD)]


@pytest.mark.postgres
def test_one_freed_seat_is_offered_once_when_workers_and_families_race(
    postgresql: None,
    campaign: Campaign,
    pianists_40: list[Enrolment],
    piano_monday: Slot,
) -> None:
    """A seat freed while two workers fill the waiting lists goes to one family only."""
    holder, *waiting = pianists_40[:6]
    renew(campaign, holder, piano_monday)
    for enrolment in waiting:
        renew(campaign, enrolment, piano_monday, waitlist=True)
    piano_monday.capacity = 2
    piano_monday.save()

    results = run_concurrently(
        [partial(services.waitlists_fill, base_url=BASE_URL) for _ in range(4)]
    )

    assert domain_errors(results) == []
    assert sum(results) == 1
    assert Choice.objects.filter(slot=piano_monday, state__in=Choice.SEAT_STATES).count() == 2
