"""Admin forms. Lists are filtered with GET forms (no CSRF: they change nothing); every change
is a POST form with its CSRF token, a button-only action an empty ``ActionForm``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from sas.authz import NPSN, REGION_CODE
from sas.forms import BaseForm
from sas.models import Jenjang, Role, SchoolStatus

ROLE_LABELS = {
    Role.COMMITTEE: _l("Tim SAS"),
    Role.TEACHER: _l("Guru pembina"),
    Role.DISTRICT: _l("Dinas Pendidikan"),
    Role.ADMIN: _l("Admin"),
}
STATUS_LABELS = {SchoolStatus.NEGERI: _l("Negeri"), SchoolStatus.SWASTA: _l("Swasta")}


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token."""


class RegionForm(BaseForm):
    code = StringField(
        _l("Kode Kemendagri"),
        filters=[strip],
        validators=[
            DataRequired(),
            Regexp(
                REGION_CODE.pattern,
                message=_l("Tulis kode seperti 35.10 (kabupaten) atau 35.10.01 (kecamatan)."),
            ),
        ],
    )
    name = StringField(_l("Nama"), filters=[strip], validators=[DataRequired(), Length(max=100)])


class SchoolForm(BaseForm):
    npsn = StringField(
        _l("NPSN"),
        filters=[strip, upper],
        validators=[
            DataRequired(),
            Regexp(NPSN.pattern, message=_l("NPSN terdiri dari 8 angka atau huruf besar.")),
        ],
    )
    name = StringField(
        _l("Nama sekolah"), filters=[strip], validators=[DataRequired(), Length(max=150)]
    )
    jenjang = SelectField(_l("Jenjang"), choices=[SelectChoice(j.value, j.value) for j in Jenjang])
    status = RadioField(
        _l("Status"), choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()]
    )
    kecamatan_id = SelectField(_l("Kecamatan"), coerce=int)  # choices: set by the view


class SchoolFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Nama atau NPSN"), filters=[strip], validators=[Length(max=100)])
    kecamatan = SelectField(_l("Kecamatan"), validate_choice=False)  # choices: set by the view
    jenjang = SelectField(
        _l("Jenjang"),
        choices=[SelectChoice("", _l("Semua"))] + [SelectChoice(j.value, j.value) for j in Jenjang],
        validators=[Optional()],
    )
    active = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Semua")),
            SelectChoice("1", _l("Aktif")),
            SelectChoice("0", _l("Nonaktif")),
        ],
        validators=[Optional()],
    )


class ImportForm(BaseForm):
    file = FileField(_l("File CSV"), validators=[FileRequired(_l("Pilih file CSV."))])


class ImportConfirmForm(BaseForm):
    """Names the previewed file kept on the server and the plan that was shown."""

    token = HiddenField(validators=[DataRequired(), Length(max=32)])
    digest = HiddenField(validators=[DataRequired(), Length(max=64)])


class UserForm(BaseForm):
    username = StringField(
        _l("Nama pengguna"),
        filters=[strip],
        validators=[
            DataRequired(),
            Length(min=3),  # two validators: WTForms' "between" message has no translation
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$",
                message=_l("Hanya huruf, angka, titik, garis bawah dan tanda hubung."),
            ),
        ],
    )
    display_name = StringField(
        _l("Nama lengkap"), filters=[strip], validators=[DataRequired(), Length(max=100)]
    )
    role = RadioField(
        _l("Peran"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    npsn = StringField(
        _l("NPSN sekolah (Tim SAS dan guru pembina)"),
        filters=[strip, upper],
        validators=[
            Optional(),
            Regexp(NPSN.pattern, message=_l("NPSN terdiri dari 8 angka atau huruf besar.")),
        ],
    )
    kabupaten = SelectField(_l("Kabupaten (Dinas Pendidikan)"), validate_choice=False)


class DisplayNameForm(BaseForm):
    display_name = StringField(
        _l("Nama lengkap"), filters=[strip], validators=[DataRequired(), Length(max=100)]
    )


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Cari nama"), filters=[strip], validators=[Length(max=100)])
    role = SelectField(
        _l("Peran"),
        choices=[SelectChoice("", _l("Semua"))]
        + [SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[Optional()],
    )
    npsn = StringField(_l("NPSN sekolah"), filters=[strip, upper], validators=[Length(max=8)])
    active = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Semua")),
            SelectChoice("1", _l("Aktif")),
            SelectChoice("0", _l("Nonaktif")),
        ],
        validators=[Optional()],
    )


class EndTermForm(BaseForm):
    year = SelectField(_l("Tahun ajaran yang berakhir"), coerce=int)  # choices: set by the view
