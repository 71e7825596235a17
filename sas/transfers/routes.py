"""Sekolah Asuh Sekolah pages: the board of open requests of a kabupaten, a school's requests
and transfers, the transfer form and a transfer's page.

Committees write for their own school only (``school_for``); the receiving school must be of the
same kabupaten (the ledger refuses otherwise); teachers and the district read. A transfer at or
above the school's approval threshold waits for a second committee member of the giving school
(``sas.transfers.approvals``); only the giving school sees it until then.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from sas import ledger
from sas.approvals import routes as approval_routes
from sas.approvals import services as approvals
from sas.approvals.forms import ApproveForm, RejectForm
from sas.authz import (
    board_kabupaten_for,
    pending_transfer_for,
    request_for,
    request_seen_by,
    roles,
    school_for,
    school_view,
    transfer_for,
)
from sas.dates import today_wib
from sas.extensions import db
from sas.forms import commit_action, commit_form, show_refusal
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import (
    Category,
    PendingTransfer,
    RequestStatus,
    Role,
    School,
    Transfer,
)
from sas.money import format_rupiah
from sas.transfers import approvals as transfer_approvals
from sas.transfers import moving, services
from sas.transfers.forms import (
    BoardFilterForm,
    CloseRequestForm,
    RequestForm,
    TransferForm,
    VoidTransferForm,
)

bp = Blueprint("transfers", __name__)

SCHOOL = (Role.COMMITTEE, Role.TEACHER)
BOARD = (Role.COMMITTEE, Role.TEACHER, Role.DISTRICT, Role.ADMIN)


REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: _l("Terbuka"),
    RequestStatus.WITHDRAWN: _l("Ditarik"),
    RequestStatus.FULFILLED: _l("Terpenuhi"),
}


@bp.context_processor
def transfer_helpers() -> dict[str, object]:
    return {"category_labels": CATEGORY_LABELS, "request_status_labels": REQUEST_STATUS_LABELS}


# --- the board -----------------------------------------------------------------------------------


@bp.get("/kabupaten/<code>/bantuan")
@roles(*BOARD)
def board(code: str) -> str:
    kabupaten = board_kabupaten_for(code, current_user)
    kecamatan = services.kecamatan_of(kabupaten)
    form = BoardFilterForm(request.args)
    form.kecamatan.choices = [form.kecamatan.choices[0]] + [
        SelectChoice(k.code, k.name) for k in kecamatan
    ]
    form.validate()
    chosen = {k.code: k for k in kecamatan}.get(form.kecamatan.data or "")
    flt = services.BoardFilter(
        kecamatan=chosen if not form.kecamatan.errors else None,
        category=(
            Category(form.category.data)
            if form.category.data and not form.category.errors
            else None
        ),
        sort=form.sort.data if form.sort.data in services.SORTS else "age",
    )
    own = current_user.school if current_user.role in SCHOOL else None
    return render_template(
        "transfers/board.html",
        kabupaten=kabupaten,
        form=form,
        lines=services.board(kabupaten, flt, today_wib()),
        own=own,
    )


@bp.get("/bantuan/<int:request_id>")
@roles(*BOARD)
def request_page(request_id: int) -> str:
    item = request_seen_by(request_id, current_user)
    own = current_user.role in SCHOOL and current_user.school_id == item.school_id
    return render_template(
        "transfers/request.html",
        item=item,
        own=own,
        posted_on=services.posted_on(item),
        kabupaten=services.kabupaten_of(item.school),
        close_form=CloseRequestForm(),
    )


# --- a school's requests and transfers -----------------------------------------------------------


@bp.get("/sekolah/<npsn>/antar-sekolah")
@school_view(*SCHOOL)
def school_page(school: School) -> str:
    return render_template(
        "transfers/school.html",
        school=school,
        requests=services.requests_of(school),
        moved=services.transfers_of(school),
        kabupaten=services.kabupaten_of(school),
        close_form=CloseRequestForm(),
    )


@bp.route("/sekolah/<npsn>/bantuan/baru", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def new_request(school: School) -> Response | tuple[str, int]:
    form = RequestForm()
    if form.validate_on_submit():
        answer = commit_form(
            form,
            lambda: services.post_request(
                school,
                amount=form.amount.data,
                category=Category(form.category.data),
                description=form.description.data,
                deadline=form.deadline.data,
                created_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            ),
            to=lambda item: url_for("transfers.request_page", request_id=item.id),
            message=_("Permintaan bantuan dipasang di papan kabupaten."),
            fallback="amount",
        )
        if answer is not None:
            return answer
    status = 422 if form.is_submitted() else 200
    return render_template("transfers/request_form.html", school=school, form=form), status


def _close(npsn: str, request_id: int, status: RequestStatus, message: str) -> Response:
    school = school_for(npsn, current_user)
    item = request_for(school, request_id)
    back = url_for("transfers.request_page", request_id=request_id)
    if CloseRequestForm().validate_on_submit():
        return commit_action(
            lambda: services.close_request(item, status, closed_by=current_user),
            back=back,
            message=message,
        )
    return redirect(back, 303)


@bp.post("/sekolah/<npsn>/bantuan/<int:request_id>/tarik")
@roles(Role.COMMITTEE)
def withdraw_request(npsn: str, request_id: int) -> Response:
    return _close(npsn, request_id, RequestStatus.WITHDRAWN, _("Permintaan bantuan ditarik."))


@bp.post("/sekolah/<npsn>/bantuan/<int:request_id>/terpenuhi")
@roles(Role.COMMITTEE)
def fulfil_request(npsn: str, request_id: int) -> Response:
    return _close(
        npsn, request_id, RequestStatus.FULFILLED, _("Permintaan bantuan ditandai terpenuhi.")
    )


# --- transfers -----------------------------------------------------------------------------------


@bp.route("/sekolah/<npsn>/transfer/baru", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def new_transfer(school: School) -> Response | tuple[str, int]:
    form = TransferForm()
    answering = None
    asked = request.args.get("request", type=int) or (
        int(form.request_id.data) if (form.request_id.data or "").isdigit() else None
    )
    if asked:
        answering = request_seen_by(asked, current_user)
        if answering.school_id == school.id:
            abort(404)
        form.request_id.data = str(answering.id)
        form.to_school.choices = [SelectChoice(answering.school.npsn, answering.school.name)]
        form.to_school.data = answering.school.npsn
    else:
        form.to_school.choices = [
            SelectChoice(s.npsn, f"{s.name} ({s.kecamatan.name})")
            for s in services.receivers(school)
        ]
    if form.validate_on_submit():
        receiver = db.session.scalar(select(School).where(School.npsn == form.to_school.data))
        if receiver is None:
            abort(404)
        write = (
            transfer_approvals.request_transfer
            if approvals.needs_approval(school, form.amount.data)
            else moving.transfer
        )
        try:
            moved = write(
                school,
                receiver,
                amount=form.amount.data,
                occurred_on=form.occurred_on.data,
                request=answering,
                note=form.note.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            if isinstance(moved, PendingTransfer):
                return _waiting(school, moved)
            target = url_for("transfers.transfer", npsn=school.npsn, transfer_id=moved.id)
            db.session.commit()
            flash(_("Transfer tercatat di buku kas kedua sekolah."), "success")
            return redirect(target, 303)
        except approvals.DuplicateRequest as waiting:
            db.session.rollback()
            if waiting.pending.school_id != school.id:
                abort(404)
            flash(_("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali."), "info")
            return _to_pending(school, waiting.pending.id)
        except moving.DuplicateTransfer as dup:
            db.session.rollback()
            if dup.transfer.from_school_id != school.id:
                abort(404)
            flash(_("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali."), "info")
            return redirect(
                url_for("transfers.transfer", npsn=school.npsn, transfer_id=dup.transfer.id), 303
            )
        except ledger.LedgerError as error:
            show_refusal(form, error, fallback="amount")  # one about the request, too
    status = 422 if form.is_submitted() else 200
    return render_template(
        "transfers/transfer_form.html",
        school=school,
        form=form,
        answering=answering,
        available=school.fund.available,
    ), status


# --- large transfers waiting for a second committee member ------------------------------------


def _waiting(school: School, pending: PendingTransfer) -> Response:
    target = url_for("transfers.pending_transfer", npsn=school.npsn, pending_id=pending.id)
    db.session.commit()
    flash(
        _(
            "Transfer %(amount)s menunggu persetujuan anggota komite lain. Jumlah ini "
            "dicadangkan dari saldo; sekolah penerima belum melihatnya sampai disetujui.",
            amount=format_rupiah(pending.amount),
        ),
        "success",
    )
    return redirect(target, 303)


def _to_pending(school: School, pending_id: int) -> Response:
    return redirect(
        url_for("transfers.pending_transfer", npsn=school.npsn, pending_id=pending_id), 303
    )


PENDING_PAGE = "transfers/pending.html"


@bp.get("/sekolah/<npsn>/transfer/menunggu/<int:pending_id>")
@school_view(*SCHOOL)
def pending_transfer(school: School, pending_id: int) -> tuple[str, int]:
    item = pending_transfer_for(school, pending_id)
    return approval_routes.pending_page(PENDING_PAGE, school, item)


@bp.post("/sekolah/<npsn>/transfer/menunggu/<int:pending_id>/setujui")
@school_view(Role.COMMITTEE)
def approve_transfer(school: School, pending_id: int) -> Response | tuple[str, int]:
    item = pending_transfer_for(school, pending_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            moved = transfer_approvals.approve(
                school,
                item,
                approved_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            target = url_for("transfers.transfer", npsn=school.npsn, transfer_id=moved.id)
            db.session.commit()
            flash(_("Transfer disetujui dan tercatat di buku kas kedua sekolah."), "success")
            return redirect(target, 303)
        except moving.DuplicateTransfer as dup:
            db.session.rollback()
            if dup.transfer.from_school_id != school.id:
                abort(404)
            flash(_("Transfer ini sudah disetujui."), "info")
            return redirect(
                url_for("transfers.transfer", npsn=school.npsn, transfer_id=dup.transfer.id), 303
            )
        except transfer_approvals.Lapsed as lapsed:
            db.session.commit()  # the reservation released: the outcome to keep
            flash(str(lapsed), "error")
            return _to_pending(school, pending_id)
        except approvals.AlreadyDecided as done:
            db.session.rollback()
            flash(str(done), "info")
            return _to_pending(school, pending_id)
        except approvals.NotAllowed:  # the recorder approving their own
            db.session.rollback()
            abort(403)
        except ledger.LedgerError as error:
            show_refusal(form, error, "form_key")
    return approval_routes.pending_page(PENDING_PAGE, school, item, approve_form=form, status=422)


@bp.post("/sekolah/<npsn>/transfer/menunggu/<int:pending_id>/tolak")
@school_view(Role.COMMITTEE)
def reject_transfer(school: School, pending_id: int) -> Response | tuple[str, int]:
    item = pending_transfer_for(school, pending_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            approvals.reject(school, item, rejected_by=current_user, reason=form.reason.data)
            db.session.commit()
            flash(_("Transfer ditolak; dananya kembali tersedia."), "success")
            return _to_pending(school, pending_id)
        except approvals.AlreadyDecided as done:
            db.session.rollback()
            flash(str(done), "info")
            return _to_pending(school, pending_id)
        except approvals.NotAllowed:
            db.session.rollback()
            abort(403)
        except ledger.LedgerError as error:
            show_refusal(form, error, "reason")
    return approval_routes.pending_page(PENDING_PAGE, school, item, reject_form=form, status=422)


@bp.get("/sekolah/<npsn>/transfer/<int:transfer_id>")
@school_view(*SCHOOL)
def transfer(school: School, transfer_id: int) -> str:
    item = transfer_for(school, transfer_id)
    return _transfer_page(school, item, VoidTransferForm())


def _transfer_page(school: School, item: Transfer, form: VoidTransferForm) -> str:
    pair = moving.halves(item)
    own = next(e for e in pair.values() if e.school_id == school.id)
    return render_template(
        "transfers/transfer.html",
        school=school,
        item=item,
        own=own,
        giving=item.from_school_id == school.id,
        form=form,
    )


@bp.post("/sekolah/<npsn>/transfer/<int:transfer_id>/batalkan")
@school_view(Role.COMMITTEE)
def void_transfer(school: School, transfer_id: int) -> Response | tuple[str, int]:
    item = transfer_for(school, transfer_id)
    if item.from_school_id != school.id:  # only the giving school voids the pair
        abort(403)
    form = VoidTransferForm()
    if form.validate_on_submit():
        try:
            moving.void_transfer(
                item,
                reason=form.reason.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            db.session.commit()
            flash(_("Transfer dibatalkan di kedua buku kas."), "success")
            return redirect(
                url_for("transfers.transfer", npsn=school.npsn, transfer_id=transfer_id), 303
            )
        except ledger.DuplicateSubmission:
            db.session.rollback()
            flash(_("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali."), "info")
            return redirect(
                url_for("transfers.transfer", npsn=school.npsn, transfer_id=transfer_id), 303
            )
        except ledger.LedgerError as error:
            show_refusal(form, error, "reason")
    item = transfer_for(school, transfer_id)
    return _transfer_page(school, item, form), 422
