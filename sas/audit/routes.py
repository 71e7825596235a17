"""Reading the audit log: the whole of it for admins, a school's part for its teacher.

Only GET routes: nothing in the app edits or deletes the log (and the database refuses to).
Committee members, district officers and anonymous visitors have no access: the log names
people and (for admins) the addresses they came from.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_datetime
from flask_login import current_user

from sas.audit.forms import AuditFilterForm
from sas.audit.labels import ACTION_LABELS
from sas.audit.services import audit_page
from sas.authz import MAX_ID, roles, school_for
from sas.models import Role, School

bp = Blueprint("audit", __name__)

FILTER_ARGS = ("school", "user", "action", "from", "to")  # the query keys passed on to links
PER_PAGE = 50


@bp.context_processor
def audit_helpers() -> dict[str, object]:
    return {
        "action_labels": ACTION_LABELS,
        # in the user's time zone setting (WIB), to the second
        "audit_time": lambda at: format_datetime(at, "d MMM y HH:mm:ss"),
    }


def _after() -> int | None:
    after = request.args.get("after", type=int)
    return after if after is not None and 0 < after <= MAX_ID else None


def _render(form: AuditFilterForm, school: School | None) -> str:
    flt = form.audit_filter(school.id if school is not None else None)
    page = audit_page(flt, _after(), current_app.config.get("AUDIT_PER_PAGE", PER_PAGE))
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    if school is not None:
        args.pop("school", None)
    # ``school`` only on a school's page: the layout shows that school's menu when it is set.
    scope = {"school": school} if school is not None else {}
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        args=args,
        deeper=_after() is not None,
        show_address=current_user.role == Role.ADMIN,
        **scope,
    )


@bp.get("/audit")
@roles(Role.ADMIN)
def index() -> str:
    """The whole log, filterable by school, user, action and WIB dates."""
    return _render(AuditFilterForm(request.args), None)


@bp.get("/sekolah/<npsn>/audit")
@roles(Role.TEACHER)
def school(npsn: str) -> str:
    """What happened at the teacher's own school (404 for any other)."""
    own = school_for(npsn, current_user)
    return _render(AuditFilterForm(request.args), own)
