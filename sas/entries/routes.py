"""School pages: dashboard, cash book, entries. Committee writes; teacher reads; nobody else."""

from __future__ import annotations

import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from sas.authz import entry_for, recipient_for, roles, school_for
from sas.classes.services import active_classes, retired_classes
from sas.dates import PROGRAMME_START, school_year_label, today_wib
from sas.evidence.services import attach
from sas.extensions import db
from sas.forms import show_refusal
from sas.fragments import fragment
from sas.ledger import approval_routes, approvals, chain, services
from sas.ledger.forms import (
    CashBookFilterForm,
    ClassCollectionsForm,
    ContributionForm,
    DisbursementForm,
    VoidForm,
)
from sas.ledger.labels import CHAIN_PROBLEMS, KIND_LABELS
from sas.models import Category, Entry, EntryKind, Role, School, Source
from sas.recipients.services import active_recipients

bp = Blueprint("ledger", __name__, url_prefix="/schools/<npsn>")
bp.register_blueprint(approval_routes.bp)  # the second approver: ledger.approvals.*

READERS = (Role.COMMITTEE, Role.TEACHER)
FILTER_ARGS = ("kind", "from", "to", "category")  # the only query keys passed on to links


FORM_KEY = re.compile(r"[0-9a-f]{32}")  # as sas.ledger.forms.form_key_field makes them


@bp.context_processor
def ledger_helpers() -> dict[str, object]:
    return {
        "describe": services.describe,
        "describe_line": services.describe_line,
        "describe_pending": approvals.describe_pending,
        "kind_labels": KIND_LABELS,
        "chain_problems": CHAIN_PROBLEMS,
    }


@bp.app_template_filter("fingerprint")
def fingerprint_filter(chain_head: str | None) -> str:
    return chain.fingerprint(chain_head)


def _to_entry(school: School, entry: Entry, message: str, category: str = "success") -> Response:
    target = url_for("ledger.entry", npsn=school.npsn, entry_id=entry.id)  # before the commit
    db.session.commit()  # expires the rows: reading them after it would cost queries
    flash(message, category)
    return redirect(target, 303)


def _same_school(school: School, entries: list[Entry]) -> list[Entry]:
    """What a form sent again recorded the first time; a key another school used is a 404."""
    db.session.rollback()
    if not entries or any(entry.school_id != school.id for entry in entries):
        abort(404)
    return entries


def _confirm(school: School, entries: list[Entry], again: str, earlier: bool = False) -> str:
    """What was just recorded and the balance now, answered to the POST itself: a redirect
    would cost the phone one more round trip (two seconds on Slow 3G). Sending the form again
    is harmless: its one-time key records nothing twice and shows this page again. The page
    is drawn before the commit, from the rows this request holds."""
    page = render_template(
        "ledger/saved.html",
        school=school,
        entries=entries,
        balance=services.balance(school),
        again=again,
        earlier=earlier,
    )
    db.session.commit()
    return page


def _sent_before(school: School, batch: bool = False) -> list[Entry]:
    """A form sent again whose first send did arrive (its answer was lost on a weak signal,
    and the phone's outbox sent it again): what it recorded, looked up by its key before the
    form is checked, so that a resend days later (a recipient or class retired meanwhile)
    still answers with what was recorded rather than a refusal that invites typing it again."""
    key = request.form.get("form_key", "") if request.method == "POST" else ""
    if not FORM_KEY.fullmatch(key):
        return []
    return services.recorded_with(school, key, batch)


def _again_args() -> dict[str, str]:
    """What "Catat lagi" keeps: the date, and the source of a contribution."""
    form = request.form
    return {k: form[k] for k in ("occurred_on", "source") if form.get(k)}


def _prefill() -> dict[str, object]:
    """A form opened from "Catat lagi" starts with the date (and source) of the last one; a
    posted form has what was posted."""
    data: dict[str, object] = {}
    if request.method == "POST":
        return data
    try:
        day = date.fromisoformat(request.args.get("occurred_on", ""))
        if PROGRAMME_START <= day <= today_wib():
            data["occurred_on"] = day
    except ValueError:
        pass
    if request.args.get("source") in {s.value for s in Source}:
        data["source"] = request.args["source"]
    return data


@bp.get("")
@roles(*READERS)
def dashboard(npsn: str) -> str:
    school = school_for(npsn, current_user)
    today = today_wib()
    board = services.dashboard(school, today)
    can_record = current_user.can_record
    version = board.version()
    body = fragment(
        None if version is None else ("dashboard", version, str(get_locale()), can_record),
        lambda: render_template(
            "ledger/_dashboard.html",
            school=school,
            board=board,
            can_record=can_record,
            school_year=school_year_label(today),
            decisions=approval_routes.decision_forms(board.pending, current_user),
        ),
    )
    return render_template("ledger/dashboard.html", school=school, body=body)


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


@bp.get("/ledger")
@roles(*READERS)
def cash_book(npsn: str) -> str:
    school = school_for(npsn, current_user)
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
        "ledger/cash_book.html", school=school, form=form, book=page, args=args, order=order
    )


@bp.get("/ledger.csv")
@roles(*READERS)
def cash_book_csv(npsn: str) -> Response:
    school = school_for(npsn, current_user)
    flt = _filter_from(CashBookFilterForm(request.args))
    body = services.cash_book_csv(services.cash_book_lines(school, flt))
    filename = f"buku-kas-{school.npsn}-{flt.slug()}.csv"
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/contributions/new", methods=["GET", "POST"])
@roles(Role.COMMITTEE)
def new_contribution(npsn: str) -> str | Response | tuple[str, int]:
    school = school_for(npsn, current_user)
    form = ContributionForm(**_prefill())
    form.set_classes([c.label for c in active_classes(school)])
    again = url_for("ledger.new_contribution", npsn=school.npsn, **_again_args())
    if earlier := _sent_before(school):
        return _confirm(school, earlier, again, earlier=True)
    if form.validate_on_submit():
        try:
            entry = services.record_contribution(
                school,
                amount=form.amount.data,
                occurred_on=form.occurred_on.data,
                source=Source(form.source.data),
                class_label=form.class_label.data,
                donor_name=form.donor_name.data,
                note=form.note.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            return _confirm(school, [entry], again)
        except services.DuplicateSubmission as dup:
            return _confirm(school, _same_school(school, [dup.entry]), again, earlier=True)
        except services.LedgerError as error:
            show_refusal(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template("ledger/contribution_form.html", school=school, form=form), status


@bp.route("/contributions/classes", methods=["GET", "POST"])
@roles(Role.COMMITTEE)
def class_collections(npsn: str) -> str | tuple[str, int]:
    """A day's class collections in one form: a row per active class, empty rows skipped."""
    school = school_for(npsn, current_user)
    posted = request.form if request.method == "POST" else {}
    # a class retired since the form was shown keeps its row and what was typed in it
    retired = [c for c in retired_classes(school) if posted.get(f"class_{c.id}", "").strip()]
    form = ClassCollectionsForm.for_classes(
        [(c.id, c.label) for c in active_classes(school) + retired], **_prefill()
    )
    again = url_for("ledger.class_collections", npsn=school.npsn, **_again_args())
    if earlier := _sent_before(school, batch=True):
        return _confirm(school, earlier, again, earlier=True)
    if form.validate_on_submit():
        try:
            entries = services.record_class_collections(
                school,
                rows=form.rows(),
                occurred_on=form.occurred_on.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            return _confirm(school, entries, again)
        except services.DuplicateBatch as dup:
            return _confirm(school, _same_school(school, dup.entries), again, earlier=True)
        except services.LedgerError as error:
            show_refusal(form, error, fallback=None)
    day = form.occurred_on.data if not form.occurred_on.errors else None
    status = 422 if form.is_submitted() else 200
    return render_template(
        "ledger/class_collections.html",
        school=school,
        form=form,
        recorded=services.class_totals_on(school, day) if day else {},
    ), status


@bp.route("/disbursements/new", methods=["GET", "POST"])
@roles(Role.COMMITTEE)
def new_disbursement(npsn: str) -> str | Response | tuple[str, int]:
    school = school_for(npsn, current_user)
    form = DisbursementForm(**_prefill())
    recipients = active_recipients(school)
    form.recipient_id.choices = [
        SelectChoice("", _("— pilih penerima —")),
        *(SelectChoice(r.id, f"{r.name} ({r.class_label})") for r in recipients),
    ]
    again = url_for("ledger.new_disbursement", npsn=school.npsn, **_again_args())
    if earlier := _sent_before(school):
        return _confirm(school, earlier, again, earlier=True)
    try:
        if request.method == "POST":
            approvals.refuse_reused_request_key(request.form.get("form_key", ""))
    except approvals.DuplicateRequest as dup:
        return approval_routes.duplicate_request(school, dup)
    if form.validate_on_submit():
        try:
            if approvals.needs_approval(school, form.amount.data):
                pending = approvals.request_disbursement(
                    school,
                    amount=form.amount.data,
                    occurred_on=form.occurred_on.data,
                    recipient=recipient_for(school, form.recipient_id.data),
                    category=Category(form.category.data),
                    in_kind=form.in_kind.data,
                    description=form.description.data,
                    recorded_by=current_user,
                    form_key=form.form_key.data,
                    today=today_wib(),
                )
                attach(school, form.evidence.prepared, pending=pending, added_by=current_user)
                return approval_routes.waiting(school, pending)
            entry = services.record_disbursement(
                school,
                amount=form.amount.data,
                occurred_on=form.occurred_on.data,
                recipient=recipient_for(school, form.recipient_id.data),
                category=Category(form.category.data),
                in_kind=form.in_kind.data,
                description=form.description.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            attach(school, form.evidence.prepared, entry=entry, added_by=current_user)
            return _confirm(school, [entry], again)
        except services.DuplicateSubmission as dup:
            return _confirm(school, _same_school(school, [dup.entry]), again, earlier=True)
        except approvals.DuplicateRequest as dup:
            return approval_routes.duplicate_request(school, dup)
        except services.LedgerError as error:
            show_refusal(form, error)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "ledger/disbursement_form.html",
        school=school,
        form=form,
        available=school.fund.available,
        has_recipients=bool(recipients),
    ), status


@bp.get("/entries/<int:entry_id>")
@roles(*READERS)
def entry(npsn: str, entry_id: int) -> str:
    school = school_for(npsn, current_user)
    item = entry_for(school, entry_id)
    return render_template(
        "ledger/entry.html", school=school, entry=item, form=VoidForm(), redo=_redo(school, item)
    )


def _redo(school: School, entry: Entry) -> str | None:
    """After a void, the form to record the right one (the date of the voided entry kept)."""
    original = entry.voids
    if original is None or original.is_transfer:
        return None
    day = original.occurred_on.isoformat()
    if original.kind == EntryKind.DISBURSEMENT:
        return url_for("ledger.new_disbursement", npsn=school.npsn, occurred_on=day)
    if original.source == Source.CLASS:
        return url_for("ledger.class_collections", npsn=school.npsn, occurred_on=day)
    source = original.source.value  # every contribution has one (the kind_fields CHECK)
    return url_for("ledger.new_contribution", npsn=school.npsn, occurred_on=day, source=source)


@bp.post("/entries/<int:entry_id>/void")
@roles(Role.COMMITTEE)
def void(npsn: str, entry_id: int) -> Response | tuple[str, int]:
    school = school_for(npsn, current_user)
    original = entry_for(school, entry_id)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            reversal = services.void_entry(
                school,
                original,
                reason=form.reason.data,
                recorded_by=current_user,
                form_key=form.form_key.data,
                today=today_wib(),
            )
            return _to_entry(school, reversal, _("Transaksi dibatalkan dengan entri koreksi."))
        except services.DuplicateSubmission as dup:
            [first] = _same_school(school, [dup.entry])
            message = _("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali.")
            return _to_entry(school, first, message, "info")
        except services.LedgerError as error:
            show_refusal(form, error, fallback="reason")
    page = render_template("ledger/entry.html", school=school, entry=original, form=form, redo=None)
    return page, 422
