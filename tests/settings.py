"""Settings for the test suite: the production settings, with test-only relaxations."""

import os

os.environ.setdefault("ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("TESTING", "1")

from extranet.settings import *  # noqa: E402, F403

# The test client and the browser tests speak plain HTTP to a local server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite's cache is its own, in memory, even where REDIS_URL is set (CI): a Redis shared with
# other runs would carry counters from one run to the next, and clearing it would empty it for
# all. tests/extranet/test_scale_out.py checks the Redis cache itself.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["default"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(VAR_DIR / "test-media"), "base_url": None},  # noqa: F405
}
# Send queued emails right after commit, so tests see them in mail.outbox; the worker path
# (retries, backoff, concurrency) has tests of its own.
OUTBOX_SEND_ON_COMMIT = True
PAYZEN_TEST_GATEWAY = True
