"""The secretariat in the admin: the queue of requests, the documents, decisions on both, the
CSV export and the campaign's close. Staff of another site see none of it."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from courses.models import Enrolment, Slot
from extranet.models import User
from families.models import Family
from reenrollment import services
from reenrollment.models import (
    Campaign,
    CeilingTariff,
    Choice,
    Document,
    DocumentType,
    ReenrollmentRequest,
)
from reenrollment.selectors import slot_taken
from students.models import Student
from tests.factories import (
    BLANK_PDF,
    CampaignFactory,
    ChoiceFactory,
    DocumentFactory,
    DocumentTypeFactory,
    ReenrollmentRequestFactory,
)
from tests.html import attr, find, find_all, page, text
from tests.reenrollment.helpers import (
    ALICE_EMAIL,
    as_read,
    documents_table,
    mails_to,
    pdf_bytes,
    renew,
    tab_url,
    uploaded,
)

REQUESTS = "/admin/reenrollment/reenrollmentrequest/"
DOCUMENTS = "/admin/reenrollment/document/"
CAMPAIGNS = "/admin/reenrollment/campaign/"
CEILINGS = "/admin/reenrollment/ceilingtariff/"
BOB_EMAIL = "martin@example.org"


def listed(response: HttpResponse, model: str) -> set[int]:
    """The ids of the rows of an admin changelist."""
    assert response.status_code == 200
    return {
        int(pk)
        for pk in re.findall(rf'href="/admin/reenrollment/{model}/(\d+)/change/', response.text)
    }


def admin_messages(response: HttpResponse) -> list[str]:
    return [
        text(li)
        for ul in find_all(page(response), "ul", class_="messagelist")
        for li in find_all(ul, "li")
    ]


def run_action(client: Client, changelist: str, action: str, *objects: object) -> HttpResponse:
    return client.post(
        changelist,
        {"action": action, "_selected_action": [o.pk for o in objects]},  # type: ignore[attr-defined]
        follow=action != "export_csv",
    )


def change_form_data(response: HttpResponse) -> dict[str, object]:
    """What the admin change form sends back as it is: hidden fields, inline management form."""
    [form] = [
        f for f in find_all(page(response), "form") if (attr(f, "id") or "").endswith("_form")
    ]
    data: dict[str, object] = {}
    for field in find_all(form, "input"):
        name, kind = attr(field, "name"), attr(field, "type")
        if (
            not name
            or kind in ("submit", "button", "file")
            or (kind == "checkbox" and attr(field, "checked") is None)
        ):
            continue
        data[name] = attr(field, "value") or ""
    for field in find_all(form, "textarea"):
        data[attr(field, "name") or ""] = text(field)
    return data


@pytest.fixture
def insurance(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Attestation d'assurance", scope=DocumentType.Scope.STUDENT
    )


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


@pytest.fixture
def alice_tax(alice: Family, tax_notice: DocumentType) -> Document:
    return DocumentFactory(document_type=tax_notice, family=alice, display_name="avis 2025.pdf")


@pytest.fixture
def requests(
    pianists: None,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    leo_piano: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
    bob: Family,
    bob_student: Student,
    insurance: DocumentType,
    tax_notice: DocumentType,
    alice_tax: Document,
) -> dict[str, ReenrollmentRequest]:
    """alice's request misses the insurance (Incomplète); bob's has every piece (Envoyée),
    already validated by the secretariat."""
    DocumentFactory(document_type=tax_notice, family=bob, status=Document.Status.VALIDATED)
    DocumentFactory(
        document_type=insurance, family=bob, student=bob_student, status=Document.Status.VALIDATED
    )
    alice_request = renew(campaign, gaelle_piano, piano_monday)
    bob_request = renew(campaign, leo_piano, piano_wednesday)
    mail.outbox.clear()
    assert alice_request.status == ReenrollmentRequest.Status.INCOMPLETE
    assert bob_request.status == ReenrollmentRequest.Status.SENT
    return {"alice": alice_request, "bob": bob_request}


# The queue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"alice", "bob"}),
        ("complete", {"bob"}),
        ("incomplete", {"alice"}),
        ("to_review", {"alice"}),
    ],
)
def test_the_queue_filters_complete_incomplete_and_documents_to_review(
    query: str,
    expected: set[str],
    staff_client: Client,
    requests: dict[str, ReenrollmentRequest],
) -> None:
    response = staff_client.get(REQUESTS + (f"?dossier={query}" if query else ""))

    assert listed(response, "reenrollmentrequest") == {requests[name].pk for name in expected}


def test_the_secretariat_of_another_site_sees_none_of_moissys_requests_or_documents(
    charlie_client: Client, requests: dict[str, ReenrollmentRequest], alice_tax: Document
) -> None:
    assert listed(charlie_client.get(REQUESTS), "reenrollmentrequest") == set()
    assert listed(charlie_client.get(DOCUMENTS), "document") == set()
    assert listed(charlie_client.get(CAMPAIGNS), "campaign") == set()
    change = charlie_client.get(f"{REQUESTS}{requests['alice'].pk}/change/")
    assert change.status_code == 302  # The admin's "no such object": back to its index.
    assert charlie_client.get(f"{DOCUMENTS}{alice_tax.pk}/change/").status_code == 302


def test_the_secretariat_of_another_site_cannot_open_a_moissy_file(
    charlie_client: Client, alice_tax: Document
) -> None:
    response = charlie_client.get(f"{DOCUMENTS}{alice_tax.pk}/fichier/")

    assert response.status_code == 404


def test_the_secretariat_of_the_site_downloads_the_file(
    staff_client: Client, alice_tax: Document
) -> None:
    response = staff_client.get(f"{DOCUMENTS}{alice_tax.pk}/fichier/")
    content = b"".join(response.streaming_content)  # Reading it all closes the file.

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "avis%202025.pdf" in response["Content-Disposition"]
        or '"avis 2025.pdf"' in response["Content-Disposition"]
    )
    assert content == BLANK_PDF


@pytest.mark.parametrize("who", ["anonymous", "family"])
def test_only_staff_reach_the_admin_file_view(
    who: str, client: Client, alice_client: Client, alice_tax: Document
) -> None:
    response = (client if who == "anonymous" else alice_client).get(
        f"{DOCUMENTS}{alice_tax.pk}/fichier/"
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_request_page_lists_the_familys_documents_with_their_file(
    staff_client: Client, requests: dict[str, ReenrollmentRequest], alice_tax: Document
) -> None:
    response = staff_client.get(f"{REQUESTS}{requests['alice'].pk}/change/")

    assert response.status_code == 200
    assert f'href="{DOCUMENTS}{alice_tax.pk}/fichier/"' in response.text
    assert "avis 2025.pdf" in response.text


# Documents ----------------------------------------------------------------------------------


def test_accepting_a_document_validates_it_and_tells_the_family(
    staff_client: Client,
    moissy_staff: User,
    alice_tax: Document,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, DOCUMENTS, "accept", alice_tax)

    assert admin_messages(response) == ["Documents acceptés."]
    alice_tax.refresh_from_db()
    assert alice_tax.status == Document.Status.VALIDATED
    assert alice_tax.reviewed_by == moissy_staff
    assert alice_tax.reviewed_at is not None
    [message] = mails_to(ALICE_EMAIL)
    assert as_read(message.subject) == "Document validé : Avis d'imposition"


def test_refusing_a_document_needs_a_reason(staff_client: Client, alice_tax: Document) -> None:
    response = run_action(staff_client, DOCUMENTS, "refuse", alice_tax)

    assert any(
        "Indiquez le motif du refus : la famille le verra." in m for m in admin_messages(response)
    )
    alice_tax.refresh_from_db()
    assert alice_tax.status == Document.Status.PROVIDED
    assert mail.outbox == []


def test_a_refused_document_is_emailed_shown_with_its_reason_and_can_be_sent_again(
    staff_client: Client,
    alice_client: Client,
    alice_student: Student,
    requests: dict[str, ReenrollmentRequest],
    alice_tax: Document,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    change = staff_client.get(f"{DOCUMENTS}{alice_tax.pk}/change/")
    saved = staff_client.post(
        f"{DOCUMENTS}{alice_tax.pk}/change/",
        {**change_form_data(change), "refusal_reason": "Page 2 illisible"},
    )
    assert saved.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        run_action(staff_client, DOCUMENTS, "refuse", alice_tax)

    alice_tax.refresh_from_db()
    assert (alice_tax.status, alice_tax.refusal_reason) == (
        Document.Status.REFUSED,
        "Page 2 illisible",
    )
    [message] = mails_to(ALICE_EMAIL)
    assert as_read(message.subject) == "Document refusé : Avis d'imposition"
    assert (
        "Le secrétariat a refusé le document « Avis d'imposition » : Page 2 illisible."
        in as_read(message.body)
    )
    row = documents_table(alice_client.get(tab_url(alice_student)), "Pièces à fournir - Famille")[0]
    assert row["Etat"] == "Refusé : Page 2 illisible"

    response = alice_client.post(
        f"/eleves/{alice_student.pk}/reinscription/pieces/{alice_tax.document_type_id}/importer/",
        {"files": uploaded(pdf_bytes(), "avis corrigé.pdf")},
    )

    assert response.status_code == 302
    alice_tax.refresh_from_db()
    assert (alice_tax.status, alice_tax.refusal_reason) == (Document.Status.PROVIDED, "")
    assert alice_tax.display_name == "avis corrigé.pdf"


def test_a_refused_required_document_makes_the_request_incomplete_again(
    staff_client: Client,
    requests: dict[str, ReenrollmentRequest],
    bob: Family,
    tax_notice: DocumentType,
) -> None:
    document = Document.objects.get(family=bob, document_type=tax_notice)
    Document.objects.filter(pk=document.pk).update(refusal_reason="Périmé")

    run_action(staff_client, DOCUMENTS, "refuse", document)

    bob_request = ReenrollmentRequest.objects.get(pk=requests["bob"].pk)
    assert bob_request.status == ReenrollmentRequest.Status.INCOMPLETE


def test_staff_of_another_site_cannot_review_moissys_documents(
    charlie_client: Client, alice_tax: Document
) -> None:
    run_action(charlie_client, DOCUMENTS, "accept", alice_tax)

    alice_tax.refresh_from_db()
    assert alice_tax.status == Document.Status.PROVIDED


# Decisions on requests ----------------------------------------------------------------------


def test_validating_a_request_enrolls_the_pupil_in_the_chosen_slot_and_sends_the_times(
    staff_client: Client,
    moissy_staff: User,
    requests: dict[str, ReenrollmentRequest],
    alice_student: Student,
    piano_monday: Slot,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, REQUESTS, "validate", requests["alice"])

    assert admin_messages(response) == ["1 demande validée."]
    enrolment = Enrolment.objects.get(student=alice_student, slot=piano_monday)
    assert enrolment.slot.school_year == piano_monday.school_year
    assert enrolment.cycle == "Cycle 2"  # Carried over from this year's course.
    request = ReenrollmentRequest.objects.get(pk=requests["alice"].pk)
    assert (request.status, request.decided_by) == (
        ReenrollmentRequest.Status.VALIDATED,
        moissy_staff,
    )
    assert list(request.choices.values_list("state", flat=True)) == [Choice.State.CONFIRMED]
    [message] = mails_to(ALICE_EMAIL)
    assert as_read(message.subject) == "Réinscription validée : Gaëlle"
    assert (
        "Cours de la semaine :\n- Piano : Lundi 17:00 (00:30), DURAND Marie, Salle 12\n"
        in as_read(message.body)
    )


def test_a_validated_seat_still_counts_once(
    staff_client: Client, requests: dict[str, ReenrollmentRequest], piano_monday: Slot
) -> None:
    run_action(staff_client, REQUESTS, "validate", requests["alice"])

    assert slot_taken(piano_monday) == 1


def test_a_request_cannot_be_validated_twice(
    staff_client: Client, requests: dict[str, ReenrollmentRequest], alice_student: Student
) -> None:
    run_action(staff_client, REQUESTS, "validate", requests["alice"])

    response = run_action(staff_client, REQUESTS, "validate", requests["alice"])

    assert any(
        "Seule une demande envoyée peut être validée." in m for m in admin_messages(response)
    )
    assert (
        Enrolment.objects.filter(
            student=alice_student, slot__school_year=requests["alice"].campaign.school_year
        ).count()
        == 1
    )


def test_refusing_a_request_needs_a_reason(
    staff_client: Client, requests: dict[str, ReenrollmentRequest]
) -> None:
    response = run_action(staff_client, REQUESTS, "refuse", requests["alice"])

    assert any("Indiquez le motif du refus" in m for m in admin_messages(response))
    assert (
        ReenrollmentRequest.objects.get(pk=requests["alice"].pk).status
        == ReenrollmentRequest.Status.INCOMPLETE
    )


def test_refusing_a_request_releases_its_seats_to_the_waiting_list(
    staff_client: Client,
    alice_client: Client,
    alice_student: Student,
    requests: dict[str, ReenrollmentRequest],
    campaign: Campaign,
    carol: Enrolment,
    piano_monday: Slot,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    renew(campaign, carol, piano_monday, waitlist=True)
    mail.outbox.clear()
    url = f"{REQUESTS}{requests['alice'].pk}/change/"
    saved = staff_client.post(
        url, {**change_form_data(staff_client.get(url)), "refusal_reason": "Âge limite dépassé"}
    )
    assert saved.status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, REQUESTS, "refuse", requests["alice"])

    assert admin_messages(response)[-1] == "1 demande refusée."
    request = ReenrollmentRequest.objects.get(pk=requests["alice"].pk)
    assert (request.status, request.refusal_reason) == (
        ReenrollmentRequest.Status.REFUSED,
        "Âge limite dépassé",
    )
    assert list(request.choices.values_list("state", flat=True)) == [Choice.State.RELEASED]
    assert Choice.objects.get(enrolment=carol).state == Choice.State.OFFERED
    [refusal] = mails_to(ALICE_EMAIL)
    assert as_read(refusal.subject) == "Réinscription refusée : Gaëlle"
    assert "n'a pas pu être acceptée : Âge limite dépassé." in as_read(refusal.body)
    assert len(mails_to("carol@example.org")) == 1
    status = text(
        find(page(alice_client.get(tab_url(alice_student))), "div", class_="card status-box")
    )
    assert "Votre demande : Refusée" in status
    assert "Motif : Âge limite dépassé" in status


def test_staff_of_another_site_cannot_decide_moissys_requests(
    charlie_client: Client, requests: dict[str, ReenrollmentRequest], alice_student: Student
) -> None:
    run_action(charlie_client, REQUESTS, "validate", requests["alice"])

    assert (
        ReenrollmentRequest.objects.get(pk=requests["alice"].pk).status
        == ReenrollmentRequest.Status.INCOMPLETE
    )
    assert not Enrolment.objects.filter(
        student=alice_student, slot__school_year=requests["alice"].campaign.school_year
    ).exists()


def test_the_csv_export_lists_the_selected_requests(
    staff_client: Client, requests: dict[str, ReenrollmentRequest]
) -> None:
    ReenrollmentRequest.objects.filter(pk=requests["alice"].pk).update(
        comment="Aussi le violon ; merci"
    )

    response = run_action(staff_client, REQUESTS, "export_csv", requests["alice"], requests["bob"])

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="reinscriptions.csv"'
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    header, *lines = list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))
    assert header == [
        "Campagne",
        "Famille",
        "E-mail",
        "Élève",
        "État",
        "Administrative",
        "Envoyée le",
        "Choix",
        "Information complémentaire",
    ]
    by_pupil = {line[3]: line for line in lines}
    assert set(by_pupil) == {"TEST Gaëlle", "MARTIN Léo"}
    gaelle = by_pupil["TEST Gaëlle"]
    assert gaelle[:6] == [
        str(requests["alice"].campaign),
        "TEST FAMILLE",
        "test@example.org",
        "TEST Gaëlle",
        "Incomplète",
        "non",
    ]
    assert gaelle[7] == "Piano: Lundi 17:00 Place réservée"
    assert gaelle[8] == "Aussi le violon ; merci"
    assert by_pupil["MARTIN Léo"][7] == "Piano: Mercredi 15:00 Place réservée"


# Closing the campaign -------------------------------------------------------------------------


def test_the_close_marks_families_missing_required_documents_for_the_ceiling_tariff(
    requests: dict[str, ReenrollmentRequest], campaign: Campaign, alice: Family
) -> None:
    marked = services.campaign_close(campaign=campaign)

    assert marked == 1
    [mark] = CeilingTariff.objects.all()
    assert (mark.campaign, mark.family, mark.missing) == (
        campaign,
        alice,
        "Attestation d'assurance",
    )
    campaign.refresh_from_db()
    assert campaign.closed_at is not None
    # Closing twice marks nobody twice.
    assert services.campaign_close(campaign=campaign) == 0
    assert CeilingTariff.objects.count() == 1


def test_the_admin_refuses_to_close_a_campaign_still_open(
    staff_client: Client, requests: dict[str, ReenrollmentRequest], campaign: Campaign
) -> None:
    response = run_action(staff_client, CAMPAIGNS, "close_now", campaign)

    assert f"{campaign} n'est pas encore fermée." in admin_messages(response)
    assert not CeilingTariff.objects.exists()
    campaign.refresh_from_db()
    assert campaign.closed_at is None


def test_the_admin_closes_a_campaign_after_its_end(
    staff_client: Client,
    requests: dict[str, ReenrollmentRequest],
    campaign: Campaign,
    alice: Family,
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = run_action(staff_client, CAMPAIGNS, "close_now", campaign)

    assert admin_messages(response) == ["1 famille au tarif plafond."]
    assert list(CeilingTariff.objects.values_list("family", flat=True)) == [alice.pk]


def test_the_secretariat_clears_a_ceiling_tariff(
    staff_client: Client,
    charlie_client: Client,
    moissy_staff: User,
    requests: dict[str, ReenrollmentRequest],
    campaign: Campaign,
) -> None:
    services.campaign_close(campaign=campaign)
    mark = CeilingTariff.objects.get()
    assert listed(charlie_client.get(CEILINGS), "ceilingtariff") == set()
    run_action(charlie_client, CEILINGS, "clear", mark)
    mark.refresh_from_db()
    assert mark.active

    response = run_action(staff_client, CEILINGS, "clear", mark)

    assert admin_messages(response) == ["Tarif plafond levé."]
    mark.refresh_from_db()
    assert not mark.active
    assert mark.cleared_by == moissy_staff


@pytest.mark.parametrize(
    "changelist",
    [
        "/admin/reenrollment/reenrollmentrequest/",
        "/admin/reenrollment/document/",
        "/admin/reenrollment/choice/",
    ],
)
def test_the_campaign_filters_offer_only_the_staff_members_site(
    campaign: Campaign,
    charlie_client: Client,
    staff_client: Client,
    alice_student: Student,
    changelist: str,
) -> None:
    """The side filters list the campaigns of the rows the staff member may see: another
    site's campaign names are not offered."""
    later = CampaignFactory(site=campaign.site, school_year=campaign.school_year)
    for each in (campaign, later):
        request = ReenrollmentRequestFactory(campaign=each, student=alice_student)
        DocumentFactory(document_type=DocumentTypeFactory(campaign=each), family=request.family)
        ChoiceFactory(request=request)

    own_site = staff_client.get(changelist).content.decode()
    other_site = charlie_client.get(changelist)

    for each in (campaign, later):
        assert re.search(rf"campaign__id__exact={each.pk}(?!\d)", own_site)
        assert other_site.status_code == 200
        assert not re.search(rf"campaign__id__exact={each.pk}(?!\d)", other_site.content.decode())
