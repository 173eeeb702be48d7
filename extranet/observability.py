"""Health endpoints and a request id carried into every log line."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID when it sends a sane one), answer it
    in the X-Request-ID header, and put it on every log line written meanwhile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# The health endpoints run outside ATOMIC_REQUESTS' transaction: opening it needs the database,
# which liveness must not touch and readiness must report on (503), not fail on (500).
@transaction.non_atomic_requests
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database involved)."""
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers; 503 otherwise, so a load balancer skips this host."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 (any database failure means not ready)
        logging.getLogger(__name__).exception("Readiness check failed")
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
