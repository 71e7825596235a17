"""A second approver for large transfers to another school, as for large disbursements.

A transfer of at least the giving school's approval threshold is not written when it is sent:
it waits as a ``PendingTransfer`` and reserves its amount on the giver's fund, and the
receiving school sees nothing of it. A different committee member of the giving school approves
it (then both funds are locked, the lower school id first as every transfer does, and the pair
is written by ``moving.transfer`` with all its checks, dated the day of approval) or either
of them rejects it (``approvals.reject``). If the transfer can no longer be made when it is
approved (its request was filled or closed meanwhile, the receiving school left), it lapses:
the approval is refused, the reservation goes and the row says why.

Who may decide, the reload under the lock and rejecting are ``sas.approvals.services``'s. The
caller commits once.
"""

from __future__ import annotations

from datetime import date
from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import select

from sas import audit
from sas.approvals.services import (
    DuplicateRequest,
    NotAllowed,
    decide,
    refuse_outsider,
    reload_undecided,
)
from sas.extensions import db
from sas.ledger import (
    LedgerError,
    check_amount,
    check_entry_date,
    lock_fund,
    refuse_child_name,
    refuse_overdraft,
    release,
    reserve,
)
from sas.models import (
    Fund,
    HelpRequest,
    PendingStatus,
    PendingTransfer,
    School,
    Transfer,
    User,
)
from sas.money import format_rupiah
from sas.transfers import moving


class Lapsed(LedgerError):
    """The approval came too late: the transfer can no longer be made. The row was set aside
    and its money released; the caller commits that and shows the message."""


def request_transfer(
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
) -> PendingTransfer:
    """Record a large transfer as waiting for approval and reserve its amount on the giver's
    fund. The checks of a transfer, now; they run again at approval, which dates it."""
    check_amount(amount)
    check_entry_date(occurred_on, today)
    if occurred_on != today:
        raise LedgerError(
            _(
                "Transfer sebesar ini menunggu persetujuan dan dicatat pada tanggal "
                "persetujuan; isi tanggal hari ini."
            ),
            "occurred_on",
        )
    moving.check_receiver(giver, receiver)
    if request is not None and request.school_id != receiver.id:
        raise LedgerError(_("Permintaan bantuan tidak ditemukan."), "request")
    refuse_child_name(giver, note, "note")
    refuse_outsider(giver, recorded_by)
    if not form_key or len(form_key) > 64:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."))
    fund = lock_fund(giver)
    waiting = db.session.scalar(select(PendingTransfer).where(PendingTransfer.form_key == form_key))
    if waiting is not None:
        raise DuplicateRequest(waiting)
    done = db.session.scalar(select(Transfer).where(Transfer.form_key == form_key))
    if done is not None:
        raise moving.DuplicateTransfer(done)
    refuse_overdraft(giver, fund, amount, today)
    if request is not None:  # read, not locked: nothing of it changes until approval
        db.session.refresh(request)
        moving.check_request(request, amount)
    pending = PendingTransfer(
        school_id=giver.id,
        to_school_id=receiver.id,
        amount=amount,
        requested_on=today,
        request_id=request.id if request is not None else None,
        note=(note or "").strip() or None,
        recorded_by_id=recorded_by.id,
        form_key=form_key,
        status=PendingStatus.PENDING,
    )
    reserve(fund, amount)
    db.session.add(pending)
    db.session.flush()
    audit.record(
        "transfer.requested",
        target=f"pending_transfer:{pending.id}",
        school_id=giver.id,
        detail=_detail(pending),
        actor=recorded_by,
    )
    return pending


def approve(
    giver: School,
    pending: PendingTransfer,
    *,
    approved_by: User,
    form_key: str,
    today: date,
) -> Transfer:
    """Make a waiting transfer: its pair joins both ledgers dated ``today`` (WIB), recorded
    by the one who asked and approved by ``approved_by``; the reservation goes. Raises
    ``Lapsed`` (after releasing the money) when it can no longer be made."""
    refuse_outsider(giver, approved_by)
    receiver = pending.to_school
    funds = moving.lock_both(giver, receiver)
    done = db.session.scalar(select(Transfer).where(Transfer.form_key == form_key))
    if done is not None:  # the same approval sent twice
        raise moving.DuplicateTransfer(done)
    pending = reload_undecided(giver, pending)
    if pending.recorded_by_id == approved_by.id:
        raise NotAllowed(_("Transfer yang Anda catat sendiri harus disetujui anggota lain."))
    request = None
    try:
        moving.check_receiver(giver, receiver)
        # a recipient named like the note since it was sent: it lapses, it does not stick
        refuse_child_name(giver, pending.note, "note")
        if pending.request_id is not None:
            request = moving.lock_request(pending.request_id)
            moving.check_request(request, pending.amount)
    except LedgerError as error:
        _lapse(funds[giver.id], pending, approved_by, str(error))
    release(funds[giver.id], pending.amount)  # before the pair spends it
    db.session.flush()
    moved = moving.transfer(
        giver,
        receiver,
        amount=pending.amount,
        occurred_on=today,
        request=request,
        note=pending.note,
        recorded_by=pending.recorded_by,
        form_key=form_key,
        today=today,
        approved_by=approved_by,
    )
    decide(pending, PendingStatus.APPROVED, approved_by)
    pending.transfer_id = moved.id
    db.session.flush()
    audit.record(
        "transfer.approved",
        target=f"pending_transfer:{pending.id}",
        school_id=giver.id,
        detail=f"transfer=transfer:{moved.id} {_detail(pending)}",
        actor=approved_by,
    )
    return moved


def _lapse(fund: Fund, pending: PendingTransfer, approved_by: User, why: str) -> NoReturn:
    """Set aside a transfer that can no longer be made, release its money, say why."""
    message = " ".join(
        (
            why,
            _(
                "Transfer ini tidak dikirim; %(amount)s kembali tersedia.",
                amount=format_rupiah(pending.amount),
            ),
        )
    )
    release(fund, pending.amount)
    decide(pending, PendingStatus.REJECTED, approved_by, message)
    db.session.flush()
    audit.record(
        "transfer.rejected",
        target=f"pending_transfer:{pending.id}",
        school_id=fund.school_id,
        detail=f"lapsed {_detail(pending)}",
        actor=approved_by,
    )
    raise Lapsed(message)


def _detail(pending: PendingTransfer) -> str:
    """Amounts and ids only: the note is free text and stays on the row."""
    return (
        f"amount={pending.amount} to=school:{pending.to_school_id} "
        f"recorded_by=user:{pending.recorded_by_id}"
        + (f" request=request:{pending.request_id}" if pending.request_id is not None else "")
    )
