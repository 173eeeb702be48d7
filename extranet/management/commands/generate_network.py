from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Fill an empty database with a network at realistic size (7 sites, 6 000 families, "
        "10 000 pupils, 400 teachers, 1 500 slots a year, 3 years of history, invoices): "
        "the data of the load benchmark (bench/README.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiplies the sizes (1.0: the full network; 0.01 for a quick try).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random data.")
        parser.add_argument(
            "--password", default=None, help="The password of every generated account."
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Empty the whole database first (as manage.py flush): every row is lost.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # fixtures/ is the project's demo data, not an app: it may use every app.
        from fixtures import network

        scale = options["scale"]
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        if options["flush"]:
            call_command("flush", interactive=False, verbosity=0)
        elif not network.database_is_empty():
            raise CommandError(
                "The database already has sites, accounts, school years or families. "
                "Use an empty database, or --flush to empty this one first."
            )
        password = options["password"] or network.NETWORK_PASSWORD
        sizes = network.Sizes.at(scale)
        self.stdout.write(
            f"Generating {sizes.families} families, {sizes.pupils} pupils, {sizes.teachers} "
            f"teachers and {sizes.slots} slots a year on {len(network.SITES)} sites..."
        )
        report = network.generate(
            scale=scale,
            seed=options["seed"],
            password=password,
            log=lambda message: self.stdout.write(f"  {message}"),
        )
        width = max(len(label) for label in report.counts)
        for label, count in report.counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>8}")
        self.stdout.write(
            self.style.SUCCESS(f"Network generated in {report.seconds:.0f} s.")
            + "\nEvery account's password: "
            + password
            + "\nLog in at /connexion/ with a site and an identifiant, for example:"
            + f"\n  family   {report.family_login[0]} / {report.family_login[1]}"
            + f"\n  teacher  {report.teacher_login[0]} / {report.teacher_login[1]}"
            + f"  (Accès enseignant)\n  staff    {report.staff_login[0]} / "
            + f"{report.staff_login[1]}  (administration, second factor required)"
        )
