"""The databases the tests use: which one, emptying it between tests, lifting the append-only
triggers for a test that tampers on purpose, and second databases to restore a backup into.

The suite runs on a SQLite file in the run's temporary folder, or on the PostgreSQL database named
by ``TEST_DATABASE_URL`` (CI runs it on both). Under pytest-xdist each worker has a database of
its own on PostgreSQL (``sas_test_gw0``, ``sas_test_gw1``...), made afresh when the worker starts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sas import create_app, integrity
from sas.extensions import db
from sas.models.append_only import drop_statements, trigger_statements

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
APPEND_ONLY_TABLES = ("entries", "audit_log", "checkpoints")


def worker_database_url(url: str, worker: str) -> str:
    """``url`` with the xdist worker's name appended to its database: workers share no tables."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def recreate_database(url: str) -> None:
    """Drop the PostgreSQL database of ``url`` if it is there and create it empty."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def database_url(folder: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder / 'test.sqlite3'}"


def empty_tables() -> None:
    """Every row deleted, the append-only triggers lifted meanwhile, and the ids from 1 again.

    DELETE on PostgreSQL too: a test leaves a few rows, which DELETE removes in a few
    milliseconds, where TRUNCATE of every table took some 40, and more with two workers."""
    with tampering(*APPEND_ONLY_TABLES):
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":  # SQLite starts again from 1 by itself
        db.session.execute(text(RESTART_SEQUENCES))
    db.session.commit()


RESTART_SEQUENCES = """
    SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname = current_schema()
"""


@contextlib.contextmanager
def tampering(*tables: str) -> Iterator[None]:
    """Lift the append-only triggers of ``tables`` (a test that tampers on purpose, or the
    clean-up between tests), and put them back afterwards, in the test's session."""
    dialect = db.engine.dialect.name
    for table in tables:
        for statement in drop_statements(table, dialect):
            db.session.execute(text(statement))
    try:
        yield
    finally:
        for table in tables:
            for statement in trigger_statements(table, dialect):
                db.session.execute(text(statement))


def assert_ledger_invariant() -> None:
    """The shown balance equals contributions minus disbursements, voids netted, never < 0."""
    assert integrity.check_totals() == []


def empty_app(url: str, evidence: Path) -> Flask:
    """An app on ``url`` with the schema and no rows, as after ``flask db upgrade``."""
    target = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "EVIDENCE_FOLDER": evidence})
    with target.app_context():
        db.create_all()
    return target


def restore_into(target: Flask, path: Path) -> Result:
    """``flask sas restore PATH`` on ``target`` (the CLI runs in the current app context if there
    is one, so push the target's)."""
    with target.app_context():
        return target.test_cli_runner().invoke(args=["sas", "restore", str(path)])
