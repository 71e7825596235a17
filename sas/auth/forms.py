"""Logging in and choosing a password."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from sas.auth.passwords import MAX_LENGTH
from sas.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    next = HiddenField()


class NewPasswordForm(BaseForm):
    """A password chosen by its owner; the rules are ``password_problems`` (checked by the view,
    which knows the username)."""

    new_password = PasswordField(
        _l("Kata sandi baru"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Kedua kata sandi baru tidak sama.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Kata sandi sekarang"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
