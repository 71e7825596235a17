"""The public page, home redirects, placeholder homes for district and admin, the language
switch."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from sas.authz import is_safe_next, roles
from sas.dates import today_wib
from sas.extensions import db
from sas.main.forms import LanguageForm
from sas.models import Region, RegionLevel, Role
from sas.reports.services import (
    ReportFilter,
    all_time_figures,
    current_school_year,
    district_report,
)

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response | str:
    if not current_user.is_authenticated:
        if current_app.config.get("PUBLIC_PAGE", True):
            return public_page()
        return redirect(url_for("auth.login"))
    if current_user.school is not None and current_user.role in (Role.COMMITTEE, Role.TEACHER):
        return redirect(url_for("ledger.dashboard", npsn=current_user.school.npsn))
    return redirect(url_for("main.home"))


def public_kabupaten() -> Region | None:
    """The kabupaten named by ``PUBLIC_KABUPATEN`` (None if it does not exist), else the first."""
    stmt = select(Region).where(Region.level == RegionLevel.KABUPATEN)
    code = current_app.config.get("PUBLIC_KABUPATEN")
    if code:
        return db.session.scalar(stmt.where(Region.code == code))
    return db.session.scalar(stmt.order_by(Region.code).limit(1))


def public_page() -> str:
    """The programme's totals for visitors: aggregates only, small counts suppressed."""
    kabupaten = public_kabupaten()
    if kabupaten is None:
        return render_template("main/public.html", kabupaten=None)
    today = today_wib()
    this_year = district_report(kabupaten, ReportFilter(current_school_year(today)), today)
    return render_template(
        "main/public.html",
        kabupaten=kabupaten,
        report=this_year,
        all_time=all_time_figures(kabupaten),
    )


@bp.get("/home")
@roles(Role.DISTRICT, Role.ADMIN)
def home() -> str:
    return render_template("main/home.html")


@bp.post("/lang")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.index"), code=303)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """For a load balancer or process monitor: public, no session, one ``SELECT 1``."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("health check: the database does not answer", exc_info=True)
        return jsonify(status="error", database="unavailable"), 503
    finally:
        db.session.close()
    return jsonify(status="ok", database="ok"), 200
