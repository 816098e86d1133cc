"""Frontdesk settings, read from the environment.

Every knob is an environment variable: ``FRONTDESK_*``, ``DATABASE_URL`` and
``REDIS_URL``. With nothing set, Frontdesk runs embedded: SQLite (WAL), Huey on
SQLite, a channel layer relayed between processes through a SQLite file
(frontdesk/core/channels_relay.py), files under ``var/``. Setting ``REDIS_URL`` switches
jobs, the channel layer and the cache to Redis for scale-out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("FRONTDESK_VAR_DIR", str(BASE_DIR / "var")))

# Under pytest the test settings apply without anyone having to remember a variable.
TESTING = env_bool("FRONTDESK_TESTING", "pytest" in sys.modules)
DEBUG = env_bool("FRONTDESK_DEBUG", False)


def _secret_key() -> str:
    """FRONTDESK_SECRET_KEY, or a random key created once and kept in var/secret_key.

    Several processes (web, jobs) on one machine share the file; scaled-out deployments set
    the variable so every host signs with the same key.
    """
    configured = env_str("FRONTDESK_SECRET_KEY")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        import secrets

        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process (the job worker) created it at the same moment
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    for _attempt in range(50):
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it or set FRONTDESK_SECRET_KEY.")


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("FRONTDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("FRONTDESK_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("FRONTDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# HTTPS hardening: on for production deployments behind TLS (`check --deploy` clean).
HTTPS = env_bool("FRONTDESK_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("FRONTDESK_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("FRONTDESK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "huey.contrib.djhuey",
    "channels",
    "anymail",
    "frontdesk.core",
    "frontdesk.accounts",
    "frontdesk.customers",
    "frontdesk.tickets",
    "frontdesk.search",
    "frontdesk.sla",
    "frontdesk.mail",
    "frontdesk.knowledge",
    "frontdesk.community",
    "frontdesk.reporting",
    "frontdesk.automation",
    "frontdesk.notifications",
    "frontdesk.ai",
    "frontdesk.portal",
    "frontdesk.desk",
    "frontdesk.api",
    "frontdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "frontdesk.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontdesk.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'frontdesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while a writer commits; IMMEDIATE avoids lock upgrades
        # that SQLite would otherwise answer with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so the live server thread of browser tests shares the database.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("FRONTDESK_TEST_SQLITE_NAME") or str(VAR_DIR / "test.sqlite3")
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Form choice lists iterate querysets; server-side cursors would cost three round trips
    # for a handful of rows (and do not survive a transaction-pooling proxy).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # Django writes list and detail joins base table first, already the right order;
    # letting the planner reorder ten relations cost ~100 ms of planning per query.
    options["options"] = "-c join_collapse_limit=4"
    # Connections come from one pool per process (psycopg-pool, Django's built-in support)
    # rather than one per request thread (frontdesk/core/asgi.py keeps a few threads).
    if env_bool("FRONTDESK_DB_POOL", True) and not TESTING:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options["pool"] = {"min_size": 2, "max_size": env_int("FRONTDESK_DB_POOL_MAX", 10)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Jobs, cache, channels ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("FRONTDESK_HUEY_NAME", "frontdesk"),
        "url": REDIS_URL,
        "immediate": TESTING and not env_bool("FRONTDESK_HUEY_REAL", False),
        "consumer": {"workers": env_int("FRONTDESK_WORKERS", 2), "worker_type": "thread"},
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "frontdesk",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        # The database outbox is the durable record of every side effect (the sweeper
        # re-enqueues what a lost job left undone), so the queue need not fsync each enqueue.
        "fsync": False,
        "immediate": TESTING and not env_bool("FRONTDESK_HUEY_REAL", False),
        "consumer": {"workers": env_int("FRONTDESK_WORKERS", 2), "worker_type": "thread"},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # In-memory per process, relayed through a small SQLite file so that a push from the
    # job worker reaches the web process's websockets (frontdesk/core/channels_relay.py).
    # Each pytest-xdist worker gets its own file: tests must not hear each other.
    _relay_worker = os.environ.get("PYTEST_XDIST_WORKER", "") if TESTING else ""
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "frontdesk.core.channels_relay.RelayChannelLayer",
            "CONFIG": {"path": str(VAR_DIR / f"channels{_relay_worker}.sqlite3")},
        }
    }

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("FRONTDESK_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_ADAPTER = "frontdesk.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Frontdesk] "
ACCOUNT_RATE_LIMITS = False if TESTING else {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

# --- I18N ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("FRONTDESK_TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("FRONTDESK_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries come from the npm registry (package.json + lock), never a CDN.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/alpinejs", BASE_DIR / "node_modules" / "@alpinejs" / "csp" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(env_str("FRONTDESK_MEDIA_ROOT", str(VAR_DIR / "media")))
# Attachments are never served from MEDIA_URL: a permission-checked view streams them.
MEDIA_URL = "/media-not-served/"

# --- Attachments --------------------------------------------------------------------------
ATTACHMENT_MAX_FILE_BYTES = env_int("FRONTDESK_ATTACHMENT_MAX_FILE_BYTES", 20 * 1024 * 1024)
ATTACHMENT_MAX_MESSAGE_BYTES = env_int("FRONTDESK_ATTACHMENT_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)
ATTACHMENT_BLOCKED_EXTENSIONS = env_list(
    "FRONTDESK_ATTACHMENT_BLOCKED_EXTENSIONS",
    "exe,bat,cmd,com,cpl,dll,js,jse,msi,msp,scr,vbs,vbe,ps1,psm1,jar,hta,lnk,reg,sh,app",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("FRONTDESK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("FRONTDESK_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FRONTDESK_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("FRONTDESK_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("FRONTDESK_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("FRONTDESK_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("FRONTDESK_FROM_EMAIL", "Frontdesk <support@example.com>")
# Secrets stored in the database (mailbox passwords, webhook secrets) are encrypted with a key
# derived from these (comma-separated, newest first, so keys can be rotated); SECRET_KEY when
# unset.
ENCRYPTION_KEYS = env_list("FRONTDESK_ENCRYPTION_KEYS") or [SECRET_KEY]
# Inbound mail: larger mails are quarantined and the sender told.
MAIL_MAX_BYTES = env_int("FRONTDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024)
# Mails per sender per hour before further mail from that sender is held (flood guard).
MAIL_SENDER_RATE_PER_HOUR = env_int("FRONTDESK_MAIL_SENDER_RATE_PER_HOUR", 30)
MAIL_POLL_SECONDS = env_int("FRONTDESK_MAIL_POLL_SECONDS", 60)
# Mailboxes polled at the same time per job process (each poll in its own thread).
MAIL_POLL_THREADS = env_int("FRONTDESK_MAIL_POLL_THREADS", 8)
# The authserv-id(s) of our own MTA (comma-separated): only Authentication-Results headers
# it stamped are believed (dmarc=fail warnings, [#number] threading). Empty: none is.
MAIL_AUTHSERV_ID = env_str("FRONTDESK_MAIL_AUTHSERV_ID")
# `manage.py smtpd` (inbound SMTP/LMTP listener an MTA delivers to).
SMTPD_HOST = env_str("FRONTDESK_SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = env_int("FRONTDESK_SMTPD_PORT", 8025)
# Provider inbound webhooks (django-anymail): basic-auth secret "user:password" and keys.
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("FRONTDESK_ANYMAIL_WEBHOOK_SECRET") or None,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("FRONTDESK_MAILGUN_WEBHOOK_SIGNING_KEY") or None,
    "POSTMARK_SERVER_TOKEN": env_str("FRONTDESK_POSTMARK_SERVER_TOKEN") or None,
    "SENDGRID_API_KEY": env_str("FRONTDESK_SENDGRID_API_KEY") or None,
    "MAILGUN_API_KEY": env_str("FRONTDESK_MAILGUN_API_KEY") or None,
}
ANYMAIL = {k: v for k, v in ANYMAIL.items() if v is not None}

# --- SLA ----------------------------------------------------------------------------------
# How often the SLA scanner looks for targets coming due (seconds).
SLA_SCAN_SECONDS = env_int("FRONTDESK_SLA_SCAN_SECONDS", 60)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "frontdesk.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "frontdesk.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "frontdesk.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontdesk API",
    "DESCRIPTION": "REST API v1 of the Frontdesk helpdesk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "frontdesk.tickets.models.Level",
        "MessageKindEnum": "frontdesk.tickets.models.MessageKind",
        "LinkKindEnum": "frontdesk.tickets.models.LinkKind",
        "EventKindEnum": "frontdesk.tickets.models.EventKind",
    },
}

# --- Frontdesk product settings -------------------------------------------------------------
REOPEN_WINDOW_DAYS = env_int("FRONTDESK_REOPEN_WINDOW_DAYS", 14)
OUTBOX_SWEEP_AFTER_SECONDS = env_int("FRONTDESK_OUTBOX_SWEEP_AFTER_SECONDS", 120)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("FRONTDESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Inputs, selects and textareas rendered in Python (same markup as Django's templates).
FORM_RENDERER = "frontdesk.core.forms.FastWidgetRenderer"
