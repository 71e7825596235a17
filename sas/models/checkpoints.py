"""Signed checkpoints of every school's hash chain (``sas.checkpoints``). Append-only.

Each row keeps the signed payload exactly as signed (canonical JSON), its Ed25519 signature and
the public key (raw, hex) it verifies with; the private key never enters the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sas.extensions import Model
from sas.models.append_only import protect


class Checkpoint(Model):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC), index=True
    )
    payload: Mapped[str] = mapped_column(Text)  # the canonical JSON that was signed
    signature: Mapped[str] = mapped_column(String(128))  # hex
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519, hex
    root: Mapped[str] = mapped_column(String(64))  # the payload's Merkle root, for listing
    schools: Mapped[int]  # how many schools the payload names


protect(Checkpoint.__table__)
