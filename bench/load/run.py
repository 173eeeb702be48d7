"""Load benchmark at network size: family pages, logins, rush (bench/README.md).

Everything runs on this machine, over loopback, and stops by itself:

1. the PostgreSQL database of DATABASE_URL (default tutti_bench_load on 127.0.0.1), created if
   missing and migrated; when it has no family yet, filled by `manage.py generate_network` at
   full size (7 sites, 6 000 families, 10 000 pupils, about 80 s); it is kept for the next
   runs (--regenerate starts it again); next year's campaign is re-opened if it has closed;
2. gunicorn as in production (deploy/gunicorn.conf.py when the checkout has it: sync workers,
   one per core plus one, access log; DEBUG off, static files collected and served by
   WhiteNoise), on a free port of 127.0.0.1;
3. locust, headless, in phases against that one server, each with --users concurrent users
   and no pause between requests, the first --warmup seconds left out of the figures:
   "minimal": GET /sante/, a view with no session and no database;
   "session": the same view with a family's session cookie (session and account read);
   "pages": each user logs in as its own family, then goes through Accueil, Famille,
   Identité, Cours, Suivi, Historique, Réinscription and Facturation, again and again;
   "logins": a new visitor each time: the login form, then its POST (real Argon2id check);
4. a report: requests per second, p50/p95/p99, errors, the CPU per request of gunicorn, of
   the PostgreSQL backends and of locust, and the issue's targets: family pages at least a
   quarter of the minimal view's throughput with a p95 under 100 ms at 8 users; at least 30
   logins per second. --rush also runs bench/rush.py (scenario A by default) and reports its
   verdict: seats exact, no error, p95 under 1 s.

The exit code is 1 when a target is missed or a request failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tutti_bench_load"
WORK_DIR = Path(tempfile.mkdtemp(prefix="tutti-load-"))
PAGES_RATIO_TARGET = 0.25
PAGES_P95_TARGET = 100.0  # ms
LOGINS_TARGET = 30.0  # per second
RUSH_P95_TARGET = 1.0  # s

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "extranet.settings",
    "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DB),
    "DEBUG": "0",
    "SECRET_KEY": "bench-load-not-a-secret",
    "ALLOWED_HOSTS": "127.0.0.1",
    # Plain HTTP on loopback: no TLS redirect, cookies without the Secure flag.
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "SECURE_HSTS_SECONDS": "0",
    # Production keeps connections open a minute; here for the whole run, so that the CPU of
    # the PostgreSQL backends serving the workers can be counted (a backend that ends takes its
    # CPU time with it). A new connection a minute per worker is nothing at this scale.
    "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "600"),
    # Same reason for gunicorn: its workers are not replaced during the run.
    "GUNICORN_MAX_REQUESTS": "0",
    # Every login succeeds here; django-axes only counts failures, but keep it out of the way.
    "AXES_FAILURE_LIMIT": "1000000",
    "LOG_LEVEL": "WARNING",
    "STATIC_ROOT": str(WORK_DIR / "static"),
    "VAR_DIR": str(WORK_DIR / "var"),
}
os.environ.update(BENCH_ENV)
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.gunicorn_server import Server, free_port, start  # noqa: E402
from bench.gunicorn_server import stop as stop_server  # noqa: E402
from courses.models import Enrolment  # noqa: E402
from extranet.models import SchoolYear  # noqa: E402
from families.models import Family  # noqa: E402
from fixtures import network  # noqa: E402
from reenrollment.models import Campaign  # noqa: E402
from students.models import Student  # noqa: E402

# Database ---------------------------------------------------------------------------------


def ensure_database() -> None:
    """Create the database if it does not exist yet (through the server's "postgres" one)."""
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", flush=True)


def prepare_data(args: argparse.Namespace) -> str:
    ensure_database()
    call_command("migrate", interactive=False, verbosity=0)
    if args.regenerate or not Family.objects.exists():
        started = time.perf_counter()
        call_command(
            "generate_network",
            scale=args.scale,
            password=args.password,
            flush=args.regenerate,
        )
        note = f"generated at scale {args.scale} in {time.perf_counter() - started:.0f} s"
    else:
        note = "kept from an earlier run (--regenerate to start again)"
    # The Réinscription tab needs next year's campaign open: re-open it if it closed since.
    current = SchoolYear.current()
    assert current is not None
    target = (
        SchoolYear.objects.filter(start_date__gt=current.start_date).order_by("start_date").first()
    )
    now = timezone.now()
    closed = Campaign.objects.filter(school_year=target, closes_at__lte=now)
    if target is not None and closed.exists():
        closed.update(
            opens_at=now - datetime.timedelta(days=1), closes_at=now + datetime.timedelta(days=30)
        )
        note += "; next year's campaign re-opened"
    return note


def sample_accounts(count: int, seed: int) -> list[dict[str, Any]]:
    """Families with a course this year, a history, and their children's first course."""
    current = SchoolYear.current()
    assert current is not None
    this_year = Enrolment.objects.filter(student=OuterRef("pk"), slot__school_year=current)
    families = list(
        Family.objects.filter(account__isnull=False)
        .select_related("account")
        .order_by("pk")
        .values_list("pk", "site_id", "account__username")
    )
    random.Random(seed).shuffle(families)
    chosen = families[:count]
    enrolments: dict[int, int] = {}
    for student_id, enrolment_id in (
        Enrolment.objects.filter(
            slot__school_year=current, student__family_id__in=[f[0] for f in chosen]
        )
        .order_by("student_id", "slot__course__name", "pk")
        .values_list("student_id", "pk")
    ):
        enrolments.setdefault(student_id, enrolment_id)
    students: dict[int, list[dict[str, int]]] = {}
    for student_id, family_id in (
        Student.objects.filter(family_id__in=[f[0] for f in chosen])
        .filter(Exists(this_year))
        .order_by("prenom", "pk")
        .values_list("pk", "family_id")
    ):
        students.setdefault(family_id, []).append(
            {"pk": student_id, "enrolment": enrolments[student_id]}
        )
    return [
        {"site": site_id, "username": username, "students": students[pk]}
        for pk, site_id, username in chosen
        if pk in students
    ]


# Server -----------------------------------------------------------------------------------


# deploy/gunicorn.conf.py's default.
DEFAULT_WORKERS = (os.cpu_count() or 1) + 1


def start_server(workers: int | None, threads: int, log_path: Path) -> Server:
    """gunicorn with the deployment's settings (deploy/gunicorn.conf.py: sync workers, one per
    core plus one, access log)."""
    port = free_port()
    env = {**os.environ, **BENCH_ENV, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    env["GUNICORN_THREADS"] = str(threads)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "extranet.wsgi",
    ]
    return start(command, cwd=ROOT, env=env, port=port, log_path=log_path, ready="/sante/")


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of the live processes of a process group, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields: state, ppid, pgrp, ..., utime (11), stime (12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def postgres_cpu_seconds(database: str) -> float:
    """CPU time of the PostgreSQL backends serving this database (their process title names
    it); the gunicorn workers keep their connections, so the same backends live all along."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres: ") or f" {database} " not in title:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, in seconds, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


# Phases -----------------------------------------------------------------------------------


@dataclass
class Group:
    name: str
    times: list[float]
    errors: int
    seconds: float
    total: int  # with the warm-up
    error_samples: list[str] = field(default_factory=list)
    by_name: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.times) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.times:
            return float("nan")
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Phase:
    name: str
    groups: dict[str, Group]
    seconds: float
    server_cpu: float
    database_cpu: float
    client_cpu: float
    machine_busy: float  # share of the machine's cores busy during the phase (all processes)
    load: float

    @property
    def others_share(self) -> float:
        """Share of the machine's cores used by other processes than this run's (other work
        on a shared machine): what the measured rates lost to them."""
        cores = os.cpu_count() or 1
        ours = self.server_cpu + self.database_cpu + self.client_cpu
        return max(0.0, self.machine_busy - ours / (cores * self.seconds))


def run_phase(
    name: str, user_class: str, server: Server, args: argparse.Namespace, accounts: Path
) -> Phase:
    out = WORK_DIR / f"{name}.json"
    env = {
        **os.environ,
        "LOAD_ACCOUNTS": str(accounts),
        "LOAD_PASSWORD": args.password,
        "LOAD_WARMUP": str(args.warmup),
        "LOAD_OUT": str(out),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        user_class,
        "--headless",
        "--host",
        server.base_url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{round(args.warmup + args.duration)}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--skip-log-setup",
    ]
    print(
        f"   {name}: {args.users} users, {args.warmup:.0f} s warm-up + {args.duration:.0f} s",
        flush=True,
    )
    load = os.getloadavg()[0]
    database = connection.settings_dict["NAME"]
    server_before = group_cpu_seconds(server.process.pid)
    database_before = postgres_cpu_seconds(database)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, total_before = machine_busy()
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    busy_after, total_after = machine_busy()
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = group_cpu_seconds(server.process.pid) - server_before
    database_cpu = postgres_cpu_seconds(database) - database_before
    if not out.exists():
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        raise RuntimeError(f"locust wrote no samples for {name} (exit {result.returncode})")
    data = json.loads(out.read_text())
    measured = data["stopped"] - data["measured_from"]
    groups = {}
    for group, entry in data["groups"].items():
        groups[group] = Group(
            name=group,
            times=entry["times"],
            errors=entry["errors"],
            seconds=measured,
            total=entry["all"],
            error_samples=entry.get("error_samples", [])[:5],
            by_name=entry.get("by_name", {}),
        )
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    busy = (busy_after - busy_before) / max(total_after - total_before, 1e-9)
    return Phase(name, groups, seconds, server_cpu, database_cpu, client_cpu, busy, load)


# Rush -------------------------------------------------------------------------------------


@dataclass
class Rush:
    ok: bool
    verdicts: list[str]
    p95: list[float]
    output: str


def run_rush(scenario: str) -> Rush:
    print(
        f"   rush: bench/rush.py --scenario {scenario} --conn-max-age 60 (a few minutes)",
        flush=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "rush.py"),
            "--scenario",
            scenario,
            "--conn-max-age",
            "60",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key not in BENCH_ENV},
    )
    verdicts = [line for line in result.stdout.splitlines() if line.startswith("Verdict:")]
    # "Verdict: OK (p95 target 1 s missed: 7.49 s)"
    p95 = [float(m.group(1)) for line in verdicts if (m := re.search(r"([\d.]+) s\)$", line))]
    return Rush(
        result.returncode == 0 and bool(verdicts), verdicts, p95, result.stdout + result.stderr
    )


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


def machine() -> str:
    model = platform.processor() or "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = f"Python {platform.python_version()}, Django {django.__version__}"
    return f"{os.cpu_count()} CPUs ({model}), {versions}"


def cpu_per_request(phase: Phase, group: Group) -> float:
    return (phase.server_cpu + phase.database_cpu + phase.client_cpu) / max(1, group.total)


def report(phases: list[Phase], rush: Rush | None, args: argparse.Namespace) -> bool:
    rows = []
    cores = os.cpu_count() or 1
    for phase in phases:
        for group in phase.groups.values():
            if group.name == "login forms":
                continue  # Counted with their login: a login is the form, then its POST.
            per = 1000 / max(1, group.total)
            cpu = (phase.server_cpu + phase.database_cpu + phase.client_cpu) * per
            rows.append(
                [
                    phase.name,
                    group.name,
                    len(group.times),
                    group.errors,
                    f"{group.rps:.1f}",
                    f"{group.percentile(0.50):.1f}",
                    f"{group.percentile(0.95):.1f}",
                    f"{group.percentile(0.99):.1f}",
                    f"{phase.server_cpu * per:.1f}",
                    f"{phase.database_cpu * per:.1f}",
                    f"{phase.client_cpu * per:.1f}",
                    f"{cores * 1000 / cpu:.0f}" if cpu else "-",
                    f"{phase.machine_busy * 100:.0f} %",
                    f"{phase.others_share * 100:.0f} %",
                    f"{phase.load:.1f}",
                ]
            )
    print()
    print(
        table(
            rows,
            [
                "phase",
                "requests",
                "count",
                "errors",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "gunicorn CPU ms",
                "PostgreSQL CPU ms",
                "locust CPU ms",
                "CPU-bound req/s",
                "machine busy",
                "others",
                "load",
            ],
        )
    )
    print(
        "  CPU columns: per request (per login: its form and its POST), over the whole phase; "
        f"CPU-bound req/s: {cores} cores / (gunicorn + PostgreSQL + locust CPU per request), "
        "what the machine would serve with nothing else running; others: share of the cores "
        "used by other processes meanwhile"
    )
    by = {phase.name: phase for phase in phases}
    ok = True
    lines = []
    if "pages" in by:
        pages = by["pages"].groups.get("pages")
        print("\nFamily pages, one by one:")
        assert pages is not None
        print(
            table(
                [
                    [
                        name.removeprefix("page "),
                        len(times),
                        f"{statistics.median(times):.1f}",
                        f"{sorted(times)[int(0.95 * len(times))]:.1f}",
                    ]
                    for name, times in pages.by_name.items()
                ],
                ["page", "count", "p50 ms", "p95 ms"],
            )
        )
    if "pages" in by and "minimal" in by:
        pages = by["pages"].groups["pages"]
        minimal = by["minimal"].groups["minimal"]
        ratio = pages.rps / minimal.rps if minimal.rps else 0.0
        p95 = pages.percentile(0.95)
        met = ratio >= PAGES_RATIO_TARGET and p95 < PAGES_P95_TARGET
        ok = ok and met
        lines.append(
            f"family pages: {pages.rps:.1f} req/s = {ratio:.2f} x the minimal view's "
            f"{minimal.rps:.1f} req/s (target >= {PAGES_RATIO_TARGET}), p95 {p95:.1f} ms "
            f"(target < {PAGES_P95_TARGET:.0f} ms) at {args.users} users: "
            + ("met" if met else "MISSED")
        )
        cpu_ratio = cpu_per_request(by["minimal"], minimal) / cpu_per_request(by["pages"], pages)
        lines.append(
            f"  the same ratio from CPU per request (what a machine with nothing else running "
            f"would give): {cpu_ratio:.2f}"
        )
        if "session" in by:
            session = by["session"].groups["minimal, logged in"]
            session_cpu = cpu_per_request(by["session"], session)
            lines.append(
                f"  against the minimal view with a family's session (session and account read):"
                f" {pages.rps / session.rps if session.rps else 0:.2f} measured, "
                f"{session_cpu / cpu_per_request(by['pages'], pages):.2f} from CPU"
            )
            # The ratio's budget: a page may cost 1 / target times the minimal view's CPU, of
            # which PostgreSQL and locust already take their share; what is left for gunicorn
            # is set against the session phase's gunicorn CPU (session and account read).
            phase = by["pages"]
            per = 1000 / max(1, pages.total)
            budget = cpu_per_request(by["minimal"], minimal) * 1000 / PAGES_RATIO_TARGET
            others = (phase.database_cpu + phase.client_cpu) * per
            floor = by["session"].server_cpu * 1000 / max(1, session.total)
            lines.append(
                f"  CPU a page may use at the target: {budget:.1f} ms in all; PostgreSQL and "
                f"locust took {others:.1f} ms per page, which leaves {budget - others:.1f} ms "
                f"for gunicorn, against {floor:.1f} ms to read the session and the account "
                f"alone (session phase) and {phase.server_cpu * per:.1f} ms per page"
            )
    if "logins" in by:
        logins = by["logins"].groups["logins"]
        met = logins.rps >= LOGINS_TARGET
        ok = ok and met
        lines.append(
            f"logins: {logins.rps:.1f} per second (target >= {LOGINS_TARGET:.0f}), "
            f"p95 {logins.percentile(0.95):.1f} ms: " + ("met" if met else "MISSED")
        )
        capacity = (os.cpu_count() or 1) / cpu_per_request(by["logins"], logins)
        lines.append(f"  from CPU per login: {capacity:.0f} per second with nothing else running")
    if rush is not None:
        met = rush.ok and bool(rush.p95) and max(rush.p95) < RUSH_P95_TARGET
        ok = ok and met
        lines.append(
            "rush: "
            + ("; ".join(rush.verdicts) or "no verdict (see its output)")
            + (": met" if met else ": MISSED")
        )
    errors = [(p.name, g) for p in phases for g in p.groups.values() if g.errors]
    for phase_name, group in errors:
        ok = False
        lines.append(
            f"{phase_name}/{group.name}: {group.errors} errors, e.g. {group.error_samples[:2]}"
        )
    print("\nTargets (2-core machine):")
    for line in lines:
        print(f"  {line}" if line.startswith("  ") else f"  - {line}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent users (8)")
    parser.add_argument("--duration", type=float, default=30, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=5, help="seconds left out at the start")
    parser.add_argument(
        "--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync)")
    parser.add_argument(
        "--phases",
        default="minimal,session,pages,logins",
        help="which phases, in order (minimal,session,pages,logins)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="network size if generated")
    parser.add_argument("--regenerate", action="store_true", help="empty and refill the DB")
    parser.add_argument("--password", default=network.NETWORK_PASSWORD)
    parser.add_argument("--accounts", type=int, default=500, help="families the users log in as")
    parser.add_argument("--rush", action="store_true", help="also run bench/rush.py")
    parser.add_argument("--rush-scenario", default="A", choices=["A", "B", "all"])
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log there at the end")
    args = parser.parse_args()
    phases_wanted = [name.strip() for name in args.phases.split(",") if name.strip()]
    user_classes = {
        "minimal": "MinimalUser",
        "session": "SessionMinimalUser",
        "pages": "FamilyUser",
        "logins": "LoginUser",
    }
    unknown = [name for name in phases_wanted if name not in user_classes]
    if unknown:
        parser.error(f"unknown phases: {unknown}")

    log_path = WORK_DIR / "gunicorn.log"
    print(f"Load benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}, {machine()}")
    workers = args.workers or DEFAULT_WORKERS
    print(
        f"database {connection.settings_dict['NAME']}; gunicorn {workers} "
        f"{'sync workers' if args.threads == 1 else f'gthread workers x {args.threads} threads'}"
        f", DB_CONN_MAX_AGE={BENCH_ENV['DB_CONN_MAX_AGE']}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    server = None
    try:
        note = prepare_data(args)
        counts = {
            "families": Family.objects.count(),
            "enrolments": Enrolment.objects.count(),
        }
        print(f"   data: {counts['families']} families, {counts['enrolments']} enrolments, {note}")
        accounts_path = WORK_DIR / "accounts.json"
        accounts = sample_accounts(args.accounts, seed=2026)
        accounts_path.write_text(json.dumps(accounts))
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()
        server = start_server(args.workers, args.threads, log_path)
        phases = [
            run_phase(name, user_classes[name], server, args, accounts_path)
            for name in phases_wanted
        ]
    finally:
        if server is not None:
            stop_server(server)
        if args.keep_log and log_path.exists():
            shutil.copyfile(log_path, args.keep_log)
    rush = run_rush(args.rush_scenario) if args.rush else None
    if rush is not None:
        print("\n" + rush.output.strip())
    ok = report(phases, rush, args)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
