"""Who may do what, enforced on the server in three layers.

1. Login is required everywhere except an allow-list of public endpoints.
2. Role decorators on views answer 403 to the wrong role (a teacher never writes).
3. Scoped lookups fetch a school, entry or recipient only inside the user's own scope and
   answer 404 otherwise, so another school's data looks exactly like missing data.
"""

import re
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from sas import audit
from sas.extensions import db, login_manager
from sas.models import (
    Attachment,
    CommitteeHandover,
    Entry,
    HelpRequest,
    PendingDisbursement,
    PendingTransfer,
    Recipient,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolClass,
    Transfer,
    User,
)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "main.index",
        "main.set_language",
        "main.school_search",
        "main.public_school",
        "main.checkpoints_json",
        "main.transparency",
        "receipts.verify",
        "main.healthz",
        "offline.manifest",
        "offline.service_worker",
    }
)
# All that a user who logged in with a one-time password may open before choosing their own.
BEFORE_OWN_PASSWORD = frozenset(
    {
        "static",
        "auth.set_password",
        "auth.logout",
        "main.set_language",
        "offline.manifest",
        "offline.service_worker",
    }
)


# The user with their school, which every page of that school asks for (school_for). Built
# once: SQLAlchemy keeps a statement's cache key with it, rather than working it out afresh for
# every request as it does for a ``session.get`` with options.
USER_WITH_SCHOOL = select(User).options(joinedload(User.school)).where(User.id == bindparam("uid"))


def load_user(user_id: str) -> User | None:
    """The cookie holds ``id:session_version``; an old version (after logout) loads nobody."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    if not 0 < uid <= MAX_ID:  # beyond a 32-bit integer: no such user (nor a valid query)
        return None
    user = db.session.scalar(USER_WITH_SCHOOL, {"uid": uid})
    if user is None or not user.active or user.session_version != version:
        return None
    return user


login_manager.user_loader(load_user)  # registered by a call: flask_login is untyped


def require_login() -> Response | None:
    """``before_request`` hook: everything not on the allow-list needs a logged-in user.

    The JSON API authenticates each request itself (session or bearer token) and answers 401
    in JSON rather than redirecting to the login page. A session that began with a one-time
    password is sent to choose a password first, whatever page it asks for.
    """
    if request.endpoint is None:  # unknown URL: let it 404
        return None
    if request.endpoint == "static":  # no user to load for a stylesheet
        return None
    if _must_choose_password():
        if request.blueprint == "api":
            abort(403)
        return redirect(url_for("auth.set_password"))
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    # The role check of @roles, early: a teacher's write is 403 even before its CSRF check.
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, "allowed_roles", None)
    if allowed is not None and current_user.role not in allowed:
        abort(403)
    return None


def _must_choose_password() -> bool:
    """A session started with a one-time password, on a page other than the few it may open.

    An API request with its own ``Authorization`` header is judged by that alone."""
    if request.endpoint in BEFORE_OWN_PASSWORD:
        return False
    if request.blueprint == "api" and "Authorization" in request.headers:
        return False
    return bool(current_user.is_authenticated and current_user.must_change_password)


def start_page(user: User) -> str:
    """Where a signed-in user begins (after login, at ``/``, and the installed app's start URL):
    a committee member's or teacher's own school dashboard, else the home for their role."""
    if user.school is not None and user.role in (Role.COMMITTEE, Role.TEACHER):
        return url_for("cashbook.dashboard", npsn=user.school.npsn)
    return url_for("main.home")


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme or host, no ``//host`` or ``/\\host``, no control
    characters (a CR/LF would split the Location header)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or ord(c) == 127 for c in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def roles(*allowed: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow a view only to the given roles; everyone else gets 403."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated or current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        # read by require_login, which checks the role before the view (and its CSRF check)
        # runs; a function object takes any attribute, which its type does not declare
        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator


def school_view(
    *allowed: Role,
) -> Callable[[Callable[Concatenate[School, P], R]], Callable[..., R]]:
    """A page of the user's own school (URLs under ``/sekolah/<npsn>``): ``roles(*allowed)``,
    then the school the URL names, if it is the user's (``school_for``: 404 otherwise), given
    to the view as its first argument instead of the NPSN. (The view Flask gets is typed
    ``Callable[..., R]``: Flask passes ``npsn`` by keyword, which ``Concatenate`` cannot say.)"""

    def decorator(view: Callable[Concatenate[School, P], R]) -> Callable[..., R]:
        @roles(*allowed)
        @wraps(view)
        def wrapped(npsn: str, *args: P.args, **kwargs: P.kwargs) -> R:
            return view(school_for(npsn, current_user), *args, **kwargs)

        return wrapped

    return decorator


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def record_denied_write() -> None:
    """An "access.denied" audit row for a refused write (a 403 on a POST...), with the path as
    target and the school of the URL when it names one.

    Committed on its own: the 403 comes from ``require_login`` or ``@roles`` before the view
    ran, or from a view whose work is dropped first."""
    if request.method in SAFE_METHODS:
        return
    db.session.rollback()
    npsn = (request.view_args or {}).get("npsn")
    school = school_by_npsn(npsn) if isinstance(npsn, str) else None
    audit.record(
        "access.denied",
        target=request.path[:80],
        school_id=school.id if school is not None else None,
        detail=f"method={request.method} endpoint={request.endpoint}",
    )
    db.session.commit()


NPSN = re.compile(r"^[0-9A-Z]{8}$")
REGION_CODE = re.compile(r"^[0-9]{2}\.[0-9]{2}(\.[0-9]{2})?$")
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer do not exist (and would overflow the query)


def by_id(model: type[T], object_id: int) -> T | None:
    """A row by id; None for ids that cannot exist (beyond a 32-bit integer)."""
    return db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None


def scoped(model: type[T], object_id: int, visible: Callable[[T], bool]) -> T:
    """The one way a view gets a row by id: the row if ``visible(row)``, otherwise 404, the
    same answer as for a row that does not exist (another school's looks like a missing one)."""
    item = by_id(model, object_id)
    if item is None or not visible(item):
        abort(404)
    return item


class SchoolRow(Protocol):
    """A row that belongs to one school."""

    @property
    def school_id(self) -> int: ...


S = TypeVar("S", bound=SchoolRow)


def of_school(school: School, model: type[S], object_id: int) -> S:
    """A row of ``model`` that belongs to ``school`` (its ``school_id``); otherwise 404."""
    return scoped(model, object_id, lambda item: item.school_id == school.id)


def school_by_npsn(npsn: str) -> School | None:
    """Any school by NPSN, for callers that check the scope themselves; None if unknown."""
    if not NPSN.match(npsn):
        return None
    return db.session.scalar(select(School).where(School.npsn == npsn))


def school_for(npsn: str, user: User) -> School:
    """The school named in the URL, if it is the user's own; otherwise 404."""
    school = user.school  # loaded with the user: no query
    if school is None or school.npsn != npsn:
        abort(404)
    return school


def public_school_for(npsn: str, kabupaten: Region) -> School:
    """An active school of the public kabupaten, for anyone; otherwise 404 (a deactivated
    school, another kabupaten's or a malformed NPSN looks like a missing one)."""
    school = school_by_npsn(npsn)
    if school is None or not shown_publicly(school, kabupaten):
        abort(404)
    return school


def shown_publicly(school: School, kabupaten: Region) -> bool:
    """The public pages show a school while it is active, in the public kabupaten."""
    return school.active and school.kecamatan.parent_id == kabupaten.id


def _region(code: str, level: RegionLevel) -> Region | None:
    if not REGION_CODE.match(code):
        return None
    return db.session.scalar(select(Region).where(Region.code == code, Region.level == level))


def kabupaten_for(code: str, user: User) -> Region:
    """A kabupaten a district officer (their own) or an admin (any) may see; otherwise 404."""
    region = _region(code, RegionLevel.KABUPATEN)
    if region is None or not _sees_kabupaten(user, region.id):
        abort(404)
    return region


def kecamatan_for(code: str, user: User) -> Region:
    """A kecamatan of such a kabupaten; otherwise 404."""
    region = _region(code, RegionLevel.KECAMATAN)
    if region is None or not _sees_kabupaten(user, region.parent_id):
        abort(404)
    return region


def report_school_for(npsn: str, user: User) -> School:
    """A school whose numbers the user may see: their own (committee, teacher), one of their
    kabupaten (district), any (admin); otherwise 404."""
    if user.role in (Role.COMMITTEE, Role.TEACHER):
        return school_for(npsn, user)
    school = school_by_npsn(npsn)
    if school is None or not _sees_kabupaten(user, school.kecamatan.parent_id):
        abort(404)
    return school


def board_kabupaten_for(code: str, user: User) -> Region:
    """A kabupaten whose board of requests for help the user may see; otherwise 404."""
    region = _region(code, RegionLevel.KABUPATEN)
    if region is None or not sees_board(user, region.id):
        abort(404)
    return region


def sees_board(user: User, kabupaten_id: int | None) -> bool:
    """The board of requests for help: its district office and admins, and the committees
    and teachers of the kabupaten's schools."""
    if user.role in (Role.COMMITTEE, Role.TEACHER):
        return user.school is not None and user.school.kecamatan.parent_id == kabupaten_id
    return _sees_kabupaten(user, kabupaten_id)


def _sees_kabupaten(user: User, kabupaten_id: int | None) -> bool:
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.DISTRICT and user.region_id == kabupaten_id


def entry_for(school: School, entry_id: int) -> Entry:
    """An entry of the school's book; otherwise 404."""
    return of_school(school, Entry, entry_id)


def recipient_for(school: School, recipient_id: int) -> Recipient:
    """A recipient of the school, active or not; otherwise 404."""
    return of_school(school, Recipient, recipient_id)


def request_for(school: School, request_id: int) -> HelpRequest:
    """A request for help the school posted; otherwise 404."""
    return of_school(school, HelpRequest, request_id)


def request_seen_by(request_id: int, user: User) -> HelpRequest:
    """A request of a school of a kabupaten whose board the user sees; otherwise 404."""
    return scoped(
        HelpRequest, request_id, lambda item: sees_board(user, item.school.kecamatan.parent_id)
    )


def transfer_for(school: School, transfer_id: int) -> Transfer:
    """A transfer the school gave or received; otherwise 404."""
    return scoped(
        Transfer, transfer_id, lambda item: school.id in (item.from_school_id, item.to_school_id)
    )


def pending_transfer_for(school: School, pending_id: int) -> PendingTransfer:
    """A transfer the school sent for approval; otherwise 404 (the receiving school too: it
    sees nothing until the transfer is approved)."""
    return of_school(school, PendingTransfer, pending_id)


def class_for(school: School, class_id: int) -> SchoolClass:
    """One of the school's classes, active or retired; otherwise 404."""
    return of_school(school, SchoolClass, class_id)


def pending_for(school: School, pending_id: int) -> PendingDisbursement:
    """A waiting (or decided) disbursement of the school; otherwise 404."""
    return of_school(school, PendingDisbursement, pending_id)


def attachment_for(school: School, attachment_id: int) -> Attachment:
    """An evidence file of the school; otherwise 404."""
    return of_school(school, Attachment, attachment_id)


def handover_for(school: School, handover_id: int) -> CommitteeHandover:
    """A committee handover report of the school; otherwise 404."""
    return of_school(school, CommitteeHandover, handover_id)


# --- decisions on waiting disbursements and transfers ---------------------------------------


def is_committee_of(user: User, school_id: int) -> bool:
    """An active committee member of that school: the only one who records, approves or
    rejects there."""
    return user.role == Role.COMMITTEE and user.active and user.school_id == school_id


def may_approve(user: User, pending: PendingDisbursement | PendingTransfer) -> bool:
    """Whether to offer ``user`` the approve button (the services check again): a member of
    the school other than the one who recorded it."""
    return is_committee_of(user, pending.school_id) and user.id != pending.recorded_by_id


def may_reject(user: User, pending: PendingDisbursement | PendingTransfer) -> bool:
    """Whether to offer ``user`` the reject button: any member of the school."""
    return is_committee_of(user, pending.school_id)
