"""The ledger's rules: what an entry may be, and the one refusal type of the ledger.

Each check raises ``LedgerError`` (a ``sas.refusals.Refused``) with a message for the user
and the form field it is about. The writers in ``sas.ledger.book`` and the features that
record (``sas.entries``, ``sas.approvals``, ``sas.transfers``) call them before they append.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from sas.dates import PROGRAMME_START, format_day
from sas.extensions import db
from sas.models import Entry, Fund, Recipient, School, Source
from sas.money import format_rupiah
from sas.names import name_in
from sas.refusals import Refused


class LedgerError(Refused):
    """A rule refused the write; the message is shown to the user next to ``field``."""

    def __init__(self, message: str, field: str = "amount") -> None:
        super().__init__(message, field)


class InsufficientBalance(LedgerError):
    def __init__(self, available: int) -> None:
        self.available = available
        super().__init__(
            _(
                "Saldo tidak cukup: saldo yang tersedia %(balance)s.",
                balance=format_rupiah(available),
            )
        )


class DuplicateSubmission(Exception):
    """The form was already submitted once (double click, refresh); ``entry`` is the first."""

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        super().__init__(entry.id)


def check_entry_date(occurred_on: date, today: date) -> None:
    """Not in the future, not before the programme began."""
    if occurred_on > today:
        raise LedgerError(_("Tanggal tidak boleh di masa depan."), "occurred_on")
    if occurred_on < PROGRAMME_START:
        raise LedgerError(_("Tanggal tidak boleh sebelum 1 Januari 2011."), "occurred_on")


def refuse_closed_month(fund: Fund, occurred_on: date) -> None:
    """Nothing may be dated on or before the last closed month (tutup buku)."""
    if fund.closed_through is not None and occurred_on <= fund.closed_through:
        raise LedgerError(
            _(
                "Buku kas sudah ditutup sampai %(day)s; pilih tanggal sesudahnya.",
                day=format_day(fund.closed_through),
            ),
            "occurred_on",
        )


def check_amount(amount: int) -> None:
    """A whole number of Rupiah above 0 and within the per-entry maximum."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerError(_("Jumlah harus lebih dari Rp0."))
    maximum = current_app.config["MAX_ENTRY_AMOUNT"]
    if amount > maximum:
        raise LedgerError(
            _("Jumlah melebihi batas per transaksi %(max)s.", max=format_rupiah(maximum))
        )


def check_form_key(form_key: str) -> None:
    """A form key fits its column (the view checks its form; a service may be called
    directly)."""
    if not form_key or len(form_key) > 64:
        raise LedgerError(_("Formulir tidak sah; muat ulang halaman dan coba lagi."))


def refuse_reused_key(form_key: str) -> None:
    """A form's one-time key records once: sent again, it raises ``DuplicateSubmission``
    with what it recorded (call it under the fund lock, or after the entry's INSERT failed
    on the key's unique constraint and the transaction was rolled back)."""
    check_form_key(form_key)
    existing = db.session.scalar(select(Entry).where(Entry.form_key == form_key))
    if existing is not None:
        raise DuplicateSubmission(existing)


def check_source(source: Source, class_label: str | None, donor_name: str | None) -> None:
    """A class collection names its class; a gift from a person names the person; an
    anonymous gift keeps no name (refused rather than dropped: the user typed it)."""
    has_class, has_name = bool((class_label or "").strip()), bool((donor_name or "").strip())
    if source == Source.CLASS and not has_class:
        raise LedgerError(_("Pilih kelas yang menyetor."), "class_label")
    if source == Source.CLASS and has_name:
        raise LedgerError(
            _("Iuran kelas tidak memakai nama pemberi. Kosongkan nama pemberi."), "donor_name"
        )
    if source == Source.INDIVIDUAL and not has_name:
        raise LedgerError(
            _("Tulis nama pemberi, atau pilih “Tanpa nama” bila ia tidak ingin disebut."),
            "donor_name",
        )
    if source == Source.ANONYMOUS and has_name:
        raise LedgerError(
            _(
                "Sumbangan tanpa nama tidak menyimpan nama. Kosongkan nama pemberi, atau pilih "
                "“Perorangan”."
            ),
            "donor_name",
        )


def check_recipient(school: School, recipient: Recipient) -> None:
    """Money goes only to an active recipient of the school itself."""
    if recipient.school_id != school.id or not recipient.active:
        raise LedgerError(_("Penerima tidak ditemukan atau tidak aktif."))


def check_disbursement(
    school: School, amount: int, occurred_on: date, recipient: Recipient, today: date
) -> None:
    """What a disbursement must be before the fund is locked, recorded now or waiting for a
    second committee member: a valid amount and date, and an active recipient of the school."""
    check_amount(amount)
    check_entry_date(occurred_on, today)
    check_recipient(school, recipient)


def refuse_child_name(school: School, text: str | None, field: str) -> None:
    """Text that leaves the school (a request for help, a transfer's note or void reason: other
    schools and the district read it) must not name a child: refused when it holds the name of
    a recipient of the kabupaten, however disguised (``sas.names``). The message quotes only
    the words the writer typed, and for another school's child never says which school."""
    found = name_in(school, text)
    if found is None:
        return
    if found.own:
        message = _(
            "Tanpa nama siswa: “%(word)s” ada pada nama penerima bantuan sekolah ini. "
            "Tulis kebutuhannya saja.",
            word=found.typed,
        )
    else:
        message = _(
            "Tanpa nama siswa: “%(word)s” tampak seperti nama seorang siswa. "
            "Tulis kebutuhannya saja.",
            word=found.typed,
        )
    raise LedgerError(message, field)
