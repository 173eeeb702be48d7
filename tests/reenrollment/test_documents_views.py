"""Documents through the portal: importing a PDF or phone photos next to a piece, keeping them
private, downloading them, deleting them, and the Documents fournis tab."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from courses.models import Enrolment, Slot
from extranet.models import SchoolYear, Site, User
from families.models import Family
from reenrollment.documents import clean_display_name
from reenrollment.models import Campaign, Document, DocumentType, ReenrollmentRequest
from students.models import Student
from tests.courses.helpers import headers, rows, table_with
from tests.factories import CampaignFactory, DocumentFactory, DocumentTypeFactory, StudentFactory
from tests.html import attr, find, find_all, messages_of, page, text
from tests.reenrollment.helpers import (
    documents_table,
    jpeg_bytes,
    pdf_bytes,
    renew,
    tab_url,
    upload_error,
    uploaded,
)

NOT_A_DOCUMENT = "Ce fichier n'est ni un PDF ni une photo (JPEG, PNG, HEIC)."
CLOSED = "La campagne de réinscription est fermée : plus aucun envoi n'est possible."

pytestmark = pytest.mark.usefixtures("pianists")


def import_url(student: Student, document_type: DocumentType) -> str:
    return f"/eleves/{student.pk}/reinscription/pieces/{document_type.pk}/importer/"


def document_url(student: Student, document: Document) -> str:
    return f"/eleves/{student.pk}/documents/{document.pk}/"


def download(client: Client, url: str) -> tuple[HttpResponse, bytes]:
    """GET a file: the response and its content (reading it all closes the file)."""
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


@pytest.fixture
def insurance(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign,
        name="Attestation d'assurance",
        scope=DocumentType.Scope.STUDENT,
        min_pages=2,
    )


# Importing ----------------------------------------------------------------------------------


def test_a_pdf_is_stored_privately_under_a_name_of_its_own(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    tax_notice: DocumentType,
    private_media: Path,
) -> None:
    raw_name = 'Avis d\'impôt "2025".pdf'
    content = pdf_bytes(pages=2)

    response = alice_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(content, raw_name)}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{tab_url(alice_student)}#piece-{tax_notice.pk}"
    document = Document.objects.get()
    assert (document.family, document.student, document.document_type) == (alice, None, tax_notice)
    assert document.display_name == clean_display_name(raw_name)
    assert '"' not in document.display_name and document.display_name.endswith(".pdf")
    assert document.pages == 2
    assert document.status == Document.Status.PROVIDED
    # Stored under a generated name in the private storage, never the family's name.
    [path] = stored_files(private_media)
    assert path == Path(default_storage.path(document.file.name))
    assert "impôt" not in document.file.name and "2025" not in path.stem
    assert document.size == path.stat().st_size
    assert len(PdfReader(path).pages) == 2
    # Nothing serves the storage by URL.
    for url in (document.file.url, f"/media/{document.file.name}"):
        assert alice_client.get(url).status_code == 404


def test_after_importing_the_family_reads_the_file_name_and_its_pages(
    alice_client: Client, alice_student: Student, tax_notice: DocumentType
) -> None:
    response = alice_client.post(
        import_url(alice_student, tax_notice),
        {"files": uploaded(pdf_bytes(pages=3), "avis.pdf")},
        follow=True,
    )

    assert messages_of(page(response)) == ["« avis.pdf » importé (3 pages)."]
    row = documents_table(response, "Pièces à fournir - Famille")[0]
    assert (row["Nom du fichier"], row["Etat"]) == ("avis.pdf", "Fourni")
    assert Document.objects.get().file.name not in response.content.decode()


def test_a_phone_photo_becomes_a_pdf(
    alice_client: Client, alice_student: Student, tax_notice: DocumentType
) -> None:
    response = alice_client.post(
        import_url(alice_student, tax_notice),
        {"files": uploaded(jpeg_bytes(), "IMG_2040.JPG", "image/jpeg")},
    )

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.display_name, document.pages) == ("IMG_2040.pdf", 1)
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_several_photos_become_one_document_with_a_page_each(
    alice_client: Client, alice_student: Student, insurance: DocumentType
) -> None:
    photos = [uploaded(jpeg_bytes(), f"page{i}.jpg", "image/jpeg") for i in (1, 2, 3)]

    response = alice_client.post(import_url(alice_student, insurance), {"files": photos})

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.student, document.pages) == (alice_student, 3)


def test_a_document_shorter_than_expected_is_kept_with_a_warning(
    alice_client: Client, alice_student: Student, insurance: DocumentType
) -> None:
    response = alice_client.post(
        import_url(alice_student, insurance),
        {"files": uploaded(pdf_bytes(pages=1), "assurance.pdf")},
        follow=True,
    )

    document = Document.objects.get()
    assert document.page_warning
    assert document.page_warning in messages_of(page(response))
    row = documents_table(response, "Pièces à fournir - Elève")[0]
    assert row["Etat"] == f"Fourni {document.page_warning}"


def test_importing_again_replaces_the_file(
    alice_client: Client,
    alice_student: Student,
    tax_notice: DocumentType,
    private_media: Path,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    alice_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(pdf_bytes(), "ancien.pdf")}
    )
    [old] = stored_files(private_media)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            import_url(alice_student, tax_notice), {"files": uploaded(pdf_bytes(2), "nouveau.pdf")}
        )

    document = Document.objects.get()
    assert (document.display_name, document.pages) == ("nouveau.pdf", 2)
    assert stored_files(private_media) == [Path(default_storage.path(document.file.name))]
    assert not old.exists()


def test_the_missing_piece_completes_the_request(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    gaelle_piano: Enrolment,
    piano_monday: Slot,
    tax_notice: DocumentType,
) -> None:
    request = renew(campaign, gaelle_piano, piano_monday)
    assert request.status == ReenrollmentRequest.Status.INCOMPLETE

    alice_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(pdf_bytes(), "avis.pdf")}
    )

    request.refresh_from_db()
    assert request.status == ReenrollmentRequest.Status.SENT


# Refusals -----------------------------------------------------------------------------------


def test_a_text_file_renamed_pdf_is_refused_next_to_its_importer_and_nothing_is_saved(
    alice_client: Client,
    alice_student: Student,
    tax_notice: DocumentType,
    insurance: DocumentType,
    private_media: Path,
) -> None:
    fake = uploaded(b"Bonjour, ceci est une lettre et pas un PDF.\n", "avis.pdf")

    response = alice_client.post(import_url(alice_student, tax_notice), {"files": fake})

    assert response.status_code == 400
    assert upload_error(response, tax_notice.pk).startswith(NOT_A_DOCUMENT)
    assert upload_error(response, insurance.pk) == ""
    row = find(page(response), "tr", id=f"piece-{tax_notice.pk}")
    field = find(row, "input", type="file")
    assert attr(field, "aria-invalid") == "true"
    assert attr(field, "aria-describedby") == f"file-{tax_notice.pk}-error"
    assert not Document.objects.exists()
    assert stored_files(private_media) == []


def test_an_import_without_a_file_is_refused_in_french(
    alice_client: Client, alice_student: Student, tax_notice: DocumentType
) -> None:
    response = alice_client.post(import_url(alice_student, tax_notice), {})

    assert response.status_code == 400
    assert upload_error(response, tax_notice.pk) == "Choisissez un fichier à importer."
    assert not Document.objects.exists()


def test_a_file_over_the_campaigns_limit_is_refused(
    alice_client: Client, alice_student: Student, campaign: Campaign, tax_notice: DocumentType
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_upload_mb=1)
    big = pdf_bytes() + b"%" + b"0" * (1024 * 1024)

    response = alice_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(big, "avis.pdf")}
    )

    assert response.status_code == 400
    assert "trop volumineux" in upload_error(response, tax_notice.pk)
    assert not Document.objects.exists()


def test_imports_outside_the_campaign_are_refused(
    alice_client: Client,
    alice_student: Student,
    campaign: Campaign,
    tax_notice: DocumentType,
    private_media: Path,
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = alice_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(pdf_bytes(), "avis.pdf")}
    )

    assert response.status_code == 400
    assert upload_error(response, tax_notice.pk) == CLOSED
    assert not Document.objects.exists()
    assert stored_files(private_media) == []


def test_a_piece_of_another_sites_campaign_cannot_be_imported(
    alice_client: Client, alice_student: Student, boulogne: Site, next_year: SchoolYear
) -> None:
    theirs = DocumentTypeFactory(campaign=CampaignFactory(site=boulogne, school_year=next_year))

    response = alice_client.post(
        import_url(alice_student, theirs), {"files": uploaded(pdf_bytes(), "avis.pdf")}
    )

    assert response.status_code == 404
    assert not Document.objects.exists()


def test_a_family_cannot_import_for_another_familys_child(
    bob_client: Client, alice_student: Student, tax_notice: DocumentType
) -> None:
    response = bob_client.post(
        import_url(alice_student, tax_notice), {"files": uploaded(pdf_bytes(), "avis.pdf")}
    )

    assert response.status_code == 404
    assert not Document.objects.exists()


def test_importing_needs_a_post(
    alice_client: Client, alice_student: Student, tax_notice: DocumentType
) -> None:
    assert alice_client.get(import_url(alice_student, tax_notice)).status_code == 405


# Downloading --------------------------------------------------------------------------------


@pytest.fixture
def alice_tax(alice_client: Client, alice_student: Student, tax_notice: DocumentType) -> Document:
    alice_client.post(
        import_url(alice_student, tax_notice),
        {"files": uploaded(pdf_bytes(2), "Avis d'impôt 2025.pdf")},
    )
    return Document.objects.get(document_type=tax_notice)


def test_the_family_downloads_its_document_as_an_attachment(
    alice_client: Client, alice_student: Student, alice_tax: Document
) -> None:
    response, content = download(alice_client, document_url(alice_student, alice_tax))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Avis%20d%27imp%C3%B4t%202025.pdf" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    with alice_tax.file.open("rb") as handle:
        assert content == handle.read()


def test_a_family_document_is_downloaded_from_every_childs_tab(
    alice: Family,
    alice_student: Student,
    alice_tax: Document,
    client_for: Callable[[User], Client],
) -> None:
    brother = StudentFactory(family=alice, prenom="Hugo")
    assert alice.account is not None

    response, content = download(client_for(alice.account), document_url(brother, alice_tax))

    assert response.status_code == 200
    assert content.startswith(b"%PDF-")


def test_a_pupils_document_is_not_downloaded_from_a_siblings_tab(
    alice: Family,
    alice_student: Student,
    insurance: DocumentType,
    client_for: Callable[[User], Client],
) -> None:
    brother = StudentFactory(family=alice, prenom="Hugo")
    theirs = DocumentFactory(document_type=insurance, family=alice, student=alice_student)
    assert alice.account is not None
    client = client_for(alice.account)

    assert download(client, document_url(alice_student, theirs))[0].status_code == 200
    assert client.get(document_url(brother, theirs)).status_code == 404


def test_another_family_gets_404_for_the_document(
    bob_client: Client, alice_student: Student, bob_student: Student, alice_tax: Document
) -> None:
    assert bob_client.get(document_url(alice_student, alice_tax)).status_code == 404
    assert bob_client.get(document_url(bob_student, alice_tax)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login(
    client: Client, alice_student: Student, alice_tax: Document
) -> None:
    response = client.get(document_url(alice_student, alice_tax))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_a_missing_file_answers_404_not_an_error(
    alice_client: Client, alice_student: Student, alice_tax: Document
) -> None:
    default_storage.delete(alice_tax.file.name)

    assert alice_client.get(document_url(alice_student, alice_tax)).status_code == 404


# Deleting -----------------------------------------------------------------------------------


def test_the_family_deletes_a_document(
    alice_client: Client,
    alice_student: Student,
    alice_tax: Document,
    private_media: Path,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"{document_url(alice_student, alice_tax)}supprimer/", follow=True
        )

    assert response.redirect_chain == [(tab_url(alice_student), 302)]
    assert messages_of(page(response))[-1] == "Document supprimé."
    assert not Document.objects.exists()
    assert stored_files(private_media) == []
    assert documents_table(response, "Pièces à fournir - Famille")[0]["Etat"] == "A fournir"


def test_deleting_needs_a_post_and_the_family(
    alice_client: Client, bob_client: Client, alice_student: Student, alice_tax: Document
) -> None:
    url = f"{document_url(alice_student, alice_tax)}supprimer/"

    assert alice_client.get(url).status_code == 405
    assert bob_client.post(url).status_code == 404
    assert Document.objects.filter(pk=alice_tax.pk).exists()


def test_a_validated_document_cannot_be_deleted(
    alice_client: Client, alice_student: Student, alice_tax: Document
) -> None:
    Document.objects.filter(pk=alice_tax.pk).update(status=Document.Status.VALIDATED)

    response = alice_client.post(f"{document_url(alice_student, alice_tax)}supprimer/", follow=True)

    assert messages_of(page(response))[-1] == (
        "Ce document a été validé par le secrétariat : il ne peut plus être supprimé."
    )
    assert Document.objects.filter(pk=alice_tax.pk).exists()


# Documents fournis --------------------------------------------------------------------------


def test_documents_fournis_lists_the_familys_and_the_pupils_documents(
    alice_client: Client,
    alice: Family,
    alice_student: Student,
    bob: Family,
    campaign: Campaign,
    tax_notice: DocumentType,
    insurance: DocumentType,
) -> None:
    DocumentFactory(
        document_type=tax_notice,
        family=alice,
        display_name="avis.pdf",
        uploaded_at=timezone.make_aware(datetime.datetime(2026, 5, 4, 18, 7)),
    )
    DocumentFactory(
        document_type=insurance,
        family=alice,
        student=alice_student,
        display_name="assurance.pdf",
        status=Document.Status.REFUSED,
        refusal_reason="Périmée",
        uploaded_at=timezone.make_aware(datetime.datetime(2026, 5, 5, 9, 30)),
    )
    DocumentFactory(document_type=tax_notice, family=bob, display_name="avis de bob.pdf")

    response = alice_client.get(f"/eleves/{alice_student.pk}/documents/")

    table = table_with(response, "Nom du fichier")
    assert headers(table) == [
        "Année",
        "Nom du document",
        "Nom du fichier",
        "Date",
        "Etat",
        "Consulter",
    ]
    assert rows(table) == [
        {
            "Année": campaign.school_year.label,
            "Nom du document": "Attestation d'assurance",
            "Nom du fichier": "assurance.pdf",
            "Date": "05/05/2026 09:30",
            "Etat": "Refusé : Périmée",
            "Consulter": "Télécharger Attestation d'assurance",
        },
        {
            "Année": campaign.school_year.label,
            "Nom du document": "Avis d'imposition (famille)",
            "Nom du fichier": "avis.pdf",
            "Date": "04/05/2026 18:07",
            "Etat": "Fourni",
            "Consulter": "Télécharger Avis d'imposition",
        },
    ]


def test_documents_fournis_of_a_sibling_shows_the_family_documents_only(
    alice: Family,
    alice_student: Student,
    tax_notice: DocumentType,
    insurance: DocumentType,
    client_for: Callable[[User], Client],
) -> None:
    brother = StudentFactory(family=alice, prenom="Hugo")
    DocumentFactory(document_type=tax_notice, family=alice, display_name="avis.pdf")
    DocumentFactory(
        document_type=insurance, family=alice, student=alice_student, display_name="assurance.pdf"
    )
    assert alice.account is not None

    response = client_for(alice.account).get(f"/eleves/{brother.pk}/documents/")

    assert [row["Nom du fichier"] for row in rows(table_with(response, "Nom du fichier"))] == [
        "avis.pdf"
    ]


def test_documents_fournis_says_when_there_is_none(
    alice_client: Client, alice_student: Student
) -> None:
    response = alice_client.get(f"/eleves/{alice_student.pk}/documents/")

    assert "Aucun document fourni pour l'instant." in text(page(response))
    assert find_all(page(response), "table") == []


def test_documents_fournis_of_another_familys_child_is_404(
    bob_client: Client, alice_student: Student
) -> None:
    assert bob_client.get(f"/eleves/{alice_student.pk}/documents/").status_code == 404
