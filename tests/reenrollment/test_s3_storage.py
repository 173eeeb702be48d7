"""Documents in an S3-compatible bucket (STORAGE_BACKEND=s3), against a local S3 server (moto in
server mode, tests/reenrollment/s3.py): uploaded through the family's page into a private
bucket, served only through the portal, deleted with their document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client

from extranet.models import User
from reenrollment.models import Campaign, Document, DocumentType
from students.models import Student
from tests.factories import DocumentTypeFactory
from tests.reenrollment.helpers import pdf_bytes, uploaded
from tests.reenrollment.s3 import Bucket

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


class Rollback(Exception):
    """Raised to undo a transaction on purpose."""


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


def import_url(student: Student, document_type: DocumentType) -> str:
    return f"/eleves/{student.pk}/reinscription/pieces/{document_type.pk}/importer/"


def document_url(student: Student, document: Document) -> str:
    return f"/eleves/{student.pk}/documents/{document.pk}/"


@pytest.fixture
def upload(
    alice_client: Client, alice_student: Student, tax_notice: DocumentType
) -> Callable[[int], Document]:
    """Alice imports her tax notice (of so many pages) through her Réinscription tab."""

    def send(pages: int) -> Document:
        response = alice_client.post(
            import_url(alice_student, tax_notice),
            {"files": uploaded(pdf_bytes(pages=pages), "Avis d'impôt 2025.pdf")},
        )
        assert response.status_code == 302, response.content
        return Document.objects.get(document_type=tax_notice)

    return send


def download(client: Client, url: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, dict(response.headers), content


def test_an_imported_document_lands_in_the_bucket_privately(
    bucket: Bucket, upload: Callable[[int], Document]
) -> None:
    document = upload(2)

    assert bucket.keys() == [document.file.name]
    content = bucket.read(document.file.name)
    assert content.startswith(b"%PDF") and len(content) == document.size
    # Only the bucket's owner may read it: no grant to everyone...
    acl = bucket.client.get_object_acl(Bucket=bucket.name, Key=document.file.name)
    grantees = [grant["Grantee"].get("URI") for grant in acl["Grants"]]
    assert ALL_USERS not in grantees
    # ...so the object's plain address answers 403 to anyone who has no key.
    plain = f"{bucket.endpoint}/{bucket.name}/{document.file.name}"
    assert requests.get(plain, timeout=10).status_code == 403


def test_a_link_to_the_object_would_be_signed_and_short_lived(
    bucket: Bucket, upload: Callable[[int], Document]
) -> None:
    document = upload(1)

    url = default_storage.url(document.file.name)

    assert url.startswith(f"{bucket.endpoint}/{bucket.name}/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60&" in url
    assert requests.get(url, timeout=10).content == bucket.read(document.file.name)


def test_the_family_downloads_it_through_the_portal_and_no_one_else(
    bucket: Bucket,
    upload: Callable[[int], Document],
    alice_client: Client,
    alice_student: Student,
    bob_client: Client,
) -> None:
    document = upload(2)
    url = document_url(alice_student, document)

    status, headers, content = download(Client(), url)  # A new browser, not logged in.
    assert status == 302 and "/connexion/" in headers["Location"]
    status, headers, content = download(bob_client, url)
    assert status == 404

    status, headers, content = download(alice_client, url)
    assert status == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["Cache-Control"] == "private, no-store"
    assert content == bucket.read(document.file.name)


def test_a_missing_object_answers_404(
    bucket: Bucket, upload: Callable[[int], Document], alice_client: Client, alice_student: Student
) -> None:
    document = upload(1)
    bucket.client.delete_object(Bucket=bucket.name, Key=document.file.name)

    status, _headers, _content = download(alice_client, document_url(alice_student, document))

    assert status == 404


def test_deleting_the_document_deletes_its_object(
    bucket: Bucket,
    upload: Callable[[int], Document],
    alice_client: Client,
    alice_student: Student,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    document = upload(1)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"{document_url(alice_student, document)}supprimer/")

    assert response.status_code == 302
    assert not Document.objects.exists()
    assert bucket.keys() == []
    with pytest.raises(ClientError) as error:
        bucket.client.head_object(Bucket=bucket.name, Key=document.file.name)
    assert error.value.response["Error"]["Code"] == "404"


def test_a_replaced_document_leaves_only_the_new_object(
    bucket: Bucket, upload: Callable[[int], Document], django_capture_on_commit_callbacks: Callable
) -> None:
    first = upload(1)

    with django_capture_on_commit_callbacks(execute=True):
        second = upload(3)

    assert second.pk == first.pk and second.file.name != first.file.name
    assert bucket.keys() == [second.file.name]


def test_a_rolled_back_deletion_keeps_the_object(
    bucket: Bucket, upload: Callable[[int], Document], django_capture_on_commit_callbacks: Callable
) -> None:
    document = upload(1)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        Document.objects.filter(pk=document.pk).delete()
        raise Rollback

    assert callbacks == []
    assert Document.objects.filter(pk=document.pk).exists()
    assert bucket.keys() == [document.file.name]


def test_documents_deleted_in_the_admin_take_their_objects_along(
    bucket: Bucket,
    upload: Callable[[int], Document],
    moissy_staff: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Callable,
) -> None:
    """The admin's bulk delete goes around the service (a queryset delete): files go too."""
    document = upload(2)
    staff = client_for(moissy_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/reenrollment/document/",
            {"action": "delete_selected", "_selected_action": [document.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Document.objects.exists()
    assert bucket.keys() == []
