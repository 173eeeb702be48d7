"""A pupil's weekly lessons as an iCalendar feed (RFC 5545), through the icalendar library."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from courses.models import Enrolment
from students.models import Student


def student_calendar(student: Student, enrolments: list[Enrolment]) -> bytes:
    tz = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", "-//Tutti//Portail des conservatoires//FR")
    calendar.add("version", "2.0")
    account = student.family.account
    # The calendar app asks without a session: name the calendar in the family's language.
    with translation.override(account.language if account else settings.LANGUAGE_CODE):
        name = _("%(name)s : cours") % {"name": f"{student.prenom} {student.nom.upper()}"}
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for enrolment in enrolments:
        slot = enrolment.slot
        dates = slot.lesson_dates()
        if enrolment.start_date:
            dates = [d for d in dates if d >= enrolment.start_date]
        if enrolment.end_date:
            dates = [d for d in dates if d <= enrolment.end_date]
        if not dates:
            continue
        start = datetime.datetime.combine(dates[0], enrolment.lesson_time, tzinfo=tz)
        event = Event()
        event.add("uid", f"enrolment-{enrolment.pk}@tutti")
        event.add("summary", slot.course.name)
        event.add("dtstart", start)
        event.add("dtend", start + datetime.timedelta(minutes=enrolment.lesson_duration))
        event.add("dtstamp", datetime.datetime.now(tz=datetime.UTC))
        last = datetime.datetime.combine(dates[-1], datetime.time(23, 59), tzinfo=tz)
        event.add("rrule", {"freq": "weekly", "until": last.astimezone(datetime.UTC)})
        if slot.room:
            event.add("location", slot.room.name)
        event.add("description", f"{slot.teacher}")
        calendar.add_component(event)
    return calendar.to_ical()
