"""Who is calling the API: a bearer token, else the session cookie of a logged-in user.

The app's ``require_login`` lets every API request through, so each view asks here. A request
that carries an ``Authorization`` header is judged by that header alone: a bad token is a 401
even when a session cookie is also present.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import request
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from sas.api import tokens
from sas.api.errors import ApiError
from sas.extensions import db
from sas.models import Role, User

log = logging.getLogger(__name__)

CHALLENGE = 'Bearer realm="SAS Ledger API"'


def caller(*allowed: Role) -> User:
    """The authenticated user; 401 without valid credentials, 403 for a role not ``allowed``."""
    user = _authenticate()
    if user.role not in allowed:
        raise ApiError(403, f"The {user.role} role may not read this.")
    return user


def _authenticate() -> User:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "Send the token as Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": CHALLENGE},
            )
        return _token_user(token)
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()  # the proxy's User (flask_login: Any)
        return user
    raise ApiError(401, headers={"WWW-Authenticate": CHALLENGE})


def _token_user(token: str) -> User:
    found = tokens.token_owner(token)
    if found is None:
        raise ApiError(
            401,
            "The token is unknown or revoked, or its account is inactive.",
            headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'},
        )
    row, user = found
    now = datetime.now(UTC)
    if tokens.needs_touch(row, now):
        # Its own short write transaction: on SQLite a read transaction that turned into a
        # write could fail at once if another writer had committed since it began.
        token_id = row.id
        db.session.commit()
        try:
            tokens.touch(token_id, now)
            db.session.commit()
        except OperationalError:  # last_used_at is bookkeeping: never fail a read for it
            db.session.rollback()
            log.warning("could not record the use of API token %s", token_id, exc_info=True)
    return user
