"""The append-only ledger: one row per entry, never updated or deleted.

The rules that write these rows live in the ledger kernel (``sas.ledger``); the database backs
the most important of them with constraints (positive amounts, one void per entry, one entry
per form key, a fund balance that cannot go below zero).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model
from sas.models.append_only import protect
from sas.models.places import School, str_enum

if TYPE_CHECKING:
    from sas.models.people import User
    from sas.models.recipients import Recipient
    from sas.models.transfers import Transfer


class EntryKind(enum.StrEnum):
    CONTRIBUTION = "contribution"  # pemasukan
    DISBURSEMENT = "disbursement"  # penyaluran
    VOID = "void"  # koreksi: reverses one earlier entry
    # Sekolah Asuh Sekolah: one transfer is two entries, one in each school's ledger
    TRANSFER_OUT = "transfer_out"  # transfer keluar, at the giving school
    TRANSFER_IN = "transfer_in"  # transfer masuk, at the receiving school


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Source(enum.StrEnum):
    CLASS = "class"  # collected per class by the bendahara kelas
    INDIVIDUAL = "individual"
    ANONYMOUS = "anonymous"
    OTHER = "other"


class Category(enum.StrEnum):
    """Needs that government aid does not cover (DOMAIN.md)."""

    SERAGAM = "seragam"
    SEPATU = "sepatu"
    TAS = "tas"
    ALAT_TULIS = "alat_tulis"
    SEPEDA = "sepeda"
    KACAMATA = "kacamata"
    UANG_SAKU = "uang_saku"
    TRANSPORT = "transport"
    KUOTA = "kuota"
    SEMBAKO = "sembako"
    MUSIBAH = "musibah"
    BEASISWA = "beasiswa"
    LAINNYA = "lainnya"


class Fund(Model):
    """One row per school: the lock that serialises its writers and its current balance."""

    __tablename__ = "funds"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)
    last_seq: Mapped[int] = mapped_column(default=0)
    # The last day of the latest closed month: nothing may be dated on or before it.
    closed_through: Mapped[date | None]
    # The hash of the school's latest entry (``sas.ledger.chain``); None before the first.
    chain_head: Mapped[str | None] = mapped_column(String(64))
    # Held for disbursements waiting for a second approver: part of the balance, not available.
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")

    school: Mapped[School] = relationship(back_populates="fund")

    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= balance", name="reserved_within_balance"),
    )

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class Entry(Model):
    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    seq: Mapped[int]  # per school, in recording order; the No Bukti
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "entry_kind"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    amount: Mapped[int]  # whole Rupiah, always positive; direction says which way
    occurred_on: Mapped[date]  # the date in Asia/Jakarta
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str] = mapped_column(String(64), unique=True)

    # contribution
    source: Mapped[Source | None] = mapped_column(str_enum(Source, "source"))
    class_label: Mapped[str | None] = mapped_column(String(20))
    donor_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # disbursement (a void of a disbursement repeats its category for the cash book filter)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    category: Mapped[Category | None] = mapped_column(str_enum(Category, "category"))
    in_kind: Mapped[bool | None]
    description: Mapped[str | None] = mapped_column(Text)
    # void
    voids_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # a disbursement approved by a second committee member (``sas.approvals``)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the transfer between two schools (``sas.transfers.moving``) that this entry is one half
    # of, or whose half it voids; None for everything else
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))

    # The kuitansi number: per school and school year (of ``occurred_on``), from 1, no gaps.
    receipt_year: Mapped[int]
    receipt_no: Mapped[int]
    # The chain (``sas.ledger.chain``): SHA-256 of the previous entry's hash and this entry's
    # canonical content. The first entry of a school follows ``chain.GENESIS``.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    school: Mapped[School] = relationship()
    recipient: Mapped[Recipient | None] = relationship()
    voids: Mapped[Entry | None] = relationship(
        remote_side=[id], back_populates="voided_by", foreign_keys=[voids_entry_id]
    )
    voided_by: Mapped[Entry | None] = relationship(
        back_populates="voids", foreign_keys=[voids_entry_id], uselist=False
    )
    transfer: Mapped[Transfer | None] = relationship(foreign_keys=[transfer_id])

    __table_args__ = (
        UniqueConstraint("school_id", "seq", name="uq_entries_school_seq"),
        UniqueConstraint(
            "school_id", "receipt_year", "receipt_no", name="uq_entries_school_receipt"
        ),
        Index("ix_entries_school_date", "school_id", "occurred_on", "seq"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'contribution' AND direction = 'in' AND source IS NOT NULL)"
            " OR (kind = 'disbursement' AND direction = 'out' AND recipient_id IS NOT NULL"
            "     AND category IS NOT NULL AND in_kind IS NOT NULL)"
            " OR (kind = 'void' AND voids_entry_id IS NOT NULL AND reason IS NOT NULL)"
            " OR (kind = 'transfer_out' AND direction = 'out' AND transfer_id IS NOT NULL)"
            " OR (kind = 'transfer_in' AND direction = 'in' AND transfer_id IS NOT NULL)",
            name="kind_fields",
        ),
        # a transfer has one half in each school and at most one void of each half
        UniqueConstraint("transfer_id", "kind", "direction", name="uq_entries_transfer_half"),
    )

    @property
    def number(self) -> str:
        """The No Bukti: BKM (kas masuk), BKK (kas keluar), KOR (koreksi), TRK (transfer keluar)
        or TRM (transfer masuk) and the sequence."""
        prefix = {
            "contribution": "BKM",
            "disbursement": "BKK",
            "void": "KOR",
            "transfer_out": "TRK",
            "transfer_in": "TRM",
        }[self.kind]
        return f"{prefix}-{self.seq:04d}"

    @property
    def receipt_number(self) -> str:
        """The kuitansi number, e.g. ``SAS/20525555/2025-2026/0042``."""
        year = f"{self.receipt_year}-{self.receipt_year + 1}"
        return f"SAS/{self.school.npsn}/{year}/{self.receipt_no:04d}"

    @property
    def is_void(self) -> bool:
        return self.kind == EntryKind.VOID

    @property
    def is_transfer(self) -> bool:
        """One half of a transfer between schools: voided only as a pair, from the transfer."""
        return self.kind in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)

    @property
    def can_be_voided(self) -> bool:
        return not self.is_void and not self.is_transfer and self.voided_by is None

    @property
    def signed_amount(self) -> int:
        return self.amount if self.direction == Direction.IN else -self.amount


protect(Entry.__table__)
