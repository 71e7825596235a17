"""Evidence of a school's disbursements: attach, supersede (committee), download (committee and
teacher). Nobody above the school ever gets a file: the district sees only shares."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from sas.authz import MAX_ID, entry_for, roles, school_for
from sas.evidence import services
from sas.evidence.forms import AttachForm, SupersedeForm
from sas.extensions import db
from sas.ledger.forms import VoidForm
from sas.ledger.routes import ledger_helpers
from sas.models import Attachment, Entry, EntryKind, Role, School

bp = Blueprint("evidence", __name__, url_prefix="/schools/<npsn>")

READERS = (Role.COMMITTEE, Role.TEACHER)
# A stored file never runs in the app's origin: downloaded, not shown; sandboxed and unsniffed
# should a browser or plugin show it all the same.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


@bp.app_context_processor
def evidence_helpers() -> dict[str, object]:
    """For the entry page (``templates/evidence/_entry.html``), whose view is the ledger's."""
    return {
        "evidence_of": services.attachments_of,
        "new_attach_form": AttachForm,
        "new_supersede_form": SupersedeForm,
    }


@bp.app_template_filter("evidence_share")
def evidence_share(share: tuple[int, int]) -> str:
    return services.format_share(*share)


def _disbursement_for(school: School, entry_id: int) -> Entry:
    entry = entry_for(school, entry_id)
    if entry.kind != EntryKind.DISBURSEMENT:
        abort(404)
    return entry


def attachment_for(school: School, attachment_id: int) -> Attachment:
    """An attachment of the school; 404 otherwise (another school's looks like a missing one)."""
    if not 0 < attachment_id <= MAX_ID:
        abort(404)
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.school_id == school.id)
    )
    if attachment is None:
        abort(404)
    return attachment


def _entry_page(school: School, entry: Entry, **forms: object) -> tuple[str, int]:
    """The entry page again, with a form's errors (its helpers are the ledger blueprint's)."""
    page = render_template(
        "ledger/entry.html",
        school=school,
        entry=entry,
        form=VoidForm(),
        **ledger_helpers(),
        **forms,
    )
    return page, 422


@bp.post("/entries/<int:entry_id>/evidence")
@roles(Role.COMMITTEE)
def add(npsn: str, entry_id: int) -> Response | tuple[str, int]:
    school = school_for(npsn, current_user)
    entry = _disbursement_for(school, entry_id)
    form = AttachForm()
    if not form.validate_on_submit():
        return _entry_page(school, entry, attach_form=form)
    added = services.attach(school, form.files.prepared, entry=entry, added_by=current_user)
    db.session.commit()
    flash(_("%(count)d bukti ditambahkan.", count=len(added)), "success")
    return redirect(url_for("ledger.entry", npsn=school.npsn, entry_id=entry.id), 303)


@bp.post("/evidence/<int:attachment_id>/supersede")
@roles(Role.COMMITTEE)
def supersede(npsn: str, attachment_id: int) -> Response | tuple[str, int]:
    school = school_for(npsn, current_user)
    attachment = attachment_for(school, attachment_id)
    if attachment.entry is None:  # still pending: its page belongs to the approvals
        abort(404)
    form = SupersedeForm(prefix=f"s{attachment.id}")  # one form per attachment on the page
    if not form.validate_on_submit():
        return _entry_page(
            school, attachment.entry, supersede_form=form, supersede_id=attachment.id
        )
    try:
        services.supersede(attachment, reason=form.reason.data, by=current_user)
        db.session.commit()
        flash(_("Bukti ditandai diganti; tetap tersimpan dan tercantum."), "success")
    except services.AlreadySuperseded:
        db.session.rollback()
        flash(_("Bukti ini sudah ditandai diganti sebelumnya."), "info")
    return redirect(url_for("ledger.entry", npsn=school.npsn, entry_id=attachment.entry_id), 303)


@bp.get("/evidence/<int:attachment_id>")
@roles(*READERS)
def download(npsn: str, attachment_id: int) -> Response:
    school = school_for(npsn, current_user)
    attachment = attachment_for(school, attachment_id)
    path = services.stored_path(attachment)
    if not path.is_file():
        current_app.logger.error("evidence file missing: attachment %s", attachment.id)
        abort(404)
    response = send_file(
        path, mimetype=attachment.content_type, conditional=False, etag=False, max_age=None
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{services.download_name(attachment)}"'
    )
    response.headers.update(FILE_HEADERS)
    return response
