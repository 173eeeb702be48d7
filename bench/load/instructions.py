"""Instructions per family page, counted by the CPU: the same figure on a busy machine.

    .venv/bin/python bench/load/instructions.py                       # this checkout
    .venv/bin/python bench/load/instructions.py --tree /tmp/head      # another checkout
    .venv/bin/python bench/load/instructions.py --pages Accueil,Famille --rounds 40

Timings move with whatever else runs on the machine; the number of instructions a request
executes hardly does (`perf stat -e instructions:u`, user space only, Python's hash seed
fixed). For each page it runs a process twice under perf, once opening the page 5 times (the
warm-up: templates compiled, caches filled) and once 5 + `--rounds` times; the difference
divided by `--rounds` is one request, the Django test client included (the same for every
checkout), PostgreSQL's own work excluded (it runs in its server). Needs `perf` (Debian's
linux-perf) with access to the CPU's counters, and the load benchmark's database
(bench/README.md, `make bench-load` creates it); `--tree` compares another checkout (e.g.
`git worktree add /tmp/head HEAD`, with `ln -s $PWD/.venv /tmp/head/.venv`) on the same data.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "postgres://postgres@127.0.0.1:5432/tutti_bench_load"
PAGES = "health,Accueil,Famille,Identité,Cours,Suivi,Historique,Réinscription,Facturation"


def child(tree: Path, page: str, rounds: int, username: str, site: str) -> None:
    """Inside perf: open `page` 5 + rounds times as the family, in `tree`'s code."""
    sys.path[:0] = [str(tree), str(tree / "bench" / "load")]
    os.chdir(tree)
    import profile_pages

    profile_pages.set_environment()
    profile_pages.prepare_database()  # Collects the static files once (DATABASE_URL is set).
    import django

    django.setup()
    from django.test import Client

    from extranet.models import User

    user = User.objects.get(username=username, site__slug=site)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = ({"health": "/sante/"} | profile_pages.family_urls(user))[page]
    for _ in range(5):
        assert client.get(url, secure=True).status_code == 200, url
    for _ in range(rounds):
        client.get(url, secure=True)


def count(tree: Path, page: str, rounds: int, args: argparse.Namespace) -> int:
    command = [
        "perf", "stat", "-x,", "-e", "instructions:u",
        sys.executable, __file__, "--child", page, "--rounds", str(rounds),
        "--tree", str(tree), "--username", args.username, "--site", args.site,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0", "DATABASE_URL": args.database}
    env.setdefault("VAR_DIR", "/tmp/tutti_instructions")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next(line for line in done.stderr.splitlines() if "instructions" in line)
    value = line.split(",")[0]
    if not value.isdigit():  # "<not supported>": a virtual machine that hides the counters.
        raise SystemExit(
            f"perf cannot count instructions on this machine ({value}): its CPU counters are "
            "not exposed (a virtual machine without PMU). Use bench/load/profile_pages.py "
            "(CPU time) on a quiet machine instead."
        )
    return int(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--pages", default=PAGES, help=f"comma-separated ({PAGES})")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DATABASE))
    parser.add_argument("--username", default="karim.chevalier")
    parser.add_argument("--site", default="boulogne-billancourt", help="the site's slug")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.tree.resolve(), args.child, args.rounds, args.username, args.site)
        return
    print(f"{args.tree}: millions of instructions per request ({args.rounds} requests)")
    pages = args.pages.split(",")
    count(args.tree, pages[0], 0, args)  # Once, not counted: collects the static files.
    total = 0.0
    for page in pages:
        per_request = count(args.tree, page, args.rounds, args) - count(args.tree, page, 0, args)
        millions = per_request / args.rounds / 1e6
        total += millions if page != "health" else 0
        print(f"{page:<16}{millions:>8.1f}")
    print(f"{'family pages':<16}{total:>8.1f}")


if __name__ == "__main__":
    main()
