"""year category totals and on-time months per school year

Two running totals so that a whole school year's district report reads one row per school
instead of every month: disbursed per school, school year and need category, and how many of a
school year's months were closed by their deadline. Both are filled here from what the database
already holds (``category_totals`` and ``month_closings``), so ``flask sas check-totals`` agrees
right after the upgrade.

Revision ID: 3c1f2a7d9b10
Revises: 8280eb115f68
Create Date: 2026-11-27 21:40:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "3c1f2a7d9b10"
down_revision = "8280eb115f68"
branch_labels = None
depends_on = None

CATEGORIES = (
    "seragam", "sepatu", "tas", "alat_tulis", "sepeda", "kacamata", "uang_saku", "transport",
    "kuota", "sembako", "musibah", "beasiswa", "lainnya",
)


def _school_year(day) -> int:
    return day.year if day.month >= 7 else day.year - 1


def upgrade():
    year_category_totals = op.create_table(
        "year_category_totals",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                *CATEGORIES,
                name="year_category_total_category",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("in_kind", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"],
            name=op.f("fk_year_category_totals_school_id_schools"),
        ),
        sa.PrimaryKeyConstraint(
            "school_id", "year", "category", name=op.f("pk_year_category_totals")
        ),
    )
    with op.batch_alter_table("year_category_totals", schema=None) as batch_op:
        batch_op.create_index("ix_year_category_totals_year", ["year"], unique=False)
    with op.batch_alter_table("year_totals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("on_time_months", sa.Integer(), server_default="0", nullable=False)
        )

    bind = op.get_bind()  # the text queries type ``month`` so that SQLite's text becomes a date
    per_year: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for school_id, month, category, amount, in_kind in bind.execute(
        sa.text("SELECT school_id, month, category, amount, in_kind FROM category_totals")
        .columns(month=sa.Date)
    ):
        row = per_year[(school_id, _school_year(month), category)]
        row[0] += amount
        row[1] += in_kind
    if per_year:
        op.bulk_insert(
            year_category_totals,
            [
                {"school_id": s, "year": y, "category": c, "amount": a, "in_kind": k}
                for (s, y, c), (a, k) in per_year.items()
            ],
        )

    on_time: dict[tuple, int] = defaultdict(int)
    for school_id, month in bind.execute(
        sa.text("SELECT school_id, month FROM month_closings WHERE on_time").columns(month=sa.Date)
    ):
        on_time[(school_id, _school_year(month))] += 1
    for (school_id, year), count in on_time.items():
        key = {"s": school_id, "y": year, "n": count}
        updated = bind.execute(
            sa.text("UPDATE year_totals SET on_time_months = :n WHERE school_id = :s AND year = :y"),
            key,
        )
        if updated.rowcount == 0:
            bind.execute(
                sa.text(
                    "INSERT INTO year_totals (school_id, year, collected, disbursed,"
                    " disbursed_in_kind, entries, helped, on_time_months)"
                    " VALUES (:s, :y, 0, 0, 0, 0, 0, :n)"
                ),
                key,
            )


def downgrade():
    with op.batch_alter_table("year_totals", schema=None) as batch_op:
        batch_op.drop_column("on_time_months")
    with op.batch_alter_table("year_category_totals", schema=None) as batch_op:
        batch_op.drop_index("ix_year_category_totals_year")
    op.drop_table("year_category_totals")
