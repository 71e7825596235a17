"""Checking credentials and ending sessions."""

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from sas.extensions import db
from sas.models import User


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that costs the same time as a wrong password."""
    return generate_password_hash("no such user")


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (never saying which part was wrong)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    found = (user.id, user.password_hash, user.active) if user else (None, _dummy_hash(), False)
    # End the transaction before the deliberately slow hash check: on SQLite a POST holds the
    # write lock from its first query, and a stranger's failed login must not hold up writers.
    db.session.rollback()
    user_id, password_hash, active = found
    if not check_password_hash(password_hash, password) or not active or user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def end_sessions(user: User) -> None:
    """Every cookie issued to this user so far stops working."""
    user.session_version += 1
