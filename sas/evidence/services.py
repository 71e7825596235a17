"""Evidence files: checking, re-encoding, storing and superseding them; the district's share.

A file is judged by its bytes, never by its name or the browser's content type. Images are
decoded and drawn again by Pillow, so nothing but pixels survives (no EXIF, no GPS, no payload
appended or hidden in a chunk); a PDF cannot be redrawn, so it is only accepted whole and
without active content, and it is always served as a download. Stored files are named at
random in ``EVIDENCE_FOLDER`` (outside ``static/``) and never replaced or removed: the row keeps
their SHA-256, the audit log repeats it.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import secrets
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, cast

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps
from sqlalchemy import CursorResult, and_, case, exists, func, select, update
from sqlalchemy.orm import aliased
from werkzeug.datastructures import FileStorage

from sas import audit
from sas.dates import month_bounds
from sas.extensions import db
from sas.models import Attachment, Entry, EntryKind, School, User
from sas.models.approvals import PendingDisbursement
from sas.refusals import Refused
from sas.reports.services import Report

MAX_BYTES = 5 * 1024 * 1024  # one file as uploaded
MAX_FILES = 5  # files in one submission
MAX_SIDE = 1600  # pixels, the longer side of a stored image
# Larger than any phone's default photo, small enough to decode on a small server; a picture
# claiming more pixels than this is refused before it is decoded (a decompression bomb).
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85
PDF_TAIL = 1024  # "%%EOF" must lie in the last this many bytes

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
# Names of PDF features that run code or carry other files; a receipt never needs them. (A
# name hidden in a compressed object stream escapes this check: the download is the defence.)
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)\b")
HTML_TAG = re.compile(rb"<(?:script|html|iframe)\b", re.IGNORECASE)


class EvidenceRefused(Refused):
    """A file that is not accepted; the message says why, in the user's language. The file
    field shows it with the file's name (``sas.evidence.forms.EvidenceField``)."""


@dataclass(frozen=True)
class Prepared:
    """A file that passed the checks, as it will be stored."""

    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


# --- checking and re-encoding ------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The format the leading bytes announce: JPEG, PNG, WEBP, PDF, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def read_upload(stream: IO[bytes]) -> bytes:
    """At most ``MAX_BYTES`` of an upload; one byte more means it is too large."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise EvidenceRefused(_("Berkas lebih dari 5 MB."))
    if not data:
        raise EvidenceRefused(_("Berkas kosong."))
    return data


def prepare(data: bytes) -> Prepared:
    """The file as it will be stored: an image drawn again without metadata, or the PDF."""
    if len(data) > MAX_BYTES:
        raise EvidenceRefused(_("Berkas lebih dari 5 MB."))
    kind = sniff(data)
    if kind is None:
        raise EvidenceRefused(_("Hanya foto JPEG, PNG, WebP atau dokumen PDF yang diterima."))
    if kind == "PDF":
        return _check_pdf(data)
    return _redraw(data, kind)


def prepare_upload(upload: FileStorage) -> Prepared:
    return prepare(read_upload(upload.stream))


def _check_pdf(data: bytes) -> Prepared:
    if b"%%EOF" not in data[-PDF_TAIL:]:
        raise EvidenceRefused(_("PDF rusak atau tidak lengkap."))
    if PDF_ACTIVE.search(data) or HTML_TAG.search(data):
        raise EvidenceRefused(_("PDF berisi skrip atau berkas sisipan; simpan ulang sebagai PDF."))
    return Prepared(data, "application/pdf")


def _redraw(data: bytes, kind: str) -> Prepared:
    """Decode the image (as the format its bytes announce, nothing else), turn it upright, bound
    it to ``MAX_SIDE`` and save only its pixels: JPEG, or PNG when it has transparency."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise EvidenceRefused(_("Gambar terlalu besar (terlalu banyak piksel)."))
                scale = MAX_SIDE / max(img.width, img.height)
                if kind == "JPEG" and scale < 0.5:  # let the decoder shrink it on the way
                    img.draft(
                        None, (math.ceil(img.width * scale * 2), math.ceil(img.height * scale * 2))
                    )
                img.load()
                upright = ImageOps.exif_transpose(img)
        clean = _pixels_only(upright)
    except EvidenceRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused(_("Gambar terlalu besar (terlalu banyak piksel).")) from None
    except Exception:  # Pillow raises many kinds on a damaged or disguised file
        raise EvidenceRefused(_("Gambar rusak atau tidak bisa dibaca.")) from None
    out = io.BytesIO()
    if clean.mode == "RGBA":
        clean.save(out, "PNG", optimize=True)
        return Prepared(out.getvalue(), "image/png")
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Prepared(out.getvalue(), "image/jpeg")


def _pixels_only(img: Image.Image) -> Image.Image:
    """RGB (or RGBA when some pixel is see-through), at most ``MAX_SIDE``, rebuilt from its raw
    pixels so that no EXIF, XMP, ICC profile, comment or text chunk comes along."""
    transparent = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    img = img.convert("RGBA" if transparent else "RGB")
    if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
        img = img.convert("RGB")
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return Image.frombytes(img.mode, img.size, img.tobytes())


# --- storing -----------------------------------------------------------------------------------


def evidence_folder() -> Path:
    """``EVIDENCE_FOLDER``, by default ``<instance>/evidence``."""
    configured = current_app.config.get("EVIDENCE_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def stored_path(attachment: Attachment) -> Path:
    if not STORED_NAME.match(attachment.stored_name):  # only names this module made
        raise ValueError(f"unexpected stored name for attachment {attachment.id}")
    return evidence_folder() / attachment.stored_name


def _write(data: bytes) -> tuple[str, Path]:
    folder = evidence_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    path = folder / name
    with path.open("xb") as fh:  # a fresh name: never overwrite anything
        fh.write(data)
    return name, path


def attach(
    school: School,
    files: Iterable[Prepared | FileStorage],
    *,
    entry: Entry | None = None,
    pending: PendingDisbursement | None = None,
    added_by: User,
) -> list[Attachment]:
    """Store files as evidence of a disbursement (or of a pending one, until it is approved),
    one audited row each; flushed, not committed.

    Raw uploads are checked here (``EvidenceRefused``); files written before a failure are
    removed again. Should the caller's transaction later roll back, the written files stay
    behind unreferenced (harmless: they are named at random and never served)."""
    if (entry is None) == (pending is None):
        raise ValueError("attach to exactly one of entry or pending")
    owner = entry if entry is not None else pending
    if owner is None or owner.school_id != school.id:
        raise ValueError("the disbursement belongs to another school")
    if entry is not None and entry.kind != EntryKind.DISBURSEMENT:
        raise ValueError("evidence belongs to disbursements only")
    prepared = [f if isinstance(f, Prepared) else prepare_upload(f) for f in files]
    written: list[Path] = []
    added: list[Attachment] = []
    try:
        for item in prepared:
            name, path = _write(item.data)
            written.append(path)
            digest = hashlib.sha256(item.data).hexdigest()
            attachment = Attachment(
                school_id=school.id,
                entry_id=entry.id if entry is not None else None,
                pending_id=pending.id if pending is not None else None,
                stored_name=name,
                content_type=item.content_type,
                size=len(item.data),
                sha256=digest,
                added_by_id=added_by.id,
            )
            db.session.add(attachment)
            db.session.flush()
            audit.record(
                "evidence.added",
                target=f"attachment:{attachment.id}",
                school_id=school.id,
                actor=added_by,
                detail=f"{_owner_label(entry, pending)} sha256={digest} "
                f"type={item.content_type} size={len(item.data)}",
            )
            added.append(attachment)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return added


def _owner_label(entry: Entry | None, pending: PendingDisbursement | None) -> str:
    if entry is not None:
        return f"no={entry.number}"
    return f"pending={pending.id if pending is not None else ''}"


class AlreadySuperseded(Exception):
    pass


def supersede(attachment: Attachment, *, reason: str, by: User) -> None:
    """Mark a wrong file superseded; it stays stored and listed. The reason is kept on the row,
    not in the log (it is free text and may name a child). Flushed, not committed."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required")
    now = datetime.now(UTC)
    # an UPDATE's result is a CursorResult (with rowcount); Session.execute is typed Result
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Attachment)
            .where(Attachment.id == attachment.id, Attachment.superseded_at.is_(None))
            .values(superseded_at=now, superseded_by_id=by.id, superseded_reason=reason)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if changed != 1:  # someone else was first
        raise AlreadySuperseded
    db.session.refresh(attachment)
    entry = attachment.entry
    audit.record(
        "evidence.superseded",
        target=f"attachment:{attachment.id}",
        school_id=attachment.school_id,
        actor=by,
        detail=f"no={entry.number}" if entry is not None else f"pending={attachment.pending_id}",
    )


# --- reading -----------------------------------------------------------------------------------


def attachments_of(
    entry: Entry | None = None, pending: PendingDisbursement | None = None
) -> Sequence[Attachment]:
    """A disbursement's (or a pending one's) attachments, oldest first, superseded included."""
    if entry is not None:
        where = Attachment.entry_id == entry.id
    elif pending is not None:
        where = and_(Attachment.pending_id == pending.id, Attachment.entry_id.is_(None))
    else:
        return []
    return db.session.scalars(select(Attachment).where(where).order_by(Attachment.id)).all()


def download_name(attachment: Attachment) -> str:
    """``bukti-BKK-0012-7.jpg``: the No Bukti (or the pending number) and the attachment id."""
    entry = attachment.entry
    owner = entry.number if entry is not None else f"P{attachment.pending_id}"
    return f"bukti-{owner}-{attachment.id}.{EXTENSIONS.get(attachment.content_type, 'bin')}"


def evidence_shares(
    school_ids: Iterable[int], first_day: date, last_day: date
) -> dict[int, tuple[int, int]]:
    """Per school: (disbursements with at least one attachment not superseded, disbursements),
    counting disbursements dated in the period that were never voided. Schools without any
    disbursement in the period are left out."""
    ids = list(school_ids)
    if not ids:
        return {}
    void = aliased(Entry)
    documented = exists().where(Attachment.entry_id == Entry.id, Attachment.superseded_at.is_(None))
    rows = db.session.execute(
        select(
            Entry.school_id,
            func.count(case((documented, 1))),
            func.count(Entry.id),
        )
        .where(
            Entry.school_id.in_(ids),
            Entry.kind == EntryKind.DISBURSEMENT,
            Entry.occurred_on >= first_day,
            Entry.occurred_on <= last_day,
            ~exists().where(void.voids_entry_id == Entry.id),
        )
        .group_by(Entry.school_id)
    ).all()
    return {school_id: (with_evidence, total) for school_id, with_evidence, total in rows}


def shares_by_npsn(
    npsns: Iterable[str], first_day: date, last_day: date
) -> dict[str, tuple[int, int]]:
    """``evidence_shares`` keyed by NPSN (the key of a report row), (0, 0) when none."""
    found = db.session.execute(select(School.npsn, School.id).where(School.npsn.in_(list(npsns))))
    ids = {npsn: school_id for npsn, school_id in found}
    shares = evidence_shares(ids.values(), first_day, last_day)
    return {npsn: shares.get(school_id, (0, 0)) for npsn, school_id in ids.items()}


def report_shares(report: Report) -> dict[str, tuple[int, int]]:
    """The shares of a kecamatan report's schools (rows keyed by NPSN) over its months."""
    flt = report.filter
    last_day = month_bounds(flt.last_month)[1]
    return shares_by_npsn((r.key for r in report.rows), flt.first_month, last_day)


def format_share(with_evidence: int, total: int) -> str:
    """``12/15 (80%)``; the percentage rounded down, so 100% means every one."""
    if total == 0:
        return "0/0"
    return f"{with_evidence}/{total} ({with_evidence * 100 // total}%)"
