"""API tokens: random, shown once, stored only as a SHA-256 hex digest, revocable.

A token acts with its owner's role and scope, so a district officer's token sees their kabupaten
and a committee member's token their own school. The services only flush; the caller commits.
Creating and revoking a token are written to the audit log; tokens are made on the command line,
so the actor is the account given as ``by`` or, without one, "cli".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from sas import audit
from sas.extensions import db
from sas.models import ApiToken, User

# last_used_at is kept to the minute, so a busy client does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Exception):
    """A token cannot be created or revoked as asked; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_token(user: User, name: str, *, by: User | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    if active_token_named(user, name) is not None:
        raise TokenError(f"{user.username!r} already has an active token named {name!r}")
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token))
    db.session.add(row)
    db.session.flush()
    _audit("token.created", row, user, by)
    return row, token


def active_token_named(user: User, name: str) -> ApiToken | None:
    return db.session.scalar(
        select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.name == name, ApiToken.revoked_at.is_(None)
        )
    )


def revoke_token(row: ApiToken, now: datetime | None = None, *, by: User | None = None) -> bool:
    """Revoke a token; False if it already was (the first revocation time is kept)."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now or datetime.now(UTC)
    db.session.flush()
    _audit("token.revoked", row, row.user, by)
    return True


def _audit(action: str, row: ApiToken, owner: User, by: User | None) -> None:
    """One log row about the token, in its owner's school (if any): a teacher sees the tokens
    of their school's accounts."""
    audit.record(
        action,
        target=f"token:{row.id}",
        school_id=owner.school_id,
        detail=f"owner=user:{owner.id} ({owner.username}) name={row.name}",
        actor=by,
        actor_name="cli",
    )


def token_owner(token: str) -> tuple[ApiToken, User] | None:
    """The token and its account, if the token is known, not revoked and the account active."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row, row.user


def needs_touch(row: ApiToken, now: datetime) -> bool:
    return row.last_used_at is None or _aware(row.last_used_at) <= now - LAST_USED_RESOLUTION


def touch(token_id: int, now: datetime) -> None:
    """Record that a token was used (a single UPDATE, so it can run as its own transaction)."""
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    db.session.flush()
