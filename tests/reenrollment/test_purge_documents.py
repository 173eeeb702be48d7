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
from reenrollment.models import Campaign, Document
from tests.factories import CampaignFactory, DocumentFactory, DocumentTypeFactory


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
    assert "moissy-cramayel: 1 documents deleted (kept 365 days after a campaign closes)" in output


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
    assert entry.details == {"count": 3, "retention_days": 30}
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
