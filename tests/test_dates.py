from datetime import UTC, date, datetime

import pytest

from sas.dates import (
    month_bounds,
    parse_school_year,
    school_year_bounds,
    school_year_label,
    school_year_label_on,
    school_year_start,
    today_wib,
)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2025, 7, 1), "2025/2026"),
        (date(2026, 6, 30), "2025/2026"),
        (date(2026, 1, 15), "2025/2026"),
        (date(2026, 11, 27), "2026/2027"),
    ],
)
def test_school_year_runs_july_to_june(day, label):
    assert school_year_label_on(day) == label
    assert school_year_label(school_year_start(day)) == label


def test_a_school_year_is_named_by_its_first_july():
    assert school_year_start(date(2026, 1, 15)) == 2025
    assert school_year_label(2025) == "2025/2026"
    assert parse_school_year("2025/2026") == 2025


@pytest.mark.parametrize("text", ["2025/2027", "2025-2026", "25/26", "", "2009/2010", "2101/2102"])
def test_a_school_year_is_read_only_as_written_and_in_range(text):
    with pytest.raises(ValueError):
        parse_school_year(text)


def test_school_year_bounds():
    assert school_year_bounds(date(2026, 2, 1)) == (date(2025, 7, 1), date(2026, 6, 30))


def test_month_bounds_december_and_february():
    assert month_bounds(date(2026, 12, 5)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_today_is_the_date_in_banyuwangi():
    # 18:30 UTC on 30 June is already 1 July in WIB (UTC+7): a new school year there.
    assert today_wib(datetime(2026, 6, 30, 18, 30, tzinfo=UTC)) == date(2026, 7, 1)
    assert today_wib(datetime(2026, 6, 30, 16, 59, tzinfo=UTC)) == date(2026, 6, 30)
