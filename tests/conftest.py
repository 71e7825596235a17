"""Fixtures: an app on a fresh database per test, a client, and the ``world`` of two schools.

The database is a SQLite file in the run's temporary folder, or the PostgreSQL database named by
``TEST_DATABASE_URL`` (CI runs the suite on both); under pytest-xdist each worker has its own
(tests/database.py). After every test the ledger invariant is checked: each school's fund balance
equals its entries, and no balance is ever below zero. The factories are in tests/factories.py,
the test client and its checks in tests/web.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sas import create_app, pagecache
from sas.extensions import db
from sas.fragments import Fragments
from sas.models import Jenjang, Role
from tests.browser.journeys import PAGE_WEIGHTS, print_weights
from tests.database import (
    assert_ledger_invariant,
    database_url,
    empty_tables,
    recreate_database,
    worker_database_url,
)
from tests.factories import contribute, make_classes, make_recipient, make_school, make_user
from tests.scheduling import BrowserTogether
from tests.web import IsolatedClient


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, a PostgreSQL database of the worker's own, made afresh; the fixtures
    and the tests that build apps of their own read it from ``TEST_DATABASE_URL``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if worker and url.startswith("postgresql"):
        url = worker_database_url(url, worker)
        recreate_database(url)
        os.environ["TEST_DATABASE_URL"] = url


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # type: ignore[no-untyped-def]
    """Under ``-n`` (``make test``), the browser journeys together on one worker."""
    return BrowserTogether(config, log) if config.getoption("dist") == "load" else None


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The browser journeys' page weights, read from the tests' reports: here, not in
    tests/browser, because under pytest-xdist only this process writes the summary."""
    weights: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == PAGE_WEIGHTS:
                    weights.update(value)
    if weights:
        print_weights(terminalreporter, weights)


@pytest.fixture(scope="session")
def _app(tmp_path_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """One app for the whole run (building one per test costs more than the tests)."""
    url = database_url(tmp_path_factory.mktemp("db"))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app with an app context pushed on empty tables; config changes are undone after."""
    saved = dict(_app.config)
    with _app.app_context():
        yield _app
        try:
            db.session.rollback()
            assert_ledger_invariant()
        finally:
            db.session.rollback()
            empty_tables()
            db.session.remove()
            _app.extensions["sas_fragments"].clear()  # pages drawn from the emptied tables
            pagecache.clear(_app)
    _app.config.clear()
    _app.config.update(saved)


@pytest.fixture
def page_cache_off(app: Flask) -> Iterator[None]:
    """Page parts drawn for every view (sas.fragments): a test that counts what drawing costs."""
    saved = app.extensions["sas_fragments"]
    saved_pages = app.extensions["sas_pages"]
    app.extensions["sas_fragments"] = app.extensions["sas_pages"] = Fragments(0)
    yield
    app.extensions["sas_fragments"] = saved
    app.extensions["sas_pages"] = saved_pages


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(app: Flask) -> dict:
    """Two schools in two kecamatan, each with a committee member and a teacher, plus
    a district officer and an admin; school A has a recipient, the classes 7A, 8A and 8B and
    Rp100.000 in its fund; school B has the class 1A."""
    a = make_school("20525555", "35.10.16", name="SMP Negeri 1 Banyuwangi")
    b = make_school("20526666", "35.10.09", name="SD Negeri 2 Genteng", jenjang=Jenjang.SD)
    users = {
        "komite_a": make_user("komite_a", Role.COMMITTEE, a),
        "guru_a": make_user("guru_a", Role.TEACHER, a),
        "komite_b": make_user("komite_b", Role.COMMITTEE, b),
        "guru_b": make_user("guru_b", Role.TEACHER, b),
        "dinas": make_user("dinas", Role.DISTRICT),
        "admin": make_user("admin", Role.ADMIN),
    }
    recipient_a = make_recipient(a)
    recipient_b = make_recipient(b, name="Budi Santoso")
    make_classes(a, "7A", "8A", "8B")
    make_classes(b, "1A")
    entry_a = contribute(a, 100_000, users["komite_a"])
    entry_b = contribute(b, 50_000, users["komite_b"])
    return {
        "a": a,
        "b": b,
        "recipient_a": recipient_a,
        "recipient_b": recipient_b,
        "entry_a": entry_a,
        "entry_b": entry_b,
        **users,
    }
