"""Ledger rules, tested on the services (routes are tested in test_ledger_routes.py)."""

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from sas import integrity, ledger
from sas.cashbook import services as cashbook
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import Category, Entry, EntryKind, Fund, Source
from sas.reports.exports import safe_cell
from tests.database import tampering
from tests.factories import contribute, disburse, make_recipient, make_school

TODAY = today_wib()


def void(world, entry, reason="Salah ketik jumlah"):
    result = entries.void_entry(
        world["a"],
        entry,
        reason=reason,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return result


def test_contribution_raises_the_balance(world):
    contribute(world["a"], 25_000, world["komite_a"])
    assert ledger.balance(world["a"]) == 125_000


def test_overdraft_is_refused_with_the_balance_in_the_message(world):
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp100\.000") as refused:
        disburse(world["a"], 100_001, world["komite_a"], world["recipient_a"])
    db.session.rollback()
    assert refused.value.available == 100_000
    assert ledger.balance(world["a"]) == 100_000
    assert (
        db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == world["a"].id)) == 1
    )


def test_the_whole_balance_can_be_given(world):
    disburse(world["a"], 100_000, world["komite_a"], world["recipient_a"])
    assert ledger.balance(world["a"]) == 0


def test_a_back_dated_disbursement_cannot_overdraw_the_past(world):
    """Rp100.000 came in today; nothing was there last week to give."""
    with pytest.raises(ledger.InsufficientBalance) as refused:
        disburse(
            world["a"],
            50_000,
            world["komite_a"],
            world["recipient_a"],
            on=TODAY - timedelta(days=7),
        )
    db.session.rollback()
    assert refused.value.available == 0


def test_a_back_dated_disbursement_is_limited_by_later_balances(world):
    a, komite = world["a"], world["komite_a"]
    contribute(a, 80_000, komite, on=TODAY - timedelta(days=10))  # saldo then 80.000
    disburse(a, 150_000, komite, world["recipient_a"])  # today: 180.000 -> 30.000
    # Five days ago there were 80.000, but giving 50.000 then would leave today at -20.000.
    with pytest.raises(ledger.InsufficientBalance) as refused:
        disburse(a, 50_000, komite, world["recipient_a"], on=TODAY - timedelta(days=5))
    db.session.rollback()
    assert refused.value.available == 30_000
    disburse(a, 30_000, komite, world["recipient_a"], on=TODAY - timedelta(days=5))
    assert ledger.balance(a) == 0


def test_voiding_a_contribution_reverses_it_with_a_new_entry(world):
    original = world["entry_a"]
    reversal = void(world, original)
    assert reversal.kind == EntryKind.VOID
    assert reversal.voids_entry_id == original.id
    assert reversal.amount == original.amount
    assert reversal.occurred_on == TODAY
    assert reversal.reason == "Salah ketik jumlah"
    assert ledger.balance(world["a"]) == 0
    db.session.refresh(original)
    assert original.amount == 100_000 and original.kind == EntryKind.CONTRIBUTION
    assert original.voided_by.id == reversal.id


def test_voiding_a_disbursement_gives_the_money_back(world):
    out = disburse(world["a"], 60_000, world["komite_a"], world["recipient_a"])
    reversal = void(world, out)
    assert reversal.category == Category.SERAGAM
    assert ledger.balance(world["a"]) == 100_000


def test_a_void_cannot_be_voided(world):
    reversal = void(world, world["entry_a"])
    with pytest.raises(ledger.LedgerError, match="Koreksi tidak dapat dibatalkan"):
        void(world, reversal)
    db.session.rollback()


def test_an_entry_cannot_be_voided_twice(world):
    contribute(world["a"], 500_000, world["komite_a"])
    void(world, world["entry_a"])
    with pytest.raises(ledger.LedgerError, match="sudah dibatalkan"):
        void(world, world["entry_a"])
    db.session.rollback()
    assert ledger.balance(world["a"]) == 500_000


def test_the_database_also_refuses_a_second_void(world):
    void(world, world["entry_a"])
    db.session.add(
        Entry(
            school_id=world["a"].id,
            seq=99,
            kind=EntryKind.VOID,
            direction="out",
            amount=100_000,
            occurred_on=TODAY,
            voids_entry_id=world["entry_a"].id,
            reason="x",
            form_key="dup-void",
            receipt_year=2026,
            receipt_no=99,
            prev_hash="0" * 64,
            hash="f" * 64,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_voiding_a_contribution_that_was_already_spent_is_refused(world):
    disburse(world["a"], 70_000, world["komite_a"], world["recipient_a"])
    with pytest.raises(ledger.LedgerError, match=r"negatif.*Rp30\.000"):
        void(world, world["entry_a"])
    db.session.rollback()
    assert ledger.balance(world["a"]) == 30_000


def test_a_void_needs_a_reason(world):
    with pytest.raises(ledger.LedgerError, match="Alasan"):
        void(world, world["entry_a"], reason="   ")
    db.session.rollback()


def test_another_schools_entry_cannot_be_voided(world):
    with pytest.raises(ledger.LedgerError):
        void(world, world["entry_b"])
    db.session.rollback()
    assert ledger.balance(world["b"]) == 50_000


def test_a_recipient_of_another_school_is_refused(world):
    with pytest.raises(ledger.LedgerError, match="Penerima"):
        disburse(world["a"], 10_000, world["komite_a"], world["recipient_b"])
    db.session.rollback()


def test_an_inactive_recipient_is_refused(world):
    gone = make_recipient(world["a"], name="Lulus", active=False)
    with pytest.raises(ledger.LedgerError, match="tidak aktif"):
        disburse(world["a"], 10_000, world["komite_a"], gone)
    db.session.rollback()


def test_the_same_form_key_records_once(world):
    def record():
        return entries.record_contribution(
            world["a"],
            amount=10_000,
            occurred_on=TODAY,
            source=Source.CLASS,
            class_label="7A",
            donor_name=None,
            note=None,
            recorded_by=world["komite_a"],
            form_key="same-key",
            today=TODAY,
        )

    first = record()
    db.session.commit()
    with pytest.raises(ledger.DuplicateSubmission) as dup:
        record()
    db.session.rollback()
    assert dup.value.entry.id == first.id
    assert ledger.balance(world["a"]) == 110_000


@pytest.mark.parametrize(
    ("amount", "on", "message"),
    [
        (0, TODAY, "lebih dari Rp0"),
        (-1, TODAY, "lebih dari Rp0"),
        (100_000_001, TODAY, "melebihi batas"),
        (1000, TODAY + timedelta(days=1), "masa depan"),
        (1000, date(2010, 12, 31), "2011"),
    ],
)
def test_amount_and_date_rules_hold_in_the_service_too(world, amount, on, message):
    with pytest.raises(ledger.LedgerError, match=message):
        contribute(world["a"], amount, world["komite_a"], on=on)
    db.session.rollback()


def test_anonymous_gifts_keep_no_name(world):
    """A name typed with "Tanpa nama" is refused, not silently dropped: one way to be anonymous."""
    with pytest.raises(ledger.LedgerError, match="tidak menyimpan nama") as refused:
        contribute(
            world["a"], 5_000, world["komite_a"], source=Source.ANONYMOUS, donor_name="Pak Budi"
        )
    assert refused.value.field == "donor_name"
    db.session.rollback()
    entry = contribute(world["a"], 5_000, world["komite_a"], source=Source.ANONYMOUS)
    assert entry.donor_name is None
    assert cashbook.describe(entry) == "Sumbangan tanpa nama"


@pytest.mark.parametrize(
    ("source", "class_label", "donor_name", "field"),
    [
        (Source.CLASS, None, None, "class_label"),
        (Source.CLASS, "  ", None, "class_label"),
        (Source.CLASS, "8A", "Pak Budi", "donor_name"),
        (Source.INDIVIDUAL, None, None, "donor_name"),
        (Source.INDIVIDUAL, None, "   ", "donor_name"),
    ],
)
def test_each_source_names_what_it_must(world, source, class_label, donor_name, field):
    with pytest.raises(ledger.LedgerError) as refused:
        contribute(
            world["a"],
            5_000,
            world["komite_a"],
            source=source,
            class_label=class_label,
            donor_name=donor_name,
        )
    assert refused.value.field == field
    db.session.rollback()
    assert ledger.balance(world["a"]) == 100_000


def test_sequence_numbers_are_per_school(world):
    second = contribute(world["a"], 5_000, world["komite_a"])
    assert (world["entry_a"].seq, second.seq, world["entry_b"].seq) == (1, 2, 1)
    assert second.number == "BKM-0002"
    assert db.session.get(Fund, world["a"].id).last_seq == 2


def test_dashboard_figures(world):
    a, komite = world["a"], world["komite_a"]
    other = make_recipient(a, name="Rina")
    last_year = TODAY - timedelta(days=400)
    contribute(a, 40_000, komite, on=last_year)  # previous school year: not in "this year"
    out1 = disburse(a, 30_000, komite, world["recipient_a"])
    disburse(a, 20_000, komite, world["recipient_a"])  # same child again
    out3 = disburse(a, 10_000, komite, other)
    void(world, out3)  # voided: Rina not counted as helped, money back
    board = cashbook.dashboard(a, TODAY)
    assert board.balance == 140_000 - 50_000
    assert board.month.collected == 100_000
    assert board.month.disbursed == 50_000
    assert board.year.collected == 100_000
    assert board.helped_this_year == 1
    assert [e.id for e in board.recent][:2] == [out3.voided_by.id, out3.id]
    assert out1 in board.recent


def test_cash_book_running_balance_and_filters(world):
    a, komite = world["a"], world["komite_a"]
    early = contribute(a, 20_000, komite, on=TODAY - timedelta(days=3))
    out = disburse(a, 50_000, komite, world["recipient_a"])
    page = cashbook.cash_book_page(a, cashbook.CashBookFilter(), 1, 50)
    assert [(line.entry.id, line.saldo) for line in page.lines] == [
        (early.id, 20_000),
        (world["entry_a"].id, 120_000),
        (out.id, 70_000),
    ]
    assert (page.total_in, page.total_out) == (120_000, 50_000)
    only_out = cashbook.cash_book_page(
        a, cashbook.CashBookFilter(kind=EntryKind.DISBURSEMENT), 1, 50
    )
    assert [(line.no, line.entry.id, line.saldo) for line in only_out.lines] == [
        (1, out.id, 70_000)
    ]
    dated = cashbook.cash_book_page(
        a, cashbook.CashBookFilter(end=TODAY - timedelta(days=1)), 1, 50
    )
    assert [line.entry.id for line in dated.lines] == [early.id]
    wrong_category = cashbook.CashBookFilter(category=Category.SEPEDA)
    assert cashbook.cash_book_page(a, wrong_category, 1, 50).total == 0


def test_cash_book_pages(world):
    for _ in range(7):
        contribute(world["a"], 1_000, world["komite_a"])
    page2 = cashbook.cash_book_page(world["a"], cashbook.CashBookFilter(), 2, 3)
    assert (page2.page, page2.pages, page2.total) == (2, 3, 8)
    assert [line.no for line in page2.lines] == [4, 5, 6]
    assert page2.lines[-1].saldo == 100_000 + 5_000


def test_no_csv_cell_ever_starts_like_a_formula(world):
    """Typed text never opens a cell (an Uraian starts with fixed words); _safe_cell guards
    the rest (tested below)."""
    contribute(
        world["a"],
        1_000,
        world["komite_a"],
        source=Source.INDIVIDUAL,
        donor_name='=HYPERLINK("http://x")',
    )
    disburse(world["a"], 1_000, world["komite_a"], make_recipient(world["a"], name="@SUM(A1)"))
    contribute(world["a"], 1_000, world["komite_a"], source=Source.OTHER, note="-2+3")
    text = "".join(
        cashbook.cash_book_csv(cashbook.cash_book_lines(world["a"], cashbook.CashBookFilter()))
    )
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 5
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+62") == "'+62"
    assert safe_cell("-5") == "'-5"
    assert safe_cell("@A1") == "'@A1"
    assert safe_cell("Iuran") == "Iuran"
    assert safe_cell(5000) == 5000


def test_check_totals_finds_a_tampered_fund(world):
    assert integrity.check_totals() == []
    fund = db.session.get(Fund, world["a"].id)
    fund.balance = 999
    db.session.flush()
    assert integrity.check_totals() == [f"{world['a'].npsn}: fund 999 != entries 100000"]
    db.session.rollback()


def test_a_new_school_starts_at_zero(app):
    school = make_school()
    assert ledger.balance(school) == 0
    assert cashbook.dashboard(school, TODAY).recent == []


def test_check_totals_finds_a_negative_day_and_the_command_fails(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sas", "check-totals"]).exit_code == 0
    # Written around the services: a disbursement dated before any money came in.
    db.session.add(
        Entry(
            school_id=world["a"].id,
            seq=2,
            kind=EntryKind.DISBURSEMENT,
            direction="out",
            amount=100_000,
            occurred_on=TODAY - timedelta(days=30),
            recipient_id=world["recipient_a"].id,
            category=Category.SERAGAM,
            in_kind=True,
            form_key="raw",
            receipt_year=2026,
            receipt_no=99,
            prev_hash="0" * 64,
            hash="f" * 64,
        )
    )
    db.session.get(Fund, world["a"].id).balance = 0
    db.session.commit()
    try:
        problems = integrity.check_totals()
        assert f"{world['a'].npsn}: balance below zero (-100000)" in problems
        result = runner.invoke(args=["sas", "check-totals"])
        assert result.exit_code == 1
        assert "below zero" in result.output
    finally:  # put it right for the after-test invariant check (this test wrote around the rules)
        db.session.rollback()
        with tampering("entries"):
            db.session.execute(Entry.__table__.delete().where(Entry.form_key == "raw"))
        db.session.get(Fund, world["a"].id).balance = 100_000
    db.session.commit()


def test_every_page_shows_the_balance_of_the_whole_book(world):
    """A page works out its lines' Saldo on its own (``_balances_after``): on every page, in
    either order, filtered or not, it is the running balance of the whole book, as the export
    (one window over the book) gives it."""
    a, komite = world["a"], world["komite_a"]
    for days in (9, 7, 7, 3, 1):  # two on the same day: seq orders them
        contribute(a, 10_000 + days, komite, on=TODAY - timedelta(days=days))
    disburse(a, 5_000, komite, world["recipient_a"])
    void(world, disburse(a, 7_000, komite, world["recipient_a"]))
    whole = {
        line.entry.id: line.saldo for line in cashbook.cash_book_lines(a, cashbook.CashBookFilter())
    }
    for flt in (
        cashbook.CashBookFilter(),
        cashbook.CashBookFilter(kind=EntryKind.DISBURSEMENT),
        cashbook.CashBookFilter(kind=EntryKind.CONTRIBUTION, start=TODAY - timedelta(days=7)),
    ):
        for newest_first in (False, True):
            pages = cashbook.cash_book_page(a, flt, 1, 2, newest_first=newest_first).pages
            shown = [
                (line.entry.id, line.saldo)
                for number in range(1, pages + 1)
                for line in cashbook.cash_book_page(
                    a, flt, number, 2, newest_first=newest_first
                ).lines
            ]
            assert len(shown) == cashbook.cash_book_page(a, flt, 1, 2).total > 1
            assert shown == [(entry_id, whole[entry_id]) for entry_id, _saldo in shown]
