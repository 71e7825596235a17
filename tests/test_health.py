"""``/healthz`` for load balancers, and "try again" (503) rather than 500 when the database
cannot be reached at all."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text

from sas import create_app
from sas.authz import PUBLIC_ENDPOINTS
from sas.extensions import db

UNREACHABLE = {
    # a folder that does not exist: SQLite cannot open the file
    "sqlite": "sqlite:////nonexistent-sas-folder/sas.sqlite3",
    # nothing listens on port 1: the connection is refused at once
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/sas_nowhere?connect_timeout=2",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def broken_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": UNREACHABLE[request.param]})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_ok_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers  # a probe every few seconds makes no sessions


def test_healthz_answers_503_when_the_database_is_unreachable(broken_app):
    response = broken_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_a_page_answers_try_again_when_the_database_is_unreachable(broken_app):
    """The public page and the login of a signed-in user both need the database."""
    client = broken_app.test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert "coba lagi" in response.text.lower()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # a signed-in browser: its user is loaded first
    response = client.get("/sekolah/20525555/beranda")
    assert response.status_code == 503
    assert "coba lagi" in response.text.lower()


def test_a_connection_lost_after_the_answer_keeps_the_answer(monkeypatch):
    """PostgreSQL restarted while a form was being handled: the session's closing ROLLBACK
    fails on the dead connection. The request keeps its answer (not a 500) and the next one
    works. (A page view reads without a transaction, so it has no ROLLBACK to fail.)"""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL), where a server can end a connection")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    monkeypatch.setattr("sas.authz.PUBLIC_ENDPOINTS", PUBLIC_ENDPOINTS | {"cut"})

    def cut() -> str:
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))  # a transaction is open
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return "answered"

    app.add_url_rule("/cut", "cut", cut, methods=["POST"])
    client = app.test_client()
    try:
        response = client.post("/cut")
        assert (response.status_code, response.text) == (200, "answered")
        assert client.get("/healthz").status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()
