"""The rules for a password a person chooses (checked when it is set, never at login).

Long rather than complicated (NIST SP 800-63B): at least 10 characters of anything (letters of
any script, spaces, emoji), not one of the passwords everybody tries first, not the username.
``common_passwords.txt`` is Django's list of 20,000 common passwords (Royce Williams, 2017;
BSD licence), lowercased, with Indonesian ones added at the end ("bismillah", "sayangku"...).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 10
# Enough for any passphrase; a bound on what one request can make the server hash.
MAX_LENGTH = 128

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS.open(encoding="utf-8") as lines:
        return frozenset(line.strip().casefold() for line in lines if line.strip())


def password_problems(password: str, username: str) -> list[str]:
    """What is wrong with ``password`` for the account ``username``; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Paling sedikit %(min)d karakter.", min=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Paling banyak %(max)d karakter.", max=MAX_LENGTH))
    folded = password.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        problems.append(_("Kata sandi ini terlalu umum; semua orang mencobanya lebih dulu."))
    name = username.strip().casefold()
    if name and name in folded:
        problems.append(_("Kata sandi tidak boleh memuat nama pengguna."))
    return problems
