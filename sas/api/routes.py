"""The read-only JSON API for district systems, versioned under /api/v1/.

Numbers only: the figures come from ``sas.reports.services`` like every page's, and no name of a
recipient or donor, NISN, note or description ever leaves here. Above the school (a district
officer's or an admin's view) a count of students helped of 1 or 2 is sent as ``null`` with
``students_helped_suppressed: true``; a school's own committee and teacher see the real count.
Described by the OpenAPI document in ``sas.api.openapi``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from sas.api import errors
from sas.api.auth import caller
from sas.api.errors import PREFIX, ApiError, bad_parameter
from sas.api.openapi import OPENAPI
from sas.authz import kabupaten_for, kecamatan_for, report_school_for
from sas.dates import (
    FIRST_SCHOOL_YEAR,
    LAST_SCHOOL_YEAR,
    parse_month,
    parse_school_year,
    school_year_label,
    school_year_start,
    today_wib,
)
from sas.extensions import csrf, db
from sas.models import Jenjang, Region, RegionLevel, Role, School, User
from sas.models.people import SCHOOL_ROLES
from sas.reports.services import (
    Figures,
    ReportFilter,
    SchoolFlow,
    district_report,
    is_suppressed,
    kecamatan_report,
    school_summary,
    transfer_flows,
)

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # GET only: nothing here changes state, and other methods get a JSON 405
errors.register(bp)

ABOVE_SCHOOL = (Role.DISTRICT, Role.ADMIN)
EVERY_ROLE = (*SCHOOL_ROLES, *ABOVE_SCHOOL)


# --- parameters ----------------------------------------------------------------------------------


def _month(args: Mapping[str, str], name: str) -> date | None:
    text = args.get(name)
    if text is None:
        return None
    try:
        return parse_month(text)
    except ValueError:
        raise bad_parameter(
            name, f"{name} must be a month written YYYY-MM, e.g. 2025-08."
        ) from None


def _jenjang(text: str) -> Jenjang:
    for jenjang in Jenjang:
        if jenjang.value.lower() == text.lower():
            return jenjang
    allowed = ", ".join(j.value for j in Jenjang)
    raise bad_parameter("jenjang", f"jenjang must be one of {allowed}.")


def _school_year(text: str) -> int:
    try:
        return parse_school_year(text)
    except ValueError:
        raise bad_parameter(
            "school_year",
            f"school_year must be a school year like 2025/2026, from {FIRST_SCHOOL_YEAR}/"
            f"{FIRST_SCHOOL_YEAR + 1} to {LAST_SCHOOL_YEAR}/{LAST_SCHOOL_YEAR + 1}.",
        ) from None


def report_filter(args: Mapping[str, str], *, with_jenjang: bool = True) -> ReportFilter:
    """The filter of the query string; 400 for anything that is not one.

    Without ``school_year`` the school year is the one holding ``from`` (else ``to``), else the
    current one: ``?from=2025-08`` means August 2025 to June 2026, as a reader would take it.
    A parameter given twice is refused, not read as its first value.
    """
    for name in request.args:
        if len(request.args.getlist(name)) > 1:
            raise bad_parameter(name, f"{name} is given more than once.")
    months = {name: _month(args, name) for name in ("from", "to")}
    if "school_year" in args:
        year = _school_year(args["school_year"])
    else:
        given = months["from"] or months["to"]
        year = school_year_start(given or today_wib())
        if not FIRST_SCHOOL_YEAR <= year <= LAST_SCHOOL_YEAR:
            name = "from" if months["from"] else "to"
            raise bad_parameter(
                name,
                f"{name} must be a month from {FIRST_SCHOOL_YEAR}-07 to {LAST_SCHOOL_YEAR + 1}-06.",
            )
    for name, month in months.items():
        if month is not None and school_year_start(month) != year:
            raise bad_parameter(
                name,
                f"{name} must be a month of the school year {school_year_label(year)} "
                f"({year}-07 to {year + 1}-06).",
            )
    if months["from"] and months["to"] and months["from"] > months["to"]:
        raise bad_parameter("from", "from must not be after to.")
    jenjang = None
    if "jenjang" in args:
        if not with_jenjang:
            raise bad_parameter("jenjang", f"jenjang does not apply to {request.path}.")
        jenjang = _jenjang(args["jenjang"])
    return ReportFilter(year, months["from"], months["to"], jenjang)


KABUPATEN_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}")


def _kabupaten_code(args: Mapping[str, str]) -> str | None:
    """``kabupaten`` if given; 400 unless it is a code like 35.10, for every caller (a
    committee member's or teacher's is ignored, but not when it is malformed)."""
    code = args.get("kabupaten")
    if code is not None and not KABUPATEN_CODE.fullmatch(code):
        raise bad_parameter("kabupaten", "kabupaten must be a Kemendagri code like 35.10.")
    return code


def _kabupaten(user: User, code: str | None) -> Region:
    """The kabupaten asked for, else the district officer's own, else (admin) the first."""
    if code is None and user.role == Role.DISTRICT:
        if user.region is None:
            raise ApiError(403, "This account is not assigned to a kabupaten.")
        code = user.region.code
    if code is None:
        code = db.session.scalar(
            select(Region.code)
            .where(Region.level == RegionLevel.KABUPATEN)
            .order_by(Region.code)
            .limit(1)
        )
        if code is None:
            raise ApiError(404, "No kabupaten has been set up.")
    return kabupaten_for(code, user)


# --- the JSON shapes (see the schemas in sas.api.openapi) ------------------------------------


def filter_json(flt: ReportFilter) -> dict[str, Any]:
    return {
        "school_year": flt.label,
        "from": flt.first_month.strftime("%Y-%m"),
        "to": flt.last_month.strftime("%Y-%m"),
        "jenjang": flt.jenjang.value if flt.jenjang else None,
    }


def figures_json(figures: Figures, *, above_school: bool) -> dict[str, Any]:
    hidden = above_school and is_suppressed(figures.helped)
    return {
        "collected": figures.collected,
        "disbursed": figures.disbursed,
        "disbursed_in_kind": figures.disbursed_in_kind,
        "disbursed_cash": figures.disbursed_cash,
        "balance": figures.balance,
        "students_helped": None if hidden else figures.helped,
        "students_helped_suppressed": hidden,
        "schools": figures.schools,
        "active_schools": figures.active_schools,
        "on_time_schools": figures.on_time_schools,
        "transferred_in": figures.transferred_in,
        "transferred_out": figures.transferred_out,
    }


def region_json(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": region.level.value}


def school_json(school: School) -> dict[str, Any]:
    return {
        "npsn": school.npsn,
        "name": school.name,
        "jenjang": school.jenjang.value,
        "kecamatan": school.kecamatan.code,
    }


# --- endpoints ---------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API (public)."""
    return jsonify(OPENAPI)


@bp.get("/summary")
def summary() -> Response:
    """Headline figures: of the kabupaten (district, admin), or of one's own school."""
    user = caller(*EVERY_ROLE)
    flt = report_filter(request.args)
    code = _kabupaten_code(request.args)
    today = today_wib()
    if user.role in SCHOOL_ROLES:
        school = user.school
        assert school is not None  # the users table guarantees it for these roles
        if flt.jenjang is not None and flt.jenjang != school.jenjang:
            figures = Figures()  # like the district report: no school of that jenjang
        else:
            figures = school_summary(school, flt, today).figures
        return jsonify(
            filter=filter_json(flt),
            scope={"level": "school", "code": school.npsn, "name": school.name},
            figures=figures_json(figures, above_school=False),
        )
    kabupaten = _kabupaten(user, code)
    report = district_report(kabupaten, flt, today)
    return jsonify(
        filter=filter_json(flt),
        scope=region_json(kabupaten),
        figures=figures_json(report.total, above_school=True),
    )


@bp.get("/regions")
def regions() -> Response:
    """One row per kecamatan of the kabupaten, with the kabupaten's total."""
    user = caller(*ABOVE_SCHOOL)
    flt = report_filter(request.args)
    kabupaten = _kabupaten(user, _kabupaten_code(request.args))
    report = district_report(kabupaten, flt, today_wib())
    return jsonify(
        filter=filter_json(flt),
        kabupaten=region_json(kabupaten),
        total=figures_json(report.total, above_school=True),
        regions=[
            {
                "code": row.key,
                "name": row.name,
                "figures": figures_json(row.figures, above_school=True),
            }
            for row in report.rows
        ],
    )


@bp.get("/regions/<code>/schools")
def region_schools(code: str) -> Response:
    """One row per school of a kecamatan, with the kecamatan's total."""
    user = caller(*ABOVE_SCHOOL)
    flt = report_filter(request.args)
    kecamatan = kecamatan_for(code, user)
    report = kecamatan_report(kecamatan, flt, today_wib())
    return jsonify(
        filter=filter_json(flt),
        kecamatan=region_json(kecamatan),
        total=figures_json(report.total, above_school=True),
        schools=[
            {
                "npsn": row.key,
                "name": row.name,
                "jenjang": row.jenjang.value if row.jenjang else None,
                "figures": figures_json(row.figures, above_school=True),
                "months_due": sum(m.due for m in row.months),
                "months_closed": sum(m.closed for m in row.months),
                "months_closed_on_time": sum(m.on_time for m in row.months),
            }
            for row in report.rows
        ],
    )


@bp.get("/schools/<npsn>/months")
def school_months(npsn: str) -> Response:
    """A school's figures per month (in, out, balance at month end) and its headline."""
    user = caller(*EVERY_ROLE)
    flt = report_filter(request.args, with_jenjang=False)
    school = report_school_for(npsn, user)
    result = school_summary(school, flt, today_wib())
    closings = {status.month: status for status in result.closings}
    return jsonify(
        filter=filter_json(result.filter),
        school=school_json(school),
        figures=figures_json(result.figures, above_school=user.role in ABOVE_SCHOOL),
        months=[
            {
                "month": m.month.strftime("%Y-%m"),
                "collected": m.collected,
                "disbursed": m.disbursed,
                "balance": m.balance,
                "transferred_in": m.transferred_in,
                "transferred_out": m.transferred_out,
                "closed": closings[m.month].closed,
                "closed_on_time": closings[m.month].on_time,
            }
            for m in result.months
        ],
        categories=[
            {"category": c.category.value, "disbursed": c.amount, "disbursed_in_kind": c.in_kind}
            for c in result.categories
        ],
    )


@bp.get("/transfers")
def transfers() -> Response:
    """Sekolah Asuh Sekolah: money moved between the kabupaten's schools, per kecamatan pair,
    and the schools that gave and received most."""
    user = caller(*ABOVE_SCHOOL)
    flt = report_filter(request.args, with_jenjang=False)
    kabupaten = _kabupaten(user, _kabupaten_code(request.args))
    flows = transfer_flows(kabupaten, flt)

    def school(row: SchoolFlow) -> dict[str, Any]:
        return {"npsn": row.npsn, "name": row.name, "amount": row.amount, "transfers": row.count}

    return jsonify(
        filter=filter_json(flt),
        kabupaten=region_json(kabupaten),
        total=flows.total,
        flows=[
            {
                "from": f.from_code,
                "to": f.to_code,
                "amount": f.amount,
                "transfers": f.count,
            }
            for f in flows.pairs
        ],
        top_giving=[school(s) for s in flows.top_giving],
        top_receiving=[school(s) for s in flows.top_receiving],
    )
