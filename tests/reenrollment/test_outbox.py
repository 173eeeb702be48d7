"""The email outbox of re-enrollment: a message leaves only with the change behind it; the
worker sends what is pending, retries an SMTP failure later, and never sends a message twice."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from courses.models import Enrolment, Slot
from extranet.models import OutboxMessage, User
from extranet.outbox import outbox_deliver
from extranet.services import send_templated_email
from reenrollment import services
from reenrollment.models import Campaign, CeilingTariff, Choice, DocumentType, ReenrollmentRequest
from tests.factories import DocumentTypeFactory
from tests.reenrollment.helpers import ALICE_EMAIL, BASE_URL, mails_to, renew, run_concurrently

BACKEND = "tests.reenrollment.mail_backends.FlakyBackend"
BROKEN = "boite.pleine@example.org"


class Rollback(Exception):
    """Raised to undo a transaction on purpose."""


def queue(to: str, subject: str = "Réinscription") -> OutboxMessage:
    return send_templated_email(
        to=to,
        template="reenrollment/emails/refused",
        context={
            "request": ReenrollmentRequest(refusal_reason=subject),
            "student": {"prenom": "Gaëlle", "nom": "TEST"},
            "site": {"name": "Moissy-Cramayel"},
        },
    )


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    """As in production: the worker sends, nothing leaves on commit; SMTP may fail."""
    settings.OUTBOX_SEND_ON_COMMIT = False
    settings.EMAIL_BACKEND = BACKEND
    settings.TEST_SMTP_REFUSED = [BROKEN]
    return settings


@pytest.fixture
def alice_request(
    pianists: None, campaign: Campaign, gaelle_piano: Enrolment, piano_monday: Slot
) -> ReenrollmentRequest:
    request = renew(campaign, gaelle_piano, piano_monday)
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    return request


# With the transaction -----------------------------------------------------------------------


def test_an_email_of_a_rolled_back_decision_is_never_queued(
    alice_request: ReenrollmentRequest,
    moissy_staff: User,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        services.request_refuse(
            request=alice_request, reason="Doublon", by=moissy_staff, base_url=BASE_URL
        )
        assert OutboxMessage.objects.count() == 1  # Written with the decision...
        raise Rollback

    assert not OutboxMessage.objects.exists()  # ...and gone with it.
    assert callbacks == []
    assert mail.outbox == []
    assert (
        ReenrollmentRequest.objects.get(pk=alice_request.pk).status
        != ReenrollmentRequest.Status.REFUSED
    )


def test_a_committed_decision_sends_its_email_right_after_the_commit(
    alice_request: ReenrollmentRequest,
    moissy_staff: User,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.request_refuse(
            request=alice_request, reason="Doublon", by=moissy_staff, base_url=BASE_URL
        )
        assert mail.outbox == []  # Not before the commit.

    for callback in callbacks:
        callback()
    [message] = mails_to(ALICE_EMAIL)
    assert message.subject == "Réinscription refusée : Gaëlle"
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_rolled_back_transaction_sends_nothing_on_a_real_commit(transactional_db: None) -> None:
    with pytest.raises(Rollback), transaction.atomic():
        queue("test@example.org")
        raise Rollback

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []
    with transaction.atomic():
        queue("test@example.org")
    assert len(mail.outbox) == 1


# The worker -----------------------------------------------------------------------------------


def test_run_worker_once_sends_the_pending_messages(worker_settings: Settings, db: None) -> None:
    first, second = queue("a@example.org"), queue("b@example.org")
    later = queue("c@example.org")
    OutboxMessage.objects.filter(pk=later.pk).update(
        send_after=timezone.now() + datetime.timedelta(hours=1)
    )
    assert mail.outbox == []

    call_command("run_worker", "--once")

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    for message in (first, second):
        message.refresh_from_db()
        assert message.sent_at is not None
        assert message.attempts == 1
    later.refresh_from_db()
    assert (later.sent_at, later.attempts) == (None, 0)
    # Sent messages are not sent again.
    call_command("run_worker", "--once")
    assert len(mail.outbox) == 2


def test_a_worker_round_sends_text_and_html_with_family_text_escaped_in_the_html(
    worker_settings: Settings, db: None
) -> None:
    queue("a@example.org", subject="Âge <dépassé> & dossier")

    call_command("run_worker", "--once")

    [message] = mail.outbox
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert "Âge &lt;dépassé&gt; &amp; dossier" in html
    assert "<dépassé>" not in html


def test_the_text_part_keeps_apostrophes_and_signs_as_typed(
    worker_settings: Settings, db: None
) -> None:
    queue("a@example.org", subject="Attestation d'assurance <illisible> & périmée")

    call_command("run_worker", "--once")

    [message] = mail.outbox
    assert "Attestation d'assurance <illisible> & périmée" in message.body


def test_an_smtp_failure_is_retried_later_with_a_growing_delay(
    worker_settings: Settings, db: None
) -> None:
    message = queue(BROKEN)
    other = queue("a@example.org")

    before = timezone.now()
    assert outbox_deliver() == 1

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error.startswith("SMTPRecipientsRefused")
    assert (
        before + datetime.timedelta(minutes=1)
        <= message.send_after
        <= timezone.now() + datetime.timedelta(minutes=1)
    )
    other.refresh_from_db()
    assert other.sent_at is not None  # One bad address does not hold the others back.
    # Not retried before its time.
    assert outbox_deliver() == 0
    message.refresh_from_db()
    assert message.attempts == 1

    OutboxMessage.objects.filter(pk=message.pk).update(send_after=timezone.now())
    before = timezone.now()
    outbox_deliver()
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.send_after >= before + datetime.timedelta(minutes=2)

    worker_settings.TEST_SMTP_REFUSED = []  # The mailbox works again.
    OutboxMessage.objects.filter(pk=message.pk).update(send_after=timezone.now())
    assert outbox_deliver() == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert (message.attempts, message.last_error) == (3, "")
    assert [m.to for m in mail.outbox] == [["a@example.org"], [BROKEN]]


def test_the_worker_outlives_an_smtp_failure(worker_settings: Settings, db: None) -> None:
    queue(BROKEN)

    call_command("run_worker", "--once")

    assert OutboxMessage.objects.get().attempts == 1


def test_a_worker_round_also_passes_expired_offers_on_and_closes_ended_campaigns(
    worker_settings: Settings,
    pianists: None,
    campaign: Campaign,
    leo_piano: Enrolment,
    gaelle_piano: Enrolment,
    carol: Enrolment,
    piano_monday: Slot,
    piano_wednesday: Slot,
) -> None:
    DocumentTypeFactory(
        campaign=campaign, name="Avis d'imposition", scope=DocumentType.Scope.FAMILY
    )
    renew(campaign, leo_piano, piano_monday)
    renew(campaign, gaelle_piano, piano_monday, waitlist=True)
    renew(campaign, carol, piano_monday, waitlist=True)
    renew(campaign, leo_piano, piano_wednesday)  # The seat is offered to alice...
    Choice.objects.filter(enrolment=gaelle_piano).update(
        offer_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )  # ...who let the offer expire.
    Campaign.objects.filter(pk=campaign.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    call_command("run_worker", "--once")

    assert Choice.objects.get(enrolment=gaelle_piano).state == Choice.State.RELEASED
    assert Choice.objects.get(enrolment=carol).state == Choice.State.OFFERED
    assert CeilingTariff.objects.count() == 3  # No family gave the tax notice.
    campaign.refresh_from_db()
    assert campaign.closed_at is not None


# Several workers --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_workers_running_at_once_never_send_a_message_twice(
    postgresql: None, worker_settings: Settings
) -> None:
    worker_settings.TEST_SMTP_DELAY = 0.02  # Each sending takes time, as over SMTP.
    addresses = [f"famille{i}@example.org" for i in range(40)]
    for address in addresses:
        queue(address)

    results = run_concurrently([partial(outbox_deliver, limit=100) for _ in range(4)])

    assert all(isinstance(sent, int) for sent in results), results
    assert sum(results) == len(addresses)
    assert sum(1 for sent in results if sent) >= 2  # The workers did share the work.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(addresses)
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
