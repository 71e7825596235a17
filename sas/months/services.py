"""A school's months as its committee and teacher see them.

The figures come from the report service (the running totals), never from the ledger, so the
months list agrees with the school summary and the district report; each month carries its
closing (tutup buku), if any, read from ``month_closings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from sas.dates import month_bounds, report_deadline, school_year_start
from sas.extensions import db
from sas.models import MonthClosing, MonthTotal, School
from sas.reports.services import ReportFilter, school_summary


@dataclass(frozen=True)
class MonthLine:
    month: date  # the first day
    collected: int
    disbursed: int
    balance: int  # held at the end of the month
    ended: bool
    deadline: date  # closed by this day (the 10th of the next month) is on time
    overdue: bool  # ended, not closed, and past its deadline
    closing: MonthClosing | None
    can_close: bool  # offered a "Tutup buku" button (ended, open, in the two school years shown)


def month_lines(school: School, today: date) -> list[MonthLine]:
    """The months of the current and previous school year up to this one, then any earlier
    month with entries or a closing; newest first."""
    this_month = today.replace(day=1)
    current = school_year_start(today)
    shown_from = date(current - 1, 7, 1)
    closings = {
        c.month: c
        for c in db.session.scalars(
            select(MonthClosing)
            .where(MonthClosing.school_id == school.id)
            .options(joinedload(MonthClosing.closed_by))
        )
    }
    earlier = set(
        db.session.scalars(
            select(MonthTotal.month).where(
                MonthTotal.school_id == school.id,
                MonthTotal.month < shown_from,
                MonthTotal.entries > 0,
            )
        )
    ) | {m for m in closings if m < shown_from}
    years = {current, current - 1} | {school_year_start(m) for m in earlier}

    lines = []
    for year in sorted(years, reverse=True):
        for figure in reversed(school_summary(school, ReportFilter(year), today).months):
            if figure.month > this_month or (
                figure.month < shown_from and figure.month not in earlier
            ):
                continue
            ended = month_bounds(figure.month)[1] < today
            closing = closings.get(figure.month)
            deadline = report_deadline(figure.month)
            lines.append(
                MonthLine(
                    month=figure.month,
                    collected=figure.collected,
                    disbursed=figure.disbursed,
                    balance=figure.balance or 0,
                    ended=ended,
                    deadline=deadline,
                    overdue=ended and closing is None and today > deadline,
                    closing=closing,
                    can_close=ended and closing is None and figure.month >= shown_from,
                )
            )
    return lines
