"""Login protection with Flask-Limiter: failed logins per username, attempts per address.

- ``LOGIN_LIMIT_PER_USERNAME`` (5 a minute): only *failed* logins count (``deduct_when``), so a
  user who types the password right is never held up by their own earlier slips, while a
  guesser spread over many addresses still gets five tries a minute at one account.
- ``LOGIN_LIMIT_PER_ADDRESS`` (20 a minute): every login attempt from one client address counts,
  so one machine cannot try many usernames (a whole school behind one address logs in well
  under that).
- The current password asked for on the change-password page is guarded like a login, per
  account, so a borrowed session cannot guess it.

One Limiter per app, made in ``create_app`` rather than a module-level object in
``sas.extensions``: Flask-Limiter keeps its storage and settings on the Limiter object, so apps
built in one process (the tests build several) would otherwise share the last one's. Several
gunicorn workers are several processes and share their counts only through Redis
(``RATELIMIT_STORAGE_URI=redis://...``).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_limiter import Limiter, RequestLimit
from flask_login import current_user
from limits import parse
from sqlalchemy.exc import OperationalError

from sas import audit
from sas.extensions import db
from sas.forms import strip_control_characters

log = logging.getLogger(__name__)

# A flood of refused attempts writes one "login.limited" row per key and minute, not one each.
AUDIT_ONCE = parse("1 per minute")


def address_key() -> str:
    """The client address (the proxy's client when ``PROXY_FIX`` is on)."""
    return "address:" + (request.remote_addr or "unknown")


def typed_username() -> str:
    """The username of the login form as the login compares it (case-insensitive)."""
    name = strip_control_characters(request.form.get("username", ""))
    return name.strip().lower()[:64]


def username_key() -> str:
    return "username:" + (typed_username() or "-")


def account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return address_key()


def login_failed(response: Response) -> bool:
    return response.status_code == 422


def wrong_current_password(_response: Response) -> bool:
    return bool(g.get("wrong_current_password"))


def init_limiter(app: Flask) -> None:
    """Bind a Limiter to ``app`` and put the limits on the login and password views."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = Limiter(address_key, on_breach=_record_limited)
    limiter.init_app(app)
    app.extensions["sas_limiter"] = limiter

    def per_username() -> str:
        return current_app.config["LOGIN_LIMIT_PER_USERNAME"]

    def per_address() -> str:
        return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]

    login = app.view_functions["auth.login"]
    login = limiter.limit(
        per_username, key_func=username_key, methods=["POST"], deduct_when=login_failed
    )(login)
    login = limiter.limit(per_address, key_func=address_key, methods=["POST"])(login)
    app.view_functions["auth.login"] = login

    change = app.view_functions["auth.change_password"]
    app.view_functions["auth.change_password"] = limiter.limit(
        per_username, key_func=account_key, methods=["POST"], deduct_when=wrong_current_password
    )(change)


def retry_after() -> int | None:
    """Seconds until the limit that refused this request lets one through again."""
    limiter: Limiter | None = current_app.extensions.get("sas_limiter")
    limit = limiter.current_limit if limiter is not None else None
    if limit is None:
        return None
    return max(1, limit.reset_at - int(time.time()))


def _record_limited(limit: RequestLimit) -> None:
    """``on_breach``: one "login.limited" row per key and minute, committed on its own (the
    request ends in a 429 before its view runs)."""
    limiter: Limiter = current_app.extensions["sas_limiter"]
    if not limiter.limiter.hit(AUDIT_ONCE, "audit-login-limited", limit.key):
        return
    key = limit.request_args[-2] if len(limit.request_args) >= 2 else ""
    try:
        audit.record(
            "login.limited",
            actor_name=typed_username() or None,
            detail=f"{key} limit={limit.limit} endpoint={request.endpoint}",
        )
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.warning("could not record a refused login in the audit log", exc_info=True)
