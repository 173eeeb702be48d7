"""Who sees what: a teacher only their own slots of this year, a family only its children,
anonymous visitors the login page, a secretariat only its site's data in the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from courses.models import (
    Absence,
    CalendarFeed,
    Cursus,
    Enrolment,
    Evaluation,
    RepertoireEntry,
    Slot,
)
from extranet.models import SchoolYear, User
from tests.courses.helpers import past_lesson
from tests.factories import AbsenceFactory, EnrolmentFactory, EvaluationFactory, SlotFactory


def teacher_pages(slot: Slot, enrolment: Enrolment) -> list[str]:
    return [
        f"/enseignant/creneaux/{slot.pk}/",
        f"/enseignant/creneaux/{slot.pk}/evaluations/",
        f"/enseignant/eleves/{enrolment.pk}/",
    ]


def family_pages(enrolment: Enrolment) -> list[str]:
    pk = enrolment.student_id
    return [
        f"/eleves/{pk}/cours/",
        f"/eleves/{pk}/cours/{enrolment.pk}/",
        f"/eleves/{pk}/historique/",
        f"/eleves/{pk}/historique/{enrolment.pk}/",
        f"/eleves/{pk}/repertoire/",
    ]


@pytest.fixture
def last_years_slot(durand, clarinet, last_year: SchoolYear, alice_student) -> Enrolment:
    """Durand taught alice's daughter last year too."""
    slot = SlotFactory(course=clarinet, teacher=durand, room=None, school_year=last_year)
    return EnrolmentFactory(student=alice_student, slot=slot)


# Teachers ------------------------------------------------------------------------------


def test_the_slots_own_teacher_reaches_every_page(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    for path in ["/enseignant/", *teacher_pages(slot, alice_enrolment)]:
        assert durand_client.get(path).status_code == 200, path


def test_another_teacher_cannot_see_the_slot_or_the_pupil(
    petit_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    assert petit_client.get("/enseignant/").status_code == 200
    for path in teacher_pages(slot, alice_enrolment):
        assert petit_client.get(path).status_code == 404, path


def test_another_teacher_cannot_post_to_the_slot_or_the_pupil(
    petit_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(slot).isoformat()
    pk = alice_enrolment.pk
    posts = [
        (f"/enseignant/creneaux/{slot.pk}/", {"date": day, f"status_{pk}": "absent"}),
        (
            f"/enseignant/creneaux/{slot.pk}/evaluations/",
            {"type_evaluation": "x", "date": day, "note_sur": "5", f"note_{pk}": "1"},
        ),
        (
            f"/enseignant/eleves/{pk}/",
            {
                "action": "evaluation",
                "type_evaluation": "x",
                "date": day,
                "note_sur": "5",
                f"note_{pk}": "1",
            },
        ),
        (f"/enseignant/eleves/{pk}/", {"action": "results", "moyenne": "0", "moyenne_sur": "5"}),
        (
            f"/enseignant/eleves/{pk}/",
            {"action": "repertoire", "composer": "x", "title": "x", "status": "en_cours"},
        ),
    ]

    for path, data in posts:
        assert petit_client.post(path, data).status_code == 404, path

    assert not Absence.objects.exists()
    assert not Evaluation.objects.exists()
    assert not RepertoireEntry.objects.exists()
    alice_enrolment.refresh_from_db()
    assert alice_enrolment.moyenne is None


def test_a_teacher_cannot_see_a_past_years_slot(
    durand_client: Client, last_years_slot: Enrolment
) -> None:
    for path in teacher_pages(last_years_slot.slot, last_years_slot):
        assert durand_client.get(path).status_code == 404, path


def test_a_teacher_cannot_post_to_a_past_years_slot(
    durand_client: Client, last_years_slot: Enrolment
) -> None:
    slot = last_years_slot.slot
    day = slot.lesson_dates()[3].isoformat()
    pk = last_years_slot.pk

    responses = [
        durand_client.post(
            f"/enseignant/creneaux/{slot.pk}/", {"date": day, f"status_{pk}": "absent"}
        ),
        durand_client.post(
            f"/enseignant/creneaux/{slot.pk}/evaluations/",
            {"type_evaluation": "x", "date": day, "note_sur": "5", f"note_{pk}": "1"},
        ),
        durand_client.post(
            f"/enseignant/eleves/{pk}/", {"action": "results", "moyenne": "1", "moyenne_sur": "5"}
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert not Absence.objects.exists()
    assert not Evaluation.objects.exists()
    last_years_slot.refresh_from_db()
    assert last_years_slot.moyenne is None


def test_the_class_evaluations_ignore_a_pupil_of_another_slot(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, petit
) -> None:
    """The rows of the class form are its roster: another slot's pupil is ignored."""
    elsewhere = EnrolmentFactory(
        student=alice_enrolment.student,
        slot=SlotFactory(site=slot.course.site, teacher=petit, school_year=slot.school_year),
    )

    durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/evaluations/",
        {
            "type_evaluation": "x",
            "date": "2026-12-01",
            "note_sur": "5",
            f"note_{elsewhere.pk}": "1",
        },
    )

    assert not Evaluation.objects.exists()


# Families ------------------------------------------------------------------------------


def test_a_family_cannot_reach_the_teacher_pages(
    alice_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    for path in ["/enseignant/", *teacher_pages(slot, alice_enrolment)]:
        assert alice_client.get(path).status_code == 404, path
    response = alice_client.post(
        f"/enseignant/creneaux/{slot.pk}/",
        {"date": past_lesson(slot).isoformat(), f"status_{alice_enrolment.pk}": "absent"},
    )
    assert response.status_code == 404
    assert not Absence.objects.exists()


def test_the_secretariat_has_no_teacher_pages(
    staff_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    for path in ["/enseignant/", *teacher_pages(slot, alice_enrolment)]:
        assert staff_client.get(path).status_code == 404, path


def test_a_teacher_account_without_a_teacher_record_gets_404(
    client_for, teacher: User, slot: Slot
) -> None:
    assert client_for(teacher).get("/enseignant/").status_code == 404


def test_a_family_reaches_its_own_pages(alice_client: Client, alice_enrolment: Enrolment) -> None:
    for path in family_pages(alice_enrolment):
        assert alice_client.get(path).status_code == 200, path


def test_another_family_cannot_see_the_pupils_pages(
    bob_client: Client, alice_enrolment: Enrolment, last_years_slot: Enrolment
) -> None:
    for path in [*family_pages(alice_enrolment), *family_pages(last_years_slot)]:
        assert bob_client.get(path).status_code == 404, path


def test_another_family_cannot_declare_an_absence(
    bob_client: Client, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(alice_enrolment.slot)
    absence = AbsenceFactory(enrolment=alice_enrolment, date=day)

    response = bob_client.post(
        f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/",
        {"date": day.isoformat(), "reason": "maladie"},
    )

    assert response.status_code == 404
    absence.refresh_from_db()
    assert (absence.family_reason, absence.justification) == ("", "")


def test_a_family_cannot_reach_another_childs_enrolment_through_its_own_child(
    alice_client: Client, alice_student, bob_enrolment: Enrolment
) -> None:
    for kind in ("cours", "historique"):
        path = f"/eleves/{alice_student.pk}/{kind}/{bob_enrolment.pk}/"
        assert alice_client.get(path).status_code == 404, path


def test_another_family_cannot_renew_the_calendar(
    bob_client: Client, alice_enrolment: Enrolment
) -> None:
    response = bob_client.post(f"/eleves/{alice_enrolment.student_id}/calendrier/renouveler/")

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


# Anonymous visitors ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(
    client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    paths = [
        *family_pages(alice_enrolment),
        "/famille/emploi-du-temps/",
        "/enseignant/",
        *teacher_pages(slot, alice_enrolment),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/?next="), path


def test_anonymous_visitors_cannot_renew_a_calendar(
    client: Client, alice_enrolment: Enrolment
) -> None:
    response = client.post(f"/eleves/{alice_enrolment.student_id}/calendrier/renouveler/")

    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()


# The admin -------------------------------------------------------------------------------


@pytest.fixture
def moissy_courses_data(alice_enrolment: Enrolment) -> Enrolment:
    EvaluationFactory(enrolment=alice_enrolment, type_evaluation="Examen de Moissy")
    AbsenceFactory(enrolment=alice_enrolment, date=past_lesson(alice_enrolment.slot))
    return alice_enrolment


@pytest.mark.parametrize("model", ["slot", "enrolment", "absence", "evaluation"])
def test_staff_of_another_site_cannot_see_moissys_courses_in_the_admin(
    charlie_client: Client, staff_client: Client, moissy_courses_data: Enrolment, model: str
) -> None:
    path = f"/admin/courses/{model}/"
    own = staff_client.get(path)
    other = charlie_client.get(path)

    assert (own.status_code, other.status_code) == (200, 200)
    assert own.context["cl"].result_count == 1
    assert other.context["cl"].result_count == 0
    for secret in ("clarinette MOISSY", "TEST Gaëlle", "DURAND", "Examen de Moissy"):
        assert secret not in other.content.decode(), secret
    assert "clarinette MOISSY" in own.content.decode()


@pytest.mark.parametrize("model", ["slot", "course", "cursus"])
def test_the_admin_filters_offer_only_the_sites_departments(
    charlie_client: Client, staff_client: Client, alice_enrolment: Enrolment, music, model: str
) -> None:
    music.name = "Musiques actuelles de Moissy"
    music.save()
    Cursus.objects.create(site=music.site, department=music, name="Parcours personnalisé")
    path = f"/admin/courses/{model}/"

    own = staff_client.get(path).content.decode()
    other = charlie_client.get(path).content.decode()

    assert "Musiques actuelles de Moissy" in own
    assert "Musiques actuelles de Moissy" not in other
