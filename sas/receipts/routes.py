"""The kuitansi of an entry (its school's committee and teacher) and the public check that
its QR code opens. Everyone, the district office included, gets the same answer: valid or not,
and voided or not; only the school's own committee and teacher see which parts differ, so
nobody else can loop over amounts or numbers to learn what the ledger holds. Checks are
limited per client address (``limit_checks``)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from sas import checkpoints
from sas.auth.limits import address_key
from sas.authz import entry_for, school_for, school_view
from sas.models import Role, School
from sas.receipts import services

bp = Blueprint("receipts", __name__)

READERS = (Role.COMMITTEE, Role.TEACHER)


@bp.context_processor
def receipt_helpers() -> dict[str, object]:
    return {"long_date": lambda day: format_date(day, "d MMMM y")}


@bp.get("/sekolah/<npsn>/catatan/<int:entry_id>/kuitansi")
@school_view(*READERS)
def kuitansi(school: School, entry_id: int) -> str:
    entry = entry_for(school, entry_id)
    url = url_for("receipts.verify", **services.verification_args(entry), _external=True)
    number = entry.receipt_number
    return render_template(
        "receipts/kuitansi.html",
        school=school,
        receipt=services.receipt_for(entry),
        verify_url=url,
        share=services.check_share(entry, url),
        qr=services.qr_svg(url, _("Kode QR pemeriksaan kuitansi %(number)s", number=number)),
    )


def _own_school(school: School | None) -> bool:
    """Whether the viewer is the committee or teacher of ``school`` (``school_for``'s rule)."""
    if school is None or not current_user.is_authenticated or current_user.role not in READERS:
        return False
    try:
        school_for(school.npsn, current_user)
    except NotFound:
        return False
    return True


@bp.get("/kuitansi/<npsn>/<year>/<number>")
def verify(npsn: str, year: str, number: str) -> str:
    result = services.check_receipt(
        npsn, year, number, request.args.get("a"), request.args.get("d"), request.args.get("h")
    )
    covered = (
        checkpoints.covering(result.school, result.entry.seq)
        if result.valid and result.school and result.entry
        else None
    )
    return render_template(
        "receipts/verify.html",
        result=result,
        own_school=_own_school(result.school),
        covered=covered,
    )


def limit_checks(app: Flask) -> None:
    """At most ``RECEIPT_CHECK_LIMIT`` checks per client address (429 beyond), counted apart
    from logins; nothing when the app's limiter is off."""
    limiter = app.extensions.get("sas_limiter")
    if limiter is None:
        return
    app.view_functions["receipts.verify"] = limiter.limit(
        lambda: current_app.config["RECEIPT_CHECK_LIMIT"], key_func=address_key
    )(app.view_functions["receipts.verify"])
