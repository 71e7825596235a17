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
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def end_sessions(user: User) -> None:
    """Every cookie issued to this user so far stops working."""
    user.session_version += 1
