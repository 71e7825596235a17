"""The public page and its pages per school, home redirects, placeholder homes for district
and admin, the language switch."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from sas import checkpoints, pagecache
from sas.authz import is_safe_next, public_school_for, roles, start_page
from sas.dates import school_year_start, today_wib
from sas.extensions import csrf, db
from sas.main.forms import LanguageForm
from sas.main.services import public_kabupaten_id, search_schools, shown_kabupaten
from sas.models import Region, Role
from sas.reports.services import (
    ReportFilter,
    all_time_figures,
    district_report,
    school_summary,
)

bp = Blueprint("main", __name__)

SEARCH_LIMIT = 20  # schools listed for one search
SEARCH_MAX_LENGTH = 100  # characters of a search kept (a school name has at most 150)


@bp.get("/")
def index() -> Response | str:
    if not current_user.is_authenticated:
        if current_app.config.get("PUBLIC_PAGE", True):
            return public_page()
        return redirect(url_for("auth.login"))
    return redirect(start_page(current_user))


def public_page() -> Response | str:
    """The programme's totals for visitors: aggregates only, small counts suppressed; kept
    until the kabupaten's figures change (sas.pagecache)."""
    kabupaten_id = public_kabupaten_id()
    if kabupaten_id is None:
        return render_template("main/public.html", kabupaten=None)
    today = today_wib()

    def draw() -> str:
        kabupaten = db.session.get(Region, kabupaten_id)
        assert kabupaten is not None  # a region is never deleted (schools refer to it)
        this_year = district_report(kabupaten, ReportFilter(school_year_start(today)), today)
        return render_template(
            "main/public.html",
            kabupaten=kabupaten,
            report=this_year,
            all_time=all_time_figures(kabupaten),
            lang_next=url_for("main.index"),
        )

    return pagecache.public_page(kabupaten_id, ("main.index", today), draw)


def public_kabupaten_or_404() -> Region:
    """The public kabupaten, while the public page is switched on; otherwise 404."""
    kabupaten = shown_kabupaten()
    if kabupaten is None:
        abort(404)
    return kabupaten


@bp.get("/sekolah")
def school_search() -> Response | str:
    """Active schools of the public kabupaten by part of the name or NPSN, each linked to its
    public page; a blank query lists nothing."""
    kabupaten = public_kabupaten_or_404()
    text = request.args.get("q", "").strip()[:SEARCH_MAX_LENGTH]

    def draw() -> str:
        found = search_schools(kabupaten, text, SEARCH_LIMIT + 1) if text else []
        return render_template(
            "main/search.html",
            kabupaten=kabupaten,
            q=text,
            found=found[:SEARCH_LIMIT],
            more=len(found) > SEARCH_LIMIT,
            lang_next=url_for("main.school_search", q=text or None),
        )

    return pagecache.public_page(kabupaten.id, ("main.school_search", text), draw)


@bp.get("/sekolah/<npsn>")
def public_school(npsn: str) -> Response | str:
    """One school's totals for anyone: this school year and all time, per month; no names and
    no per-class figures (giving is voluntary: a class total could shame a class)."""
    kabupaten = public_kabupaten_or_404()
    target = public_school_for(npsn, kabupaten)
    today = today_wib()

    def draw() -> str:
        summary = school_summary(target, ReportFilter(school_year_start(today)), today)
        # the table stops at this month; the chart keeps the whole school year's shape
        months = [
            (m, closing)
            for m, closing in zip(summary.months, summary.closings, strict=True)
            if m.month <= today
        ]
        return render_template(
            "main/school.html",
            target=target,
            summary=summary,
            months=months,
            all_time=all_time_figures(target),
            lang_next=url_for("main.public_school", npsn=target.npsn),
        )

    return pagecache.public_page(kabupaten.id, ("main.public_school", target.npsn, today), draw)


@bp.get("/beranda")
@roles(Role.DISTRICT, Role.ADMIN)
def home() -> str:
    return render_template("main/home.html")


@bp.post("/bahasa")
def set_language() -> Response:
    """The language switch. A visitor's pages are the same for everyone (kept by caches and
    CDNs), so their switch carries no CSRF token: the browser's origin must be this site. A
    signed-in user's switch carries its token."""
    if current_user.is_authenticated:
        form = LanguageForm()
    elif same_origin():
        form = LanguageForm(meta={"csrf": False})
    else:
        abort(400)
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.index"), code=303)


def same_origin() -> bool:
    """Whether a POST came from this site's own page: its ``Origin`` (or, without one, the
    browser's ``Sec-Fetch-Site``) says so; a client that sends neither is not a browser tricked
    by another site."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return urlsplit(origin).netloc == request.host
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


csrf.exempt(set_language)  # its own check: the token when signed in, else the origin


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


# Newest first; ?limit= up to CHECKPOINTS_MAX. One is about 100 kB at 1,000 schools: a daily
# witness needs the last one or two, one that was away a month CHECKPOINTS_MAX.
CHECKPOINTS_LISTED = 7
CHECKPOINTS_MAX = 31


@bp.get("/transparansi/checkpoints")
def checkpoints_json() -> Response:
    """The signed checkpoints, newest first: hashes and signatures only (sas.checkpoints)."""
    limit = min(max(request.args.get("limit", CHECKPOINTS_LISTED, type=int), 1), CHECKPOINTS_MAX)
    rows = checkpoints.latest(limit)
    response = jsonify(
        {
            "public_key": rows[0].public_key if rows else None,
            "checkpoints": [{"id": row.id, **checkpoints.document(row)} for row in rows],
        }
    )
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/transparansi")
def transparency() -> Response | str:
    """For people: the public key, the latest checkpoints and how to check them (public:
    kept by browsers and CDNs for a minute)."""
    rows = checkpoints.latest(10, payloads=False)
    html = render_template(
        "main/transparency.html",
        rows=rows,
        public_key=rows[0].public_key if rows else None,
        lang_next=url_for("main.transparency"),
    )
    return pagecache.public_response(html)
