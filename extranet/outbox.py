"""Delivery of the email outbox: claimed row by row, so that workers never send one twice."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from extranet.models import OutboxMessage

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8... minutes after each failure, at most an hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def outbox_deliver(*, limit: int = 50, ids: list[int] | None = None) -> int:
    """Send pending messages; return how many were sent.

    Each message is claimed with SELECT ... FOR UPDATE SKIP LOCKED inside its own
    transaction, so several workers (or hosts) can run at once without sending a message twice.
    """
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                sent_at__isnull=True, send_after__lte=timezone.now(), attempts__lt=MAX_ATTEMPTS
            )
            if ids is not None:
                pending = pending.filter(pk__in=ids)
            message = pending.order_by("send_after", "pk").first()
            if message is None:
                break
            email = EmailMultiAlternatives(
                message.subject, message.text_body, settings.DEFAULT_FROM_EMAIL, [message.to]
            )
            if message.html_body:
                email.attach_alternative(message.html_body, "text/html")
            message.attempts += 1
            try:
                email.send()
            except Exception as error:  # noqa: BLE001 (any SMTP failure is retried later)
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.send_after = timezone.now() + backoff(message.attempts)
                logger.warning("Outbox message %s failed: %s", message.pk, message.last_error)
            else:
                message.sent_at = timezone.now()
                message.last_error = ""
                sent += 1
            message.save(update_fields=["attempts", "last_error", "send_after", "sent_at"])
    return sent
