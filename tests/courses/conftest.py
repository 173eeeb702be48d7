"""Courses around the standing users: a clarinet slot of Moissy this school year, taught by
Marie DURAND (who logs in to the "Accès enseignant"), with alice's daughter enrolled.

The slot meets on yesterday's weekday, so that the current school year has both a past lesson
(yesterday) and a coming one (in six days) on any day the suite runs: the factories' school
year under way reaches four weeks before and after today (tests/factories.py), even on
1 September or 31 August.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import Course, Department, Enrolment, Room, Slot, Teacher
from extranet.models import SchoolYear, Site, User
from students.models import Student
from tests.factories import (
    CourseFactory,
    DepartmentFactory,
    EnrolmentFactory,
    RoomFactory,
    SchoolYearFactory,
    SlotFactory,
    TeacherFactory,
)


def year_before(year: SchoolYear, years: int = 1) -> SchoolYear:
    start = year.start_date.replace(year=year.start_date.year - years)
    return SchoolYearFactory(start_date=start)


@pytest.fixture
def current_year(school_year: SchoolYear) -> SchoolYear:
    today = timezone.localdate()
    assert school_year.start_date <= today <= school_year.end_date
    assert SchoolYear.current() == school_year
    return school_year


@pytest.fixture
def last_year(current_year: SchoolYear) -> SchoolYear:
    return year_before(current_year)


@pytest.fixture
def two_years_ago(current_year: SchoolYear) -> SchoolYear:
    return year_before(current_year, 2)


@pytest.fixture
def lesson_weekday() -> int:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoweekday()


@pytest.fixture
def music(moissy: Site) -> Department:
    return DepartmentFactory(site=moissy, name="Musique")


@pytest.fixture
def durand(moissy: Site) -> Teacher:
    return TeacherFactory(
        site=moissy,
        nom="Durand",
        prenom="Marie",
        label="(Moissy)",
        account__username="marie.durand",
    )


@pytest.fixture
def petit(moissy: Site) -> Teacher:
    """Another teacher of the same site."""
    return TeacherFactory(site=moissy, nom="Petit", prenom="Jean", account__username="jean.petit")


@pytest.fixture
def room(moissy: Site) -> Room:
    return RoomFactory(site=moissy, name="Salle 12")


@pytest.fixture
def clarinet(moissy: Site, music: Department) -> Course:
    return CourseFactory(site=moissy, department=music, name="clarinette MOISSY")


@pytest.fixture
def slot(
    clarinet: Course, durand: Teacher, room: Room, current_year: SchoolYear, lesson_weekday: int
) -> Slot:
    return SlotFactory(
        course=clarinet,
        teacher=durand,
        room=room,
        school_year=current_year,
        weekday=lesson_weekday,
        start_time=datetime.time(14, 30),
        duration=60,
    )


@pytest.fixture
def alice_enrolment(alice_student: Student, slot: Slot) -> Enrolment:
    return EnrolmentFactory(
        student=alice_student,
        slot=slot,
        cycle="Cycle 1",
        horaires_amenages=True,
        passage_time=datetime.time(15, 0),
        passage_duration=30,
    )


@pytest.fixture
def bob_enrolment(bob_student: Student, slot: Slot) -> Enrolment:
    return EnrolmentFactory(student=bob_student, slot=slot, cycle="Cycle 2")


@pytest.fixture
def durand_client(client_for: Callable[[User], Client], durand: Teacher) -> Client:
    assert durand.account is not None
    return client_for(durand.account)


@pytest.fixture
def petit_client(client_for: Callable[[User], Client], petit: Teacher) -> Client:
    assert petit.account is not None
    return client_for(petit.account)


@pytest.fixture
def staff_client(client_for: Callable[[User], Client], moissy_staff: User) -> Client:
    return client_for(moissy_staff)


@pytest.fixture
def charlie_client(client_for: Callable[[User], Client], charlie: User) -> Client:
    return client_for(charlie)
