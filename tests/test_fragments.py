"""The dashboard's body kept rendered (``sas.fragments``): drawn again as soon as what it shows
changes, never shared between viewers with different rights or languages, and never kept when
it carries a viewer's own forms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.fragments import Fragments
from sas.models import Recipient
from tests.factories import contribute, disburse
from tests.web import login

A = "/sekolah/20525555"


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
    client.get(f"{A}/beranda")  # the chain check's first walk
    first_reads, first = statements(client, f"{A}/beranda")
    again_reads, again = statements(client, f"{A}/beranda")
    assert first_reads == 0  # kept from the view before
    assert again_reads == 0 and main_part(again) == main_part(first)
    assert 'id="balance">Rp100.000' in again


def test_a_new_entry_shows_at_once(client, world):
    login(client, "komite_a")
    assert 'id="balance">Rp100.000' in client.get(f"{A}/beranda").text
    contribute(world["a"], 7_000, world["komite_a"])  # as another worker would: no hook here
    page = client.get(f"{A}/beranda").text
    assert 'id="balance">Rp107.000' in page and "BKM-0002" in page


def test_a_void_shows_at_once(client, world):
    login(client, "komite_a")
    client.get(f"{A}/beranda")
    entries.void_entry(
        world["a"],
        world["entry_a"],
        reason="Salah hitung",
        form_key="v-fragments",
        recorded_by=world["komite_a"],
        today=today_wib(),
    )
    db.session.commit()
    page = client.get(f"{A}/beranda").text
    assert 'id="balance">Rp0' in page and "Koreksi atas BKM-0001: Salah hitung" in page


def test_a_teacher_never_gets_the_committee_body_nor_the_reverse(client, world):
    login(client, "komite_a")
    assert "Catat uang masuk" in client.get(f"{A}/beranda").text
    client.post("/keluar")
    login(client, "guru_a")
    page = client.get(f"{A}/beranda").text
    assert "Catat uang masuk" not in page and "/sumbangan/" not in page
    client.post("/keluar")
    login(client, "komite_a")
    assert "Catat uang masuk" in client.get(f"{A}/beranda").text


def test_each_language_has_its_own_body(client, world):
    login(client, "komite_a")
    assert "Saldo sekarang" in client.get(f"{A}/beranda").text
    client.post("/bahasa", data={"lang": "en", "next": A})
    page = client.get(f"{A}/beranda").text
    assert "Saldo sekarang" not in page and "Current balance" in page
    client.post("/bahasa", data={"lang": "id", "next": A})
    assert "Saldo sekarang" in client.get(f"{A}/beranda").text


def test_a_corrected_name_shows_when_the_kept_body_expires(client, world, clock):
    disburse(world["a"], 10_000, world["komite_a"], world["recipient_a"])
    login(client, "komite_a")
    assert "Siti Aminah" in client.get(f"{A}/beranda").text
    recipient = db.session.get(Recipient, world["recipient_a"].id)
    recipient.name = "Siti Aminah Putri"
    db.session.commit()
    assert "Siti Aminah Putri" not in client.get(f"{A}/beranda").text  # no new entry: the kept body
    clock.now += 61
    assert "Siti Aminah Putri" in client.get(f"{A}/beranda").text


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
