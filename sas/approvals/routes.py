"""Pages of the second approver: a waiting disbursement, its approval or rejection, and the
school's threshold (URLs under ``/sekolah/<npsn>``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from sas import ledger
from sas.approvals import services as approvals
from sas.approvals.forms import ApproveForm, RejectForm, ThresholdForm
from sas.authz import may_approve, may_reject, pending_for, school_view
from sas.dates import today_wib
from sas.extensions import db
from sas.forms import show_refusal
from sas.models import PendingDisbursement, PendingTransfer, Role, School, User
from sas.money import format_rupiah

bp = Blueprint("approvals", __name__, url_prefix="/sekolah/<npsn>")

READERS = (Role.COMMITTEE, Role.TEACHER)


def decision_forms(
    lines: list[approvals.PendingLine], user: User
) -> dict[tuple[str, int], tuple[ApproveForm | None, RejectForm | None]]:
    """Per waiting item (by kind and id), the forms ``user`` may use (each approve form with
    its own one-time key); none for a teacher, no approve form for the one who recorded it."""
    return {
        (line.kind, line.item.id): (
            ApproveForm() if may_approve(user, line.item) else None,
            RejectForm() if may_reject(user, line.item) else None,
        )
        for line in lines
    }


def waiting(school: School, pending: PendingDisbursement) -> Response:
    """After a large disbursement was recorded: commit, say that it waits, show it."""
    db.session.commit()
    flash(
        _(
            "Uang keluar %(amount)s menunggu persetujuan anggota komite lain. Jumlah ini "
            "dicadangkan dari saldo sampai disetujui atau ditolak.",
            amount=format_rupiah(pending.amount),
        ),
        "success",
    )
    return _to_pending(school, pending)


def duplicate_request(school: School, error: approvals.DuplicateRequest) -> Response:
    db.session.rollback()
    if error.pending.school_id != school.id:
        abort(404)
    flash(_("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali."), "info")
    return _to_pending(school, error.pending)


PAGE = "approvals/pending.html"


def _to_pending(school: School, pending: approvals.Waiting) -> Response:
    """The page of a waiting disbursement (the approval errors carry either kind of waiting
    item; on these pages it is always a disbursement)."""
    return redirect(url_for("approvals.pending", npsn=school.npsn, pending_id=pending.id), 303)


def pending_page(
    template: str,
    school: School,
    item: PendingDisbursement | PendingTransfer,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """A waiting disbursement's or transfer's page, with the decisions the user may take."""
    return render_template(
        template,
        school=school,
        item=item,
        approve_form=approve_form or ApproveForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None),
        may_approve=may_approve(current_user, item),
        may_reject=may_reject(current_user, item),
        waiting_days=(today_wib() - item.requested_on).days,
        stale_after=approvals.STALE_AFTER_DAYS,
    ), status


@bp.get("/menunggu/<int:pending_id>")
@school_view(*READERS)
def pending(school: School, pending_id: int) -> tuple[str, int]:
    return pending_page(PAGE, school, pending_for(school, pending_id))


@bp.post("/menunggu/<int:pending_id>/setujui")
@school_view(Role.COMMITTEE)
def approve(school: School, pending_id: int) -> Response | tuple[str, int]:
    item = pending_for(school, pending_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            entry = approvals.approve(
                school,
                item,
                approved_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            db.session.commit()
            flash(_("Uang keluar disetujui dan tercatat di buku kas."), "success")
            return redirect(url_for("entries.entry", npsn=school.npsn, entry_id=entry.id), 303)
        except ledger.DuplicateSubmission as dup:
            db.session.rollback()
            if dup.entry.school_id != school.id:
                abort(404)
            flash(_("Uang keluar ini sudah disetujui."), "info")
            return redirect(url_for("entries.entry", npsn=school.npsn, entry_id=dup.entry.id), 303)
        except approvals.AlreadyDecided as done:
            db.session.rollback()
            flash(str(done), "info")
            return _to_pending(school, done.pending)
        except approvals.NotAllowed:  # the recorder approving their own
            db.session.rollback()
            abort(403)
        except ledger.LedgerError as error:
            show_refusal(form, error, "form_key")
    return pending_page(PAGE, school, item, approve_form=form, status=422)


@bp.post("/menunggu/<int:pending_id>/tolak")
@school_view(Role.COMMITTEE)
def reject(school: School, pending_id: int) -> Response | tuple[str, int]:
    item = pending_for(school, pending_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            approvals.reject(school, item, rejected_by=current_user, reason=form.reason.data)
            db.session.commit()
            flash(_("Uang keluar ditolak; dananya kembali tersedia."), "success")
            return _to_pending(school, item)
        except approvals.AlreadyDecided as done:
            db.session.rollback()
            flash(str(done), "info")
            return _to_pending(school, done.pending)
        except approvals.NotAllowed:
            db.session.rollback()
            abort(403)
        except ledger.LedgerError as error:
            show_refusal(form, error, "reason")
    return pending_page(PAGE, school, item, reject_form=form, status=422)


@bp.route("/pengaturan/persetujuan", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def threshold(school: School) -> Response | tuple[str, int]:
    form = ThresholdForm()
    if not form.is_submitted():
        form.threshold.raw = format_rupiah(school.approval_threshold).removeprefix("Rp")
    if form.validate_on_submit():
        try:
            changed = approvals.set_threshold(school, form.threshold.data, changed_by=current_user)
            db.session.commit()
            if changed:
                flash(
                    _(
                        "Batas persetujuan disimpan: uang keluar mulai %(amount)s menunggu "
                        "persetujuan anggota komite kedua.",
                        amount=format_rupiah(school.approval_threshold),
                    ),
                    "success",
                )
            else:
                flash(_("Batas persetujuan tidak berubah."), "info")
            return redirect(url_for("cashbook.dashboard", npsn=school.npsn), 303)
        except approvals.NotAllowed:
            db.session.rollback()
            abort(403)
        except ledger.LedgerError as error:
            show_refusal(form, error, "threshold")
    status = 422 if form.is_submitted() else 200
    return render_template("approvals/threshold.html", school=school, form=form), status
