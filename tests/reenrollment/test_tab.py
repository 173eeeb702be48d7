"""The Réinscription tab: closed outside the campaign; during it, this year's courses with next
year's slots, and the documents to provide, asked only of the families they concern."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from courses.models import Course, Cursus, Department, Enrolment, Slot, Teacher, Weekday
from extranet.models import SchoolYear, Site, User
from families.models import Family
from reenrollment.models import Campaign, Choice, DocumentType, ReenrollmentRequest
from students.models import Student
from tests.courses.helpers import headers, table_with
from tests.factories import (
    CampaignFactory,
    ChoiceFactory,
    CourseFactory,
    DocumentFactory,
    DocumentTypeFactory,
    EnrolmentFactory,
    ReenrollmentRequestFactory,
    SlotFactory,
    StudentFactory,
)
from tests.html import attr, find, find_all, messages_of, page, text
from tests.reenrollment.helpers import (
    chosen_slot,
    course_rows,
    documents_table,
    form_data,
    has_table,
    renew,
    required_names,
    slot_options,
    submit,
    tab_url,
)

FR_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
FAMILY_TABLE = "Pièces à fournir - Famille"
STUDENT_TABLE = "Pièces à fournir - Elève"


def in_french(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{FR_DAYS[local.weekday()]} {local.day} {FR_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"


def years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=1)


def at_nine(days: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


# Outside the campaign ----------------------------------------------------------------------


@pytest.fixture
def coming_campaign(moissy: Site, next_year: SchoolYear) -> Campaign:
    return CampaignFactory(
        site=moissy, school_year=next_year, opens_at=at_nine(10), closes_at=at_nine(40)
    )


@pytest.fixture
def closed_campaign(moissy: Site, next_year: SchoolYear) -> Campaign:
    return CampaignFactory(
        site=moissy, school_year=next_year, opens_at=at_nine(-40), closes_at=at_nine(-1)
    )


def test_before_the_campaign_the_tab_gives_its_dates_and_no_form(
    alice_client: Client, alice_student: Student, coming_campaign: Campaign, gaelle_piano: Enrolment
) -> None:
    response = alice_client.get(tab_url(alice_student))

    assert response.status_code == 200
    notices = [text(p) for p in find_all(page(response), "p", class_="notice")]
    assert notices == [
        f"La réinscription est ouverte du {in_french(coming_campaign.opens_at)} "
        f"au {in_french(coming_campaign.closes_at)}."
    ]
    assert find_all(page(response), "form", id="reinscription") == []
    assert not [
        s for s in find_all(page(response), "select") if (attr(s, "name") or "").startswith("slot_")
    ]
    assert "Valider" not in [text(b) for b in find_all(page(response), "button")]


def test_after_the_campaign_the_tab_still_gives_its_dates_and_no_form(
    alice_client: Client, alice_student: Student, closed_campaign: Campaign, gaelle_piano: Enrolment
) -> None:
    response = alice_client.get(tab_url(alice_student))

    notices = [text(p) for p in find_all(page(response), "p", class_="notice")]
    assert notices == [
        f"La réinscription est ouverte du {in_french(closed_campaign.opens_at)} "
        f"au {in_french(closed_campaign.closes_at)}."
    ]
    assert find_all(page(response), "form", id="reinscription") == []


@pytest.mark.parametrize("which", ["coming_campaign", "closed_campaign"])
def test_outside_the_campaign_a_posted_form_is_refused_and_nothing_saved(
    request: pytest.FixtureRequest,
    which: str,
    alice_client: Client,
    alice_student: Student,
    gaelle_piano: Enrolment,
    piano: Course,
    next_year: SchoolYear,
) -> None:
    request.getfixturevalue(which)
    slot = SlotFactory(course=piano, school_year=next_year, site=piano.site)

    response = alice_client.post(
        tab_url(alice_student), form_data({gaelle_piano: str(slot.pk)}), follow=True
    )

    assert response.redirect_chain == [(tab_url(alice_student), 302)]
    assert messages_of(page(response)) == ["La campagne de réinscription est fermée."]
    assert not ReenrollmentRequest.objects.exists()
    assert not Choice.objects.exists()


def test_without_any_campaign_the_tab_says_the_conservatory_will_write(
    alice_client: Client, alice_student: Student
) -> None:
    response = alice_client.get(tab_url(alice_student))

    assert "Aucune campagne de réinscription n'est prévue pour l'instant." in text(page(response))


# The courses table -------------------------------------------------------------------------


def test_the_table_lists_this_years_courses_with_next_years_slots_and_seats_left(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
) -> None:
    response = alice_client.get(tab_url(alice_student))

    assert response.status_code == 200
    assert headers(table_with(response, "Cours disponible")) == [
        "Cursus",
        "Cours",
        "Ha",
        "Cycle",
        "Actif",
        "Réinscription",
        "Cours disponible",
    ]
    [row] = course_rows(response)
    assert (row["Cursus"], row["Cours"], row["Ha"], row["Cycle"], row["Actif"]) == (
        "Musique",
        "Piano",
        "Non",
        "Cycle 2",
        "Oui",
    )
    assert row["Réinscription"] == "Réinscrire Piano"
    assert slot_options(response, gaelle_piano) == [
        ("", "Choisissez un horaire"),
        (str(piano_monday.pk), "Lundi 17:00 · DURAND Marie · 1 place restante"),
        (str(piano_wednesday.pk), "Mercredi 15:00 · PETIT Jean · 3 places restantes"),
    ]


def test_seats_taken_by_enrolments_held_and_offered_choices_are_not_left(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_wednesday: Slot,
) -> None:
    piano_wednesday.capacity = 5
    piano_wednesday.save()
    EnrolmentFactory(slot=piano_wednesday, student__family__site=campaign.site)
    ChoiceFactory(slot=piano_wednesday, request__campaign=campaign, state=Choice.State.HELD)
    ChoiceFactory(slot=piano_wednesday, request__campaign=campaign, state=Choice.State.OFFERED)
    # Waiting, released or refused lines take no seat.
    ChoiceFactory(slot=piano_wednesday, request__campaign=campaign, state=Choice.State.WAITING)
    ChoiceFactory(slot=piano_wednesday, request__campaign=campaign, state=Choice.State.RELEASED)

    response = alice_client.get(tab_url(alice_student))

    assert (
        str(piano_wednesday.pk),
        "Mercredi 15:00 · PETIT Jean · 2 places restantes",
    ) in slot_options(response, gaelle_piano)


def test_a_full_slot_stays_listed_as_the_waiting_list(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    ChoiceFactory(slot=piano_monday, request__campaign=campaign, state=Choice.State.HELD)

    response = alice_client.get(tab_url(alice_student))

    assert slot_options(response, gaelle_piano)[1] == (
        f"wait:{piano_monday.pk}",
        "Lundi 17:00 · DURAND Marie · complet : liste d'attente",
    )


# A phone shows only the start of the chosen slot in the closed list: it is written in full
# under it, on the page as the server draws it (a script keeps it in step with the list).


def test_the_saved_slot_is_written_in_full_under_its_list(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    renew(campaign, gaelle_piano, piano_monday)

    response = alice_client.get(tab_url(alice_student))

    label = "Lundi 17:00 · DURAND Marie · Place réservée"
    assert chosen_slot(response, gaelle_piano) == (label, label)


def test_the_slot_just_sent_is_written_in_full_when_the_form_comes_back(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    gaelle_piano: Enrolment,
    piano_wednesday: Slot,
) -> None:
    response = submit(
        alice_client, alice_student, {gaelle_piano: str(piano_wednesday.pk)}, accept=False
    )

    assert response.status_code == 400
    label = "Mercredi 15:00 · PETIT Jean · 3 places restantes"
    assert chosen_slot(response, gaelle_piano) == (label, label)


def test_the_waiting_list_just_sent_is_written_in_full_when_the_form_comes_back(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
) -> None:
    renew(campaign, leo_piano, piano_monday)

    response = submit(
        alice_client, alice_student, {gaelle_piano: f"wait:{piano_monday.pk}"}, accept=False
    )

    assert response.status_code == 400
    label = "Lundi 17:00 · DURAND Marie · complet : liste d'attente"
    assert chosen_slot(response, gaelle_piano) == (label, label)


def test_nothing_is_written_under_a_list_with_no_slot_chosen(
    alice_client: Client, alice_student: Student, pianists: None, gaelle_piano: Enrolment
) -> None:
    response = alice_client.get(tab_url(alice_student))

    assert chosen_slot(response, gaelle_piano) == ("Choisissez un horaire", None)


def test_a_list_with_an_error_is_described_by_the_error_and_the_slot_chosen(
    alice_client: Client, alice_student: Student, pianists: None, gaelle_piano: Enrolment
) -> None:
    response = submit(alice_client, alice_student, {gaelle_piano: ""})

    assert response.status_code == 400
    select = find(page(response), "select", name=f"slot_{gaelle_piano.pk}")
    field_id = attr(select, "id")
    assert attr(select, "aria-invalid") == "true"
    assert attr(select, "aria-describedby") == f"{field_id}_error {field_id}_chosen"
    assert text(find(page(response), "p", id=f"{field_id}_error")) == (
        "Choisissez un horaire pour ce cours."
    )
    assert chosen_slot(response, gaelle_piano) == ("Choisissez un horaire", None)


@pytest.fixture
def instrumental(moissy: Site, music: Department) -> Cursus:
    return Cursus.objects.create(site=moissy, department=music, name="Cursus instrumental")


def course_with_slots(
    site: Site,
    department: Department,
    name: str,
    current: SchoolYear,
    coming: SchoolYear,
    **fields: object,
) -> tuple[Course, Slot]:
    """A course with a slot this year and one next year; returns the course and this year's."""
    course = CourseFactory(site=site, department=department, name=name, **fields)
    SlotFactory(course=course, school_year=coming, site=site, weekday=Weekday.JEUDI)
    return course, SlotFactory(course=course, school_year=current, site=site)


def test_courses_the_conservatory_assigns_need_no_choice(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    moissy: Site,
    music: Department,
    dance: Department,
    instrumental: Cursus,
    current_year: SchoolYear,
    next_year: SchoolYear,
) -> None:
    _fm, fm_now = course_with_slots(moissy, music, "Formation musicale", current_year, next_year)
    _classique, classique_now = course_with_slots(
        moissy, dance, "Classique", current_year, next_year
    )
    _orchestre, orchestre_now = course_with_slots(
        moissy, music, "Orchestre", current_year, next_year, collective=True, cursus=instrumental
    )
    fm = EnrolmentFactory(student=alice_student, slot=fm_now, horaires_amenages=True)
    classique = EnrolmentFactory(student=alice_student, slot=classique_now)
    orchestre = EnrolmentFactory(student=alice_student, slot=orchestre_now)

    response = alice_client.get(tab_url(alice_student))

    table = {row["Cours"]: row for row in course_rows(response)}
    assert {name: row["Cours disponible"] for name, row in table.items()} == {
        "Classique": "attribué par le conservatoire",
        "Formation musicale": "attribué par le conservatoire",
        "Orchestre": "attribué par le conservatoire",
    }
    assert (table["Formation musicale"]["Ha"], table["Classique"]["Ha"]) == ("Oui", "Non")
    assert table["Orchestre"]["Cursus"] == "Cursus instrumental"
    assert table["Classique"]["Cursus"] == "Danse"
    for enrolment in (fm, classique, orchestre):
        assert find_all(page(response), "select", name=f"slot_{enrolment.pk}") == []


@pytest.mark.parametrize(
    "fields",
    [{"collective": True}, {"collective": False, "with_cursus": True}],
    ids=["collective without cursus", "individual course of a cursus"],
)
def test_other_courses_are_chosen_by_the_family(
    fields: dict[str, bool],
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    moissy: Site,
    music: Department,
    instrumental: Cursus,
    current_year: SchoolYear,
    next_year: SchoolYear,
) -> None:
    cursus = instrumental if fields.pop("with_cursus", False) else None
    _course, now = course_with_slots(
        moissy, music, "Violoncelle", current_year, next_year, cursus=cursus, **fields
    )
    enrolment = EnrolmentFactory(student=alice_student, slot=now)

    response = alice_client.get(tab_url(alice_student))

    assert len(slot_options(response, enrolment)) == 2
    assert course_rows(response)[0]["Cours disponible"] != "attribué par le conservatoire"


def test_a_course_without_a_slot_next_year_says_so(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    moissy: Site,
    music: Department,
    current_year: SchoolYear,
    next_year: SchoolYear,
    durand: Teacher,
) -> None:
    violin = CourseFactory(site=moissy, department=music, name="Violon")
    enrolment = EnrolmentFactory(
        student=alice_student,
        slot=SlotFactory(course=violin, school_year=current_year, site=moissy),
    )
    # A slot of another course next year, and one of the violin two years ahead: not offered.
    SlotFactory(school_year=next_year, site=moissy)
    later = SchoolYear.objects.create(
        label="later",
        start_date=next_year.start_date.replace(year=next_year.start_date.year + 1),
        end_date=next_year.end_date.replace(year=next_year.end_date.year + 1),
    )
    SlotFactory(course=violin, school_year=later, site=moissy)

    response = alice_client.get(tab_url(alice_student))

    [row] = course_rows(response)
    assert row["Cours disponible"] == "plus de cours disponible"
    assert find_all(page(response), "select", name=f"slot_{enrolment.pk}") == []


def test_last_years_courses_are_not_offered_for_renewal(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    piano: Course,
    current_year: SchoolYear,
) -> None:
    last_year = SchoolYear.objects.create(
        label="last",
        start_date=current_year.start_date.replace(year=current_year.start_date.year - 1),
        end_date=current_year.end_date.replace(year=current_year.end_date.year - 1),
    )
    old = CourseFactory(site=piano.site, name="Éveil musical")
    EnrolmentFactory(
        student=alice_student, slot=SlotFactory(course=old, school_year=last_year, site=piano.site)
    )

    response = alice_client.get(tab_url(alice_student))

    assert [row["Cours"] for row in course_rows(response)] == ["Piano"]


def test_the_tab_has_the_administrative_box_and_the_rules(
    alice_client: Client, alice_student: Student, pianists: None, campaign: Campaign
) -> None:
    response = alice_client.get(tab_url(alice_student))

    content = text(page(response))
    assert "Réinscription administrative" in content
    assert campaign.rules_text in content
    assert "J'accepte" in content
    assert "Valider" in [text(b) for b in find_all(page(response), "button")]


# Documents to provide -------------------------------------------------------------------------


@pytest.fixture
def pieces(campaign: Campaign) -> dict[str, DocumentType]:
    """The campaign's pieces, family ones first, with each kind of rule."""
    specs = [
        ("Avis d'imposition", DocumentType.Scope.FAMILY, DocumentType.Rule.REQUIRED),
        ("Justificatif de domicile", DocumentType.Scope.FAMILY, DocumentType.Rule.ADDRESS_CHANGED),
        ("Livret de famille", DocumentType.Scope.FAMILY, DocumentType.Rule.TWO_CHILDREN),
        ("Attestation d'assurance", DocumentType.Scope.STUDENT, DocumentType.Rule.REQUIRED),
        ("Certificat médical", DocumentType.Scope.STUDENT, DocumentType.Rule.DANCE),
        ("Photo d'identité", DocumentType.Scope.STUDENT, DocumentType.Rule.OPTIONAL),
    ]
    return {
        name: DocumentTypeFactory(campaign=campaign, name=name, scope=scope, rule=rule, order=i)
        for i, (name, scope, rule) in enumerate(specs)
    }


def test_the_pieces_are_in_a_family_table_and_a_pupil_table(
    alice_client: Client, alice_student: Student, pianists: None, pieces: dict[str, DocumentType]
) -> None:
    response = alice_client.get(tab_url(alice_student))

    family = documents_table(response, FAMILY_TABLE)
    student = documents_table(response, STUDENT_TABLE)
    assert list(family[0]) == [
        "Nom du document",
        "Nom du fichier",
        "Date",
        "Heure",
        "Taille (Mo)",
        "Etat",
        "Consulter",
        "Importer",
    ]
    assert [row["Nom du document"] for row in family] == [
        "Avis d'imposition (obligatoire) *",
        "Justificatif de domicile",
        "Livret de famille",
    ]
    assert [row["Nom du document"] for row in student] == [
        "Attestation d'assurance (obligatoire) *",
        "Certificat médical",
        "Photo d'identité",
    ]
    missing = family[0]
    assert (missing["Nom du fichier"], missing["Date"], missing["Heure"]) == ("-", "-", "-")
    assert (missing["Taille (Mo)"], missing["Etat"], missing["Consulter"]) == (
        "0,00",
        "A fournir",
        "-",
    )


def test_a_provided_piece_shows_its_file_date_time_size_and_state(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    pianists: None,
    pieces: dict[str, DocumentType],
) -> None:
    uploaded_at = timezone.make_aware(datetime.datetime(2026, 5, 4, 18, 7))
    document = DocumentFactory(
        document_type=pieces["Attestation d'assurance"],
        family=alice,
        student=alice_student,
        display_name="assurance école.pdf",
        size=1_572_864,
        uploaded_at=uploaded_at,
    )

    response = alice_client.get(tab_url(alice_student))

    row = documents_table(response, STUDENT_TABLE)[0]
    assert row["Nom du fichier"] == "assurance école.pdf"
    assert (row["Date"], row["Heure"]) == ("04/05/2026", "18:07")
    assert row["Taille (Mo)"] == "1,50"
    assert row["Etat"] == "Fourni"
    assert row["Consulter"] == "Télécharger Attestation d'assurance"
    links = [a for a in find_all(page(response), "a") if text(a) == row["Consulter"]]
    assert [dict(a.attributes)["href"] for a in links] == [
        f"/eleves/{alice_student.pk}/documents/{document.pk}/"
    ]


def test_a_family_piece_given_once_counts_for_every_child(
    client_for: Callable[[User], Client],
    alice: Family,
    alice_student: Student,
    campaign: Campaign,
    pieces: dict[str, DocumentType],
) -> None:
    brother = StudentFactory(family=alice, prenom="Hugo")
    DocumentFactory(
        document_type=pieces["Avis d'imposition"], family=alice, display_name="avis 2025.pdf"
    )
    DocumentFactory(
        document_type=pieces["Attestation d'assurance"],
        family=alice,
        student=alice_student,
        display_name="assurance Gaëlle.pdf",
    )
    assert alice.account is not None

    response = client_for(alice.account).get(tab_url(brother))

    family = {row["Nom du document"]: row for row in documents_table(response, FAMILY_TABLE)}
    student = {row["Nom du document"]: row for row in documents_table(response, STUDENT_TABLE)}
    assert family["Avis d'imposition (obligatoire) *"]["Nom du fichier"] == "avis 2025.pdf"
    assert family["Avis d'imposition (obligatoire) *"]["Etat"] == "Fourni"
    # The sister's own piece is hers only.
    assert student["Attestation d'assurance (obligatoire) *"]["Etat"] == "A fournir"


def test_a_family_sees_none_of_another_familys_pieces(
    bob_client: Client,
    bob_student: Student,
    alice: Family,
    pianists: None,
    pieces: dict[str, DocumentType],
) -> None:
    DocumentFactory(
        document_type=pieces["Avis d'imposition"], family=alice, display_name="avis alice.pdf"
    )

    response = bob_client.get(tab_url(bob_student))

    assert documents_table(response, FAMILY_TABLE)[0]["Etat"] == "A fournir"
    assert "avis alice.pdf" not in response.content.decode()


def test_the_medical_certificate_is_required_only_with_a_dance_course(
    alice_client: Client,
    alice_student: Student,
    pianists: None,
    pieces: dict[str, DocumentType],
    moissy: Site,
    dance: Department,
    current_year: SchoolYear,
) -> None:
    before = required_names(
        documents_table(alice_client.get(tab_url(alice_student)), STUDENT_TABLE)
    )
    classique = CourseFactory(site=moissy, department=dance, name="Classique")
    EnrolmentFactory(
        student=alice_student,
        slot=SlotFactory(course=classique, school_year=current_year, site=moissy),
    )

    after = required_names(documents_table(alice_client.get(tab_url(alice_student)), STUDENT_TABLE))

    assert before == ["Attestation d'assurance"]
    assert after == ["Attestation d'assurance", "Certificat médical"]


@pytest.mark.parametrize(
    ("age", "required"),
    [(None, False), (12, True), (30, False)],
    ids=["one child", "two children", "one child and an adult"],
)
def test_the_family_record_book_is_required_only_with_two_children_under_20(
    age: int | None,
    required: bool,
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    pianists: None,
    pieces: dict[str, DocumentType],
) -> None:
    alice_student.date_naissance = years_ago(9)
    alice_student.save()
    if age is not None:
        StudentFactory(family=alice, date_naissance=years_ago(age))

    response = alice_client.get(tab_url(alice_student))

    assert (
        "Livret de famille" in required_names(documents_table(response, FAMILY_TABLE))
    ) is required


@pytest.mark.parametrize("needed", [False, True])
def test_the_proof_of_address_is_required_only_after_a_change_of_address(
    needed: bool,
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    pianists: None,
    pieces: dict[str, DocumentType],
) -> None:
    alice.proof_of_address_needed = needed
    alice.save()

    response = alice_client.get(tab_url(alice_student))

    assert (
        "Justificatif de domicile" in required_names(documents_table(response, FAMILY_TABLE))
    ) is needed


def test_the_list_of_pieces_says_which_only_concern_some_families(
    alice_client: Client, alice_student: Student, pianists: None, pieces: dict[str, DocumentType]
) -> None:
    response = alice_client.get(tab_url(alice_student))

    items = [text(li) for li in find_all(page(response), "li") if "Pièce" not in text(li)]
    assert "Avis d'imposition" in items
    assert "Certificat médical : seulement si vous êtes concerné" in items
    assert "Photo d'identité : seulement si vous êtes concerné" in items


def test_a_campaign_without_pieces_shows_no_documents_table(
    alice_client: Client, alice_student: Student, pianists: None
) -> None:
    response = alice_client.get(tab_url(alice_student))

    assert not has_table(response, FAMILY_TABLE)
    assert not has_table(response, STUDENT_TABLE)


def test_a_sent_request_shows_its_state_on_the_tab(
    alice_client: Client, alice_student: Student, pianists: None, campaign: Campaign
) -> None:
    ReenrollmentRequestFactory(
        campaign=campaign, student=alice_student, status=ReenrollmentRequest.Status.INCOMPLETE
    )

    response = alice_client.get(tab_url(alice_student))

    [status] = find_all(page(response), "div", class_="card status-box")
    assert text(status).startswith("Votre demande : Incomplète (envoyée le ")
    assert "Il manque des documents" in text(status)
