"""Every ledger rule and all money arithmetic, in one place.

Writes follow one pattern: lock the school's fund row (PostgreSQL ``SELECT ... FOR UPDATE``;
on SQLite the transaction already began with ``BEGIN IMMEDIATE``), refuse a form key that was
already used, check the rule, append the entry and move the fund's balance, then ``flush``.
The caller commits once. Nothing here edits or deletes an entry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql import ColumnElement

from sas import audit
from sas.dates import PROGRAMME_START, month_bounds, report_deadline, school_year_start
from sas.extensions import db
from sas.ledger import chain, totals
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import (
    Category,
    Direction,
    Entry,
    EntryKind,
    Fund,
    HelpRequest,
    MonthClosing,
    MonthTotal,
    PendingDisbursement,
    PendingStatus,
    PendingTransfer,
    Recipient,
    School,
    SchoolClass,
    Source,
    Transfer,
    User,
    YearTotal,
)
from sas.money import format_rupiah
from sas.names import name_in


class LedgerError(Exception):
    """A rule refused the write; the message is shown to the user next to ``field``."""

    def __init__(self, message: str, field: str = "amount") -> None:
        super().__init__(message)
        self.field = field


class InsufficientBalance(LedgerError):
    def __init__(self, available: int) -> None:
        self.available = available
        super().__init__(
            _(
                "Saldo tidak cukup: saldo yang tersedia %(balance)s.",
                balance=format_rupiah(available),
            )
        )


class DuplicateSubmission(Exception):
    """The form was already submitted once (double click, refresh); ``entry`` is the first."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        super().__init__(entry.id)


SIGNED_AMOUNT = case((Entry.direction == Direction.IN, Entry.amount), else_=-Entry.amount)


# --- rules shared with the forms --------------------------------------------------------------


def check_entry_date(occurred_on: date, today: date) -> None:
    if occurred_on > today:
        raise LedgerError(_("Tanggal tidak boleh di masa depan."), "occurred_on")
    if occurred_on < PROGRAMME_START:
        raise LedgerError(_("Tanggal tidak boleh sebelum 1 Januari 2011."), "occurred_on")


def _refuse_closed_month(fund: Fund, occurred_on: date) -> None:
    if fund.closed_through is not None and occurred_on <= fund.closed_through:
        raise LedgerError(
            _(
                "Buku kas sudah ditutup sampai %(day)s; pilih tanggal sesudahnya.",
                day=format_date(fund.closed_through, "d MMM y"),
            ),
            "occurred_on",
        )


def check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError(_("Jumlah harus lebih dari Rp0."))
    maximum = current_app.config["MAX_ENTRY_AMOUNT"]
    if amount > maximum:
        raise LedgerError(
            _("Jumlah melebihi batas per transaksi %(max)s.", max=format_rupiah(maximum))
        )


# --- writing -----------------------------------------------------------------------------------


def ensure_fund(school: School) -> Fund:
    """Create the fund row of a new school (balance 0)."""
    fund = db.session.get(Fund, school.id)
    if fund is None:
        fund = Fund(school_id=school.id, balance=0, last_seq=0)
        db.session.add(fund)
        db.session.flush()
    return fund


def _lock_fund(school: School) -> Fund:
    fund = db.session.scalar(
        select(Fund)
        .where(Fund.school_id == school.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return fund if fund is not None else ensure_fund(school)


def _refuse_reused_key(form_key: str) -> None:
    if not form_key or len(form_key) > 64:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."))
    existing = db.session.scalar(select(Entry).where(Entry.form_key == form_key))
    if existing is not None:
        raise DuplicateSubmission(existing)


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
    at_day = db.session.scalar(
        select(running.c.saldo)
        .where(running.c.occurred_on <= day)
        .order_by(running.c.occurred_on.desc(), running.c.seq.desc())
        .limit(1)
    )
    later = db.session.scalar(select(func.min(running.c.saldo)).where(running.c.occurred_on > day))
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


def refuse_child_name(school: School, text: str | None, field: str) -> None:
    """Text that leaves the school (a request for help, a transfer's note or void reason: other
    schools and the district read it) must not name a child: refused when it holds the name of
    a recipient of the kabupaten, however disguised (``sas.names``). The message quotes only
    the words the writer typed, and for another school's child never says which school."""
    found = name_in(school, text)
    if found is None:
        return
    if found.own:
        message = _(
            "Tanpa nama siswa: “%(word)s” ada pada nama penerima bantuan sekolah ini. "
            "Tulis kebutuhannya saja.",
            word=found.typed,
        )
    else:
        message = _(
            "Tanpa nama siswa: “%(word)s” tampak seperti nama seorang siswa. "
            "Tulis kebutuhannya saja.",
            word=found.typed,
        )
    raise LedgerError(message, field)


def check_recipient(school: School, recipient: Recipient) -> None:
    if recipient.school_id != school.id or not recipient.active:
        raise LedgerError(_("Penerima tidak ditemukan atau tidak aktif."))


def _append(school: School, fund: Fund, entry: Entry, original: Entry | None = None) -> Entry:
    """The one place an entry joins the ledger, under the school's fund lock: its number, its
    kuitansi number, its link in the chain, the balance and the running totals."""
    _refuse_closed_month(fund, entry.occurred_on)
    entry.receipt_year = school_year_start(entry.occurred_on)
    entry.receipt_no = _next_receipt_no(school, entry.receipt_year)  # a query: before the fund
    fund.last_seq += 1  # changes, so that they are written in one UPDATE with the chain head
    fund.balance += entry.signed_amount
    entry.school_id = school.id
    entry.seq = fund.last_seq
    entry.recorded_at = datetime.now(UTC)
    entry.prev_hash = fund.chain_head or chain.GENESIS
    entry.hash = chain.entry_hash(entry)
    fund.chain_head = entry.hash
    db.session.add(entry)
    db.session.flush()
    totals.apply(entry, original)
    return entry


def _audit_recorded(entry: Entry, recorded_by: User, extra: str) -> None:
    """Log a new entry by its No Bukti and codes: never a donor's or a child's name, never the
    note or description (free text that may hold one)."""
    audit.record(
        "entry.recorded",
        target=f"entry:{entry.id}",
        school_id=entry.school_id,
        detail=f"no={entry.number} kind={entry.kind.value} amount={entry.amount} {extra}",
        actor=recorded_by,
    )


def check_source(source: Source, class_label: str | None, donor_name: str | None) -> None:
    """A class collection names its class; a gift from a person names the person; an
    anonymous gift keeps no name (refused rather than dropped: the user typed it)."""
    has_class, has_name = bool((class_label or "").strip()), bool((donor_name or "").strip())
    if source == Source.CLASS and not has_class:
        raise LedgerError(_("Pilih kelas yang menyetor."), "class_label")
    if source == Source.CLASS and has_name:
        raise LedgerError(
            _("Iuran kelas tidak memakai nama pemberi. Kosongkan nama pemberi."), "donor_name"
        )
    if source == Source.INDIVIDUAL and not has_name:
        raise LedgerError(
            _("Tulis nama pemberi, atau pilih “Tanpa nama” bila ia tidak ingin disebut."),
            "donor_name",
        )
    if source == Source.ANONYMOUS and has_name:
        raise LedgerError(
            _(
                "Sumbangan tanpa nama tidak menyimpan nama. Kosongkan nama pemberi, atau pilih "
                "“Perorangan”."
            ),
            "donor_name",
        )


def _contribution(
    amount: int,
    occurred_on: date,
    source: Source,
    class_label: str | None,
    donor_name: str | None,
    note: str | None,
    recorded_by: User,
    form_key: str,
) -> Entry:
    return Entry(
        kind=EntryKind.CONTRIBUTION,
        direction=Direction.IN,
        amount=amount,
        occurred_on=occurred_on,
        source=source,
        class_label=(class_label or "").strip() or None,
        donor_name=(donor_name or "").strip() or None,
        note=(note or "").strip() or None,
        recorded_by_id=recorded_by.id,
        form_key=form_key,
    )


def record_contribution(
    school: School,
    *,
    amount: int,
    occurred_on: date,
    source: Source,
    class_label: str | None,
    donor_name: str | None,
    note: str | None,
    recorded_by: User,
    form_key: str,
    today: date,
) -> Entry:
    check_amount(amount)
    check_entry_date(occurred_on, today)
    check_source(source, class_label, donor_name)
    fund = _lock_fund(school)
    _refuse_reused_key(form_key)
    entry = _append(
        school,
        fund,
        _contribution(
            amount, occurred_on, source, class_label, donor_name, note, recorded_by, form_key
        ),
    )
    _audit_recorded(entry, recorded_by, f"source={source.value}")
    return entry


MAX_BATCH_ROWS = 99  # classes in one class-collection form


def batch_key(form_key: str, row: int) -> str:
    """The form key of row ``row`` (from 1) of a form that records several entries at once."""
    return f"{form_key}:{row:02d}"


def batch_entries(school: School, form_key: str) -> list[Entry]:
    """The entries one class-collection form recorded, in row order (empty if none)."""
    keys = [batch_key(form_key, row) for row in range(1, MAX_BATCH_ROWS + 1)]
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.school_id == school.id, Entry.form_key.in_(keys))
            .order_by(Entry.seq)
        )
    )


def recorded_with(school: School, form_key: str, batch: bool = False) -> list[Entry]:
    """What a form with this one-time key already recorded in ``school`` (a class-collection
    form's rows with ``batch``), in recording order; empty if nothing."""
    if batch:
        return batch_entries(school, form_key)
    entry = db.session.scalar(
        select(Entry).where(Entry.school_id == school.id, Entry.form_key == form_key)
    )
    return [entry] if entry is not None else []


class DuplicateBatch(Exception):
    """The class-collection form was already recorded once: ``entries`` are what it recorded
    (none when its key was used by another school: nothing of that school is shown)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        super().__init__(len(entries))


def _row_refused(class_id: int, message: str) -> LedgerError:
    return LedgerError(message, f"class_{class_id}")  # the row's field on the form


def record_class_collections(
    school: School,
    *,
    rows: list[tuple[int, int]],
    occurred_on: date,
    recorded_by: User,
    form_key: str,
    today: date,
) -> list[Entry]:
    """A day's collections of several of the school's classes (``rows``: class id, amount),
    one contribution each with its own BKM number and kuitansi, all or none, under one lock
    and one form key: sent twice, it records once. A refusal names the row's class."""
    if not rows:
        raise LedgerError(_("Isi jumlah setidaknya untuk satu kelas."), "rows")
    if len(rows) > MAX_BATCH_ROWS or not form_key or len(form_key) > 60:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."), "rows")
    classes = {
        item.id: item
        for item in db.session.scalars(
            select(SchoolClass).where(
                SchoolClass.school_id == school.id, SchoolClass.id.in_([id_ for id_, _ in rows])
            )
        )
    }
    for class_id, amount in rows:
        item = classes.get(class_id)
        if item is None:
            raise _row_refused(class_id, _("Kelas tidak ditemukan."))
        if not item.active:
            raise _row_refused(class_id, _("Kelas ini tidak dipakai lagi."))
        try:
            check_amount(amount)
        except LedgerError as error:
            raise _row_refused(class_id, str(error)) from None
    check_entry_date(occurred_on, today)
    fund = _lock_fund(school)
    keys = [batch_key(form_key, row) for row in range(1, len(rows) + 1)]
    used = db.session.scalars(select(Entry.school_id).where(Entry.form_key.in_(keys))).all()
    if used:
        raise DuplicateBatch(batch_entries(school, form_key) if set(used) == {school.id} else [])
    entries = []
    for key, (class_id, amount) in zip(keys, rows, strict=True):
        label = classes[class_id].label
        contribution = _contribution(
            amount, occurred_on, Source.CLASS, label, None, None, recorded_by, key
        )
        entry = _append(school, fund, contribution)
        _audit_recorded(entry, recorded_by, "source=class")
        entries.append(entry)
    return entries


def class_totals_on(school: School, day: date) -> dict[str, int]:
    """What each class's collections recorded for ``day`` add up to (voided ones left out): a
    second committee member sees that a class's money is already in the book."""
    correction = aliased(Entry)
    rows = db.session.execute(
        select(Entry.class_label, func.sum(Entry.amount))
        .where(
            Entry.school_id == school.id,
            Entry.occurred_on == day,
            Entry.kind == EntryKind.CONTRIBUTION,
            Entry.source == Source.CLASS,
            ~select(correction.id).where(correction.voids_entry_id == Entry.id).exists(),
        )
        .group_by(Entry.class_label)
    )
    return {label: int(total) for label, total in rows}


def record_disbursement(
    school: School,
    *,
    amount: int,
    occurred_on: date,
    recipient: Recipient,
    category: Category,
    in_kind: bool,
    description: str | None,
    recorded_by: User,
    form_key: str,
    today: date,
) -> Entry:
    check_amount(amount)
    check_entry_date(occurred_on, today)
    check_recipient(school, recipient)
    fund = _lock_fund(school)
    _refuse_reused_key(form_key)
    _refuse_closed_month(fund, occurred_on)
    available = spendable_on(school, fund, occurred_on)
    if amount > available:
        raise InsufficientBalance(available)
    entry = _append(
        school,
        fund,
        Entry(
            kind=EntryKind.DISBURSEMENT,
            direction=Direction.OUT,
            amount=amount,
            occurred_on=occurred_on,
            recipient_id=recipient.id,
            category=category,
            in_kind=in_kind,
            description=(description or "").strip() or None,
            recorded_by_id=recorded_by.id,
            form_key=form_key,
        ),
    )
    _audit_recorded(
        entry,
        recorded_by,
        f"category={category.value} in_kind={'yes' if in_kind else 'no'} "
        f"recipient=recipient:{recipient.id}",
    )
    return entry


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
    return _append(
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


def void_entry(
    school: School,
    original: Entry,
    *,
    reason: str,
    recorded_by: User,
    form_key: str,
    today: date,
) -> Entry:
    """Reverse ``original`` with a new entry dated today; the original stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Alasan koreksi wajib diisi."))
    if original.school_id != school.id:
        raise LedgerError(_("Transaksi tidak ditemukan."))
    fund = _lock_fund(school)
    _refuse_reused_key(form_key)
    if original.kind == EntryKind.VOID:
        raise LedgerError(_("Koreksi tidak dapat dibatalkan."))
    if original.is_transfer:
        raise LedgerError(
            _("Transfer antarsekolah hanya dapat dibatalkan berpasangan, dari halaman transfernya.")
        )
    already = db.session.scalar(select(Entry.id).where(Entry.voids_entry_id == original.id))
    if already is not None:
        raise LedgerError(_("Transaksi ini sudah dibatalkan."))
    direction = Direction.OUT if original.direction == Direction.IN else Direction.IN
    if direction == Direction.OUT:
        available = spendable_on(school, fund, today)
        if original.amount > available:
            raise LedgerError(
                _(
                    "Pembatalan ditolak: saldo akan menjadi negatif (saldo yang tersedia "
                    "%(balance)s).",
                    balance=format_rupiah(available),
                )
            )
    reversal = append_reversal(school, fund, original, reason, recorded_by, form_key, today)
    # The reason is free text and may name a child; it stays in the book, not in the log.
    audit.record(
        "entry.voided",
        target=f"entry:{reversal.id}",
        school_id=school.id,
        detail=f"no={reversal.number} voids=entry:{original.id} ({original.number}) "
        f"amount={reversal.amount}",
        actor=recorded_by,
    )
    return reversal


def close_month(school: School, month: date, *, closed_by: User, today: date) -> MonthClosing:
    """Tutup buku: freeze a month that has ended; nothing can be dated on or before it again."""
    first, last = month_bounds(month)
    if first < PROGRAMME_START.replace(day=1):
        raise LedgerError(_("Tanggal tidak boleh sebelum 1 Januari 2011."), "month")
    if last >= today:
        raise LedgerError(_("Bulan ini belum berakhir; tutup buku sesudah akhir bulan."), "month")
    fund = _lock_fund(school)
    if db.session.get(MonthClosing, (school.id, first)) is not None:
        raise LedgerError(_("Bulan ini sudah ditutup."), "month")
    closing = MonthClosing(
        school_id=school.id,
        month=first,
        closed_by_id=closed_by.id,
        on_time=today <= report_deadline(first),
    )
    closing.chain_head, closing.chain_seq = fund.chain_head, fund.last_seq
    db.session.add(closing)
    fund.closed_through = max(fund.closed_through or last, last)
    db.session.flush()
    totals.apply_closing(closing)
    audit.record(
        "month.closed",
        target=f"month:{first:%Y-%m}",
        school_id=school.id,
        detail=f"on_time={'yes' if closing.on_time else 'no'}",
        actor=closed_by,
    )
    return closing


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Money in and out of a period, with voids netted where they are dated."""

    collected: int
    disbursed: int
    transferred_in: int = 0  # from other schools (Sekolah Asuh Sekolah)
    transferred_out: int = 0


def _totals(row: MonthTotal | YearTotal | None) -> Totals:
    if row is None:
        return Totals(0, 0)
    return Totals(row.collected, row.disbursed, row.transferred_in, row.transferred_out)


def month_totals(school: School, day: date) -> Totals:
    return _totals(db.session.get(MonthTotal, (school.id, day.replace(day=1))))


def year_totals(school: School, day: date) -> tuple[Totals, int]:
    """Money in and out of the school year of ``day``, and the students helped in it."""
    row = db.session.get(YearTotal, (school.id, school_year_start(day)))
    return _totals(row), row.helped if row is not None else 0


def balance(school: School) -> int:
    fund = db.session.get(Fund, school.id)
    return fund.balance if fund is not None else 0


def reserved(school: School) -> int:
    fund = db.session.get(Fund, school.id)
    return fund.reserved if fund is not None else 0


def reserved_from_pending(school: School) -> int:
    """What the school's waiting disbursements and transfers hold; must always equal the
    fund's reserved."""
    total = 0
    for model in (PendingDisbursement, PendingTransfer):
        total += db.session.scalar(
            select(func.coalesce(func.sum(model.amount), 0)).where(
                model.school_id == school.id, model.status == PendingStatus.PENDING
            )
        )
    return int(total)


def balance_from_entries(school: School) -> int:
    """The balance recomputed from the ledger itself; must always equal the fund's."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(SIGNED_AMOUNT), 0)).where(Entry.school_id == school.id)
    )
    return int(total or 0)


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


STALE_AFTER_DAYS = 14  # a disbursement waiting longer than this is flagged on the dashboard


@dataclass(frozen=True)
class PendingLine:
    item: PendingDisbursement | PendingTransfer
    waiting_days: int

    stale_after: int = STALE_AFTER_DAYS

    @property
    def stale(self) -> bool:
        return self.waiting_days > self.stale_after

    @property
    def kind(self) -> str:
        return "transfer" if isinstance(self.item, PendingTransfer) else "disbursement"


def pending_lines(school: School, today: date) -> list[PendingLine]:
    """The school's disbursements and transfers waiting for a second committee member,
    oldest first."""
    disbursements = db.session.scalars(
        select(PendingDisbursement)
        .where(
            PendingDisbursement.school_id == school.id,
            PendingDisbursement.status == PendingStatus.PENDING,
        )
        .options(joinedload(PendingDisbursement.recipient))
        .options(joinedload(PendingDisbursement.recorded_by))
    ).all()
    moves = db.session.scalars(
        select(PendingTransfer)
        .where(
            PendingTransfer.school_id == school.id,
            PendingTransfer.status == PendingStatus.PENDING,
        )
        .options(joinedload(PendingTransfer.to_school))
        .options(joinedload(PendingTransfer.recorded_by))
    ).all()
    items = sorted(
        [*disbursements, *moves],
        key=lambda p: (p.requested_on, isinstance(p, PendingTransfer), p.id),
    )
    return [PendingLine(item, (today - item.requested_on).days) for item in items]


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
        month=_totals(month_row),
        year=_totals(year_row),
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


def _cash_book_select(school: School, flt: CashBookFilter) -> Select:
    """Entries matching the filter, each with the fund's true running balance after it."""
    running = (
        select(
            Entry.id.label("id"),
            func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)).label("saldo"),
        )
        .where(Entry.school_id == school.id)
        .subquery()
    )
    stmt = select(Entry, running.c.saldo).join(running, running.c.id == Entry.id)
    if flt.kind == EntryKind.VOID:
        stmt = stmt.where(Entry.kind == EntryKind.VOID)
    elif flt.kind is not None:
        # a kind comes with the corrections of its entries, so the filtered totals net out
        incoming = flt.kind in (EntryKind.CONTRIBUTION, EntryKind.TRANSFER_IN)
        moved = flt.kind in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)
        stmt = stmt.where(
            (Entry.kind == flt.kind)
            | (
                (Entry.kind == EntryKind.VOID)
                & (Entry.direction == (Direction.OUT if incoming else Direction.IN))
                & (Entry.transfer_id.is_not(None) if moved else Entry.transfer_id.is_(None))
            )
        )
    if flt.start is not None:
        stmt = stmt.where(Entry.occurred_on >= flt.start)
    if flt.end is not None:
        stmt = stmt.where(Entry.occurred_on <= flt.end)
    if flt.category is not None:
        stmt = stmt.where(Entry.category == flt.category)
    return stmt


def cash_book_page(
    school: School, flt: CashBookFilter, page: int, per_page: int, *, newest_first: bool = False
) -> CashBookPage:
    """One page of the book. Newest first, page 1 holds the latest lines, listed latest first;
    either way a line keeps its No (its place in date order) and the Saldo after it."""
    stmt = _cash_book_select(school, flt)
    sub = stmt.subquery()
    count, total_in, total_out = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((sub.c.direction == "in", sub.c.amount), else_=0)), 0),
            func.coalesce(func.sum(case((sub.c.direction == "out", sub.c.amount), else_=0)), 0),
        ).select_from(sub)
    ).one()
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    by_date = (Entry.occurred_on, Entry.seq)
    order = (Entry.occurred_on.desc(), Entry.seq.desc()) if newest_first else by_date
    rows = db.session.execute(
        stmt.options(*LINE_LOADS).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    skipped = (page - 1) * per_page
    lines = [
        CashBookLine(count - skipped - i if newest_first else skipped + i + 1, e, int(s))
        for i, (e, s) in enumerate(rows)
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
    return _("Koreksi atas %(number)s: %(reason)s", number=original, reason=entry.reason)


def describe_line(entry: Entry) -> str:
    """The Uraian with, for an entry that was voided later, which correction voided it."""
    text = describe(entry)
    if entry.voided_by is not None:
        text += " " + _("(dibatalkan oleh %(number)s)", number=entry.voided_by.number)
    return text


def _safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas: text starting with = + - @ (or tab/CR) gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
                _safe_cell(v)
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


def lowest_running_balance(school: School) -> int | None:
    """The lowest balance the cash book ever shows for the school (None without entries)."""
    running = (
        select(func.sum(SIGNED_AMOUNT).over(order_by=(Entry.occurred_on, Entry.seq)).label("saldo"))
        .where(Entry.school_id == school.id)
        .subquery()
    )
    return db.session.scalar(select(func.min(running.c.saldo)))


def check_totals() -> list[str]:
    """Every school's fund and report totals against its entries; returns the differences."""
    problems = totals.differences()
    for school in db.session.scalars(select(School).order_by(School.npsn)):
        stored, computed = balance(school), balance_from_entries(school)
        if stored != computed:
            problems.append(f"{school.npsn}: fund {stored} != entries {computed}")
        lowest = lowest_running_balance(school)
        if stored < 0 or (lowest is not None and lowest < 0):
            problems.append(f"{school.npsn}: balance below zero ({min(stored, lowest or 0)})")
        held, waiting = reserved(school), reserved_from_pending(school)
        if held != waiting:
            problems.append(f"{school.npsn}: reserved {held} != pending {waiting}")
    return problems + received_differences() + transfer_differences()


def received_differences() -> list[str]:
    """Each request for help's ``received`` against the transfers made for it, net of voids."""
    moved = (
        select(func.coalesce(func.sum(Transfer.amount), 0))
        .where(Transfer.request_id == HelpRequest.id, Transfer.voided_on.is_(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(HelpRequest.id, HelpRequest.received, moved)
        .where(HelpRequest.received != moved)
        .order_by(HelpRequest.id)
    )
    return [f"help request {id_}: received {got} != transfers {sent}" for id_, got, sent in rows]


def transfer_differences() -> list[str]:
    """Each transfer against its entries: one half out of the giver and one into the receiver,
    both for its amount, and two corrections dated ``voided_on`` exactly when it is voided."""

    def count(*conditions) -> ColumnElement[int]:  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    same = Entry.amount == Transfer.amount
    rows = db.session.execute(
        select(
            Transfer.id,
            Transfer.voided_on.is_not(None),
            count(
                Entry.kind == EntryKind.TRANSFER_OUT,
                Entry.school_id == Transfer.from_school_id,
                same,
            ),
            count(
                Entry.kind == EntryKind.TRANSFER_IN, Entry.school_id == Transfer.to_school_id, same
            ),
            count(Entry.kind == EntryKind.VOID, Entry.occurred_on == Transfer.voided_on, same),
            func.count(Entry.id),
        )
        .outerjoin(Entry, Entry.transfer_id == Transfer.id)
        .group_by(Transfer.id)
        .order_by(Transfer.id)
    )
    problems = []
    for id_, voided, out, into, voids, entries in rows:
        wanted = (1, 1, 2 if voided else 0)
        if (out, into, voids) != wanted or entries != sum(wanted):
            state = "voided" if voided else "not voided"
            problems.append(
                f"transfer {id_} ({state}): {out} half out, {into} half in, "
                f"{voids} voids on its void date, {entries} entries in all"
            )
    return problems
