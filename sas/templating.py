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
from flask import Flask, g
from flask_babel import get_translations
from flask_login import current_user

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
from sas.extensions import select_locale
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


def translations() -> NullTranslations:
    """This request's catalogue. Flask-Babel's template callables look it up afresh for every
    string (a page has dozens); the locale does not change within a request."""
    found: NullTranslations
    try:
        found = g.sas_translations
    except AttributeError:
        g.sas_translations = found = get_translations()
    return found


def register(app: Flask) -> None:
    # replaces Flask-Babel's, same behaviour; jinja2's i18n extension (which Flask-Babel
    # loads) adds this method to the Environment at run time, so its class does not declare it
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.context_processor(signed_in_user)
    app.context_processor(entry_helpers)
    app.context_processor(evidence_helpers)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    for name, function in GLOBALS.items():
        app.add_template_global(function, name)
