"""Courses in the audit log: the secretariat's decisions on absence justifications, and what
teachers record about pupils (roll calls, evaluations, end-of-year results)."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from courses.models import Absence, AbsenceReason, Enrolment, Evaluation, Slot, Teacher
from extranet.audit import Action
from extranet.models import AuditEntry, Site, User
from tests.courses.helpers import past_lesson
from tests.factories import AbsenceFactory


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def pending_absence(enrolment: Enrolment) -> Absence:
    return AbsenceFactory(
        enrolment=enrolment,
        date=past_lesson(enrolment.slot),
        justification=Absence.Justification.PENDING,
        family_reason=AbsenceReason.MALADIE,
    )


def decide(client: Client, action: str, absence: Absence) -> None:
    client.post(
        "/admin/courses/absence/",
        {"action": action, "_selected_action": [absence.pk], "index": "0"},
    )


def test_a_justification_the_secretariat_accepts_is_logged(
    staff_client: Client, moissy_staff: User, moissy: Site, alice_enrolment: Enrolment
) -> None:
    absence = pending_absence(alice_enrolment)

    decide(staff_client, "accept_justification", absence)

    [entry] = entries(Action.ABSENCE_ACCEPTED)
    assert (entry.actor, entry.site, entry.object_type, entry.object_id) == (
        moissy_staff,
        moissy,
        "courses.absence",
        str(absence.pk),
    )
    assert entry.details == {"reason": "Maladie"}


def test_a_justification_the_secretariat_refuses_is_logged(
    staff_client: Client, moissy_staff: User, alice_enrolment: Enrolment
) -> None:
    absence = pending_absence(alice_enrolment)

    decide(staff_client, "refuse_justification", absence)

    [entry] = entries(Action.ABSENCE_REFUSED)
    assert (entry.actor, entry.object_id) == (moissy_staff, str(absence.pk))


def test_staff_of_another_site_decide_nothing_and_log_nothing(
    charlie_client: Client, alice_enrolment: Enrolment
) -> None:
    decide(charlie_client, "accept_justification", pending_absence(alice_enrolment))

    assert not AuditEntry.objects.filter(action__startswith="absence.").exists()


def test_a_roll_call_is_logged_once_with_its_counts(
    durand_client: Client,
    durand: Teacher,
    moissy: Site,
    slot: Slot,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
) -> None:
    day = past_lesson(slot)

    response = durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/",
        {
            "date": day.isoformat(),
            f"status_{alice_enrolment.pk}": "absent",
            f"status_{bob_enrolment.pk}": "late",
        },
    )

    assert response.status_code == 302
    [entry] = entries(Action.ATTENDANCE_RECORDED)
    assert (entry.actor, entry.site, entry.object_type, entry.object_id) == (
        durand.account,
        moissy,
        "courses.slot",
        str(slot.pk),
    )
    assert entry.details == {"date": day.isoformat(), "pupils": 2, "absent": 1, "late": 1}


def test_a_refused_roll_call_is_not_logged(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    coming = timezone.localdate() + datetime.timedelta(days=7)

    durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/",
        {"date": coming.isoformat(), f"status_{alice_enrolment.pk}": "absent"},
    )

    assert not entries(Action.ATTENDANCE_RECORDED)


def test_a_class_evaluation_is_logged_once_for_the_slot(
    durand_client: Client,
    durand: Teacher,
    slot: Slot,
    alice_enrolment: Enrolment,
    bob_enrolment: Enrolment,
) -> None:
    response = durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/evaluations/",
        {
            "type_evaluation": "Audition de Noël",
            "date": "2026-12-12",
            "type_critere": "Examen",
            "note_sur": "5",
            f"note_{alice_enrolment.pk}": "4",
            f"note_{bob_enrolment.pk}": "3",
        },
    )

    assert response.status_code == 302
    assert Evaluation.objects.count() == 2
    [entry] = entries(Action.EVALUATIONS_RECORDED)
    assert (entry.actor, entry.object_type, entry.object_id) == (
        durand.account,
        "courses.slot",
        str(slot.pk),
    )
    assert entry.details == {
        "type_evaluation": "Audition de Noël",
        "date": "2026-12-12",
        "count": 2,
    }


def test_a_refused_evaluation_is_not_logged(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/evaluations/",
        {
            "type_evaluation": "Audition de Noël",
            "date": "2026-12-12",
            "type_critere": "Examen",
            "note_sur": "5",
            f"note_{alice_enrolment.pk}": "7",
        },
    )

    assert not Evaluation.objects.exists()
    assert not entries(Action.EVALUATIONS_RECORDED)


def test_results_are_logged_with_the_fields_changed_only(
    durand_client: Client, durand: Teacher, alice_enrolment: Enrolment
) -> None:
    results = {
        "action": "results",
        "moyenne": "4,86",
        "moyenne_sur": "5",
        "moyenne_lettree": "A",
        "mention": "Très bien",
        "resultat": "Admis",
        "admission": "Cycle 2",
    }
    url = f"/enseignant/eleves/{alice_enrolment.pk}/"

    durand_client.post(url, results)
    durand_client.post(url, results)  # The same again: nothing changes, nothing is logged.
    durand_client.post(url, {**results, "mention": "Bien"})

    first, second = entries(Action.RESULTS_UPDATED)
    assert (first.actor, first.object_type, first.object_id) == (
        durand.account,
        "courses.enrolment",
        str(alice_enrolment.pk),
    )
    # moyenne_sur was already 5, its default.
    assert first.details == {
        "fields": ["moyenne", "moyenne_lettree", "mention", "resultat", "admission"]
    }
    assert second.details == {"fields": ["mention"]}
