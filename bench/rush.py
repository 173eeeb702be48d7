"""Re-enrollment rush: 200 families press "Valider" at the same second (bench/README.md).

Everything runs on this machine, over loopback, and stops by itself:

1. a fresh PostgreSQL database (tutti_bench, or $RUSH_DB_NAME; dropped and recreated for each
   scenario), migrated, filled with the Django ORM: one site, this school year and the next, an
   open campaign with no document to provide, N families with one pupil each, enrolled this year
   in a course;
2. gunicorn (4 sync workers, one thread each) on a free port of 127.0.0.1;
3. every family logs in first (real Argon2id check) and opens its Réinscription tab; then all
   the submissions are released together by a threading.Barrier, one POST each; a second wave
   submits again for some of them (the double click) and must take no extra seat;
4. the seats are counted in the database (Choice rows in state "held", per slot) and must equal
   each slot's capacity exactly, with no HTTP error: a refused seat is a normal 400 page that
   says the slot "vient d'être complet", anything else (5xx, connection error, an unexpected
   status) is an error.

Scenario A: one next-year slot of 30 seats, all families choose it.
Scenario B: the families spread over N/4 courses, each with one next-year slot of 3 seats.

With --in-process there is no server and no rush: each family submits in turn through
Django's test client, and the script prints the CPU time and the statements of an accepted and
of a refused submission, and where a profile of them spends its time.

The exit code is 1 when a slot's seats differ from its capacity or an error happened. Needs a
PostgreSQL reachable as postgres@127.0.0.1:5432 (trust authentication); the bench database is
dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import logging
import math
import os
import platform
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import requests
from gunicorn_server import Server, free_port, no_control_socket, start
from gunicorn_server import stop as stop_server

ROOT = Path(__file__).resolve().parent.parent
# Its own database, dropped and recreated: RUSH_DB_NAME lets two runs share the server.
DB_NAME = os.environ.get("RUSH_DB_NAME", "tutti_bench")
if not re.fullmatch(r"[a-z_][a-z0-9_]*", DB_NAME):
    sys.exit(f"RUSH_DB_NAME: not a plain database name: {DB_NAME!r}")
PG_URL = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "rentree-bench-2026"
TARGET_P95 = 1.0  # seconds, the target for one submission under the rush
REQUEST_TIMEOUT = 120.0  # seconds; a request still unanswered then counts as an error
WORK_DIR = Path(tempfile.mkdtemp(prefix="tutti-rush-"))

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "extranet.settings",
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "DEBUG": "0",
    "SECRET_KEY": "bench",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    # collectstatic goes to a scratch folder (DEBUG off serves the hashed, compressed files);
    # files and logs of the run stay out of the project's var/.
    "STATIC_ROOT": str(WORK_DIR / "static"),
    "VAR_DIR": str(WORK_DIR / "var"),
}
os.environ.update(BENCH_ENV)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from courses.models import Course, Department, Enrolment, Room, Slot, Teacher  # noqa: E402
from extranet.models import SchoolYear, Site, User  # noqa: E402
from families.models import Family  # noqa: E402
from reenrollment.models import Campaign, Choice, ReenrollmentRequest  # noqa: E402
from students.models import Student  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    courses: int
    capacity: int


def scenarios(families: int) -> dict[str, Scenario]:
    return {
        "A": Scenario("A", f"1 slot of 30 seats, {families} families choose it", 1, 30),
        "B": Scenario(
            "B",
            f"{families // 4} slots of 3 seats (one per course), 4 families per course",
            families // 4,
            3,
        ),
    }


# Data -------------------------------------------------------------------------------------


@dataclass
class FamilySpec:
    username: str
    student_pk: int
    slot_pk: int  # The next-year slot this family will choose.


def recreate_database() -> None:
    connections.close_all()
    # Django's own test-database creation goes through this cursor on the "postgres" database.
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def school_years() -> tuple[SchoolYear, SchoolYear]:
    """The school year containing today, and the following one."""
    today = timezone.localdate()
    first = today.year if today.month >= 9 else today.year - 1
    years = []
    for year in (first, first + 1):
        school_year, _created = SchoolYear.objects.get_or_create(
            label=f"{year}/{year + 1}",
            defaults={
                "start_date": datetime.date(year, 9, 1),
                "end_date": datetime.date(year + 1, 8, 31),
            },
        )
        years.append(school_year)
    return years[0], years[1]


def generate(scenario: Scenario, families: int, password_hash: str) -> tuple[int, list[FamilySpec]]:
    """Fill the bench database; returns the site's pk and what each family will submit."""
    site = Site.objects.create(
        name="Conservatoire de la rentrée",
        slug="bench",
        city="Moissy-Cramayel",
        email="secretariat@bench.example.org",
    )
    current, following = school_years()
    now = timezone.now()
    Campaign.objects.create(
        site=site,
        school_year=following,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=30),
    )  # No DocumentType: validating needs no upload.
    department = Department.objects.create(site=site, name="Musique")
    teacher = Teacher.objects.create(site=site, nom="RAMEAU", prenom="Jeanne")
    room = Room.objects.create(site=site, name="Salle 1")
    courses = Course.objects.bulk_create(
        Course(site=site, department=department, name=f"Piano {i + 1:02d}")
        for i in range(scenario.courses)
    )

    def slot(course: Course, school_year: SchoolYear, i: int, capacity: int) -> Slot:
        return Slot(
            course=course,
            teacher=teacher,
            room=room,
            school_year=school_year,
            weekday=1 + i % 6,
            start_time=datetime.time(9 + i % 10, 0),
            duration=30,
            capacity=capacity,
        )

    per_course = -(-families // scenario.courses)
    this_year = Slot.objects.bulk_create(
        slot(course, current, i, per_course) for i, course in enumerate(courses)
    )
    next_year = Slot.objects.bulk_create(
        slot(course, following, i, scenario.capacity) for i, course in enumerate(courses)
    )
    users = User.objects.bulk_create(
        User(
            site=site,
            username=f"famille{i:03d}",
            kind=User.Kind.FAMILY,
            password=password_hash,
            email=f"famille{i:03d}@example.org",
        )
        for i in range(families)
    )
    family_rows = Family.objects.bulk_create(
        Family(
            site=site,
            account=user,
            civilite="Madame",
            nom=f"FAMILLE{i:03d}",
            prenom="Claire",
            email=user.email,
        )
        for i, user in enumerate(users)
    )
    students = Student.objects.bulk_create(
        Student(
            family=family,
            nom=family.nom,
            prenom="Camille",
            date_naissance=datetime.date(2014, 5, 1),
        )
        for family in family_rows
    )
    course_of = [i * scenario.courses // families for i in range(families)]
    Enrolment.objects.bulk_create(
        Enrolment(student=student, slot=this_year[course_of[i]], cycle="Cycle 1")
        for i, student in enumerate(students)
    )
    specs = [
        FamilySpec(user.username, student.pk, next_year[course_of[i]].pk)
        for i, (user, student) in enumerate(zip(users, students, strict=True))
    ]
    return site.pk, specs


# Server -----------------------------------------------------------------------------------


def start_server(workers: int, log_path: Path, extra_env: dict[str, str]) -> Server:
    port = free_port()
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    command = [
        gunicorn,
        "extranet.wsgi",
        "--workers",
        str(workers),
        "--threads",
        "1",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        *no_control_socket(gunicorn),
    ]
    env = {**os.environ, **BENCH_ENV, **extra_env}
    return start(command, cwd=ROOT, env=env, port=port, log_path=log_path, ready="/connexion/")


# Client -----------------------------------------------------------------------------------


class TabParser(HTMLParser):
    """The inputs and selects of the Réinscription tab: CSRF token, renew boxes, slot options."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "input" and values.get("name"):
            self.inputs[values["name"]] = values.get("value", "")
        elif tag == "select" and values.get("name"):
            self._select = values["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


@dataclass
class Client:
    spec: FamilySpec
    session: requests.Session
    url: str = ""
    form: dict[str, str] = field(default_factory=dict)


def log_in_and_open_tab(base_url: str, site_pk: int, spec: FamilySpec) -> Client:
    session = requests.Session()
    session.get(f"{base_url}/connexion/", timeout=REQUEST_TIMEOUT).raise_for_status()
    answer = session.post(
        f"{base_url}/connexion/",
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "site": str(site_pk),
            "username": spec.username,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{spec.username}: login answered {answer.status_code}")
    url = f"{base_url}{tab_path(spec)}"
    page = session.get(url, timeout=REQUEST_TIMEOUT)
    page.raise_for_status()
    return Client(spec, session, url, tab_form(spec, page.text))


def tab_path(spec: FamilySpec) -> str:
    return f"/eleves/{spec.student_pk}/reinscription/"


def tab_form(spec: FamilySpec, html: str) -> dict[str, str]:
    """What "Valider" sends from this tab: the course renewed in the family's slot."""
    parser = TabParser()
    parser.feed(html)
    renew = [name for name in parser.inputs if name.startswith("renew_")]
    if len(renew) != 1 or "csrfmiddlewaretoken" not in parser.inputs:
        raise RuntimeError(f"{spec.username}: unexpected Réinscription tab (fields {renew})")
    enrolment_pk = renew[0].removeprefix("renew_")
    options = parser.selects.get(f"slot_{enrolment_pk}", [])
    if str(spec.slot_pk) not in options:
        raise RuntimeError(f"{spec.username}: slot {spec.slot_pk} not offered ({options})")
    return {
        "csrfmiddlewaretoken": parser.inputs["csrfmiddlewaretoken"],
        f"renew_{enrolment_pk}": "on",
        f"slot_{enrolment_pk}": str(spec.slot_pk),
        "administrative": "on",
        "comment": "",
        "accept_rules": "on",
    }


@dataclass
class Outcome:
    client: Client
    kind: str  # accepted, full, 5xx, connection, unexpected
    status: int | None
    latency: float
    started: float
    ended: float
    detail: str = ""
    offers_waitlist: bool = False  # A "complet" page: can the family now pick the waiting list?


ERROR_KINDS = ("5xx", "connection", "unexpected")
# The refusal of reenrollment_submit, "Le créneau du ... vient d'être complet : ...", as the page
# escapes it (the slot labels say "complet : liste d'attente", which must not count).
FULL_MESSAGE = re.compile(r"vient d(?:'|&#x27;|&#39;)être complet")


def submit(client: Client, barrier: threading.Barrier) -> Outcome:
    barrier.wait(timeout=60)
    started = time.perf_counter()
    try:
        answer = client.session.post(
            client.url, data=client.form, allow_redirects=False, timeout=REQUEST_TIMEOUT
        )
    except requests.RequestException as error:
        ended = time.perf_counter()
        return Outcome(client, "connection", None, ended - started, started, ended, repr(error))
    ended = time.perf_counter()
    status = answer.status_code
    if status == 302:
        kind = "accepted"
    elif status == 400 and FULL_MESSAGE.search(answer.text):
        kind = "full"
    elif status >= 500:
        kind = "5xx"
    else:
        kind = "unexpected"
    detail = "" if kind in ("accepted", "full") else answer.text[:300]
    offers_waitlist = False
    if kind == "full":
        parser = TabParser()
        parser.feed(answer.text)
        offers_waitlist = any(
            f"wait:{client.spec.slot_pk}" in options for options in parser.selects.values()
        )
    return Outcome(client, kind, status, ended - started, started, ended, detail, offers_waitlist)


@dataclass
class Wave:
    name: str
    outcomes: list[Outcome]
    load: float  # 1-minute load average of the machine when the wave started
    server_cpu: float  # CPU seconds the gunicorn workers spent during the wave
    client_cpu: float  # CPU seconds this process (the 200 clients) spent

    @property
    def kinds(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(self.kinds[k] for k in ERROR_KINDS)

    @property
    def duration(self) -> float:
        return max(o.ended for o in self.outcomes) - min(o.started for o in self.outcomes)

    def latency(self, q: float) -> float:
        values = sorted(o.latency for o in self.outcomes)
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu(master: int) -> float:
    """CPU time of gunicorn's workers (the master's children), on Linux; 0 elsewhere."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


def release_together(name: str, clients: Sequence[Client], server: Server) -> Wave:
    """Every client POSTs its form once, all released at the same instant."""
    barrier = threading.Barrier(len(clients))
    load = os.getloadavg()[0]
    server_before = workers_cpu(server.process.pid)
    client_before = time.process_time()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(submit, client, barrier) for client in clients]
        outcomes = [future.result(timeout=REQUEST_TIMEOUT + 90) for future in futures]
    return Wave(
        name,
        outcomes,
        load=load,
        server_cpu=workers_cpu(server.process.pid) - server_before,
        client_cpu=time.process_time() - client_before,
    )


# Checks -----------------------------------------------------------------------------------


@dataclass
class SlotCount:
    pk: int
    course: str
    capacity: int
    held: int
    waiting: int
    offered: int


def count_seats(slot_pks: set[int]) -> list[SlotCount]:
    """Seats really taken, read from the database: Choice rows per slot and state."""
    connections.close_all()
    counts = Counter(
        (slot_id, state)
        for slot_id, state in Choice.objects.filter(slot_id__in=slot_pks).values_list(
            "slot_id", "state"
        )
    )
    return [
        SlotCount(
            slot.pk,
            slot.course.name,
            slot.capacity,
            counts[(slot.pk, Choice.State.HELD)],
            counts[(slot.pk, Choice.State.WAITING)],
            counts[(slot.pk, Choice.State.OFFERED)],
        )
        for slot in Slot.objects.filter(pk__in=slot_pks).select_related("course").order_by("pk")
    ]


def holders() -> set[str]:
    return set(
        Choice.objects.filter(state=Choice.State.HELD).values_list(
            "request__family__account__username", flat=True
        )
    )


@dataclass
class ScenarioResult:
    scenario: Scenario
    families: int
    login_seconds: float
    waves: list[Wave]
    seats: list[SlotCount]
    seats_after_rush: list[SlotCount]
    requests_by_status: Counter[str]
    problems: list[str]


def double_click_sample(clients: Sequence[Client], count: int) -> list[Client]:
    """Half families that got a seat, half that were refused, interleaved."""
    got = holders()
    seated = [c for c in clients if c.spec.username in got]
    refused = [c for c in clients if c.spec.username not in got]
    sample: list[Client] = []
    while len(sample) < count and (seated or refused):
        for pool in (seated, refused):
            if pool and len(sample) < count:
                sample.append(pool.pop(0))
    return sample


def run_scenario(
    scenario: Scenario, args: argparse.Namespace, password_hash: str, log_path: Path
) -> ScenarioResult:
    print(f"\n== Scenario {scenario.name}: {scenario.title}", flush=True)
    started = time.perf_counter()
    recreate_database()
    call_command("migrate", interactive=False, verbosity=0)
    site_pk, specs = generate(scenario, args.families, password_hash)
    slot_pks = {spec.slot_pk for spec in specs}
    connections.close_all()
    print(f"   database {DB_NAME} ready in {time.perf_counter() - started:.1f} s", flush=True)
    extra_env = {"DB_CONN_MAX_AGE": str(args.conn_max_age)} if args.conn_max_age else {}
    server = start_server(args.workers, log_path, extra_env)
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.login_threads) as pool:
            clients = list(
                pool.map(lambda spec: log_in_and_open_tab(server.base_url, site_pk, spec), specs)
            )
        login_seconds = time.perf_counter() - started
        print(
            f"   {len(clients)} families logged in and on their tab in {login_seconds:.1f} s",
            flush=True,
        )
        rush = release_together("rush", clients, server)
        after_rush = count_seats(slot_pks)
        sample = double_click_sample(clients, args.double_clicks)
        clicks = release_together("double click", sample, server)
    finally:
        stop_server(server)
    seats = count_seats(slot_pks)
    by_status = Counter(ReenrollmentRequest.objects.values_list("status", flat=True))
    problems = []
    for count in seats:
        if count.held + count.offered != count.capacity:
            problems.append(
                f"slot {count.pk} ({count.course}): {count.held + count.offered} seats taken "
                f"for {count.capacity}"
            )
    if [(c.pk, c.held) for c in seats] != [(c.pk, c.held) for c in after_rush]:
        problems.append("the double click changed the seats taken")
    accepted = rush.kinds["accepted"]
    if accepted != sum(c.held for c in after_rush):
        problems.append(f"{accepted} submissions accepted, {sum(c.held for c in after_rush)} held")
    for wave in (rush, clicks):
        if wave.errors:
            problems.append(f"{wave.name}: {wave.errors} HTTP errors {dict(wave.kinds)}")
    connections.close_all()
    return ScenarioResult(
        scenario=scenario,
        families=len(clients),
        login_seconds=login_seconds,
        waves=[rush, clicks],
        seats=seats,
        seats_after_rush=after_rush,
        requests_by_status=by_status,
        problems=problems,
    )


# In-process cost of one submission ----------------------------------------------------------

TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def area(filename: str) -> str:
    """Where a function of the profile lives, for the own-time table."""
    if "psycopg" in filename:
        return "psycopg, and waiting for PostgreSQL"
    if "django/db/" in filename:
        return "Django ORM"
    if "django/template" in filename or "crispy_forms" in filename:
        return "templates"
    if "site-packages/django/" in filename:
        return "Django, other"
    if "site-packages" in filename:
        return "other libraries"
    if filename.startswith(str(ROOT)):
        return "project"
    return "Python standard library and builtins"


def statements_under_lock(statements: list[str]) -> int:
    """The statements run while the slot's row is locked, from its SELECT ... FOR UPDATE to the
    COMMIT (or to the ROLLBACK TO SAVEPOINT of a refusal, which releases it), savepoints aside."""
    count = None
    for sql in statements:
        if count is None:
            if "FOR UPDATE" in sql and '"courses_slot"' in sql:
                count = 0
            continue
        if sql.startswith(("COMMIT", "ROLLBACK")):
            break
        if not sql.startswith(TRANSACTION):
            count += 1
    return count or 0


def in_process(args: argparse.Namespace, password_hash: str) -> int:
    """The cost of one submission, without the HTTP server and the rush: every family submits
    in turn through Django's test client (CSRF checked, DEBUG off), the first half to a slot
    with a seat for each, the second half once it is full. CPU time per POST, statements (and
    how many after the slot's lock), then the same again under cProfile."""
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    families = args.families
    # Each refusal is a 400 answer, which Django logs as a warning.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    scenario = Scenario("P", "in process", 1, families // 2)
    print(f"\n== In process: {families} families, 1 slot of {families // 2} seats", flush=True)
    recreate_database()
    call_command("migrate", interactive=False, verbosity=0)
    _site_pk, specs = generate(scenario, families, password_hash)
    posts = []
    for spec in specs:
        client = TestClient(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
        client.force_login(User.objects.get(username=spec.username))
        page = client.get(tab_path(spec))
        posts.append((client, tab_path(spec), tab_form(spec, page.content.decode())))
    # Half of each group is timed, the other half profiled (cProfile slows everything down).
    quarter = families // 4
    groups = {
        "accepted": (posts[:quarter], posts[quarter : 2 * quarter], 302),
        "refused": (posts[2 * quarter : 3 * quarter], posts[3 * quarter :], 400),
    }
    problems = []
    for name, (timed, profiled, status) in groups.items():
        cpu, counts, under_lock = [], [], []
        for client, path, form in timed:
            with CaptureQueriesContext(connection) as context:
                started = time.process_time()
                answer = client.post(path, form)
                cpu.append(time.process_time() - started)
            if answer.status_code != status:
                problems.append(f"{name}: status {answer.status_code}")
            statements = [q["sql"] for q in context.captured_queries]
            counts.append(sum(1 for sql in statements if not sql.startswith(TRANSACTION)))
            under_lock.append(statements_under_lock(statements))
        profile = cProfile.Profile()
        for client, path, form in profiled:
            profile.enable()
            client.post(path, form)
            profile.disable()
        print(
            f"{name}: {len(timed)} POSTs, CPU per POST median {statistics.median(cpu) * 1000:.1f}"
            f" ms (max {max(cpu) * 1000:.1f}), {statistics.median(counts):.0f} statements "
            f"(without BEGIN, COMMIT, savepoints), {statistics.median(under_lock):.0f} "
            f"while the slot is locked"
        )
        own: Counter[str] = Counter()
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
        for (filename, _line, _function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
            own[area(filename)] += tottime
        total = sum(own.values())
        for label, seconds in own.most_common():
            print(f"   {label:40} {100 * seconds / total:5.1f} % of the own time")
    for problem in problems[:5]:
        print(f"problem: {problem}")
    return 1 if problems else 0


# Report -----------------------------------------------------------------------------------


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join(
        [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
    )


def report(result: ScenarioResult) -> None:
    s = result.scenario
    print(f"\nScenario {s.name}: {s.title}")
    rows = []
    for wave in result.waves:
        kinds = wave.kinds
        rows.append(
            [
                wave.name,
                len(wave.outcomes),
                kinds["accepted"],
                kinds["full"],
                f"{kinds['5xx']}/{kinds['connection']}/{kinds['unexpected']}",
                f"{len(wave.outcomes) / wave.duration:.1f}",
                f"{wave.latency(0.50):.2f}",
                f"{wave.latency(0.95):.2f}",
                f"{max(o.latency for o in wave.outcomes):.2f}",
                f"{wave.server_cpu * 1000 / len(wave.outcomes):.0f}",
                f"{wave.load:.1f}",
            ]
        )
    print(
        table(
            rows,
            [
                "wave",
                "POSTs",
                "302 seat",
                "400 complet",
                "errors 5xx/conn/other",
                "subm/s",
                "p50 s",
                "p95 s",
                "max s",
                "worker CPU ms/POST",
                "load",
            ],
        )
    )
    seats = result.seats
    exact = sum(1 for c in seats if c.held + c.offered == c.capacity)
    shown = [c for c in seats if c.held + c.offered != c.capacity] or seats[:5]
    print(f"\nSeats taken per slot (Choice rows, database): exact on {exact}/{len(seats)} slots")
    print(
        table(
            [[c.pk, c.course, c.capacity, c.held, c.offered, c.waiting] for c in shown],
            ["slot", "course", "capacity", "held", "offered", "waiting"],
        )
    )
    if len(shown) < len(seats):
        print(f"  ... and {len(seats) - len(shown)} more slots, all exact")
    rush = result.waves[0]
    waiting = sum(c.waiting for c in seats)
    print(
        f"\nFamilies: {sum(c.held for c in seats)} with a seat, {waiting} on the waiting list, "
        f'{rush.kinds["full"]} refused ("complet"); requests in the database: '
        f"{dict(result.requests_by_status)}"
    )
    full = [o for o in rush.outcomes if o.kind == "full"]
    if full:
        offering = sum(o.offers_waitlist for o in full)
        print(
            f'"complet" pages that offer the waiting list for the full slot: {offering}/{len(full)}'
        )
    print(f"Login + tab of {result.families} families beforehand: {result.login_seconds:.1f} s")
    print(
        f"CPU during the rush: gunicorn workers {rush.server_cpu:.1f} s, "
        f"the {len(rush.outcomes)} clients {rush.client_cpu:.1f} s, in {rush.duration:.1f} s"
    )
    # What the p95 target allows: 95 % of the POSTs answered within TARGET_P95 seconds, so
    # all the CPU they need (workers, PostgreSQL, clients) must fit in cores x TARGET_P95.
    cores = os.cpu_count() or 1
    answered = math.ceil(0.95 * len(rush.outcomes))
    if answered:
        print(
            f"CPU the p95 target allows: {answered} POSTs answered within {TARGET_P95:.0f} s "
            f"on {cores} cores, at most {cores * TARGET_P95 * 1000 / answered:.1f} ms of CPU "
            f"each (workers, PostgreSQL and clients together); the workers alone used "
            f"{rush.server_cpu * 1000 / len(rush.outcomes):.1f} ms per POST"
        )
    for wave in result.waves:
        for outcome in [o for o in wave.outcomes if o.kind in ERROR_KINDS][:5]:
            print(
                f"  {wave.name} error {outcome.client.spec.username}: {outcome.kind} "
                f"{outcome.status} {outcome.detail[:200]!r}"
            )
    verdict = "OK" if not result.problems else "FAILED: " + "; ".join(result.problems)
    p95 = rush.latency(0.95)
    target = "met" if p95 < TARGET_P95 else "missed"
    print(f"Verdict: {verdict} (p95 target {TARGET_P95:.0f} s {target}: {p95:.2f} s)")


def print_tracebacks(log_path: Path) -> None:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    blocks = re.findall(r"(?ms)^(?:Internal Server Error|Traceback).*?(?=^\[|\Z)", text)
    if blocks:
        print(f"\nTracebacks in gunicorn's log ({len(blocks)}), first ones:")
        for block in blocks[:3]:
            print(block.rstrip())


def machine() -> str:
    model = platform.processor() or "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


@contextmanager
def cleanup(actions: list[Callable[[], None]]) -> Iterator[None]:
    try:
        yield
    finally:
        for action in actions:
            try:
                action()
            except Exception as error:  # Clean up the rest anyway.
                print(f"cleanup: {error!r}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["A", "B", "all"], default="all")
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--double-clicks", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--login-threads", type=int, default=8)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DB_CONN_MAX_AGE of the server (default: the settings' default, 0)",
    )
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log there at the end")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="no rush: the CPU and statements of one submission, in this process, and a profile",
    )
    args = parser.parse_args()
    if args.families < 8 or args.families % 4:
        parser.error("--families must be a multiple of 4, at least 8")

    log_path = WORK_DIR / "gunicorn.log"
    actions: list[Callable[[], None]] = [drop_database]
    if args.keep_log:
        actions.append(lambda: shutil.copyfile(log_path, args.keep_log))
    actions.append(lambda: shutil.rmtree(WORK_DIR, ignore_errors=True))
    results = []
    with cleanup(actions):
        print(f"Re-enrollment rush, {datetime.datetime.now():%Y-%m-%d %H:%M}, {machine()}")
        print(
            f"gunicorn: {args.workers} sync workers x 1 thread; DB_CONN_MAX_AGE="
            f"{args.conn_max_age}; {args.families} families; {args.double_clicks} double clicks"
        )
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"collectstatic in {time.perf_counter() - started:.1f} s", flush=True)
        # One real Argon2id hash for every account: creating 200 hashes would only slow the
        # setup; each login still verifies it with the real hasher.
        password_hash = make_password(PASSWORD)
        if args.in_process:
            return in_process(args, password_hash)
        chosen = scenarios(args.families)
        for name in ["A", "B"] if args.scenario == "all" else [args.scenario]:
            results.append(run_scenario(chosen[name], args, password_hash, log_path))
        for result in results:
            report(result)
        if any(result.problems for result in results):
            print_tracebacks(log_path)
    return 1 if any(result.problems for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
