"""What every template may use, registered in one place: ``register`` (a step of ``create_app``).

The formatters live with what they format (Rupiah in ``sas.money``, dates in ``sas.dates``,
counts of students and month statuses in ``sas.reports.exports``); this module only names them
for templates. A helper that the pages of one blueprint alone use stays in that blueprint's own
``context_processor``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, request, url_for
from flask_login import current_user
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup

from sas.approvals.services import describe_pending
from sas.cashbook.services import describe, describe_line
from sas.dates import (
    format_day,
    format_month,
    format_month_long,
    format_month_short,
    format_timestamp,
)
from sas.evidence.forms import AttachForm, SupersedeForm
from sas.evidence.services import attachments_of, format_share
from sas.extensions import select_locale, translations
from sas.ledger.chain import fingerprint
from sas.ledger.labels import CHAIN_PROBLEMS, KIND_LABELS
from sas.money import format_rupiah, format_rupiah_short
from sas.offline.routes import drawn_at, offline_pages
from sas.reports.exports import format_students, month_status


def chart_ceiling(value: int) -> int:
    """The top of a chart's scale: a round number (1, 1.5, 2 ... 8 times a power of ten) at
    least ``value``."""
    step = 1
    while step * 10 < value:
        step *= 10
    factors = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
    return max(1, next(int(step * f) for f in factors if value <= step * f))


def evidence_share(share: tuple[int, int]) -> str:
    """A share as ``sas.evidence.services.report_shares`` gives it: ``(12, 15)`` ->
    "12/15 (80%)"."""
    return format_share(*share)


# name in templates -> function; the names are the templates' and stay as they are
FILTERS: dict[str, Callable[..., Any]] = {
    "rupiah": format_rupiah,
    "rupiah_short": format_rupiah_short,
    "tanggal": format_day,
    "waktu": format_timestamp,
    "month_label": format_month,
    "month_name": format_month_long,
    "month_short": format_month_short,
    "month_status": month_status,
    "students": format_students,
    "nice_ceiling": chart_ceiling,
    "evidence_share": evidence_share,
    "fingerprint": fingerprint,
    # also a filter: a template calls a filter directly, a function through its context (the
    # cash book does it 50 times a page)
    "describe_line": describe_line,
}
GLOBALS: dict[str, Callable[..., Any]] = {
    "select_locale": select_locale,
    "offline_pages": offline_pages,
    "drawn_at": drawn_at,
}


def signed_in_user() -> dict[str, object]:
    """The user itself rather than Flask-Login's proxy: a page reads it many times."""
    return {"current_user": current_user._get_current_object()}


def entry_helpers() -> dict[str, object]:
    """How an entry reads on any page that lists one (dashboard, cash book, entry, kuitansi)."""
    return {
        "describe": describe,
        "describe_line": describe_line,
        "describe_pending": describe_pending,
        "kind_labels": KIND_LABELS,
        "chain_problems": CHAIN_PROBLEMS,
    }


def evidence_helpers() -> dict[str, object]:
    """For the evidence part of the entry page (``templates/evidence/_entry.html``) and the
    waiting disbursements, which other blueprints draw."""
    return {
        "evidence_of": attachments_of,
        "new_attach_form": AttachForm,
        "new_supersede_form": SupersedeForm,
    }


def _texts(catalogue: NullTranslations) -> dict[tuple[str, bool], str]:
    """The finished strings of a catalogue without variables, kept with it: a page's
    ``_('Saldo')`` is the same text every time."""
    texts: dict[tuple[str, bool], str]
    try:
        texts = catalogue.sas_texts  # type: ignore[attr-defined]
    except AttributeError:
        texts = catalogue.sas_texts = {}  # type: ignore[attr-defined]
    return texts


# Jinja's own newstyle callables (jinja2.ext), the same results at less cost: its ``_`` calls
# ``gettext`` which calls the catalogue, each through the template context's ``call``, and
# formats the text even without variables. A page has dozens of them.
@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, /, **variables: object) -> str:
    """``_('...')`` and ``gettext('...')`` in templates: translated, then (escaped when the
    template is) formatted with ``variables``; always a format string, as Jinja's is."""
    if not variables:
        texts = _texts(translations())
        key = (string, eval_ctx.autoescape)
        try:
            return texts[key]
        except KeyError:
            pass
    text: str = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogue's own text, as Jinja trusts it
    done: str = text % variables
    if not variables:
        texts[key] = done
    return done


@pass_eval_context
def template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, count: int, /, **variables: object
) -> str:
    """``ngettext(...)`` in templates, as Jinja's newstyle one (``num`` is the count unless
    given); the count is positional only, since a page may pass its own ``num``."""
    variables.setdefault("num", count)
    text: str = translations().ungettext(singular, plural, count)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the catalogue's own text, as Jinja trusts it
    done: str = text % variables
    return done


def layout_url() -> Callable[..., str]:
    """``layout_url(endpoint, **values)``: ``url_for`` for the layout's links, which are the
    same on every page (the menu, the school's bar: twenty on a school's page), built once per
    process. Only for links that depend on nothing but their arguments (no static files, whose
    names change with their content)."""
    known: dict[tuple[object, ...], str] = {}

    def layout_url(endpoint: str, **values: Any) -> str:
        key = (request.script_root, endpoint, *sorted(values.items()))
        try:
            return known[key]
        except KeyError:
            if len(known) > 50_000:  # a school's links are a dozen; bounded all the same
                known.clear()
            found = known[key] = url_for(endpoint, **values)
            return found

    return layout_url


def kept_part(name: str) -> Markup:
    """A part of the layout that shows nothing but words (the outbox's), drawn once per
    language and kept with that language's catalogue: it costs a page a dozen translations
    otherwise. Drawn afresh each time while templates reload (development)."""
    env = current_app.jinja_env
    catalogue = translations()
    parts: dict[str, Markup]
    try:
        parts = catalogue.sas_parts  # type: ignore[attr-defined]
    except AttributeError:
        parts = catalogue.sas_parts = {}  # type: ignore[attr-defined]
    part = parts.get(name)
    if part is None or env.auto_reload:
        part = parts[name] = Markup(env.get_template(name).render())  # noqa: S704 - a template's own output
    return part


def register(app: Flask) -> None:
    # replaces Flask-Babel's, same behaviour; jinja2's i18n extension (which Flask-Babel
    # loads) adds this method to the Environment at run time, so its class does not declare it
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
    )
    # then the cheaper callables above in their place (``{% trans %}`` blocks call them too)
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=template_ngettext
    )
    app.context_processor(signed_in_user)
    app.context_processor(entry_helpers)
    app.context_processor(evidence_helpers)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
    app.add_template_global(layout_url(), "layout_url")  # its own links for each app
    app.add_template_global(kept_part, "kept_part")
