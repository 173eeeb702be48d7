"""manage.py purge_documents: supporting documents go once their site's retention period is over."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from extranet.models import AuditEntry, Site, User
from families.models import Family
from reenrollment.models import Campaign, Document, PreRegistration, PreRegistrationDocument
from tests.factories import (
    CampaignFactory,
    DocumentFactory,
    DocumentTypeFactory,
    PreRegistrationDocumentFactory,
)


def campaign_closed(site: Site, *, days_ago: int, processed: bool = True) -> Campaign:
    closes_at = timezone.now() - datetime.timedelta(days=days_ago)
    return CampaignFactory(
        site=site,
        opens_at=closes_at - datetime.timedelta(days=30),
        closes_at=closes_at,
        closed_at=closes_at if processed else None,
    )


def document_of(campaign: Campaign, family: Family) -> Document:
    return DocumentFactory(document_type=DocumentTypeFactory(campaign=campaign), family=family)


def purge(*options: str) -> str:
    out = io.StringIO()
    call_command("purge_documents", *options, stdout=out)
    return out.getvalue()


def exists(document: Document) -> bool:
    return Document.objects.filter(pk=document.pk).exists()


def test_it_deletes_the_documents_of_campaigns_closed_for_longer_than_the_period(
    alice: Family, django_capture_on_commit_callbacks: Callable
) -> None:
    alice.site.document_retention_days = 365
    alice.site.save()
    old = document_of(campaign_closed(alice.site, days_ago=366), alice)
    recent = document_of(campaign_closed(alice.site, days_ago=364), alice)
    current = document_of(CampaignFactory(site=alice.site), alice)
    old_file = old.file.name
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    assert not exists(old)
    assert not default_storage.exists(old_file)
    assert exists(recent) and default_storage.exists(recent.file.name)
    assert exists(current)
    assert (
        "moissy-cramayel: 1 documents deleted "
        "(kept 365 days after a campaign closes or a pre-registration arrives)"
    ) in output


def test_a_campaign_whose_close_was_not_processed_keeps_its_documents(alice: Family) -> None:
    # The ceiling tariff is worked out from the documents at the close: not before it ran.
    kept = document_of(campaign_closed(alice.site, days_ago=1000, processed=False), alice)
    purge()
    assert exists(kept)


def test_each_site_has_its_own_period(
    alice: Family, dora: Family, django_capture_on_commit_callbacks: Callable
) -> None:
    Site.objects.filter(pk=alice.site_id).update(document_retention_days=30)
    Site.objects.filter(pk=dora.site_id).update(document_retention_days=365)
    moissy = document_of(campaign_closed(alice.site, days_ago=100), alice)
    boulogne = document_of(campaign_closed(dora.site, days_ago=100), dora)
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    assert not exists(moissy)
    assert exists(boulogne)
    assert "moissy-cramayel: 1 documents deleted" in output
    assert "boulogne-billancourt: 0 documents deleted" in output


def test_a_dry_run_counts_and_deletes_nothing(alice: Family) -> None:
    Site.objects.filter(pk=alice.site_id).update(document_retention_days=30)
    documents = [document_of(campaign_closed(alice.site, days_ago=100), alice) for _ in range(2)]
    output = purge("--dry-run")
    assert "moissy-cramayel: 2 documents to delete" in output
    assert all(exists(document) for document in documents)
    assert all(default_storage.exists(document.file.name) for document in documents)
    assert not AuditEntry.objects.exists()


def test_each_site_purged_gets_an_audit_entry_and_a_second_run_finds_nothing(
    alice: Family, dora: Family, django_capture_on_commit_callbacks: Callable
) -> None:
    Site.objects.filter(pk=alice.site_id).update(document_retention_days=30)
    for _ in range(3):
        document_of(campaign_closed(alice.site, days_ago=100), alice)
    with django_capture_on_commit_callbacks(execute=True):
        purge()
    entry = AuditEntry.objects.get()
    assert entry.action == "documents.purged"
    assert entry.actor is None
    assert entry.site == alice.site
    assert entry.details == {"count": 3, "pre_registration_count": 0, "retention_days": 30}
    # Every night: the next run has nothing left to do and says so, without a new entry.
    output = purge()
    assert "0 documents deleted in all." in output
    assert AuditEntry.objects.count() == 1


def test_the_period_is_set_in_the_site_form(
    moissy_staff: User, client_for: Callable[[User], Client]
) -> None:
    site = moissy_staff.site
    response = client_for(moissy_staff).get(f"/admin/extranet/site/{site.pk}/change/")
    assert response.status_code == 200
    assert 'name="document_retention_days"' in response.content.decode()
    client = client_for(moissy_staff)
    response = client.post(
        f"/admin/extranet/site/{site.pk}/change/",
        {"required_student_fields": ["tel_urgence"], "document_retention_days": "90"},
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.document_retention_days == 90


def pre_registration_document(
    site: Site, *, days_ago: int, status: str = PreRegistration.Status.CONVERTED
) -> PreRegistrationDocument:
    return PreRegistrationDocumentFactory(
        pre_registration__site=site,
        pre_registration__status=status,
        pre_registration__created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def test_a_pre_registration_dealt_with_loses_its_documents_after_the_period(
    alice: Family, django_capture_on_commit_callbacks: Callable
) -> None:
    Site.objects.filter(pk=alice.site_id).update(document_retention_days=365)
    converted = pre_registration_document(alice.site, days_ago=366)
    filed = pre_registration_document(
        alice.site, days_ago=400, status=PreRegistration.Status.CLOSED
    )
    recent = pre_registration_document(alice.site, days_ago=364)
    files = [converted.file.name, filed.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        output = purge()
    remaining = set(PreRegistrationDocument.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk}
    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(recent.file.name)
    # The pre-registrations themselves stay: the secretariat's record of the request.
    assert PreRegistration.objects.count() == 3
    assert "moissy-cramayel: 2 documents deleted" in output
    entry = AuditEntry.objects.get()
    assert entry.details == {"count": 0, "pre_registration_count": 2, "retention_days": 365}


def test_a_pre_registration_not_read_yet_keeps_its_documents(alice: Family) -> None:
    waiting = pre_registration_document(
        alice.site, days_ago=1000, status=PreRegistration.Status.NEW
    )
    assert "moissy-cramayel: 0 documents to delete" in purge("--dry-run")
    purge()
    assert PreRegistrationDocument.objects.filter(pk=waiting.pk).exists()


def test_pre_registrations_follow_their_own_sites_period(alice: Family, dora: Family) -> None:
    Site.objects.filter(pk=alice.site_id).update(document_retention_days=30)
    Site.objects.filter(pk=dora.site_id).update(document_retention_days=365)
    pre_registration_document(alice.site, days_ago=100)
    kept = pre_registration_document(dora.site, days_ago=100)
    output = purge("--dry-run")
    assert "moissy-cramayel: 1 documents to delete" in output
    assert "boulogne-billancourt: 0 documents to delete" in output
    purge()
    assert list(PreRegistrationDocument.objects.values_list("pk", flat=True)) == [kept.pk]
