"""Amounts in Indonesian words ("terbilang"), as a kuitansi writes them next to the figures.

The words stay Indonesian whatever the interface language: they are part of the receipt, like
the amount in figures, and a reader compares them with the figures to catch an altered number.
"""

from __future__ import annotations

MAX_WORDS = 999_999_999_999  # the largest amount below one triliun

_DIGITS = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
# Groups of three digits, largest first: (size, word). "ribu" alone takes "se-" for one.
_GROUPS = ((1_000_000_000, "miliar"), (1_000_000, "juta"), (1_000, "ribu"), (1, ""))


def _below_hundred(n: int) -> list[str]:
    if n < 10:
        return [_DIGITS[n]] if n else []
    if n == 10:
        return ["sepuluh"]
    if n == 11:
        return ["sebelas"]
    if n < 20:
        return [_DIGITS[n - 10], "belas"]
    return [_DIGITS[n // 10], "puluh", *_below_hundred(n % 10)]


def _below_thousand(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        head = []
    elif hundreds == 1:
        head = ["seratus"]
    else:
        head = [_DIGITS[hundreds], "ratus"]
    return head + _below_hundred(rest)


def terbilang(amount: int) -> str:
    """``25000`` -> ``"dua puluh lima ribu rupiah"``; 1 to 999.999.999.999 Rupiah.

    Zero, negative and larger amounts raise ValueError (no entry has them); a non-integer
    (a float, a bool) raises TypeError, since money is whole Rupiah."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount must be an int of Rupiah, not {type(amount).__name__}")
    if not 0 < amount <= MAX_WORDS:
        raise ValueError(f"amount out of range 1..{MAX_WORDS}: {amount}")
    words: list[str] = []
    rest = amount
    for size, name in _GROUPS:
        group, rest = divmod(rest, size)
        if group == 0:
            continue
        if group == 1 and name == "ribu":
            words.append("seribu")
        else:
            words += _below_thousand(group)
            if name:
                words.append(name)
    return " ".join([*words, "rupiah"])
