"""Email backends for the outbox tests: Django's in-memory backend, with an SMTP server that
refuses some addresses or takes its time."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem


class FlakyBackend(locmem.EmailBackend):
    """Refuses the recipients listed in settings.TEST_SMTP_REFUSED as a real server would, and
    waits settings.TEST_SMTP_DELAY seconds per message (0 by default)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        refused = set(getattr(settings, "TEST_SMTP_REFUSED", ()))
        for message in email_messages:
            time.sleep(getattr(settings, "TEST_SMTP_DELAY", 0))
            bad = refused.intersection(message.recipients())
            if bad:
                raise smtplib.SMTPRecipientsRefused(
                    dict.fromkeys(bad, (550, b"Mailbox unavailable"))
                )
        return super().send_messages(email_messages)
