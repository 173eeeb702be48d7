"""Re-enrollment around the standing users.

School years are built around today: `current_year` holds today (this year's courses) and
`next_year` follows it; the Moissy campaign, open since yesterday for a week, enrolls for
`next_year`. alice's daughter Gaëlle and bob's son Léo learn the piano this year with Marie
DURAND; next year the piano has two slots: Monday 17:00 with DURAND and one seat, and
Wednesday 15:00 with Jean PETIT and three seats.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from courses.models import Course, Department, Enrolment, Room, Slot, Teacher, Weekday
from extranet.models import SchoolYear, Site, User
from families.models import Family
from reenrollment.models import Campaign
from students.models import Student
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DepartmentFactory,
    EnrolmentFactory,
    FamilyFactory,
    RoomFactory,
    SchoolYearFactory,
    SlotFactory,
    StudentFactory,
    TeacherFactory,
)
from tests.reenrollment.helpers import RULES
from tests.reenrollment.s3 import Bucket, moto_server, new_bucket


@pytest.fixture(autouse=True)
def private_media(private_media: Path) -> Path:
    """Every test here stores its documents in a folder of its own (tests/conftest.py)."""
    return private_media


@pytest.fixture
def postgresql(transactional_db: None) -> None:
    """Committed data that other connections see, on PostgreSQL only."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE)")


@pytest.fixture
def current_year(school_year: SchoolYear) -> SchoolYear:
    today = timezone.localdate()
    assert school_year.start_date <= today <= school_year.end_date
    return school_year


@pytest.fixture
def next_year(current_year: SchoolYear) -> SchoolYear:
    return SchoolYearFactory(
        start_date=current_year.start_date.replace(year=current_year.start_date.year + 1)
    )


@pytest.fixture
def campaign(moissy: Site, next_year: SchoolYear) -> Campaign:
    return CampaignFactory(site=moissy, school_year=next_year, rules_text=RULES)


@pytest.fixture
def music(moissy: Site) -> Department:
    return DepartmentFactory(site=moissy, name="Musique")


@pytest.fixture
def dance(moissy: Site) -> Department:
    return DepartmentFactory(site=moissy, name="Danse")


@pytest.fixture
def room(moissy: Site) -> Room:
    return RoomFactory(site=moissy, name="Salle 12")


@pytest.fixture
def durand(moissy: Site) -> Teacher:
    return TeacherFactory(
        site=moissy, nom="Durand", prenom="Marie", account__username="marie.durand"
    )


@pytest.fixture
def petit(moissy: Site) -> Teacher:
    return TeacherFactory(site=moissy, nom="Petit", prenom="Jean", account__username="jean.petit")


@pytest.fixture
def piano(moissy: Site, music: Department) -> Course:
    return CourseFactory(site=moissy, department=music, name="Piano")


@pytest.fixture
def piano_now(piano: Course, durand: Teacher, room: Room, current_year: SchoolYear) -> Slot:
    """This year's piano slot."""
    return SlotFactory(
        course=piano,
        teacher=durand,
        room=room,
        school_year=current_year,
        weekday=Weekday.MARDI,
        start_time=datetime.time(17, 0),
        capacity=10,
    )


@pytest.fixture
def piano_monday(piano: Course, durand: Teacher, room: Room, next_year: SchoolYear) -> Slot:
    """Next year: Monday 17:00 with DURAND, one seat."""
    return SlotFactory(
        course=piano,
        teacher=durand,
        room=room,
        school_year=next_year,
        weekday=Weekday.LUNDI,
        start_time=datetime.time(17, 0),
        duration=30,
        capacity=1,
    )


@pytest.fixture
def piano_wednesday(piano: Course, petit: Teacher, room: Room, next_year: SchoolYear) -> Slot:
    """Next year: Wednesday 15:00 with PETIT, three seats."""
    return SlotFactory(
        course=piano,
        teacher=petit,
        room=room,
        school_year=next_year,
        weekday=Weekday.MERCREDI,
        start_time=datetime.time(15, 0),
        duration=45,
        capacity=3,
    )


@pytest.fixture
def gaelle_piano(alice_student: Student, piano_now: Slot) -> Enrolment:
    return EnrolmentFactory(student=alice_student, slot=piano_now, cycle="Cycle 2")


@pytest.fixture
def leo_piano(bob_student: Student, piano_now: Slot) -> Enrolment:
    return EnrolmentFactory(student=bob_student, slot=piano_now, cycle="Cycle 1")


@pytest.fixture
def pianists(
    campaign: Campaign,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
) -> None:
    """The open campaign, both children at the piano this year, both slots of next year."""


@pytest.fixture
def new_pianist(moissy: Site, piano_now: Slot) -> Callable[[str], Enrolment]:
    """Another family of Moissy whose child learns the piano this year."""

    def make(name: str) -> Enrolment:
        family = FamilyFactory(site=moissy, nom=name, account__username=name.lower())
        student = StudentFactory(family=family, prenom=f"Enfant {name}")
        return EnrolmentFactory(student=student, slot=piano_now)

    return make


@pytest.fixture
def carol(new_pianist: Callable[[str], Enrolment]) -> Enrolment:
    """A third Moissy family's piano enrolment."""
    return new_pianist("CAROL")


@pytest.fixture
def carol_client(carol: Enrolment, client_for: Callable[[User], Client]) -> Client:
    family: Family = carol.student.family
    assert family.account is not None
    return client_for(family.account)


@pytest.fixture
def staff_client(client_for: Callable[[User], Client], moissy_staff: User) -> Client:
    return client_for(moissy_staff)


@pytest.fixture
def charlie_client(client_for: Callable[[User], Client], charlie: User) -> Client:
    return client_for(charlie)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) on a free port, for one module's tests."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(s3_endpoint: str, settings: Settings, tmp_path: Path) -> Bucket:
    """A new bucket, made the portal's storage with the production settings' options."""
    return new_bucket(s3_endpoint, settings, tmp_path)
