"""Sekolah Asuh Sekolah: requests for help posted to the kabupaten, and transfers between two
schools' funds.

A transfer is written as two ledger entries (``Entry.transfer_id``): a transfer out in the
giving school's ledger and a transfer in in the receiving school's, appended in one transaction
by ``sas.transfers.moving``. The row here ties them together and says where the money went; it
changes only when the pair is voided. A request's ``received`` is the sum of the transfers
against it that were not voided, kept under a lock on the request row.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model
from sas.models.approvals import PendingStatus
from sas.models.ledger import Category
from sas.models.places import School, str_enum

if TYPE_CHECKING:
    from sas.models.people import User


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"  # ditarik by the school that asked
    FULFILLED = "fulfilled"  # terpenuhi: covered by transfers, or marked so by the school


class HelpRequest(Model):
    """A school's need posted to every school of its kabupaten. The description is shown to
    other schools: it must not name a child (the form says so; ``refuse_child_name``)."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    amount: Mapped[int]  # asked for, whole Rupiah
    received: Mapped[int] = mapped_column(default=0)  # transfers against it, net of voids
    category: Mapped[Category] = mapped_column(str_enum(Category, "help_request_category"))
    description: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None]
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "help_request_status"), default=RequestStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # who withdrew it or marked it fulfilled; None while open or when transfers covered it
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    school: Mapped[School] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("received >= 0 AND received <= amount", name="received_within_amount"),
        Index("ix_help_requests_status", "status", "school_id"),
    )

    @property
    def remaining(self) -> int:
        return self.amount - self.received


class Transfer(Model):
    """Money moved from one school's fund to another's of the same kabupaten."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    to_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    amount: Mapped[int]
    occurred_on: Mapped[date]  # the date in Asia/Jakarta of both halves
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # the form that sent it; its halves carry ``<form_key>:out`` and ``<form_key>:in``
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    # a voided pair: both halves reversed by two corrections dated ``voided_on``
    voided_on: Mapped[date | None]
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    from_school: Mapped[School] = relationship(foreign_keys=[from_school_id])
    to_school: Mapped[School] = relationship(foreign_keys=[to_school_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    request: Mapped[HelpRequest | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_school_id <> to_school_id", name="between_two_schools"),
        CheckConstraint(
            "(voided_on IS NULL AND voided_at IS NULL AND void_reason IS NULL)"
            " OR (voided_on IS NOT NULL AND voided_at IS NOT NULL AND void_reason IS NOT NULL)",
            name="voided_with_reason",
        ),
        Index("ix_transfers_occurred_on", "occurred_on"),
    )

    @property
    def voided(self) -> bool:
        return self.voided_on is not None


class PendingTransfer(Model):
    """A transfer at or above the giving school's approval threshold, waiting for a different
    committee member of that school (as ``PendingDisbursement`` does). It is in neither ledger
    and the receiving school sees nothing of it: it reserves its amount on the giver's fund
    (``Fund.reserved``) until it is approved (then its ``Transfer`` is made, dated the day of
    approval) or rejected. ``school_id`` is the giving school, whose committee decides."""

    __tablename__ = "pending_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    to_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    amount: Mapped[int]
    requested_on: Mapped[date]  # WIB date it was recorded
    request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PendingStatus] = mapped_column(
        str_enum(PendingStatus, "pending_transfer_status"), default=PendingStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected (or lapsed)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), unique=True)

    school: Mapped[School] = relationship(foreign_keys=[school_id])
    to_school: Mapped[School] = relationship(foreign_keys=[to_school_id])
    request: Mapped[HelpRequest | None] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    transfer: Mapped[Transfer | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("school_id <> to_school_id", name="between_two_schools"),
        CheckConstraint(
            "(status = 'pending' AND decided_by_id IS NULL AND transfer_id IS NULL)"
            " OR (status = 'approved' AND decided_by_id IS NOT NULL AND transfer_id IS NOT NULL"
            "     AND decided_by_id <> recorded_by_id)"
            " OR (status = 'rejected' AND decided_by_id IS NOT NULL AND reason IS NOT NULL"
            "     AND transfer_id IS NULL)",
            name="status_fields",
        ),
        Index("ix_pending_transfers_school_status", "school_id", "status"),
    )
