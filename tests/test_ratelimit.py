"""Login rate limits: failed logins per username, attempts per address, 429 in the app's page,
the audit rows, and a Redis-backed count shared by two app instances (as by gunicorn workers).

The suite's own app has the limiter off (``TestConfig``); each test here builds apps with it on,
on the same database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from sas import create_app
from sas.extensions import db
from sas.models import AuditEvent, Role
from tests.conftest import PASSWORD, IsolatedClient, login, make_school, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMITED = "Terlalu banyak percobaan"


@pytest.fixture
def build(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database, with the limiter on and the given settings."""
    built: list[Flask] = []

    def make(**overrides: object) -> Flask:
        settings = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            **overrides,
        }
        new = create_app("testing", settings)
        new.test_client_class = IsolatedClient
        built.append(new)
        return new

    yield make
    for new in built:
        with new.app_context():
            db.engine.dispose()


@pytest.fixture
def member(app):
    return make_user("komite", Role.COMMITTEE, make_school("20525555"))


def fail(client, username: str = "komite", address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"username": username, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": address},
    )


def rows(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_the_sixth_failed_login_for_a_username_is_429(build, member):
    client = build().test_client()
    for _ in range(5):
        assert fail(client).status_code == 422
    response = fail(client)
    assert response.status_code == 429
    # a clear page in the app's layout, with when to try again
    assert LIMITED in response.text and "tunggu satu menit" in response.text
    assert 'class="brand"' in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 61
    # now even the right password waits, and the username's case does not matter
    assert login(client, "KOMITE").status_code == 429
    # another account is not held up
    make_user("guru", Role.TEACHER, member.school)
    assert login(client, "guru").status_code == 303


def test_the_429_page_is_in_english_when_chosen(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="1 per minute").test_client()
    client.post("/lang", data={"lang": "en"})
    fail(client)
    response = fail(client)
    assert response.status_code == 429
    assert '<html lang="en">' in response.text


def test_only_failed_logins_count_for_a_username(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="2 per minute").test_client()
    for _ in range(4):
        assert login(client, "komite").status_code == 303
        assert client.post("/logout").status_code == 303
    assert fail(client).status_code == 422
    assert fail(client).status_code == 422
    assert fail(client).status_code == 429


def test_the_username_limit_holds_across_addresses(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="3 per minute").test_client()
    for n in range(3):
        assert fail(client, address=f"198.51.100.{n}").status_code == 422
    assert fail(client, address="198.51.100.99").status_code == 429


def test_one_address_may_not_try_many_usernames(build, member):
    client = build(LOGIN_LIMIT_PER_ADDRESS="3 per minute").test_client()
    for name in ("ani", "budi", "citra"):
        assert fail(client, username=name, address="203.0.113.5").status_code == 422
    assert fail(client, username="dewi", address="203.0.113.5").status_code == 429
    assert fail(client, username="dewi", address="203.0.113.6").status_code == 422


def test_the_login_page_itself_is_never_limited(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="1 per minute").test_client()
    fail(client)
    fail(client)
    for _ in range(5):
        assert client.get("/login").status_code == 200


def test_failures_and_refusals_are_audited_without_flooding_the_log(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="2 per minute").test_client()
    fail(client)
    fail(client)
    for _ in range(4):
        assert fail(client).status_code == 429
    assert [r.actor for r in rows("login.failed")] == ["komite", "komite"]
    [limited] = rows("login.limited")  # one row for the four refusals of this minute
    assert limited.actor == "komite" and limited.actor_id is None
    assert "username:komite" in limited.detail
    assert limited.address == "127.0.0.1"
    assert all("wrong password" not in (r.detail or "") for r in rows("login.failed"))


def test_guessing_the_current_password_on_the_change_page_is_limited(build, member):
    client = build(LOGIN_LIMIT_PER_USERNAME="2 per minute").test_client()
    assert login(client, "komite").status_code == 303

    def change(current: str):  # type: ignore[no-untyped-def]
        new = "kopi tubruk di banyuwangi"
        data = {"current_password": current, "new_password": new, "confirm": new}
        return client.post("/account/password", data=data)

    assert change("tebakan satu").status_code == 422
    assert change("tebakan dua").status_code == 422
    assert change(PASSWORD).status_code == 429
    assert client.get("/account/password").status_code == 200


def test_the_suites_app_has_no_limit(client, member):
    """Other test files log in freely: the limiter is off in TestConfig."""
    for _ in range(12):
        assert fail(client).status_code == 422


# --- Redis: one count for every worker ------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {REDIS_URL}: start it (redis-server --daemonize yes)"
        if os.environ.get("CI"):  # CI has Redis: a silent skip there would hide a broken setup
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"sas-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(server.scan_iter(match=f"*{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


def test_a_redis_backed_limit_is_shared_by_two_app_instances(build, member, redis_prefix):
    import redis

    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_LIMIT_PER_USERNAME": "3 per minute",
    }
    one, two = build(**settings).test_client(), build(**settings).test_client()
    assert fail(one).status_code == 422
    assert fail(two).status_code == 422
    assert fail(one).status_code == 422
    assert fail(two).status_code == 429  # the third failure was counted by the other instance
    assert fail(one).status_code == 429
    server = redis.Redis.from_url(REDIS_URL)
    assert list(server.scan_iter(match=f"*{redis_prefix}*username:komite*"))
    server.close()


def test_without_redis_each_instance_counts_alone(build, member):
    """The control for the test above: in-memory counts are per instance (per worker)."""
    settings = {"LOGIN_LIMIT_PER_USERNAME": "3 per minute"}
    one, two = build(**settings).test_client(), build(**settings).test_client()
    for _ in range(2):
        assert fail(one).status_code == 422
        assert fail(two).status_code == 422
    assert fail(one).status_code == 422
    assert fail(two).status_code == 422
