"""Sekolah Asuh Sekolah: moving money from one school's fund to another's, under the same
ledger rules as every other write (the kernel, ``sas.ledger``).

One transfer is two entries appended in one transaction: a transfer out in the giving school's
ledger and a transfer in in the receiving school's, each in its school's chain. Both funds are
locked, the lower school id first, so two transfers between the same schools in opposite
directions never wait for each other in a circle; a request for help is locked after them. The
pair is voided only together. The caller commits once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from sas import audit
from sas.approvals.services import DuplicateRequest
from sas.extensions import db
from sas.ledger import (
    LedgerError,
    append,
    append_reversal,
    check_amount,
    check_entry_date,
    lock_fund,
    refuse_child_name,
    refuse_closed_month,
    refuse_overdraft,
    refuse_reused_key,
)
from sas.models import (
    Direction,
    Entry,
    EntryKind,
    Fund,
    HelpRequest,
    PendingTransfer,
    RequestStatus,
    School,
    Transfer,
    User,
)
from sas.money import format_rupiah


class DuplicateTransfer(Exception):
    """The transfer form was already submitted once; ``transfer`` is what it recorded."""

    def __init__(self, transfer: Transfer) -> None:
        self.transfer = transfer
        super().__init__(transfer.id)


def check_receiver(giver: School, receiver: School) -> None:
    """The schools a transfer may join: two different active schools of one kabupaten."""
    if giver.id == receiver.id:
        raise LedgerError(_("Sekolah tidak dapat mentransfer ke dirinya sendiri."), "to_school")
    if giver.kecamatan.parent_id != receiver.kecamatan.parent_id:
        raise LedgerError(_("Sekolah tujuan harus di kabupaten yang sama."), "to_school")
    if not giver.active or not receiver.active:
        raise LedgerError(_("Sekolah pengirim dan penerima harus aktif."), "to_school")


def lock_both(first: School, second: School) -> dict[int, Fund]:
    """Lock the two funds, the lower school id first (one order for everyone: no deadlock)."""
    funds = {}
    for school in sorted((first, second), key=lambda s: s.id):
        funds[school.id] = lock_fund(school)
    return funds


def lock_request(request_id: int) -> HelpRequest:
    """The request row, locked for this transaction (after any fund locks)."""
    request = db.session.scalar(
        select(HelpRequest)
        .where(HelpRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise LedgerError(_("Permintaan bantuan tidak ditemukan."), "request")
    return request


def check_request(request: HelpRequest, amount: int) -> None:
    """A request takes a transfer while it is open, and never beyond what it still needs."""
    if request.status != RequestStatus.OPEN:
        raise LedgerError(_("Permintaan bantuan ini sudah tidak terbuka."), "request")
    if amount > request.remaining:
        raise LedgerError(
            _(
                "Permintaan ini tinggal membutuhkan %(remaining)s; kirim paling banyak "
                "sejumlah itu.",
                remaining=format_rupiah(request.remaining),
            )
        )


def _half_keys(form_key: str) -> tuple[str, str]:
    if not form_key or len(form_key) > 60:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."))
    return f"{form_key}:out", f"{form_key}:in"


def transfer(
    giver: School,
    receiver: School,
    *,
    amount: int,
    occurred_on: date,
    request: HelpRequest | None,
    note: str | None,
    recorded_by: User,
    form_key: str,
    today: date,
    approved_by: User | None = None,
) -> Transfer:
    """Send ``amount`` from the giver's fund to the receiver's, optionally against a request of
    the receiver: both halves or neither. ``approved_by``: the second committee member who
    approved a large one (``sas.transfers.approvals``), the actor of its audit rows."""
    check_amount(amount)
    check_entry_date(occurred_on, today)
    check_receiver(giver, receiver)
    if request is not None and request.school_id != receiver.id:
        raise LedgerError(_("Permintaan bantuan tidak ditemukan."), "request")
    refuse_child_name(giver, note, "note")
    out_key, in_key = _half_keys(form_key)
    funds = lock_both(giver, receiver)
    done = db.session.scalar(select(Transfer).where(Transfer.form_key == form_key))
    if done is not None:
        raise DuplicateTransfer(done)
    # the form already made a waiting transfer (sent again after the threshold changed)
    waiting = db.session.scalar(select(PendingTransfer).where(PendingTransfer.form_key == form_key))
    if waiting is not None:
        raise DuplicateRequest(waiting)
    refuse_reused_key(out_key)
    refuse_reused_key(in_key)
    for school in (giver, receiver):
        refuse_closed_month(funds[school.id], occurred_on)
    refuse_overdraft(giver, funds[giver.id], amount, occurred_on)
    if request is not None:
        request = lock_request(request.id)
        check_request(request, amount)
    moved = Transfer(
        from_school_id=giver.id,
        to_school_id=receiver.id,
        amount=amount,
        occurred_on=occurred_on,
        recorded_by_id=recorded_by.id,
        request_id=request.id if request is not None else None,
        note=(note or "").strip() or None,
        form_key=form_key,
    )
    db.session.add(moved)
    db.session.flush()
    halves = (
        (giver, EntryKind.TRANSFER_OUT, Direction.OUT, out_key),
        (receiver, EntryKind.TRANSFER_IN, Direction.IN, in_key),
    )
    for school, kind, direction, key in halves:
        entry = append(
            school,
            funds[school.id],
            Entry(
                kind=kind,
                direction=direction,
                amount=amount,
                occurred_on=occurred_on,
                transfer_id=moved.id,
                recorded_by_id=recorded_by.id,
                approved_by_id=approved_by.id if approved_by is not None else None,
                form_key=key,
            ),
        )
        audit.record(
            "transfer.recorded",
            target=f"transfer:{moved.id}",
            school_id=school.id,
            detail=f"no={entry.number} kind={kind.value} amount={amount} "
            f"from=school:{giver.id} to=school:{receiver.id}"
            + (f" request=request:{request.id}" if request is not None else ""),
            actor=approved_by or recorded_by,
        )
    if request is not None:
        request.received += amount
        if request.remaining == 0:  # covered: off the board
            request.status = RequestStatus.FULFILLED
            request.closed_at = datetime.now(UTC)
        db.session.flush()
    return moved


def halves(moved: Transfer) -> dict[EntryKind, Entry]:
    """The entries of a transfer by kind: its two halves and, once voided, the two voids are
    found through ``voided_by``."""
    entries = db.session.scalars(
        select(Entry).where(
            Entry.transfer_id == moved.id,
            Entry.kind.in_((EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)),
        )
    )
    return {e.kind: e for e in entries}


def void_transfer(
    moved: Transfer,
    *,
    reason: str,
    recorded_by: User,
    form_key: str,
    today: date,
) -> Transfer:
    """Reverse both halves with two corrections dated today, in one transaction. Refused when
    the receiving school has already spent the money (its balance would go below zero)."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Alasan koreksi wajib diisi."), "reason")
    out_key, in_key = _half_keys(form_key)
    giver, receiver = moved.from_school, moved.to_school
    refuse_child_name(giver, reason, "reason")
    funds = lock_both(giver, receiver)
    db.session.refresh(moved)
    refuse_reused_key(out_key)  # the same form sent twice: saved once, said so (not refused)
    refuse_reused_key(in_key)
    if moved.voided:
        raise LedgerError(_("Transfer ini sudah dibatalkan."), "reason")
    refuse_overdraft(  # the receiver gives the money back
        receiver,
        funds[receiver.id],
        moved.amount,
        today,
        lambda available: LedgerError(
            _(
                "Pembatalan ditolak: sekolah penerima sudah memakai dana ini (saldo yang "
                "tersedia di sana %(balance)s).",
                balance=format_rupiah(available),
            ),
            "reason",
        ),
    )
    pair = halves(moved)
    for school, original, key in (
        (receiver, pair[EntryKind.TRANSFER_IN], in_key),
        (giver, pair[EntryKind.TRANSFER_OUT], out_key),
    ):
        reversal = append_reversal(
            school, funds[school.id], original, reason, recorded_by, key, today
        )
        audit.record(
            "transfer.voided",
            target=f"transfer:{moved.id}",
            school_id=school.id,
            detail=f"no={reversal.number} voids=entry:{original.id} ({original.number}) "
            f"amount={reversal.amount}",
            actor=recorded_by,
        )
    moved.voided_on = today
    moved.voided_at = datetime.now(UTC)
    moved.voided_by_id = recorded_by.id
    moved.void_reason = reason
    if moved.request_id is not None:
        request = lock_request(moved.request_id)
        request.received -= moved.amount
        if request.status == RequestStatus.FULFILLED and request.closed_by_id is None:
            request.status = RequestStatus.OPEN  # covered by transfers only: needed again
            request.closed_at = None
    db.session.flush()
    return moved
