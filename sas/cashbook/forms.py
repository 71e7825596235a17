"""The cash book's filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from sas.fields import ALL
from sas.forms import BaseForm
from sas.ledger.labels import CATEGORY_LABELS, KIND_LABELS


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
