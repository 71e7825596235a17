"""What a school's own pages read: the dashboard and the cash book (Buku Kas), on screen and
as CSV. School-internal: a line may name a recipient or a donor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, tuple_
from sqlalchemy.orm import joinedload

from sas.approvals.services import PendingLine, pending_lines
from sas.dates import school_year_start
from sas.extensions import db
from sas.extensions import gettext as _
from sas.ledger import SIGNED_AMOUNT, Totals, chain, totals_of
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import (
    Category,
    Direction,
    Entry,
    EntryKind,
    Fund,
    MonthTotal,
    School,
    Source,
    Transfer,
    YearTotal,
)
from sas.reports.exports import safe_cell


@dataclass(frozen=True)
class Dashboard:
    """A school's dashboard: the figures are read at once (one query), the lists when the page
    first asks for them; ``version`` says when a page drawn earlier shows the same."""

    school: School
    today: date
    balance: int
    month: Totals
    year: Totals
    helped_this_year: int
    chain: chain.ChainStatus
    reserved: int = 0  # part of the balance held for disbursements waiting for approval

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    @cached_property
    def recent(self) -> list[Entry]:
        return list(
            db.session.scalars(
                select(Entry)
                .where(Entry.school_id == self.school.id)
                .options(*LINE_LOADS)
                .order_by(Entry.seq.desc())
                .limit(10)
            )
        )

    @cached_property
    def pending(self) -> list[PendingLine]:
        # every waiting disbursement holds its amount: nothing reserved, nothing waiting
        return pending_lines(self.school, self.today) if self.reserved else []

    @cached_property
    def broken_entry(self) -> Entry | None:
        """The first entry that breaks the chain, if it still exists."""
        return broken_entry(self.chain)

    def version(self) -> tuple[object, ...] | None:
        """Everything the page shows, as a key; None when it must be drawn for each view.

        The figures are in it, and the chain head, which names every entry of the school
        (entries never change: a new one, a void included, moves the head). Not in it: the
        names a line shows (the recipient, the other school of a transfer), which can be
        corrected without a new entry. Drawn for each view: a page with disbursements waiting
        (each viewer gets their own approval forms) or with a broken chain."""
        if self.reserved or not self.chain.ok:
            return None
        school = self.school
        return (
            school.id,
            school.npsn,
            school.name,
            school.approval_threshold,
            self.today,
            self.balance,
            self.month,
            self.year,
            self.helped_this_year,
            self.chain.entries,
            self.chain.head,
        )


def dashboard(school: School, today: date) -> Dashboard:
    # The fund and this month's and school year's totals in one query; the fund, held here,
    # is the one the chain check below finds in the session.
    fund, month_row, year_row = db.session.execute(
        select(Fund, MonthTotal, YearTotal)
        .outerjoin(
            MonthTotal,
            (MonthTotal.school_id == Fund.school_id) & (MonthTotal.month == today.replace(day=1)),
        )
        .outerjoin(
            YearTotal,
            (YearTotal.school_id == Fund.school_id) & (YearTotal.year == school_year_start(today)),
        )
        .where(Fund.school_id == school.id)
    ).one_or_none() or (None, None, None)
    return Dashboard(
        school=school,
        today=today,
        balance=fund.balance if fund is not None else 0,
        month=totals_of(month_row),
        year=totals_of(year_row),
        helped_this_year=year_row.helped if year_row else 0,
        chain=chain.verify_recent(school),
        reserved=fund.reserved if fund is not None else 0,
    )


def broken_entry(status: chain.ChainStatus) -> Entry | None:
    if status.ok:
        return None
    return db.session.scalar(
        select(Entry).where(Entry.school_id == status.school.id, Entry.seq == status.broken_seq)
    )


@dataclass(frozen=True)
class CashBookFilter:
    kind: EntryKind | None = None
    start: date | None = None
    end: date | None = None
    category: Category | None = None

    def slug(self) -> str:
        """A filename-safe summary, e.g. ``disbursement_2025-07-01_2026-06-30_seragam``."""
        parts = [
            self.kind or "",
            self.start.isoformat() if self.start else "",
            self.end.isoformat() if self.end else "",
            self.category or "",
        ]
        return "_".join(p for p in parts if p) or "semua"


@dataclass(frozen=True)
class CashBookLine:
    no: int
    entry: Entry
    saldo: int

    @property
    def penerimaan(self) -> int | None:
        return self.entry.amount if self.entry.direction == Direction.IN else None

    @property
    def pengeluaran(self) -> int | None:
        return self.entry.amount if self.entry.direction == Direction.OUT else None


@dataclass(frozen=True)
class CashBookPage:
    lines: list[CashBookLine]
    page: int
    pages: int
    total: int
    total_in: int
    total_out: int
    newest_first: bool = False


# What a line of the book reads (``describe_line``): loaded with the entries, not one by one.
LINE_LOADS = (
    joinedload(Entry.recipient),
    joinedload(Entry.voids),
    joinedload(Entry.voided_by),
    joinedload(Entry.transfer).joinedload(Transfer.from_school),
    joinedload(Entry.transfer).joinedload(Transfer.to_school),
)


def _matching(school: School, flt: CashBookFilter) -> list[ColumnElement[bool]]:
    """The conditions on an entry of the school's book that the filter keeps."""
    conditions: list[ColumnElement[bool]] = [Entry.school_id == school.id]
    if flt.kind == EntryKind.VOID:
        conditions.append(Entry.kind == EntryKind.VOID)
    elif flt.kind is not None:
        # a kind comes with the corrections of its entries, so the filtered totals net out
        incoming = flt.kind in (EntryKind.CONTRIBUTION, EntryKind.TRANSFER_IN)
        moved = flt.kind in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)
        conditions.append(
            (Entry.kind == flt.kind)
            | (
                (Entry.kind == EntryKind.VOID)
                & (Entry.direction == (Direction.OUT if incoming else Direction.IN))
                & (Entry.transfer_id.is_not(None) if moved else Entry.transfer_id.is_(None))
            )
        )
    if flt.start is not None:
        conditions.append(Entry.occurred_on >= flt.start)
    if flt.end is not None:
        conditions.append(Entry.occurred_on <= flt.end)
    if flt.category is not None:
        conditions.append(Entry.category == flt.category)
    return conditions


def _cash_book_select(school: School, flt: CashBookFilter) -> Select[Any]:
    """Entries matching the filter, each with the fund's true running balance after it."""
    running = (
        select(
            Entry.id.label("id"),
            func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)).label("saldo"),
        )
        .where(Entry.school_id == school.id)
        .subquery()
    )
    return (
        select(Entry, running.c.saldo)
        .join(running, running.c.id == Entry.id)
        .where(*_matching(school, flt))
    )


def _balances_after(school: School, entries: list[Entry]) -> dict[int, int]:
    """The fund's balance after each of ``entries`` (by id): what came before the earliest of
    them, then a running sum over the school's entries from the earliest to the latest; for a
    page of the whole book, just its own lines (a running sum over the whole book costs a
    large page's rendering again)."""
    if not entries:
        return {}
    key = tuple_(Entry.occurred_on, Entry.seq)
    first = min((e.occurred_on, e.seq) for e in entries)
    last = max((e.occurred_on, e.seq) for e in entries)
    before = (
        select(func.coalesce(func.sum(SIGNED_AMOUNT), 0))
        .where(Entry.school_id == school.id, key < first)
        .correlate(None)  # its own look at the entries, not the outer query's row
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            Entry.id,
            before + func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)),
        ).where(Entry.school_id == school.id, key >= first, key <= last)
    )
    return {entry_id: int(saldo) for entry_id, saldo in rows}


def cash_book_page(
    school: School, flt: CashBookFilter, page: int, per_page: int, *, newest_first: bool = False
) -> CashBookPage:
    """One page of the book. Newest first, page 1 holds the latest lines, listed latest first;
    either way a line keeps its No (its place in date order) and the Saldo after it."""
    matching = _matching(school, flt)
    count, total_in, total_out = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Entry.direction == Direction.IN, Entry.amount))), 0),
            func.coalesce(func.sum(case((Entry.direction == Direction.OUT, Entry.amount))), 0),
        ).where(*matching)
    ).one()
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    by_date = (Entry.occurred_on, Entry.seq)
    order = (Entry.occurred_on.desc(), Entry.seq.desc()) if newest_first else by_date
    skipped = (page - 1) * per_page
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(*matching)
            .options(*LINE_LOADS)
            .order_by(*order)
            .limit(per_page)
            .offset(skipped)
        )
    )
    saldo = _balances_after(school, entries)
    lines = [
        CashBookLine(count - skipped - i if newest_first else skipped + i + 1, e, saldo[e.id])
        for i, e in enumerate(entries)
    ]
    return CashBookPage(
        lines, page, pages, count, int(total_in), int(total_out), newest_first=newest_first
    )


def cash_book_lines(school: School, flt: CashBookFilter) -> Iterator[CashBookLine]:
    """Every line matching the filter, in order (for the export)."""
    rows = db.session.execute(
        _cash_book_select(school, flt)
        .options(*LINE_LOADS)
        .order_by(Entry.occurred_on, Entry.seq)
        .execution_options(yield_per=500)
    )
    for i, (entry, saldo) in enumerate(rows):
        yield CashBookLine(i + 1, entry, int(saldo))


def describe(entry: Entry) -> str:
    """The Uraian of a cash book line (school-internal: may name the recipient)."""
    if entry.kind == EntryKind.CONTRIBUTION:
        if entry.source == Source.CLASS:
            text = _("Iuran kelas %(label)s", label=entry.class_label or "").strip()
        elif entry.source == Source.INDIVIDUAL and entry.donor_name:
            text = _("Sumbangan dari %(name)s", name=entry.donor_name)
        elif entry.source == Source.INDIVIDUAL:
            text = _("Sumbangan perorangan")
        elif entry.source == Source.ANONYMOUS:
            text = _("Sumbangan tanpa nama")
        else:
            text = _("Sumbangan lain")
        return f"{text} — {entry.note}" if entry.note else text
    if entry.kind == EntryKind.DISBURSEMENT:
        assert entry.category is not None  # a disbursement has one (the kind_fields CHECK)
        text = _(
            "%(category)s untuk %(name)s (%(how)s)",
            category=CATEGORY_LABELS[entry.category],
            name=entry.recipient.name if entry.recipient else "?",
            how=_("barang") if entry.in_kind else _("tunai"),
        )
        return f"{text} — {entry.description}" if entry.description else text
    if entry.kind in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN):
        moved = entry.transfer
        if entry.kind == EntryKind.TRANSFER_OUT:
            text = _("Transfer keluar ke %(school)s", school=moved.to_school.name if moved else "?")
        else:
            text = _(
                "Transfer masuk dari %(school)s", school=moved.from_school.name if moved else "?"
            )
        return f"{text} — {moved.note}" if moved and moved.note else text
    original = entry.voids.number if entry.voids else "?"
    return str(_("Koreksi atas %(number)s: %(reason)s", number=original, reason=entry.reason))


def describe_line(entry: Entry) -> str:
    """The Uraian with, for an entry that was voided later, which correction voided it."""
    text = describe(entry)
    if entry.voided_by is not None:
        text += " " + _("(dibatalkan oleh %(number)s)", number=entry.voided_by.number)
    return text


def cash_book_csv(lines: Iterable[CashBookLine]) -> Iterator[str]:
    """The cash book as CSV, amounts as plain integers of Rupiah.

    It starts with a byte-order mark so that Excel, which the district uses, reads it as UTF-8.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(
        [
            _("No"),
            _("Tanggal"),
            _("No Bukti"),
            _("Uraian"),
            _("Penerimaan"),
            _("Pengeluaran"),
            _("Saldo"),
        ]
    )
    yield flush()
    for line in lines:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    line.no,
                    line.entry.occurred_on.isoformat(),
                    line.entry.number,
                    describe_line(line.entry),
                    line.penerimaan if line.penerimaan is not None else "",
                    line.pengeluaran if line.pengeluaran is not None else "",
                    line.saldo,
                )
            ]
        )
        yield flush()
