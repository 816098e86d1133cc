"""Minimal Django project serving django-helpdesk 2.6.1 for the benchmark.

Follows django-helpdesk's install docs (helpdesk + contrib apps, SITE_ID,
LOGIN_URL, rest_framework for its API). Teams mode (pinax-teams) is turned
off, which its docs allow; the knowledge base stays on (its default).

Database comes from PEER_DATABASE_URL (PostgreSQL), e.g.
  postgresql://user:pass@host:5432/dbname
  postgresql://postgres@/peerbench?host=/tmp/peerpg&port=55432
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _database_from_url(url):
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise RuntimeError(f"PEER_DATABASE_URL must be a PostgreSQL URL, got {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = query.pop("host", None) or (unquote(parts.hostname) if parts.hostname else "")
    port = query.pop("port", None) or (str(parts.port) if parts.port else "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": port,
        # Persistent connections, as a production deployment would use.
        "CONN_MAX_AGE": 600,
        "OPTIONS": query,
    }


DATABASE_URL = os.environ.get("PEER_DATABASE_URL")
if not DATABASE_URL:
    raise RuntimeError("PEER_DATABASE_URL is not set")

DATABASES = {"default": _database_from_url(DATABASE_URL)}

SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "frontdesk-bench-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # required by django-helpdesk (email links)
    "django.contrib.humanize",  # required by django-helpdesk templates
    "rest_framework",  # django-helpdesk REST API
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peer_project.urls"
WSGI_APPLICATION = "peer_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

SITE_ID = 1
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# django-helpdesk options
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams
HELPDESK_API_ENABLED = True  # default, made explicit

REST_FRAMEWORK = {
    # DRF defaults, spelled out: the benchmark client uses the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

# No outgoing mail during the benchmark.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.invalid"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("PEER_STATIC_ROOT", str(BASE_DIR.parent / ".static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("PEER_MEDIA_ROOT", str(BASE_DIR.parent / ".media"))

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
