"""The base of every form: WTForms' own messages in the user's language, and refused fields
that a phone user cannot miss.

WTForms ships no Indonesian catalog, so its built-in messages (a bad date, a missing field)
go through our catalog instead: each English message is mapped to an Indonesian msgid here.
A rule the ledger refuses is shown next to the field it is about (``show_refusal``). A field
with an error is rendered ``aria-invalid`` and tied to its message, and the first one of the
form gets ``autofocus``: the browser scrolls to it and focuses it, without any script.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from sas.extensions import db

if TYPE_CHECKING:
    from sas.ledger.services import LedgerError

WTFORMS_MESSAGES = {
    "This field is required.": _l("Wajib diisi."),
    "Not a valid date value.": _l("Tanggal tidak sah; gunakan format TTTT-BB-HH."),
    "Not a valid choice.": _l("Pilihan tidak sah."),
    "Invalid Choice: could not coerce.": _l("Pilihan tidak sah."),
    "Not a valid integer value.": _l("Bukan bilangan bulat yang sah."),
    "Invalid input.": _l("Isian tidak sah."),
    "Field cannot be longer than %(max)d character.": _l("Paling banyak %(max)d karakter."),
    "Field cannot be longer than %(max)d characters.": _l("Paling banyak %(max)d karakter."),
    "Field must be at least %(min)d character long.": _l("Paling sedikit %(min)d karakter."),
    "Field must be at least %(min)d characters long.": _l("Paling sedikit %(min)d karakter."),
}


class _Translations:
    def gettext(self, string: str) -> str:
        message = WTFORMS_MESSAGES.get(string)
        return str(message) if message is not None else gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        message = WTFORMS_MESSAGES.get(singular if n == 1 else plural)
        return str(message) if message is not None else ngettext(singular, plural, n)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value: Any) -> Any:
    """Typed text keeps its line breaks and tabs but no other control character (NUL...)."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


NOT_TYPED = frozenset({"HiddenField", "CSRFTokenField", "SubmitField"})


class BaseForm(FlaskForm):
    class Meta:
        form: BaseForm | None = None  # set per form instance, for render_field

        def get_translations(self, form: Any) -> _Translations:
            return _Translations()

        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Any:
            filters = (*unbound_field.kwargs.get("filters", ()), strip_control_characters)
            return unbound_field.bind(form=form, filters=filters, **options)

        def render_field(self, field: Any, render_kw: dict) -> Any:
            if field.errors and field.type not in NOT_TYPED:
                render_kw = {
                    "aria_invalid": "true",
                    "aria_describedby": f"{field.id}-error",
                    **render_kw,
                }
                if self.form is not None and self.form.first_invalid() is field:
                    render_kw["autofocus"] = True
            return super().render_field(field, render_kw)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meta.form = self

    def first_invalid(self) -> Any:
        """The first field, in the form's order, that a user must mend (None if none)."""
        return next((f for f in self if f.errors and f.type not in NOT_TYPED), None)


def show_refusal(form: BaseForm, error: LedgerError, fallback: str | None = "amount") -> None:
    """Show a ledger rule's refusal next to the field it names, or next to ``fallback`` when
    the form has no such field (at the top of the form when there is no fallback); nothing
    was saved."""
    db.session.rollback()
    field = form._fields.get(error.field) or (form._fields[fallback] if fallback else None)
    if field is None:
        form.form_errors.append(str(error))
    else:
        field.errors = [*field.errors, str(error)]
