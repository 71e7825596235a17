"""Configuration classes; every setting that differs per deployment comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent


def database_url(default: str) -> str:
    """DATABASE_URL, normalised so plain ``postgresql://`` URLs use psycopg 3."""
    url = os.environ.get("DATABASE_URL", default)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict[str, Any]:
    """SQLite waits for a busy writer; PostgreSQL gives up on a held row lock after a while.
    PostgreSQL's pool checks its connections in ``sas.extensions.check_pooled_connections``."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "10"))}}
    return {"connect_args": {"options": "-c lock_timeout=10000 -c statement_timeout=30000"}}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{BASE_DIR / 'instance' / 'sas.sqlite3'}")
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    # Largest amount one entry may carry, in Rupiah.
    MAX_ENTRY_AMOUNT = int(os.environ.get("SAS_MAX_ENTRY_AMOUNT", "100000000"))
    ENTRIES_PER_PAGE = 50
    # The dashboard and the kuitansi check walk a school's whole hash chain at most this often
    # per process; in between they check only the entries added since (chain.verify_recent).
    CHAIN_FULL_WALK_SECONDS = float(os.environ.get("SAS_CHAIN_FULL_WALK_SECONDS", "60"))
    # PostgreSQL: a pooled connection unused for this long is pinged before it is handed out.
    DB_PING_IDLE_SECONDS = float(os.environ.get("SAS_DB_PING_IDLE_SECONDS", "1"))
    # A page part kept rendered (sas.fragments: the dashboard's body) is drawn again when what
    # it shows changes, and at least this often; 0 draws it for every view.
    PAGE_CACHE_SECONDS = float(os.environ.get("SAS_PAGE_CACHE_SECONDS", "60"))
    # Where the report pages' versions live (sas.pagecache), shared by every worker: a Redis
    # URL; unset, the rate limiter's Redis (RATELIMIT_STORAGE_URI) if it is one, else per process.
    PAGE_VERSIONS_URI = os.environ.get("SAS_PAGE_VERSIONS_URI")
    # Evidence files (photos, PDFs), outside static/; default <instance>/evidence. A request may
    # carry a few files of at most 5 MB each; a larger one is answered 413.
    EVIDENCE_FOLDER = os.environ.get("SAS_EVIDENCE_FOLDER")
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # The public page at / (aggregates only); which kabupaten it shows (default: the first).
    PUBLIC_PAGE = os.environ.get("SAS_PUBLIC_PAGE", "1") == "1"
    PUBLIC_KABUPATEN = os.environ.get("SAS_PUBLIC_KABUPATEN")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    # The app never sets a remember-me cookie; should one appear, it is as strict as the session
    # cookie and short-lived (school computers are shared).
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone all afternoon still submits
    PRODUCTION = False
    # Login protection (Flask-Limiter). In memory per process by default; with several gunicorn
    # workers set RATELIMIT_STORAGE_URI=redis://host:6379 so that they share one count.
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # A Redis that hangs (rather than refusing) must not hold every login: half a second, then
    # the limit is skipped and logged (RATELIMIT_SWALLOW_ERRORS).
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "sas")
    RATELIMIT_STRATEGY = "moving-window"  # no burst of twice the limit at a window's edge
    RATELIMIT_SWALLOW_ERRORS = True  # storage down: log it and let logins through, not 500
    # Failed logins only (sas.auth.limits has the reasons for the numbers). Per username and
    # address: the first 3 are free, the Nth then waits min(2^(N-3), 60) s, then the limit.
    LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS = os.environ.get(
        "SAS_LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS", "10 per 15 minutes; 50 per day"
    )
    LOGIN_DELAY_FREE_FAILURES = 3
    LOGIN_DELAY_MAX_SECONDS = 60
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
        "SAS_LOGIN_LIMIT_PER_ADDRESS", "20 per minute; 100 per hour"
    )
    # Per username from everywhere: only a distributed brute force reaches it.
    LOGIN_CEILING_PER_USERNAME = os.environ.get(
        "SAS_LOGIN_CEILING_PER_USERNAME", "300 per hour; 1000 per day"
    )
    PASSWORD_LIMIT_PER_ACCOUNT = "5 per minute"  # noqa: S105 (a limit: wrong current passwords)
    # Kuitansi checks per client address: a school checking its printed receipts, or a class
    # group (or a mobile carrier's shared address) opening one shared link, stays far below.
    RECEIPT_CHECK_LIMIT = os.environ.get("SAS_RECEIPT_CHECK_LIMIT", "120 per minute")
    # where an uploaded school CSV waits for its confirmation (default: instance/imports)
    SCHOOL_IMPORT_FOLDER = os.environ.get("SAS_SCHOOL_IMPORT_FOLDER")
    # Behind a reverse proxy (nginx...), trust this many X-Forwarded-For / -Proto hops. Off by
    # default: without a proxy a client could name any address it likes.
    PROXY_FIX = os.environ.get("SAS_PROXY_FIX", "0") == "1"
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "1"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "1"))
    # gzip for text responses (sas.compression: which ones, and why not every page). Set
    # SAS_COMPRESS=0 only where something in front compresses with the same rule.
    COMPRESS_RESPONSES = os.environ.get("SAS_COMPRESS", "1") == "1"
    # The Ed25519 private key (PEM) that signs checkpoints (sas.checkpoints); a file outside the
    # database, readable only by the app's user. Unset: no checkpoint can be made.
    CHECKPOINT_KEY = os.environ.get("SAS_CHECKPOINT_KEY")


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    CHECKPOINT_KEY = os.environ.get(
        "SAS_CHECKPOINT_KEY", str(BASE_DIR / "instance" / "checkpoint-key.pem")
    )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - tests only
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    RATELIMIT_ENABLED = False  # tests/test_ratelimit.py builds its own apps with it on
    CHECKPOINT_KEY = None  # tests/test_checkpoints.py makes its own
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
