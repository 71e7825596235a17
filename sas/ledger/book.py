"""The book: each school's fund row and its entries, and the only code that appends to them.

Writes follow one pattern: lock the school's fund row (``lock_fund``: PostgreSQL ``SELECT ...
FOR UPDATE``; on SQLite the transaction already began with ``BEGIN IMMEDIATE``), refuse a form
key that was already used (``refuse_reused_key``; or, where the caller looked for the key
before, the INSERT's unique constraint: ``sas.entries.services``), check the rules
(``sas.ledger.rules``), ``append`` the entry (its number, kuitansi number, link in the hash
chain, the balance and the running totals), then ``flush``. The caller commits once. Nothing
here edits or deletes an entry: a correction is ``append_reversal``. The readers below give
balances and totals, and the balance recomputed from the entries that ``sas.integrity``
compares with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, func, insert, select

from sas.dates import school_year_start
from sas.extensions import db
from sas.ledger import chain, totals
from sas.ledger.rules import (
    InsufficientBalance,
    LedgerError,
    check_amount,
    check_entry_date,
    refuse_closed_month,
)
from sas.models import (
    Direction,
    Entry,
    EntryKind,
    Fund,
    MonthTotal,
    PendingDisbursement,
    PendingStatus,
    PendingTransfer,
    School,
    User,
    YearTotal,
)

SIGNED_AMOUNT = case((Entry.direction == Direction.IN, Entry.amount), else_=-Entry.amount)


# --- writing -----------------------------------------------------------------------------------


def ensure_fund(school: School) -> Fund:
    """Create the fund row of a new school (balance 0)."""
    fund = db.session.get(Fund, school.id)
    if fund is None:
        fund = Fund(school_id=school.id, balance=0, last_seq=0)
        db.session.add(fund)
        db.session.flush()
    return fund


def lock_fund(school: School) -> Fund:
    """The school's fund row, locked for this transaction: every write to a school's book
    takes it first, so writers of one school go one at a time."""
    fund = db.session.scalar(
        select(Fund)
        .where(Fund.school_id == school.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    fund = fund if fund is not None else ensure_fund(school)
    # Held for the rest of the session (whose identity map keeps only weak references), so
    # that the answer page's balance (``balance``) is read from it rather than queried again.
    db.session.info.setdefault("sas_locked_funds", {})[school.id] = fund
    return fund


def available_on(school: School, day: date) -> int:
    """The most that can leave the fund on ``day`` without any running balance going below 0.

    An entry dated ``day`` sits after every entry up to that day, so it lowers the balance at
    the end of that day and every running balance after it (entries may be back-dated).
    """
    running = (
        select(
            Entry.occurred_on,
            Entry.seq,
            func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)).label("saldo"),
        )
        .where(Entry.school_id == school.id)
        .subquery()
    )
    at_day_query = (
        select(running.c.saldo)
        .where(running.c.occurred_on <= day)
        .order_by(running.c.occurred_on.desc(), running.c.seq.desc())
        .limit(1)
    )
    later_query = select(func.min(running.c.saldo)).where(running.c.occurred_on > day)
    at_day, later = db.session.execute(  # both in one statement
        select(at_day_query.scalar_subquery(), later_query.scalar_subquery())
    ).one()
    candidates = [at_day or 0] + ([later] if later is not None else [])
    return max(0, min(candidates))


def _next_receipt_no(school: School, year: int) -> int:
    """The next kuitansi number of the school year (under the fund lock: no gaps, no twins)."""
    last = db.session.scalar(
        select(func.max(Entry.receipt_no)).where(
            Entry.school_id == school.id, Entry.receipt_year == year
        )
    )
    return (last or 0) + 1


def spendable_on(school: School, fund: Fund, day: date) -> int:
    """What may leave the (locked) fund on ``day``: no running balance from ``day`` on may go
    below zero, and money reserved for a disbursement waiting for approval is in the balance
    but spoken for (it leaves on the day of approval, today or later)."""
    return min(available_on(school, day), fund.available)


def refuse_overdraft(
    school: School,
    fund: Fund,
    amount: int,
    day: date,
    refusal: Callable[[int], LedgerError] = InsufficientBalance,
) -> None:
    """Money leaving the (locked) fund on ``day`` may not exceed what it may spend; else
    ``refusal`` of what it may spend is raised (a correction says why in its own words)."""
    available = spendable_on(school, fund, day)
    if amount > available:
        raise refusal(available)


def reserve(fund: Fund, amount: int) -> None:
    """Hold ``amount`` of the (locked) fund's balance for a disbursement or transfer waiting for
    a second committee member: it stays in the balance, but ``spendable_on`` leaves it out."""
    fund.reserved += amount


def release(fund: Fund, amount: int) -> None:
    """Give back what ``reserve`` held, when the wait ends (approved: before the entry lowers
    the balance, so that the reserved part never exceeds it; rejected; lapsed)."""
    fund.reserved -= amount


def append(school: School, fund: Fund, entry: Entry, original: Entry | None = None) -> Entry:
    """The one place an entry joins the ledger, under the school's fund lock: its number, its
    kuitansi number, its link in the chain, the balance and the running totals."""
    refuse_closed_month(fund, entry.occurred_on)
    year = school_year_start(entry.occurred_on)
    # the kuitansi query before the fund changes: they are written in one UPDATE at the flush
    _place(school, fund, entry, year, _next_receipt_no(school, year))
    db.session.flush()
    totals.apply(entry, original)
    return entry


def append_all(school: School, fund: Fund, entries: list[Entry]) -> list[Entry]:
    """Several new entries (not voids) appended in order as ``append`` would, all or none,
    written together: the kuitansi numbers counted on from one query, one flush (one
    INSERT, one UPDATE of the fund) and one UPDATE per totals row they share."""
    following: dict[int, int] = {}  # school year -> its next kuitansi number
    for entry in entries:
        refuse_closed_month(fund, entry.occurred_on)
        year = school_year_start(entry.occurred_on)
        number = following.get(year) or _next_receipt_no(school, year)
        following[year] = number + 1
        _place(school, fund, entry, year, number)
    db.session.flush()
    totals.apply_all(entries)
    return entries


def _place(school: School, fund: Fund, entry: Entry, year: int, receipt_no: int) -> None:
    """Give ``entry`` its place in the book: its numbers and its link in the chain, and move
    the fund's balance, sequence and chain head (written in one UPDATE at the flush)."""
    entry.receipt_year, entry.receipt_no = year, receipt_no
    fund.last_seq += 1
    fund.balance += entry.signed_amount
    entry.school_id = school.id
    entry.seq = fund.last_seq
    entry.recorded_at = datetime.now(UTC)
    entry.prev_hash = fund.chain_head or chain.GENESIS
    entry.hash = chain.entry_hash(entry)
    fund.chain_head = entry.hash
    db.session.add(entry)


def append_reversal(
    school: School,
    fund: Fund,
    original: Entry,
    reason: str,
    recorded_by: User,
    form_key: str,
    today: date,
) -> Entry:
    """The correction of ``original``: the same amount the other way, dated ``today``, under
    the fund lock the caller holds (a transfer's half keeps its transfer)."""
    return append(
        school,
        fund,
        Entry(
            kind=EntryKind.VOID,
            direction=Direction.OUT if original.direction == Direction.IN else Direction.IN,
            amount=original.amount,
            occurred_on=today,
            category=original.category,
            in_kind=original.in_kind,
            voids_entry_id=original.id,
            transfer_id=original.transfer_id,
            reason=reason,
            recorded_by_id=recorded_by.id,
            form_key=form_key,
        ),
        original,
    )


@dataclass
class Loader:
    """A school's past written at once into its empty book (the demo, the benchmarks): each
    row passes the rules ``append`` applies (amount, date, never below zero), in date order,
    in memory; ``write_loaded`` then gives the rows their ids, kuitansi numbers and chain
    links and inserts them in one statement. Rebuild the report totals afterwards
    (``totals.rebuild``). A void names its original by form key (``voids_form_key``)."""

    school_id: int
    today: date
    rows: list[dict[str, Any]] = field(default_factory=list)
    balance: int = 0

    def append(self, **row: Any) -> dict[str, Any]:
        """Check and keep one row (the Entry columns as a dict); raises as ``append`` would."""
        amount, day = row["amount"], row["occurred_on"]
        check_amount(amount)
        check_entry_date(day, self.today)
        if self.rows and day < self.rows[-1]["occurred_on"]:
            raise ValueError("a loaded book is written in date order")
        signed = amount if row["direction"] == Direction.IN else -amount
        if self.balance + signed < 0:
            raise InsufficientBalance(self.balance)
        self.balance += signed
        row.update(school_id=self.school_id, seq=len(self.rows) + 1)
        self.rows.append(row)
        return row


def write_loaded(books: list[Loader], funds: list[Fund]) -> int:
    """Insert the loaded books (into empty ledgers) and move each fund to its book's end;
    returns the number of entries written. The ids are given here, so that a void names the
    entry it reverses and every hash is known before the insert (the ledger refuses UPDATE)."""
    rows = [row for book in books for row in book.rows]
    first_id = (db.session.scalar(select(func.max(Entry.id))) or 0) + 1
    ids = {row["form_key"]: first_id + i for i, row in enumerate(rows)}
    for book, fund in zip(books, funds, strict=True):
        for row in book.rows:
            row["id"] = ids[row["form_key"]]
            original = row.pop("voids_form_key", None)
            row["voids_entry_id"] = ids[original] if original else None
        fund.chain_head = chain.seal(book.rows)
        fund.balance, fund.last_seq = book.balance, len(book.rows)
    if rows:  # render_nulls: one column list for every row, so a few large batches
        db.session.execute(insert(Entry).execution_options(render_nulls=True), rows)
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('entries', 'id'), max(id)) FROM entries")
        )
    db.session.flush()
    return len(rows)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Money in and out of a period, with voids netted where they are dated."""

    collected: int
    disbursed: int
    transferred_in: int = 0  # from other schools (Sekolah Asuh Sekolah)
    transferred_out: int = 0


def totals_of(row: MonthTotal | YearTotal | None) -> Totals:
    """The figures of a month's or school year's totals row (zero when there is none)."""
    if row is None:
        return Totals(0, 0)
    return Totals(row.collected, row.disbursed, row.transferred_in, row.transferred_out)


def month_totals(school: School, day: date) -> Totals:
    """Money in and out of the month of ``day``."""
    return totals_of(db.session.get(MonthTotal, (school.id, day.replace(day=1))))


def year_totals(school: School, day: date) -> tuple[Totals, int]:
    """Money in and out of the school year of ``day``, and the students helped in it."""
    row = db.session.get(YearTotal, (school.id, school_year_start(day)))
    return totals_of(row), row.helped if row is not None else 0


def balance(school: School) -> int:
    """The fund's balance (0 before the first entry)."""
    fund = db.session.get(Fund, school.id)
    return fund.balance if fund is not None else 0


def reserved(school: School) -> int:
    """The part of the balance held for disbursements and transfers waiting for approval."""
    fund = db.session.get(Fund, school.id)
    return fund.reserved if fund is not None else 0


def reserved_from_pending(school: School) -> int:
    """What the school's waiting disbursements and transfers hold; must always equal the
    fund's reserved."""
    total = 0
    for model in (PendingDisbursement, PendingTransfer):
        total += (
            db.session.scalar(
                select(func.coalesce(func.sum(model.amount), 0)).where(
                    model.school_id == school.id, model.status == PendingStatus.PENDING
                )
            )
            or 0
        )
    return int(total)


def balance_from_entries(school: School) -> int:
    """The balance recomputed from the ledger itself; must always equal the fund's."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(SIGNED_AMOUNT), 0)).where(Entry.school_id == school.id)
    )
    return int(total or 0)


def lowest_running_balance(school: School) -> int | None:
    """The lowest balance the cash book ever shows for the school (None without entries)."""
    running = (
        select(func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)).label("saldo"))
        .where(Entry.school_id == school.id)
        .subquery()
    )
    lowest: int | None = db.session.scalar(select(func.min(running.c.saldo)))
    return lowest
