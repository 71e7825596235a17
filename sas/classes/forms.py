from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from sas.forms import BaseForm


class AddClassesForm(BaseForm):
    labels = TextAreaField(
        _l("Tambah kelas"),
        validators=[DataRequired(_l("Tulis nama kelas, mis. 7A, 7B, 7C.")), Length(max=2000)],
    )


class RenameClassForm(BaseForm):
    label = StringField(
        _l("Nama baru"), validators=[DataRequired(_l("Tulis nama kelas.")), Length(max=40)]
    )


class ClassActionForm(BaseForm):
    """A button-only action (retire, bring back): the CSRF token and nothing else."""
