"""Disbursements waiting for a second committee member (a school's approval threshold).

A pending disbursement is not in the ledger yet: it reserves its amount on the fund
(``Fund.reserved``) until a different committee member of the school approves it (then the
ledger entry is appended, dated the day of approval) or either of them rejects it.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model
from sas.models.ledger import Category
from sas.models.places import str_enum

if TYPE_CHECKING:
    from sas.models.ledger import Entry
    from sas.models.people import User
    from sas.models.recipients import Recipient


class PendingStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PendingDisbursement(Model):
    __tablename__ = "pending_disbursements"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    amount: Mapped[int]
    requested_on: Mapped[date]  # WIB date it was recorded
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"))
    category: Mapped[Category] = mapped_column(str_enum(Category, "pending_category"))
    in_kind: Mapped[bool]
    description: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PendingStatus] = mapped_column(
        str_enum(PendingStatus, "pending_status"), default=PendingStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), unique=True)

    recipient: Mapped[Recipient] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    entry: Mapped[Entry | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(status = 'pending' AND decided_by_id IS NULL AND entry_id IS NULL)"
            " OR (status = 'approved' AND decided_by_id IS NOT NULL AND entry_id IS NOT NULL"
            "     AND decided_by_id <> recorded_by_id)"
            " OR (status = 'rejected' AND decided_by_id IS NOT NULL AND reason IS NOT NULL"
            "     AND entry_id IS NULL)",
            name="status_fields",
        ),
        Index("ix_pending_disbursements_school_status", "school_id", "status"),
    )
