import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from extranet.outbox import outbox_deliver
from reenrollment import services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Background worker: sends the email outbox, passes expired waiting-list offers on, "
        "offers freed seats, and closes campaigns that ended. Several may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One round, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between rounds.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                self.round()
            except Exception:  # noqa: BLE001 (the worker must outlive one bad round)
                logger.exception("Worker round failed")
                if options["once"]:
                    raise
            if options["once"]:
                return
            time.sleep(options["interval"])

    def round(self) -> None:
        base_url = settings.PORTAL_URL
        sent = outbox_deliver(limit=200)
        expired = services.offers_expire(base_url=base_url)
        offered = services.waitlists_fill(base_url=base_url)
        marked = services.campaigns_close_due()
        if sent or expired or offered or marked:
            logger.info(
                "worker: %s emails sent, %s offers expired, %s seats offered, %s ceiling marks",
                sent,
                expired,
                offered,
                marked,
            )
