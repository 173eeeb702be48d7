"""manage.py purge_orphan_files: stored files that no document names (an upload whose
transaction never committed) are deleted once they are old enough, on disk and on S3."""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from extranet.models import AuditEntry, Site
from families.models import Family
from reenrollment import services
from reenrollment.documents import stored_name
from reenrollment.models import (
    Campaign,
    Document,
    DocumentType,
    PreRegistrationDocument,
)
from students.models import Student
from tests.factories import (
    BLANK_PDF,
    DocumentFactory,
    DocumentTypeFactory,
    PreRegistrationDocumentFactory,
)
from tests.reenrollment.helpers import pdf_bytes, uploaded
from tests.reenrollment.s3 import Bucket

HOUR = datetime.timedelta(hours=1)
OLD = 25 * HOUR  # Past the default delay of 24 hours.


class Rollback(Exception):
    """Raised to undo a transaction on purpose."""


def aged(name: str, age: datetime.timedelta) -> str:
    """Backdate a stored file's modification time (local storage)."""
    moment = (timezone.now() - age).timestamp()
    os.utime(default_storage.path(name), (moment, moment))
    return name


def stored_file(age: datetime.timedelta = OLD, name: str | None = None) -> str:
    """A file written under a generated name (documents/<year>/<2 hex>/…), this old."""
    return aged(default_storage.save(name or stored_name(), ContentFile(BLANK_PDF)), age)


def purge(*options: str) -> str:
    out = io.StringIO()
    call_command("purge_orphan_files", *options, stdout=out)
    return out.getvalue()


def tax_notice_pdf() -> SimpleUploadedFile:
    return uploaded(pdf_bytes(pages=2), "Avis d'impôt 2025.pdf")


def stored_names(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def tax_notice(campaign: Campaign) -> DocumentType:
    return DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )


def pre_registration_document(site: Site, file: str) -> PreRegistrationDocument:
    return PreRegistrationDocumentFactory(pre_registration__site=site, file=file)


def test_an_orphan_older_than_the_delay_is_deleted(alice: Family) -> None:
    orphan = stored_file(OLD)

    output = purge()

    assert not default_storage.exists(orphan)
    assert "1 orphan files deleted (named by no document, older than 24 hours)." in output


def test_files_named_by_a_document_or_a_pre_registration_document_are_kept(
    alice: Family, campaign: Campaign
) -> None:
    document = DocumentFactory(
        document_type=DocumentTypeFactory(campaign=campaign), family=alice, file=stored_file(OLD)
    )
    pre_registration = pre_registration_document(alice.site, stored_file(OLD))
    orphan = stored_file(OLD)

    assert services.orphan_files_purge() == [orphan]

    assert default_storage.exists(document.file.name)
    assert default_storage.exists(pre_registration.file.name)
    assert not default_storage.exists(orphan)


def test_a_document_committed_while_the_storage_is_listed_keeps_its_file(
    alice: Family, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The storage is listed before the rows are read, so a row committed in between is seen.
    # (The file is old so that the age rule does not keep it: the order alone must.)
    uploading = stored_file(OLD)
    list_storage = services._stored_documents

    def list_then_commit(folder: str) -> Iterator[str]:
        yield from list_storage(folder)
        DocumentFactory(
            document_type=DocumentTypeFactory(campaign=campaign), family=alice, file=uploading
        )

    monkeypatch.setattr(services, "_stored_documents", list_then_commit)

    assert services.orphan_files_purge() == []
    assert default_storage.exists(uploading)


def list_then_delete(monkeypatch: pytest.MonkeyPatch, delete: Callable[[str], object]) -> None:
    """Another run deletes each file right after this one listed it."""
    list_storage = services._stored_documents

    def listing(folder: str) -> Iterator[str]:
        names = list(list_storage(folder))
        for name in names:
            delete(name)
        yield from names

    monkeypatch.setattr(services, "_stored_documents", listing)


def test_a_file_another_run_deleted_meanwhile_is_skipped(
    alice: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_file(OLD)
    list_then_delete(monkeypatch, default_storage.delete)

    assert services.orphan_files_purge() == []
    assert not AuditEntry.objects.exists()


def test_an_orphan_younger_than_the_delay_is_kept(alice: Family) -> None:
    # Written, its transaction not committed yet: an upload in progress looks just like this.
    fresh = stored_file(23 * HOUR)

    assert "0 orphan files deleted" in purge()
    assert default_storage.exists(fresh)

    assert "1 orphan files deleted" in purge("--older-than-hours", "12")
    assert not default_storage.exists(fresh)


def test_the_delay_cannot_be_shorter_than_an_hour(alice: Family) -> None:
    fresh = stored_file(datetime.timedelta(minutes=1))

    with pytest.raises(CommandError, match="at least 1"):
        purge("--older-than-hours", "0")

    assert default_storage.exists(fresh)


def test_a_dry_run_lists_the_orphans_and_deletes_nothing(alice: Family) -> None:
    orphans = sorted([stored_file(OLD), stored_file(OLD)])
    stored_file(HOUR)  # Too young: not listed either.

    output = purge("--dry-run")

    assert output.splitlines() == [
        *orphans,
        "2 orphan files to delete (named by no document, older than 24 hours).",
    ]
    assert all(default_storage.exists(name) for name in orphans)
    assert not AuditEntry.objects.exists()


def test_a_purge_writes_one_audit_entry_and_a_second_run_finds_nothing(alice: Family) -> None:
    for _ in range(3):
        stored_file(OLD)

    purge()

    entry = AuditEntry.objects.get()
    assert entry.action == "documents.orphans_purged"
    assert entry.actor is None and entry.site is None
    assert entry.details == {"count": 3, "older_than_hours": 24.0}
    # Every night: the next run has nothing left to do and says so, without a new entry.
    assert "0 orphan files deleted" in purge()
    assert AuditEntry.objects.count() == 1


def test_files_outside_documents_are_left_alone(alice: Family, private_media: Path) -> None:
    outside = [
        stored_file(OLD, name="justificatif.pdf"),
        stored_file(OLD, name="exports/2020/ab/archive.pdf"),
        stored_file(OLD, name="documents-old/2020/ab/archive.pdf"),
    ]
    orphan = stored_file(OLD)

    purge()

    assert stored_names(private_media) == set(outside)
    assert not default_storage.exists(orphan)


def test_an_empty_storage_has_nothing_to_purge(alice: Family) -> None:
    assert services.orphan_files_purge() == []
    assert not AuditEntry.objects.exists()


# Real orphans: the upload is stored, then its transaction rolls back. ----------------------


def test_an_import_whose_request_fails_after_storing_leaves_a_file_the_purge_removes(
    alice_client: Client,
    alice_student: Student,
    tax_notice: DocumentType,
    private_media: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the worker died before answering")

    # The service has stored the file and inserted the row; the request then fails, and
    # ATOMIC_REQUESTS rolls the row back.
    monkeypatch.setattr("reenrollment.views.redirect", crash)
    with pytest.raises(RuntimeError):
        alice_client.post(
            f"/eleves/{alice_student.pk}/reinscription/pieces/{tax_notice.pk}/importer/",
            {"files": tax_notice_pdf()},
        )

    assert not Document.objects.exists()
    (orphan,) = stored_names(private_media)
    assert orphan.startswith("documents/")
    # As young as an upload in progress: the nightly run keeps it...
    assert services.orphan_files_purge() == []
    assert default_storage.exists(orphan)
    # ...and the run of the next night deletes it.
    aged(orphan, OLD)
    assert services.orphan_files_purge() == [orphan]
    assert stored_names(private_media) == set()


def test_a_rolled_back_upload_is_purged_and_a_committed_one_kept(
    alice: Family, tax_notice: DocumentType, private_media: Path
) -> None:
    with pytest.raises(Rollback), transaction.atomic():
        services.document_upload(
            document_type=tax_notice,
            family=alice,
            student=None,
            files=[tax_notice_pdf()],
        )
        raise Rollback
    (orphan,) = stored_names(private_media)
    kept = services.document_upload(
        document_type=tax_notice, family=alice, student=None, files=[tax_notice_pdf()]
    )
    for name in (orphan, kept.file.name):
        aged(name, OLD)

    assert services.orphan_files_purge(dry_run=True) == [orphan]
    assert services.orphan_files_purge() == [orphan]

    assert stored_names(private_media) == {kept.file.name}
    Document.objects.get(pk=kept.pk)


def test_orphans_in_an_s3_bucket_are_deleted_and_the_rest_kept(
    bucket: Bucket,
    alice: Family,
    tax_notice: DocumentType,
) -> None:
    kept = services.document_upload(
        document_type=tax_notice, family=alice, student=None, files=[tax_notice_pdf()]
    )
    with pytest.raises(Rollback), transaction.atomic():
        services.document_upload(
            document_type=tax_notice, family=alice, student=None, files=[tax_notice_pdf()]
        )
        raise Rollback
    (orphan,) = set(bucket.keys()) - {kept.file.name}
    bucket.client.put_object(Bucket=bucket.name, Key="exports/archive.pdf", Body=BLANK_PDF)
    # S3 sets LastModified itself: the objects are made old by looking from the future.
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    assert services.orphan_files_purge() == []  # Just written: kept.
    assert services.orphan_files_purge(older_than=datetime.timedelta(0), now=tomorrow) == [orphan]

    assert sorted(bucket.keys()) == sorted([kept.file.name, "exports/archive.pdf"])
    assert AuditEntry.objects.get(action="documents.orphans_purged").details["count"] == 1


def test_an_s3_object_another_run_deleted_meanwhile_is_skipped(
    bucket: Bucket, alice: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3 answers a missing object with its own error, not FileNotFoundError.
    bucket.client.put_object(Bucket=bucket.name, Key=stored_name(), Body=BLANK_PDF)
    list_then_delete(
        monkeypatch, lambda key: bucket.client.delete_object(Bucket=bucket.name, Key=key)
    )
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    assert services.orphan_files_purge(older_than=datetime.timedelta(0), now=tomorrow) == []
