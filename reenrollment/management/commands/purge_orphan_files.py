import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reenrollment import services


class Command(BaseCommand):
    help = (
        "Delete the stored files under documents/ that no document names any more (left by "
        "uploads whose transaction never committed) and that are older than the delay. Safe "
        "to run every night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be deleted; delete nothing."
        )
        parser.add_argument(
            "--older-than-hours",
            type=int,
            default=24,
            help="Only files last written at least this many hours ago (default 24, minimum 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        hours = options["older_than_hours"]
        # A shorter delay could take the file of an upload whose transaction is still running.
        if hours < 1:
            raise CommandError("--older-than-hours must be at least 1.")
        names = services.orphan_files_purge(
            older_than=datetime.timedelta(hours=hours), dry_run=dry_run
        )
        verb = "to delete" if dry_run else "deleted"
        if dry_run or options["verbosity"] > 1:
            for name in names:
                self.stdout.write(name)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(names)} orphan files {verb} (named by no document, older than "
                f"{hours} hours)."
            )
        )
