"""The audit log: who did what, when, from where, to which object. Append-only.

Rows are only ever inserted (``sas.audit.record``); the database itself refuses UPDATE and
DELETE on the table with triggers, on SQLite and PostgreSQL alike (``sas.models.append_only``).
A recipient is referred to by id, never by name.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sas.extensions import Model
from sas.models.append_only import protect


class AuditEvent(Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    # who: the account (None for an unknown username) and the name as typed or as it was then
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))  # e.g. "login.failed", "entry.voided"
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    target: Mapped[str | None] = mapped_column(String(80))  # e.g. "entry:123", "recipient:7"
    detail: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(64))  # the client's IP address

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_school_at", "school_id", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )


protect(AuditEvent.__table__)
