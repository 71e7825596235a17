"""Forms of Sekolah Asuh Sekolah: a request for help, a transfer, closing and voiding."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from sas.fields import ALL, EntryForm, RupiahField, form_key_field
from sas.forms import BaseForm
from sas.ledger.labels import CATEGORY_LABELS
from sas.transfers.services import MAX_DESCRIPTION

CATEGORIES = [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()]


class RequestForm(BaseForm):
    amount = RupiahField(
        _l("Jumlah yang dibutuhkan (Rp)"), validators=[InputRequired(_l("Jumlah wajib diisi."))]
    )
    category = SelectField(_l("Kebutuhan"), choices=CATEGORIES, validators=[InputRequired()])
    description = TextAreaField(
        _l("Keterangan singkat"),
        validators=[
            DataRequired(_l("Keterangan wajib diisi.")),
            Length(max=MAX_DESCRIPTION),
        ],
    )
    deadline = DateField(
        _l("Batas waktu (boleh kosong)"), validators=[Optional()], format="%Y-%m-%d"
    )
    form_key = form_key_field()


class TransferForm(EntryForm):
    """Amount and date come from the ledger's entry form; the receiving school is chosen
    here (or fixed by the request being answered)."""

    to_school = SelectField(_l("Sekolah penerima"), validators=[InputRequired()])
    request_id = HiddenField()
    note = TextAreaField(
        _l("Catatan (terlihat oleh kedua sekolah)"), validators=[Optional(), Length(max=500)]
    )


class CloseRequestForm(BaseForm):
    """A button-only POST: withdraw, or mark fulfilled."""


class VoidTransferForm(BaseForm):
    reason = TextAreaField(
        _l("Alasan pembatalan"),
        validators=[DataRequired(_l("Alasan koreksi wajib diisi.")), Length(max=500)],
    )
    form_key = form_key_field()


class BoardFilterForm(BaseForm):
    """GET filter of the board; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    kecamatan = SelectField(_l("Kecamatan"), choices=[ALL], validators=[Optional()])
    category = SelectField(_l("Kebutuhan"), choices=[ALL, *CATEGORIES], validators=[Optional()])
    sort = SelectField(
        _l("Urutkan"),
        choices=[
            SelectChoice("age", _l("Terbaru")),
            SelectChoice("amount", _l("Kebutuhan terbesar")),
            SelectChoice("deadline", _l("Batas waktu terdekat")),
        ],
        default="age",
        validators=[Optional()],
    )
