"""Suivi: the year's results, lesson times, evaluations and absences of one course."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.test import Client

from courses.models import Absence, Enrolment
from students.models import Student
from tests.courses.helpers import facts, headers, past_lesson, rows, table_with
from tests.factories import AbsenceFactory, EnrolmentFactory, EvaluationFactory
from tests.html import find_all, page, text

EVALUATION_COLUMNS = [
    "Type d'évaluation",
    "Date",
    "Type de critère",
    "Note",
    "Lettre",
    "Mention",
    "Appréciation",
    "Choix",
    "Absent",
    "Motif",
]
ABSENCE_COLUMNS = [
    "Cours",
    "Date de début",
    "Heure de début",
    "Date de fin",
    "Heure de fin",
    "Caractéristique",
    "Justifiée",
    "Absence notifiée",
    "Date de la notification",
    "Type de notification",
]
LONG_APPRECIATION = (
    "Très bon trimestre : le son est plus rond, la lecture progresse.\n"
    "Travailler les gammes chaque jour avant l'audition de décembre."
)


def url(enrolment: Enrolment) -> str:
    return f"/eleves/{enrolment.student_id}/cours/{enrolment.pk}/"


def test_it_shows_the_follow_up_of_the_year(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    alice_enrolment.motif = "Reprise après une année de pause"
    alice_enrolment.moyenne = Decimal("4.86")
    alice_enrolment.moyenne_lettree = "A"
    alice_enrolment.mention = "Très bien"
    alice_enrolment.resultat = "Admis"
    alice_enrolment.admission = "Cycle 2"
    alice_enrolment.save()

    response = alice_client.get(url(alice_enrolment))

    assert response.status_code == 200
    assert facts(response) == {
        "Cycle": "Cycle 1",
        "Horaires aménagés": "Oui",
        "Situation d'activité": "Actif",
        "Motif": "Reprise après une année de pause",
        "Moyenne": "4,86 / 5,00",
        "Moyenne lettrée": "A",
        "Mention": "Très bien",
        "Résultat": "Admis",
        "Admission": "Cycle 2",
    }


def test_a_follow_up_without_results_shows_dashes(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    alice_enrolment.active = False
    alice_enrolment.horaires_amenages = False
    alice_enrolment.save()

    response = alice_client.get(url(alice_enrolment))

    shown = facts(response)
    assert shown["Situation d'activité"] == "Inactif"
    assert shown["Horaires aménagés"] == "Non"
    assert [shown[name] for name in ("Motif", "Moyenne", "Mention", "Résultat")] == ["-"] * 4


def test_it_shows_the_lesson_times_and_dates(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    slot = alice_enrolment.slot
    year = slot.school_year

    response = alice_client.get(url(alice_enrolment))

    assert rows(table_with(response, "Heure de passage")) == [
        {
            "Cours": "clarinette MOISSY",
            "Enseignant": str(slot.teacher),
            "Salle": "Salle 12",
            "Jour": slot.get_weekday_display(),
            "Début": "14:30",
            "Fin": "15:30",
            "Heure de passage": "15:00",
            "Durée": "00:30",
            "Date de début": year.start_date.strftime("%d/%m/%Y"),
            "Date de fin": year.end_date.strftime("%d/%m/%Y"),
        }
    ]


def test_the_lesson_dates_are_the_pupils_own_when_set(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    year = alice_enrolment.slot.school_year
    alice_enrolment.start_date = year.start_date + datetime.timedelta(days=40)
    alice_enrolment.end_date = year.end_date - datetime.timedelta(days=60)
    alice_enrolment.save()

    response = alice_client.get(url(alice_enrolment))

    [row] = rows(table_with(response, "Heure de passage"))
    assert row["Date de début"] == alice_enrolment.start_date.strftime("%d/%m/%Y")
    assert row["Date de fin"] == alice_enrolment.end_date.strftime("%d/%m/%Y")


def test_it_lists_the_evaluations_with_every_column(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    evaluation = EvaluationFactory(
        enrolment=alice_enrolment,
        type_evaluation="Pratique individuelle",
        date=datetime.date(2026, 12, 10),
        type_critere="Contrôle continu",
        note=Decimal("4.5"),
        note_sur=Decimal("5"),
        lettre="B",
        mention="Bien",
        appreciation="Bon travail.",
        choix="Morceau imposé",
        absent=False,
        motif="",
    )

    response = alice_client.get(url(alice_enrolment))

    table = table_with(response, "Type d'évaluation")
    assert headers(table) == EVALUATION_COLUMNS
    assert rows(table) == [
        {
            "Type d'évaluation": "Pratique individuelle",
            "Date": evaluation.date.strftime("%d/%m/%Y"),
            "Type de critère": "Contrôle continu",
            "Note": "4,50/5,00",
            "Lettre": "B",
            "Mention": "Bien",
            "Appréciation": "Bon travail. Bon travail.",
            "Choix": "Morceau imposé",
            "Absent": "Non",
            "Motif": "-",
        }
    ]


def test_an_absent_pupils_evaluation_has_no_note(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    EvaluationFactory(
        enrolment=alice_enrolment, note=None, absent=True, motif="Malade", appreciation=""
    )

    response = alice_client.get(url(alice_enrolment))

    [row] = rows(table_with(response, "Type d'évaluation"))
    assert (row["Note"], row["Absent"], row["Motif"], row["Appréciation"]) == (
        "-",
        "Oui",
        "Malade",
        "-",
    )


def test_each_appraisal_is_shown_in_full_in_a_details(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    EvaluationFactory(enrolment=alice_enrolment, appreciation=LONG_APPRECIATION)

    response = alice_client.get(url(alice_enrolment))

    [details] = find_all(table_with(response, "Type d'évaluation"), "details")
    [summary] = find_all(details, "summary")
    [full] = find_all(details, "p")
    assert text(full) == " ".join(LONG_APPRECIATION.split())
    assert find_all(full, "br")
    assert len(text(summary)) <= 30
    assert LONG_APPRECIATION.startswith(text(summary).rstrip("…"))


def test_it_lists_the_newest_evaluation_first(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    last = datetime.date(2026, 11, 20)
    for days, kind in [(30, "Audition"), (0, "Examen"), (10, "Contrôle")]:
        EvaluationFactory(
            enrolment=alice_enrolment,
            type_evaluation=kind,
            date=last - datetime.timedelta(days=days),
        )

    response = alice_client.get(url(alice_enrolment))

    table = table_with(response, "Type d'évaluation")
    assert [row["Type d'évaluation"] for row in rows(table)] == ["Examen", "Contrôle", "Audition"]


def test_it_shows_only_this_courses_evaluations_and_absences(
    alice_client: Client, alice_enrolment: Enrolment, bob_enrolment: Enrolment
) -> None:
    other = EnrolmentFactory(
        student=alice_enrolment.student, slot__site=alice_enrolment.slot.course.site
    )
    EvaluationFactory(enrolment=other, type_evaluation="Évaluation du cours voisin")
    EvaluationFactory(enrolment=bob_enrolment, type_evaluation="Évaluation de Léo")
    AbsenceFactory(enrolment=bob_enrolment, date=past_lesson(bob_enrolment.slot))

    response = alice_client.get(url(alice_enrolment))

    content = text(page(response))
    assert "Aucune évaluation pour l'instant." in content
    assert "Aucune absence." in content
    assert "Évaluation du cours voisin" not in content
    assert "Évaluation de Léo" not in content


def test_it_lists_the_absences_with_every_column(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    day = past_lesson(alice_enrolment.slot)
    AbsenceFactory(
        enrolment=alice_enrolment,
        date=day,
        caracteristique="Absence non prévenue",
        justified=False,
        notified=True,
        notification_date=day,
        notification_type=Absence.NotificationType.EMAIL,
    )

    response = alice_client.get(url(alice_enrolment))

    table = table_with(response, "Absence notifiée")
    assert headers(table) == ABSENCE_COLUMNS
    assert rows(table) == [
        {
            "Cours": "clarinette MOISSY",
            "Date de début": day.strftime("%d/%m/%Y"),
            "Heure de début": "15:00",
            "Date de fin": day.strftime("%d/%m/%Y"),
            "Heure de fin": "15:30",
            "Caractéristique": "Absence non prévenue",
            "Justifiée": "Non",
            "Absence notifiée": "Oui",
            "Date de la notification": day.strftime("%d/%m/%Y"),
            "Type de notification": "E-mail",
        }
    ]


def test_a_lateness_is_marked_in_the_absences(
    alice_client: Client, alice_enrolment: Enrolment
) -> None:
    AbsenceFactory(
        enrolment=alice_enrolment,
        date=past_lesson(alice_enrolment.slot),
        kind=Absence.Kind.LATE,
        justified=True,
    )

    response = alice_client.get(url(alice_enrolment))

    [row] = rows(table_with(response, "Absence notifiée"))
    assert row["Cours"] == "clarinette MOISSY (retard)"
    assert row["Justifiée"] == "Oui"
    assert (row["Absence notifiée"], row["Date de la notification"]) == ("Non", "-")


def test_the_current_years_follow_up_offers_to_tell_an_absence(
    alice_client: Client, alice_enrolment: Enrolment, alice_student: Student
) -> None:
    response = alice_client.get(url(alice_enrolment))

    content = page(response)
    assert find_all(content, "section", **{"aria-labelledby": "signaler"})
    assert find_all(content, "select", name="date")
    assert "consultation seulement" not in text(content)
