"""District and kecamatan reports, the school summary and their exports: numbers only.

The pages take every figure from ``sas.reports.services`` (running totals, never the ledger) and
the files from ``sas.reports.exports``, so a page and its file always agree. Nothing here loads
a recipient, a donor, a note or a description. Above the school, a count of 1 or 2 students
helped is shown as "<3"; a school's own committee and teacher see their real number.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from sas import pagecache
from sas.authz import kabupaten_for, kecamatan_for, report_school_for, roles
from sas.dates import WIB, school_year_start, today_wib
from sas.district.forms import REGION_SORTS, SCHOOL_SORTS, PeriodForm, RegionReportForm
from sas.evidence.services import report_shares
from sas.extensions import db
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import Region, RegionLevel, Role, School
from sas.models.people import SCHOOL_ROLES
from sas.reports import exports
from sas.reports.services import (
    ReportFilter,
    SchoolSummary,
    district_report,
    kecamatan_report,
    school_summary,
    school_years,
    transfer_flows,
)

bp = Blueprint("district", __name__)

REPORT_READERS = (Role.DISTRICT, Role.ADMIN)
SUMMARY_READERS = (Role.COMMITTEE, Role.TEACHER, Role.DISTRICT, Role.ADMIN)
MIMETYPES = {
    "csv": "text/csv",  # werkzeug adds "; charset=utf-8" to every text/* type
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STATUS_SYMBOLS = {"on_time": "●", "late": "◐", "open": "○", "not_due": "·"}


# --- template helpers of the district pages (app-wide ones: sas/templating.py) --------------------


@bp.context_processor
def report_helpers() -> dict[str, object]:
    return {
        "category_labels": CATEGORY_LABELS,
        "status_labels": exports.STATUS_LABELS,
        "status_symbols": STATUS_SYMBOLS,
    }


# --- reading the query -------------------------------------------------------------------------


@dataclass
class Query:
    """What the query string asked for, bad parts replaced by defaults (errors on the form)."""

    form: PeriodForm
    filter: ReportFilter
    sort: str | None = None
    descending: bool = False

    @property
    def period_args(self) -> dict[str, str]:
        """School year and months as query parameters, for links that keep them."""
        flt, args = self.filter, {"school_year": self.filter.label}
        if flt.month_from:
            args["from"] = flt.month_from.strftime("%Y-%m")
        if flt.month_to:
            args["to"] = flt.month_to.strftime("%Y-%m")
        return args

    @property
    def args(self) -> dict[str, str]:
        """The whole filter as query parameters."""
        jenjang = self.filter.jenjang
        return {**self.period_args, **({"jenjang": jenjang.value} if jenjang else {})}

    @property
    def order(self) -> dict[str, str]:
        if self.sort is None:
            return {}
        return {"sort": self.sort, "dir": "desc" if self.descending else "asc"}


def _region_query(kabupaten: Region, sorts: tuple[str, ...]) -> Query:
    form = RegionReportForm(request.args, sorts=sorts)
    flt = form.report_filter(school_years(kabupaten), school_year_start(today_wib()))
    return Query(form, flt, *form.order())


def _key(query: Query, today: date, *scope: Hashable) -> Hashable | None:
    """What a page's body shows besides its kabupaten's figures: the path, the validated filter
    and order, the day (this month, the school year) and the reader's scope. A query with errors
    is drawn for this view only (the form shows what was typed)."""
    if query.form.errors:
        return None
    return (
        request.endpoint,
        tuple(sorted((request.view_args or {}).items())),
        tuple(sorted({**query.args, **query.order}.items())),
        today,
        *scope,
    )


def _download(
    tables: dict[str, exports.Table], fmt: str, key: str, title: str, flt: ReportFilter
) -> Response:
    """The first table (or ``?table=`` another) as CSV, or every table as sheets of one XLSX."""
    if fmt == "csv":
        part = request.args.get("table", "")
        part = part if part in tables and part != next(iter(tables)) else ""
        body = exports.to_csv(tables[part or next(iter(tables))])
    else:
        part = ""
        head = exports.heading(f"SAS · {title}", flt, datetime.now(WIB))
        body = exports.to_xlsx(list(tables.values()), head)
    name = exports.file_name(key, flt, fmt, part)
    return current_app.response_class(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- the district ------------------------------------------------------------------------------


@bp.get("/dinas")
@roles(*REPORT_READERS)
def start() -> Response | tuple[str, int]:
    """A district officer's own kabupaten; for an admin, the first one."""
    if current_user.role == Role.DISTRICT:
        kabupaten = current_user.region
    else:
        kabupaten = db.session.scalar(
            select(Region)
            .where(Region.level == RegionLevel.KABUPATEN)
            .order_by(Region.code)
            .limit(1)
        )
    if kabupaten is None:
        return render_template(
            "error.html",
            title=_("Belum ada kabupaten"),
            message=_("Belum ada wilayah yang dapat dilaporkan untuk akun ini."),
        ), 404
    return redirect(url_for("district.report", code=kabupaten.code))


@bp.get("/kabupaten/<code>")
@roles(*REPORT_READERS)
def report(code: str) -> str:
    kabupaten = kabupaten_for(code, current_user)
    query = _region_query(kabupaten, REGION_SORTS)
    today = today_wib()

    def draw() -> str:
        data = district_report(kabupaten, query.filter, today)
        rows = exports.sort_rows(data.rows, query.sort, query.descending)
        flows = transfer_flows(kabupaten, query.filter)
        return render_template(
            "district/_report_body.html", report=data, rows=rows, query=query, flows=flows
        )

    body = pagecache.kept(kabupaten.id, _key(query, today), draw)
    return render_template("district/report.html", region=kabupaten, body=body)


@bp.get("/kabupaten/<code>/unduh.<any(csv, xlsx):fmt>")
@roles(*REPORT_READERS)
def report_export(code: str, fmt: str) -> Response:
    kabupaten = kabupaten_for(code, current_user)
    query = _region_query(kabupaten, REGION_SORTS)
    data = district_report(kabupaten, query.filter, today_wib())
    rows = exports.sort_rows(data.rows, query.sort, query.descending)
    tables = {
        "kecamatan": exports.district_table(data, rows),
        "months": exports.region_months_table(data.months),
        "categories": exports.categories_table(data.categories),
        "flows": exports.flows_table(transfer_flows(kabupaten, query.filter)),
    }
    title = _("Kabupaten %(name)s (%(code)s)", name=kabupaten.name, code=kabupaten.code)
    return _download(tables, fmt, kabupaten.code, title, query.filter)


# --- a kecamatan -------------------------------------------------------------------------------


@bp.get("/kecamatan/<code>")
@roles(*REPORT_READERS)
def kecamatan(code: str) -> str:
    region = kecamatan_for(code, current_user)
    assert region.parent is not None  # a kecamatan's kabupaten (the level_parent CHECK)
    query = _region_query(region.parent, SCHOOL_SORTS)
    today = today_wib()

    def draw() -> str:
        data = kecamatan_report(region, query.filter, today)
        rows = exports.sort_rows(data.rows, query.sort, query.descending)
        evidence = report_shares(data)  # disbursements with evidence: counts only, never files
        return render_template(
            "district/_kecamatan_body.html", report=data, rows=rows, query=query, evidence=evidence
        )

    body = pagecache.kept(region.parent.id, _key(query, today), draw)
    return render_template("district/kecamatan.html", region=region, body=body)


@bp.get("/kecamatan/<code>/unduh.<any(csv, xlsx):fmt>")
@roles(*REPORT_READERS)
def kecamatan_export(code: str, fmt: str) -> Response:
    region = kecamatan_for(code, current_user)
    assert region.parent is not None  # a kecamatan's kabupaten (the level_parent CHECK)
    query = _region_query(region.parent, SCHOOL_SORTS)
    data = kecamatan_report(region, query.filter, today_wib())
    rows = exports.sort_rows(data.rows, query.sort, query.descending)
    tables = {
        "schools": exports.kecamatan_table(data, rows, report_shares(data)),
        "months": exports.region_months_table(data.months),
        "categories": exports.categories_table(data.categories),
    }
    title = _("Kecamatan %(name)s (%(code)s)", name=region.name, code=region.code)
    return _download(tables, fmt, region.code, title, query.filter)


# --- one school --------------------------------------------------------------------------------


def _summary_filter(npsn: str) -> tuple[School, Query]:
    school = report_school_for(npsn, current_user)
    form = PeriodForm(request.args)
    flt = form.report_filter(school_years(school=school), school_year_start(today_wib()))
    return school, Query(form, flt)


def _summary_query(npsn: str) -> tuple[Query, SchoolSummary]:
    school, query = _summary_filter(npsn)
    return query, school_summary(school, query.filter, today_wib())


@bp.get("/sekolah/<npsn>/ringkasan")
@roles(*SUMMARY_READERS)
def summary(npsn: str) -> str:
    school, query = _summary_filter(npsn)
    own = current_user.role in SCHOOL_ROLES  # report_school_for let them see only their own
    today = today_wib()

    def draw() -> str:
        data = school_summary(school, query.filter, today)
        return render_template(
            "district/_summary_body.html", summary=data, query=query, suppress=not own
        )

    body = pagecache.kept(school.kecamatan.parent_id or 0, _key(query, today, own), draw)
    extra = {"school": school} if own else {}  # the school's menu, for its own people
    return render_template("district/summary.html", s=school, body=body, **extra)


@bp.get("/sekolah/<npsn>/ringkasan.<any(csv, xlsx):fmt>")
@roles(*SUMMARY_READERS)
def summary_export(npsn: str, fmt: str) -> Response:
    query, data = _summary_query(npsn)
    tables = {
        "months": exports.school_months_table(data),
        "categories": exports.categories_table(data.categories),
    }
    school = data.school
    title = _("%(name)s (NPSN %(npsn)s)", name=school.name, npsn=school.npsn)
    return _download(tables, fmt, school.npsn, title, query.filter)
