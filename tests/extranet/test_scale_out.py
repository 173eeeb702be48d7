"""Several stateless app hosts: real gunicorn processes started with deploy/gunicorn.conf.py and
the production settings share their sessions through PostgreSQL, survive a dropped database
connection, and tell the load balancer when the database is down; a failed request leaves
nothing half-written; the cache is shared through Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, resolve

from extranet.models import OutboxMessage
from extranet.services import send_templated_email
from families.models import Family
from families.services import family_update
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
HOST_KEY = "one-secret-key-shared-by-every-app-host-of-the-test-0123456789"
# What the test runner's environment may hold that a production host would not.
NOT_FOR_HOSTS = {
    "DEBUG",
    "TESTING",
    "ALLOW_INSECURE_KEY",
    "SECRET_KEY",
    "DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "STORAGE_BACKEND",
    "DJANGO_SETTINGS_MODULE",
}


@pytest.fixture
def postgresql(transactional_db: None) -> None:
    """Committed data that the app hosts (other processes) see, on PostgreSQL only."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the app hosts share the test database over the network")


def database_url_for(application_name: str) -> str:
    """The test database, as an app host reaches it, under a name of its own in pg_stat_activity."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}?application_name={application_name}"
    )


@dataclass
class AppHost:
    url: str
    log: Path

    def get(self, path: str, session: requests.Session | None = None) -> requests.Response:
        return (session or requests).get(self.url + path, allow_redirects=False, timeout=30)


@pytest.fixture
def start_host(tmp_path: Path) -> Iterator[Callable[..., AppHost]]:
    """Start an app host as in production: gunicorn with deploy/gunicorn.conf.py, the
    production settings, one worker, on a free port. Stopped at the end of the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, database_url: str, **more_env: str) -> AppHost:
        env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_HOSTS}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "extranet.settings",
                "SECRET_KEY": HOST_KEY,
                "DATABASE_URL": database_url,
                "ALLOWED_HOSTS": "127.0.0.1",
                # Plain HTTP to 127.0.0.1: no TLS proxy in front of the test hosts.
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                # Static files from the source folders (no collectstatic in the test).
                "TESTING": "1",
                "VAR_DIR": str(tmp_path / name),
                "GUNICORN_BIND": "127.0.0.1:0",
                "GUNICORN_WORKERS": "1",
                **more_env,
            }
        )
        log = tmp_path / f"{name}.log"
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
                    + ["extranet.wsgi"],
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
            if found:
                host = AppHost(url=found.group(1), log=log)
                try:
                    if host.get("/sante/").status_code == 200:
                        return host
                except requests.ConnectionError:
                    pass
            assert processes[-1].poll() is None, log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"host {name} did not start:\n{log.read_text()}")

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def form_token(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def log_in(host: AppHost, family: Family) -> requests.Session:
    """A browser that logs in through the portal's login form."""
    assert family.account is not None
    browser = requests.Session()
    token = form_token(host.get("/connexion/", browser))
    response = browser.post(
        host.url + "/connexion/",
        data={
            "csrfmiddlewaretoken": token,
            "site": family.site_id,
            "username": family.account.username,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=30,
    )
    assert (response.status_code, response.headers.get("Location")) == (302, "/accueil/")
    return browser


# Several app hosts --------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_family_logged_in_on_one_host_is_logged_in_on_every_host(
    postgresql: None, alice: Family, start_host: Callable[..., AppHost]
) -> None:
    first = start_host("first", database_url_for("tutti-first"))
    second = start_host("second", database_url_for("tutti-second"))

    # A browser behind the load balancer: logged in by the first host...
    browser = log_in(first, alice)
    session_id = browser.cookies["sessionid"]
    # ...and served by the second, which only shares the database with the first.
    page = second.get("/famille/", browser)
    assert page.status_code == 200, second.log.read_text()
    assert alice.nom in page.text

    # Logging out on the second host ends the session on the first one too.
    logout = browser.post(
        second.url + "/deconnexion/",
        data={"csrfmiddlewaretoken": form_token(page)},
        allow_redirects=False,
        timeout=30,
    )
    assert logout.status_code == 302
    replayed = requests.get(
        first.url + "/famille/", cookies={"sessionid": session_id}, allow_redirects=False
    )
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/connexion/")


def backends(application_name: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name]
        )
        return [pid for (pid,) in cursor.fetchall()]


def terminate(application_name: str) -> None:
    """Drop the host's database connection under its feet, as a PostgreSQL restart does."""
    [pid] = backends(application_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    deadline = time.monotonic() + 10
    while pid in backends(application_name):
        assert time.monotonic() < deadline, "the backend did not stop"
        time.sleep(0.05)


@pytest.mark.postgres
def test_a_host_answers_without_error_after_its_database_connection_dropped(
    postgresql: None, alice: Family, start_host: Callable[..., AppHost]
) -> None:
    host = start_host("host", database_url_for("tutti-host"))
    browser = log_in(host, alice)
    # With the language cookie, no middleware reads the database: the view's transaction
    # (ATOMIC_REQUESTS) is the first to use the connection.
    browser.cookies.set(settings.LANGUAGE_COOKIE_NAME, "fr")
    assert host.get("/famille/", browser).status_code == 200
    # Production settings keep the connection between requests (DB_CONN_MAX_AGE).
    [kept] = backends("tutti-host")

    for url, session in [("/famille/", browser), ("/connexion/", None), ("/sante/pret/", None)]:
        terminate("tutti-host")
        response = host.get(url, session)
        assert response.status_code == 200, f"{url}:\n{host.log.read_text()}"

    [new] = backends("tutti-host")
    assert new != kept


def test_readiness_tells_the_load_balancer_when_the_database_is_down(
    start_host: Callable[..., AppHost],
) -> None:
    # Nothing listens on port 1: the database cannot be reached. HTTPS redirect on, as in
    # production: the load balancer checks the host over plain HTTP all the same.
    host = start_host("cut-off", "postgres://tutti@127.0.0.1:1/tutti", SECURE_SSL_REDIRECT="1")

    assert host.get("/connexion/").status_code == 301  # Pages go to HTTPS...
    assert host.get("/sante/").json() == {"status": "ok"}  # ...the health checks answer.
    ready = host.get("/sante/pret/")
    assert (ready.status_code, ready.json()["database"]) == (503, "down")
    # gunicorn's access line carries the request id of the portal's own lines.
    access = f'request_id={ready.headers["X-Request-ID"]} message="GET /sante/pret/ HTTP/1.1" '
    deadline = time.monotonic() + 5
    while access + "status=503" not in host.log.read_text():
        assert time.monotonic() < deadline, host.log.read_text()
        time.sleep(0.05)


# One transaction per request -------------------------------------------------------------


def write_then_fail(request: HttpRequest) -> HttpResponse:
    """A view that writes through real services, then fails before answering."""
    family = Family.objects.get(account=request.user)
    family_update(family=family, data={"ville": "EVRY-COURCOURONNES"})
    send_templated_email(
        to="famille@example.org",
        template="extranet/emails/password_link",
        context={"user": request.user, "site": family.site, "link": "http://x/", "hours": 24},
    )
    raise RuntimeError("failure after the writes")


urlpatterns = [
    path("ecrit-puis-echoue/", write_then_fail),
    path("", include("extranet.urls")),
]


@pytest.mark.urls(__name__)
def test_a_failed_request_leaves_no_partial_write(transactional_db: None, alice: Family) -> None:
    assert alice.account is not None
    client = Client(raise_request_exception=False)
    client.force_login(alice.account)
    ville = alice.ville

    response = client.get("/ecrit-puis-echoue/")

    assert response.status_code == 500
    alice.refresh_from_db()
    assert alice.ville == ville
    assert not alice.proof_of_address_needed
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []  # Its email left with nothing: the commit never came.


def test_the_views_that_commit_in_parts_are_outside_the_request_transaction() -> None:
    for url in ["/sante/", "/sante/pret/", "/admin/billing/invoice/generer/"]:
        assert resolve(url).func._non_atomic_requests == {"default"}, url  # type: ignore[attr-defined]
    assert not hasattr(resolve("/famille/").func, "_non_atomic_requests")


# The shared cache -----------------------------------------------------------------------------


def settings_with(env: dict[str, str], expression: str, tmp_path: Path) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in NOT_FOR_HOSTS | {"REDIS_URL"}}
    clean.update({"ALLOW_INSECURE_KEY": "1", "VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "-c", f"import extranet.settings as s; print({expression})"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_with_redis_url_the_cache_is_redis_and_sessions_stay_in_the_database(
    tmp_path: Path,
) -> None:
    expression = "s.CACHES['default']['BACKEND'], s.SESSION_ENGINE"
    assert settings_with({}, expression, tmp_path) == (
        "django.core.cache.backends.locmem.LocMemCache django.contrib.sessions.backends.db"
    )
    assert settings_with({"REDIS_URL": "redis://cache:6379/0"}, expression, tmp_path) == (
        "django.core.cache.backends.redis.RedisCache django.contrib.sessions.backends.db"
    )


def test_a_deployment_keeps_its_database_connections_and_the_embedded_setup_does_not(
    tmp_path: Path,
) -> None:
    expression = "s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['ATOMIC_REQUESTS']"
    assert settings_with({}, expression, tmp_path) == "0 True"
    deployed = {"DATABASE_URL": "postgres://tutti@db:5432/tutti"}
    assert settings_with(deployed, expression, tmp_path) == "60 True"
    assert settings_with({**deployed, "DB_CONN_MAX_AGE": "300"}, expression, tmp_path) == "300 True"


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs a Redis server: set REDIS_URL (CI sets redis://127.0.0.1:6379/0)",
)
def test_a_value_cached_by_one_host_is_read_by_another() -> None:
    # Two caches as two app hosts build them from the same settings: separate connections.
    options = {"KEY_PREFIX": f"tutti-test-{uuid.uuid4().hex}", "TIMEOUT": 60}
    first = RedisCache(os.environ["REDIS_URL"], options)
    second = RedisCache(os.environ["REDIS_URL"], options)
    try:
        first.set("seats-left", 3)
        assert second.get("seats-left") == 3
        assert second.incr("seats-left", -1) == 2
        assert first.get("seats-left") == 2
    finally:
        first.delete("seats-left")
        first.close()
        second.close()
