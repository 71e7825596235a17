"""The second committee member's decision, and the amount from which one is needed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from sas.fields import RupiahField, form_key_field
from sas.forms import BaseForm


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
