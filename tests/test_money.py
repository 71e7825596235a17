"""The amount field: what Indonesians type, and what must be refused."""

import random

import pytest
from flask_babel import force_locale

from sas.money import AmountError, format_rupiah, format_rupiah_short, parse_rupiah
from tests.amounts import ACCEPTED, LIMITED, MAX, REJECTED


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepts_what_people_type(app, text, expected):
    assert parse_rupiah(text, MAX) == expected


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejects_with_a_clear_message(app, text, message):
    with pytest.raises(AmountError, match=message):
        parse_rupiah(text, MAX)


def test_the_maximum_is_configurable(app):
    assert parse_rupiah("2.000.000", 2_000_000) == 2_000_000
    with pytest.raises(AmountError, match=r"Rp2\.000\.000"):
        parse_rupiah("2.000.001", 2_000_000)


@pytest.mark.parametrize(("text", "maximum", "expected"), LIMITED)
def test_the_maximum_holds_through_a_suffix(app, text, maximum, expected):
    if expected is None:
        with pytest.raises(AmountError, match=r"melebihi batas per transaksi Rp1?\.?[0-9.]+"):
            parse_rupiah(text, maximum)
    else:
        assert parse_rupiah(text, maximum) == expected


def test_a_long_input_is_refused(app):
    """Past MAX_LENGTH only linear checks run (and the patterns have no nested repetition)."""
    for text in ("1" * 100_000 + "x", "1." * 50_000, "Rp " * 30_000 + "1", "1,5" * 30_000):
        with pytest.raises(AmountError):
            parse_rupiah(text, MAX)


SAMPLE = [1, 9, 10, 999, 1_000, 1_001, 25_000, 99_999, 100_000, 1_500_000, MAX]
SAMPLE += random.Random(14).sample(range(1, MAX + 1), 200)


def test_what_is_shown_or_stored_reads_back(app):
    for amount in SAMPLE:
        assert parse_rupiah(format_rupiah(amount), MAX) == amount
        assert parse_rupiah(str(amount), MAX) == amount
        assert parse_rupiah(format_rupiah(amount) + ",-", MAX) == amount


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (1000, "Rp1.000"),
        (12_800_000, "Rp12.800.000"),
        (27_710_000_000, "Rp27.710.000.000"),
        (-5000, "-Rp5.000"),
    ],
)
def test_format(amount, shown):
    assert format_rupiah(amount) == shown


@pytest.mark.parametrize(
    ("amount", "indonesian", "english"),
    [
        (0, "Rp0", "Rp0"),
        (950, "Rp950", "Rp950"),
        (12_800, "Rp12,8\xa0rb", "Rp12.8K"),
        (12_800_000, "Rp12,8\xa0jt", "Rp12.8M"),
        (1_500_000_000, "Rp1,5\xa0M", "Rp1.5B"),
        (-2_500_000, "-Rp2,5\xa0jt", "-Rp2.5M"),
    ],
)
def test_short_format_for_charts(app, amount, indonesian, english):
    with force_locale("id"):
        assert format_rupiah_short(amount) == indonesian
    with force_locale("en"):
        assert format_rupiah_short(amount) == english
