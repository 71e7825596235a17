"""Keeping the report totals (``sas.models.totals``) in step with the ledger.

``apply`` runs inside every ledger write and ``apply_closing`` inside every month closing, under
the school's fund lock, so the totals change in the same transaction as the entry or closing.
``expected_totals`` recomputes everything from the ledger (and the month closings) with plain
GROUP BY queries; ``rebuild`` writes that, ``differences`` compares it with what is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from typing import cast as type_cast

from sqlalchemy import (
    CursorResult,
    Date,
    SQLColumnExpression,
    Table,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from sas.dates import school_year_start
from sas.extensions import db
from sas.models import (
    CategoryTotal,
    Direction,
    Entry,
    EntryKind,
    MonthClosing,
    MonthTotal,
    RecipientMonth,
    YearCategoryTotal,
    YearTotal,
)

TOTAL_MODELS = (MonthTotal, YearTotal, CategoryTotal, YearCategoryTotal, RecipientMonth)
TotalModel = (
    type[MonthTotal]
    | type[YearTotal]
    | type[CategoryTotal]
    | type[YearCategoryTotal]
    | type[RecipientMonth]
)
# A totals row's primary key: (school or recipient, month or year[, category])
Key = tuple[Any, ...]


def _table(model: TotalModel) -> Table:
    """The model's table (SQLAlchemy types ``__table__`` as any FROM clause)."""
    return type_cast(Table, model.__table__)


def _add(
    model: TotalModel,
    key: Key,
    deltas: Mapping[str, int],
    *,
    fields: Mapping[str, object] | None = None,
) -> None:
    """Add ``deltas`` to the counters of one totals row, in one UPDATE; a row that does not
    exist yet is inserted with them (its other counters at 0, ``fields`` set). Every caller
    holds the school's fund lock, so nobody else adds the same row in between. (Not one
    ``INSERT ... ON CONFLICT DO UPDATE``: SQLAlchemy compiles those for every call, which costs
    more CPU than the INSERT a month's first entry adds.)"""
    table = _table(model)  # plain SQL statements: the ORM's bulk UPDATE costs more
    names = [c.name for c in table.primary_key]
    where = [table.c[name] == value for name, value in zip(names, key, strict=True)]
    changes = {name: table.c[name] + delta for name, delta in deltas.items()}
    # an UPDATE's result is a CursorResult (with rowcount); Session.execute is typed Result
    updated = type_cast(
        CursorResult[Any], db.session.execute(update(table).where(*where).values(changes))
    )
    if updated.rowcount == 0:
        row = dict(zip(names, key, strict=True)) | dict(fields or {}) | dict(deltas)
        db.session.execute(insert(table).values(row))


def _helped(school_id: int, recipient_id: int, day: date, delta: int) -> None:
    """Count a disbursement for (or take it back from) a recipient in the month of ``day``."""
    year = school_year_start(day)
    year_months = select(func.coalesce(func.sum(RecipientMonth.disbursements), 0)).where(
        RecipientMonth.recipient_id == recipient_id,
        RecipientMonth.month >= date(year, 7, 1),
        RecipientMonth.month < date(year + 1, 7, 1),
    )
    before = db.session.scalar(year_months) or 0
    month = day.replace(day=1)
    _add(
        RecipientMonth,
        (recipient_id, month),
        {"disbursements": delta},
        fields={"school_id": school_id},
    )
    after = before + delta
    if (before == 0) != (after == 0):
        _add(YearTotal, (school_id, year), {"helped": 1 if after else -1})


# The month's and year's counter that each kind of entry moves (a void: its original's, back).
COUNTER = {
    EntryKind.CONTRIBUTION: "collected",
    EntryKind.DISBURSEMENT: "disbursed",
    EntryKind.TRANSFER_IN: "transferred_in",  # between schools: never collected nor given
    EntryKind.TRANSFER_OUT: "transferred_out",
}


def apply(entry: Entry, original: Entry | None = None) -> None:
    """Add one new ledger entry (for a void, with the entry it reverses) to the totals."""
    month = entry.occurred_on.replace(day=1)
    year = school_year_start(entry.occurred_on)
    kind = original.kind if original is not None else entry.kind
    sign = -1 if entry.kind == EntryKind.VOID else 1
    amount = sign * entry.amount
    deltas = {"entries": 1, COUNTER[kind]: amount}
    if kind == EntryKind.DISBURSEMENT and entry.in_kind:
        deltas["disbursed_in_kind"] = amount
    _add(MonthTotal, (entry.school_id, month), deltas)
    _add(YearTotal, (entry.school_id, year), deltas)
    if kind == EntryKind.DISBURSEMENT:
        given = {"amount": amount} | ({"in_kind": amount} if entry.in_kind else {})
        _add(CategoryTotal, (entry.school_id, month, entry.category), given)
        _add(YearCategoryTotal, (entry.school_id, year, entry.category), given)
        given_to = original or entry
        assert given_to.recipient_id is not None  # a disbursement has one (the kind_fields CHECK)
        _helped(entry.school_id, given_to.recipient_id, given_to.occurred_on, sign)


def apply_all(entries: list[Entry]) -> None:
    """``apply`` for several new entries at once (not voids): the month's and year's counters
    that contributions and transfers move are added up first, one UPDATE per totals row."""
    month: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    year: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        if entry.kind in (EntryKind.DISBURSEMENT, EntryKind.VOID):  # their other rows too
            apply(entry)
            continue
        counter = COUNTER[entry.kind]
        for deltas in (
            month[(entry.school_id, entry.occurred_on.replace(day=1))],
            year[(entry.school_id, school_year_start(entry.occurred_on))],
        ):
            deltas["entries"] += 1
            deltas[counter] += entry.amount
    for key, deltas in month.items():
        _add(MonthTotal, key, deltas)
    for key, deltas in year.items():
        _add(YearTotal, key, deltas)


def apply_closing(closing: MonthClosing) -> None:
    """Count a month closed by its deadline in its school year."""
    if closing.on_time:
        _add(
            YearTotal, (closing.school_id, school_year_start(closing.month)), {"on_time_months": 1}
        )


# --- recomputing from the ledger ---------------------------------------------------------------


def month_of(column: SQLColumnExpression[date]) -> ColumnElement[date]:
    """The first day of the month of a DATE column, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return type_coerce(func.date(column, "start of month"), Date)


@dataclass
class Expected:
    months: dict[Key, dict[str, int]] = field(default_factory=lambda: defaultdict(_zeros))
    years: dict[Key, dict[str, int]] = field(default_factory=lambda: defaultdict(_zeros))
    categories: dict[Key, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: {"amount": 0, "in_kind": 0})
    )
    year_categories: dict[Key, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: {"amount": 0, "in_kind": 0})
    )
    recipients: dict[Key, dict[str, int]] = field(default_factory=dict)


def _zeros() -> dict[str, int]:
    return {
        "collected": 0,
        "disbursed": 0,
        "disbursed_in_kind": 0,
        "transferred_in": 0,
        "transferred_out": 0,
        "entries": 0,
        "helped": 0,
        "on_time_months": 0,
    }


def expected_totals(school_id: int | None = None) -> Expected:
    """Every total, recomputed from the ledger and the month closings alone (GROUP BY queries;
    no stored totals)."""
    scope = [Entry.school_id == school_id] if school_id is not None else []
    month = month_of(Entry.occurred_on).label("month")
    # a transfer's halves and their voids carry its id: a void is told apart by it and direction
    moved = Entry.transfer_id.is_not(None).label("moved")
    grouped = db.session.execute(
        select(
            Entry.school_id,
            month,
            Entry.kind,
            Entry.direction,
            Entry.category,
            Entry.in_kind,
            moved,
            func.sum(Entry.amount),
            func.count(),
        )
        .where(*scope)
        .group_by(
            Entry.school_id,
            month,
            Entry.kind,
            Entry.direction,
            Entry.category,
            Entry.in_kind,
            moved,
        )
    )
    out = Expected()
    for school, first_day, kind, direction, category, in_kind, moved_, amount, count in grouped:
        year = school_year_start(first_day)
        sign = -1 if kind == EntryKind.VOID else 1
        if kind == EntryKind.VOID:  # the kind of the entry it reverses
            if moved_:
                kind = (
                    EntryKind.TRANSFER_IN if direction == Direction.OUT else EntryKind.TRANSFER_OUT
                )
            else:
                kind = (
                    EntryKind.CONTRIBUTION if direction == Direction.OUT else EntryKind.DISBURSEMENT
                )
        for row in (out.months[(school, first_day)], out.years[(school, year)]):
            row["entries"] += count
            if kind == EntryKind.CONTRIBUTION:
                row["collected"] += sign * amount
            elif kind == EntryKind.TRANSFER_IN:
                row["transferred_in"] += sign * amount
            elif kind == EntryKind.TRANSFER_OUT:
                row["transferred_out"] += sign * amount
            else:
                row["disbursed"] += sign * amount
                row["disbursed_in_kind"] += sign * amount if in_kind else 0
        if kind == EntryKind.DISBURSEMENT:
            for cat in (
                out.categories[(school, first_day, category)],
                out.year_categories[(school, year, category)],
            ):
                cat["amount"] += sign * amount
                cat["in_kind"] += sign * amount if in_kind else 0

    # NOT EXISTS rather than NOT IN: PostgreSQL without statistics (after a restore) can take
    # hours over NOT IN on millions of rows.
    void = aliased(Entry)
    voided = exists().where(void.voids_entry_id == Entry.id)
    helped = db.session.execute(
        select(Entry.recipient_id, Entry.school_id, month, func.count())
        .where(Entry.kind == EntryKind.DISBURSEMENT, ~voided, *scope)
        .group_by(Entry.recipient_id, Entry.school_id, month)
    )
    seen: set[tuple[int | None, int]] = set()
    for recipient, school, first_day, count in helped:
        out.recipients[(recipient, first_day)] = {"school_id": school, "disbursements": count}
        year = school_year_start(first_day)
        if (recipient, year) not in seen:
            seen.add((recipient, year))
            out.years[(school, year)]["helped"] += 1

    closings = select(MonthClosing.school_id, MonthClosing.month).where(MonthClosing.on_time)
    if school_id is not None:
        closings = closings.where(MonthClosing.school_id == school_id)
    for school, first_day in db.session.execute(closings):
        out.years[(school, school_year_start(first_day))]["on_time_months"] += 1
    return out


def _stored(model: TotalModel, school_id: int | None) -> dict[Key, dict[str, int]]:
    table = _table(model)
    keys = [c.key for c in table.primary_key]
    values = [c.key for c in table.columns if c.key not in keys]
    stmt = select(model)
    if school_id is not None:
        stmt = stmt.where(model.school_id == school_id)
    return {
        tuple(getattr(r, k) for k in keys): {v: getattr(r, v) for v in values}
        for r in db.session.scalars(stmt)
    }


def differences(school_id: int | None = None) -> list[str]:
    """What the stored totals get wrong, compared with the ledger (empty: all agree)."""
    expected = expected_totals(school_id)
    problems = []
    for model, want in (
        (MonthTotal, expected.months),
        (YearTotal, expected.years),
        (CategoryTotal, expected.categories),
        (YearCategoryTotal, expected.year_categories),
        (RecipientMonth, expected.recipients),
    ):
        have = _stored(model, school_id)
        for key in sorted(set(want) | set(have), key=str):
            w, h = want.get(key, {}), have.get(key, {})
            for name in sorted(set(w) | set(h)):
                if name == "school_id":
                    continue
                if w.get(name, 0) != h.get(name, 0):
                    problems.append(
                        f"{model.__tablename__} {key} {name}: stored {h.get(name, 0)}, "
                        f"ledger {w.get(name, 0)}"
                    )
    return problems


def rebuild(school_id: int | None = None) -> None:
    """Replace the stored totals by what the ledger says."""
    for model in TOTAL_MODELS:
        stmt = delete(model)
        if school_id is not None:
            stmt = stmt.where(model.school_id == school_id)
        db.session.execute(stmt)
    expected = expected_totals(school_id)
    batches: list[tuple[TotalModel, list[dict[str, Any]]]] = [
        (
            MonthTotal,
            [
                {"school_id": s, "month": m, **{k: v for k, v in row.items() if k != "helped"}}
                for (s, m), row in expected.months.items()
            ],
        ),
        (YearTotal, [{"school_id": s, "year": y, **row} for (s, y), row in expected.years.items()]),
        (
            CategoryTotal,
            [
                {"school_id": s, "month": m, "category": c, **row}
                for (s, m, c), row in expected.categories.items()
            ],
        ),
        (
            YearCategoryTotal,
            [
                {"school_id": s, "year": y, "category": c, **row}
                for (s, y, c), row in expected.year_categories.items()
            ],
        ),
        (
            RecipientMonth,
            [{"recipient_id": r, "month": m, **row} for (r, m), row in expected.recipients.items()],
        ),
    ]
    for model, rows in batches:
        if rows:
            db.session.execute(insert(model), rows)
    db.session.flush()
