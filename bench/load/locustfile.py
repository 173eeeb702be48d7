"""Locust users of the load benchmark; bench/load/run.py starts them (bench/README.md).

The runner names one user class on locust's command line:

- MinimalUser: GET /sante/, the health view (no session, no database, a small JSON answer)
  through the whole middleware stack: what the framework costs alone;
- SessionMinimalUser: the same view with a family's session cookie (session and account read);
- FamilyUser: logs in once as its own family (LOAD_ACCOUNTS), then opens the family pages in
  turn, as a parent going through the tabs: Accueil, Famille, Identité, Cours, Suivi,
  Historique, Réinscription, Facturation (one request each, no pause between them);
- LoginUser: a new visitor each time: GET /connexion/ (its CSRF cookie and token), then POST
  the site, identifiant and password; a success is the 302 to the account's home.

Each request is timed by locust; the listener below keeps the times of the requests completed
after LOAD_WARMUP seconds (the users' logins and the first requests of a cold server are left
out) and writes them to LOAD_OUT as JSON when the run stops.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

ACCOUNTS: list[dict[str, Any]] = (
    json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
    if os.environ.get("LOAD_ACCOUNTS")
    else []
)
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
WARMUP = float(os.environ.get("LOAD_WARMUP", "5"))
OUT = os.environ.get("LOAD_OUT", "")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Per group of requests ("pages", "minimal", "logins"): times in ms after the warm-up, errors,
# and how many there were in all.
SAMPLES: dict[str, dict[str, Any]] = {}
STARTED = time.monotonic()
NEXT_ACCOUNT = itertools.count()


def group_of(name: str) -> str | None:
    if name.startswith("page "):
        return "pages"
    if name in ("minimal", "minimal, logged in"):
        return name
    if name == "login POST":
        return "logins"
    if name == "login GET":
        return "login forms"
    return None  # The users' own logins before the page mix.


@events.request.add_listener
def record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: Exception | None = None,
    **kwargs: Any,
) -> None:
    now = time.monotonic()
    group = group_of(name)
    if group is None:
        return
    entry = SAMPLES.setdefault(group, {"times": [], "errors": 0, "all": 0})
    entry["all"] += 1  # Warm-up included: the server's CPU is counted over the whole run.
    if now - STARTED < WARMUP:
        return
    if exception is not None:
        entry["errors"] += 1
        entry.setdefault("error_samples", []).append(f"{name}: {exception!r}"[:300])
    else:
        entry["times"].append(response_time)
    entry.setdefault("by_name", {}).setdefault(name, []).append(response_time)


@events.quitting.add_listener
def write_samples(environment: Any, **kwargs: Any) -> None:
    if not OUT:
        return
    payload = {
        "measured_from": STARTED + WARMUP,
        "stopped": time.monotonic(),
        "groups": SAMPLES,
    }
    Path(OUT).write_text(json.dumps(payload))


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if match is None:
        raise ValueError("no CSRF token on the login page")
    return match.group(1)


class MinimalUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self) -> None:
        with self.client.get("/sante/", name="minimal", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class LoggedInUser(FastHttpUser):
    """Logs in once as its own family (LOAD_ACCOUNTS), then keeps its session."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.account = ACCOUNTS[next(NEXT_ACCOUNT) % len(ACCOUNTS)]
        self.turn = 0
        page = self.client.get("/connexion/", name="setup login GET")
        with self.client.post(
            "/connexion/",
            data={
                "csrfmiddlewaretoken": csrf_token(page.text or ""),
                "site": str(self.account["site"]),
                "username": self.account["username"],
                "password": PASSWORD,
            },
            name="setup login POST",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.account['username']}: {response.status_code}")


class SessionMinimalUser(LoggedInUser):
    """The health view again, with the family's session cookie: the portal's middleware then
    reads the session and the account (2 queries), as on every family page."""

    @task
    def health(self) -> None:
        with self.client.get("/sante/", name="minimal, logged in", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class FamilyUser(LoggedInUser):
    def open(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=f"page {name}", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{url}: status {response.status_code}")

    @task
    def tabs(self) -> None:
        students = self.account["students"]
        student = students[self.turn % len(students)]
        self.turn += 1
        pk = student["pk"]
        self.open("/famille/accueil/", "Accueil")
        self.open("/famille/", "Famille")
        self.open(f"/eleves/{pk}/identite/", "Identité")
        self.open(f"/eleves/{pk}/cours/", "Cours")
        self.open(f"/eleves/{pk}/cours/{student['enrolment']}/", "Suivi")
        self.open(f"/eleves/{pk}/historique/", "Historique")
        self.open(f"/eleves/{pk}/reinscription/", "Réinscription")
        self.open("/facturation/", "Facturation")


class LoginUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def log_in(self) -> None:
        account = ACCOUNTS[next(NEXT_ACCOUNT) % len(ACCOUNTS)]
        self.client.cookiejar.clear()  # A new visitor: no session, no CSRF cookie yet.
        page = self.client.get("/connexion/", name="login GET")
        with self.client.post(
            "/connexion/",
            data={
                "csrfmiddlewaretoken": csrf_token(page.text or ""),
                "site": str(account["site"]),
                "username": account["username"],
                "password": PASSWORD,
            },
            name="login POST",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {account['username']}: {response.status_code}")
