"""The dashboard's body kept rendered (``sas.fragments``): drawn again as soon as what it shows
changes, never shared between viewers with different rights or languages, and never kept when
it carries a viewer's own forms. And, on PostgreSQL, read-only requests that keep psycopg's
prepared statements (``sas.extensions.end_session``)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sas import create_app
from sas.dates import today_wib
from sas.extensions import db, end_session
from sas.fragments import Fragments
from sas.ledger import services as ledger
from sas.models import Recipient
from tests.conftest import contribute, disburse, login

A = "/schools/20525555"


def main_part(page: str) -> str:
    """The page between <main> and </main>: the layout around it holds per-request tokens."""
    return page.split("<main>", 1)[1].split("</main>", 1)[0]


def statements(client, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return sum("FROM entries" in s for s in seen), response.text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Iterator[Clock]:
    saved, fake = app.extensions["sas_fragments"], Clock()
    app.extensions["sas_fragments"] = Fragments(60, timer=fake)
    yield fake
    app.extensions["sas_fragments"] = saved


def test_an_unchanged_dashboard_is_not_drawn_again(client, world):
    login(client, "komite_a")
    client.get(A)  # the chain check's first walk
    first_reads, first = statements(client, A)
    again_reads, again = statements(client, A)
    assert first_reads == 0  # kept from the view before
    assert again_reads == 0 and main_part(again) == main_part(first)
    assert 'id="balance">Rp100.000' in again


def test_a_new_entry_shows_at_once(client, world):
    login(client, "komite_a")
    assert 'id="balance">Rp100.000' in client.get(A).text
    contribute(world["a"], 7_000, world["komite_a"])  # as another worker would: no hook here
    page = client.get(A).text
    assert 'id="balance">Rp107.000' in page and "BKM-0002" in page


def test_a_void_shows_at_once(client, world):
    login(client, "komite_a")
    client.get(A)
    ledger.void_entry(
        world["a"],
        world["entry_a"],
        reason="Salah hitung",
        form_key="v-fragments",
        recorded_by=world["komite_a"],
        today=today_wib(),
    )
    db.session.commit()
    page = client.get(A).text
    assert 'id="balance">Rp0' in page and "Koreksi atas BKM-0001: Salah hitung" in page


def test_a_teacher_never_gets_the_committee_body_nor_the_reverse(client, world):
    login(client, "komite_a")
    assert "Catat pemasukan" in client.get(A).text
    client.post("/logout")
    login(client, "guru_a")
    page = client.get(A).text
    assert "Catat pemasukan" not in page and "/contributions/new" not in page
    client.post("/logout")
    login(client, "komite_a")
    assert "Catat pemasukan" in client.get(A).text


def test_each_language_has_its_own_body(client, world):
    login(client, "komite_a")
    assert "Saldo sekarang" in client.get(A).text
    client.post("/lang", data={"lang": "en", "next": A})
    page = client.get(A).text
    assert "Saldo sekarang" not in page and "Current balance" in page
    client.post("/lang", data={"lang": "id", "next": A})
    assert "Saldo sekarang" in client.get(A).text


def test_a_corrected_name_shows_when_the_kept_body_expires(client, world, clock):
    disburse(world["a"], 10_000, world["komite_a"], world["recipient_a"])
    login(client, "komite_a")
    assert "Siti Aminah" in client.get(A).text
    recipient = db.session.get(Recipient, world["recipient_a"].id)
    recipient.name = "Siti Aminah Putri"
    db.session.commit()
    assert "Siti Aminah Putri" not in client.get(A).text  # no new entry: the kept body
    clock.now += 61
    assert "Siti Aminah Putri" in client.get(A).text


def test_the_kept_bodies_are_bounded_and_a_key_of_none_is_never_kept():
    fragments = Fragments(60, size=2)
    drawn: list[str] = []

    def draw(name: str):  # type: ignore[no-untyped-def]
        return lambda: drawn.append(name) or f"<p>{name}</p>"

    for name in ("a", "b", "c", "a"):
        fragments.get(name, draw(name))
    assert drawn == ["a", "b", "c", "a"]  # "a" was pushed out by "c"
    fragments.get(None, draw("x"))
    fragments.get(None, draw("x"))
    assert drawn[-2:] == ["x", "x"]
    off = Fragments(0)
    off.get("k", draw("k"))
    off.get("k", draw("k"))
    assert drawn[-2:] == ["k", "k"]
    assert str(fragments.get("c", draw("never"))) == "<p>c</p>"


# --- PostgreSQL: a read-only request keeps the connection's prepared statements -----------


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): psycopg's prepared statements")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.add_url_rule("/probe", "probe", lambda: str(db.session.scalar(text("SELECT 1"))))
    app.add_url_rule("/prepared", "prepared", prepared_statements)
    yield app
    with app.app_context():
        db.engine.dispose()


def prepared_statements() -> str:
    return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))


def test_read_only_requests_end_with_commit_and_keep_prepared_statements(pg_app, monkeypatch):
    from sas.authz import PUBLIC_ENDPOINTS

    monkeypatch.setattr("sas.authz.PUBLIC_ENDPOINTS", PUBLIC_ENDPOINTS | {"probe", "prepared"})
    client = pg_app.test_client()
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get("/probe").text == "1"
    assert int(client.get("/prepared").text) >= 1  # a ROLLBACK would have dropped it


def test_a_session_that_wrote_or_failed_is_rolled_back_not_committed(app, world):
    """What a request did not commit is undone when its session ends, also when it was
    flushed already (the session then holds no change of its own) or the flush failed; only
    a read-only transaction ends with COMMIT, and only on PostgreSQL."""
    school_id = world["a"].id
    db.session.commit()  # the test's own session holds no lock (SQLite: one writer)
    commits: list[int] = []

    def count(_conn) -> None:  # type: ignore[no-untyped-def]
        commits.append(1)

    event.listen(db.engine, "commit", count)
    try:
        with Session(db.engine) as wrote:
            wrote.add(Recipient(school_id=school_id, name="Tidak tersimpan"))
            wrote.flush()
            end_session(wrote)
        with Session(db.engine) as failed:
            failed.add(Recipient(school_id=school_id, name=None))  # NOT NULL
            with pytest.raises(IntegrityError):
                failed.flush()
            end_session(failed)  # no error of its own
        assert commits == []
        with Session(db.engine) as read:
            assert read.scalar(text("SELECT count(*) FROM recipients")) == 2
            end_session(read)
        assert commits == ([1] if db.engine.dialect.name == "postgresql" else [])
    finally:
        event.remove(db.engine, "commit", count)
    names = db.session.scalars(text("SELECT name FROM recipients")).all()
    assert sorted(names) == ["Budi Santoso", "Siti Aminah"]
