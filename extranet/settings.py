"""Settings of the portal, read from environment variables only.

The defaults give a working embedded setup (SQLite, private files under var/, emails written to
var/mail/). Production values are documented in the README's configuration table.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting, or the content of the file named by NAME_FILE (for secrets mounted as files)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)


def embedded_secret_key(var_dir: Path) -> str:
    """The embedded setup's key: made at random once, kept in var/secret_key (owner only)."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or envbool("ALLOW_INSECURE_KEY", False):
        SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"
    elif not env("DATABASE_URL"):
        # The embedded setup (SQLite under var/) works out of the box, with its own key.
        SECRET_KEY = embedded_secret_key(VAR_DIR)
    else:
        # A deployment (DATABASE_URL set) must bring its own key: never a generated one.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# The portal's public address, for links in emails sent by the worker.
PORTAL_URL = env("PORTAL_URL", "http://127.0.0.1:8000")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "extranet",
    "families",
    "students",
    "courses",
    "reenrollment",
    "billing",
    "extranet.admin_site.PortalAdminConfig",  # django.contrib.admin, behind a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "extranet.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "extranet.middleware.PortalLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the login view's outcome (django-axes' documented order).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "extranet.urls"
WSGI_APPLICATION = "extranet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "extranet.template_backend.PortalDjangoTemplates",
        "NAME": "django",  # The alias Django's own backend has (engines["django"]).
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # `{% url %}` and `{% translate %}` remember their answers (same output, a tenth
            # less CPU per family page: extranet/templatetags/portal_urls.py and portal_i18n.py,
            # bench/README.md). `{% load i18n %}` loads portal_i18n: Django's library and tags.
            "builtins": ["extranet.templatetags.portal_urls"],
            "libraries": {"i18n": "extranet.templatetags.portal_i18n"},
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "extranet.context_processors.portal",
            ],
        },
    },
]

# Form widgets are drawn by Django's Jinja2 widget templates, several times faster than the same
# templates in Django's language (extranet/form_renderer.py, bench/README.md).
FORM_RENDERER = "extranet.form_renderer.PortalFormRenderer"

# The embedded setup keeps its database, files and emails under var/.
if not env("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# Database: SQLite under var/ unless DATABASE_URL names another one (PostgreSQL in production).
# A deployment keeps its connections a minute, each checked before its first use in a request
# (even when that use opens the request's transaction), so a restarted PostgreSQL costs no
# failed request.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60 if env("DATABASE_URL") else 0),
        conn_health_checks=True,
    )
}
# Each view runs in one transaction: a request that fails half-way leaves nothing half-written.
# The few views that commit in parts on purpose say so with transaction.non_atomic_requests.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache shared by every app host (Redis) when REDIS_URL is set; in memory, per process, in the
# embedded setup. Short socket timeouts: a stuck Redis must not hold requests.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "tutti"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database, which every host shares: a family may land on any host, a
# logout or password change ends the session everywhere, and a Redis restart or flush logs
# nobody out. (cached_db would save one primary-key read per request, but Django's cached_db
# writes to the cache unguarded when it loads a session, so a Redis outage would fail every
# logged-in request.)
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "extranet.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out (identifiant, address) never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    "extranet.auth.SiteBackend",
]
# A login is (site, identifiant): the same identifiant may exist on two sites, so the username
# column is unique per site only, and authentication goes through SiteBackend.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

# Argon2id with the OWASP minimum (m=19 MiB, t=2, p=1): see extranet/hashers.py and bench/.
PASSWORD_HASHERS = [
    "extranet.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 24 * 3600

LOGIN_URL = "extranet:login"
# Staff confirm each login with a TOTP code (django-otp) before they reach the admin.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Tutti")
# No one reads a paired device's secret back in the admin (its QR code would let a second
# phone answer for the staff member); a lost phone is deleted and paired again.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_REDIRECT_URL = "extranet:home"
LOGOUT_REDIRECT_URL = "extranet:landing"

# Login throttling: 5 failures for one (site, identifiant) from one address lock that pair only,
# for 15 minutes; other families behind the same address can still log in.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "extranet.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "extranet.views.login_locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind reverse proxies, the client's address is read from X-Forwarded-For, counting
# PROXY_COUNT trusted proxies from the right (what a client writes there is never trusted).
PROXY_COUNT = envint("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "extranet.auth.client_ip"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
if DEBUG or envbool("TESTING", False):
    # Served from the source folders, without collectstatic.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Uploaded files are private: no MEDIA_URL is served, downloads go through views that check who
# asks. Local directory by default, an S3-compatible bucket with STORAGE_BACKEND=s3.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    if not env("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME.")
    _s3_acl = env("AWS_DEFAULT_ACL", "private")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID"),
            "secret_key": env("AWS_SECRET_ACCESS_KEY"),
            # "none": send no ACL, for buckets whose ACLs are disabled (AWS's default for new
            # buckets), kept private by Block Public Access and the bucket policy.
            "default_acl": None if _s3_acl == "none" else _s3_acl,
            # Downloads are streamed by the portal's views; should a URL ever be made, it is
            # signed and short-lived, never a public address.
            "querystring_auth": True,
            "querystring_expire": 60,
            "custom_domain": None,
            "signature_version": env("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            # "path" for MinIO and most self-hosted services; empty: boto3 chooses.
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "file_overwrite": False,
            # A file read for a download is kept in memory up to 2 MB, on disk beyond.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or envbool("TESTING", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: real SMTP when EMAIL_HOST is set, otherwise one file per message under var/mail/.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Tutti <ne-pas-repondre@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Emails go through the outbox (extranet.OutboxMessage), sent by `manage.py run_worker`.
# On: also try right after the commit, the worker still retrying what failed.
OUTBOX_SEND_ON_COMMIT = envbool("OUTBOX_SEND_ON_COMMIT", DEBUG)

# Security: strict by default when DEBUG is off (manage.py check --deploy is clean).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer checks each app host over plain HTTP on the private network: the health
# endpoints answer there instead of redirecting to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^sante/"]
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A strict Content-Security-Policy (django-csp): scripts and styles come from the portal's own
# static files only, never inline; nothing may frame the portal. The payment page adds its
# gateway to form-action (billing.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_FAILURE_VIEW = "extranet.views.csrf_failure"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "extranet.observability.RequestIdFilter"}},
    "formatters": {
        "keyvalue": {
            "format": "time=%(asctime)s level=%(levelname)s logger=%(name)s "
            "request_id=%(request_id)s message=%(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "keyvalue",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": env("AXES_LOG_LEVEL", "WARNING")},
    },
}
SIMPLE_HISTORY_REVERT_DISABLED = True

# Sites with no PayZen account pay through the portal's built-in test gateway (no real money):
# on for development and the demo, off in production unless asked for.
PAYZEN_TEST_GATEWAY = envbool("PAYZEN_TEST_GATEWAY", DEBUG)
