from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reenrollment import services


class Command(BaseCommand):
    help = (
        "Delete the supporting documents (rows and stored files) of re-enrollment campaigns "
        "closed, and of pre-registrations dealt with, for longer than their site's retention "
        "period. Safe to run every night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        counts = services.documents_purge(dry_run=dry_run)
        verb = "to delete" if dry_run else "deleted"
        for site, count in counts:
            self.stdout.write(
                f"{site.slug}: {count} documents {verb} "
                f"(kept {site.document_retention_days} days after a campaign closes or a "
                "pre-registration arrives)"
            )
        total = sum(count for _site, count in counts)
        self.stdout.write(self.style.SUCCESS(f"{total} documents {verb} in all."))
