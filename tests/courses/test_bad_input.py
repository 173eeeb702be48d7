"""Whatever the browser sends, the courses pages answer with a page, a 404 or a form error,
never a server error."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from courses.models import Absence, Enrolment, Evaluation, RepertoireEntry, Slot
from extranet.models import SchoolYear
from tests.courses.helpers import coming_lesson, past_lesson

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "date", ["hier", "2026-02-30", "2026-13-01", "31/12/2026", "\x00", "9999-12-31", "0001-01-01"]
)
def test_the_roll_refuses_a_garbage_date_with_404(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, date: str
) -> None:
    url = f"/enseignant/creneaux/{slot.pk}/"

    assert durand_client.get(url, {"date": date}).status_code == 404
    assert durand_client.post(url, {"date": date}).status_code == 404


def test_the_roll_refuses_a_date_that_is_not_a_lesson_of_the_slot(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, last_year: SchoolYear
) -> None:
    url = f"/enseignant/creneaux/{slot.pk}/"
    other_day = past_lesson(slot) - datetime.timedelta(days=1)
    last_years = past_lesson(slot) - datetime.timedelta(weeks=52)
    assert slot.school_year.start_date > last_years

    for day in (other_day, last_years):
        data = {"date": day.isoformat(), f"status_{alice_enrolment.pk}": "absent"}
        assert durand_client.get(url, {"date": day.isoformat()}).status_code == 404
        assert durand_client.post(url, data).status_code == 404

    assert not Absence.objects.exists()


@pytest.mark.parametrize("status", ["", "absente", "present ", "1"])
def test_the_roll_refuses_an_unknown_status(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, status: str
) -> None:
    response = durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/",
        {"date": past_lesson(slot).isoformat(), f"status_{alice_enrolment.pk}": status},
    )

    assert response.status_code == 200
    assert not Absence.objects.exists()


def test_the_roll_ignores_pupils_outside_the_roster(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment
) -> None:
    response = durand_client.post(
        f"/enseignant/creneaux/{slot.pk}/",
        {
            "date": past_lesson(slot).isoformat(),
            f"status_{alice_enrolment.pk}": "present",
            "status_999999": "absent",
            f"status_{HUGE}": "absent",
        },
    )

    assert response.status_code == 302
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/enseignant/creneaux/999999/",
        f"/enseignant/creneaux/{HUGE}/",
        "/enseignant/creneaux/999999/evaluations/",
        f"/enseignant/creneaux/{HUGE}/evaluations/",
        "/enseignant/eleves/999999/",
        f"/enseignant/eleves/{HUGE}/",
    ],
)
def test_unknown_teacher_ids_are_not_found(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, path: str
) -> None:
    assert durand_client.get(path).status_code == 404
    assert durand_client.post(path, {"action": "results"}).status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"note_sur": "cinq"},
        {"note_sur": ""},
        {"note_sur": "1e3"},
        {"note_sur": HUGE},
        {"date": "hier"},
        {"date": "2026-02-30"},
        {"type_evaluation": "x" * 500},
        {"note": "NaN"},
        {"note": "Infinity"},
        {"note": "4,5,6"},
        {"note": HUGE},
        {"note": "\x00"},
        {"appreciation": "a\x00b"},
    ],
)
def test_the_class_evaluations_refuse_bad_values(
    durand_client: Client, slot: Slot, alice_enrolment: Enrolment, changes: dict[str, str]
) -> None:
    data = {"type_evaluation": "Contrôle", "date": "2026-11-18", "note_sur": "5", "note": "4"}
    data.update(changes)
    pk = alice_enrolment.pk
    for name in ("note", "appreciation"):
        if name in data:
            data[f"{name}_{pk}"] = data.pop(name)

    response = durand_client.post(f"/enseignant/creneaux/{slot.pk}/evaluations/", data)

    assert response.status_code == 200
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "nimporte"},
        {"action": ""},
        {"action": "results", "moyenne": "x", "moyenne_sur": "5"},
        {"action": "results", "moyenne": HUGE, "moyenne_sur": "5"},
        {"action": "results"},
        {"action": "evaluation"},
        {"action": "repertoire"},
        {"action": "repertoire", "composer": "a", "title": "b", "status": "parfait"},
    ],
)
def test_the_pupil_page_survives_bad_posts(
    durand_client: Client, alice_enrolment: Enrolment, data: dict[str, str]
) -> None:
    response = durand_client.post(f"/enseignant/eleves/{alice_enrolment.pk}/", data)

    assert response.status_code == 200
    assert not Evaluation.objects.exists()
    assert not RepertoireEntry.objects.exists()
    alice_enrolment.refresh_from_db()
    assert alice_enrolment.moyenne is None


@pytest.mark.parametrize("entry", ["", "abc", "-1", "999999", HUGE, "1.5"])
def test_removing_an_unknown_piece_is_not_found(
    durand_client: Client, alice_enrolment: Enrolment, entry: str
) -> None:
    response = durand_client.post(
        f"/enseignant/eleves/{alice_enrolment.pk}/", {"action": "repertoire_delete", "entry": entry}
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {"date": "hier", "reason": "maladie"},
        {"date": "2026-02-30", "reason": "maladie"},
        {"date": "\x00", "reason": "maladie"},
        {"date": "", "reason": ""},
        {"reason": "maladie"},
        {},
        {"date": "NEXT", "reason": "maladie", "comment": "x" * 5000},
        {"date": "NEXT", "reason": "maladie", "comment": "a\x00b"},
    ],
)
def test_the_absence_form_refuses_bad_values(
    alice_client: Client, alice_enrolment: Enrolment, data: dict
) -> None:
    if data.get("date") == "NEXT":
        data = {**data, "date": coming_lesson(alice_enrolment.slot).isoformat()}

    response = alice_client.post(
        f"/eleves/{alice_enrolment.student_id}/cours/{alice_enrolment.pk}/", data
    )

    assert response.status_code == 200
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/eleves/999999/cours/",
        f"/eleves/{HUGE}/cours/",
        "/eleves/{pk}/cours/999999/",
        "/eleves/{pk}/cours/" + HUGE + "/",
        "/eleves/999999/historique/",
        "/eleves/{pk}/historique/999999/",
        "/eleves/{pk}/historique/" + HUGE + "/",
        f"/eleves/{HUGE}/repertoire/",
        "/calendrier/inconnu.ics",
        "/calendrier/%00.ics",
        "/calendrier/" + "x" * 300 + ".ics",
    ],
)
def test_unknown_family_ids_are_not_found(
    alice_client: Client, alice_enrolment: Enrolment, path: str
) -> None:
    assert alice_client.get(path.format(pk=alice_enrolment.student_id)).status_code == 404


def test_renewing_an_unknown_pupils_calendar_is_not_found(alice_client: Client) -> None:
    assert alice_client.post(f"/eleves/{HUGE}/calendrier/renouveler/").status_code == 404


@pytest.mark.parametrize("query", ["%", "_", "\x00", "<script>", "x" * 2000, "é" * 10])
def test_the_search_box_takes_any_text(
    alice_client: Client, alice_enrolment: Enrolment, query: str
) -> None:
    for tab in ("cours", "historique"):
        response = alice_client.get(f"/eleves/{alice_enrolment.student_id}/{tab}/", {"q": query})
        assert response.status_code == 200
        assert "<script>" not in response.content.decode().split("</header>")[1]
