"""PostgreSQL connections (``sas.extensions``): a page view reads without BEGIN and COMMIT, and
any statement that needs a transaction still gets one; the pool hands out no dead connection,
without pinging the server before every request."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
from flask import Flask, request
from sqlalchemy import select, text

from sas import create_app
from sas.authz import PUBLIC_ENDPOINTS
from sas.extensions import db
from sas.models import Recipient

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="needs PostgreSQL (TEST_DATABASE_URL)"
)


def in_transaction() -> str:
    """What psycopg says of the request's connection: IDLE (autocommit) or INTRANS."""
    connection = db.session.connection().connection.dbapi_connection
    return connection.info.transaction_status.name  # type: ignore[union-attr]


def probes() -> dict[str, Callable[[], str]]:
    def read() -> str:
        db.session.scalar(text("SELECT 1"))
        return in_transaction()

    def write() -> str:
        school_id = int(request.args["school"])
        db.session.add(Recipient(school_id=school_id, name="Dari GET"))
        db.session.flush()
        state = in_transaction()
        if request.args.get("commit"):
            db.session.commit()
        return state

    def lock() -> str:
        db.session.scalars(select(Recipient).with_for_update()).all()
        return in_transaction()

    def stream() -> str:
        query = select(Recipient.name).order_by(Recipient.name).execution_options(yield_per=1)
        return ",".join(db.session.scalars(query))

    def write_after_cut() -> str:
        """The server ends the connection between a page view's read and its first write."""
        terminate(db.session.scalar(text("SELECT pg_backend_pid()")))
        db.session.add(Recipient(school_id=int(request.args["school"]), name="Tidak tersimpan"))
        db.session.flush()  # BEGIN fails on the dead connection
        return "saved"

    def backend() -> str:
        return str(db.session.scalar(text("SELECT pg_backend_pid()")))

    def prepared() -> str:
        return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    views = (read, write, lock, stream, write_after_cut, backend, prepared)
    return {f.__name__: f for f in views}


@pytest.fixture
def pg_apps(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """Second apps on the test database (their tables and clean-up come from ``app``), with
    probe routes open to anyone; the pinging of idle connections is off unless asked for."""
    made: list[Flask] = []

    def make(ping_idle_seconds: float = 3600) -> Flask:
        pg = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": URL, "DB_PING_IDLE_SECONDS": ping_idle_seconds}
        )
        for name, view in probes().items():
            pg.add_url_rule(f"/{name}", name, view, methods=["GET", "POST"])
        made.append(pg)
        return pg

    monkeypatch.setattr("sas.authz.PUBLIC_ENDPOINTS", PUBLIC_ENDPOINTS | set(probes()))
    db.session.commit()  # the test's own session holds nothing the probes wait for
    yield make
    for pg in made:
        with pg.app_context():
            db.engine.dispose()


@pytest.fixture
def pg_app(pg_apps: Callable[..., Flask]) -> Flask:
    return pg_apps()


def names() -> list[str]:
    db.session.rollback()  # a fresh snapshot of what the probes committed
    return sorted(db.session.scalars(select(Recipient.name)))


# --- a page view reads without a transaction --------------------------------------------


def test_a_page_view_reads_without_a_transaction_and_a_form_in_one(pg_app):
    client = pg_app.test_client()
    assert client.get("/read").text == "IDLE"
    assert client.post("/read").text == "INTRANS"
    assert client.get("/read").text == "IDLE"  # the pooled connection changed back and forth


def test_a_page_view_that_writes_does_so_in_a_transaction(pg_app, world):
    """Were a GET's statements each committed on their own, the flushed row would stay."""
    client = pg_app.test_client()
    school = world["a"].id
    assert client.get(f"/write?school={school}").text == "INTRANS"
    assert names() == ["Budi Santoso", "Siti Aminah"]  # not committed: rolled back
    assert client.get(f"/write?school={school}&commit=1").text == "INTRANS"
    assert names() == ["Budi Santoso", "Dari GET", "Siti Aminah"]
    assert client.get("/read").text == "IDLE"


def test_a_page_view_that_locks_rows_or_streams_gets_a_transaction(pg_app, world):
    client = pg_app.test_client()
    assert client.get("/lock").text == "INTRANS"
    # a server-side cursor (DECLARE) exists only inside a transaction block
    assert client.get("/stream").text == "Budi Santoso,Siti Aminah"


def test_a_page_view_whose_connection_died_before_its_write_answers_try_again(pg_app, world):
    client = pg_app.test_client()
    response = client.get(f"/write_after_cut?school={world['a'].id}")
    assert response.status_code == 503
    assert "coba lagi" in response.text.lower()
    assert client.get("/read").text == "IDLE"  # the pool connected afresh
    assert names() == ["Budi Santoso", "Siti Aminah"]


def test_page_views_keep_prepared_statements(pg_app):
    client = pg_app.test_client()
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get("/read").text == "IDLE"
    assert int(client.get("/prepared").text) >= 1  # a ROLLBACK would have dropped it


# --- the pool hands out no dead connection ----------------------------------------------


def terminate(pid: str | int) -> None:
    """End that backend and wait (up to 5 s) until it has gone: the signal alone returns at
    once, and the backend's goodbye could still be on its way when the next request checks."""
    with psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", (int(pid),))


def count_pings(pg_app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    with pg_app.app_context():
        dialect = db.engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


def test_a_busy_connection_is_not_pinged_and_an_idle_one_is(pg_apps, monkeypatch):
    busy = pg_apps()
    pings = count_pings(busy, monkeypatch)
    client = busy.test_client()
    for _ in range(4):
        assert client.get("/read").text == "IDLE"
    assert pings == []
    idle = pg_apps(ping_idle_seconds=0)
    pings = count_pings(idle, monkeypatch)
    client = idle.test_client()
    for _ in range(4):
        assert client.get("/read").text == "IDLE"
    assert pings == [1, 1, 1]  # each reuse; the first request connected afresh


def test_a_connection_the_server_ended_between_requests_is_replaced(pg_app, monkeypatch):
    """A restart or a terminated backend: the server's goodbye waits on the socket, so the
    pool pings, the ping fails and the request gets a new connection, not an error."""
    pings = count_pings(pg_app, monkeypatch)
    client = pg_app.test_client()
    first = client.get("/backend").text
    terminate(first)
    response = client.get("/backend")
    assert response.status_code == 200
    assert response.text != first
    assert pings == [1]
