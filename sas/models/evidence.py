"""Evidence attached to a disbursement: a photo or PDF of a receipt or of the item handed over.

Files live outside ``static/`` under random names (``EVIDENCE_FOLDER``); this table knows which
file belongs to which entry, its SHA-256 and who added it. A file is never replaced or removed:
a wrong one is marked superseded, with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model

if TYPE_CHECKING:
    from sas.models.ledger import Entry
    from sas.models.people import User


class Attachment(Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # the disbursement it documents; or, while it waits, the pending disbursement
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
    pending_id: Mapped[int | None] = mapped_column(ForeignKey("pending_disbursements.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random, no extension
    content_type: Mapped[str] = mapped_column(String(40))  # image/jpeg, image/png, ...
    size: Mapped[int]  # bytes as stored (after re-encoding)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored bytes
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_reason: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[Entry | None] = relationship()
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])
    superseded_by: Mapped[User | None] = relationship(foreign_keys=[superseded_by_id])

    __table_args__ = (
        CheckConstraint("entry_id IS NOT NULL OR pending_id IS NOT NULL", name="attached"),
        CheckConstraint(
            "(superseded_at IS NULL AND superseded_reason IS NULL)"
            " OR (superseded_at IS NOT NULL AND superseded_reason IS NOT NULL)",
            name="superseded_with_reason",
        ),
        Index("ix_attachments_entry", "entry_id"),
        Index("ix_attachments_school", "school_id"),
    )
