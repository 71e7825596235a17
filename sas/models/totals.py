"""Running totals kept beside the ledger so that reports never scan it.

Every row here is changed only by the ledger kernel (``sas.ledger``), in the same transaction as
the entry that causes the change, and can always be rebuilt from the ledger (``flask sas
rebuild-totals``; ``flask sas check-totals`` compares). Amounts are net of voids, counted in
the month (and school year) where each entry or void is dated, so a closed month's figures
never change.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from sas.extensions import Model
from sas.models.ledger import Category
from sas.models.places import str_enum


class MonthTotal(Model):
    """Per school and month (the first day of the month)."""

    __tablename__ = "month_totals"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    collected: Mapped[int] = mapped_column(default=0)
    disbursed: Mapped[int] = mapped_column(default=0)
    disbursed_in_kind: Mapped[int] = mapped_column(default=0)
    # money moved between schools (Sekolah Asuh Sekolah): neither collected nor given to students
    transferred_in: Mapped[int] = mapped_column(default=0, server_default="0")
    transferred_out: Mapped[int] = mapped_column(default=0, server_default="0")
    entries: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_month_totals_month", "month"),)


class YearTotal(Model):
    """Per school and school year (``year`` is the year of its 1 July), plus students helped."""

    __tablename__ = "year_totals"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    collected: Mapped[int] = mapped_column(default=0)
    disbursed: Mapped[int] = mapped_column(default=0)
    disbursed_in_kind: Mapped[int] = mapped_column(default=0)
    # money moved between schools (Sekolah Asuh Sekolah): neither collected nor given to students
    transferred_in: Mapped[int] = mapped_column(default=0, server_default="0")
    transferred_out: Mapped[int] = mapped_column(default=0, server_default="0")
    entries: Mapped[int] = mapped_column(default=0)
    # distinct recipients with at least one disbursement of the year that was not voided
    helped: Mapped[int] = mapped_column(default=0)
    # months of the year closed by their deadline (from ``month_closings``): with 12, the whole
    # year was reported on time, one comparison instead of twelve closings per school
    on_time_months: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (Index("ix_year_totals_year", "year"),)


class CategoryTotal(Model):
    """Disbursed per school, month and need category (net of voids)."""

    __tablename__ = "category_totals"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(
        str_enum(Category, "category_total_category"), primary_key=True
    )
    amount: Mapped[int] = mapped_column(default=0)
    in_kind: Mapped[int] = mapped_column(default=0)


class YearCategoryTotal(Model):
    """Disbursed per school, school year and need category (net of voids): a whole year's
    categories from at most one row per category, however many months hold entries."""

    __tablename__ = "year_category_totals"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(
        str_enum(Category, "year_category_total_category"), primary_key=True
    )
    amount: Mapped[int] = mapped_column(default=0)
    in_kind: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_year_category_totals_year", "year"),)


class RecipientMonth(Model):
    """How many disbursements (not voided) a recipient received in a month: distinct counts."""

    __tablename__ = "recipient_months"

    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    disbursements: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_recipient_months_school_month", "school_id", "month"),)
