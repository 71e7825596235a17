"""Business dates.

A transaction's date is its date in Asia/Jakarta (WIB); school years run July to June.
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
PROGRAMME_START = date(2011, 1, 1)


def today_wib(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(WIB).date()


def school_year_start(day: date) -> int:
    """The calendar year in which the school year containing ``day`` began."""
    return day.year if day.month >= 7 else day.year - 1


def school_year_label(day: date) -> str:
    start = school_year_start(day)
    return f"{start}/{start + 1}"


def school_year_bounds(day: date) -> tuple[date, date]:
    start = school_year_start(day)
    return date(start, 7, 1), date(start + 1, 6, 30)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, date.fromordinal(next_month(first).toordinal() - 1)


def next_month(day: date) -> date:
    """The first day of the month after the month of ``day``."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def report_deadline(month: date) -> date:
    """A month's report is due (closed) by the 10th of the next month."""
    return next_month(month).replace(day=10)


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: str | None) -> date:
    """``"2025-08"`` -> 1 August 2025 (the form of every month in URLs and queries);
    anything else raises ValueError."""
    match = _MONTH.fullmatch(text or "")
    if match is None:
        raise ValueError(f"not a month like 2025-08: {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)  # ValueError for month 13
