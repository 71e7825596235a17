"""Recording: a contribution, a day's class collections, a disbursement; an entry's page, its
correction (void) and its evidence. The committee writes; teachers read the entry page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from sas import ledger
from sas.approvals import routes as approval_routes
from sas.approvals import services as approvals
from sas.authz import attachment_for, entry_for, recipient_for, school_view
from sas.classes.services import active_classes, retired_classes
from sas.dates import PROGRAMME_START, today_wib
from sas.entries import services
from sas.entries.forms import (
    ClassCollectionsForm,
    ContributionForm,
    DisbursementForm,
    VoidForm,
)
from sas.evidence.forms import AttachForm, SupersedeForm
from sas.evidence.services import AlreadySuperseded, attach, supersede
from sas.extensions import db
from sas.forms import show_refusal
from sas.models import Category, Entry, EntryKind, Role, School, Source
from sas.recipients.services import active_recipients

bp = Blueprint("entries", __name__, url_prefix="/sekolah/<npsn>")

READERS = (Role.COMMITTEE, Role.TEACHER)
FORM_KEY = re.compile(r"[0-9a-f]{32}")  # as sas.fields.form_key_field makes them


def _to_entry(school: School, entry: Entry, message: str, category: str = "success") -> Response:
    target = url_for("entries.entry", npsn=school.npsn, entry_id=entry.id)  # before the commit
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
        "entries/saved.html",
        school=school,
        entries=entries,
        balance=ledger.balance(school),
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


def _again_args() -> dict[str, Any]:
    """What "Catat lagi" keeps: the date, and the source of a contribution (strings; typed as
    url_for's ``**values``, which its own keyword options share)."""
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


@bp.route("/sumbangan/baru", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def new_contribution(school: School) -> str | Response | tuple[str, int]:
    form = ContributionForm(**_prefill())
    form.set_classes([c.label for c in active_classes(school)])
    again = url_for("entries.new_contribution", npsn=school.npsn, **_again_args())
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
        except ledger.DuplicateSubmission as dup:
            return _confirm(school, _same_school(school, [dup.entry]), again, earlier=True)
        except ledger.LedgerError as error:
            show_refusal(form, error, fallback="amount")
    status = 422 if form.is_submitted() else 200
    return render_template("entries/contribution_form.html", school=school, form=form), status


@bp.route("/sumbangan/kelas", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def class_collections(school: School) -> str | tuple[str, int]:
    """A day's class collections in one form: a row per active class, empty rows skipped."""
    posted = request.form if request.method == "POST" else {}
    active = active_classes(school)
    # a class retired since the form was shown keeps its row and what was typed in it (looked
    # up only when a filled row is not an active class's)
    filled = {name for name, value in posted.items() if name.startswith("class_") and value.strip()}
    retired = []
    if filled - {f"class_{c.id}" for c in active}:
        retired = [c for c in retired_classes(school) if f"class_{c.id}" in filled]
    classes = active + retired
    form = ClassCollectionsForm.for_classes([(c.id, c.label) for c in classes], **_prefill())
    again = url_for("entries.class_collections", npsn=school.npsn, **_again_args())
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
                known=classes,
            )
            return _confirm(school, entries, again)
        except services.DuplicateBatch as dup:
            return _confirm(school, _same_school(school, dup.entries), again, earlier=True)
        except ledger.LedgerError as error:
            show_refusal(form, error)
    day = form.occurred_on.data if not form.occurred_on.errors else None
    status = 422 if form.is_submitted() else 200
    return render_template(
        "entries/class_collections.html",
        school=school,
        form=form,
        recorded=services.class_totals_on(school, day) if day else {},
    ), status


@bp.route("/penyaluran/baru", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def new_disbursement(school: School) -> str | Response | tuple[str, int]:
    form = DisbursementForm(**_prefill())
    recipients = active_recipients(school)
    form.recipient_id.choices = [
        SelectChoice("", _("— pilih penerima —")),
        *(SelectChoice(r.id, f"{r.name} ({r.class_label})") for r in recipients),
    ]
    again = url_for("entries.new_disbursement", npsn=school.npsn, **_again_args())
    if earlier := _sent_before(school):
        return _confirm(school, earlier, again, earlier=True)
    try:
        if request.method == "POST":
            approvals.refuse_reused_request_key(request.form.get("form_key", ""))
    except approvals.DuplicateRequest as dup:
        return approval_routes.duplicate_request(school, dup)
    if form.validate_on_submit():
        try:
            typed = {
                "amount": form.amount.data,
                "occurred_on": form.occurred_on.data,
                "recipient": recipient_for(school, form.recipient_id.data),
                "category": Category(form.category.data),
                "in_kind": form.in_kind.data,
                "description": form.description.data,
                "recorded_by": current_user,
                "form_key": form.form_key.data,
                "today": today_wib(),
            }
            if approvals.needs_approval(school, form.amount.data):
                pending = approvals.request_disbursement(school, **typed)
                attach(school, form.evidence.prepared, pending=pending, added_by=current_user)
                return approval_routes.waiting(school, pending)
            entry = services.record_disbursement(school, **typed)
            attach(school, form.evidence.prepared, entry=entry, added_by=current_user)
            return _confirm(school, [entry], again)
        except ledger.DuplicateSubmission as dup:
            return _confirm(school, _same_school(school, [dup.entry]), again, earlier=True)
        except approvals.DuplicateRequest as dup:
            return approval_routes.duplicate_request(school, dup)
        except ledger.LedgerError as error:
            show_refusal(form, error, fallback="amount")
    status = 422 if form.is_submitted() else 200
    return render_template(
        "entries/disbursement_form.html",
        school=school,
        form=form,
        available=school.fund.available,
        has_recipients=bool(recipients),
    ), status


@bp.get("/catatan/<int:entry_id>")
@school_view(*READERS)
def entry(school: School, entry_id: int) -> str:
    item = entry_for(school, entry_id)
    return render_template(
        "entries/entry.html", school=school, entry=item, form=VoidForm(), redo=_redo(school, item)
    )


def _redo(school: School, entry: Entry) -> str | None:
    """After a void, the form to record the right one (the date of the voided entry kept)."""
    original = entry.voids
    if original is None or original.is_transfer:
        return None
    day = original.occurred_on.isoformat()
    if original.kind == EntryKind.DISBURSEMENT:
        return url_for("entries.new_disbursement", npsn=school.npsn, occurred_on=day)
    if original.source == Source.CLASS:
        return url_for("entries.class_collections", npsn=school.npsn, occurred_on=day)
    assert original.source is not None  # every contribution has one (the kind_fields CHECK)
    source = original.source.value
    return url_for("entries.new_contribution", npsn=school.npsn, occurred_on=day, source=source)


@bp.post("/catatan/<int:entry_id>/batalkan")
@school_view(Role.COMMITTEE)
def void(school: School, entry_id: int) -> Response | tuple[str, int]:
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
        except ledger.DuplicateSubmission as dup:
            [first] = _same_school(school, [dup.entry])
            message = _("Formulir ini sudah tersimpan sebelumnya; tidak dicatat dua kali.")
            return _to_entry(school, first, message, "info")
        except ledger.LedgerError as error:
            show_refusal(form, error, fallback="reason")
    page = render_template(
        "entries/entry.html", school=school, entry=original, form=form, redo=None
    )
    return page, 422


def _disbursement_for(school: School, entry_id: int) -> Entry:
    entry = entry_for(school, entry_id)
    if entry.kind != EntryKind.DISBURSEMENT:
        abort(404)
    return entry


def _entry_page(school: School, entry: Entry, **forms: object) -> tuple[str, int]:
    """The entry page again, with an evidence form's errors."""
    page = render_template(
        "entries/entry.html",
        school=school,
        entry=entry,
        form=VoidForm(),
        **forms,
    )
    return page, 422


@bp.post("/catatan/<int:entry_id>/bukti")
@school_view(Role.COMMITTEE)
def add_evidence(school: School, entry_id: int) -> Response | tuple[str, int]:
    entry = _disbursement_for(school, entry_id)
    form = AttachForm()
    if not form.validate_on_submit():
        return _entry_page(school, entry, attach_form=form)
    added = attach(school, form.files.prepared, entry=entry, added_by=current_user)
    db.session.commit()
    flash(_("%(count)d bukti ditambahkan.", count=len(added)), "success")
    return redirect(url_for("entries.entry", npsn=school.npsn, entry_id=entry.id), 303)


@bp.post("/bukti/<int:attachment_id>/ganti")
@school_view(Role.COMMITTEE)
def supersede_evidence(school: School, attachment_id: int) -> Response | tuple[str, int]:
    attachment = attachment_for(school, attachment_id)
    if attachment.entry is None:  # still pending: its page belongs to the approvals
        abort(404)
    form = SupersedeForm(prefix=f"s{attachment.id}")  # one form per attachment on the page
    if not form.validate_on_submit():
        return _entry_page(
            school, attachment.entry, supersede_form=form, supersede_id=attachment.id
        )
    try:
        supersede(attachment, reason=form.reason.data, by=current_user)
        db.session.commit()
        flash(_("Bukti ditandai diganti; tetap tersimpan dan tercantum."), "success")
    except AlreadySuperseded:
        db.session.rollback()
        flash(_("Bukti ini sudah ditandai diganti sebelumnya."), "info")
    return redirect(url_for("entries.entry", npsn=school.npsn, entry_id=attachment.entry_id), 303)
