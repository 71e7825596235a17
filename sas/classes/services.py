"""A school's class list: added, renamed, retired and brought back by the committee.

Labels are kept as people write them on the board, tidied: spaces collapsed, capital letters,
and a grade and its one letter written together ("8 b" -> "8B", "xi ipa 2" -> "XI IPA 2"), at
most 20 characters. The list is shown in
school order: grade first (1-12, or the Roman X, XI, XII), then the rest ("7A" < "7B" < "10").
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from sas import audit
from sas.extensions import db
from sas.ledger import LedgerError
from sas.models import School, SchoolClass, User

LABEL = re.compile(r"^[0-9A-Z][0-9A-Z .\-/]{0,19}$")
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}
ROMAN |= {"X": 10, "XI": 11, "XII": 12}
LEADING_GRADE = re.compile(r"^(?:\d+|[IVX]+(?=$|[^A-Z]))")
PARTS = re.compile(r"\d+|\D+")


GRADE_AND_LETTER = re.compile(r"^([0-9]{1,2}) ([A-Z])$")


def tidy(label: str | None) -> str:
    return GRADE_AND_LETTER.sub(r"\1\2", " ".join((label or "").split()).upper())


def sort_key(label: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """School order: the grade (arabic or Roman), then the rest with numbers as numbers."""
    match = LEADING_GRADE.match(label)
    grade, rest = 99, label
    if match is not None:
        head = match.group(0)
        if head.isdigit():
            grade, rest = int(head), label[match.end() :]
        elif head in ROMAN:
            grade, rest = ROMAN[head], label[match.end() :]
    rest = rest.strip(" -./")
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in PARTS.findall(rest))
    return (grade, parts)


def _classes(school: School, active: bool) -> list[SchoolClass]:
    found = db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.active == active)
    )
    return sorted(found, key=lambda c: sort_key(c.label))  # in school order


def active_classes(school: School) -> list[SchoolClass]:
    """The rows of the class-collection form, in school order."""
    return _classes(school, active=True)


def retired_classes(school: School) -> list[SchoolClass]:
    return _classes(school, active=False)


def _logged(action: str, item: SchoolClass, detail: str, actor: User) -> None:
    audit.record(
        action, target=f"class:{item.id}", school_id=item.school_id, detail=detail, actor=actor
    )


def _checked(label: str | None, field: str) -> str:
    tidied = tidy(label)
    if not LABEL.match(tidied):
        raise LedgerError(
            _(
                "Nama kelas “%(label)s” tidak bisa dipakai: paling banyak 20 huruf, angka, spasi "
                "atau tanda - . /, diawali huruf atau angka (mis. 8B, X-1, XI IPA 2).",
                label=(label or "").strip()[:30],
            ),
            field,
        )
    return tidied


def _by_label(school: School, label: str) -> SchoolClass | None:
    return db.session.scalar(
        select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.label == label)
    )


def split_labels(text: str | None) -> list[str]:
    """Several classes typed at once, one per line or separated by commas."""
    return [part for part in re.split(r"[,;\n]+", text or "") if part.strip()]


def add_classes(school: School, text: str | None, *, added_by: User) -> list[SchoolClass]:
    """Add the classes typed (a retired one of the same name comes back); all or none."""
    labels = [_checked(label, "labels") for label in split_labels(text)]
    if not labels:
        raise LedgerError(_("Tulis nama kelas, mis. 7A, 7B, 7C."), "labels")
    added = []
    for label in dict.fromkeys(labels):  # once each, in the order typed
        item = _by_label(school, label)
        if item is not None and item.active:
            raise LedgerError(_("Kelas %(label)s sudah ada di daftar.", label=label), "labels")
        if item is None:
            item = SchoolClass(school_id=school.id, label=label)
            db.session.add(item)
        item.active = True
        added.append(item)
    db.session.flush()
    for item in added:
        _logged("class.added", item, f"label={item.label}", added_by)
    return added


def rename_class(school: School, item: SchoolClass, label: str | None, *, changed_by: User) -> None:
    """A new name for the class; entries keep the name they were recorded with."""
    new = _checked(label, "label")
    if new == item.label:
        return
    taken = _by_label(school, new)
    if taken is not None and taken.active:
        raise LedgerError(_("Kelas %(label)s sudah ada di daftar.", label=new), "label")
    if taken is not None:
        raise LedgerError(
            _(
                "Kelas %(label)s ada di bagian “Tidak dipakai lagi”: pakai lagi dari sana.",
                label=new,
            ),
            "label",
        )
    old, item.label = item.label, new
    db.session.flush()
    _logged("class.renamed", item, f"from={old} to={new}", changed_by)


def set_active(school: School, item: SchoolClass, active: bool, *, changed_by: User) -> None:
    """Retire a class (it leaves the form; its entries stay) or bring it back."""
    if item.active == active:
        return
    item.active = active
    db.session.flush()
    action = "class.reactivated" if active else "class.retired"
    _logged(action, item, f"label={item.label}", changed_by)
