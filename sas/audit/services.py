"""Writing the audit log. Every caller adds one row in the same transaction as its action.

Name the target as ``"<kind>:<id>"`` (``"entry:12"``, ``"recipient:7"``, ``"user:3"``) and never
put a recipient's personal data (name, NISN, note) in ``detail``: refer to them by id.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from sas.extensions import db
from sas.models import AuditEvent, User

# The actions written to the log; a new one is added here first.
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
)


def record(
    action: str,
    *,
    target: str | None = None,
    school_id: int | None = None,
    detail: str | None = None,
    actor: User | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Add one row to the log (flushed, not committed: it lands with the caller's action).

    ``actor`` defaults to the logged-in user; ``actor_name`` is the name to show when there is
    no account (a failed login records the username as typed, never the password).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()  # type: ignore[attr-defined]
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
    db.session.flush()
    return event
