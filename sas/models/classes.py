"""A school's classes (rombongan belajar): the rows of the class-collection form.

A class is added, renamed and retired by the committee, never deleted: entries keep the label
they were recorded with, so renaming "8B" to "8 Bahari" changes no cash book line.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sas.extensions import Model


class SchoolClass(Model):
    __tablename__ = "school_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))  # indexed by the UNIQUE
    label: Mapped[str] = mapped_column(String(20))  # as entries store it: "8B", "XI IPA 2"
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )

    __table_args__ = (
        UniqueConstraint("school_id", "label", name="uq_school_classes_school_label"),
        CheckConstraint("label <> ''", name="label_not_empty"),
    )
