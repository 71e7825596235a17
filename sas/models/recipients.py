"""Needy students of a school. Personal data: only that school's committee and teacher see it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sas.extensions import Model


class Recipient(Model):
    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    class_label: Mapped[str] = mapped_column(String(20), default="")
    nisn: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
