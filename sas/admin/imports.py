"""Bulk import of schools from a CSV file, as a district exports its school registry.

Columns ``npsn,name,jenjang,status,kecamatan_code`` under a required header, in any order; a
UTF-8 file with or without BOM, separated by commas or by semicolons (Excel in Indonesia).

Two steps. ``read_plan`` checks a file against the database without writing anything: every row
with its errors and what would happen to it (new, changed, unchanged). ``apply_plan`` writes a
plan without errors in a handful of bulk statements, whatever the number of rows; the caller
commits once.

Between the two steps the uploaded bytes wait on the server (``keep``), in a file named by a
random token and the admin's id, for an hour at most. The confirm form carries only the token
and the previewed plan's digest, so a 2 MB file is not sent back through a school's connection,
and nothing the browser returns is trusted: the kept bytes are read and checked again against
the database as it is now, and written only if the plan equals the one previewed
(``Plan.digest``); otherwise the new preview is shown.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from sas.audit import record
from sas.authz import NPSN
from sas.extensions import db
from sas.models import Fund, Jenjang, Region, RegionLevel, School, SchoolStatus
from sas.refusals import Refused

MAX_BYTES = 2 * 1024 * 1024  # a whole province's schools fit in well under this
MAX_ROWS = 5000
COLUMNS = ("npsn", "name", "jenjang", "status", "kecamatan_code")
NAME_MAX = 150
CHUNK = 500  # bound parameters per IN (...) list
KEEP_SECONDS = 3600  # a preview can be confirmed for an hour
_TOKEN = re.compile(r"[0-9a-f]{32}")

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
JENJANG = {j.value.lower(): j for j in Jenjang}
STATUS = {s.value: s for s in SchoolStatus}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FileError(Refused):
    """The file as a whole cannot be read (no rows are checked); shown next to the file field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


@dataclass
class Row:
    line: int  # the line in the file where the row ends (the header is line 1)
    cells: dict[str, str]  # the cleaned text of each column
    errors: list[str] = field(default_factory=list)
    action: str = ""  # NEW, CHANGED or UNCHANGED once the row has no error
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # column, old, new
    school_id: int | None = None
    kecamatan_id: int | None = None

    @property
    def jenjang(self) -> Jenjang:
        return JENJANG[self.cells["jenjang"].lower()]

    @property
    def status(self) -> SchoolStatus:
        return STATUS[self.cells["status"].lower()]


@dataclass
class Plan:
    rows: list[Row]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.errors)

    @property
    def digest(self) -> str:
        """What the import would do, row by row: equal digests, equal writes."""
        body = [[r.line, r.action, *(r.cells[c] for c in COLUMNS)] for r in self.rows]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


# --- reading the file --------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without BOM, at most ``MAX_BYTES``."""
    if len(data) > MAX_BYTES:
        raise FileError(_("File terlalu besar: paling besar 2 MB."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(
            _("File bukan UTF-8. Di Excel, simpan sebagai \u201cCSV UTF-8 (Comma delimited)\u201d.")
        ) from None


def _clean(value: str) -> str:
    """Cell text without control characters and with single spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _delimiter(text: str) -> str:
    """Excel in Indonesia writes ';' (its list separator) where others write ','."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def parse(text: str) -> list[Row]:
    """The rows of the file, each cell cleaned; whole-file problems raise ``FileError``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        lines = _rows(reader)
        header = next(lines, None)
        if header is None:
            raise FileError(_("File kosong."))
        columns = _columns(header[1])
        rows: list[Row] = []
        for line, cells in lines:
            if len(rows) >= MAX_ROWS:
                raise FileError(_("Terlalu banyak baris: paling banyak %(max)d.", max=MAX_ROWS))
            row = Row(line, {c: (cells[i] if i < len(cells) else "") for c, i in columns.items()})
            row.cells["npsn"] = row.cells["npsn"].upper()  # NPSN letters are capitals
            extra = [c for i, c in enumerate(cells) if i not in columns.values() and c]
            if extra:
                row.errors.append(
                    _("Kolom lebih banyak dari judulnya (nama dengan koma perlu tanda kutip).")
                )
            rows.append(row)
    except csv.Error as error:
        raise FileError(
            _("File CSV rusak di baris %(line)d: %(error)s", line=reader.line_num, error=error)
        ) from None
    if not rows:
        raise FileError(_("File tidak berisi baris sekolah di bawah judul kolom."))
    return rows


class LineReader(Protocol):
    """What ``_rows`` reads: a ``csv.reader``, its rows and the line it is on."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


def _rows(reader: LineReader) -> Iterator[tuple[int, list[str]]]:
    """Non-blank lines, cleaned, with their line numbers (Excel leaves ';;;;' lines)."""
    for cells in reader:
        cleaned = [_clean(c) for c in cells]
        if any(cleaned):
            yield reader.line_num, cleaned


def _columns(header: list[str]) -> dict[str, int]:
    """Column name -> position; the five columns are required, in any order."""
    names = [h.lower().replace(" ", "_") for h in header]
    if not set(names) & set(COLUMNS):  # no header at all: the first line is a school
        raise FileError(
            _("Baris pertama harus judul kolom %(columns)s.", columns=",".join(COLUMNS))
        )
    found: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            continue
        if name not in COLUMNS:
            raise FileError(
                _(
                    "Kolom %(name)s tidak dikenal. Judul kolom harus: %(columns)s.",
                    name=header[position],
                    columns=",".join(COLUMNS),
                )
            )
        if name in found:
            raise FileError(_("Kolom %(name)s muncul dua kali.", name=name))
        found[name] = position
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise FileError(
            _(
                "Baris pertama harus judul kolom %(columns)s; tidak ada: %(missing)s.",
                columns=",".join(COLUMNS),
                missing=", ".join(missing),
            )
        )
    return found


# --- checking against the database -------------------------------------------------------------


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def check(rows: list[Row]) -> Plan:
    """Each row's errors and, for a good row, what would happen: two or three queries."""
    codes = sorted({r.cells["kecamatan_code"] for r in rows if r.cells["kecamatan_code"]})
    kecamatan: dict[str, int] = {}
    for chunk in _chunks(codes):
        kecamatan.update(
            db.session.execute(
                select(Region.code, Region.id).where(
                    Region.code.in_(chunk), Region.level == RegionLevel.KECAMATAN
                )
            )
            .tuples()
            .all()
        )
    npsns = sorted({r.cells["npsn"] for r in rows if NPSN.match(r.cells["npsn"])})
    existing: dict[str, Any] = {}
    for chunk in _chunks(npsns):
        for found in db.session.execute(
            select(
                School.id,
                School.npsn,
                School.name,
                School.jenjang,
                School.status,
                School.kecamatan_id,
                Region.code.label("kecamatan_code"),
            )
            .join(Region, Region.id == School.kecamatan_id)
            .where(School.npsn.in_(chunk))
        ):
            existing[found.npsn] = found

    first_line: dict[str, int] = {}
    for row in rows:
        _check_row(row, kecamatan, first_line)
        if not row.errors:
            _compare(row, existing.get(row.cells["npsn"]))
    return Plan(rows)


def _check_row(row: Row, kecamatan: dict[str, int], first_line: dict[str, int]) -> None:
    cells = row.cells
    for column in COLUMNS:
        if not cells[column]:
            row.errors.append(_("Kolom %(column)s kosong.", column=column))
    npsn = cells["npsn"]
    if npsn and not NPSN.match(npsn):
        row.errors.append(
            _(
                "NPSN %(npsn)s tidak sah: harus 8 angka atau huruf besar "
                "(Excel kadang menghapus angka 0 di depan).",
                npsn=npsn,
            )
        )
    elif npsn in first_line:
        row.errors.append(
            _("NPSN %(npsn)s sudah ada di baris %(line)d.", npsn=npsn, line=first_line[npsn])
        )
    elif npsn:
        first_line[npsn] = row.line
    if len(cells["name"]) > NAME_MAX:
        row.errors.append(_("Nama sekolah paling banyak %(max)d karakter.", max=NAME_MAX))
    if cells["jenjang"] and cells["jenjang"].lower() not in JENJANG:
        row.errors.append(
            _(
                "Jenjang %(value)s tidak dikenal; pilih salah satu: %(choices)s.",
                value=cells["jenjang"],
                choices=", ".join(j.value for j in Jenjang),
            )
        )
    if cells["status"] and cells["status"].lower() not in STATUS:
        row.errors.append(
            _("Status %(value)s tidak dikenal; tulis negeri atau swasta.", value=cells["status"])
        )
    code = cells["kecamatan_code"]
    if code and code not in kecamatan:
        row.errors.append(_("Kode kecamatan %(code)s tidak terdaftar.", code=code))
    row.kecamatan_id = kecamatan.get(code)


def _compare(row: Row, school: Any) -> None:
    if school is None:
        row.action = NEW
        return
    row.school_id = school.id
    new = {
        "name": row.cells["name"],
        "jenjang": row.jenjang.value,
        "status": row.status.value,
        "kecamatan_code": row.cells["kecamatan_code"],
    }
    old = {
        "name": school.name,
        "jenjang": Jenjang(school.jenjang).value,
        "status": SchoolStatus(school.status).value,
        "kecamatan_code": school.kecamatan_code,
    }
    row.changes = [(c, old[c], new[c]) for c in new if old[c] != new[c]]
    row.action = CHANGED if row.changes else UNCHANGED


def read_plan(data: bytes) -> Plan:
    """Decode, parse and check a file; raises ``FileError`` for a file that cannot be read."""
    return check(parse(decode(data)))


# --- writing -----------------------------------------------------------------------------------


def apply_plan(plan: Plan) -> dict[str, int]:
    """Insert the new schools (with their funds) and update the changed ones, in bulk; one
    audit row. The plan must have no error. Returns the counts by action."""
    if not plan.ok:
        raise ValueError("a plan with errors is never applied")
    new = [r for r in plan.rows if r.action == NEW]
    changed = [r for r in plan.rows if r.action == CHANGED]
    if new:
        created = db.session.execute(
            insert(School).returning(School.id),
            [
                {
                    "npsn": r.cells["npsn"],
                    "name": r.cells["name"],
                    "jenjang": r.jenjang,
                    "status": r.status,
                    "kecamatan_id": r.kecamatan_id,
                    "active": True,
                }
                for r in new
            ],
        )
        # The fund rows that ``sas.ledger.ensure_fund`` creates one at a time (balance
        # 0, no entry yet), here in one statement for the whole file.
        db.session.execute(
            insert(Fund),
            [{"school_id": sid, "balance": 0, "last_seq": 0} for sid in created.scalars()],
        )
    if changed:
        db.session.execute(
            update(School),
            [
                {
                    "id": r.school_id,
                    "name": r.cells["name"],
                    "jenjang": r.jenjang,
                    "status": r.status,
                    "kecamatan_id": r.kecamatan_id,
                }
                for r in changed
            ],
        )
    result = {action: plan.count(action) for action in (NEW, CHANGED, UNCHANGED)}
    record(
        "schools.imported",
        detail=(
            f"{result[NEW]} baru, {result[CHANGED]} diubah, {result[UNCHANGED]} tidak berubah; "
            f"sha256 {plan.digest[:16]}"
        ),
    )
    db.session.flush()
    return result


# --- the uploaded file between preview and confirm ---------------------------------------------


def _kept(folder: Path, token: str, user_id: int) -> Path | None:
    if not _TOKEN.fullmatch(token or ""):
        return None
    return folder / f"{int(user_id)}-{token}.csv"


def keep(folder: Path, data: bytes, user_id: int) -> str:
    """Keep an uploaded file for the confirm step; returns its token. Older files go."""
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # removed by another request meanwhile
            pass
    token = secrets.token_hex(16)
    path = folder / f"{int(user_id)}-{token}.csv"
    partial = path.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    return token


def kept(folder: Path, token: str, user_id: int) -> bytes | None:
    """The file kept under ``token`` for this admin, if it is still there and not too old."""
    path = _kept(folder, token, user_id)
    try:
        if path is None or path.stat().st_mtime < time.time() - KEEP_SECONDS:
            return None
        return path.read_bytes()[: MAX_BYTES + 1]
    except FileNotFoundError:
        return None


def discard(folder: Path, token: str, user_id: int) -> None:
    path = _kept(folder, token, user_id)
    if path is not None:
        path.unlink(missing_ok=True)
