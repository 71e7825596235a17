"""Entry forms. Each carries a one-time ``form_key`` so a double submit records once."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from sas.dates import today_wib
from sas.evidence.forms import evidence_field
from sas.forms import BaseForm
from sas.ledger.labels import CATEGORY_LABELS, KIND_LABELS, SOURCE_LABELS
from sas.ledger.services import LedgerError, check_entry_date
from sas.money import AmountError, parse_rupiah


class RupiahField(StringField):
    """Text in, whole Rupiah out, as people write it ("50000", "50.000", "Rp 50.000", "25rb",
    "1,5 juta": ``sas.money.parse_rupiah``). Rendered for a phone's number pad, and read back
    in words as it is typed (static/app.js)."""

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("inputmode", "decimal")  # a number pad with "." and ","
        kwargs.setdefault("autocomplete", "off")
        kwargs.setdefault("data-max", current_app.config["MAX_ENTRY_AMOUNT"])
        unread = _l("Belum terbaca: tulis angkanya, mis. 25000 atau 25.000")
        kwargs.setdefault("data-amount", unread)
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        try:
            self.data = parse_rupiah(self.raw, current_app.config["MAX_ENTRY_AMOUNT"])
        except AmountError as error:
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        return getattr(self, "raw", None) or (str(self.data) if self.data else "")


def valid_entry_date(_form: BaseForm, field: Field) -> None:
    if field.data is None:
        return
    try:
        check_entry_date(field.data, today_wib())
    except LedgerError as error:
        raise ValidationError(str(error)) from None


def new_form_key() -> str:
    return uuid.uuid4().hex


_INVALID_FORM = _l("Formulir tidak sah; muat ulang halaman dan coba lagi.")


def form_key_field() -> HiddenField:
    """The one-time key that makes a form sent twice record once: made when the form is shown,
    and a POST must bring it back as new_form_key made it (a missing key is not replaced; a
    form that records several entries derives theirs from it)."""
    return HiddenField(
        default=new_form_key,
        validators=[
            InputRequired(_INVALID_FORM),
            Regexp(r"^[0-9a-f]{32}$", message=_INVALID_FORM),
        ],
    )


class EntryForm(BaseForm):
    amount = RupiahField(_l("Jumlah (Rp)"), validators=[InputRequired(_l("Jumlah wajib diisi."))])
    occurred_on = DateField(
        _l("Tanggal"),
        default=lambda: today_wib(),
        validators=[InputRequired(_l("Tanggal wajib diisi (TTTT-BB-HH).")), valid_entry_date],
        format="%Y-%m-%d",
    )
    form_key = form_key_field()


NO_CLASS = SelectChoice("", _l("— pilih kelas —"))


class ContributionForm(EntryForm):
    """One gift. The class comes from the school's list (``set_classes``) and is required for
    a class collection; a person's gift names the person; an anonymous one has no name."""

    source = RadioField(
        _l("Dari siapa"),
        choices=[SelectChoice(s.value, label) for s, label in SOURCE_LABELS.items()],
        default="class",
        validators=[InputRequired()],
    )
    class_label = SelectField(_l("Kelas"), choices=[NO_CLASS], validators=[Optional()])
    donor_name = StringField(_l("Nama pemberi"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("Catatan (boleh kosong)"), validators=[Optional(), Length(max=500)])

    def set_classes(self, labels: list[str]) -> None:
        self.class_label.choices = [NO_CLASS, *(SelectChoice(label, label) for label in labels)]


class ClassCollectionsForm(BaseForm):
    """One date and one amount per class (``for_classes`` adds a field per class); the rows
    left empty are skipped. One form key for the whole form."""

    occurred_on = EntryForm.occurred_on
    form_key = form_key_field()

    @classmethod
    def for_classes(cls, classes: list[tuple[int, str]], **kwargs: Any) -> ClassCollectionsForm:
        fields = {
            f"class_{id_}": RupiahField(label, validators=[Optional()]) for id_, label in classes
        }
        return type("ClassCollectionsForm", (cls,), fields)(**kwargs)

    def row_fields(self) -> list[Field]:
        """A field per class, in the order the classes were given."""
        return [f for f in self if f.name.startswith("class_")]

    def rows(self) -> list[tuple[int, int]]:
        """The filled rows: each class's id and its amount."""
        return [
            (int(f.name.removeprefix("class_")), f.data)
            for f in self.row_fields()
            if f.data is not None
        ]


def optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class DisbursementForm(EntryForm):
    """Nothing is chosen for the user: a wrong child must not be one careless tap away."""

    recipient_id = SelectField(
        _l("Penerima"),
        coerce=optional_int,
        validators=[InputRequired(_l("Pilih penerima."))],
    )
    category = SelectField(
        _l("Kebutuhan"),
        choices=[
            SelectChoice("", _l("— pilih kebutuhan —")),
            *(SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()),
        ],
        default="",
        validators=[InputRequired(_l("Pilih kebutuhan."))],
    )
    in_kind = BooleanField(_l("Diberikan dalam bentuk barang (bukan uang tunai)"))
    description = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=500)])
    evidence = evidence_field()  # optional photos or PDFs (sas.evidence)


class VoidForm(BaseForm):
    reason = TextAreaField(
        _l("Alasan koreksi"),
        validators=[DataRequired(_l("Alasan koreksi wajib diisi.")), Length(max=500)],
    )
    form_key = form_key_field()


ALL = SelectChoice("", _l("Semua"))


class CashBookFilterForm(BaseForm):
    """GET filter of the cash book; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("Jenis"),
        choices=[ALL] + [SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[Optional()],
    )
    from_ = DateField(_l("Dari"), validators=[Optional()], format="%Y-%m-%d", name="from")
    to = DateField(_l("Sampai"), validators=[Optional()], format="%Y-%m-%d")
    category = SelectField(
        _l("Kebutuhan"),
        choices=[ALL] + [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[Optional()],
    )


class ThresholdForm(BaseForm):
    """The amount from which a disbursement waits for a second committee member."""

    threshold = RupiahField(
        _l("Perlu persetujuan mulai (Rp)"),
        validators=[InputRequired(_l("Jumlah wajib diisi."))],
    )


class ApproveForm(BaseForm):
    form_key = form_key_field()  # the same approval sent twice approves once


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Alasan penolakan"),
        validators=[DataRequired(_l("Alasan penolakan wajib diisi.")), Length(max=500)],
    )
