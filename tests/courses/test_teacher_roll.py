"""Accès enseignant: the teacher's week, a slot's roster and the roll call of a lesson."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from courses.models import Absence, Enrolment, Slot, Teacher, Weekday
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student
from tests.courses.helpers import coming_lesson, past_lesson, rows, table_with
from tests.factories import (
    AbsenceFactory,
    CourseFactory,
    EnrolmentFactory,
    SlotFactory,
    StudentFactory,
)
from tests.html import attr, find, find_all, messages_of, page, text


def roll_url(slot: Slot) -> str:
    return f"/enseignant/creneaux/{slot.pk}/"


def roll_call(
    client: Client, slot: Slot, day: datetime.date, statuses: dict[Enrolment, str], **extra: Any
):
    data: dict[str, Any] = {"date": day.isoformat()}
    for enrolment, status in statuses.items():
        data[f"status_{enrolment.pk}"] = status.removesuffix("+justified")
        if status.endswith("+justified"):
            data[f"justified_{enrolment.pk}"] = "on"
    data.update(extra)
    return client.post(roll_url(slot), data)


@pytest.fixture
def carla(alice: Family, slot: Slot) -> Enrolment:
    """A third pupil of the slot, from alice's family too."""
    student = StudentFactory(family=alice, prenom="Carla", nom="TEST")
    return EnrolmentFactory(student=student, slot=slot)


# The week -------------------------------------------------------------------------------


def test_the_teacher_sees_the_week_slots_by_day(
    durand_client: Client,
    durand: Teacher,
    slot: Slot,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
    current_year: SchoolYear,
    last_year: SchoolYear,
    petit: Teacher,
) -> None:
    EnrolmentFactory(slot=slot, student__family__site=slot.course.site, active=False)
    other_day = slot.weekday % 7 + 1
    fm = SlotFactory(
        course=CourseFactory(site=slot.course.site, name="formation musicale 2"),
        teacher=durand,
        room=None,
        school_year=current_year,
        weekday=other_day,
        start_time=datetime.time(10, 0),
        duration=60,
    )
    EnrolmentFactory(slot=fm, student=bob_enrolment.student)
    SlotFactory(site=slot.course.site, teacher=durand, school_year=last_year, course__name="ancien")
    SlotFactory(
        site=slot.course.site, teacher=petit, school_year=current_year, course__name="autre"
    )

    response = durand_client.get("/enseignant/")

    assert response.status_code == 200
    content = page(response)
    assert text(find(content, "h1")) == "Bonjour Marie"
    sections = find_all(content, "section", class_="week-day")
    days = {text(find(section, "h3")): section for section in sections}
    assert list(days) == [str(Weekday(d).label) for d in sorted([slot.weekday, other_day])]
    cards = {
        label: [text(li) for li in find_all(section, "li", class_="card")]
        for label, section in days.items()
    }
    assert cards[str(Weekday(slot.weekday).label)] == [
        "14:30–15:30 · clarinette MOISSY Salle : Salle 12 · 2 élèves Faire l'appel Évaluer la classe"
    ]
    assert cards[str(Weekday(other_day).label)] == [
        "10:00–11:00 · formation musicale 2 Salle : - · 1 élève Faire l'appel Évaluer la classe"
    ]
    links = {attr(a, "href") for a in find_all(content, "a")}
    assert {
        f"/enseignant/creneaux/{slot.pk}/",
        f"/enseignant/creneaux/{fm.pk}/evaluations/",
    } <= links
    assert "ancien" not in text(content)
    assert "autre" not in text(content)


# The roster -----------------------------------------------------------------------------


def test_the_roll_defaults_to_the_last_lesson_up_to_today(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    today = timezone.localdate()
    last = [d for d in slot.lesson_dates() if d <= today][-1]

    response = durand_client.get(roll_url(slot))

    assert response.status_code == 200
    content = page(response)
    options = find_all(find(content, "select", id="date"), "option")
    assert [attr(o, "value") for o in options] == [d.isoformat() for d in slot.lesson_dates()]
    assert [attr(o, "value") for o in options if attr(o, "selected") is not None] == [
        last.isoformat()
    ]
    assert attr(find(content, "input", type="hidden", name="date"), "value") == last.isoformat()
    legends = [text(legend) for legend in find_all(content, "legend")]
    assert legends == [
        "MARTIN Léo (passage 14:30) · fiche MARTIN Léo",
        "TEST Gaëlle (passage 15:00) · fiche TEST Gaëlle",
    ]
    assert find_all(content, "button", type="submit", class_="btn")


def test_the_roll_lists_only_active_pupils(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    bob_enrolment.active = False
    bob_enrolment.save()

    response = durand_client.get(roll_url(slot))

    assert [text(legend).split(" (")[0] for legend in find_all(page(response), "legend")] == [
        "TEST Gaëlle"
    ]


def test_a_coming_lesson_shows_the_roster_without_a_roll_call_button(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = coming_lesson(slot)

    response = durand_client.get(roll_url(slot), {"date": day.isoformat()})

    assert response.status_code == 200
    assert "Ce cours n'a pas encore eu lieu" in text(page(response))
    assert [
        text(b) for b in find_all(page(response), "button") if text(b) == "Enregistrer l'appel"
    ] == []


# The roll call --------------------------------------------------------------------------


def test_the_roll_call_records_absent_and_late_pupils(
    durand_client: Client,
    durand: Teacher,
    slot: Slot,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
    carla: Enrolment,
) -> None:
    day = past_lesson(slot)

    response = roll_call(
        durand_client,
        slot,
        day,
        {alice_enrolment: "absent", bob_enrolment: "late+justified", carla: "present"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{roll_url(slot)}?date={day.isoformat()}"
    absences = {a.enrolment: a for a in Absence.objects.all()}
    assert set(absences) == {alice_enrolment, bob_enrolment}
    alice = absences[alice_enrolment]
    assert (alice.kind, alice.justified, alice.date, alice.end_date) == ("absent", False, day, day)
    assert (alice.start_time, alice.end_time) == (datetime.time(15, 0), datetime.time(15, 30))
    assert (alice.source, alice.recorded_by) == (Absence.Source.TEACHER, durand)
    bob = absences[bob_enrolment]
    assert (bob.kind, bob.justified) == ("late", True)
    assert (bob.start_time, bob.end_time) == (datetime.time(14, 30), datetime.time(15, 30))


def test_the_roll_call_confirms_and_shows_the_recorded_statuses(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)

    response = durand_client.post(
        roll_url(slot),
        {
            "date": day.isoformat(),
            f"status_{alice_enrolment.pk}": "absent",
            f"status_{bob_enrolment.pk}": "late",
            f"justified_{bob_enrolment.pk}": "on",
        },
        follow=True,
    )

    content = page(response)
    assert messages_of(content) == [
        f"Appel du {day.strftime('%d/%m/%Y')} enregistré : 2 absences ou retards."
    ]
    checked = {
        attr(radio, "name"): attr(radio, "value")
        for radio in find_all(content, "input", type="radio")
        if attr(radio, "checked") is not None
    }
    assert checked == {
        f"status_{alice_enrolment.pk}": "absent",
        f"status_{bob_enrolment.pk}": "late",
    }
    box = find(content, "input", name=f"justified_{bob_enrolment.pk}")
    assert attr(box, "checked") is not None


def test_marking_a_pupil_present_deletes_the_absence(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    roll_call(durand_client, slot, day, {alice_enrolment: "absent", bob_enrolment: "absent"})

    roll_call(durand_client, slot, day, {alice_enrolment: "present", bob_enrolment: "absent"})

    assert list(Absence.objects.values_list("enrolment", flat=True)) == [bob_enrolment.pk]


def test_the_roll_call_only_touches_its_date(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    earlier = AbsenceFactory(enrolment=alice_enrolment, date=day - datetime.timedelta(weeks=1))

    roll_call(durand_client, slot, day, {alice_enrolment: "present"})

    assert list(Absence.objects.all()) == [earlier]


def test_a_double_submission_does_not_duplicate_rows(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    statuses = {alice_enrolment: "absent", bob_enrolment: "late"}

    first = roll_call(durand_client, slot, day, statuses)
    second = roll_call(durand_client, slot, day, statuses)

    assert (first.status_code, second.status_code) == (302, 302)
    assert Absence.objects.count() == 2


def test_a_roll_call_for_a_coming_lesson_is_refused(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    response = roll_call(durand_client, slot, coming_lesson(slot), {alice_enrolment: "absent"})

    assert response.status_code == 200
    summary = text(find(page(response), "div", class_="error-summary"))
    assert "L'appel d'un cours à venir ne peut pas encore être fait." in summary
    assert not Absence.objects.exists()


def test_a_family_declaration_is_kept_when_the_teacher_confirms_the_absence(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    told = AbsenceFactory(
        enrolment=alice_enrolment,
        date=day,
        source=Absence.Source.FAMILY,
        recorded_by=None,
        family_reason="maladie",
        justification=Absence.Justification.PENDING,
    )

    roll_call(durand_client, slot, day, {alice_enrolment: "absent"})

    told.refresh_from_db()
    assert (told.source, told.family_reason, told.justification) == ("family", "maladie", "pending")
    assert told.recorded_by == slot.teacher


# Emails to the family -------------------------------------------------------------------


def test_a_new_unjustified_absence_emails_the_family_once(
    durand_client: Client,
    slot: Slot,
    alice: Family,
    alice_enrolment: Enrolment,
    django_capture_on_commit_callbacks,
) -> None:
    day = past_lesson(slot)

    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, day, {alice_enrolment: "absent"})
    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, day, {alice_enrolment: "absent"})

    assert len(mail.outbox) == 1
    [email] = mail.outbox
    assert email.to == [alice.email]
    assert email.subject == f"Absence de Gaëlle le {day.strftime('%d/%m/%Y')}"
    assert (
        f"Gaëlle a été noté(e) absent(e) au cours de clarinette MOISSY du "
        f"{day.strftime('%d/%m/%Y')} à 15:00."
    ) in email.body
    assert f"http://testserver/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/" in (
        email.body
    )
    absence = Absence.objects.get()
    assert (absence.notified, absence.notification_date) == (True, timezone.localdate())
    assert absence.notification_type == Absence.NotificationType.EMAIL


def test_the_email_goes_to_each_absent_pupils_family(
    durand_client: Client,
    slot: Slot,
    alice: Family,
    bob: Family,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        roll_call(
            durand_client,
            slot,
            past_lesson(slot),
            {alice_enrolment: "absent", bob_enrolment: "absent"},
        )

    assert sorted(email.to[0] for email in mail.outbox) == sorted([alice.email, bob.email])


def test_no_email_when_the_site_does_not_want_it(
    durand_client: Client,
    moissy: Site,
    slot: Slot,
    alice_enrolment: Enrolment,
    django_capture_on_commit_callbacks,
) -> None:
    moissy.notify_unjustified_absences = False
    moissy.save()

    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, past_lesson(slot), {alice_enrolment: "absent"})

    assert mail.outbox == []
    assert Absence.objects.get().notified is False


@pytest.mark.parametrize("status", ["absent+justified", "late"])
def test_no_email_for_a_justified_absence_or_a_lateness(
    durand_client: Client,
    slot: Slot,
    alice_enrolment: Enrolment,
    status: str,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, past_lesson(slot), {alice_enrolment: status})

    assert Absence.objects.count() == 1
    assert mail.outbox == []


def test_no_email_when_the_family_already_told(
    durand_client: Client,
    alice_client: Client,
    slot: Slot,
    alice_enrolment: Enrolment,
    django_capture_on_commit_callbacks,
) -> None:
    day = coming_lesson(slot)
    alice_client.post(
        f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/",
        {"date": day.isoformat(), "reason": "maladie"},
    )
    assert Absence.objects.get().justification == Absence.Justification.PENDING
    told = Absence.objects.get()
    told.date = told.end_date = past_lesson(slot)
    told.save()

    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, told.date, {alice_enrolment: "absent"})

    assert mail.outbox == []


def test_no_email_for_a_family_without_address(
    durand_client: Client,
    slot: Slot,
    moissy: Site,
    django_capture_on_commit_callbacks,
) -> None:
    student: Student = StudentFactory(
        family__site=moissy, family__email="", family__account__email=""
    )
    enrolment = EnrolmentFactory(student=student, slot=slot)

    with django_capture_on_commit_callbacks(execute=True):
        response = roll_call(durand_client, slot, past_lesson(slot), {enrolment: "absent"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_the_family_sees_the_recorded_absence_on_its_suivi(
    durand_client: Client,
    alice_client: Client,
    slot: Slot,
    alice_enrolment: Enrolment,
    django_capture_on_commit_callbacks,
) -> None:
    day = past_lesson(slot)
    with django_capture_on_commit_callbacks(execute=True):
        roll_call(durand_client, slot, day, {alice_enrolment: "absent"})

    response = alice_client.get(f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/")

    [row] = rows(table_with(response, "Absence notifiée"))
    assert (row["Date de début"], row["Heure de début"], row["Justifiée"]) == (
        day.strftime("%d/%m/%Y"),
        "15:00",
        "Non",
    )
    assert (row["Absence notifiée"], row["Type de notification"]) == ("Oui", "E-mail")
    assert row["Date de la notification"] == timezone.localdate().strftime("%d/%m/%Y")


def test_unticking_justified_makes_the_absence_unjustified_again(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    roll_call(durand_client, slot, day, {alice_enrolment: "absent+justified"})

    roll_call(durand_client, slot, day, {alice_enrolment: "absent"})

    assert Absence.objects.get().justified is False


def test_a_justification_the_secretariat_accepted_stays_justified(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(slot)
    AbsenceFactory(
        enrolment=alice_enrolment,
        date=day,
        justified=True,
        justification=Absence.Justification.ACCEPTED,
    )

    roll_call(durand_client, slot, day, {alice_enrolment: "absent"})

    absence = Absence.objects.get()
    assert (absence.justified, absence.justification) == (True, "accepted")
