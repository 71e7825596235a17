"""A school's own pages: the dashboard and the cash book (on screen and as CSV), for its
committee and teachers; nobody else."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import get_locale
from flask_login import current_user

from sas.approvals.routes import decision_forms
from sas.authz import school_view
from sas.cashbook import services
from sas.cashbook.forms import CashBookFilterForm
from sas.dates import school_year_label_on, today_wib
from sas.fragments import fragment
from sas.models import Category, EntryKind, Role, School

bp = Blueprint("cashbook", __name__, url_prefix="/sekolah/<npsn>")

READERS = (Role.COMMITTEE, Role.TEACHER)
FILTER_ARGS = ("kind", "from", "to", "category")  # the only query keys passed on to links


@bp.get("/beranda")
@school_view(*READERS)
def dashboard(school: School) -> str:
    today = today_wib()
    board = services.dashboard(school, today)
    can_record = current_user.can_record
    version = board.version()
    body = fragment(
        None if version is None else ("dashboard", version, str(get_locale()), can_record),
        lambda: render_template(
            "cashbook/_dashboard.html",
            school=school,
            board=board,
            can_record=can_record,
            school_year=school_year_label_on(today),
            decisions=decision_forms(board.pending, current_user),
        ),
    )
    return render_template("cashbook/dashboard.html", school=school, body=body)


def _filter_from(form: CashBookFilterForm) -> services.CashBookFilter:
    form.validate()
    return services.CashBookFilter(
        kind=EntryKind(form.kind.data) if form.kind.data and not form.kind.errors else None,
        start=form.from_.data if not form.from_.errors else None,
        end=form.to.data if not form.to.errors else None,
        category=(
            Category(form.category.data)
            if form.category.data and not form.category.errors
            else None
        ),
    )


@bp.get("/buku-kas")
@school_view(*READERS)
def cash_book(school: School) -> str:
    form = CashBookFilterForm(request.args)
    flt = _filter_from(form)
    # newest first unless asked for the printed book's order (urut=lama)
    oldest_first = request.args.get("urut") == "lama"
    page = services.cash_book_page(
        school,
        flt,
        request.args.get("page", 1, type=int),
        current_app.config["ENTRIES_PER_PAGE"],
        newest_first=not oldest_first,
    )
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    order = {"urut": "lama"} if oldest_first else {}
    return render_template(
        "cashbook/cash_book.html", school=school, form=form, book=page, args=args, order=order
    )


@bp.get("/buku-kas.csv")
@school_view(*READERS)
def cash_book_csv(school: School) -> Response:
    flt = _filter_from(CashBookFilterForm(request.args))
    body = services.cash_book_csv(services.cash_book_lines(school, flt))
    filename = f"buku-kas-{school.npsn}-{flt.slug()}.csv"
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
