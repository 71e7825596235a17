"""Login protection: failures per username and address slow down, then stop; failures per
address and a ceiling per username; successful logins never count; the lockout attack of
issue 16 replayed; 429 in the app's page; the audit rows; one count for every worker.

The suite's own app has the limiter off (``TestConfig``); each test here builds apps with it on,
on the same database. Tests taking ``limited`` run twice: on the in-memory store and on Redis
(which they need under ``CI=1``; elsewhere the Redis run is skipped when Redis is down).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from limits import parse_many
from sqlalchemy import select

from config import Config
from sas import create_app
from sas.auth import limits
from sas.extensions import db
from sas.models import AuditEvent, Role
from tests.factories import PASSWORD, make_school, make_user
from tests.web import IsolatedClient, login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMITED = "Terlalu banyak percobaan"
HOME = "192.0.2.10"  # the committee member's own address
ATTACKERS = [f"198.51.100.{n}" for n in range(1, 7)]


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


def redis_or_fail() -> object:
    """The Redis client module, with the server answering; under CI a missing Redis fails."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {REDIS_URL}: start it (redis-server --daemonize yes)"
        if os.environ.get("CI"):  # CI has Redis: a silent skip there would hide a broken setup
            pytest.fail(message)
        pytest.skip(message)
    finally:
        server.close()
    return redis


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in Redis; its keys are deleted afterwards."""
    redis = redis_or_fail()
    prefix = f"sas-test-{uuid.uuid4().hex}"
    yield prefix
    server = redis.Redis.from_url(REDIS_URL)  # type: ignore[attr-defined]
    keys = list(server.scan_iter(match=f"*{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture(params=["memory", "redis"])
def limited(request, build) -> Callable[..., Flask]:  # type: ignore[no-untyped-def]
    """``build`` on the in-memory store, then on Redis."""
    store: dict[str, object] = {}
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        store = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    return lambda **overrides: build(**store, **overrides)


@pytest.fixture
def member(app):
    return make_user("komite", Role.COMMITTEE, make_school("20525555"))


def fail(client, username: str = "komite", address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/masuk",
        data={"username": username, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": address},
    )


def sign_in(client, username: str = "komite", address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/masuk",
        data={"username": username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
    )


def let_the_wait_pass(app: Flask, username: str = "komite", address: str = "127.0.0.1") -> None:
    """As if the seconds of the current wait had gone by: its key is gone, the count stays."""
    form = {"username": username}
    environ = {"REMOTE_ADDR": address}
    with app.test_request_context("/masuk", method="POST", data=form, environ_base=environ):
        app.extensions["sas_limiter"].storage.clear(limits.wait_key(limits.pair_ids()))


def rows(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# --- one username at one address: slower, then stopped -------------------------------------


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (1, 0), (3, 0), (4, 2), (5, 4), (6, 8), (7, 16), (8, 32), (9, 60), (10, 60), (50, 60)],
)
def test_the_wait_after_n_failures(failures, seconds):
    assert limits.delay_after(failures, free=3, longest=60) == seconds


def test_failures_from_one_address_slow_down_then_stop(limited, member):
    app = limited()
    client = app.test_client()
    for _ in range(3):  # a few typos cost nothing
        assert fail(client).status_code == 422
    for failure, wait in [(4, 2), (5, 4), (6, 8), (7, 16), (8, 32), (9, 60)]:
        assert fail(client).status_code == 422, failure
        refused = fail(client)
        assert refused.status_code == 429, failure
        assert int(refused.headers["Retry-After"]) == wait, failure
        # during the wait even the right password is not checked
        assert sign_in(client).status_code == 429
        let_the_wait_pass(app)
    assert fail(client).status_code == 422  # the 10th in 15 minutes
    let_the_wait_pass(app)
    blocked = sign_in(client)
    assert blocked.status_code == 429  # past the wait, the limit holds it
    assert 880 < int(blocked.headers["Retry-After"]) <= 900
    # the same username from another address, and another username here, are not held up
    assert sign_in(client, address=HOME).status_code == 303
    make_user("guru", Role.TEACHER, member.school)
    assert sign_in(app.test_client(), "guru").status_code == 303


def test_a_wait_runs_out_by_itself(limited, member):
    client = limited().test_client()
    for _ in range(4):
        assert fail(client).status_code == 422
    refused = fail(client)
    assert refused.status_code == 429
    assert "tunggu 2 detik" in refused.text and 'class="brand"' in refused.text
    assert refused.headers["Retry-After"] == "2"
    time.sleep(2.1)
    assert sign_in(client).status_code == 303


def test_a_success_clears_the_count_at_that_address(limited, member):
    client = limited().test_client()
    for _ in range(3):
        assert fail(client).status_code == 422
    assert sign_in(client).status_code == 303
    assert client.post("/keluar").status_code == 303
    for _ in range(4):  # free again: without the clearing the first of these earns a wait
        assert fail(client).status_code == 422
    assert fail(client).status_code == 429


def test_the_username_is_compared_as_the_login_does(limited, member):
    client = limited().test_client()
    for name in ("komite", "KOMITE", " Komite", "komite"):
        assert fail(client, name).status_code == 422
    assert sign_in(client, "Komite").status_code == 429


# --- the lockout attack of issue 16 and a school behind one NAT ----------------------------


def test_failures_elsewhere_never_lock_the_committee_out(limited, member):
    """Replayed: every attacking address fails for the committee's usernames until it is
    refused; from their own address the real users still log in with the right password."""
    app = limited()  # the real settings
    colleague = make_user("bendahara", Role.COMMITTEE, member.school)
    attacker = app.test_client()
    for address in ATTACKERS:
        for username in ("komite", "bendahara"):
            answers = {fail(attacker, username, address).status_code for _ in range(12)}
            assert answers == {422, 429}
    assert len(rows("login.failed")) == len(ATTACKERS) * 2 * 4  # 4 counted each, then refused
    for user in (member, colleague):
        phone = app.test_client()
        assert fail(phone, user.username, HOME).status_code == 422  # a typo on the way
        assert sign_in(phone, user.username, HOME).status_code == 303
        assert phone.get("/akun").status_code == 200


def test_someone_behind_the_same_address_cannot_lock_a_member_out_of_their_own_phone(
    limited, member
):
    """Behind the school's NAT a classmate fails for the member's username until refused, and
    for made-up usernames until the address is refused; the member's phone, which signed in
    before, still logs in there with the right password."""
    app = limited()
    phone = app.test_client()
    assert sign_in(phone, address=HOME).status_code == 303  # the phone is known from now on
    phone.post("/keluar")
    classmate = app.test_client()
    answers = {fail(classmate, "komite", HOME).status_code for _ in range(12)}
    assert answers == {422, 429}
    for n in range(25):
        fail(classmate, f"tebakan{n}", HOME)
    assert sign_in(classmate, address=HOME).status_code == 429  # the classmate's browser
    assert fail(phone, address=HOME).status_code == 422  # a typo on the own phone counts there
    assert sign_in(phone, address=HOME).status_code == 303


def test_a_school_behind_one_nat_logs_in_thirty_times_a_minute(limited, member):
    app = limited()
    users = [make_user(f"siswa{n}", Role.COMMITTEE, member.school) for n in range(30)]
    answers = []
    for n, user in enumerate(users):
        client = app.test_client()
        if n % 6 == 0:  # a few typos from the same address
            assert fail(client, user.username, "203.0.113.7").status_code == 422
        answers.append(sign_in(client, user.username, "203.0.113.7").status_code)
    assert answers == [303] * 30


def test_successful_logins_do_not_count_for_the_address(limited, member):
    app = limited(LOGIN_LIMIT_PER_ADDRESS="3 per minute")
    for _ in range(10):
        assert sign_in(app.test_client(), address="203.0.113.5").status_code == 303
    client = app.test_client()
    for name in ("ani", "budi", "citra"):  # but failures for any username do
        assert fail(client, name, "203.0.113.5").status_code == 422
    assert fail(client, "dewi", "203.0.113.5").status_code == 429
    assert fail(client, "dewi", "203.0.113.6").status_code == 422
    assert sign_in(client, address="203.0.113.5").status_code == 429


# --- many addresses against one username: the ceiling ---------------------------------------


def test_a_distributed_brute_force_is_bounded(limited, member):
    app = limited(LOGIN_CEILING_PER_USERNAME="12 per hour")
    phone = app.test_client()  # the member's phone, where they logged in before
    assert sign_in(phone, address=HOME).status_code == 303
    assert phone.post("/keluar").status_code == 303
    shared = app.test_client()  # a school computer where another account logged in
    make_user("guru", Role.TEACHER, member.school)
    assert sign_in(shared, "guru").status_code == 303
    assert shared.post("/keluar").status_code == 303

    bot = app.test_client()
    for n in range(12):
        assert fail(bot, address=f"10.0.{n}.1").status_code == 422
    # the 13th guess is refused before the password is checked, right or wrong, from anywhere
    assert fail(bot, address="10.0.99.1").status_code == 429
    assert sign_in(app.test_client(), address="10.0.99.2").status_code == 429
    assert sign_in(shared, address="10.0.99.3").status_code == 429
    forged = app.test_client()
    forged.set_cookie(limits.DEVICE_COOKIE, "W10.forged", path="/masuk")
    assert sign_in(forged, address="10.0.99.4").status_code == 429
    # the member's own phone, even on another network, is not held up
    assert sign_in(phone, address="10.0.99.5").status_code == 303
    [limited_row] = [r for r in rows("login.limited") if "username:komite" in r.detail]
    assert "limit=12 per 1 hour" in limited_row.detail


def test_a_few_addresses_cannot_reach_the_ceiling():
    """The default numbers: four addresses, each at its own limit for a whole hour or day,
    stay below the ceiling, which still holds a botnet to a thousand guesses a day."""
    pair = parse_many(Config.LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS)
    ceiling = {
        item.get_expiry(): item.amount for item in parse_many(Config.LOGIN_CEILING_PER_USERNAME)
    }
    hour, day = 3600, 86400
    per_hour = min(i.amount * hour // i.get_expiry() for i in pair if i.get_expiry() <= hour)
    per_day = min(i.amount * day // i.get_expiry() for i in pair)
    assert 4 * per_hour < ceiling[hour] and 4 * per_day < ceiling[day]
    assert ceiling[day] <= 1000


def test_the_device_cookie_names_no_one_and_stays_on_the_login_page(limited, member):
    response = sign_in(limited().test_client())
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("sas_device=")]
    assert "komite" not in cookie.lower()
    assert "Path=/masuk" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=15552000" in cookie  # 180 days, renewed by every login


# --- the page, the audit log, the change-password page ---------------------------------------


def test_the_429_page_is_in_english_when_chosen(build, member):
    client = build(LOGIN_DELAY_FREE_FAILURES=0).test_client()
    client.post("/bahasa", data={"lang": "en"})
    fail(client)
    response = fail(client)
    assert response.status_code == 429
    assert '<html lang="en">' in response.text and "wait 2 seconds" in response.text


def test_the_login_page_itself_is_never_limited(build, member):
    client = build(LOGIN_DELAY_FREE_FAILURES=0).test_client()
    fail(client)
    fail(client)
    for _ in range(5):
        assert client.get("/masuk").status_code == 200


def test_failures_and_refusals_are_audited_without_flooding_the_log(limited, member):
    client = limited().test_client()
    for _ in range(4):
        fail(client)
    for _ in range(4):
        assert fail(client).status_code == 429
    assert [r.actor for r in rows("login.failed")] == ["komite"] * 4
    [refused] = rows("login.limited")  # one row for the four refusals of this minute
    assert refused.actor == "komite" and refused.actor_id is None
    assert "username:komite address:127.0.0.1 limit=delay" in refused.detail
    assert refused.address == "127.0.0.1"
    assert all("wrong password" not in (r.detail or "") for r in rows("login.failed"))


def test_guessing_the_current_password_on_the_change_page_is_limited(build, member):
    client = build(PASSWORD_LIMIT_PER_ACCOUNT="2 per minute").test_client()
    assert login(client, "komite").status_code == 303

    def change(current: str):  # type: ignore[no-untyped-def]
        new = "kopi tubruk di banyuwangi"
        data = {"current_password": current, "new_password": new, "confirm": new}
        return client.post("/akun/sandi", data=data)

    assert change("tebakan satu").status_code == 422
    assert change("tebakan dua").status_code == 422
    assert change(PASSWORD).status_code == 429
    assert client.get("/akun/sandi").status_code == 200


def test_the_suites_app_has_no_limit(client, member):
    """Other test files log in freely: the limiter is off in TestConfig."""
    for _ in range(12):
        assert fail(client).status_code == 422


def test_logins_go_on_when_the_store_is_down(build, member):
    client = build(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1").test_client()  # nothing listens
    for _ in range(6):
        assert fail(client).status_code == 422
    assert sign_in(client).status_code == 303


# --- Redis: one count for every worker ------------------------------------------------------


def test_a_redis_backed_wait_is_shared_by_two_app_instances(build, member, redis_prefix):
    import redis

    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": redis_prefix}
    one, two = build(**settings).test_client(), build(**settings).test_client()
    for client in (one, two, one, two):
        assert fail(client).status_code == 422
    assert fail(one).status_code == 429  # the fourth failure was counted by the other instance
    assert sign_in(two).status_code == 429
    server = redis.Redis.from_url(REDIS_URL)
    assert list(server.scan_iter(match=f"*{redis_prefix}*username:komite*"))
    server.close()


def test_without_redis_each_instance_counts_alone(build, member):
    """The control for the test above: in-memory counts are per instance (per worker)."""
    one, two = build().test_client(), build().test_client()
    for client in (one, two, one, two):
        assert fail(client).status_code == 422
    assert fail(one).status_code == 422
    assert fail(two).status_code == 422
