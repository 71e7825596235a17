"""Recording money: contributions (one, or a day's class collections at once),
disbursements, and the correction of an entry. Each write takes the school's fund lock and
appends through the ledger kernel (``sas.ledger``); the view commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from sas import audit
from sas.extensions import db
from sas.ledger import (
    LedgerError,
    append,
    append_all,
    append_reversal,
    check_amount,
    check_disbursement,
    check_entry_date,
    check_form_key,
    check_source,
    lock_fund,
    refuse_closed_month,
    refuse_overdraft,
    refuse_reused_key,
)
from sas.models import (
    Category,
    Direction,
    Entry,
    EntryKind,
    Recipient,
    School,
    SchoolClass,
    Source,
    User,
)
from sas.money import format_rupiah


def _audit_recorded(entry: Entry, recorded_by: User, extra: str, flush: bool = True) -> None:
    """Log a new entry by its No Bukti and codes: never a donor's or a child's name, never the
    note or description (free text that may hold one)."""
    audit.record(
        "entry.recorded",
        target=f"entry:{entry.id}",
        school_id=entry.school_id,
        detail=f"no={entry.number} kind={entry.kind.value} amount={entry.amount} {extra}",
        actor=recorded_by,
        flush=flush,
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
    check_form_key(form_key)
    fund = lock_fund(school)
    entry = _contribution(
        amount, occurred_on, source, class_label, donor_name, note, recorded_by, form_key
    )
    with _key_once([entry], lambda: refuse_reused_key(form_key)):
        append(school, fund, entry)
    _audit_recorded(entry, recorded_by, f"source={source.value}")
    return entry


@contextmanager
def _key_once(entries: list[Entry], refuse_reused: Callable[[], None]) -> Iterator[None]:
    """The one-time key, checked without a SELECT before the INSERT of ``entries``: its unique
    constraint refuses a key used before. The view looked for it already, so a used key
    reaches here only from a form sent twice at once, which waited for the first send's fund
    lock. Then ``refuse_reused`` answers with the first send (``DuplicateSubmission``) rather
    than the INSERT's error or a refusal (a balance the first send spent), as when the key was
    checked first."""
    try:
        yield
    except LedgerError:
        if all(entry.id is None for entry in entries):  # refused before their INSERT
            refuse_reused()
        raise
    except IntegrityError:
        db.session.rollback()  # the failed INSERT ended the transaction on PostgreSQL
        refuse_reused()
        raise


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
    known: Sequence[SchoolClass] = (),
) -> list[Entry]:
    """A day's collections of several of the school's classes (``rows``: class id, amount),
    one contribution each with its own BKM number and kuitansi, all or none, under one lock
    and one form key: sent twice, it records once. A refusal names the row's class.
    ``known``: the school's classes the caller has loaded already (the form's rows), so that
    they are not read again."""
    if not rows:
        raise LedgerError(_("Isi jumlah setidaknya untuk satu kelas."), "rows")
    if len(rows) > MAX_BATCH_ROWS or not form_key or len(form_key) > 60:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."), "rows")
    classes = {item.id: item for item in known if item.school_id == school.id}
    unknown = [id_ for id_, _ in rows if id_ not in classes]
    if unknown:
        classes |= {
            item.id: item
            for item in db.session.scalars(
                select(SchoolClass).where(
                    SchoolClass.school_id == school.id, SchoolClass.id.in_(unknown)
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
    fund = lock_fund(school)
    keys = [batch_key(form_key, row) for row in range(1, len(rows) + 1)]
    entries = [
        _contribution(
            amount, occurred_on, Source.CLASS, classes[class_id].label, None, None, recorded_by, key
        )
        for key, (class_id, amount) in zip(keys, rows, strict=True)
    ]

    def refuse_reused() -> None:
        used = db.session.scalars(select(Entry.school_id).where(Entry.form_key.in_(keys))).all()
        if set(used) == {school.id}:
            raise DuplicateBatch(batch_entries(school, form_key))
        if used:  # the key of another school's form: nothing of that school is shown
            raise DuplicateBatch([])

    with _key_once(entries, refuse_reused):
        append_all(school, fund, entries)
    for entry in entries:
        _audit_recorded(entry, recorded_by, "source=class", flush=False)
    db.session.flush()  # the log's rows in one INSERT
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
    check_disbursement(school, amount, occurred_on, recipient, today)
    check_form_key(form_key)
    fund = lock_fund(school)
    entry = Entry(
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
    )
    with _key_once([entry], lambda: refuse_reused_key(form_key)):
        refuse_closed_month(fund, occurred_on)  # before the balance: the date is what is wrong
        refuse_overdraft(school, fund, amount, occurred_on)
        append(school, fund, entry)
    _audit_recorded(
        entry,
        recorded_by,
        f"category={category.value} in_kind={'yes' if in_kind else 'no'} "
        f"recipient=recipient:{recipient.id}",
    )
    return entry


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
    fund = lock_fund(school)
    refuse_reused_key(form_key)
    if original.kind == EntryKind.VOID:
        raise LedgerError(_("Koreksi tidak dapat dibatalkan."))
    if original.is_transfer:
        raise LedgerError(
            _("Transfer antarsekolah hanya dapat dibatalkan berpasangan, dari halaman transfernya.")
        )
    already = db.session.scalar(select(Entry.id).where(Entry.voids_entry_id == original.id))
    if already is not None:
        raise LedgerError(_("Transaksi ini sudah dibatalkan."))
    if original.direction == Direction.IN:  # its reversal takes the money out again
        refuse_overdraft(
            school,
            fund,
            original.amount,
            today,
            lambda available: LedgerError(
                _(
                    "Pembatalan ditolak: saldo akan menjadi negatif (saldo yang tersedia "
                    "%(balance)s).",
                    balance=format_rupiah(available),
                )
            ),
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
