"""Cours and Suivi: a parent reads the follow-up and tells of an absence; a teacher takes the
roll and evaluates the class, and the pupil's parent then sees both on the Suivi."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.mail import EmailMessage
from django.utils import formats, timezone
from playwright.sync_api import BrowserContext, Locator, Page, expect

from courses import services
from courses.models import Absence, AbsenceReason, Evaluation, Slot, Weekday
from extranet.models import SchoolYear, Site
from families.models import Family
from students.models import Student
from tests.browser.conftest import assert_stacked_cells_aligned, check_page, log_in
from tests.courses.helpers import coming_lesson, past_lesson
from tests.factories import (
    CourseFactory,
    DepartmentFactory,
    EnrolmentFactory,
    EvaluationFactory,
    FamilyFactory,
    RoomFactory,
    SlotFactory,
    StudentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.browser

# Longer than the 30 characters the Evaluations table shows before "Lire la suite".
APPRAISAL = (
    "Très bon trimestre : le son est plus rond et la lecture progresse. "
    "Travailler les gammes de fa majeur chaque jour."
)


def clarinet_slot(site: Site, school_year: SchoolYear) -> Slot:
    """The clarinet class of Marie DURAND (identifiant marie.durand), on yesterday's weekday:
    the school year has both a past lesson (yesterday) and a coming one (in six days), since
    the factories' school year reaches four weeks on either side of today."""
    teacher = TeacherFactory(
        site=site, nom="Durand", prenom="Marie", label="(Moissy)", account__username="marie.durand"
    )
    return SlotFactory(
        course=CourseFactory(site=site, department=DepartmentFactory(site=site), name="Clarinette"),
        teacher=teacher,
        room=RoomFactory(site=site, name="Salle 12"),
        school_year=school_year,
        weekday=(timezone.localdate() - datetime.timedelta(days=1)).isoweekday(),
        start_time=datetime.time(14, 30),
        duration=60,
    )


def long_date(day: datetime.date) -> str:
    """As the date lists show it: "lundi 30 novembre 2026"."""
    return formats.date_format(day, "l j F Y")


def open_courses_tab(page: Page) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Elèves").click()
    page.get_by_role("navigation", name="Dossier de l’élève").get_by_role(
        "link", name="Cours", exact=True
    ).click()


def row_with(table: Locator, text: str) -> Locator:
    return table.locator("tbody tr").filter(has_text=text)


def test_a_parent_searches_the_courses_reads_an_appraisal_and_tells_of_an_absence(
    page: Page, family: Family, children: list[Student], school_year: SchoolYear
) -> None:
    gaelle, _hugo = children
    slot = clarinet_slot(family.site, school_year)
    clarinet = EnrolmentFactory(
        student=gaelle,
        slot=slot,
        cycle="Cycle 1",
        passage_time=datetime.time(15, 0),
        passage_duration=30,
    )
    EnrolmentFactory(
        student=gaelle,
        slot=SlotFactory(
            site=family.site,
            course__name="Formation musicale",
            course__collective=True,
            teacher__nom="Petit",
            teacher__prenom="Jean",
            room__name="Auditorium",
            school_year=school_year,
            weekday=Weekday.SAMEDI,
            start_time=datetime.time(10, 0),
            duration=60,
        ),
        cycle="Cycle 1",
    )
    EvaluationFactory(
        enrolment=clarinet,
        date=past_lesson(slot),
        note=Decimal("4.00"),
        appreciation=APPRAISAL,
    )
    coming = coming_lesson(slot)

    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
    open_courses_tab(page)

    expect(page).to_have_url(re.compile(rf"/eleves/{gaelle.pk}/cours/$"))
    expect(page.get_by_role("heading", level=2).first).to_have_text(f"Cours {school_year.label}")
    table = page.get_by_role("table", name="Cours de l'élève")
    expect(table.locator("thead th")).to_have_text(
        ["Cours", "Ha", "Enseignant", "Cycle", "Salle", "Jour", "Heure de passage", "Durée"]
    )
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(row_with(table, "Clarinette").locator("td")).to_have_text(
        [
            "Clarinette",
            "Non",
            "DURAND Marie (Moissy)",
            "Cycle 1",
            "Salle 12",
            str(Weekday(slot.weekday).label),
            "15:00",
            "00:30",
        ]
    )
    check_page(page)

    page.get_by_label("Recherche").fill("clarinette")
    page.get_by_role("button", name="Rechercher").click()

    expect(page).to_have_url(re.compile(r"\?q=clarinette$"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.get_by_role("link")).to_have_text(["Clarinette"])
    expect(page.get_by_role("link", name="Tout afficher")).to_be_visible()
    check_page(page)

    table.get_by_role("link", name="Clarinette").click()

    expect(page).to_have_url(re.compile(rf"/eleves/{gaelle.pk}/cours/{clarinet.pk}/$"))
    expect(page.get_by_role("heading", level=2)).to_have_text(
        f"TEST Gaëlle - Clarinette ({school_year.label})"
    )
    evaluation = page.locator("details")
    full_text = evaluation.locator("p")
    expect(evaluation.locator("summary")).to_have_text(APPRAISAL[:29] + "…")
    expect(full_text).to_be_hidden()
    check_page(page)

    evaluation.locator("summary").click()

    expect(full_text).to_be_visible()
    expect(full_text).to_have_text(APPRAISAL)
    check_page(page)

    declaration = page.get_by_role("region", name="Prévenir d'une absence ou la justifier")
    declaration.get_by_label("Date du cours").select_option(label=long_date(coming))
    declaration.get_by_label("Motif").select_option(label="Maladie")
    declaration.get_by_label("Commentaire").fill(
        "Gaëlle a la grippe, elle reprend la semaine suivante."
    )
    declaration.get_by_role("button", name="Envoyer").click()

    expect(page.locator(".message-success")).to_have_text(
        "Merci : le conservatoire et l'enseignant sont prévenus de l'absence."
    )
    absences = page.locator("#absences + .table-wrap table")
    absence_row = row_with(absences, coming.strftime("%d/%m/%Y"))
    expect(absence_row).to_have_count(1)
    expect(absence_row).to_contain_text("Signalée par la famille")
    expect(absence_row).to_contain_text("Motif donné : Maladie · Justification à examiner")
    check_page(page)
    assert_stacked_cells_aligned(page)
    absence = Absence.objects.get(enrolment=clarinet)
    assert (absence.date, absence.source, absence.family_reason) == (
        coming,
        Absence.Source.FAMILY,
        AbsenceReason.MALADIE,
    )
    assert absence.justification == Absence.Justification.PENDING


def test_the_teacher_takes_the_roll_and_evaluates_and_the_parent_sees_both(
    new_context: Callable[[], BrowserContext],
    family: Family,
    children: list[Student],
    school_year: SchoolYear,
    mailoutbox: list[EmailMessage],
) -> None:
    gaelle, _hugo = children
    slot = clarinet_slot(family.site, school_year)
    gaelle_enrolment = EnrolmentFactory(student=gaelle, slot=slot, cycle="Cycle 1")
    martin = FamilyFactory(
        site=family.site,
        account__username="paul.martin",
        civilite="Monsieur",
        nom="MARTIN",
        prenom="Paul",
    )
    leo = StudentFactory(family=martin, civilite="Monsieur", nom="MARTIN", prenom="Léo")
    leo_enrolment = EnrolmentFactory(student=leo, slot=slot, cycle="Cycle 2")
    past, coming = past_lesson(slot), coming_lesson(slot)
    services.absence_declare(
        enrolment=gaelle_enrolment,
        school_year=school_year,
        date=coming,
        reason=AbsenceReason.MEDICAL,
        comment="Rendez-vous chez l'orthodontiste.",
    )
    weekday = str(Weekday(slot.weekday).label)

    teacher = new_context().new_page()
    log_in(teacher, "marie.durand", access="enseignant")

    expect(teacher).to_have_url(re.compile(r"/enseignant/$"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Bonjour Marie")
    expect(teacher.get_by_role("heading", level=2)).to_have_text(
        f"Ma semaine ({school_year.label})"
    )
    expect(teacher.get_by_role("heading", level=3)).to_have_text(weekday)
    check_page(teacher)
    teacher.get_by_role("link", name="Faire l'appel").click()

    expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Clarinette · {weekday} 14:30")
    expect(teacher.get_by_role("heading", level=2)).to_have_text(f"Appel du {long_date(past)}")
    check_page(teacher)
    teacher.get_by_label("Date du cours").select_option(label=long_date(coming))
    teacher.get_by_role("button", name="Afficher").click()

    expect(teacher.get_by_role("heading", level=2)).to_have_text(f"Appel du {long_date(coming)}")
    expect(teacher.locator(".notice")).to_contain_text("Ce cours n'a pas encore eu lieu")
    gaelle_row = teacher.locator(".roll-row").filter(has_text="TEST Gaëlle")
    expect(gaelle_row.locator(".badge")).to_have_text(
        "Signalée par la famille : Rendez-vous médical « Rendez-vous chez l'orthodontiste. »"
        " · Justification à examiner"
    )
    expect(gaelle_row.get_by_label("Absent", exact=True)).to_be_checked()
    expect(teacher.get_by_role("button", name="Enregistrer l'appel")).to_have_count(0)
    check_page(teacher)

    teacher.get_by_label("Date du cours").select_option(label=long_date(past))
    teacher.get_by_role("button", name="Afficher").click()
    expect(teacher.get_by_role("heading", level=2)).to_have_text(f"Appel du {long_date(past)}")
    leo_group = teacher.get_by_role("group", name=re.compile(r"^MARTIN Léo"))
    expect(leo_group.get_by_label("Présent")).to_be_checked()
    leo_group.get_by_label("Absent", exact=True).check()
    teacher.get_by_role("button", name="Enregistrer l'appel").click()

    expect(teacher.locator(".message-success")).to_have_text(
        f"Appel du {past:%d/%m/%Y} enregistré : 1 absence ou retard."
    )
    expect(teacher).to_have_url(re.compile(rf"\?date={past.isoformat()}$"))
    expect(leo_group.get_by_label("Absent", exact=True)).to_be_checked()
    check_page(teacher)
    assert [message.to for message in mailoutbox] == [[martin.email]]

    teacher.get_by_role("link", name="Évaluer la classe").click()

    expect(teacher.get_by_role("heading", level=1)).to_have_text(
        f"Évaluer la classe : Clarinette · {weekday} 14:30"
    )
    check_page(teacher)
    teacher.get_by_label("Note de MARTIN Léo").fill("4,5")
    teacher.get_by_label("Appréciation de MARTIN Léo").fill(APPRAISAL)
    teacher.get_by_role("button", name="Enregistrer les évaluations").click()

    expect(teacher.locator(".message-success")).to_have_text("1 évaluation enregistrée.")
    expect(teacher).to_have_url(re.compile(rf"/enseignant/creneaux/{slot.pk}/$"))
    check_page(teacher)
    evaluation = Evaluation.objects.get()
    assert (evaluation.enrolment, evaluation.note, evaluation.note_sur) == (
        leo_enrolment,
        Decimal("4.50"),
        Decimal("5.00"),
    )

    parent = new_context().new_page()
    log_in(parent, "paul.martin")
    expect(parent.get_by_role("heading", level=1)).to_have_text("Bonjour Monsieur MARTIN Paul")
    check_page(parent)
    open_courses_tab(parent)
    expect(parent).to_have_url(re.compile(rf"/eleves/{leo.pk}/cours/$"))
    check_page(parent)
    parent.get_by_role("table", name="Cours de l'élève").get_by_role(
        "link", name="Clarinette"
    ).click()

    expect(parent.get_by_role("heading", level=2)).to_have_text(
        f"MARTIN Léo - Clarinette ({school_year.label})"
    )
    absences = parent.locator("#absences + .table-wrap table")
    expect(absences.locator("tbody tr")).to_have_count(1)
    absence = absences.locator("tbody tr td")
    expect(absence).to_have_text(
        [
            "Clarinette",
            past.strftime("%d/%m/%Y"),
            "14:30",
            past.strftime("%d/%m/%Y"),
            "15:30",
            "-",
            "Non",
            "Oui",
            timezone.localdate().strftime("%d/%m/%Y"),
            "E-mail",
        ]
    )
    evaluations = parent.locator("#evaluations + .table-wrap table")
    expect(evaluations.locator("tbody tr")).to_have_count(1)
    expect(evaluations.locator("tbody td").nth(3)).to_have_text("4,50/5,00")
    check_page(parent)
    assert_stacked_cells_aligned(parent)
    evaluations.locator("summary").click()
    expect(evaluations.locator("details p")).to_have_text(APPRAISAL)
    check_page(parent)
