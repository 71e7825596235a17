"""A school's months as its committee and teacher see them.

The figures come from the report service (the running totals), never from the ledger, so the
months list agrees with the school summary and the district report; each month carries its
closing (tutup buku), if any, read from ``month_closings``; and closing a month
(``close_month``), which freezes it in the school's ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from sas import audit
from sas.dates import PROGRAMME_START, month_bounds, report_deadline, school_year_start
from sas.extensions import db
from sas.ledger import LedgerError, lock_fund, totals
from sas.models import MonthClosing, MonthTotal, School, User
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


def close_month(school: School, month: date, *, closed_by: User, today: date) -> MonthClosing:
    """Tutup buku: freeze a month that has ended; nothing can be dated on or before it again."""
    first, last = month_bounds(month)
    if first < PROGRAMME_START.replace(day=1):
        raise LedgerError(_("Tanggal tidak boleh sebelum 1 Januari 2011."), "month")
    if last >= today:
        raise LedgerError(_("Bulan ini belum berakhir; tutup buku sesudah akhir bulan."), "month")
    fund = lock_fund(school)
    if db.session.get(MonthClosing, (school.id, first)) is not None:
        raise LedgerError(_("Bulan ini sudah ditutup."), "month")
    closing = MonthClosing(
        school_id=school.id,
        month=first,
        closed_by_id=closed_by.id,
        on_time=today <= report_deadline(first),
    )
    closing.chain_head, closing.chain_seq = fund.chain_head, fund.last_seq
    db.session.add(closing)
    fund.closed_through = max(fund.closed_through or last, last)
    db.session.flush()
    totals.apply_closing(closing)
    audit.record(
        "month.closed",
        target=f"month:{first:%Y-%m}",
        school_id=school.id,
        detail=f"on_time={'yes' if closing.on_time else 'no'}",
        actor=closed_by,
    )
    return closing
