"""What a kuitansi says about an entry, and the check of a printed one against the ledger.

A printed kuitansi carries a QR code with its number, amount, date and the first 16 hex digits
of its entry's hash. Anyone may scan it; the check answers "valid" only when all four match an
entry of that school and the school's chain verifies. The hash prefix (64 bits) is what makes
the answer useless for guessing: without the paper in hand, no amount or date can be confirmed.
The chain is checked only for a request that already matched, and through the dashboard's
cached verification (``chain.verify_recent``: a whole walk at most once a minute per school),
so a printed kuitansi checked again and again costs the server almost nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import quote

import segno
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from sas.extensions import db
from sas.ledger import chain
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import Entry, EntryKind, School, Source
from sas.receipts.words import MAX_WORDS, terbilang

HASH_PREFIX = 16  # hex digits of the entry hash printed in the QR code (64 bits)
MAX_NUMBER = 2**31 - 1  # a receipt number beyond a 32-bit integer does not exist

_NPSN = re.compile(r"[0-9A-Z]{8}")
_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")
_NUMBER = re.compile(r"[0-9]{1,10}")
_AMOUNT = re.compile(r"[0-9]{1,12}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HASH = re.compile(f"[0-9a-f]{{{HASH_PREFIX}}}")


@dataclass(frozen=True)
class Receipt:
    """The words of one kuitansi (school-internal: it may name a donor or a recipient)."""

    entry: Entry
    payer: str  # "telah terima dari"
    receiver: str  # "diterima oleh"
    purpose: str  # "untuk"
    words: str  # the amount in words, capitalised

    @property
    def original(self) -> Entry | None:
        """The entry a void corrects."""
        return self.entry.voids if self.entry.kind == EntryKind.VOID else None


def team(school: School) -> str:
    return str(_("Tim SAS %(school)s", school=school.name))


def _contributor(entry: Entry) -> str:
    if entry.source == Source.ANONYMOUS:
        return str(_("Penyumbang tanpa nama"))
    if entry.source == Source.INDIVIDUAL:
        return entry.donor_name or str(_("Donatur perorangan"))
    if entry.source == Source.CLASS and entry.class_label:
        return str(_("Kelas %(label)s", label=entry.class_label))
    if entry.source == Source.CLASS:
        return str(_("Iuran kelas"))
    return entry.donor_name or str(_("Penyumbang lain"))


def _parties(entry: Entry) -> tuple[str, str]:
    """(payer, receiver) of a contribution or a disbursement."""
    if entry.kind == EntryKind.CONTRIBUTION:
        return _contributor(entry), team(entry.school)
    if entry.is_transfer and entry.transfer is not None:  # school to school
        return team(entry.transfer.from_school), team(entry.transfer.to_school)
    recipient = entry.recipient
    name = f"{recipient.name} ({recipient.class_label})" if recipient else "?"
    return team(entry.school), name


def _purpose(entry: Entry) -> str:
    if entry.kind == EntryKind.CONTRIBUTION:
        return str(_("Iuran/sumbangan Siswa Asuh Sebaya"))
    if entry.kind == EntryKind.DISBURSEMENT:
        assert entry.category is not None  # a disbursement has one (the kind_fields CHECK)
        label = _(
            "%(category)s (%(how)s)",
            category=CATEGORY_LABELS[entry.category],
            how=_("barang") if entry.in_kind else _("tunai"),
        )
        return f"{label}: {entry.description}" if entry.description else label
    if entry.is_transfer:
        label = _("Transfer Sekolah Asuh Sekolah")
        note = entry.transfer.note if entry.transfer is not None else None
        return f"{label}: {note}" if note else label
    original = entry.voids.number if entry.voids else "?"
    return str(_("Koreksi atas %(number)s: %(reason)s", number=original, reason=entry.reason))


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def receipt_for(entry: Entry) -> Receipt:
    """A void names the parties of the entry it corrects: it moves no money of its own."""
    subject = entry.voids if entry.kind == EntryKind.VOID and entry.voids else entry
    payer, receiver = _parties(subject)
    return Receipt(
        entry=entry,
        payer=payer,
        receiver=receiver,
        purpose=_purpose(entry),
        words=capitalised(terbilang(entry.amount)),
    )


def year_slug(receipt_year: int) -> str:
    """The school year 2025/2026 as it stands in receipt numbers and URLs: ``2025-2026``."""
    return f"{receipt_year}-{receipt_year + 1}"


def verification_args(entry: Entry) -> dict[str, str]:
    """The arguments of the verification URL printed (as a QR code) on the entry's kuitansi."""
    return {
        "npsn": entry.school.npsn,
        "year": year_slug(entry.receipt_year),
        "number": f"{entry.receipt_no:04d}",
        "a": str(entry.amount),
        "d": entry.occurred_on.isoformat(),
        "h": entry.hash[:HASH_PREFIX],
    }


@dataclass(frozen=True)
class Share:
    """A public link and the words sent with it, for the "Bagikan" button: the phone's share
    sheet (the Web Share API) where there is one, else WhatsApp. Only public pages are shared."""

    title: str
    text: str  # the words before the link: the share sheet and WhatsApp both put the URL after
    url: str

    @property
    def whatsapp(self) -> str:
        return "https://wa.me/?text=" + quote(f"{self.text} {self.url}", safe="")


def check_share(entry: Entry, url: str) -> Share:
    """The kuitansi's public check (``url``, what its QR code holds) with its number and school:
    never a donor, a recipient or a purpose, which only the paper and the ledger carry."""
    number = entry.receipt_number
    return Share(
        title=f"{_('Kuitansi')} {number}",
        text=_(
            "Kuitansi %(number)s dari %(school)s. Cek keasliannya di tautan ini:",
            number=number,
            school=entry.school.name,
        ),
        url=url,
    )


def qr_svg(url: str, title: str) -> Markup:
    """The QR code of ``url`` as inline SVG (sized by the stylesheet: no width or height)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", title=title)
    return Markup(svg)  # noqa: S704 - segno's own SVG; the title is escaped by segno


@dataclass(frozen=True)
class Check:
    """How a printed kuitansi compares with the ledger; every part False when not found."""

    school: School | None = None
    entry: Entry | None = None
    amount: bool = False
    day: bool = False
    fingerprint: bool = False
    chain: chain.ChainStatus | None = None  # walked only when the rest matched

    @property
    def number(self) -> bool:
        return self.entry is not None

    @property
    def chain_ok(self) -> bool:
        return self.chain is not None and self.chain.ok

    @property
    def valid(self) -> bool:
        return self.number and self.amount and self.day and self.fingerprint and self.chain_ok

    @property
    def voided_by(self) -> Entry | None:
        """The correction that voided a valid receipt's entry. Said to anyone, as "valid" is:
        only someone holding the paper gets that far."""
        return self.entry.voided_by if self.valid and self.entry is not None else None


def _int(pattern: re.Pattern[str], text: str | None) -> int | None:
    if text is None or pattern.fullmatch(text) is None:
        return None
    return int(text)


def _day(text: str | None) -> date | None:
    if text is None or _DAY.fullmatch(text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_receipt(
    npsn: str,
    year: str,
    number: str,
    amount: str | None,
    day: str | None,
    hash_prefix: str | None,
) -> Check:
    """Compare what a kuitansi (its QR code) says with the ledger. Malformed input is a
    receipt that does not match: never an error."""
    match = _YEAR.fullmatch(year)
    if _NPSN.fullmatch(npsn) is None or match is None:
        return Check()
    start, end = int(match.group(1)), int(match.group(2))
    receipt_no = _int(_NUMBER, number)
    if end != start + 1 or receipt_no is None or not 0 < receipt_no <= MAX_NUMBER:
        return Check()
    school = db.session.scalar(select(School).where(School.npsn == npsn))
    if school is None:
        return Check()
    entry = db.session.scalar(
        select(Entry).where(
            Entry.school_id == school.id,
            Entry.receipt_year == start,
            Entry.receipt_no == receipt_no,
        )
    )
    if entry is None:
        return Check(school=school)
    claimed = _int(_AMOUNT, amount)
    result = Check(
        school=school,
        entry=entry,
        amount=claimed is not None and 0 < claimed <= MAX_WORDS and claimed == entry.amount,
        day=_day(day) == entry.occurred_on,
        fingerprint=(
            hash_prefix is not None
            and _HASH.fullmatch(hash_prefix) is not None
            and entry.hash.startswith(hash_prefix)
        ),
    )
    if not result.fingerprint:
        return result
    return replace(result, chain=chain.verify_recent(school))
