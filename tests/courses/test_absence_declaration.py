"""A parent tells the conservatory about an absence from the Suivi, or justifies one the
teacher recorded; the secretariat accepts or refuses the justification in the admin."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from courses import services
from courses.models import Absence, AbsenceReason, Enrolment
from extranet.models import SchoolYear
from tests.courses.helpers import coming_lesson, not_a_lesson, past_lesson, rows, table_with
from tests.factories import AbsenceFactory
from tests.html import attr, find, find_all, messages_of, page, text

THANKS = "Merci : le conservatoire et l'enseignant sont prévenus de l'absence."


def url(enrolment: Enrolment) -> str:
    return f"/eleves/{enrolment.student_id}/cours/{enrolment.pk}/"


def declare(client: Client, enrolment: Enrolment, day: datetime.date | str, **data: str):
    data.setdefault("reason", AbsenceReason.MALADIE)
    data.setdefault("comment", "")
    date = day.isoformat() if isinstance(day, datetime.date) else day
    return client.post(url(enrolment), {"date": date, **data})


def error_summary(response) -> str:
    return text(find(page(response), "div", class_="error-summary"))


def offered_dates(response) -> dict[str, list[str]]:
    select = find(page(response), "select", name="date")
    return {
        attr(group, "label") or "": [
            attr(option, "value") or "" for option in find_all(group, "option")
        ]
        for group in find_all(select, "optgroup")
    }


def test_a_parent_tells_about_a_coming_absence(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    day = coming_lesson(alice_enrolment.slot)

    response = declare(
        alice_client,
        alice_enrolment,
        day,
        reason="medical",
        comment="  Rendez-vous chez le dentiste ",
    )

    assert response.status_code == 302
    assert response["Location"] == url(alice_enrolment)
    absence = Absence.objects.get()
    assert absence.enrolment == alice_enrolment
    assert (absence.date, absence.end_date) == (day, day)
    assert (absence.start_time, absence.end_time) == (datetime.time(15, 0), datetime.time(15, 30))
    assert absence.source == Absence.Source.FAMILY
    assert absence.justification == Absence.Justification.PENDING
    assert absence.family_reason == AbsenceReason.MEDICAL
    assert absence.family_comment == "Rendez-vous chez le dentiste"
    assert absence.family_declared_at is not None
    assert absence.justified is False
    assert absence.recorded_by is None


def test_after_telling_the_parent_sees_a_thank_you_and_the_absence(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    day = coming_lesson(alice_enrolment.slot)

    response = alice_client.post(
        url(alice_enrolment), {"date": day.isoformat(), "reason": "famille"}, follow=True
    )

    assert messages_of(page(response)) == [THANKS]
    [row] = rows(table_with(response, "Absence notifiée"))
    assert row["Date de début"] == day.strftime("%d/%m/%Y")
    assert "Motif donné : Événement familial · Justification à examiner" in row["Caractéristique"]
    assert row["Justifiée"] == "Non"


def test_the_form_offers_coming_lessons_and_absences_to_justify(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    slot = alice_enrolment.slot
    recorded = AbsenceFactory(enrolment=alice_enrolment, date=past_lesson(slot))
    # Already justified, or waiting for the secretariat: nothing more to tell.
    week = datetime.timedelta(weeks=1)
    AbsenceFactory(enrolment=alice_enrolment, date=recorded.date - week, justified=True)
    AbsenceFactory(
        enrolment=alice_enrolment,
        date=recorded.date - 2 * week,
        justification=Absence.Justification.PENDING,
    )
    today = timezone.localdate()
    coming = [d.isoformat() for d in slot.lesson_dates() if d >= today][:10]

    response = alice_client.get(url(alice_enrolment))

    assert offered_dates(response) == {
        "Cours à venir": coming,
        "Absences à justifier": [recorded.date.isoformat()],
    }


def test_a_parent_justifies_an_absence_the_teacher_recorded(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    recorded = AbsenceFactory(enrolment=alice_enrolment, date=past_lesson(alice_enrolment.slot))

    response = declare(
        alice_client, alice_enrolment, recorded.date, reason="transport", comment="RER en panne"
    )

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.source == Absence.Source.TEACHER
    assert recorded.family_reason == AbsenceReason.TRANSPORT
    assert recorded.family_comment == "RER en panne"
    assert recorded.justification == Absence.Justification.PENDING
    assert recorded.justified is False
    assert Absence.objects.count() == 1


def test_a_date_without_lesson_is_refused(alice_client: Client, alice_enrolment: Enrolment) -> None:
    response = declare(alice_client, alice_enrolment, not_a_lesson(alice_enrolment.slot))

    assert response.status_code == 200
    assert "Date du cours : Sélectionnez un choix valide." in error_summary(response)
    assert not Absence.objects.exists()


def test_a_past_lesson_without_recorded_absence_is_refused(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    response = declare(alice_client, alice_enrolment, past_lesson(alice_enrolment.slot))

    assert response.status_code == 200
    assert "Date du cours : Sélectionnez un choix valide." in error_summary(response)
    assert not Absence.objects.exists()


def test_an_unknown_reason_is_refused(alice_client: Client, alice_enrolment: Enrolment) -> None:
    response = declare(
        alice_client, alice_enrolment, coming_lesson(alice_enrolment.slot), reason="vacances"
    )

    assert response.status_code == 200
    assert "Motif : Sélectionnez un choix valide." in error_summary(response)
    assert not Absence.objects.exists()


def test_a_missing_reason_is_refused(alice_client: Client, alice_enrolment: Enrolment) -> None:
    response = declare(
        alice_client, alice_enrolment, coming_lesson(alice_enrolment.slot), reason=""
    )

    assert "Motif : Ce champ est obligatoire." in error_summary(response)
    assert not Absence.objects.exists()


def test_an_accepted_justification_cannot_be_told_again(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    day = coming_lesson(alice_enrolment.slot)
    absence = AbsenceFactory(
        enrolment=alice_enrolment,
        date=day,
        source=Absence.Source.FAMILY,
        recorded_by=None,
        family_reason=AbsenceReason.MALADIE,
        justification=Absence.Justification.ACCEPTED,
        justified=True,
    )

    response = declare(alice_client, alice_enrolment, day, reason="autre", comment="Autre chose")

    assert response.status_code == 200
    assert "Cette absence est déjà justifiée." in error_summary(response)
    absence.refresh_from_db()
    assert (absence.family_reason, absence.justification) == ("maladie", "accepted")


# The service refuses the same things with its own words, whatever form calls it.


@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (not_a_lesson, "maladie", "Il n'y a pas de cours ce jour-là."),
        (
            past_lesson,
            "maladie",
            "Aucune absence n'a été relevée ce jour-là : il n'y a rien à justifier.",
        ),
        (coming_lesson, "vacances", "Choisissez un motif dans la liste."),
    ],
)
def test_the_service_refuses_with_a_french_message(
    alice_enrolment: Enrolment, current_year: SchoolYear, day, reason: str, message: str
) -> None:
    with pytest.raises(services.CoursesError) as refusal:
        services.absence_declare(
            enrolment=alice_enrolment,
            school_year=current_year,
            date=day(alice_enrolment.slot),
            reason=reason,
            comment="",
        )

    assert str(refusal.value.message) == message
    assert not Absence.objects.exists()


def test_the_service_refuses_an_already_accepted_past_absence(
    alice_enrolment: Enrolment, current_year: SchoolYear
) -> None:
    absence = AbsenceFactory(
        enrolment=alice_enrolment,
        date=past_lesson(alice_enrolment.slot),
        justification=Absence.Justification.ACCEPTED,
        justified=True,
    )

    with pytest.raises(services.CoursesError, match="Cette absence est déjà justifiée."):
        services.absence_declare(
            enrolment=alice_enrolment,
            school_year=current_year,
            date=absence.date,
            reason="maladie",
            comment="",
        )


def test_the_teachers_roster_shows_the_familys_declaration(
    alice_client: Client, durand_client: Client, alice_enrolment: Enrolment
) -> None:
    day = coming_lesson(alice_enrolment.slot)
    declare(alice_client, alice_enrolment, day, reason="scolaire", comment="Sortie au musée")

    response = durand_client.get(
        f"/enseignant/creneaux/{alice_enrolment.slot_id}/", {"date": day.isoformat()}
    )

    assert response.status_code == 200
    [badge] = find_all(page(response), "p", class_="badge")
    assert text(badge) == (
        "Signalée par la famille : Activité ou examen scolaire « Sortie au musée » · "
        "Justification à examiner"
    )
    absent = find(page(response), "input", name=f"status_{alice_enrolment.pk}", value="absent")
    assert attr(absent, "checked") is not None


def admin_action(client: Client, action: str, *absences: Absence):
    return client.post(
        "/admin/courses/absence/",
        {"action": action, "_selected_action": [a.pk for a in absences], "index": "0"},
    )


def test_the_secretariat_accepts_a_justification(
    alice_client: Client, staff_client: Client, alice_enrolment: Enrolment
) -> None:
    recorded = AbsenceFactory(enrolment=alice_enrolment, date=past_lesson(alice_enrolment.slot))
    declare(alice_client, alice_enrolment, recorded.date, reason="maladie")
    before = rows(table_with(alice_client.get(url(alice_enrolment)), "Absence notifiée"))

    response = admin_action(staff_client, "accept_justification", recorded)

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.justified is True
    assert recorded.justification == Absence.Justification.ACCEPTED
    after = rows(table_with(alice_client.get(url(alice_enrolment)), "Absence notifiée"))
    assert [row["Justifiée"] for row in before] == ["Non"]
    assert [row["Justifiée"] for row in after] == ["Oui"]
    assert "Justification acceptée" in after[0]["Caractéristique"]


def test_the_secretariat_refuses_a_justification(
    alice_client: Client, staff_client: Client, alice_enrolment: Enrolment
) -> None:
    recorded = AbsenceFactory(
        enrolment=alice_enrolment,
        date=past_lesson(alice_enrolment.slot),
        justified=True,
        justification=Absence.Justification.PENDING,
        family_reason=AbsenceReason.AUTRE,
    )

    response = admin_action(staff_client, "refuse_justification", recorded)

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.justified is False
    assert recorded.justification == Absence.Justification.REFUSED
    [row] = rows(table_with(alice_client.get(url(alice_enrolment)), "Absence notifiée"))
    assert row["Justifiée"] == "Non"
    assert "Justification refusée" in row["Caractéristique"]


def test_a_refused_justification_can_be_given_again(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    recorded = AbsenceFactory(
        enrolment=alice_enrolment,
        date=past_lesson(alice_enrolment.slot),
        justification=Absence.Justification.REFUSED,
        family_reason=AbsenceReason.AUTRE,
    )

    response = declare(alice_client, alice_enrolment, recorded.date, reason="maladie")

    assert response.status_code == 302
    recorded.refresh_from_db()
    assert (recorded.family_reason, recorded.justification) == ("maladie", "pending")


def test_staff_of_another_site_cannot_accept_a_justification(
    charlie_client: Client, alice_enrolment: Enrolment
) -> None:
    recorded = AbsenceFactory(
        enrolment=alice_enrolment,
        date=past_lesson(alice_enrolment.slot),
        justification=Absence.Justification.PENDING,
    )

    admin_action(charlie_client, "accept_justification", recorded)

    recorded.refresh_from_db()
    assert (recorded.justified, recorded.justification) == (False, "pending")
