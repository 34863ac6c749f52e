"""Configuration, read from the environment only.

Config is the embedded default (SQLite, outbox email, in-process jobs, BACS-file payments);
Development, Test and Production adjust it. Pick one with LEP_CONFIG (default: development).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LEP_INSTANCE_PATH", BASE_DIR / "instance"))

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 (refused in production)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(name: str = "DATABASE_URL") -> str:
    url = os.environ.get(name) or f"sqlite:///{INSTANCE_DIR / 'lep.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    ENV_NAME = "default"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    # The tables' owner, for `flask db upgrade` and `flask lep grant-app-role` (lep/dbroles.py);
    # unset, the migrations connect as DATABASE_URL (the app's role then owns the tables).
    MIGRATION_DATABASE_URI = (
        _database_url("MIGRATION_DATABASE_URL")
        if os.environ.get("MIGRATION_DATABASE_URL")
        else None
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Example NHS Trust")
    SERVICE_NAME = os.environ.get("SERVICE_NAME", "Lived experience roles")
    SERVER_NAME_FOR_EMAIL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Rendered NHS.UK components kept per process, by their exact parameters (0: off):
    # lep/components.py.
    COMPONENT_CACHE_SIZE = int(os.environ.get("COMPONENT_CACHE_SIZE", "4096"))

    # Public role pages kept rendered for signed-out visitors, in seconds (0: off):
    # lep/pagecache.py.
    PUBLIC_PAGE_CACHE_SECONDS = float(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", "10"))

    # Request bodies larger than this get a 413 page (uploads are at most 10 MB).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024)))

    # Private files (supporting files, receipts): "local" keeps them under UPLOAD_FOLDER.
    FILE_STORAGE = os.environ.get("FILE_STORAGE", "local")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or None  # default: <instance>/uploads

    # Email: "outbox" stores every message in a table and logs it; "smtp" sends it.
    MAIL_PROVIDER = os.environ.get("MAIL_PROVIDER", "outbox")
    MAIL_FROM = os.environ.get("MAIL_FROM", "lep@example.org")
    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _bool("SMTP_STARTTLS")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # A refused email is tried again with backoff (1, 5, 25 minutes, ...) up to this many tries
    # in all, by `flask lep send-emails` (cron); then it is failed, for an admin to try again.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "5"))
    # A delivery still "sending" after this long stopped part-way: the email is held (it may
    # have gone), never sent again without an admin.
    MAIL_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("MAIL_CLAIM_TIMEOUT_SECONDS", "600"))

    # Jobs: "inline" runs them in the request; "rq" queues them on Redis for `flask lep worker`.
    JOB_QUEUE = os.environ.get("JOB_QUEUE", "rq" if os.environ.get("REDIS_URL") else "inline")
    RQ_QUEUE_NAME = os.environ.get("RQ_QUEUE_NAME", "lep")
    # Sending payment runs: taken by the worker before anything on RQ_QUEUE_NAME.
    RQ_PRIORITY_QUEUE_NAME = os.environ.get("RQ_PRIORITY_QUEUE_NAME", "") or None
    RQ_PRIORITY_JOB_TIMEOUT = int(os.environ.get("RQ_PRIORITY_JOB_TIMEOUT", "3600"))

    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Redis unreachable must not stop anyone signing in: the limits are counted in this process's
    # memory meanwhile (Flask-Limiter logs "Rate limit storage unreachable"), and a Redis that
    # does not answer is given up on quickly rather than holding the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Wrong codes at the second step of signing in, per account (codes that work do not count).
    SECOND_FACTOR_RATE_LIMIT = os.environ.get(
        "SECOND_FACTOR_RATE_LIMIT", "5 per minute;20 per hour"
    )

    # Logs: "text" for a terminal, "json" (one object a line, with the request id) for a log
    # collector; LOG_REQUESTS adds a line per request (method, path, status, ms).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_REQUESTS = _bool("LOG_REQUESTS", True)
    # /health answers 503 when Redis is unreachable only if this is set: the app keeps working
    # without Redis (limits in memory, email sent in-process), so by default it reports it.
    HEALTH_REQUIRES_REDIS = _bool("HEALTH_REQUIRES_REDIS")

    # Links in emails: how long they work.
    EMAIL_CONFIRM_MAX_AGE = 3 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 2 * 3600
    INVITE_MAX_AGE = 7 * 24 * 3600

    # How long a signed-in session lasts (lep/accounts/sessions.py): staff (panel, HR, finance,
    # admin) are signed out after 30 minutes without a request, everyone else after 2 hours (an
    # applicant writing a long answer), and everyone 12 hours after signing in.
    SESSION_IDLE_MINUTES_STAFF = int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", "30"))
    SESSION_IDLE_MINUTES_PUBLIC = int(os.environ.get("SESSION_IDLE_MINUTES_PUBLIC", "120"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no lost half-typed forms
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "http"
    HSTS = False

    API_TITLE = "lep API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Payments: "bacs" (a bank file for the finance team's own bank; no account needed) or
    # "stripe" (Stripe Connect: Express accounts, transfers from the platform balance).
    PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "bacs")
    # Fernet key for bank details at rest. Unset outside production: one is generated under
    # instance/ (bank-details.key). Production refuses to start without it.
    BANK_DETAILS_KEY = os.environ.get("BANK_DETAILS_KEY") or None
    # Payees whose bank details changed this recently are held back from a run.
    PAYMENT_HOLD_DAYS = int(os.environ.get("PAYMENT_HOLD_DAYS", "3"))
    # A run with a larger total needs a second finance user's approval before it is sent.
    PAYMENT_RUN_APPROVAL_OVER_PENCE = int(
        os.environ.get("PAYMENT_RUN_APPROVAL_OVER_PENCE", "500000")
    )
    # Reconciliation flags a payment sent this many days ago and not yet confirmed paid.
    PAYMENT_CONFIRMATION_DAYS = int(os.environ.get("PAYMENT_CONFIRMATION_DAYS", "5"))
    # A run's sender renews its lease as it goes; one not renewed for this long has stopped and
    # is resumed (lep.payments.sending).
    PAYMENT_SEND_LEASE_SECONDS = int(os.environ.get("PAYMENT_SEND_LEASE_SECONDS", "120"))
    # With no job queue, a run of up to this many payments is sent in the request; a larger
    # one from a thread of the app's process.
    PAYMENT_SEND_INLINE_MAX = int(os.environ.get("PAYMENT_SEND_INLINE_MAX", "20"))
    PAYMENT_RESUME_INTERVAL_SECONDS = int(os.environ.get("PAYMENT_RESUME_INTERVAL_SECONDS", "60"))
    STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None  # localstripe in tests

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-2026")
    # The demo's hr, finance and admin accounts come with this authenticator app secret set up
    # (`flask lep demo` prints it): add it to an app, or print a code with pyotp.
    DEMO_TOTP_SECRET = os.environ.get("DEMO_TOTP_SECRET", "LEPDEMOLEPDEMOLEPDEMOLEPDEMOLEPD")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    # Links in emails point at the port the development server listens on (`PORT=5112 make
    # run`), unless BASE_URL says otherwise.
    SERVER_NAME_FOR_EMAIL = os.environ.get("BASE_URL") or (
        f"http://127.0.0.1:{os.environ.get('PORT') or '5000'}"
    )
    # /dev/outbox shows every email the app has sent (lep/notifications/dev_views.py). Only this
    # config registers it: never in production.
    DEV_OUTBOX_PAGE = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = (os.environ.get("DATABASE_URL") and _database_url()) or "sqlite://"
    MIGRATION_DATABASE_URI = None  # the suite migrates as DATABASE_URL (it owns its databases)
    MAIL_PROVIDER = "outbox"
    JOB_QUEUE = "inline"
    RATELIMIT_STORAGE_URI = "memory://"
    SECRET_KEY = "test-secret-key"  # noqa: S105
    # Tests move the clock by hand; the page cache's own tests turn it on (tests/test_pagecache.py).
    PUBLIC_PAGE_CACHE_SECONDS = 0.0
    ARGON2_FAST = True  # cheap hashes keep the suite quick; never in production
    LOG_REQUESTS = False
    BANK_DETAILS_KEY = "8Mw9DmDwEUrIzKDTr69XgHdt9wUH-x0JlB4EJ9mL8cg="  # tests only


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https"
    HSTS = True


CONFIGS: dict[str, type[Config]] = {
    "default": Config,
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
