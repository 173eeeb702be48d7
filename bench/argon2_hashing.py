"""Cost of the password hash of one login, on this machine (`make bench`).

Compares our Argon2id parameters (extranet.hashers.PortalArgon2PasswordHasher: m=19 MiB, t=2,
p=1, the OWASP minimum) with Django's default Argon2PasswordHasher (m=100 MiB, t=2, p=8) and
Django's PBKDF2PasswordHasher. For each hasher it measures one verify (what a login costs):

- time per verify, median and p95, in a process pinned to one core;
- verifies per second that one core does;
- verifies per second of 2 processes in parallel, each pinned to its own core (the machine's
  capacity when gunicorn workers all check passwords at once);
- memory per verify: the peak resident memory a fresh process gains during one verify.

It needs no database and is not a test: timings belong here, not in the suite. Bounded: each
measurement stops after --runs verifies or --max-seconds, whichever comes first (at least
--min-runs verifies), so the whole bench takes well under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
)

from extranet.hashers import PortalArgon2PasswordHasher  # noqa: E402

PASSWORD = "demo2026"
TARGET_LOGINS_PER_SECOND = 30
MIN_PARALLEL_RUNS = 5  # Per process, even when one verify outlasts the window.
HASHERS: list[tuple[str, BasePasswordHasher]] = [
    ("Portal Argon2id (ours)", PortalArgon2PasswordHasher()),
    ("Django Argon2id default", Argon2PasswordHasher()),
    ("Django PBKDF2-SHA256", PBKDF2PasswordHasher()),
]


@dataclass
class Limits:
    runs: int
    min_runs: int
    max_seconds: float
    window: float


@dataclass
class Result:
    name: str
    params: str
    runs: int
    median_ms: float
    p95_ms: float
    cpu_ms: float
    one_core_per_s: float
    two_procs_per_s: float
    memory_mib: float


def params_of(hasher: BasePasswordHasher) -> str:
    if isinstance(hasher, Argon2PasswordHasher):
        return f"m={hasher.memory_cost // 1024} MiB, t={hasher.time_cost}, p={hasher.parallelism}"
    if isinstance(hasher, PBKDF2PasswordHasher):
        return f"{hasher.iterations:,} iterations".replace(",", " ")
    return ""


def usable_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


CPUS = usable_cpus()
PROCESSES = 2  # The production host has 2 cores.


def pin(cpu: int) -> None:
    """Run the calling process on one core only (the `cpu`-th usable one)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {CPUS[cpu % len(CPUS)]})


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def timed_verifies(index: int, encoded: str, limits: Limits) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds per verify, in the calling process, within the limits."""
    hasher = HASHERS[index][1]
    if not hasher.verify(PASSWORD, encoded):  # Also the warm-up.
        raise RuntimeError(f"{HASHERS[index][0]}: the password does not verify")
    durations: list[float] = []
    cpu_times: list[float] = []
    started = time.perf_counter()
    while len(durations) < limits.runs:
        if len(durations) >= limits.min_runs and time.perf_counter() - started > limits.max_seconds:
            break
        begin, cpu_begin = time.perf_counter(), time.process_time()
        hasher.verify(PASSWORD, encoded)
        durations.append(time.perf_counter() - begin)
        cpu_times.append(time.process_time() - cpu_begin)  # All threads of the process.
    return durations, cpu_times


def pinned_worker(args: tuple[int, int, str, Limits]) -> tuple[list[float], list[float]]:
    cpu, index, encoded, limits = args
    pin(cpu)
    return timed_verifies(index, encoded, limits)


def parallel_worker(
    cpu: int, index: int, encoded: str, window: float, barrier: Any, queue: Any
) -> None:
    """One of the parallel processes: warm up, wait for the others, verify for `window` s."""
    pin(cpu)
    hasher = HASHERS[index][1]
    hasher.verify(PASSWORD, encoded)
    barrier.wait()
    begin = time.perf_counter()  # CLOCK_MONOTONIC: comparable between processes.
    count = 0
    while count < MIN_PARALLEL_RUNS or time.perf_counter() - begin < window:
        hasher.verify(PASSWORD, encoded)
        count += 1
    queue.put((count, begin, time.perf_counter()))


def parallel_rate(index: int, encoded: str, window: float, context: Any, processes: int) -> float:
    """Verifies per second of `processes` processes, one per core, verifying at once."""
    barrier = context.Barrier(processes)
    queue = context.Queue()
    workers = [
        context.Process(target=parallel_worker, args=(cpu, index, encoded, window, barrier, queue))
        for cpu in range(processes)
    ]
    for worker in workers:
        worker.start()
    reports = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    count = sum(report[0] for report in reports)
    span = max(report[2] for report in reports) - min(report[1] for report in reports)
    return count / span


def memory_worker(args: tuple[int, str]) -> float:
    """Peak resident memory (MiB) that one verify adds to a process that never hashed before."""
    index, encoded = args
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    HASHERS[index][1].verify(PASSWORD, encoded)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(0, after - before) / 1024  # ru_maxrss is in KiB on Linux.


def measure(index: int, limits: Limits, context: Any) -> Result:
    name, hasher = HASHERS[index]
    encoded = hasher.encode(PASSWORD, hasher.salt())

    with context.Pool(1) as pool:  # Fresh process: its peak memory is not yet raised.
        memory_mib = pool.apply(memory_worker, ((index, encoded),))
    with context.Pool(1) as pool:
        durations, cpu_times = pool.apply(pinned_worker, ((0, index, encoded, limits),))

    # Two processes, one per core, verifying at the same time: the machine's throughput.
    two_rate = parallel_rate(index, encoded, limits.window, context, processes=PROCESSES)

    median = statistics.median(durations)
    return Result(
        name=name,
        params=params_of(hasher),
        runs=len(durations),
        median_ms=median * 1000,
        p95_ms=percentile(durations, 0.95) * 1000,
        cpu_ms=statistics.median(cpu_times) * 1000,
        one_core_per_s=1 / median,
        two_procs_per_s=two_rate,
        memory_mib=memory_mib,
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_table(results: list[Result]) -> None:
    headers = [
        "Hasher",
        "Parameters",
        "Runs (1 core)",
        "Median ms",
        "p95 ms",
        "CPU ms",
        "Verifies/s 1 core",
        "Verifies/s 2 procs",
        "Memory/verify",
    ]
    rows = [
        [
            r.name,
            r.params,
            str(r.runs),
            f"{r.median_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.cpu_ms:.1f}",
            f"{r.one_core_per_s:.1f}",
            f"{r.two_procs_per_s:.1f}",
            f"{r.memory_mib:.1f} MiB",
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    left = {0, 1}

    def line(cells: list[str]) -> str:
        return " | ".join(
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        )

    print(line(headers))
    print("-+-".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="verifies per measurement (30)")
    parser.add_argument("--min-runs", type=int, default=10, help="at least this many (10)")
    parser.add_argument(
        "--max-seconds", type=float, default=6.0, help="time cap per measurement (6 s)"
    )
    parser.add_argument(
        "--window", type=float, default=3.0, help="seconds of the 2-process measurement (3 s)"
    )
    options = parser.parse_args()
    limits = Limits(
        options.runs, min(options.min_runs, options.runs), options.max_seconds, options.window
    )
    context = multiprocessing.get_context("fork")

    started = time.perf_counter()
    print(f"Argon2 password hashing bench, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"Machine: {len(CPUS)} usable CPU ({cpu_model()}), Python {platform.python_version()}, "
        f"Django {django.get_version()}, argon2-cffi {version('argon2-cffi')}"
    )
    print(
        "Per verify (one login), in a process pinned to one core: wall-clock median and p95, "
        "and the median CPU time\n(wall >> CPU means other work shared the core). "
        "'2 procs': 2 processes, one per core, verifying at once.\n"
    )
    if len(CPUS) < PROCESSES:
        print(f"Warning: only {len(CPUS)} usable CPU; the {PROCESSES} processes share it.\n")
    load_before = os.getloadavg()[0]
    results = [measure(index, limits, context) for index in range(len(HASHERS))]
    print_table(results)

    ours, default = results[0], results[1]
    print(
        f"\nDjango's default Argon2 costs {default.median_ms / ours.median_ms:.1f}x our time "
        f"and {default.memory_mib / max(ours.memory_mib, 0.1):.1f}x our memory per login."
    )
    where = f"this {PROCESSES}-core machine" if len(CPUS) == PROCESSES else f"{PROCESSES} cores"
    verdict = "meets" if ours.two_procs_per_s >= TARGET_LOGINS_PER_SECOND else "MISSES"
    print(
        f"Conclusion: with our parameters ({ours.params}), password hashing alone allows about "
        f"{ours.two_procs_per_s:.0f} logins/s on {where} "
        f"({ours.one_core_per_s:.0f}/s per core); this {verdict} the target of "
        f"{TARGET_LOGINS_PER_SECOND} logins/s. From CPU time alone ({ours.cpu_ms:.1f} ms per "
        f"verify), {PROCESSES} idle cores could do at most {PROCESSES * 1000 / ours.cpu_ms:.0f}/s."
    )
    print(
        f"(bench took {time.perf_counter() - started:.0f} s; 1-min load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after: other work on the "
        "machine lowers these numbers)"
    )


if __name__ == "__main__":
    main()
