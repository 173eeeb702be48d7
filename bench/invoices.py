"""Yearly invoicing at scale: preview, issue and PDF of every family's invoice (bench/README.md).

Everything runs in this process, against a PostgreSQL on 127.0.0.1, and stops by itself:

1. a fresh database (tutti_bench_invoices, dropped and recreated), migrated, filled with
   bulk_create from a seeded random: one site with its billing settings, the school year under
   way, its tariff grid (every kind, QF brackets 0/600/1000/1500 inside the territory, one
   outside), music (instruments and collective), dance and theatre courses with their slots,
   N families of 1 to 3 children (about 5 % are adult pupils, a family of one), each child
   enrolled in 1 to 3 courses, a FamilyBillingProfile for about 90 % of the families; about
   2 % of the families only have withdrawn enrolments (active=False) and get no invoice;
2. timed, with the queries counted: (a) billing.services.invoices_preview for the whole site,
   (b) invoices_issue (numbers, lines, 3 instalments), (c) every invoice rendered as a PDF by
   billing.views.render_invoice_pdf, in a seeded random order, stopping after --pdf-budget
   seconds (300) if need be: what was rendered is then a random sample (the report says so);
3. checks: one invoice per family with an active enrolment, numbers FAC<year>-000001..N with no
   gap (and the sequence's last number is N), the invoices' totals add up to the previews'
   totals, each invoice's lines and 3 instalments add up to its total, a second preview finds
   nothing left to invoice, every PDF is a PDF;
4. the slowest phase (by its time for all the invoices) is run again under cProfile, and the
   report says where the time goes (psycopg and PostgreSQL, Django ORM, reportlab, project).

The exit code is 1 when a check fails. The database is dropped at the end, whatever happens;
--max-seconds (default 1800) stops a run that would go on for too long.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import functools
import os
import platform
import pstats
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "tutti_bench_invoices"
PG_URL = "postgres://postgres@127.0.0.1:5432"

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "extranet.settings",
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "DEBUG": "0",
    "SECRET_KEY": "bench",
    "ALLOWED_HOSTS": "127.0.0.1",
}
os.environ.update(BENCH_ENV)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing import services  # noqa: E402
from billing.models import (  # noqa: E402
    BillingSettings,
    CourseTariff,
    FamilyBillingProfile,
    Instalment,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Residence,
    TariffGrid,
    TariffKind,
    TariffLine,
)
from billing.views import render_invoice_pdf  # noqa: E402
from courses.models import Course, Department, Enrolment, Room, Slot, Teacher  # noqa: E402
from extranet.models import SchoolYear, Site  # noqa: E402
from families.models import Family  # noqa: E402
from fixtures.demo import TARIFFS  # noqa: E402
from students.models import Student  # noqa: E402

INSTALMENTS = 3
BATCH = 2000
BRACKETS = (0, 600, 1000, 1500)
TERRITORY = ("77550", "77380", "77176")
POSTAL_CODES = [  # (code, town, weight): most families live on the territory.
    ("77550", "MOISSY CRAMAYEL", 45),
    ("77380", "COMBS LA VILLE", 25),
    ("77176", "SAVIGNY LE TEMPLE", 15),
    ("91000", "EVRY COURCOURONNES", 10),
    ("75011", "PARIS", 5),
]
INSTRUMENTS = [
    "Piano",
    "Violon",
    "Alto",
    "Violoncelle",
    "Contrebasse",
    "Flûte traversière",
    "Clarinette",
    "Hautbois",
    "Basson",
    "Saxophone",
    "Trompette",
    "Cor",
    "Trombone",
    "Tuba",
    "Guitare",
    "Harpe",
    "Percussions",
    "Batterie",
    "Accordéon",
    "Chant",
]
COLLECTIVE = [
    "FM 1C1",
    "FM 1C2",
    "FM 1C3",
    "FM 1C4",
    "FM 2C1",
    "FM 2C2",
    "Orchestre à cordes",
    "Harmonie",
    "Chorale enfants",
    "Atelier jazz",  # Billed as a second instrument: a CourseTariff says so.
]
DANCE = ["Éveil danse", "Danse classique", "Danse contemporaine", "Danse jazz"]
THEATRE = ["Théâtre enfants", "Théâtre ados", "Théâtre adultes"]
SURNAMES = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "N'DIAYE",
    "DA SILVA",
    "NGUYEN",
    "BENAÏSSA",
]
FIRST_NAMES = [
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Inès",
    "Gabriel",
    "Manon",
    "Arthur",
    "Jade",
    "Raphaël",
    "Zoé",
    "Noé",
    "Camille",
    "Élise",
    "Maël",
    "Anaïs",
]


# Database ---------------------------------------------------------------------------------


def recreate_database() -> None:
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


class QueryCounter:
    """An execute wrapper: how many queries ran, and how long they took seen from Python
    (round trip to PostgreSQL included). Transaction commits are not queries here."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.by_sql: dict[str, list[float]] = {}  # statement shape: [count, seconds]

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            entry = self.by_sql.setdefault(sql_summary(sql), [0, 0.0])
            entry[0] += 1
            entry[1] += elapsed

    def top(self, count: int) -> list[str]:
        rows = sorted(self.by_sql.items(), key=lambda kv: -kv[1][1])[:count]
        return [
            f"    {n:>7} x {1000 * seconds / n:6.2f} ms = {seconds:6.2f} s  {summary}"
            for summary, (n, seconds) in rows
        ]


@functools.lru_cache(maxsize=1024)
def sql_summary(sql: str) -> str:
    """The statement, short: its verb, its first table and its WHERE clause (one line per
    kind of statement, whatever its parameters or its number of rows)."""
    sql = sql.replace('"', "")
    verb = sql.split(None, 1)[0]
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql)
    where = re.search(r"\bWHERE\b(.*?)(\bORDER BY\b|\bLIMIT\b|\bFOR UPDATE\b|$)", sql)
    text = f"{verb} {table.group(1) if table else ''}"
    if where:
        text += " WHERE" + re.sub(r"\w+\.(\w+)", r"\1", where.group(1))
    if "FOR UPDATE" in sql:
        text += " FOR UPDATE"
    return re.sub(r"\s+", " ", text)[:110]


@dataclass
class Phase:
    name: str
    items: int
    seconds: float
    queries: int
    db_seconds: float
    note: str = ""
    sql: QueryCounter = field(default_factory=QueryCounter)

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


@contextmanager
def measured(name: str, phases: list[Phase]) -> Iterator[Phase]:
    phase = Phase(name, 0, 0.0, 0, 0.0)
    counter = phase.sql
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        yield phase
    phase.seconds = time.perf_counter() - started
    phase.queries = counter.count
    phase.db_seconds = counter.seconds
    phases.append(phase)


# Data -------------------------------------------------------------------------------------


@dataclass
class Generated:
    site: Site
    school_year: SchoolYear
    families: int = 0
    students: int = 0
    adults: int = 0
    enrolments: int = 0
    inactive_enrolments: int = 0
    profiles: int = 0
    withdrawn_families: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def current_school_year() -> SchoolYear:
    today = timezone.localdate()
    first = today.year if today.month >= 9 else today.year - 1
    return SchoolYear.objects.create(
        label=f"{first}/{first + 1}",
        start_date=datetime.date(first, 9, 1),
        end_date=datetime.date(first + 1, 8, 31),
    )


def weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def generate(families: int, seed: int) -> Generated:  # noqa: C901 (a flat recipe)
    started = time.perf_counter()
    rng = random.Random(seed)
    site = Site.objects.create(
        name="Conservatoire de la facturation",
        slug="bench",
        institution="Conservatoire à rayonnement intercommunal du banc d'essai",
        address="Place du Souvenir",
        postal_code="77550",
        city="Moissy-Cramayel",
        phone="01 64 88 15 00",
        email="secretariat@bench.example.org",
    )
    school_year = current_school_year()
    out = Generated(site=site, school_year=school_year)
    BillingSettings.objects.create(
        site=site,
        legal_name="Régie du conservatoire du banc d'essai",
        legal_details="SIRET 217 700 000 00011 · Régie de recettes du conservatoire · "
        "Paiement à l'ordre du Trésor public.",
        territory_postal_codes=" ".join(TERRITORY),
    )
    grid = TariffGrid.objects.create(site=site, school_year=school_year)
    tariff_lines = []
    for kind, amounts in TARIFFS.items():
        for qf_min, amount in zip(BRACKETS, amounts, strict=True):
            tariff_lines.append(
                TariffLine(
                    grid=grid,
                    kind=kind,
                    residence=Residence.INSIDE,
                    qf_min=qf_min,
                    amount=Decimal(amount),
                )
            )
        tariff_lines.append(
            TariffLine(
                grid=grid,
                kind=kind,
                residence=Residence.OUTSIDE,
                qf_min=0,
                amount=Decimal(amounts[-1]) * Decimal("1.5"),
            )
        )
    TariffLine.objects.bulk_create(tariff_lines)
    assert {line.kind for line in tariff_lines} == set(TariffKind.values)

    departments = {
        name: Department.objects.create(site=site, name=name)
        for name in ("Musique", "Danse", "Théâtre")
    }
    catalogue = (
        [("instrument", name, "Musique", False) for name in INSTRUMENTS]
        + [("collective", name, "Musique", True) for name in COLLECTIVE]
        + [("dance", name, "Danse", True) for name in DANCE]
        + [("theatre", name, "Théâtre", True) for name in THEATRE]
    )
    courses = Course.objects.bulk_create(
        Course(site=site, department=departments[dept], name=name, collective=collective)
        for _category, name, dept, collective in catalogue
    )
    by_name = {course.name: course for course in courses}
    CourseTariff.objects.create(course=by_name["Atelier jazz"], kind=TariffKind.SECOND_INSTRUMENT)
    teachers = Teacher.objects.bulk_create(
        Teacher(site=site, nom=f"PROF{i:02d}", prenom=rng.choice(FIRST_NAMES)) for i in range(30)
    )
    rooms = Room.objects.bulk_create(Room(site=site, name=f"Salle {i + 1}") for i in range(12))
    slots = Slot.objects.bulk_create(
        Slot(
            course=course,
            teacher=rng.choice(teachers),
            room=rng.choice(rooms),
            school_year=school_year,
            weekday=rng.randint(1, 6),
            start_time=datetime.time(rng.randint(9, 19), rng.choice((0, 30))),
            duration=30 if category == "instrument" else 60,
            capacity=200,
        )
        for course, (category, _n, _d, _c) in zip(courses, catalogue, strict=True)
        for _i in range(rng.randint(3, 5))
    )
    slots_of: dict[int, list[Slot]] = {}
    for slot in slots:
        slots_of.setdefault(slot.course_id, []).append(slot)
    course_ids: dict[str, list[int]] = {}
    for course, (category, _n, _d, _c) in zip(courses, catalogue, strict=True):
        course_ids.setdefault(category, []).append(course.pk)
    categories = [("instrument", 45), ("collective", 30), ("dance", 15), ("theatre", 10)]

    family_rows = []
    plans = []  # per family: (adult, children count, withdrawn)
    for i in range(families):
        code, town, _w = rng.choices(POSTAL_CODES, weights=[w for *_x, w in POSTAL_CODES])[0]
        adult = rng.random() < 0.05
        withdrawn = rng.random() < 0.02
        family_rows.append(
            Family(
                site=site,
                civilite=rng.choice(("Madame", "Monsieur")),
                nom=f"{rng.choice(SURNAMES)}-{i:05d}",
                prenom=rng.choice(FIRST_NAMES),
                adresse=f"{rng.randint(1, 120)} rue des Musiciens",
                code_postal=code,
                ville=town,
                mobile="06 12 93 31 09",
                email=f"famille{i:05d}@example.org",
            )
        )
        children = 1 if adult else weighted(rng, [(1, 50), (2, 35), (3, 15)])
        plans.append((adult, children, withdrawn))
    family_rows = Family.objects.bulk_create(family_rows, batch_size=BATCH)

    student_rows = []
    for family, (adult, children, _w) in zip(family_rows, plans, strict=True):
        for _c in range(children):
            if adult:
                born = datetime.date(rng.randint(1960, 2000), rng.randint(1, 12), 1)
            else:
                born = datetime.date(
                    school_year.start_date.year - rng.randint(5, 17), rng.randint(1, 12), 1
                )
            student_rows.append(
                Student(
                    family=family,
                    nom=family.nom,
                    prenom=family.prenom if adult else rng.choice(FIRST_NAMES),
                    date_naissance=born,
                    utiliser_coordonnees_responsable=True,
                )
            )
            out.adults += adult
    student_rows = Student.objects.bulk_create(student_rows, batch_size=BATCH)

    withdrawn_of = {f.pk: w for f, (_a, _c, w) in zip(family_rows, plans, strict=True)}
    enrolment_rows = []
    for student in student_rows:
        chosen: list[int] = []
        for _k in range(weighted(rng, [(1, 40), (2, 40), (3, 20)])):
            for _try in range(10):
                course_id = rng.choice(course_ids[weighted(rng, categories)])
                if course_id not in chosen:
                    chosen.append(course_id)
                    break
        withdrawn = withdrawn_of[student.family_id]
        for course_id in chosen:
            active = not withdrawn and rng.random() >= 0.03
            enrolment_rows.append(
                Enrolment(
                    student=student,
                    slot=rng.choice(slots_of[course_id]),
                    cycle="Cycle 1",
                    active=active,
                )
            )
            out.inactive_enrolments += not active
    Enrolment.objects.bulk_create(enrolment_rows, batch_size=BATCH)

    profiles = []
    for family in family_rows:
        if rng.random() >= 0.9:
            continue  # No profile: residence from the postal code, ceiling tariff.
        quotient = None if rng.random() < 0.08 else rng.randint(0, 2500)
        if family.code_postal in TERRITORY:
            residence = Residence.INSIDE if rng.random() < 0.97 else Residence.OUTSIDE
        else:
            residence = Residence.OUTSIDE if rng.random() < 0.9 else Residence.INSIDE
        profiles.append(
            FamilyBillingProfile(family=family, quotient_familial=quotient, residence=residence)
        )
    FamilyBillingProfile.objects.bulk_create(profiles, batch_size=BATCH)

    out.families = len(family_rows)
    out.students = len(student_rows)
    out.enrolments = len(enrolment_rows)
    out.profiles = len(profiles)
    out.withdrawn_families = sum(withdrawn_of.values())
    out.seconds = time.perf_counter() - started
    return out


# Phases -----------------------------------------------------------------------------------


@dataclass
class PdfRun:
    total: int
    rendered: int
    sampled: bool
    pages: Counter[int] = field(default_factory=Counter)
    bytes: int = 0
    bad: list[str] = field(default_factory=list)


PAGE_OBJECT = re.compile(rb"/Type /Page\b(?!s)")


def invoices_for_pdf(site: Site) -> list[Invoice]:
    # What billing.views._family_invoice loads before rendering.
    return list(
        Invoice.objects.filter(site=site)
        .select_related("site__billing", "school_year", "family", "credit_note_of")
        .order_by("number")
    )


def spread(total: int, count: int) -> list[int]:
    """`count` indexes evenly spread over range(total)."""
    if count >= total:
        return list(range(total))
    return sorted({i * total // count for i in range(count)})


def render_pdfs(invoices: Sequence[Invoice], run: PdfRun) -> None:
    for invoice in invoices:
        content = render_invoice_pdf(invoice)
        run.rendered += 1
        run.bytes += len(content)
        pages = len(PAGE_OBJECT.findall(content))
        run.pages[pages] += 1
        if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-32:] or pages < 1:
            run.bad.append(invoice.number)


def pdf_phase(site: Site, budget: float, sample: int, seed: int, phase: Phase) -> PdfRun:
    """Every invoice, or as many as `budget` seconds allow, in a seeded random order: what
    is rendered is then a random sample of the invoices."""
    invoices = invoices_for_pdf(site)
    run = PdfRun(total=len(invoices), rendered=0, sampled=False)
    order = list(invoices)
    random.Random(seed).shuffle(order)
    if sample:
        order = order[:sample]
    started = time.perf_counter()
    for start in range(0, len(order), 25):
        render_pdfs(order[start : start + 25], run)
        if not sample and time.perf_counter() - started > budget:
            break
    run.sampled = run.rendered < run.total
    phase.items = run.rendered
    return run


# Checks -----------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def checks_after_issue(
    data: Generated, drafts_total: Decimal, drafts: int, issued: Sequence[Invoice], year: int
) -> list[Check]:
    site, school_year = data.site, data.school_year
    result = []
    expected = (
        Enrolment.objects.filter(
            slot__school_year=school_year, active=True, student__family__site=site
        )
        .values("student__family_id")
        .distinct()
        .count()
    )
    invoices = Invoice.objects.filter(site=site, school_year=school_year)
    count = invoices.count()
    result.append(
        Check(
            "one invoice per family with an active enrolment",
            count == expected == len(issued) == drafts,
            f"{count} invoices, {expected} families with an active enrolment, "
            f"{len(issued)} returned by invoices_issue, {drafts} drafts previewed",
        )
    )
    numbers = list(invoices.order_by("number").values_list("number", flat=True))
    wanted = [f"FAC{year}-{n:06d}" for n in range(1, count + 1)]
    last = (
        InvoiceSequence.objects.filter(site=site, year=year, prefix="FAC")
        .values_list("last", flat=True)
        .first()
    )
    missing = sorted(set(wanted) - set(numbers))[:5]
    result.append(
        Check(
            "numbers consecutive, no gap",
            numbers == wanted and last == count,
            f"FAC{year}-000001..{count:06d}, sequence last = {last}"
            + (f"; missing {missing}" if missing else ""),
        )
    )
    issued_total = invoices.aggregate(s=Sum("total"))["s"] or Decimal(0)
    result.append(
        Check(
            "sum of totals == sum of previews",
            issued_total == drafts_total,
            f"{issued_total} € issued, {drafts_total} € previewed",
        )
    )
    totals = dict(invoices.values_list("pk", "total"))
    lines_sum = dict(
        InvoiceLine.objects.filter(invoice__in=invoices)
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values_list("invoice", "s")
    )
    schedules = {
        pk: (n, s)
        for pk, n, s in Instalment.objects.filter(invoice__in=invoices)
        .values("invoice")
        .annotate(n=Count("pk"), s=Sum("amount"))
        .values_list("invoice", "n", "s")
    }
    lines_off = sum(lines_sum.get(pk) != total for pk, total in totals.items())
    schedule_off = sum(schedules.get(pk) != (INSTALMENTS, total) for pk, total in totals.items())
    result.append(
        Check(
            "lines and instalments add up to each total",
            lines_off == 0 and schedule_off == 0,
            f"{lines_off} invoices whose lines differ, {schedule_off} whose "
            f"{INSTALMENTS} instalments differ",
        )
    )
    again = services.invoices_preview(
        site=site, school_year=school_year, due_date=due_date(), instalments=INSTALMENTS
    )
    result.append(
        Check("a second preview finds nothing left", not again, f"{len(again)} drafts left")
    )
    return result


def due_date() -> datetime.date:
    today = timezone.localdate()
    return (today.replace(day=1) + datetime.timedelta(days=62)).replace(day=15)


# Profile ----------------------------------------------------------------------------------

BUCKETS = [
    ("psycopg and waiting for PostgreSQL", ("psycopg", "select.", "selectors")),
    ("Django ORM (django/db)", ("/django/db/",)),
    ("Django, other", ("/django/",)),
    ("reportlab (with its C accelerator)", ("/reportlab/", "_rl_accel")),
    ("project code", (str(ROOT / "billing"), str(ROOT / "extranet"), str(ROOT / "families"))),
]


def bucket_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return name
    return "Python (stdlib, builtins)"


def short(filename: str) -> str:
    for prefix in (str(ROOT / ".venv") + "/", str(ROOT) + "/", sys.prefix + "/"):
        if filename.startswith(prefix):
            filename = filename[len(prefix) :]
    return re.sub(r"^lib/python3\.\d+/(site-packages/)?", "", filename)


def profile_report(profiler: cProfile.Profile, wall: float, top: int) -> list[str]:
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
    buckets: Counter[str] = Counter()
    for (filename, _line, function), (_cc, _nc, tt, _ct, _callers) in entries.items():
        buckets[bucket_of(filename, function)] += tt
    out = [f"  profiled wall time {wall:.1f} s (cProfile adds overhead); own time by area:"]
    for name, seconds in buckets.most_common():
        out.append(f"    {name:<44} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")

    def row(key: tuple[str, int, str], value: tuple[Any, ...]) -> str:
        filename, line, function = key
        where = f"{short(filename)}:{line}({function})" if line else function
        return f"    {value[1]:>9} {value[2]:8.2f} {value[3]:8.2f}  {where[:90]}"

    out.append(f"  top {top} functions by own time:  calls  own s  cumul s")
    for key, value in sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]:
        out.append(row(key, value))
    out.append(f"  top {top} project/Django functions by cumulative time:")
    mine = [
        (key, value)
        for key, value in entries.items()
        if (key[0].startswith(str(ROOT)) and "/.venv/" not in key[0]) or "/django/db/" in key[0]
    ]
    for key, value in sorted(mine, key=lambda kv: -kv[1][3])[:top]:
        out.append(row(key, value))
    return out


def reset_invoices(site: Site) -> None:
    InvoiceLine.objects.filter(invoice__site=site)._raw_delete(using="default")  # type: ignore[attr-defined]
    Instalment.objects.filter(invoice__site=site)._raw_delete(using="default")  # type: ignore[attr-defined]
    Invoice.objects.filter(site=site)._raw_delete(using="default")  # type: ignore[attr-defined]
    InvoiceSequence.objects.filter(site=site).delete()


# Report -----------------------------------------------------------------------------------


GENERATED_TABLES = [
    model._meta.db_table
    for model in (
        Site,
        SchoolYear,
        BillingSettings,
        TariffGrid,
        TariffLine,
        Department,
        Course,
        CourseTariff,
        Teacher,
        Room,
        Slot,
        Family,
        Student,
        Enrolment,
        FamilyBillingProfile,
    )
]


def analyze(*, stale: bool) -> None:
    """Statistics as autovacuum would keep them: the generated tables analyzed, the invoice
    tables (still empty) left to the planner's own estimate, which follows their growth.

    With `stale`, the empty invoice tables are analyzed too, as a server whose autovacuum is
    off (or has not run yet) would leave them during a long run.
    """
    with connection.cursor() as cursor:
        if stale:
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE " + ", ".join(f'"{t}"' for t in GENERATED_TABLES))


def machine() -> str:
    model = platform.processor() or "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = "?"
    if Path("/proc/loadavg").exists():
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    return (
        f"nproc {os.cpu_count()}, {model}, load {load}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, PostgreSQL {pg.split()[0]} on 127.0.0.1 "
        f"(autovacuum {autovacuum})"
    )


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


class OutOfTime(Exception):
    pass


def on_alarm(_signum: int, _frame: Any) -> None:
    raise OutOfTime("--max-seconds reached")


def main() -> int:  # noqa: C901 (the run, step by step)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--pdf-budget",
        type=float,
        default=300.0,
        help="seconds: render a sample when all the PDFs would take longer (default 300)",
    )
    parser.add_argument(
        "--pdf-sample", type=int, default=0, help="render exactly this many PDFs (0: all or budget)"
    )
    parser.add_argument(
        "--profile",
        choices=["auto", "preview", "issue", "pdf", "all", "none"],
        default="auto",
        help="which phase to run again under cProfile (auto: the slowest)",
    )
    parser.add_argument("--profile-pdfs", type=int, default=300, help="PDFs rendered when profiled")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--stale-stats",
        action="store_true",
        help="analyze the empty invoice tables before issuing (planner statistics left stale)",
    )
    parser.add_argument("--max-seconds", type=int, default=1800)
    args = parser.parse_args()
    if args.families < 1:
        parser.error("--families must be at least 1")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.max_seconds)
    checks: list[Check] = []
    phases: list[Phase] = []
    started = time.perf_counter()
    dropped = False
    try:
        print(f"Invoices bench, {datetime.datetime.now():%Y-%m-%d %H:%M}", flush=True)
        recreate_database()
        print(machine(), flush=True)
        step = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrate in {time.perf_counter() - step:.1f} s", flush=True)
        data = generate(args.families, args.seed)
        print(
            f"generated in {data.seconds:.1f} s: {data.families} families "
            f"({data.withdrawn_families} only withdrawn, {data.profiles} with a billing "
            f"profile), {data.students} pupils ({data.adults} adults), {data.enrolments} "
            f"enrolments ({data.inactive_enrolments} inactive), seed {args.seed}",
            flush=True,
        )
        site, school_year = data.site, data.school_year
        due = due_date()
        analyze(stale=args.stale_stats)

        with measured("invoices_preview", phases) as phase:
            drafts = services.invoices_preview(
                site=site, school_year=school_year, due_date=due, instalments=INSTALMENTS
            )
            phase.items = len(drafts)
        drafts_total = sum((d.total for d in drafts), Decimal(0))
        kinds = Counter(line.kind for d in drafts for line in d.fee.lines)
        ceilings = sum(d.fee.ceiling for d in drafts)
        print(
            f"preview: {len(drafts)} drafts, {sum(len(d.fee.lines) for d in drafts)} lines, "
            f"{drafts_total} € ({ceilings} at the ceiling tariff); kinds {dict(kinds)}",
            flush=True,
        )

        year = timezone.localdate().year
        with measured(f"invoices_issue ({INSTALMENTS} instalments)", phases) as phase:
            issued = services.invoices_issue(
                site=site,
                school_year=school_year,
                due_date=due,
                label=f"Cotisation {school_year.label}",
                instalments=INSTALMENTS,
            )
            phase.items = len(issued)
        print(f"issued {len(issued)} invoices in {phases[-1].seconds:.1f} s", flush=True)
        checks += checks_after_issue(data, drafts_total, len(drafts), issued, year)

        with measured("render_invoice_pdf", phases) as phase:
            run = pdf_phase(site, args.pdf_budget, args.pdf_sample, args.seed, phase)
        if run.sampled:
            phase.note = (
                f"random sample of {run.rendered} of {run.total} (--pdf-budget "
                f"{args.pdf_budget:.0f} s); all would take ~{run.total / phase.rate:.0f} s"
            )
        print(f"rendered {run.rendered} PDFs in {phase.seconds:.1f} s", flush=True)
        checks.append(
            Check(
                "every PDF rendered is a PDF",
                not run.bad and run.rendered > 0,
                f"{run.rendered} rendered, {len(run.bad)} bad {run.bad[:5]}; pages "
                f"{dict(sorted(run.pages.items()))}; {run.bytes / max(run.rendered, 1) / 1024:.1f}"
                " KiB each",
            )
        )

        # The slowest phase, by its time for every invoice.
        full = {
            "preview": phases[0].seconds,
            "issue": phases[1].seconds,
            "pdf": phases[2].seconds * run.total / max(run.rendered, 1),
        }
        chosen = {
            "auto": [max(full, key=lambda k: full[k])],
            "all": ["pdf", "issue", "preview"],
            "none": [],
        }.get(args.profile, [args.profile])
        profiles: list[tuple[str, list[str]]] = []
        for name in ["pdf", "issue", "preview"]:  # PDFs first: they need the invoices.
            if name not in chosen:
                continue
            profiler = cProfile.Profile()
            counter = QueryCounter()
            if name == "pdf":
                everything = invoices_for_pdf(site)
                sample = [everything[i] for i in spread(len(everything), args.profile_pdfs)]
                title = f"render_invoice_pdf, {len(sample)} invoices"
                step = time.perf_counter()
                with connection.execute_wrapper(counter):
                    profiler.runcall(render_pdfs, sample, PdfRun(len(sample), 0, False))
            elif name == "issue":
                reset_invoices(site)
                title = f"invoices_issue, {len(issued)} invoices (invoices deleted first)"
                step = time.perf_counter()
                with connection.execute_wrapper(counter):
                    again = profiler.runcall(
                        services.invoices_issue,
                        site=site,
                        school_year=school_year,
                        due_date=due,
                        label=f"Cotisation {school_year.label}",
                        instalments=INSTALMENTS,
                    )
                numbers = sorted(i.number for i in again)
                checks.append(
                    Check(
                        "profiled re-issue: same count, numbers from 000001 again",
                        numbers == [f"FAC{year}-{n:06d}" for n in range(1, len(issued) + 1)],
                        f"{len(again)} invoices",
                    )
                )
            else:
                reset_invoices(site)
                title = f"invoices_preview, {len(drafts)} drafts (invoices deleted first)"
                step = time.perf_counter()
                with connection.execute_wrapper(counter):
                    profiler.runcall(
                        services.invoices_preview,
                        site=site,
                        school_year=school_year,
                        due_date=due,
                        instalments=INSTALMENTS,
                    )
            wall = time.perf_counter() - step
            lines = profile_report(profiler, wall, args.top)
            lines.insert(
                1,
                f"  {counter.count} queries, {counter.seconds:.1f} s in cursor.execute "
                f"({100 * counter.seconds / wall:.0f} % of the wall time)",
            )
            lines += ["  slowest statements:", *counter.top(6)]
            profiles.append((title, lines))
    except OutOfTime:
        checks.append(Check("finished within --max-seconds", False, f"{args.max_seconds} s"))
        profiles = []
    finally:
        signal.alarm(0)
        try:
            drop_database()
            dropped = True
        except Exception as error:  # The report still matters.
            print(f"cleanup: could not drop {DB_NAME}: {error!r}", file=sys.stderr)

    print()
    print(f"Families: {args.families}, instalments: {INSTALMENTS}, seed {args.seed}")
    print(
        table(
            [
                (
                    p.name,
                    p.items,
                    f"{p.seconds:.2f}",
                    f"{p.rate:,.0f}" if p.rate >= 100 else f"{p.rate:.1f}",
                    p.queries,
                    f"{p.queries / max(p.items, 1):.1f}",
                    f"{100 * p.db_seconds / p.seconds:.0f} %" if p.seconds else "-",
                    p.note,
                )
                for p in phases
            ],
            ["phase", "invoices", "seconds", "invoices/s", "queries", "q/invoice", "in SQL", ""],
        )
    )
    for p in phases:
        print(f"\nSlowest statements of {p.name} (count x mean = total):")
        print("\n".join(p.sql.top(6)))
    print()
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    for title, lines in profiles:
        print()
        print(f"Profile: {title}")
        print("\n".join(lines))
    print()
    print(
        f"total {time.perf_counter() - started:.0f} s; database {DB_NAME} "
        + ("dropped" if dropped else "NOT dropped")
    )
    return 0 if checks and all(check.ok for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
