"""A prototype, for the benchmark only: the district report computed per kecamatan in SQL.

``sas.reports.services.district_report`` builds the figures of every school in Python (1,000
``School`` objects, IN lists of 1,000 ids, a ``MonthStatus`` for each school and month) and then
adds them up per kecamatan. This prototype asks the same running totals the same questions but
lets the database group them by kecamatan, so about 25 rows come back from each query. It returns
the same ``Report`` (the benchmark checks that every figure is equal) and shows what moving this
into the service would gain. It reads only the totals tables, never the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    distinct,
    extract,
    func,
    insert,
    select,
)

from sas.dates import report_deadline
from sas.extensions import db
from sas.models import (
    Category,
    CategoryTotal,
    MonthClosing,
    MonthTotal,
    RecipientMonth,
    Region,
    School,
    YearTotal,
)
from sas.reports.services import CategoryFigure, Figures, MonthFigure, Report, ReportFilter, Row

# Two proposed tables, made here for the measurement only (the app neither has nor maintains
# them), kept per school and school year like ``year_totals``: what was given per need category,
# so that a whole year's categories come from at most 13 rows per school however dense the
# ledger; and how many of the year's months were closed on time, so that "on time" for a whole
# year is one comparison (``close_month`` would add 1 in the same transaction).
METADATA = MetaData()
YEAR_CATEGORIES = Table(
    "bench_year_category_totals",
    METADATA,
    Column("school_id", Integer, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("category", String(20), primary_key=True),
    Column("amount", Integer, nullable=False),
    Column("in_kind", Integer, nullable=False),
)
YEAR_CLOSINGS = Table(
    "bench_year_closings",
    METADATA,
    Column("school_id", Integer, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("on_time_months", Integer, nullable=False),
)


def _school_year(month: ColumnElement) -> ColumnElement:
    return extract("year", month) - case((extract("month", month) < 7, 1), else_=0)


def build_year_tables() -> dict[str, int]:
    """Fill the proposed tables from ``category_totals`` and ``month_closings``."""
    METADATA.create_all(db.session.connection())
    year = _school_year(CategoryTotal.month)
    db.session.execute(delete(YEAR_CATEGORIES))
    db.session.execute(
        insert(YEAR_CATEGORIES).from_select(
            ["school_id", "year", "category", "amount", "in_kind"],
            select(
                CategoryTotal.school_id,
                year,
                CategoryTotal.category,
                func.sum(CategoryTotal.amount),
                func.sum(CategoryTotal.in_kind),
            ).group_by(CategoryTotal.school_id, year, CategoryTotal.category),
        )
    )
    year = _school_year(MonthClosing.month)
    db.session.execute(delete(YEAR_CLOSINGS))
    db.session.execute(
        insert(YEAR_CLOSINGS).from_select(
            ["school_id", "year", "on_time_months"],
            select(MonthClosing.school_id, year, func.count())
            .where(MonthClosing.on_time)
            .group_by(MonthClosing.school_id, year),
        )
    )
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in (YEAR_CATEGORIES, YEAR_CLOSINGS)
    }


def district_report(
    kabupaten: Region, flt: ReportFilter, today: date, *, year_tables: bool = False
) -> Report:
    """Headline figures of a kabupaten and one row per kecamatan, grouped by the database.

    With ``year_tables``, a whole school year's need categories and (once all its months are
    due) its on-time schools come from the two proposed per-year tables above.
    """
    conditions = [School.active, Region.parent_id == kabupaten.id]
    if flt.jenjang is not None:
        conditions.append(School.jenjang == flt.jenjang)
    schools = (
        select(School.id.label("school_id"), School.kecamatan_id)
        .join(Region, School.kecamatan_id == Region.id)
        .where(*conditions)
        .subquery()
    )
    kec, school_id = schools.c.kecamatan_id, schools.c.school_id
    first, last = flt.first_month, flt.last_month
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(name: str, rows: object) -> None:
        for key, value in rows:  # type: ignore[attr-defined]
            figures[key][name] += int(value or 0)

    add("schools", db.session.execute(select(kec, func.count()).group_by(kec)))
    if flt.whole_year:
        on_year = and_(YearTotal.school_id == school_id, YearTotal.year == flt.year)
        for key, *values in db.session.execute(
            select(
                kec,
                func.sum(YearTotal.collected),
                func.sum(YearTotal.disbursed),
                func.sum(YearTotal.disbursed_in_kind),
                func.sum(YearTotal.helped),
                func.count(case((YearTotal.entries > 0, 1))),
            )
            .join(YearTotal, on_year)
            .group_by(kec)
        ):
            names = ("collected", "disbursed", "disbursed_in_kind", "helped", "active_schools")
            add_row(figures[key], names, values)
    else:
        in_months = and_(MonthTotal.school_id == school_id, MonthTotal.month.between(first, last))
        for key, *values in db.session.execute(
            select(
                kec,
                func.sum(MonthTotal.collected),
                func.sum(MonthTotal.disbursed),
                func.sum(MonthTotal.disbursed_in_kind),
                func.count(distinct(case((MonthTotal.entries > 0, MonthTotal.school_id)))),
            )
            .join(MonthTotal, in_months)
            .group_by(kec)
        ):
            add_row(
                figures[key],
                ("collected", "disbursed", "disbursed_in_kind", "active_schools"),
                values,
            )
        add(
            "helped",
            db.session.execute(
                select(kec, func.count(distinct(RecipientMonth.recipient_id)))
                .join(RecipientMonth, RecipientMonth.school_id == school_id)
                .where(RecipientMonth.month.between(first, last), RecipientMonth.disbursements > 0)
                .group_by(kec)
            ),
        )

    # Balance at the end of the period: the school years before, then this one up to its end.
    add(
        "balance",
        db.session.execute(
            select(kec, func.sum(YearTotal.collected - YearTotal.disbursed))
            .join(YearTotal, YearTotal.school_id == school_id)
            .where(YearTotal.year < flt.year)
            .group_by(kec)
        ),
    )
    if last == date(flt.year + 1, 6, 1):
        this_year = (
            select(kec, func.sum(YearTotal.collected - YearTotal.disbursed))
            .join(YearTotal, YearTotal.school_id == school_id)
            .where(YearTotal.year == flt.year)
        )
    else:
        this_year = (
            select(kec, func.sum(MonthTotal.collected - MonthTotal.disbursed))
            .join(MonthTotal, MonthTotal.school_id == school_id)
            .where(MonthTotal.month.between(date(flt.year, 7, 1), last))
        )
    add("balance", db.session.execute(this_year.group_by(kec)))

    # On time: every month of the period whose deadline has passed was closed by it.
    due = [m for m in flt.months() if report_deadline(m) < today]
    if year_tables and flt.whole_year and len(due) == 12:
        closed = YEAR_CLOSINGS.c
        on_time = and_(
            closed.school_id == school_id, closed.year == flt.year, closed.on_time_months == 12
        )
        add(
            "on_time_schools",
            db.session.execute(
                select(kec, func.count()).join(YEAR_CLOSINGS, on_time).group_by(kec)
            ),
        )
    elif due:
        punctual = (
            select(MonthClosing.school_id)
            .where(MonthClosing.on_time, MonthClosing.month.in_(due))
            .group_by(MonthClosing.school_id)
            .having(func.count() == len(due))
            .subquery()
        )
        add(
            "on_time_schools",
            db.session.execute(
                select(kec, func.count())
                .join(punctual, punctual.c.school_id == school_id)
                .group_by(kec)
            ),
        )

    kecamatan = db.session.scalars(
        select(Region).where(Region.parent_id == kabupaten.id).order_by(Region.code)
    ).all()
    rows = [Row(k.code, k.name, Figures(**figures.get(k.id, {}))) for k in kecamatan]
    total = sum((r.figures for r in rows), Figures())

    by_month = dict.fromkeys(flt.months(), (0, 0))
    for month, collected, disbursed in db.session.execute(
        select(MonthTotal.month, func.sum(MonthTotal.collected), func.sum(MonthTotal.disbursed))
        .join(schools, MonthTotal.school_id == school_id)
        .where(MonthTotal.month.between(first, last))
        .group_by(MonthTotal.month)
    ):
        by_month[month] = (int(collected), int(disbursed))
    by_category = dict.fromkeys(Category, (0, 0))
    if year_tables and flt.whole_year:
        t = YEAR_CATEGORIES.c
        per_category = (
            select(t.category, func.sum(t.amount), func.sum(t.in_kind))
            .join(schools, t.school_id == school_id)
            .where(t.year == flt.year)
            .group_by(t.category)
        )
    else:
        per_category = (
            select(
                CategoryTotal.category,
                func.sum(CategoryTotal.amount),
                func.sum(CategoryTotal.in_kind),
            )
            .join(schools, CategoryTotal.school_id == school_id)
            .where(CategoryTotal.month.between(first, last))
            .group_by(CategoryTotal.category)
        )
    for category, amount, in_kind in db.session.execute(per_category):
        by_category[Category(category)] = (int(amount), int(in_kind))
    months = [MonthFigure(m, c, d) for m, (c, d) in by_month.items()]
    categories = [CategoryFigure(c, a, k) for c, (a, k) in by_category.items()]
    return Report(kabupaten, flt, total, rows, months, categories)


def add_row(into: dict[str, int], names: tuple[str, ...], values: list[object]) -> None:
    for name, value in zip(names, values, strict=True):
        into[name] += int(value or 0)  # type: ignore[call-overload]
