"""Fixtures: an app on a fresh database per test, a client, and small factories.

The database is a SQLite file in the test's temporary folder, or the PostgreSQL database named
by ``TEST_DATABASE_URL`` (CI runs the suite on both). After every test the ledger invariant is
checked: each school's fund balance equals its entries, and no balance is ever below zero.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from sas import create_app
from sas.dates import today_wib
from sas.extensions import db
from sas.fragments import Fragments
from sas.ledger import services as ledger
from sas.models import (
    Category,
    Entry,
    Jenjang,
    Recipient,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolClass,
    SchoolStatus,
    Source,
    User,
)
from sas.models.append_only import drop_statements, trigger_statements

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """A cheap hash for test accounts (the app's own scrypt hashing is tested in test_auth)."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def database_url(folder) -> str:  # type: ignore[no-untyped-def]
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder / 'test.sqlite3'}"


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
    _app.config.clear()
    _app.config.update(saved)


APPEND_ONLY_TABLES = ("entries", "audit_log", "checkpoints")


def empty_tables() -> None:
    if db.engine.dialect.name == "postgresql":  # TRUNCATE does not fire the row triggers
        names = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with tampering(*APPEND_ONLY_TABLES):
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
    db.session.commit()


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
    assert ledger.check_totals() == []


@pytest.fixture
def page_cache_off(app: Flask) -> Iterator[None]:
    """Page parts drawn for every view (sas.fragments): a test that counts what drawing costs."""
    saved = app.extensions["sas_fragments"]
    app.extensions["sas_fragments"] = Fragments(0)
    yield
    app.extensions["sas_fragments"] = saved


class IsolatedClient(FlaskClient):
    """Each request runs as in production: its own app context, ``g`` and database session.

    The test's own session commits first (so it holds no write lock the request would wait
    for) and forgets what it loaded afterwards (so the test sees what the request wrote).
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        db.session.commit()
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        assert_content_type_once(response)
        return response


def assert_content_type_once(response) -> None:  # type: ignore[no-untyped-def]
    """Every answer of the suite names its media type, and each parameter of it, once (a CSV
    once went out as ``text/csv; charset=utf-8; charset=utf-8``)."""
    values = response.headers.getlist("Content-Type")
    assert len(values) <= 1, values
    names = [part.split("=", 1)[0].strip().lower() for part in "".join(values).split(";")[1:]]
    assert len(names) == len(set(names)), values


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories ----------------------------------------------------------------------------


def make_kabupaten(code: str = "35.10", name: str = "Banyuwangi") -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        region = Region(code=code, name=name, level=RegionLevel.KABUPATEN)
        db.session.add(region)
        db.session.flush()
    return region


def make_kecamatan(code: str = "35.10.16", name: str = "Banyuwangi") -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        kabupaten = make_kabupaten(code[:5])
        region = Region(code=code, name=name, level=RegionLevel.KECAMATAN, parent_id=kabupaten.id)
        db.session.add(region)
        db.session.flush()
    return region


def make_school(npsn: str | None = None, kecamatan: str = "35.10.16", **fields) -> School:  # type: ignore[no-untyped-def]
    n = next(_counter)
    school = School(
        npsn=npsn or f"2052{n:04d}",
        name=fields.pop("name", f"SMP Negeri {n} Banyuwangi"),
        jenjang=fields.pop("jenjang", Jenjang.SMP),
        status=fields.pop("status", SchoolStatus.NEGERI),
        kecamatan_id=make_kecamatan(kecamatan).id,
        **fields,
    )
    db.session.add(school)
    db.session.flush()
    ledger.ensure_fund(school)
    db.session.commit()
    return school


def make_user(username: str, role: Role, school: School | None = None, active: bool = True) -> User:
    user = User(
        username=username,
        display_name=username.title(),
        role=role,
        school_id=school.id if school else None,
        region_id=make_kabupaten().id if role == Role.DISTRICT else None,
        active=active,
    )
    user.password_hash = password_hash()
    db.session.add(user)
    db.session.commit()
    return user


def make_recipient(school: School, name: str = "Siti Aminah", **fields) -> Recipient:  # type: ignore[no-untyped-def]
    recipient = Recipient(
        school_id=school.id,
        name=name,
        class_label=fields.pop("class_label", "8A"),
        reason=fields.pop("reason", "Orang tua buruh tani"),
        **fields,
    )
    db.session.add(recipient)
    db.session.commit()
    return recipient


def make_classes(school: School, *labels: str) -> list[SchoolClass]:
    items = [SchoolClass(school_id=school.id, label=label) for label in labels]
    db.session.add_all(items)
    db.session.commit()
    return items


def contribute(school: School, amount: int, user: User, on: date | None = None, **fields) -> Entry:  # type: ignore[no-untyped-def]
    entry = ledger.record_contribution(
        school,
        amount=amount,
        occurred_on=on or today_wib(),
        source=fields.pop("source", Source.CLASS),
        class_label=fields.pop("class_label", "8A"),
        donor_name=fields.pop("donor_name", None),
        note=fields.pop("note", None),
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return entry


def disburse(
    school: School, amount: int, user: User, recipient: Recipient, on: date | None = None
) -> Entry:
    entry = ledger.record_disbursement(
        school,
        amount=amount,
        occurred_on=on or today_wib(),
        recipient=recipient,
        category=Category.SERAGAM,
        in_kind=True,
        description="Seragam putih biru",
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return entry


def login(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password})


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
