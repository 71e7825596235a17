"""A school's months: the list with closing status, tutup buku, and the printable monthly report
(laporan bulanan). Committee members close months; teachers only read."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from sas import ledger
from sas.authz import school_view
from sas.dates import (
    PROGRAMME_START,
    format_month_long,
    month_bounds,
    next_month,
    parse_month,
    today_wib,
)
from sas.extensions import db
from sas.ledger.labels import CATEGORY_LABELS, SOURCE_LABELS
from sas.main.services import is_public
from sas.models import Role, School
from sas.months import services
from sas.months.forms import CloseMonthForm
from sas.months.services import close_month
from sas.receipts.services import Share
from sas.reports.services import monthly_report

bp = Blueprint("months", __name__, url_prefix="/sekolah/<npsn>/bulan")

READERS = (Role.COMMITTEE, Role.TEACHER)


@bp.context_processor
def month_helpers() -> dict[str, object]:
    return {
        "month_name": format_month_long,
        "month_key": lambda month: month.strftime("%Y-%m"),
        "category_labels": CATEGORY_LABELS,
        "source_labels": SOURCE_LABELS,
    }


def _month_or_404(text: str) -> date:
    """A month of the programme in the URL (2011-01 onwards), else 404."""
    try:
        month = parse_month(text)
    except ValueError:
        abort(404)
    if not PROGRAMME_START <= month <= date(2100, 12, 1):
        abort(404)
    return month


def public_share(school: School) -> Share | None:
    """The school's public page (totals per month, no names) to share from its monthly report,
    which is for the team only; None while the public site does not show the school (the page's
    own rule)."""
    if not is_public(school):
        return None
    return Share(
        title=school.name,
        text=_(
            "Siswa Asuh Sebaya %(school)s: uang masuk dan keluar setiap bulan, tanpa nama "
            "siswa. Lihat di tautan ini:",
            school=school.name,
        ),
        url=url_for("main.public_school", npsn=school.npsn, _external=True),
    )


def _to_list(school: School) -> Response:
    return redirect(url_for("months.index", npsn=school.npsn), 303)


@bp.get("")
@school_view(*READERS)
def index(school: School) -> str:
    today = today_wib()
    return render_template(
        "months/index.html", school=school, lines=services.month_lines(school, today)
    )


@bp.post("/<month>/tutup")
@school_view(Role.COMMITTEE)
def close(school: School, month: str) -> Response:
    first = _month_or_404(month)
    if not CloseMonthForm().validate_on_submit():
        flash(_("Formulir tidak sah; muat ulang halaman dan coba lagi."), "info")
        return _to_list(school)
    try:
        close_month(school, first, closed_by=current_user, today=today_wib())
    except ledger.LedgerError as error:
        db.session.rollback()
        flash(str(error), "info")
        return _to_list(school)
    db.session.commit()
    flash(_("Buku bulan %(month)s sudah ditutup.", month=format_month_long(first)), "success")
    return _to_list(school)


@bp.get("/<month>")
@school_view(*READERS)
def report(school: School, month: str) -> str:
    first = _month_or_404(month)
    this_month = today_wib().replace(day=1)
    if first > this_month:
        abort(404)
    data = monthly_report(school, first)
    return render_template(
        "months/report.html",
        school=school,
        report=data,
        income=data.income,
        last_day=month_bounds(first)[1],
        previous=(first - timedelta(days=1)).replace(day=1) if first > PROGRAMME_START else None,
        following=next_month(first) if next_month(first) <= this_month else None,
        share=public_share(school),
    )
