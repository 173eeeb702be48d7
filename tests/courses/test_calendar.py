"""The private iCalendar feed of a pupil's lessons, and the family's printable timetable."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from icalendar import Calendar

from courses.models import CalendarFeed, Enrolment, Room, Slot, Teacher, Weekday
from extranet.models import SchoolYear
from families.models import Family
from students.models import Student
from tests.courses.helpers import headers, rows
from tests.factories import CourseFactory, EnrolmentFactory, SlotFactory, StudentFactory
from tests.html import attr, find, find_all, page, text

PARIS = ZoneInfo("Europe/Paris")


def renew(client: Client, student: Student):
    return client.post(f"/eleves/{student.pk}/calendrier/renouveler/")


def feed_url(student: Student) -> str:
    return f"/calendrier/{CalendarFeed.objects.get(student=student).token}.ics"


def events(response) -> list:
    calendar = Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


@pytest.fixture
def solfege(slot: Slot, petit: Teacher, alice_student: Student) -> Enrolment:
    fm = SlotFactory(
        course=CourseFactory(site=slot.course.site, name="formation musicale 1.3"),
        teacher=petit,
        room=None,
        school_year=slot.school_year,
        weekday=slot.weekday % 7 + 1,
        start_time=datetime.time(17, 15),
        duration=90,
    )
    return EnrolmentFactory(student=alice_student, slot=fm)


def test_renewing_creates_the_feed_and_shows_its_address(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    response = renew(alice_client, alice_student)

    assert response.status_code == 302
    assert response["Location"] == f"/eleves/{alice_student.pk}/cours/"
    feed = CalendarFeed.objects.get(student=alice_student)
    tab = page(alice_client.get(response["Location"]))
    assert attr(find(tab, "input", id="feed-url"), "value") == (
        f"http://testserver/calendrier/{feed.token}.ics"
    )


def test_the_feed_has_one_weekly_event_per_active_course_of_the_year(
    client: Client,
    alice_client: Client,
    alice_student: Student,
    alice_enrolment: Enrolment,
    solfege: Enrolment,
    last_year: SchoolYear,
) -> None:
    EnrolmentFactory(student=alice_student, slot__site=slot_site(alice_enrolment), active=False)
    EnrolmentFactory(
        student=alice_student, slot__site=slot_site(alice_enrolment), slot__school_year=last_year
    )
    renew(alice_client, alice_student)

    response = client.get(feed_url(alice_student))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = {str(event["SUMMARY"]): event for event in events(response)}
    assert sorted(found) == ["clarinette MOISSY", "formation musicale 1.3"]
    for enrolment, location in [(alice_enrolment, "Salle 12"), (solfege, None)]:
        event = found[enrolment.slot.course.name]
        start = event.decoded("DTSTART")
        assert start.isoweekday() == enrolment.slot.weekday
        assert start.time() == enrolment.lesson_time
        assert start.utcoffset() == start.replace(tzinfo=PARIS).utcoffset()
        assert str(start.tzinfo) == "Europe/Paris"
        assert start.date() == enrolment.slot.lesson_dates()[0]
        end = event.decoded("DTEND")
        assert end - start == datetime.timedelta(minutes=enrolment.lesson_duration)
        assert event["RRULE"]["FREQ"] == ["WEEKLY"]
        until = event["RRULE"]["UNTIL"][0]
        assert until.astimezone(PARIS).date() == enrolment.slot.lesson_dates()[-1]
        assert (str(event["LOCATION"]) if "LOCATION" in event else None) == location


def slot_site(enrolment: Enrolment):
    return enrolment.slot.course.site


def test_the_feed_starts_at_the_pupils_own_start_date(
    client: Client, alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    dates = alice_enrolment.slot.lesson_dates()
    alice_enrolment.start_date = dates[3] - datetime.timedelta(days=1)
    alice_enrolment.save()
    renew(alice_client, alice_student)

    [event] = events(client.get(feed_url(alice_student)))

    assert event.decoded("DTSTART").date() == dates[3]


def test_renewing_revokes_the_old_address(
    client: Client, alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    renew(alice_client, alice_student)
    old = feed_url(alice_student)
    assert client.get(old).status_code == 200

    renew(alice_client, alice_student)
    new = feed_url(alice_student)

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_an_unknown_token_is_not_found(client: Client, alice_enrolment: Enrolment) -> None:
    assert client.get("/calendrier/inconnu.ics").status_code == 404


def test_another_family_cannot_renew_the_feed(
    bob_client: Client, alice_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    renew(alice_client, alice_student)
    token = CalendarFeed.objects.get().token

    response = renew(bob_client, alice_student)

    assert response.status_code == 404
    assert CalendarFeed.objects.get().token == token


def test_another_family_cannot_create_a_feed(
    bob_client: Client, alice_student: Student, alice_enrolment: Enrolment
) -> None:
    assert renew(bob_client, alice_student).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_family_timetable_lists_every_childs_lessons_by_day(
    alice_client: Client,
    alice: Family,
    alice_enrolment: Enrolment,
    solfege: Enrolment,
    bob_enrolment: Enrolment,
    petit: Teacher,
    room: Room,
) -> None:
    keera = StudentFactory(family=alice, prenom="Keera", nom="TEST")
    slot = alice_enrolment.slot
    # Lessons are in the order of their time, whether it is a passage time or the slot's.
    early = SlotFactory(
        course=CourseFactory(site=alice.site, name="piano"),
        teacher=petit,
        room=room,
        school_year=slot.school_year,
        weekday=slot.weekday,
        start_time=datetime.time(13, 0),
        duration=45,
    )
    EnrolmentFactory(student=keera, slot=early)
    late = SlotFactory(
        course=CourseFactory(site=alice.site, name="chorale"),
        teacher=petit,
        room=room,
        school_year=slot.school_year,
        weekday=slot.weekday,
        start_time=datetime.time(9, 0),
        duration=60,
    )
    EnrolmentFactory(student=keera, slot=late, passage_time=datetime.time(16, 0))
    orchestra = SlotFactory(
        course=CourseFactory(site=alice.site, name="orchestre"),
        teacher=petit,
        room=room,
        school_year=slot.school_year,
        weekday=slot.weekday,
        start_time=datetime.time(17, 30),
        duration=120,
    )
    EnrolmentFactory(student=alice_enrolment.student, slot=orchestra)

    response = alice_client.get("/famille/emploi-du-temps/")

    assert response.status_code == 200
    sections = find_all(page(response), "section", class_="timetable-day")
    days = {text(find(section, "h2")): section for section in sections}
    weekdays = sorted([slot.weekday, solfege.slot.weekday])
    assert list(days) == [str(Weekday(day).label) for day in weekdays]
    table = find(days[str(Weekday(slot.weekday).label)], "table")
    assert headers(table) == ["Heure", "Durée", "Elève", "Cours", "Enseignant", "Salle"]
    assert rows(table) == [
        {
            "Heure": "13:00",
            "Durée": "00:45",
            "Elève": "Keera TEST",
            "Cours": "piano",
            "Enseignant": "PETIT Jean",
            "Salle": "Salle 12",
        },
        {
            "Heure": "15:00",
            "Durée": "00:30",
            "Elève": "Gaëlle TEST",
            "Cours": "clarinette MOISSY",
            "Enseignant": "DURAND Marie (Moissy)",
            "Salle": "Salle 12",
        },
        {
            "Heure": "16:00",
            "Durée": "01:00",
            "Elève": "Keera TEST",
            "Cours": "chorale",
            "Enseignant": "PETIT Jean",
            "Salle": "Salle 12",
        },
        {
            "Heure": "17:30",
            "Durée": "02:00",
            "Elève": "Gaëlle TEST",
            "Cours": "orchestre",
            "Enseignant": "PETIT Jean",
            "Salle": "Salle 12",
        },
    ]
    [other_day] = rows(find(days[str(Weekday(solfege.slot.weekday).label)], "table"))
    assert (other_day["Heure"], other_day["Cours"]) == ("17:15", "formation musicale 1.3")
    assert "MARTIN" not in text(page(response))


def test_the_timetable_leaves_out_past_years_and_stopped_courses(
    alice_client: Client, alice_student: Student, alice_enrolment: Enrolment, last_year: SchoolYear
) -> None:
    site = slot_site(alice_enrolment)
    EnrolmentFactory(
        student=alice_student, slot__site=site, slot__course__name="harpe", active=False
    )
    EnrolmentFactory(
        student=alice_student,
        slot__site=site,
        slot__course__name="violon",
        slot__school_year=last_year,
    )

    response = alice_client.get("/famille/emploi-du-temps/")

    courses = [row["Cours"] for table in find_all(page(response), "table") for row in rows(table)]
    assert courses == ["clarinette MOISSY"]
