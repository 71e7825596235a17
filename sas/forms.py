"""The base of every form: WTForms' own messages in the user's language, and refused fields
that a phone user cannot miss.

WTForms ships no Indonesian catalog, so its built-in messages (a bad date, a missing field)
go through our catalog instead: each English message is mapped to an Indonesian msgid here.
A rule's refusal (``sas.refusals.Refused``) is shown next to the field it is about
(``show_refusal``), and a view commits a form's write and reports it in one way
(``commit_form``, ``commit_action``). A field with an error is rendered ``aria-invalid`` and
tied to its message, and the first one of the form gets ``autofocus``: the browser scrolls to it
and focuses it, without any script.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from sas.extensions import db
from sas.refusals import Refused

T = TypeVar("T")

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

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = (*unbound_field.kwargs.get("filters", ()), strip_control_characters)
            return unbound_field.bind(form=form, filters=filters, **options)

        def render_field(self, field: Any, render_kw: dict[str, Any]) -> Any:
            if field.errors and field.type not in NOT_TYPED:
                render_kw = {
                    "aria_invalid": "true",
                    "aria_describedby": f"{field.id}-error",
                    **render_kw,
                }
                if self.form is not None and self.form.first_invalid() is field:
                    render_kw["autofocus"] = True
            # wtforms makes each form's Meta a subclass of its parents' (FlaskForm's, then
            # DefaultMeta, which has render_field): a base this class statement cannot show
            return super().render_field(field, render_kw)  # type: ignore[misc]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meta.form = self

    def first_invalid(self) -> Any:
        """The first field, in the form's order, that a user must mend (None if none)."""
        return next((f for f in self if f.errors and f.type not in NOT_TYPED), None)


def show_refusal(form: BaseForm, error: Refused, fallback: str | None = None) -> None:
    """Show a rule's refusal next to the field it names, or next to ``fallback`` when the form
    has no such field, or at the top of the form when it has neither; nothing was saved."""
    db.session.rollback()
    name = next((n for n in (error.field, fallback) if n and n in form), None)
    if name is None:
        form.form_errors.append(str(error))
    else:
        form[name].errors = [*form[name].errors, str(error)]


def _answer(
    write: Callable[[], T],
    to: str | Callable[[T], str | Response],
    message: str | Callable[[T], str | None] | None,
) -> Response:
    """Run the write and commit once; the answer and the message are worked out before the
    commit, which expires every row (reading them after it would cost queries), and the
    message is flashed only once the commit succeeded."""
    result = write()
    answer = to(result) if callable(to) else to
    said = message(result) if callable(message) else message
    db.session.commit()
    if said:
        flash(said, "success")
    return answer if isinstance(answer, Response) else redirect(answer, 303)


def commit_form(
    form: BaseForm,
    write: Callable[[], T],
    *,
    to: str | Callable[[T], str | Response],
    message: str | Callable[[T], str | None] | None = None,
    fallback: str | None = None,
    conflict: str | None = None,
) -> Response | None:
    """A validated form's write, committed once and reported: ``message`` flashed, then a 303
    to ``to``. Either may be a function of what ``write`` returned (a message of None says
    nothing; ``to`` may give a whole response instead of a URL).

    On a ``Refused`` nothing is saved and the refusal is shown on the form (``show_refusal``
    with ``fallback``); with ``conflict``, so is that message, at the top, when the database
    refused a row another request saved at the same moment (a unique code just taken). Then
    this returns None and the view draws the form again with 422.
    """
    try:
        return _answer(write, to, message)
    except Refused as error:
        show_refusal(form, error, fallback)
    except IntegrityError:
        if conflict is None:
            raise
        show_refusal(form, Refused(conflict))
    return None


def commit_action(
    write: Callable[[], T],
    *,
    back: str,
    to: str | Callable[[T], str | Response] | None = None,
    message: str | Callable[[T], str | None] | None = None,
) -> Response:
    """A button's write (a form of only its CSRF token, posted from a page, validated by the
    view), committed and reported as by ``commit_form``, then a 303 ``back`` to that page (or
    to ``to``). A refusal is flashed there as an error: the button has no form of its own to
    show it on."""
    try:
        return _answer(write, back if to is None else to, message)
    except Refused as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(back, 303)
