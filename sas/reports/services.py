"""Report figures, read from the running totals (``sas.models.totals``), never from the ledger.

Every page, export and API response takes its numbers from here, so they agree with each other;
the tests check them against the ledger itself. Counts of students helped of 1 or 2 are shown
above the school as "<3" (``is_suppressed``): the raw numbers stay here, the suppression is
applied where a figure leaves the school.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, distinct, func, or_, select
from sqlalchemy.orm import aliased

from sas.dates import (
    month_bounds,
    next_month,
    report_deadline,
    school_year_label,
    school_year_start,
)
from sas.extensions import db
from sas.models import (
    Category,
    CategoryTotal,
    Direction,
    Entry,
    EntryKind,
    Jenjang,
    MonthClosing,
    MonthTotal,
    RecipientMonth,
    Region,
    School,
    Source,
    Transfer,
    YearCategoryTotal,
    YearTotal,
)

SUPPRESS_BELOW = 3


def is_suppressed(count: int) -> bool:
    """A count of students so small (1 or 2) that it could point at a child."""
    return 0 < count < SUPPRESS_BELOW


# --- the filter --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """A school year, optionally narrowed to a range of its months and to one jenjang."""

    year: int
    month_from: date | None = None  # first day of a month inside the school year
    month_to: date | None = None
    jenjang: Jenjang | None = None

    def __post_init__(self) -> None:
        for month in (self.month_from, self.month_to):
            if month is not None and (month.day != 1 or school_year_start(month) != self.year):
                raise ValueError("months must lie inside the school year")
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise ValueError("month_from is after month_to")

    @property
    def label(self) -> str:
        return school_year_label(self.year)

    @property
    def first_month(self) -> date:
        return self.month_from or date(self.year, 7, 1)

    @property
    def last_month(self) -> date:
        return self.month_to or date(self.year + 1, 6, 1)

    @property
    def whole_year(self) -> bool:
        return self.first_month == date(self.year, 7, 1) and self.last_month == date(
            self.year + 1, 6, 1
        )

    def months(self) -> list[date]:
        out, month = [], self.first_month
        while month <= self.last_month:
            out.append(month)
            month = next_month(month)
        return out

    def slug(self) -> str:
        """For file names, e.g. ``2025-2026_2025-08_2026-03_SMP``."""
        parts = [self.label.replace("/", "-")]
        if not self.whole_year:
            parts += [self.first_month.strftime("%Y-%m"), self.last_month.strftime("%Y-%m")]
        if self.jenjang:
            parts.append(self.jenjang.value)
        return "_".join(parts)


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    collected: int = 0
    disbursed: int = 0
    disbursed_in_kind: int = 0
    balance: int = 0  # held at the end of the period (or now, for a period not over yet)
    helped: int = 0  # distinct students helped in the period
    schools: int = 0
    active_schools: int = 0  # with at least one entry in the period
    on_time_schools: int = 0  # every report due in the period was closed by its deadline
    # money moved between schools (Sekolah Asuh Sekolah), net of voids: neither collected from
    # students nor given to them; across a whole kabupaten the two are equal
    transferred_in: int = 0
    transferred_out: int = 0

    @property
    def disbursed_cash(self) -> int:
        return self.disbursed - self.disbursed_in_kind

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (
            self.collected,
            self.disbursed,
            self.disbursed_in_kind,
            self.balance,
            self.helped,
            self.schools,
            self.active_schools,
            self.on_time_schools,
            self.transferred_in,
            self.transferred_out,
        )


@dataclass(frozen=True)
class MonthStatus:
    """One month of a school's reporting: closed or not, on time or not, or not yet due."""

    month: date
    due: bool  # its deadline has passed
    closed: bool
    on_time: bool


@dataclass(frozen=True)
class Row:
    """A line of a report table: a kecamatan (code) or a school (npsn)."""

    key: str
    name: str
    figures: Figures
    jenjang: Jenjang | None = None
    months: list[MonthStatus] = field(default_factory=list)


@dataclass(frozen=True)
class MonthFigure:
    month: date
    collected: int
    disbursed: int
    balance: int | None = None  # at the end of the month (school summary only)
    transferred_in: int = 0
    transferred_out: int = 0

    @property
    def change(self) -> int:
        """What the month added to the balance."""
        return self.collected - self.disbursed + self.transferred_in - self.transferred_out


@dataclass(frozen=True)
class CategoryFigure:
    category: Category
    amount: int
    in_kind: int


@dataclass(frozen=True)
class Report:
    """A district (rows per kecamatan) or kecamatan (rows per school) report."""

    region: Region
    filter: ReportFilter
    total: Figures
    rows: list[Row]
    months: list[MonthFigure]
    categories: list[CategoryFigure]


# --- reading the totals, grouped by the database ----------------------------------------------
#
# Each query joins one totals table to the schools of the report (a subquery) and lets the
# database add them up per kecamatan (district report) or per school (kecamatan report, school
# summary), so a district of 1,000 schools sends back about 25 rows per query. A whole school
# year reads the per-year tables (one row per school, or per school and category); a range of
# months reads the per-month ones.


def _schools(region: Region, flt: ReportFilter | None = None) -> Subquery:
    """``school_id`` and ``kecamatan_id`` of the schools of a kabupaten or kecamatan (of the
    filter's jenjang). A deactivated school still counts: its money and its past figures stay in
    every report."""
    stmt = select(School.id.label("school_id"), School.kecamatan_id).join(
        Region, School.kecamatan_id == Region.id
    )
    if region.parent_id is None:
        stmt = stmt.where(Region.parent_id == region.id)
    else:
        stmt = stmt.where(Region.id == region.id)
    if flt is not None and flt.jenjang is not None:
        stmt = stmt.where(School.jenjang == flt.jenjang)
    return stmt.subquery()


def _one_school(school: School) -> Subquery:
    return (
        select(School.id.label("school_id"), School.kecamatan_id.label("kecamatan_id"))
        .where(School.id == school.id)
        .subquery()
    )


# What a year or month added to the balance: transfers move it as much as gifts and aid do.
_year_change = (
    YearTotal.collected - YearTotal.disbursed + YearTotal.transferred_in - YearTotal.transferred_out
)
_month_change = (
    MonthTotal.collected
    - MonthTotal.disbursed
    + MonthTotal.transferred_in
    - MonthTotal.transferred_out
)


def _grouped_figures(
    schools: Subquery, key: ColumnElement[Any], flt: ReportFilter, today: date
) -> dict[int, Figures]:
    """The figures of the filter per value of ``key`` (a column of ``schools``)."""
    school_id = schools.c.school_id
    first, last = flt.first_month, flt.last_month
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(names: tuple[str, ...], stmt: Select[Any]) -> None:
        for group, *values in db.session.execute(stmt.group_by(key)):
            for name, value in zip(names, values, strict=True):
                figures[group][name] += int(value or 0)

    money = (
        "collected",
        "disbursed",
        "disbursed_in_kind",
        "transferred_in",
        "transferred_out",
        "helped",
        "active_schools",
    )
    due = [m for m in flt.months() if report_deadline(m) < today]
    # The whole year is due: one counter per school says whether it reported on time.
    year_on_time = flt.whole_year and len(due) == 12
    if flt.whole_year:
        # One query per report rather than three: the schools, the year's money and (when the
        # year is due) the schools on time all come from the schools joined to their year row
        # (at most one per school, and a school without one still counts).
        columns = [
            func.count(),
            func.sum(YearTotal.collected),
            func.sum(YearTotal.disbursed),
            func.sum(YearTotal.disbursed_in_kind),
            func.sum(YearTotal.transferred_in),
            func.sum(YearTotal.transferred_out),
            func.sum(YearTotal.helped),
            func.count(case((YearTotal.entries > 0, 1))),
        ]
        if year_on_time:
            columns.append(func.count(case((YearTotal.on_time_months == 12, 1))))
        add(
            ("schools", *money, "on_time_schools")[: len(columns)],
            select(key, *columns).outerjoin(
                YearTotal, and_(YearTotal.school_id == school_id, YearTotal.year == flt.year)
            ),
        )
    else:
        add(("schools",), select(key, func.count()))
        add(
            money[:5] + money[6:],
            select(
                key,
                func.sum(MonthTotal.collected),
                func.sum(MonthTotal.disbursed),
                func.sum(MonthTotal.disbursed_in_kind),
                func.sum(MonthTotal.transferred_in),
                func.sum(MonthTotal.transferred_out),
                func.count(distinct(case((MonthTotal.entries > 0, MonthTotal.school_id)))),
            ).join(
                MonthTotal,
                and_(MonthTotal.school_id == school_id, MonthTotal.month.between(first, last)),
            ),
        )
        add(
            ("helped",),
            select(key, func.count(distinct(RecipientMonth.recipient_id)))
            .join(RecipientMonth, RecipientMonth.school_id == school_id)
            .where(RecipientMonth.month.between(first, last), RecipientMonth.disbursements > 0),
        )

    # Balance at the end of the period: the school years before whole, then this one to its end
    # (whole too when the period ends in June: one query).
    year_end = last == date(flt.year + 1, 6, 1)
    add(
        ("balance",),
        select(key, func.sum(_year_change))
        .join(YearTotal, YearTotal.school_id == school_id)
        .where(YearTotal.year <= flt.year if year_end else YearTotal.year < flt.year),
    )
    if not year_end:
        add(
            ("balance",),
            select(key, func.sum(_month_change))
            .join(MonthTotal, MonthTotal.school_id == school_id)
            .where(MonthTotal.month.between(date(flt.year, 7, 1), last)),
        )

    # On time: every month of the period whose deadline has passed was closed by it (for a
    # whole year that is due, counted above from the year rows).
    if due and not year_on_time:
        on_time = (
            select(MonthClosing.school_id)
            .where(MonthClosing.on_time, MonthClosing.month.in_(due))
            .group_by(MonthClosing.school_id)
            .having(func.count() == len(due))
            .subquery()
        )
        add(
            ("on_time_schools",),
            select(key, func.count()).join(on_time, on_time.c.school_id == school_id),
        )
    return {group: Figures(**values) for group, values in figures.items()}


def _month_statuses(
    school_ids: list[int], flt: ReportFilter, today: date
) -> dict[int, list[MonthStatus]]:
    """Each school's months of the filter: due, closed, on time."""
    closings: dict[int, dict[date, bool]] = defaultdict(dict)
    if school_ids:
        for school_id, month, on_time in db.session.execute(
            select(MonthClosing.school_id, MonthClosing.month, MonthClosing.on_time).where(
                MonthClosing.school_id.in_(school_ids),
                MonthClosing.month.between(flt.first_month, flt.last_month),
            )
        ):
            closings[school_id][month] = on_time
    due = {m for m in flt.months() if report_deadline(m) < today}
    return {
        school_id: [
            MonthStatus(m, m in due, m in closings[school_id], closings[school_id].get(m, False))
            for m in flt.months()
        ]
        for school_id in school_ids
    }


def _series(schools: Subquery, flt: ReportFilter) -> tuple[list[MonthFigure], list[CategoryFigure]]:
    """Money in and out per month, and given per need category, of all the schools."""
    # IN rather than a join: SQLite then walks each school's rows by primary key (3x faster)
    ids = select(schools.c.school_id)
    # (collected, disbursed, transferred in, transferred out)
    by_month: dict[date, tuple[int, ...]] = dict.fromkeys(flt.months(), (0, 0, 0, 0))
    for month, *values in db.session.execute(
        select(
            MonthTotal.month,
            func.sum(MonthTotal.collected),
            func.sum(MonthTotal.disbursed),
            func.sum(MonthTotal.transferred_in),
            func.sum(MonthTotal.transferred_out),
        )
        .where(
            MonthTotal.school_id.in_(ids),
            MonthTotal.month.between(flt.first_month, flt.last_month),
        )
        .group_by(MonthTotal.month)
    ):
        by_month[month] = tuple(int(v or 0) for v in values)
    t: type[YearCategoryTotal] | type[CategoryTotal]
    if flt.whole_year:
        t = YearCategoryTotal
        period = t.year == flt.year
    else:
        t = CategoryTotal
        period = CategoryTotal.month.between(flt.first_month, flt.last_month)
    by_category = dict.fromkeys(Category, (0, 0))
    for category, amount, in_kind in db.session.execute(
        select(t.category, func.sum(t.amount), func.sum(t.in_kind))
        .where(t.school_id.in_(ids), period)
        .group_by(t.category)
    ):
        by_category[category] = (int(amount), int(in_kind))
    return (
        [
            MonthFigure(m, c, d, transferred_in=i, transferred_out=o)
            for m, (c, d, i, o) in by_month.items()
        ],
        [CategoryFigure(c, a, k) for c, (a, k) in by_category.items()],
    )


def district_report(kabupaten: Region, flt: ReportFilter, today: date) -> Report:
    """Headline figures of a kabupaten and one row per kecamatan (all kecamatan, even empty)."""
    schools = _schools(kabupaten, flt)
    per_kecamatan = _grouped_figures(schools, schools.c.kecamatan_id, flt, today)
    kecamatan = db.session.scalars(
        select(Region).where(Region.parent_id == kabupaten.id).order_by(Region.code)
    ).all()
    rows = [Row(k.code, k.name, per_kecamatan.get(k.id, Figures())) for k in kecamatan]
    months, categories = _series(schools, flt)
    total = sum((r.figures for r in rows), Figures())
    return Report(kabupaten, flt, total, rows, months, categories)


def kecamatan_report(kecamatan: Region, flt: ReportFilter, today: date) -> Report:
    """Figures of a kecamatan and one row per school, with each school's closed months."""
    schools = _schools(kecamatan, flt)
    listed = list(
        db.session.scalars(
            select(School).where(School.id.in_(select(schools.c.school_id))).order_by(School.name)
        )
    )
    per_school = _grouped_figures(schools, schools.c.school_id, flt, today)
    statuses = _month_statuses([s.id for s in listed], flt, today)
    rows = [
        Row(s.npsn, s.name, per_school.get(s.id, Figures()), s.jenjang, statuses[s.id])
        for s in listed
    ]
    months, categories = _series(schools, flt)
    total = sum((r.figures for r in rows), Figures())
    return Report(kecamatan, flt, total, rows, months, categories)


@dataclass(frozen=True)
class SchoolSummary:
    school: School
    filter: ReportFilter
    figures: Figures
    months: list[MonthFigure]  # with the balance at each month's end
    categories: list[CategoryFigure]
    closings: list[MonthStatus]


def school_summary(school: School, flt: ReportFilter, today: date) -> SchoolSummary:
    """One school's numbers: per month (in, out, balance at month end) and per category."""
    unfiltered = replace(flt, jenjang=None)
    one = _one_school(school)
    figures = _grouped_figures(one, one.c.school_id, unfiltered, today).get(school.id, Figures())
    statuses = _month_statuses([school.id], unfiltered, today)[school.id]
    months, categories = _series(one, unfiltered)
    opening = figures.balance - sum(m.change for m in months)
    with_balance = []
    for m in months:
        opening += m.change
        with_balance.append(replace(m, balance=opening))
    return SchoolSummary(school, unfiltered, figures, with_balance, categories, statuses)


# --- the monthly report (laporan bulanan) of one school ------------------------------------------


@dataclass(frozen=True)
class IncomeLine:
    source: Source | None  # None: corrections of earlier contributions
    class_label: str | None
    amount: int


@dataclass(frozen=True)
class MonthlyReport:
    school: School
    month: date
    opening: int
    income: list[IncomeLine]
    collected: int
    spending: list[CategoryFigure]
    disbursed: int
    closing: int
    closed: MonthClosing | None
    transferred_in: int = 0  # from other schools (Sekolah Asuh Sekolah), net of voids
    transferred_out: int = 0


def _class_order(label: str | None) -> tuple[tuple[int, int, str], ...]:
    """Class labels in school order: 7A, 8A, 9B, 10A (not 10A before 7A)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.upper())
        for part in re.findall(r"\d+|\D+", label or "")
    )


def monthly_report(school: School, month: date) -> MonthlyReport:
    """Opening balance, money in by class, money out by category, closing balance."""
    first, last = month_bounds(month)
    opening = db.session.scalar(
        select(func.coalesce(func.sum(_month_change), 0)).where(
            MonthTotal.school_id == school.id, MonthTotal.month < first
        )
    )
    row = db.session.get(MonthTotal, (school.id, first))
    figure = (
        MonthFigure(
            first, row.collected, row.disbursed, None, row.transferred_in, row.transferred_out
        )
        if row
        else MonthFigure(first, 0, 0)
    )
    # Money in by class reads this one month of this one school's ledger (a few dozen lines).
    # class collections per class first, then the other sources (a class typed there is ignored)
    label = case((Entry.source == Source.CLASS, Entry.class_label), else_=None)
    rows = db.session.execute(
        select(Entry.source, label, func.sum(Entry.amount))
        .where(
            Entry.school_id == school.id,
            Entry.kind == EntryKind.CONTRIBUTION,
            Entry.occurred_on.between(first, last),
        )
        .group_by(Entry.source, label)
    ).all()
    order = list(Source)
    income = [
        IncomeLine(source, class_label, int(amount))
        for source, class_label, amount in sorted(
            rows, key=lambda r: (order.index(r[0]), _class_order(r[1]))
        )
    ]
    voided_gifts = db.session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(
            Entry.school_id == school.id,
            Entry.kind == EntryKind.VOID,
            Entry.direction == Direction.OUT,
            Entry.transfer_id.is_(None),
            Entry.occurred_on.between(first, last),
        )
    )
    if voided_gifts:
        income.append(IncomeLine(None, None, -int(voided_gifts)))
    spending = [
        CategoryFigure(c, int(a), int(k))
        for c, a, k in db.session.execute(
            select(CategoryTotal.category, CategoryTotal.amount, CategoryTotal.in_kind)
            .where(CategoryTotal.school_id == school.id, CategoryTotal.month == first)
            .order_by(CategoryTotal.category)
        )
        if a or k
    ]
    return MonthlyReport(
        school=school,
        month=first,
        opening=int(opening or 0),
        income=income,
        collected=figure.collected,
        spending=spending,
        disbursed=figure.disbursed,
        closing=int(opening or 0) + figure.change,
        closed=db.session.get(MonthClosing, (school.id, first)),
        transferred_in=figure.transferred_in,
        transferred_out=figure.transferred_out,
    )


# --- across school years ------------------------------------------------------------------------


def school_years(region: Region | None = None, school: School | None = None) -> list[int]:
    """The school years (the year of their 1 July) with entries in a region or school, newest
    first."""
    stmt = select(distinct(YearTotal.year)).where(YearTotal.entries > 0)
    if school is not None:
        stmt = stmt.where(YearTotal.school_id == school.id)
    elif region is not None:
        stmt = stmt.where(YearTotal.school_id.in_(select(_schools(region).c.school_id)))
    return sorted(db.session.scalars(stmt), reverse=True)


def all_time_figures(place: Region | School) -> Figures:
    """A region's or one school's figures over every school year, from one small query on the
    year totals.

    ``helped`` adds up each school year's distinct students (as ``district_report`` counts
    them), so a student helped in two school years counts twice; ``balance`` is what is held
    now; ``active_schools`` had at least one entry ever; ``on_time_schools`` is left at 0.
    """
    schools = _one_school(place) if isinstance(place, School) else _schools(place)
    ids = select(schools.c.school_id)
    collected, disbursed, in_kind, moved_in, moved_out, held, helped, active = db.session.execute(
        select(
            func.coalesce(func.sum(YearTotal.collected), 0),
            func.coalesce(func.sum(YearTotal.disbursed), 0),
            func.coalesce(func.sum(YearTotal.disbursed_in_kind), 0),
            func.coalesce(func.sum(YearTotal.transferred_in), 0),
            func.coalesce(func.sum(YearTotal.transferred_out), 0),
            func.coalesce(func.sum(_year_change), 0),
            func.coalesce(func.sum(YearTotal.helped), 0),
            func.count(distinct(case((YearTotal.entries > 0, YearTotal.school_id)))),
        ).where(YearTotal.school_id.in_(ids))
    ).one()
    schools = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    return Figures(
        collected=int(collected),
        disbursed=int(disbursed),
        disbursed_in_kind=int(in_kind),
        balance=int(held),
        helped=int(helped),
        schools=int(schools or 0),
        active_schools=int(active),
        transferred_in=int(moved_in),
        transferred_out=int(moved_out),
    )


# --- Sekolah Asuh Sekolah: money moved between schools ------------------------------------------


@dataclass(frozen=True)
class Flow:
    """Money moved from the schools of one kecamatan to those of another (maybe the same)."""

    from_code: str
    from_name: str
    to_code: str
    to_name: str
    amount: int
    count: int


@dataclass(frozen=True)
class SchoolFlow:
    npsn: str
    name: str
    kecamatan: str
    amount: int
    count: int


@dataclass(frozen=True)
class Flows:
    pairs: list[Flow]  # largest amount first
    top_giving: list[SchoolFlow]
    top_receiving: list[SchoolFlow]

    @property
    def total(self) -> int:
        return sum(f.amount for f in self.pairs)


TOP_SCHOOLS = 5


def transfer_flows(kabupaten: Region, flt: ReportFilter, top: int = TOP_SCHOOLS) -> Flows:
    """Transfers between the kabupaten's schools in the period, net of voids dated in it (as
    the totals count them), per kecamatan pair, and the schools that gave and received most.
    Read from the transfers table (a few rows per school), not the ledger. The jenjang of the
    filter is not applied: a flow joins two schools that may differ in jenjang."""
    first, last = flt.first_month, month_bounds(flt.last_month)[1]
    giver, receiver = aliased(School), aliased(School)
    from_k, to_k = aliased(Region), aliased(Region)
    base = (
        select(
            from_k.code,
            from_k.name,
            to_k.code,
            to_k.name,
            giver.npsn,
            giver.name,
            receiver.npsn,
            receiver.name,
            Transfer.amount,
            Transfer.occurred_on,
            Transfer.voided_on,
        )
        .join(giver, Transfer.from_school_id == giver.id)
        .join(receiver, Transfer.to_school_id == receiver.id)
        .join(from_k, giver.kecamatan_id == from_k.id)
        .join(to_k, receiver.kecamatan_id == to_k.id)
        .where(
            from_k.parent_id == kabupaten.id,
            or_(
                Transfer.occurred_on.between(first, last),
                Transfer.voided_on.between(first, last),
            ),
        )
    )
    # [amount, count] per (from kecamatan code, name, to kecamatan code, name), and per school
    # (npsn, name, kecamatan name) that gave or got
    pairs: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    gave: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    got: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for fk, fkn, tk, tkn, fn, fname, tn, tname, amount, on, voided_on in db.session.execute(base):
        sign = (first <= on <= last) - (voided_on is not None and first <= voided_on <= last)
        for counts in (pairs[(fk, fkn, tk, tkn)], gave[(fn, fname, fkn)], got[(tn, tname, tkn)]):
            counts[0] += sign * amount
            counts[1] += sign

    def ranked(bucket: dict[tuple[str, str, str], list[int]]) -> list[SchoolFlow]:
        # a school whose transfers the period's voids outweigh gave or received nothing in it
        rows = [SchoolFlow(*key, amount, n) for key, (amount, n) in bucket.items() if amount > 0]
        return sorted(rows, key=lambda r: (-r.amount, r.name))[:top]

    return Flows(
        pairs=sorted(
            (Flow(*key, amount, n) for key, (amount, n) in pairs.items() if amount),
            key=lambda f: (-f.amount, f.from_code, f.to_code),
        ),
        top_giving=ranked(gave),
        top_receiving=ranked(got),
    )
