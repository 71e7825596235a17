"""Writing and reading the audit log. Every caller adds one row in the same transaction as its
action; the database refuses to change or delete a row once written.

Name the target as ``"<kind>:<id>"`` (``"entry:12"``, ``"recipient:7"``, ``"user:3"``) and never
put a recipient's personal data (name, NISN, note) or free text typed about one (an entry's
description, a correction's reason) in ``detail``: refer to them by id and No Bukti.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, and_, func, or_, select

from sas.dates import WIB
from sas.extensions import db
from sas.models import AuditEvent, Role, School, User

# The actions written to the log; a new one is added here first (and to labels.py).
ACTIONS = (
    "login.succeeded",
    "login.failed",
    "login.limited",
    "logout",
    "password.changed",
    "password.reset",
    "entry.recorded",
    "entry.voided",
    "recipient.added",
    "recipient.changed",
    "class.added",
    "class.renamed",
    "class.retired",
    "class.reactivated",
    "month.closed",
    "user.created",
    "user.changed",
    "user.deactivated",
    "user.reactivated",
    "school.created",
    "school.changed",
    "school.deactivated",
    "region.created",
    "region.changed",
    "schools.imported",
    "committee.term_ended",
    "token.created",
    "token.revoked",
    "access.denied",
    "evidence.added",
    "evidence.superseded",
    "disbursement.requested",
    "disbursement.approved",
    "disbursement.rejected",
    "school.threshold_changed",
    "transfer.recorded",
    "transfer.voided",
    "transfer.requested",
    "transfer.approved",
    "transfer.rejected",
    "help_request.posted",
    "help_request.closed",
    # written by `flask sas ...` (actor "cli")
    "demo.loaded",
    "totals.rebuilt",
    "totals.checked",
    "ledger.verified",
    "checkpoint.created",
    "backup.restored",
)


def record(
    action: str,
    *,
    target: str | None = None,
    school_id: int | None = None,
    detail: str | None = None,
    actor: User | None = None,
    actor_name: str | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Add one row to the log (flushed, not committed: it lands with the caller's action;
    with ``flush=False`` it waits for the caller's next flush, so that several rows go in one
    INSERT).

    ``actor`` defaults to the logged-in user; ``actor_name`` is the name to show when there is
    no account (a failed login records the username as typed, never the password). Without a
    ``school_id``, what a committee member or teacher does is filed under their own school, so
    that school's teacher sees it.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if school_id is None and actor is not None and actor.role in (Role.COMMITTEE, Role.TEACHER):
        school_id = actor.school_id
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor=(actor.username if actor is not None else actor_name or None),
        school_id=school_id,
        target=target,
        detail=detail[:500] if detail else None,
        address=request.remote_addr if has_request_context() else None,
    )
    if event.actor:
        event.actor = event.actor[:64]
    db.session.add(event)
    if flush:
        db.session.flush()
    return event


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the log page asks for; ``school_id`` is forced to a teacher's own school."""

    school_id: int | None = None
    user: str | None = None  # a username, as typed
    action: str | None = None
    start: date | None = None  # WIB dates, both included
    end: date | None = None


@dataclass(frozen=True)
class AuditLine:
    event: AuditEvent
    npsn: str | None
    school_name: str | None


@dataclass(frozen=True)
class AuditPage:
    lines: list[AuditLine]
    next_after: int | None  # the cursor of the next (older) page, None on the last page


def wib_midnight(day: date) -> datetime:
    """The start of a WIB day, in UTC (the log's clock)."""
    return datetime.combine(day, time(0), WIB).astimezone(UTC)


def _filtered(flt: AuditFilter) -> Select[tuple[AuditEvent]]:
    stmt = select(AuditEvent)
    if flt.school_id is not None:
        stmt = stmt.where(AuditEvent.school_id == flt.school_id)
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.start is not None:
        stmt = stmt.where(AuditEvent.at >= wib_midnight(flt.start))
    if flt.end is not None:
        stmt = stmt.where(AuditEvent.at < wib_midnight(flt.end + timedelta(days=1)))
    if flt.user:
        name = flt.user.strip().lower()
        user_id = db.session.scalar(select(User.id).where(func.lower(User.username) == name))
        # the account's own rows, and rows naming it without one (a failed login as typed)
        by_name = and_(AuditEvent.actor_id.is_(None), func.lower(AuditEvent.actor) == name)
        stmt = stmt.where(or_(AuditEvent.actor_id == user_id, by_name) if user_id else by_name)
    return stmt


def audit_page(flt: AuditFilter, after: int | None, per_page: int) -> AuditPage:
    """One page of the log, newest first, from just after the row ``after`` (keyset paging:
    the page costs the same however deep it is, on the (…, at) indexes)."""
    stmt = _filtered(flt)
    if after is not None:
        cursor = db.session.execute(
            _filtered(flt)
            .with_only_columns(AuditEvent.at, AuditEvent.id)
            .where(AuditEvent.id == after)
        ).first()
        if cursor is not None:
            at, row_id = cursor
            stmt = stmt.where(
                or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < row_id))
            )
    rows = db.session.execute(
        stmt.add_columns(School.npsn, School.name)
        .outerjoin(School, School.id == AuditEvent.school_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page + 1)
    ).all()
    lines = [AuditLine(event, npsn, name) for event, npsn, name in rows[:per_page]]
    more = len(rows) > per_page
    return AuditPage(lines, lines[-1].event.id if more and lines else None)
