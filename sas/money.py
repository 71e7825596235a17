"""Rupiah as whole integers: the one parser and the one formatter."""

import re

# "50000", "50.000", "Rp 50.000", "Rp50.000", "Rp. 1.250.000" ('.' groups thousands).
_AMOUNT = re.compile(r"^(?:rp\.?\s*)?([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)$", re.IGNORECASE)


class AmountError(ValueError):
    """A typed amount that is not a whole, positive Rupiah amount within the limit."""


def parse_rupiah(text: str | None, maximum: int) -> int:
    """Parse what people type into an amount field; raise AmountError with a user message."""
    from flask_babel import gettext as _

    value = (text or "").strip()
    if not value:
        raise AmountError(_("Jumlah wajib diisi."))
    if value.startswith("-") or re.match(r"^rp\.?\s*-", value, re.IGNORECASE):
        raise AmountError(_("Jumlah harus lebih dari Rp0."))
    match = _AMOUNT.match(value)
    if match is None:
        if re.fullmatch(r"(?:rp\.?\s*)?[0-9.,]+", value, re.IGNORECASE):
            raise AmountError(_("Tulis jumlah dalam Rupiah tanpa desimal, mis. 50000 atau 50.000."))
        raise AmountError(_("Jumlah hanya boleh berisi angka, mis. 50000 atau Rp50.000."))
    digits = match.group(1).replace(".", "")
    if len(digits.lstrip("0")) > len(str(maximum)):
        raise AmountError(
            _("Jumlah melebihi batas per transaksi %(max)s.", max=format_rupiah(maximum))
        )
    amount = int(digits)
    if amount <= 0:
        raise AmountError(_("Jumlah harus lebih dari Rp0."))
    if amount > maximum:
        raise AmountError(
            _("Jumlah melebihi batas per transaksi %(max)s.", max=format_rupiah(maximum))
        )
    return amount


def format_rupiah(amount: int) -> str:
    """``12800000`` -> ``Rp12.800.000`` (negative amounts as ``-Rp5.000``)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
