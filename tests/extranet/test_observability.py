"""Health endpoints for load balancers, and the request id on answers and log lines."""

import logging

import pytest
from django.db import connection
from django.test import Client

from extranet.observability import RequestIdFilter, request_id_var


def test_liveness_answers_without_login(client: Client) -> None:
    response = client.get("/sante/")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readiness_checks_the_database(client: Client) -> None:
    response = client.get("/sante/pret/")
    assert (response.status_code, response.json()["database"]) == (200, "up")


@pytest.mark.django_db
def test_readiness_says_503_when_the_database_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/sante/pret/")
    assert response.status_code == 503


def test_each_answer_carries_a_request_id(client: Client) -> None:
    first = client.get("/sante/")["X-Request-ID"]
    second = client.get("/sante/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(
    client: Client,
) -> None:
    assert client.get("/sante/", HTTP_X_REQUEST_ID="abc-123-def")["X-Request-ID"] == "abc-123-def"
    forged = client.get("/sante/", HTTP_X_REQUEST_ID="x\nINJECTED")["X-Request-ID"]
    assert "INJECTED" not in forged


def test_log_lines_written_during_a_request_carry_its_id() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("rid-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert record.request_id == "rid-12345678"  # type: ignore[attr-defined]
