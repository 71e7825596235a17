"""The form pieces every feature's money forms share: the Rupiah field, the entry date, and
the one-time ``form_key`` that makes a form sent twice record once."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, HiddenField, SelectChoice, StringField
from wtforms.validators import InputRequired, Regexp, ValidationError

from sas.dates import today_wib
from sas.forms import BaseForm
from sas.ledger import LedgerError, check_entry_date
from sas.money import AmountError, parse_rupiah


class RupiahField(StringField):
    """Text in, whole Rupiah out, as people write it ("50000", "50.000", "Rp 50.000", "25rb",
    "1,5 juta": ``sas.money.parse_rupiah``). Rendered for a phone's number pad, and read back
    in words as it is typed (static/app.js)."""

    # Any, as every wtforms field's data: None until parsed, an int once the form validated.
    data: Any

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


ALL = SelectChoice("", _l("Semua"))
