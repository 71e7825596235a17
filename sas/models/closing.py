"""Monthly closing (tutup buku): who closed which month of a school's book, and when."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model

if TYPE_CHECKING:
    from sas.models.people import User


class MonthClosing(Model):
    __tablename__ = "month_closings"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month
    closed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # closed by the 10th of the next month (in WIB): the district's deadline for the report
    on_time: Mapped[bool]
    # The chain head when the month was closed (``sas.ledger.chain``): printed on the monthly
    # report as a fingerprint, so a signed paper copy can be checked against the database.
    chain_head: Mapped[str | None] = mapped_column(String(64))
    chain_seq: Mapped[int | None]

    closed_by: Mapped[User | None] = relationship()
