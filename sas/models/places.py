"""Regions (Kemendagri codes) and schools (NPSN)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sas.extensions import Model

if TYPE_CHECKING:
    from sas.models.ledger import Fund


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value in a portable VARCHAR with a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class RegionLevel(enum.StrEnum):
    KABUPATEN = "kabupaten"
    KECAMATAN = "kecamatan"


class Jenjang(enum.StrEnum):
    SD = "SD"
    MI = "MI"
    SMP = "SMP"
    MTS = "MTs"
    SMA = "SMA"
    SMK = "SMK"
    MA = "MA"
    SLB = "SLB"


class SchoolStatus(enum.StrEnum):
    NEGERI = "negeri"
    SWASTA = "swasta"


class Region(Model):
    """A kabupaten/kota (``35.10``) or a kecamatan (``35.10.01``) inside one."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "region_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(
            "(level = 'kabupaten' AND parent_id IS NULL) OR "
            "(level = 'kecamatan' AND parent_id IS NOT NULL)",
            name="level_parent",
        ),
    )


class School(Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    npsn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    jenjang: Mapped[Jenjang] = mapped_column(str_enum(Jenjang, "jenjang"))
    status: Mapped[SchoolStatus] = mapped_column(str_enum(SchoolStatus, "school_status"))
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A disbursement of at least this many Rupiah waits for a second committee member.
    approval_threshold: Mapped[int] = mapped_column(default=500_000, server_default="500000")

    kecamatan: Mapped[Region] = relationship()
    fund: Mapped[Fund] = relationship(back_populates="school")
