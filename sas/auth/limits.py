"""Login protection with Flask-Limiter: failed logins slow down, then stop, per username and
address; they are bounded per address and per username; a successful login never counts.

- Per username and address (``LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS``, 10 per 15 minutes and 50
  a day): the first 3 failures cost nothing; after the Nth (N > 3) that username is refused from
  that address for min(2^(N-3), 60) seconds (2, 4, 8 ... 60 s), and at the limit until it lets
  one through. The wait is a 429 with Retry-After, answered before the password is checked,
  never a sleep: a gunicorn sync worker kept asleep is one of at most 9 taken from everyone. A
  login that succeeds clears the count of its username at its address.
- Per address (``LOGIN_LIMIT_PER_ADDRESS``, 20 a minute and 100 an hour): failures for any
  username, so one machine cannot try many accounts; a school behind one NAT logs in freely.
- Per username, a ceiling (``LOGIN_CEILING_PER_USERNAME``, 300 an hour and 1,000 a day):
  failures from everywhere. One address adds at most 40 an hour and 50 a day, so reaching it
  takes 8 addresses for an hour or 20 for a day: a distributed brute force, held to 1,000
  guesses a day. Even then a browser where that account logged in before (the signed
  ``sas_device`` cookie) is not held up by it.

So failures from elsewhere do not lock the real user out: from an address that has not failed
for their username the right password is accepted below the ceiling, and from a browser they
logged in with before even above it. The current password asked for on the
change-password page is guarded per account (``PASSWORD_LIMIT_PER_ACCOUNT``), so a borrowed
session cannot guess it.

One Limiter per app, made in ``create_app`` rather than a module-level object in
``sas.extensions``: Flask-Limiter keeps its storage and settings on the Limiter object, so apps
built in one process (the tests build several) would otherwise share the last one's. Several
gunicorn workers are several processes and share their counts only through Redis
(``RATELIMIT_STORAGE_URI=redis://...``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import cast

from flask import Flask, abort, current_app, g, make_response, request, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_limiter import Limiter, RequestLimit
from flask_login import current_user
from itsdangerous import BadData, URLSafeSerializer
from limits import RateLimitItem, parse, parse_many
from sqlalchemy.exc import OperationalError

from sas import audit
from sas.extensions import db
from sas.forms import strip_control_characters

log = logging.getLogger(__name__)

# A flood of refused attempts writes one "login.limited" row per key and minute, not one each.
AUDIT_ONCE = parse("1 per minute")

DEVICE_COOKIE = "sas_device"
DEVICE_COOKIE_DAYS = 180  # renewed by every login
DEVICE_USERNAMES = 5  # accounts one browser remembers (a committee's shared phone)


def address_key() -> str:
    """The client address (the proxy's client when ``PROXY_FIX`` is on)."""
    return "address:" + (request.remote_addr or "unknown")


def typed_username() -> str:
    """The username of the login form as the login compares it (case-insensitive)."""
    name: str = strip_control_characters(request.form.get("username", ""))
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


def delay_after(failures: int, free: int, longest: int) -> int:
    """Seconds a username waits at an address after this many recent failures there."""
    return 0 if failures <= free else min(2 ** (failures - free), longest)


def pair_ids() -> list[str]:
    """Storage identifiers of the typed username at the client's address; from a browser the
    username signed in from before, at that browser instead: others behind the same address
    (a school's NAT, a carrier's) cannot make the user wait on their own phone."""
    where = device_key() if known_device() else address_key()
    return [current_app.config["RATELIMIT_KEY_PREFIX"], "login", username_key(), where]


def device_key() -> str:
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    return "device:" + hashlib.sha256(cookie.encode()).hexdigest()[:16]


def pair_limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS"])


def wait_key(ids: list[str]) -> str:
    return "/".join(["LIMITER", *ids, "wait"])


def pair_wait(limiter: Limiter, ids: list[str]) -> int:
    """Seconds before this username may try again from this address (0: now)."""
    key = wait_key(ids)
    until = [limiter.storage.get_expiry(key)] if limiter.storage.get(key) else []
    until += [
        limiter.limiter.get_window_stats(item, *ids).reset_time
        for item in pair_limits()
        if not limiter.limiter.test(item, *ids)
    ]
    return max((math.ceil(moment - time.time()) for moment in until), default=0)


def count_failure(limiter: Limiter, ids: list[str]) -> None:
    """Count a failed login at this address for this username, and start the wait it earns."""
    items = pair_limits()
    for item in items:
        limiter.limiter.hit(item, *ids)
    shortest = min(items, key=lambda item: item.get_expiry())
    failures = shortest.amount - limiter.limiter.get_window_stats(shortest, *ids).remaining
    config = current_app.config
    wait = delay_after(
        failures, config["LOGIN_DELAY_FREE_FAILURES"], config["LOGIN_DELAY_MAX_SECONDS"]
    )
    if wait:
        limiter.storage.incr(wait_key(ids), wait)


def forget_failures(limiter: Limiter, ids: list[str]) -> None:
    for item in pair_limits():
        limiter.limiter.clear(item, *ids)
    limiter.storage.clear(wait_key(ids))


@contextlib.contextmanager
def storage_errors_logged(limiter: Limiter) -> Iterator[None]:
    """Storage down: log it and let the login through, as ``RATELIMIT_SWALLOW_ERRORS`` does
    for Flask-Limiter's own limits."""
    try:
        yield
    except limiter.storage.base_exceptions:
        log.warning("login limits: the storage did not answer", exc_info=True)


def device_serializer() -> URLSafeSerializer:
    # the config value itself: Flask's secret_key attribute reads it, typed as possibly None
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="sas-known-device")


def username_digest(username: str) -> str:
    """A keyed digest, so the cookie shows no usernames on a shared phone."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:16]


def remembered_usernames() -> list[str]:
    """Digests of the usernames that logged in from this browser (the ``sas_device`` cookie)."""
    try:
        names = device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadData:
        return []
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def known_device() -> bool:
    """Whether the typed username has logged in from this browser before."""
    return username_digest(typed_username()) in remembered_usernames()


def remember_device(response: Response) -> None:
    digest = username_digest(typed_username())
    names = [digest, *(name for name in remembered_usernames() if name != digest)]
    response.set_cookie(
        DEVICE_COOKIE,
        device_serializer().dumps(names[:DEVICE_USERNAMES]),
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def slow_down_failures(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
    """The login view behind the wait of its username at its address; it counts failures there,
    and a success clears them and remembers the browser."""

    @functools.wraps(view)
    def login(*args: object, **kwargs: object) -> Response:
        if request.method != "POST" or current_user.is_authenticated:
            return make_response(view(*args, **kwargs))
        limiter: Limiter = current_app.extensions["sas_limiter"]
        ids, wait = pair_ids(), 0
        with storage_errors_logged(limiter):
            wait = pair_wait(limiter, ids)
        if wait:
            g.login_retry_after = wait
            record_refusal(f"{username_key()} {address_key()}", "delay")
            abort(429)
        response = make_response(view(*args, **kwargs))
        with storage_errors_logged(limiter):
            if login_failed(response):
                count_failure(limiter, ids)
            elif current_user.is_authenticated:
                forget_failures(limiter, ids)
        if current_user.is_authenticated:
            remember_device(response)
        return response

    return login


def _sync_view(app: Flask, endpoint: str) -> Callable[..., ResponseReturnValue]:
    """A view of ``app``, which Flask types as possibly async; ours are all synchronous."""
    return cast(Callable[..., ResponseReturnValue], app.view_functions[endpoint])


def init_limiter(app: Flask) -> None:
    """Bind a Limiter to ``app`` and put the limits on the login and password views."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = Limiter(address_key, on_breach=_record_limited)
    limiter.init_app(app)
    app.extensions["sas_limiter"] = limiter

    def setting(name: str) -> Callable[[], str]:
        return lambda: current_app.config[name]

    login = slow_down_failures(_sync_view(app, "auth.login"))
    login = limiter.limit(
        setting("LOGIN_CEILING_PER_USERNAME"),
        key_func=username_key,
        methods=["POST"],
        deduct_when=login_failed,
        exempt_when=known_device,
    )(login)
    login = limiter.limit(
        setting("LOGIN_LIMIT_PER_ADDRESS"),
        key_func=address_key,
        methods=["POST"],
        deduct_when=login_failed,
        exempt_when=known_device,  # its failures count at the browser (pair_ids)
    )(login)
    app.view_functions["auth.login"] = login

    change = _sync_view(app, "auth.change_password")
    app.view_functions["auth.change_password"] = limiter.limit(
        setting("PASSWORD_LIMIT_PER_ACCOUNT"),
        key_func=account_key,
        methods=["POST"],
        deduct_when=wrong_current_password,
    )(change)


def retry_after() -> int | None:
    """Seconds until the limit, or the wait, that refused this request lets one through."""
    if g.get("login_retry_after"):
        return int(g.login_retry_after)
    limiter: Limiter | None = current_app.extensions.get("sas_limiter")
    limit = limiter.current_limit if limiter is not None else None
    if limit is None:
        return None
    return max(1, limit.reset_at - int(time.time()))


def _record_limited(limit: RequestLimit) -> None:
    """``on_breach``: the refusal goes to the audit log (``record_refusal``). Other limits (the
    kuitansi check) are not sign-ins: they leave no row."""
    if request.blueprint != "auth":
        return
    key = limit.request_args[-2] if len(limit.request_args) >= 2 else ""
    record_refusal(key, str(limit.limit))


def record_refusal(key: str, rule: str) -> None:
    """One "login.limited" row per key and minute, committed on its own (the request ends in a
    429 before its view runs)."""
    limiter: Limiter = current_app.extensions["sas_limiter"]
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    if not limiter.limiter.hit(AUDIT_ONCE, prefix, "audit-login-limited", key):
        return
    try:
        audit.record(
            "login.limited",
            actor_name=typed_username() or None,
            detail=f"{key} limit={rule} endpoint={request.endpoint}",
        )
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.warning("could not record a refused login in the audit log", exc_info=True)
