"""Rupiah as whole integers: the one parser and the formatters (exact, and short for charts).

``parse_rupiah`` reads amounts as Indonesians write them, where ``.`` groups thousands and
``,`` is the decimal mark (case does not matter; ``Rp``, ``Rp.`` or ``Rp `` may come first):

- whole amounts: ``25000``, ``25.000``, ``Rp 25.000``, ``Rp. 1.250.000``;
- receipt style, a whole amount ending in ``,-``, ``,0`` or ``,00``: ``Rp25.000,-``,
  ``25.000,00``;
- with a suffix, rb / ribu / k (x 1.000) or jt / juta (x 1.000.000), space optional, after
  plain digits: ``25rb``, ``25 ribu``, ``25K``, ``2 juta``, and one or two decimals:
  ``1,5 jt`` = 1.500.000, ``0,5 rb`` = 500.

Everything else is refused rather than guessed: ``25,5`` and ``1,2345 rb`` (not whole Rupiah),
``50,000``, ``50.00``, ``1.5``, ``1.5 juta`` and ``1,500 rb`` (each could be English-style
grouping or decimals), ``25.000rb`` (the thousands twice: Rp25.000 or Rp25.000.000?), ``5e4``,
words, other currencies, zero and negative amounts, and any non-ASCII character (fullwidth or
Arabic-Indic digits, a no-break space). Inputs are capped at ``MAX_LENGTH`` characters, and the
patterns have no nested repetition, so a long input costs little. The arithmetic is on digit
strings and ints, never floats. ``static/rupiah.js`` mirrors this parser for the browser: change
both together (tests/browser/test_rupiah_js.py checks them).
"""

import re

from babel.numbers import format_compact_decimal
from flask_babel import get_locale

MAX_LENGTH = 40  # far beyond any real amount: "Rp 100.000.000,00" is 17

_PREFIX = r"(?:rp\.?[ \t]*)?"
_NUMBER = r"[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+"  # thousands dots, or digits only
_SUFFIX = r"(?:[ \t]*(?P<suffix>rb|ribu|k|jt|juta))"
_DIGITS = r"[0-9]+"  # before a suffix: "25.000rb" names the thousands twice
# A whole amount, optionally receipt style; three decimals ("50,000") stay ambiguous.
_WHOLE = re.compile(rf"{_PREFIX}(?P<whole>{_NUMBER})(?:,-|,0{{1,2}})?", re.I | re.A)
# An amount with a suffix; at most two decimals, since "1,500 rb" could mean 1.500 rb.
_SUFFIXED = re.compile(
    rf"{_PREFIX}(?P<whole>{_DIGITS})(?:,(?P<fraction>[0-9]{{1,2}}))?{_SUFFIX}", re.I | re.A
)
_ZEROS = {"rb": 3, "ribu": 3, "k": 3, "jt": 6, "juta": 6}  # the suffix as a power of ten
# Figures with separators that match neither form above: a decimal we will not guess.
_DECIMAL = re.compile(rf"{_PREFIX}[.,]*[0-9][0-9.,]*{_SUFFIX}?", re.I | re.A)
_DOTS_AND_SUFFIX = re.compile(  # "25.000rb": thousands both as dots and as a suffix
    rf"{_PREFIX}[0-9]{{1,3}}(?:\.[0-9]{{3}})+(?:,[0-9]*|,-)?{_SUFFIX}", re.I | re.A
)
_NEGATIVE = re.compile(r"(?:rp\.?[ \t]*)?-", re.I | re.A)
_LONG_NUMBER = re.compile(rf"{_PREFIX}[0-9.]+{_SUFFIX}?", re.I | re.A)
_SPACE = " \t\n\r\f\v"  # what JavaScript's trim() removes from ASCII text


class AmountError(ValueError):
    """A typed amount that is not a whole, positive Rupiah amount within the limit."""


def parse_rupiah(text: str | None, maximum: int) -> int:
    """Parse what people type into an amount field; raise AmountError with a user message."""
    from flask_babel import gettext as _

    def too_large() -> AmountError:
        return AmountError(
            _("Jumlah melebihi batas per transaksi %(max)s.", max=format_rupiah(maximum))
        )

    only_figures = _("Jumlah hanya boleh berisi angka, mis. 50000 atau Rp50.000.")
    raw = text or ""
    if not raw.isascii():
        raise AmountError(only_figures)
    value = raw.strip(_SPACE)
    if not value:
        raise AmountError(_("Jumlah wajib diisi."))
    if _NEGATIVE.match(value):
        raise AmountError(_("Jumlah harus lebih dari Rp0."))
    if len(value) > MAX_LENGTH:
        raise too_large() if _LONG_NUMBER.fullmatch(value) else AmountError(only_figures)
    if match := _WHOLE.fullmatch(value):
        digits = match["whole"].replace(".", "")
    elif match := _SUFFIXED.fullmatch(value):
        # "1,5 jt" -> "1" + "500000": the fraction's digits padded to the suffix's zeros.
        zeros = _ZEROS[match["suffix"].lower()]
        digits = match["whole"].replace(".", "") + (match["fraction"] or "").ljust(zeros, "0")
    elif _DOTS_AND_SUFFIX.fullmatch(value):
        raise AmountError(_("Tulis titik ribuan atau rb/juta, tidak keduanya: 25.000 atau 25rb."))
    elif _DECIMAL.fullmatch(value):
        raise AmountError(_("Tulis jumlah dalam Rupiah tanpa desimal, mis. 50000 atau 50.000."))
    else:
        raise AmountError(only_figures)
    amount = int(digits)
    if amount <= 0:
        raise AmountError(_("Jumlah harus lebih dari Rp0."))
    if amount > maximum:
        raise too_large()
    return amount


def format_rupiah(amount: int) -> str:
    """``12800000`` -> ``Rp12.800.000`` (negative amounts as ``-Rp5.000``)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def format_rupiah_short(amount: int) -> str:
    """Chart labels, in the user's language: ``12800000`` -> ``Rp12,8 jt`` (Indonesian),
    ``Rp12.8M`` (English). Never for a figure someone checks: that is ``format_rupiah``."""
    text = format_compact_decimal(abs(amount), locale=get_locale(), fraction_digits=1)
    return f"{'-' if amount < 0 else ''}Rp{text}"
