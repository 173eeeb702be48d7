from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load (or refresh) the demo sites, accounts, families and students."

    def handle(self, *args: Any, **options: Any) -> None:
        # fixtures/ is the project's demo data, not an app: it may use every app.
        from fixtures import demo

        demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded (password: demo2026)."))
