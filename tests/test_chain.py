"""The tamper-evident ledger: each entry is chained to the one before it.

Tampering is done directly in the database (the triggers lifted with ``tampering``), as someone
with the database file would; every test puts the row back, so the after-test ledger check
still holds.
"""

import hashlib
import itertools
import uuid
from datetime import date

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import chain
from sas.models import Entry, Fund, School, Source, User
from sas.months.services import close_month
from tests.database import tampering
from tests.factories import contribute, disburse
from tests.threads import THREADS, run_at_once
from tests.web import login


@pytest.fixture
def book(world):
    """School A with five entries: the world's Rp100.000, three more gifts and a void."""
    a, komite = world["a"], world["komite_a"]
    gifts = [contribute(a, amount, komite, class_label="8B") for amount in (5_000, 7_000, 9_000)]
    entries.void_entry(
        a, gifts[1], reason="Dobel", recorded_by=komite, form_key=uuid.uuid4().hex,
        today=today_wib(),
    )  # fmt: skip
    db.session.commit()
    return world


def entries_of(school: School) -> list[Entry]:
    return list(
        db.session.scalars(select(Entry).where(Entry.school_id == school.id).order_by(Entry.seq))
    )


def test_every_entry_follows_the_one_before(book):
    rows = entries_of(book["a"])
    assert [e.seq for e in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    for e in rows:
        assert e.hash == hashlib.sha256(chain.canonical(e)).hexdigest()
    # the content is JSON with sorted keys: integer Rupiah, ISO date, UTC timestamp
    content = chain.canonical(rows[1]).decode()
    assert '"amount":5000,' in content and f'"occurred_on":"{rows[1].occurred_on}"' in content
    assert content.index('"amount"') < content.index('"kind"') < content.index('"seq"')
    assert rows[1].recorded_at.strftime("%H:%M:%S") in content and 'Z"' in content
    status = chain.verify(book["a"])
    assert status.ok and status.entries == 5 and status.head == rows[-1].hash
    assert db.session.get(Fund, book["a"].id).chain_head == rows[-1].hash
    assert chain.verify(book["b"]).ok  # each school has its own chain


def test_the_database_refuses_update_and_delete(book):
    first = entries_of(book["a"])[0].id
    for statement in (
        update(Entry).where(Entry.id == first).values(amount=1),
        Entry.__table__.delete().where(Entry.id == first),
    ):
        with pytest.raises(DatabaseError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    assert entries_of(book["a"])[0].amount == 100_000


def test_a_changed_entry_is_named(app, book):
    third = entries_of(book["a"])[2]
    with tampering("entries"):
        db.session.execute(update(Entry).where(Entry.id == third.id).values(class_label="9C"))
    db.session.commit()
    try:
        status = chain.verify(book["a"])
        assert (status.ok, status.broken_seq, status.problem) == (False, 3, "changed")
        assert status.entries == 2  # the two before it still verify
        result = app.test_cli_runner().invoke(args=["sas", "verify-ledger"])
        assert result.exit_code == 1
        assert f"{book['a'].npsn}: BROKEN at {third.number} (seq 3)" in result.output
        assert "1 of 2 school ledgers verified" in result.output
        only_b = ["sas", "verify-ledger", "--school", book["b"].npsn]
        assert app.test_cli_runner().invoke(args=only_b).exit_code == 0
        client = app.test_client()
        for who in ("komite_a", "guru_a"):
            login(client, who)
            page = client.get(f"/sekolah/{book['a'].npsn}/beranda").get_data(as_text=True)
            assert "Buku kas rusak" in page and third.number in page
            assert "isinya diubah" in page
            client.post("/keluar")
    finally:
        with tampering("entries"):
            db.session.execute(update(Entry).where(Entry.id == third.id).values(class_label="8B"))
        db.session.commit()
    assert chain.verify(book["a"]).ok


def _row(entry: Entry) -> dict:
    return {c.key: getattr(entry, c.key) for c in Entry.__table__.columns}


@pytest.mark.parametrize(("position", "seq", "problem"), [(1, 2, "missing"), (4, 5, "tail")])
def test_a_deleted_entry_is_named(app, book, position, seq, problem):
    rows = entries_of(book["a"])
    gone = rows[position]  # a gift in the middle, or the void at the end
    kept = _row(gone)
    with tampering("entries"):
        db.session.execute(Entry.__table__.delete().where(Entry.id == gone.id))
    db.session.commit()
    try:
        status = chain.verify(book["a"])
        assert (status.broken_seq, status.problem) == (seq, problem)
        result = app.test_cli_runner().invoke(args=["sas", "verify-ledger"])
        assert result.exit_code == 1 and f"(seq {seq})" in result.output
        client = app.test_client()
        login(client, "guru_a")
        page = client.get(f"/sekolah/{book['a'].npsn}/beranda").get_data(as_text=True)
        assert "Buku kas rusak" in page
        assert f"transaksi nomor {seq} —" in " ".join(page.split())  # the missing one
    finally:
        with tampering("entries"):
            db.session.execute(Entry.__table__.insert().values(**kept))
        db.session.commit()
    assert chain.verify(book["a"]).ok


def test_reordered_entries_are_named(app, book):
    rows = entries_of(book["a"])
    second, third = rows[1], rows[2]

    def set_seq(entry_id: int, seq: int) -> None:
        db.session.execute(update(Entry).where(Entry.id == entry_id).values(seq=seq))

    with tampering("entries"):  # swap 2 and 3 (through 99: seq is unique per school)
        set_seq(second.id, 99)
        set_seq(third.id, 2)
        set_seq(second.id, 3)
    db.session.commit()
    try:
        status = chain.verify(book["a"])
        assert not status.ok and status.broken_seq == 2
        client = app.test_client()
        login(client, "komite_a")
        page = client.get(f"/sekolah/{book['a'].npsn}/beranda").get_data(as_text=True)
        assert "Buku kas rusak" in page and third.number in page  # now at seq 2
    finally:
        with tampering("entries"):
            set_seq(third.id, 99)
            set_seq(second.id, 2)
            set_seq(third.id, 3)
        db.session.commit()
    assert chain.verify(book["a"]).ok


def test_concurrent_appends_keep_one_chain_and_gapless_receipts(app, world):
    school_id, user_id = world["a"].id, world["komite_a"].id

    def give(i: int) -> str:
        entries.record_contribution(
            db.session.get(School, school_id),
            amount=1_000 + i,
            occurred_on=today_wib(),
            source=Source.CLASS,
            class_label="7A",
            donor_name=None,
            note=None,
            recorded_by=db.session.get(User, user_id),
            form_key=uuid.uuid4().hex,
            today=today_wib(),
        )
        db.session.commit()
        return "ok"

    assert run_at_once(app, give) == ["ok"] * THREADS
    db.session.expire_all()
    status = chain.verify(world["a"])
    assert status.ok and status.entries == THREADS + 1
    year = today_wib().year - (today_wib().month < 7)
    numbers = db.session.scalars(
        select(Entry.receipt_no).where(Entry.school_id == school_id, Entry.receipt_year == year)
    ).all()
    assert sorted(numbers) == list(range(1, THREADS + 2))


def test_kuitansi_numbers_restart_each_school_year(world):
    a, komite = world["a"], world["komite_a"]
    june = contribute(a, 1_000, komite, on=date(2025, 6, 30))
    july = contribute(a, 1_000, komite, on=date(2025, 7, 1))
    again = contribute(a, 1_000, komite, on=date(2025, 7, 2))
    assert june.receipt_number == f"SAS/{a.npsn}/2024-2025/0001"
    assert july.receipt_number == f"SAS/{a.npsn}/2025-2026/0001"
    assert again.receipt_number == f"SAS/{a.npsn}/2025-2026/0002"
    assert world["entry_a"].receipt_number.endswith("/0001")


def test_a_closed_month_keeps_its_chain_head_for_the_paper_copy(client, world):
    a, komite = world["a"], world["komite_a"]
    contribute(a, 20_000, komite, on=date(2026, 10, 5))
    given = disburse(a, 10_000, komite, world["recipient_a"], on=date(2026, 10, 6))
    closing = close_month(a, date(2026, 10, 1), closed_by=komite, today=date(2026, 11, 3))
    db.session.commit()
    assert (closing.chain_head, closing.chain_seq) == (given.hash, given.seq)
    contribute(a, 5_000, komite)  # later entries do not move the closed month's head
    login(client, "guru_a")
    page = client.get(f"/sekolah/{a.npsn}/bulan/2026-10").get_data(as_text=True)
    assert chain.fingerprint(given.hash) in page
    assert chain.fingerprint(given.hash) == " ".join(
        (given.hash[:4], given.hash[4:8], given.hash[8:12])
    )


def test_the_dashboard_says_verified_with_the_head(client, book):
    login(client, "guru_a")
    page = client.get(f"/sekolah/{book['a'].npsn}/beranda").get_data(as_text=True)
    head = entries_of(book["a"])[-1].hash
    assert "Buku kas aman: tidak ada catatan yang diubah." in page
    assert "5 catatan diperiksa" in page
    assert chain.fingerprint(head) in page


def test_sqlite_triggers_cover_raw_sql_too(book):
    """Not only the ORM: a plain SQL statement is refused as well."""
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE entries SET note = 'x'"))
    db.session.rollback()


@pytest.fixture
def walks(app, monkeypatch):
    """verify_recent with a fake clock: returns a function that moves it on."""
    clock = [1000.0]
    monkeypatch.setattr(chain.time, "monotonic", lambda: clock[0])
    app.config["CHAIN_FULL_WALK_SECONDS"] = 60
    app.extensions.pop("sas_chain_verified", None)

    def later(seconds: float) -> None:
        clock[0] += seconds

    return later


def test_recent_verification_checks_only_what_was_added(book, walks, monkeypatch):
    a = book["a"]
    assert chain.verify_recent(a).entries == 5  # a whole walk
    read: list[int] = []
    canonical = chain._canonical
    monkeypatch.setattr(chain, "_canonical", lambda values: read.append(1) or canonical(values))
    contribute(a, 2_000, book["komite_a"])
    db.session.commit()
    read.clear()  # recording hashed it once
    status = chain.verify_recent(a)
    assert (status.ok, status.entries, status.head) == (True, 6, entries_of(a)[-1].hash)
    assert len(read) == 2  # only the new entry and the one it follows were hashed again
    assert chain.verify_recent(a).entries == 6 and len(read) == 2  # nothing new: nothing read
    walks(61)
    assert chain.verify_recent(a).entries == 6 and len(read) == 8  # time for a whole walk


def test_recent_verification_sees_a_changed_anchor_when_it_checks_what_was_added(book, walks):
    """The last verified entry changed behind the app, then the app appends after it: the
    check of the new entry finds its anchor changed and walks the whole chain to name it."""
    a = book["a"]
    assert chain.verify_recent(a).ok
    last = entries_of(a)[-1]
    reason = last.reason
    with tampering("entries"):
        db.session.execute(update(Entry).where(Entry.id == last.id).values(reason="Lain"))
    db.session.commit()
    try:
        assert chain.verify_recent(a).ok  # nothing appended since the walk: nothing read
        contribute(a, 2_000, book["komite_a"])
        db.session.commit()
        status = chain.verify_recent(a)
        assert (status.ok, status.broken_seq, status.problem) == (False, 5, "changed")
    finally:
        with tampering("entries"):
            db.session.execute(update(Entry).where(Entry.id == last.id).values(reason=reason))
        db.session.commit()
    assert chain.verify_recent(a).ok


def test_recent_verification_sees_a_deleted_last_entry_at_the_next_whole_walk(book, walks):
    a = book["a"]
    assert chain.verify_recent(a).ok
    last = entries_of(a)[-1]
    kept = _row(last)
    with tampering("entries"):
        db.session.execute(Entry.__table__.delete().where(Entry.id == last.id))
    db.session.commit()
    try:
        walks(61)
        status = chain.verify_recent(a)
        assert (status.ok, status.broken_seq, status.problem) == (False, 5, "tail")
    finally:
        with tampering("entries"):
            db.session.execute(Entry.__table__.insert().values(**kept))
        db.session.commit()


def test_recent_verification_sees_an_older_change_at_the_next_whole_walk(book, walks):
    a = book["a"]
    assert chain.verify_recent(a).ok
    second = entries_of(a)[1]
    with tampering("entries"):
        db.session.execute(update(Entry).where(Entry.id == second.id).values(class_label="9C"))
    db.session.commit()
    try:
        assert not chain.verify(a).ok  # verify-ledger always walks it all
        assert chain.verify_recent(a).ok  # the dashboard, within the minute: not yet
        walks(61)
        status = chain.verify_recent(a)
        assert (status.ok, status.broken_seq) == (False, 2)
        assert not chain.verify_recent(a).ok  # a break is never remembered as verified
    finally:
        with tampering("entries"):
            db.session.execute(update(Entry).where(Entry.id == second.id).values(class_label="8B"))
        db.session.commit()
