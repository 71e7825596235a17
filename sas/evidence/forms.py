"""Forms for evidence: the file field (also on the disbursement form), attach and supersede."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileRequired, MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from sas.evidence.services import MAX_FILES, EvidenceRefused, Prepared, prepare_upload
from sas.forms import BaseForm

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"  # a hint to the browser only
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def shown_name(upload: FileStorage) -> str:
    """The uploaded name, only to tell the user which file an error is about."""
    name = _UNPRINTABLE.sub("", upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:60] or "?"


class EvidenceField(MultipleFileField):
    """Photos or PDFs; once validated, ``prepared`` holds them checked and re-encoded, ready
    for ``sas.evidence.services.attach`` (nothing is stored before the form is valid)."""

    prepared: list[Prepared]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared = []

    def pre_validate(self, form: Any) -> None:
        self.prepared = []
        uploads = [f for f in self.data or [] if isinstance(f, FileStorage) and f]
        if len(uploads) > MAX_FILES:
            raise StopValidation(_("Paling banyak %(max)d berkas sekaligus.", max=MAX_FILES))
        problems = []
        for upload in uploads:
            try:
                self.prepared.append(prepare_upload(upload))
            except EvidenceRefused as refused:
                problems.append(f"{shown_name(upload)}: {refused}")
        if problems:
            self.prepared = []
            raise StopValidation(" ".join(problems))


def evidence_field(label: Any = None, required: bool = False) -> EvidenceField:
    validators = [FileRequired(_l("Pilih minimal satu berkas."))] if required else []
    return EvidenceField(
        label or _l("Bukti: foto atau PDF (boleh lebih dari satu, maks. 5 MB per berkas)"),
        validators=validators,
        render_kw={"accept": ACCEPT},
    )


class AttachForm(BaseForm):
    files = evidence_field(required=True)


class SupersedeForm(BaseForm):
    reason = TextAreaField(
        _l("Alasan (mis. foto salah, salah transaksi)"),
        validators=[DataRequired(_l("Alasan wajib diisi.")), Length(max=500)],
    )
