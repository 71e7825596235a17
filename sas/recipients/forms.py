from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from sas.forms import BaseForm


class RecipientForm(BaseForm):
    name = StringField(_l("Nama siswa"), validators=[DataRequired(), Length(max=100)])
    class_label = StringField(_l("Kelas"), validators=[Optional(), Length(max=20)])
    nisn = StringField(
        _l("NISN (boleh kosong)"),
        validators=[Optional(), Regexp(r"^[0-9]{10}$", message=_l("NISN terdiri dari 10 angka."))],
    )
    reason = TextAreaField(_l("Alasan dibantu"), validators=[Optional(), Length(max=1000)])
    active = BooleanField(_l("Aktif (masih dibantu)"), default=True)
