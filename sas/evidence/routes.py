"""Evidence of a school's disbursements: download (committee and teacher; attaching and
superseding are actions of the entry page, in ``sas.entries``).
Nobody above the school ever gets a file: the district sees only shares."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    send_file,
)
from werkzeug.wrappers import Response

from sas.authz import attachment_for, school_view
from sas.evidence import services
from sas.models import Role, School

bp = Blueprint("evidence", __name__, url_prefix="/sekolah/<npsn>")

READERS = (Role.COMMITTEE, Role.TEACHER)
# A stored file never runs in the app's origin: downloaded, not shown; sandboxed and unsniffed
# should a browser or plugin show it all the same.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


@bp.get("/bukti/<int:attachment_id>")
@school_view(*READERS)
def download(school: School, attachment_id: int) -> Response:
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
