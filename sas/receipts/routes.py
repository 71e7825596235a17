"""The kuitansi of an entry (its school's committee and teacher) and the public check that
its QR code opens (anyone: the answer is only "valid" or "not valid" unless the viewer may
see that school's ledger)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from sas.authz import entry_for, report_school_for, roles, school_for
from sas.models import Role, School
from sas.receipts import services

bp = Blueprint("receipts", __name__)

READERS = (Role.COMMITTEE, Role.TEACHER)


@bp.context_processor
def receipt_helpers() -> dict[str, object]:
    return {"long_date": lambda day: format_date(day, "d MMMM y")}


@bp.get("/schools/<npsn>/entries/<int:entry_id>/kuitansi")
@roles(*READERS)
def kuitansi(npsn: str, entry_id: int) -> str:
    school = school_for(npsn, current_user)
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


def _sees_ledger_of(school: School | None) -> bool:
    """Whether the viewer may see this school's figures: its committee and teacher, a district
    officer of its kabupaten, an admin (the rule of ``report_school_for``, reused)."""
    if school is None or not current_user.is_authenticated:
        return False
    try:
        report_school_for(school.npsn, current_user)
    except NotFound:
        return False
    return True


@bp.get("/kuitansi/<npsn>/<year>/<number>")
def verify(npsn: str, year: str, number: str) -> str:
    result = services.check_receipt(
        npsn, year, number, request.args.get("a"), request.args.get("d"), request.args.get("h")
    )
    details = _sees_ledger_of(result.school)
    own_school = (
        details
        and current_user.role in READERS
        and result.school is not None
        and current_user.school_id == result.school.id
    )
    return render_template(
        "receipts/verify.html", result=result, details=details, own_school=own_school
    )
