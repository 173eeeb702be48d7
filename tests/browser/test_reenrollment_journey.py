"""Réinscription: a parent re-enrolls Gaëlle with a phone photo and a PDF, the secretariat
accepts the documents and validates the request in the admin, the parent sees it validated.
On a phone, the slot chosen in a "Cours disponible" list can be read in full."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Locator, Page, expect
from pypdf import PdfWriter

from courses.models import Enrolment, Weekday
from extranet.models import SchoolYear
from families.models import Family
from reenrollment.models import Choice, Document, DocumentType, ReenrollmentRequest
from students.models import Student
from tests.browser.conftest import (
    assert_no_horizontal_scroll,
    assert_stacked_cells_aligned,
    check_page,
    log_in,
    log_in_staff,
)
from tests.conftest import make_staff
from tests.factories import (
    CampaignFactory,
    CourseFactory,
    DepartmentFactory,
    DocumentTypeFactory,
    EnrolmentFactory,
    RoomFactory,
    SchoolYearFactory,
    SlotFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.browser

COMMENT = "Gaëlle aimerait essayer l'orchestre à cordes l'an prochain."


def phone_photo(path: Path) -> Path:
    """A JPEG as a phone takes it: portrait, a page of text on a grey table."""
    image = Image.new("RGB", (900, 1200), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 80, 820, 1120), fill=(250, 250, 245))
    for line in range(12):
        draw.line((140, 200 + line * 70, 760, 200 + line * 70), fill=(40, 40, 40), width=6)
    image.save(path, "JPEG", quality=85)
    return path


def insurance_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Attestation d'assurance"})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def run_admin_action(page: Page, action: str) -> None:
    """Select every row of the admin list and run the action."""
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label=action)
    page.get_by_role("button", name="Envoyer").click()


def document_row(page: Page, document_type: DocumentType) -> Locator:
    return page.locator(f"#piece-{document_type.pk}")


def test_a_parent_reenrolls_and_the_secretariat_validates(
    page: Page,
    new_context: Callable[[], BrowserContext],
    family: Family,
    children: list[Student],
    school_year: SchoolYear,
    private_media: Path,
    tmp_path: Path,
    mailoutbox: list[EmailMessage],
) -> None:
    gaelle, _hugo = children
    site = family.site
    next_year = SchoolYearFactory(
        start_date=school_year.start_date.replace(year=school_year.start_date.year + 1)
    )
    piano = CourseFactory(site=site, department=DepartmentFactory(site=site), name="Piano")
    durand = TeacherFactory(site=site, nom="Durand", prenom="Marie")
    room = RoomFactory(site=site, name="Salle 12")
    EnrolmentFactory(
        student=gaelle,
        slot=SlotFactory(course=piano, teacher=durand, room=room, school_year=school_year),
        cycle="Cycle 2",
    )
    monday = SlotFactory(
        course=piano,
        teacher=durand,
        room=room,
        school_year=next_year,
        weekday=Weekday.LUNDI,
        start_time=datetime.time(17, 0),
        capacity=2,
    )
    SlotFactory(
        course=piano,
        teacher=TeacherFactory(site=site, nom="Petit", prenom="Jean"),
        room=room,
        school_year=next_year,
        weekday=Weekday.MERCREDI,
        start_time=datetime.time(15, 0),
        capacity=3,
    )
    campaign = CampaignFactory(site=site, school_year=next_year)
    home = DocumentTypeFactory(
        campaign=campaign, name="Justificatif de domicile", scope=DocumentType.Scope.FAMILY
    )
    insurance = DocumentTypeFactory(
        campaign=campaign,
        name="Assurance responsabilité civile",
        scope=DocumentType.Scope.STUDENT,
    )
    make_staff(site, "secretariat.moissy")

    log_in(page, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Madame TEST FAMILLE")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Elèves").click()
    page.get_by_role("navigation", name="Dossier de l’élève").get_by_role(
        "link", name="Réinscription"
    ).click()

    expect(page).to_have_url(re.compile(rf"/eleves/{gaelle.pk}/reinscription/$"))
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Réinscription {next_year.label}")
    courses = page.get_by_role("table", name="Cours à reconduire")
    expect(courses.locator("tbody tr")).to_have_count(1)
    expect(document_row(page, home).locator("td").nth(5)).to_have_text("A fournir")
    expect(document_row(page, insurance).locator("td").nth(5)).to_have_text("A fournir")
    check_page(page)
    assert_stacked_cells_aligned(page)

    courses.get_by_label("Réinscrire Piano").check()
    slot_list = courses.get_by_label("Cours disponible en Piano")
    expect(slot_list.locator("option")).to_have_text(
        [
            "Choisissez un horaire",
            "Lundi 17:00 · DURAND Marie · 2 places restantes",
            "Mercredi 15:00 · PETIT Jean · 3 places restantes",
        ]
    )
    slot_list.select_option(label="Lundi 17:00 · DURAND Marie · 2 places restantes")
    page.get_by_label("Réinscription administrative").check()

    document_row(page, home).get_by_label("Fichier : Justificatif de domicile").set_input_files(
        phone_photo(tmp_path / "Photo domicile été.jpg")
    )
    document_row(page, home).get_by_role("button", name="Importer").click()

    expect(page.locator(".message-success")).to_have_text(
        "« Photo domicile été.pdf » importé (1 page)."
    )
    expect(document_row(page, home).locator("td").nth(5)).to_have_text("Fourni")
    check_page(page)
    # What was chosen before the upload is still there: it has not been sent yet.
    expect(courses.get_by_label("Réinscrire Piano")).to_be_checked()
    expect(slot_list).to_have_value(str(monday.pk))
    expect(courses.locator(".slot-chosen")).to_have_text(
        "Lundi 17:00 · DURAND Marie · 2 places restantes"
    )
    expect(page.get_by_label("Réinscription administrative")).to_be_checked()

    document_row(page, insurance).get_by_label(
        "Fichier : Assurance responsabilité civile"
    ).set_input_files(insurance_pdf(tmp_path / "attestation RC 2026.pdf"))
    document_row(page, insurance).get_by_role("button", name="Importer").click()

    expect(page.locator(".message-success")).to_have_text(
        "« attestation RC 2026.pdf » importé (1 page)."
    )
    expect(document_row(page, home).locator("td").nth(5)).to_have_text("Fourni")
    expect(document_row(page, insurance).locator("td").nth(5)).to_have_text("Fourni")
    check_page(page)
    assert_stacked_cells_aligned(page)

    page.get_by_label("Information complémentaire").fill(COMMENT)
    page.get_by_label("J'accepte").check()
    page.get_by_role("button", name="Valider").click()

    expect(page.locator(".message-success")).to_contain_text(
        "Votre demande de réinscription est envoyée."
    )
    expect(page.locator(".status-box")).to_contain_text("Votre demande : Envoyée")
    expect(courses.get_by_label("Réinscrire Piano")).to_be_checked()
    expect(slot_list.locator("option:checked")).to_have_text(
        "Lundi 17:00 · DURAND Marie · Place réservée"
    )
    expect(page.get_by_label("Information complémentaire")).to_have_value(COMMENT)
    check_page(page)
    request = ReenrollmentRequest.objects.get(student=gaelle)
    assert (request.status, request.administrative, request.comment) == (
        ReenrollmentRequest.Status.SENT,
        True,
        COMMENT,
    )
    assert [(c.slot, c.state) for c in request.choices.all()] == [(monday, Choice.State.HELD)]
    # The acknowledgment to the family, the notification to the secretariat.
    assert sorted(message.to[0] for message in mailoutbox) == sorted([family.email, site.email])

    # The secretariat, in the admin (Django's own pages: loaded, not audited with axe).
    staff = new_context().new_page()
    log_in_staff(staff, "secretariat.moissy")
    expect(staff).to_have_url(re.compile(r"/admin/$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Secrétariat")
    staff.get_by_role("link", name="Documents fournis").click()

    expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Sélectionnez l’objet document fourni à changer"
    )
    expect(staff.locator("#result_list tbody tr")).to_have_count(2)
    run_admin_action(staff, "Accepter les documents")

    expect(staff.locator(".messagelist")).to_contain_text("Documents acceptés.")
    assert set(Document.objects.values_list("status", flat=True)) == {Document.Status.VALIDATED}
    staff.goto("/admin/")
    staff.get_by_role("link", name="Demandes de réinscription").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Sélectionnez l’objet demande de réinscription à changer"
    )
    expect(staff.locator("#result_list tbody tr")).to_have_count(1)
    run_admin_action(staff, "Valider les demandes (créer les inscriptions)")

    expect(staff.locator(".messagelist")).to_contain_text("1 demande validée.")
    expect(staff.locator("#result_list tbody tr")).to_contain_text("Validée")
    assert Enrolment.objects.filter(student=gaelle, slot=monday).exists()

    page.reload()

    expect(page.locator(".status-box")).to_contain_text("Votre demande : Validée")
    expect(slot_list.locator("option:checked")).to_have_text("Lundi 17:00 · DURAND Marie · Inscrit")
    expect(document_row(page, home).locator("td").nth(5)).to_have_text("Validé")
    expect(document_row(page, insurance).locator("td").nth(5)).to_have_text("Validé")
    check_page(page)


# On a phone the closed "Cours disponible" list shows only the start of the chosen slot:
# "Mercredi 15:00 · LEFEBVRE-DUM…". The full label is written under it.
UNCLIPPED = """(element) => {
    const problems = [];
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) problems.push("it has no size");
    if (box.left < 0 || box.right > window.innerWidth) {
      problems.push(`it spans ${box.left}-${box.right} px in a ${window.innerWidth} px window`);
    }
    if (element.scrollWidth > element.clientWidth) {
      problems.push(`its text is ${element.scrollWidth} px wide in ${element.clientWidth} px`);
    }
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const frame = parent.getBoundingClientRect();
      if (box.left < frame.left || box.right > frame.right
          || parent.scrollWidth > parent.clientWidth) {
        problems.push(`it is cut by <${parent.tagName.toLowerCase()} class="${parent.className}">`);
      }
    }
    return problems;
  }"""
# How wide the label of the chosen option is in the list's font, and how wide the list is.
LABEL_AND_LIST_WIDTHS = """(select) => {
    const context = document.createElement("canvas").getContext("2d");
    context.font = getComputedStyle(select).font;
    const label = select.options[select.selectedIndex].text;
    return [context.measureText(label).width, select.clientWidth];
  }"""


def assert_readable_in_full(page: Page, chosen: Locator, label: str) -> None:
    expect(chosen).to_be_visible()
    expect(chosen).to_have_text(label)
    assert chosen.evaluate(UNCLIPPED) == []
    assert_no_horizontal_scroll(page)


def test_on_a_phone_the_chosen_slot_is_readable_in_full_under_its_list(
    family_page: Page, children: list[Student], school_year: SchoolYear
) -> None:
    page = family_page
    gaelle, _hugo = children
    site = gaelle.family.site
    next_year = SchoolYearFactory(
        start_date=school_year.start_date.replace(year=school_year.start_date.year + 1)
    )
    piano = CourseFactory(site=site, department=DepartmentFactory(site=site), name="Piano")
    teacher = TeacherFactory(site=site, nom="Lefebvre-Dumontier", prenom="Marie-Christine")
    room = RoomFactory(site=site, name="Salle 12")
    EnrolmentFactory(
        student=gaelle, slot=SlotFactory(course=piano, teacher=teacher, school_year=school_year)
    )
    SlotFactory(
        course=piano,
        teacher=teacher,
        room=room,
        school_year=next_year,
        weekday=Weekday.LUNDI,
        start_time=datetime.time(17, 0),
        capacity=3,
    )
    wednesday = SlotFactory(
        course=piano,
        teacher=teacher,
        room=room,
        school_year=next_year,
        weekday=Weekday.MERCREDI,
        start_time=datetime.time(15, 0),
        capacity=1,
    )
    EnrolmentFactory(slot=wednesday, student__family__site=site)  # Full: its waiting list.
    CampaignFactory(site=site, school_year=next_year)
    monday_label = "Lundi 17:00 · LEFEBVRE-DUMONTIER Marie-Christine · 3 places restantes"
    wednesday_label = (
        "Mercredi 15:00 · LEFEBVRE-DUMONTIER Marie-Christine · complet : liste d'attente"
    )

    page.goto(f"/eleves/{gaelle.pk}/reinscription/")

    courses = page.get_by_role("table", name="Cours à reconduire")
    slot_list = courses.get_by_label("Cours disponible en Piano")
    chosen = courses.locator(".slot-chosen")
    expect(slot_list.locator("option:checked")).to_have_text("Choisissez un horaire")
    expect(chosen).to_be_hidden()
    check_page(page)
    assert_stacked_cells_aligned(page)

    courses.get_by_label("Réinscrire Piano").check()
    slot_list.select_option(label=monday_label)

    label_width, list_width = slot_list.evaluate(LABEL_AND_LIST_WIDTHS)
    assert label_width > list_width, "the closed list would show this label in full anyway"
    assert_readable_in_full(page, chosen, monday_label)
    expect(slot_list).to_have_accessible_description(monday_label)
    check_page(page)
    assert_stacked_cells_aligned(page)

    slot_list.select_option(label=wednesday_label)

    assert_readable_in_full(page, chosen, wednesday_label)
    expect(slot_list).to_have_accessible_description(wednesday_label)
    check_page(page)

    slot_list.select_option(label="Choisissez un horaire")

    expect(chosen).to_be_hidden()
    expect(slot_list).to_have_accessible_description("")

    # Sent, the choice comes back from the server with its state, written in full too.
    slot_list.select_option(label=monday_label)
    page.get_by_label("J'accepte").check()
    page.get_by_role("button", name="Valider").click()

    expect(page.locator(".message-success")).to_contain_text(
        "Votre demande de réinscription est envoyée."
    )
    saved_label = "Lundi 17:00 · LEFEBVRE-DUMONTIER Marie-Christine · Place réservée"
    expect(slot_list.locator("option:checked")).to_have_text(saved_label)
    assert_readable_in_full(page, chosen, saved_label)
    expect(slot_list).to_have_accessible_description(saved_label)
    check_page(page)
