"""gunicorn settings of an app host, read from the environment (docs/production.md).

    gunicorn -c deploy/gunicorn.conf.py extranet.wsgi

Each app host is stateless: sessions in PostgreSQL, cache in Redis, files in the S3 bucket.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


# Behind the load balancer: listen on the private network only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Sync workers: a request holds its worker (and its database connection) to the end, so the
# database sees at most workers x hosts connections. Threads (gthread) are off by default.
# One worker per core plus one: the pages spend little time waiting for PostgreSQL, and on 2
# cores 3 workers served the family pages with less CPU and a lower p95 than 5 (bench/README.md).
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
# A request taking longer than this is killed; its transaction is rolled back (ATOMIC_REQUESTS).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Workers are replaced now and then, staggered, so that none grows for weeks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# In a container, point this at a memory file system (/dev/shm): workers' heartbeat files on a
# slow disk make gunicorn take live workers for dead ones.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None

# gunicorn's control socket (gunicornc) only when asked for: its default path is the same for
# every gunicorn of the machine.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Addresses of the proxies allowed to say the request came over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# One line per request on stdout, key=value like the portal's own log lines, with the same
# request id (the X-Request-ID answered by extranet.observability.RequestIdMiddleware).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    "time=%(t)s level=INFO logger=gunicorn.access request_id=%({x-request-id}o)s "
    'message="%(m)s %(U)s %(H)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s '
    'client=%({x-forwarded-for}i)s agent="%(a)s"'
)
