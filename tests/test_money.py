"""The amount field: what Indonesians type, and what must be refused."""

import pytest

from sas.money import AmountError, format_rupiah, parse_rupiah

MAX = 100_000_000

ACCEPTED = [
    ("50000", 50_000),
    ("50.000", 50_000),
    ("Rp 50.000", 50_000),
    ("Rp50.000", 50_000),
    ("rp50000", 50_000),
    ("Rp. 1.250.000", 1_250_000),
    ("  25.000 ", 25_000),
    ("1", 1),
    ("100.000.000", 100_000_000),
]

REJECTED = [
    ("", "wajib"),
    ("   ", "wajib"),
    ("0", "lebih dari Rp0"),
    ("Rp0", "lebih dari Rp0"),
    ("-5000", "lebih dari Rp0"),
    ("Rp -5.000", "lebih dari Rp0"),
    ("50.000,50", "tanpa desimal"),
    ("50,5", "tanpa desimal"),
    ("1.5", "tanpa desimal"),
    ("50.00", "tanpa desimal"),
    ("50,000", "tanpa desimal"),
    ("5e4", "hanya boleh berisi angka"),
    ("1E5", "hanya boleh berisi angka"),
    ("lima puluh ribu", "hanya boleh berisi angka"),
    ("50k", "hanya boleh berisi angka"),
    ("USD 50", "hanya boleh berisi angka"),
    ("100.000.001", "melebihi batas"),
    ("999999999999999999999", "melebihi batas"),
]


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
