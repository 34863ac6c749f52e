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


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'lep.sqlite3'}"
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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Example NHS Trust")
    # How people reach the finance team (on remittance advice, and when we cannot pay someone).
    FINANCE_CONTACT_EMAIL = os.environ.get("FINANCE_CONTACT_EMAIL", "finance@example.org")
    ORGANISATION_ADDRESS = os.environ.get("ORGANISATION_ADDRESS", "")  # one line, on remittances
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

    # Jobs: "inline" runs them in the request; "rq" queues them on Redis for `flask lep worker`.
    JOB_QUEUE = os.environ.get("JOB_QUEUE", "rq" if os.environ.get("REDIS_URL") else "inline")
    RQ_QUEUE_NAME = os.environ.get("RQ_QUEUE_NAME", "lep")

    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")

    # Links in emails: how long they work.
    EMAIL_CONFIRM_MAX_AGE = 3 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 2 * 3600
    INVITE_MAX_AGE = 7 * 24 * 3600

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
    STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None  # localstripe in tests

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-2026")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = (os.environ.get("DATABASE_URL") and _database_url()) or "sqlite://"
    MAIL_PROVIDER = "outbox"
    JOB_QUEUE = "inline"
    RATELIMIT_STORAGE_URI = "memory://"
    SECRET_KEY = "test-secret-key"  # noqa: S105
    # Tests move the clock by hand; the page cache's own tests turn it on (tests/test_pagecache.py).
    PUBLIC_PAGE_CACHE_SECONDS = 0.0
    ARGON2_FAST = True  # cheap hashes keep the suite quick; never in production
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
