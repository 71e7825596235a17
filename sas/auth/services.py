"""Checking credentials, one-time passwords, choosing a password, and ending sessions.

The password hash is slow on purpose (scrypt). On SQLite a POST holds the write lock from its
first query, so every check ends the transaction before hashing: a stranger's failed login, or
a slow password change, must not hold up the committees recording entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import func, select

from sas import audit
from sas.extensions import db
from sas.models import User
from sas.models.people import make_password_hash, password_matches

# Stored over a one-time password once it has been used: no password hashes to it (it is not
# even a hash: Werkzeug answers False for it), so that password never works again.
USED_ONE_TIME_PASSWORD = "!used-one-time-password"  # noqa: S105 - a marker, not a secret


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that costs the same time as a wrong password."""
    return make_password_hash("no such user")


def _aware(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def authenticate(username: str, password: str, now: datetime | None = None) -> User | None:
    """The active user with these credentials, or None (never saying which part was wrong).

    A one-time password past its expiry fails like a wrong one. On success the login is
    recorded (``last_login_at``, and the one before it in ``previous_login_at``) and a
    one-time password is used up at once; the caller commits.
    """
    now = now or datetime.now(UTC)
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    found = (user.id, user.password_hash, user.active) if user else (None, _dummy_hash(), False)
    db.session.rollback()  # before the slow hash check (see the module's docstring)
    user_id, password_hash, active = found
    if not password_matches(password_hash, password) or not active or user_id is None:
        return None
    # Checked again inside the new transaction, with the row locked (PostgreSQL; SQLite holds
    # the write lock anyway): deactivated, reset, or a one-time password used by a concurrent
    # login while this one was hashing.
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None or not user.active or user.password_hash != password_hash:
        return None
    if user.password_expires_at is not None and _aware(user.password_expires_at) <= now:
        return None
    if user.must_change_password:
        user.password_hash = USED_ONE_TIME_PASSWORD
    user.previous_login_at = user.last_login_at
    user.last_login_at = now
    audit.record("login.succeeded", target=f"user:{user.id}", actor=user)
    return user


def record_failed_login(username: str) -> None:
    """One "login.failed" row naming the account as typed (never the password)."""
    audit.record("login.failed", actor_name=username.strip() or "-")


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current one; ends the transaction before hashing."""
    password_hash = user.password_hash
    db.session.rollback()
    return password_matches(password_hash, password)


def hash_password(password: str) -> str:
    """The hash to store, made outside any transaction (call it before touching the database)."""
    if db.session().in_transaction():
        db.session.rollback()
    return make_password_hash(password)


def set_own_password(user: User, password_hash: str, *, first: bool) -> None:
    """Store the password the user chose (hashed by ``hash_password``) and end every session of
    theirs, this one included: the caller logs them in again with the new session version.
    ``first`` is the choice after a one-time password."""
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_expires_at = None
    end_sessions(user)
    audit.record(
        "password.changed",
        target=f"user:{user.id}",
        actor=user,
        detail="one_time=yes" if first else None,
    )


def end_sessions(user: User) -> None:
    """Every cookie issued to this user so far stops working."""
    user.session_version += 1


def log_out(user: User) -> None:
    """The user's cookies stop working (this one and any copied elsewhere)."""
    audit.record("logout", target=f"user:{user.id}", actor=user)
    end_sessions(user)
