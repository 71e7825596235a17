"""Committee handover at the end of a term: a snapshot kept for printing, never changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model

if TYPE_CHECKING:
    from sas.models.people import User
    from sas.models.places import School


class CommitteeHandover(Model):
    """An admin ended a school's committee term: what the next committee takes over."""

    __tablename__ = "committee_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year: Mapped[int]  # the year of the term's 1 July
    ended_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    ended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    balance: Mapped[int]  # carried over unchanged to the next committee
    collected: Mapped[int]  # in the school year, net of voids
    disbursed: Mapped[int]
    # months of the school year that had ended but were not closed, as "YYYY-MM"
    open_months: Mapped[list[str]] = mapped_column(JSON)
    # who served: [{"username", "display_name", "created_at", "last_login_at"}] (ISO dates)
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    school: Mapped[School] = relationship()
    ended_by: Mapped[User] = relationship()
