"""CPU per family page in one process, with the production settings (bench/README.md, load).

    .venv/bin/python bench/load/profile_pages.py                  # demo data in SQLite
    .venv/bin/python bench/load/profile_pages.py --runs 5 --n 40  # best of 5 x 40 requests
    .venv/bin/python bench/load/profile_pages.py --page Identité --pyinstrument

The data is the demo's (`manage.py load_demo`) in a SQLite database under VAR_DIR
(/tmp/tutti_profile_pages by default: never the project's var/), made on the first run, or the
database DATABASE_URL names (e.g. the load benchmark's, which then needs --username and --site).
DEBUG is off and the static files are collected once, so templates, static URLs and middleware
cost what they cost under gunicorn. The family is logged in with force_login: the password
hash is measured by bench/argon2_hashing.py, not here.

It prints, per page, the median and best CPU time (process time) per request over the runs,
the health view without and with the family's session (the middleware's floor), and the
number of queries of one request. --pyinstrument prints a profile of --page instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def set_environment() -> None:
    os.environ.setdefault("VAR_DIR", "/tmp/tutti_profile_pages")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("STATIC_ROOT", str(Path(os.environ["VAR_DIR"]) / "static"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "extranet.settings"


def prepare_database() -> None:
    """Migrate and load the demo data once (SQLite under VAR_DIR), collect the static files."""
    python = sys.executable
    env = dict(os.environ)
    static = Path(env["STATIC_ROOT"])
    if not (static / "staticfiles.json").exists():
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    if env.get("DATABASE_URL"):
        return
    marker = Path(env["VAR_DIR"]) / "demo_loaded"
    if marker.exists():
        return
    debug_env = {**env, "DEBUG": "1"}
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=debug_env, check=True)
    subprocess.run([python, "manage.py", "load_demo"], cwd=ROOT, env=debug_env, check=True)
    marker.write_text("yes\n")


def family_urls(user: Any) -> dict[str, str]:
    from courses.models import Enrolment

    enrolment = Enrolment.objects.filter(student__family__account=user).order_by("-pk").first()
    assert enrolment is not None, "the family's pupils have no enrolment"
    pk = enrolment.student_id
    return {
        "Accueil": "/famille/accueil/",
        "Famille": "/famille/",
        "Identité": f"/eleves/{pk}/identite/",
        "Cours": f"/eleves/{pk}/cours/",
        "Suivi": f"/eleves/{pk}/cours/{enrolment.pk}/",
        "Historique": f"/eleves/{pk}/historique/",
        "Réinscription": f"/eleves/{pk}/reinscription/",
        "Facturation": "/facturation/",
    }


def cpu_per_request(client: Any, url: str, n: int) -> float:
    """Process CPU time of one request in ms, averaged over n."""
    start = time.process_time()
    for _ in range(n):
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{url}: status {response.status_code}")
    return (time.process_time() - start) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", "--n", type=int, default=40, help="requests per run")
    parser.add_argument("--username", default="test.famille")
    parser.add_argument("--site", default="moissy-cramayel", help="the site's slug")
    parser.add_argument("--page", help="only this page (its name, e.g. Identité)")
    parser.add_argument("--pyinstrument", action="store_true", help="profile --page")
    args = parser.parse_args()

    set_environment()
    sys.path.insert(0, str(ROOT))
    prepare_database()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from extranet.models import User

    user = User.objects.get(username=args.username, site__slug=args.site)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    pages = {"health": "/sante/"} | family_urls(user)
    if args.page:
        pages = {args.page: pages[args.page]}

    if args.pyinstrument:
        from pyinstrument import Profiler

        ((name, url),) = pages.items()
        cpu_per_request(client, url, 5)
        profiler = Profiler(interval=0.0002)
        profiler.start()
        cpu_per_request(client, url, args.n)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return

    anonymous = Client(HTTP_HOST="127.0.0.1")
    if not args.page:
        pages = {"health, no session": "/sante/"} | pages
    print(f"{'page':<22}{'median ms':>10}{'best ms':>9}{'queries':>9}")
    for name, url in pages.items():
        one = anonymous if name == "health, no session" else client
        cpu_per_request(one, url, 5)  # warm-up: templates compiled, caches filled
        queries: list[str] = []

        def count(execute: Any, sql: str, *rest: Any, queries: list[str] = queries) -> Any:
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            one.get(url, secure=True)
        times = [cpu_per_request(one, url, args.n) for _ in range(args.runs)]
        print(f"{name:<22}{statistics.median(times):>10.2f}{min(times):>9.2f}{len(queries):>9}")


if __name__ == "__main__":
    main()
