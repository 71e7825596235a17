"""A second approver for large disbursements (a school's approval threshold).

Large transfers to another school wait the same way (``sas.transfers.approvals``): what
both share (who may decide, the reload under the lock, rejecting) takes either kind here.

A disbursement of at least the school's threshold is not written to the ledger when it is
recorded: it waits as a ``PendingDisbursement`` and reserves its amount on the fund
(``Fund.reserved``), so no other payment can spend that money. A different committee member of
the same school approves it (then its entry joins the ledger through ``ledger.append``, dated
the day of approval) or either of them rejects it; both release the reservation.

Every write here follows the ledger's pattern: lock the fund, refuse a reused form key, check,
write, ``flush``. The caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from sas import audit
from sas.authz import is_committee_of
from sas.extensions import db
from sas.ledger import (
    InsufficientBalance,
    LedgerError,
    append,
    available_on,
    check_amount,
    check_disbursement,
    check_recipient,
    lock_fund,
    refuse_overdraft,
    refuse_reused_key,
    release,
    reserve,
)
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import (
    Attachment,
    Category,
    Direction,
    Entry,
    EntryKind,
    PendingDisbursement,
    PendingStatus,
    PendingTransfer,
    Recipient,
    School,
    User,
)

# What a second committee member decides on: each reserves its amount on ``school_id``'s fund.
Waiting = PendingDisbursement | PendingTransfer
W = TypeVar("W", PendingDisbursement, PendingTransfer)


class DuplicateRequest(Exception):
    """The form was already submitted once; ``pending`` is what it created."""

    def __init__(self, pending: Waiting) -> None:
        self.pending = pending
        super().__init__(pending.id)


class NotAllowed(LedgerError):
    """The user may not decide on this disbursement (the recorder approving, a teacher...)."""


class AlreadyDecided(LedgerError):
    """Someone approved or rejected it first (another tab, another member at the same time)."""

    def __init__(self, pending: Waiting) -> None:
        self.pending = pending
        approved = pending.status == PendingStatus.APPROVED
        if isinstance(pending, PendingTransfer):
            message = (
                _("Transfer ini sudah disetujui.") if approved else _("Transfer ini sudah ditolak.")
            )
        elif approved:
            message = _("Uang keluar ini sudah disetujui.")
        else:
            message = _("Uang keluar ini sudah ditolak.")
        super().__init__(message)


def needs_approval(school: School, amount: int) -> bool:
    """At or above the school's threshold, a disbursement waits for a second member."""
    return amount >= school.approval_threshold


def set_threshold(school: School, amount: int, *, changed_by: User) -> bool:
    """Set the amount from which a disbursement or a transfer needs a second committee member
    (Rp1 up to the per-transaction maximum: Rp1 means every one). Returns whether it changed."""
    check_amount(amount)
    refuse_outsider(school, changed_by)
    old = school.approval_threshold
    if amount == old:
        return False
    school.approval_threshold = amount
    db.session.flush()
    audit.record(
        "school.threshold_changed",
        target=f"school:{school.id}",
        school_id=school.id,
        detail=f"from={old} to={amount}",
        actor=changed_by,
    )
    return True


def request_disbursement(
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
) -> PendingDisbursement:
    """Record a large disbursement as waiting for approval and reserve its amount.

    The same checks as ``record_disbursement``; the money must be available now, net of what
    is already reserved. Its entry will be dated the day of approval, so it cannot be
    back-dated.
    """
    check_disbursement(school, amount, occurred_on, recipient, today)
    if occurred_on != today:
        raise LedgerError(
            _(
                "Uang keluar sebesar ini menunggu persetujuan dan dicatat pada tanggal "
                "persetujuan; isi tanggal hari ini."
            ),
            "occurred_on",
        )
    refuse_outsider(school, recorded_by)
    fund = lock_fund(school)
    refuse_reused_key(form_key)
    refuse_reused_request_key(form_key)
    refuse_overdraft(school, fund, amount, today)
    pending = PendingDisbursement(
        school_id=school.id,
        amount=amount,
        requested_on=today,
        recipient_id=recipient.id,
        category=category,
        in_kind=in_kind,
        description=(description or "").strip() or None,
        recorded_by_id=recorded_by.id,
        form_key=form_key,
        status=PendingStatus.PENDING,
    )
    reserve(fund, amount)
    db.session.add(pending)
    db.session.flush()
    audit.record(
        "disbursement.requested",
        target=f"pending:{pending.id}",
        school_id=school.id,
        detail=f"amount={amount} category={category.value} "
        f"in_kind={'yes' if in_kind else 'no'} recipient=recipient:{recipient.id}",
        actor=recorded_by,
    )
    return pending


def approve(
    school: School,
    pending: PendingDisbursement,
    *,
    approved_by: User,
    form_key: str,
    today: date,
) -> Entry:
    """Make a waiting disbursement final: its entry joins the ledger dated ``today`` (WIB),
    recorded by the one who asked and approved by ``approved_by``; the reservation goes."""
    refuse_outsider(school, approved_by)
    fund = lock_fund(school)
    refuse_reused_key(form_key)  # the same approval sent twice: DuplicateSubmission
    pending = reload_undecided(school, pending)
    if pending.recorded_by_id == approved_by.id:
        raise NotAllowed(_("Uang keluar yang Anda catat sendiri harus disetujui anggota lain."))
    check_recipient(school, pending.recipient)
    # The reserved money is part of the balance; this only fails if the ledger was changed
    # around the rules.
    available = available_on(school, today)
    if pending.amount > available:
        raise InsufficientBalance(available)
    release(fund, pending.amount)  # before the entry lowers the balance
    entry = append(  # refuses a closed month (today never is)
        school,
        fund,
        Entry(
            kind=EntryKind.DISBURSEMENT,
            direction=Direction.OUT,
            amount=pending.amount,
            occurred_on=today,
            recipient_id=pending.recipient_id,
            category=pending.category,
            in_kind=pending.in_kind,
            description=pending.description,
            recorded_by_id=pending.recorded_by_id,
            approved_by_id=approved_by.id,
            form_key=form_key,
        ),
    )
    decide(pending, PendingStatus.APPROVED, approved_by)
    pending.entry_id = entry.id
    db.session.execute(
        update(Attachment)
        .where(Attachment.pending_id == pending.id, Attachment.entry_id.is_(None))
        .values(entry_id=entry.id)
    )
    db.session.flush()
    audit.record(
        "disbursement.approved",
        target=f"pending:{pending.id}",
        school_id=school.id,
        detail=f"no={entry.number} entry=entry:{entry.id} amount={entry.amount} "
        f"recorded_by=user:{pending.recorded_by_id}",
        actor=approved_by,
    )
    return entry


def decide(pending: W, status: PendingStatus, by: User, reason: str | None = None) -> None:
    """Mark a waiting disbursement or transfer approved or rejected by ``by``, now (its money
    is the caller's to move)."""
    pending.status = status
    pending.decided_by_id = by.id
    pending.decided_at = datetime.now(UTC)
    if reason is not None:
        pending.reason = reason


def reject(school: School, pending: W, *, rejected_by: User, reason: str) -> W:
    """Refuse a waiting disbursement or transfer (the recorder may withdraw it too); nothing
    joins the ledger and the reservation goes."""
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Alasan penolakan wajib diisi."), "reason")
    refuse_outsider(school, rejected_by)
    fund = lock_fund(school)
    pending = reload_undecided(school, pending)
    release(fund, pending.amount)
    decide(pending, PendingStatus.REJECTED, rejected_by, reason)
    db.session.flush()
    # The reason is free text and may name a child: it stays on the row, not in the log.
    action, target = audit_names(pending)
    audit.record(
        f"{action}.rejected",
        target=target,
        school_id=school.id,
        detail=f"amount={pending.amount} recorded_by=user:{pending.recorded_by_id}",
        actor=rejected_by,
    )
    return pending


def audit_names(pending: Waiting) -> tuple[str, str]:
    """The audit log's action prefix and target for a waiting item of either kind."""
    if isinstance(pending, PendingTransfer):
        return "transfer", f"pending_transfer:{pending.id}"
    return "disbursement", f"pending:{pending.id}"


def refuse_outsider(school: School, user: User) -> None:
    """Only an active committee member of ``school`` asks, approves or rejects."""
    if not is_committee_of(user, school.id):
        raise NotAllowed(_("Hanya anggota komite sekolah ini yang dapat melakukannya."))


def refuse_reused_request_key(form_key: str) -> None:
    """A form key that already made a waiting disbursement: DuplicateRequest (also when the
    form is sent again after the threshold changed and it would no longer wait)."""
    existing = db.session.scalar(
        select(PendingDisbursement).where(PendingDisbursement.form_key == form_key)
    )
    if existing is not None:
        raise DuplicateRequest(existing)


def reload_undecided(school: School, pending: W) -> W:
    """The row as it is now, read under the fund lock (another member may have decided)."""
    model = type(pending)
    current = db.session.scalar(
        select(model)
        .where(model.id == pending.id, model.school_id == school.id)
        .execution_options(populate_existing=True)
    )
    if current is None:
        raise LedgerError(_("Catatan uang keluar tidak ditemukan."))
    if current.status != PendingStatus.PENDING:
        raise AlreadyDecided(current)
    return current


def describe_pending(pending: Waiting) -> str:
    """Its Uraian, as its entry will read (school-internal: names the recipient)."""
    if isinstance(pending, PendingTransfer):
        text = _("Transfer keluar ke %(school)s", school=pending.to_school.name)
        return f"{text} — {pending.note}" if pending.note else text
    text = _(
        "%(category)s untuk %(name)s (%(how)s)",
        category=CATEGORY_LABELS[pending.category],
        name=pending.recipient.name,
        how=_("barang") if pending.in_kind else _("tunai"),
    )
    return f"{text} — {pending.description}" if pending.description else text


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
    waiting: list[Waiting] = [*disbursements, *moves]
    items = sorted(
        waiting,
        key=lambda p: (p.requested_on, isinstance(p, PendingTransfer), p.id),
    )
    return [PendingLine(item, (today - item.requested_on).days) for item in items]
