"""The amount field: what Indonesians type, and what must be refused."""

import random

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
    ("00025000", 25_000),
    ("\t25.000\n", 25_000),
    # receipt style: a whole amount ending in ",-", ",0" or ",00"
    ("Rp 25.000,-", 25_000),
    ("Rp25.000,-", 25_000),
    ("Rp25.000,00", 25_000),
    ("25.000,00", 25_000),
    ("25.000,0", 25_000),
    ("25000,-", 25_000),
    ("Rp. 25.000", 25_000),
    ("Rp.25.000", 25_000),
    # suffixes: rb / ribu / k = x 1.000, jt / juta = x 1.000.000
    ("25rb", 25_000),
    ("25 rb", 25_000),
    ("25\trb", 25_000),
    ("25 ribu", 25_000),
    ("25k", 25_000),
    ("25K", 25_000),
    ("50k", 50_000),
    ("25 k", 25_000),
    ("RP 25RB", 25_000),
    ("Rp 25 ribu", 25_000),
    ("Rp25rb", 25_000),
    ("2 juta", 2_000_000),
    ("2jt", 2_000_000),
    ("1,5 juta", 1_500_000),
    ("1,5jt", 1_500_000),
    ("1,5 jt", 1_500_000),
    ("Rp 1,5 JT", 1_500_000),
    ("1,25 juta", 1_250_000),
    ("2,5rb", 2_500),
    ("0,5 rb", 500),
    ("1,00 rb", 1_000),
    ("100 juta", 100_000_000),
]

REJECTED = [
    ("25.000rb", "tidak keduanya"),  # Rp25.000 or Rp25.000.000? not guessed
    ("25.000 rb", "tidak keduanya"),
    ("Rp25.000,00 rb", "tidak keduanya"),
    ("1.250 rb", "tidak keduanya"),
    ("1.250,5 rb", "tidak keduanya"),
    ("1.5 jt", "tanpa desimal"),
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
    ("USD 50", "hanya boleh berisi angka"),
    ("100.000.001", "melebihi batas"),
    ("999999999999999999999", "melebihi batas"),
    # decimals: only with a suffix (one or two digits) or as ",-", ",0", ",00"
    ("25,5", "tanpa desimal"),
    ("25.000,5", "tanpa desimal"),
    ("25.000,000", "tanpa desimal"),
    ("1.5 juta", "tanpa desimal"),
    ("1.5jt", "tanpa desimal"),
    ("1,2345 rb", "tanpa desimal"),
    ("1,500 rb", "tanpa desimal"),
    ("0,0001 jt", "tanpa desimal"),
    ("1,5", "tanpa desimal"),
    (",5 rb", "tanpa desimal"),
    ("25,", "tanpa desimal"),
    ("Rp 25.000,", "tanpa desimal"),
    # suffixes only once, after the figures
    ("25 rb rb", "hanya boleh berisi angka"),
    ("rb25", "hanya boleh berisi angka"),
    ("25 juta ribu", "hanya boleh berisi angka"),
    ("25kk", "hanya boleh berisi angka"),
    ("25 ribu rupiah", "hanya boleh berisi angka"),
    ("25rb,-", "hanya boleh berisi angka"),
    ("25 m", "hanya boleh berisi angka"),
    ("k", "hanya boleh berisi angka"),
    ("rb", "hanya boleh berisi angka"),
    ("Rp", "hanya boleh berisi angka"),
    ("Rp.", "hanya boleh berisi angka"),
    ("Rp 25 000", "hanya boleh berisi angka"),
    ("25.000 ,-", "hanya boleh berisi angka"),
    ("50 USD", "hanya boleh berisi angka"),
    ("$50", "hanya boleh berisi angka"),
    ("25\n000", "hanya boleh berisi angka"),
    # zero and negative, with a suffix too
    ("0 rb", "lebih dari Rp0"),
    ("0,0 jt", "lebih dari Rp0"),
    ("-25rb", "lebih dari Rp0"),
    ("Rp-25.000", "lebih dari Rp0"),
    # the limit holds through a suffix
    ("999999 juta", "melebihi batas"),
    ("100,01 juta", "melebihi batas"),
    ("100001 rb", "melebihi batas"),
    ("1" * 41, "melebihi batas"),
    ("Rp " + "1.000" * 10, "melebihi batas"),
    ("1" * 39 + "rb", "melebihi batas"),
    ("1 " * 30 + "rb", "hanya boleh berisi angka"),
    # anything not ASCII: fullwidth and Arabic-Indic digits, a no-break space, a lookalike K
    ("２５０００", "hanya boleh berisi angka"),
    ("٢٥٠٠٠", "hanya boleh berisi angka"),
    ("25\u00a0000", "hanya boleh berisi angka"),
    ("\u00a025000", "hanya boleh berisi angka"),
    ("Rp\u00a025.000", "hanya boleh berisi angka"),
    ("25\u212a", "hanya boleh berisi angka"),
    ("\u221225000", "hanya boleh berisi angka"),
]

# (text, maximum, parsed or None for refused): the limit, checked after the suffix.
LIMITED = [
    ("1,5jt", 1_000_000, None),
    ("1jt", 1_000_000, 1_000_000),
    ("1000 rb", 1_000_000, 1_000_000),
    ("1001 rb", 1_000_000, None),
    ("2.000.000", 2_000_000, 2_000_000),
    ("2.000.001", 2_000_000, None),
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
