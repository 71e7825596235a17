"""Business dates, and how pages show them.

A transaction's date is its date in Asia/Jakarta (WIB); school years run July to June. A school
year is named by the calendar year of its 1 July (2025 for 2025/2026, ``school_year_start``) and
shown as "2025/2026" (``school_year_label``).
"""

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask_babel import format_date, format_datetime, get_locale

WIB = ZoneInfo("Asia/Jakarta")
PROGRAMME_START = date(2011, 1, 1)
FIRST_SCHOOL_YEAR = 2010  # 2010/2011: the programme began in 2011
LAST_SCHOOL_YEAR = 2100


def today_wib(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(WIB).date()


def school_year_start(day: date) -> int:
    """The calendar year in which the school year containing ``day`` began."""
    return day.year if day.month >= 7 else day.year - 1


def school_year_label(start_year: int) -> str:
    """``2025`` -> "2025/2026": the school year that began on 1 July of ``start_year``."""
    return f"{start_year}/{start_year + 1}"


def school_year_label_on(day: date) -> str:
    """The label of the school year ``day`` falls in: 15 January 2026 -> "2025/2026"."""
    return school_year_label(school_year_start(day))


_SCHOOL_YEAR = re.compile(r"([0-9]{4})/([0-9]{4})")


def parse_school_year(text: str) -> int:
    """``"2025/2026"`` -> 2025; anything else, or a year outside the programme's range, raises
    ValueError."""
    match = _SCHOOL_YEAR.fullmatch(text or "")
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(f"not a school year like 2025/2026: {text!r}")
    year = int(match.group(1))
    if not FIRST_SCHOOL_YEAR <= year <= LAST_SCHOOL_YEAR:
        raise ValueError(f"school year out of range: {text!r}")
    return year


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


# --- shown on pages, in the user's language ----------------------------------------------------


def format_day(day: date | None) -> str:
    """``date(2026, 11, 27)`` -> "27 Nov 2026"; nothing for no date."""
    if not day:
        return ""
    locale = get_locale()
    return _day_in(day, locale) if locale is not None else str(format_date(day, "d MMM y"))


@lru_cache(maxsize=4096)
def _day_in(day: date, locale: Locale) -> str:
    """A day as ``format_day`` shows it, kept: a cash book page shows 50 of the same few days,
    and Babel reads its pattern afresh for each."""
    return dates.format_date(day, "d MMM y", locale=locale)


def format_timestamp(moment: datetime | None) -> str:
    """A moment to the minute, in WIB: "27 Nov 2026 14:05"; nothing for no moment."""
    return str(format_datetime(moment, "d MMM y HH:mm")) if moment else ""


def format_month(month: date) -> str:
    """``date(2026, 11, 1)`` -> "Nov 2026" (tables and headings)."""
    return str(format_date(month, "MMM y"))


def format_month_long(month: date) -> str:
    """``date(2026, 11, 1)`` -> "November 2026" (titles and sentences)."""
    return str(format_date(month, "MMMM y"))


def format_month_short(month: date) -> str:
    """``date(2026, 11, 1)`` -> "Nov" (a chart's axis, where the school year is known)."""
    return str(format_date(month, "MMM"))
