"""Security headers on every route, cookies, ProxyFix by configuration only, error pages without
a stack trace (the API's stay JSON), and the audit row of a denied write."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, abort
from sqlalchemy import select

from config import CONFIGS
from sas import create_app
from sas.extensions import db
from sas.models import AuditEvent
from tests.web import IsolatedClient, assert_security_headers, login

ROOT = Path(__file__).resolve().parent.parent
A = "/sekolah/20525555"


@pytest.fixture
def build(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database (ProxyFix and extra routes are set when it is built)."""
    built: list[Flask] = []

    def make(config: str = "testing", **overrides: object) -> Flask:
        settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **overrides}
        new = create_app(config, settings)
        new.test_client_class = IsolatedClient
        built.append(new)
        return new

    yield make
    for new in built:
        with new.app_context():
            db.engine.dispose()


# --- headers on every route ---------------------------------------------------------------


def example_url(rule, world) -> str:  # type: ignore[no-untyped-def]
    """The rule's URL with plausible values (school A's own where it names one)."""
    values = {
        "npsn": world["a"].npsn,
        "code": "35.10.16" if "kecamatan" in rule.rule else "35.10",
        "fmt": "csv",
        "month": "2025-08",
        "entry_id": world["entry_a"].id,
        "recipient_id": world["recipient_a"].id,
        "user_id": world["komite_a"].id,
        "filename": "app.css",
        "rest": "nothing-here",
    }
    return rule.rule if not rule.arguments else _build(rule, values)


def _build(rule, values) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(r"<(?:[^<>:]+:)?" + name + ">", str(values.get(name, 1)), url)
    return url


def get_urls(app: Flask, world) -> list[str]:  # type: ignore[no-untyped-def]
    urls = [
        example_url(rule, world)
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
    ]
    return sorted(set(urls))


@pytest.mark.parametrize("actor", ["anon", "komite_a", "guru_a", "dinas", "admin"])
def test_every_get_route_carries_the_security_headers(client, app, world, actor):
    if actor != "anon":
        login(client, actor)
    urls = get_urls(app, world)
    assert len(urls) > 30  # the map was really walked
    assert f"{A}/buku-kas" in urls and "/akun/sandi" in urls and "/api/v1/summary" in urls
    seen = set()
    for url in urls:
        response = client.get(url)
        seen.add(response.status_code)
        assert response.status_code < 500, url
        # a visitor's public pages are the same for everyone: kept by caches (sas.pagecache)
        public = actor == "anon" and url in ("/", "/sekolah", A, "/transparansi")
        assert_security_headers(response, static=url.startswith("/static/"), public=public), url
    assert 200 in seen


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/no/such/page", 404),
        ("GET", "/keluar", 405),
        ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/api/v1/summary", 405),
        ("POST", f"{A}/sumbangan/baru", 403),
        ("GET", "/static/app.css", 200),
        ("GET", "/static/no-such.css", 404),
    ],
)
def test_errors_api_and_static_carry_them_too(client, world, method, url, status):
    login(client, "guru_a")
    response = client.open(url, method=method)
    assert response.status_code == status
    assert_security_headers(response, static=url == "/static/app.css")


def test_static_files_may_be_cached_but_pages_may_not(client, world):
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")
    login(client, "komite_a")
    assert client.get(f"{A}/buku-kas.csv").headers["Cache-Control"] == "no-store"


def test_hsts_only_in_production(client, build, world):
    assert "Strict-Transport-Security" not in client.get("/masuk").headers
    production = build("production", SECRET_KEY="x" * 32).test_client()
    response = production.get("/masuk")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 15_552_000


def test_no_template_has_inline_script_or_style():
    """The CSP refuses them, so they would silently not work (a script from a file is fine)."""
    inline = re.compile(
        r"<script(?![^>]*\ssrc=)|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- cookies ---------------------------------------------------------------------------------


def session_cookie(response) -> str:  # type: ignore[no-untyped-def]
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_and_lax(client, world):
    cookie = session_cookie(login(client, "komite_a"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test app runs over plain HTTP


def test_the_session_cookie_is_secure_in_production(build, world):
    settings = {"SECRET_KEY": "x" * 32, "WTF_CSRF_ENABLED": False}  # no form to take a token from
    production = build("production", **settings).test_client()
    response = login(production, "komite_a")
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert not [c for c in response.headers.getlist("Set-Cookie") if "remember" in c]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_no_remember_me_cookie_outlives_two_weeks(name):
    config = CONFIGS[name]
    production = name == "production"
    assert config.REMEMBER_COOKIE_DURATION.days <= 14
    assert config.REMEMBER_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert config.REMEMBER_COOKIE_SECURE is production
    assert config.SESSION_COOKIE_SECURE is production


# --- ProxyFix ----------------------------------------------------------------------------------


def failed_login_address(app: Flask) -> str | None:
    app.test_client().post(
        "/masuk",
        data={"username": "komite_a", "password": "wrong password!"},
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    row = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.id)
    ).all()[-1]
    return row.address


def test_without_proxy_fix_a_forwarded_header_is_ignored(build, world):
    assert failed_login_address(build()) == "10.0.0.2"


def test_with_proxy_fix_the_client_address_comes_from_the_proxy(build, world):
    assert failed_login_address(build(PROXY_FIX=True, PROXY_FIX_X_FOR=1)) == "203.0.113.7"


@pytest.mark.parametrize(("env", "expected"), [({}, "False"), ({"SAS_PROXY_FIX": "1"}, "True")])
def test_proxy_fix_is_switched_on_by_the_environment_only(env, expected):
    code = "from config import Config; print(Config.PROXY_FIX)"
    environment = {"PATH": "/usr/bin:/bin", **env}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


# --- error pages -------------------------------------------------------------------------------


def in_layout(html: str) -> bool:
    return 'class="brand"' in html and "<footer>" in html


@pytest.fixture
def broken(build, world) -> Flask:
    """An app whose extra routes fail in the ways a real bug would."""
    new = build(PROPAGATE_EXCEPTIONS=False)

    def boom() -> str:
        raise RuntimeError("secret detail in /srv/sas/ledger.py")

    def bad() -> str:
        abort(400)

    def teapot() -> str:
        abort(418)

    new.add_url_rule("/test/boom", view_func=boom)
    new.add_url_rule("/test/bad", view_func=bad)
    new.add_url_rule("/test/teapot", view_func=teapot)
    return new


@pytest.mark.parametrize(
    ("method", "url", "status", "title"),
    [
        ("GET", "/test/boom", 500, "Terjadi kesalahan"),
        ("GET", "/test/bad", 400, "Permintaan tidak sah"),
        ("GET", "/test/teapot", 418, "Permintaan tidak bisa dipenuhi"),
        ("GET", "/no/such/page", 404, "Tidak ditemukan"),
        ("GET", "/keluar", 405, "Cara membuka tidak sah"),
        ("POST", f"{A}/sumbangan/baru", 403, "Tidak diizinkan"),
    ],
)
def test_error_pages_are_in_the_layout_without_a_stack_trace(broken, method, url, status, title):
    client = broken.test_client()
    login(client, "guru_a")
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert title in response.text and in_layout(response.text)
    assert "Traceback" not in response.text and "secret detail" not in response.text
    assert ".py" not in response.text
    assert_security_headers(response)


def test_a_405_page_says_which_methods_work(client, world):
    login(client, "komite_a")
    response = client.get("/keluar")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_a_csrf_failure_is_a_400_page(client, app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/masuk", data={"username": "komite_a", "password": "x"})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text and in_layout(response.text)


def test_error_pages_speak_the_chosen_language(client, world):
    client.post("/bahasa", data={"lang": "en"})
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text and '<html lang="en">' in response.text


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("GET", "/api/v1/no-such-thing", 404), ("POST", "/api/v1/summary", 405)],
)
def test_api_errors_stay_json(client, world, method, url, status):
    login(client, "komite_a")
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["code"] in ("not_found", "method_not_allowed")


def test_an_api_crash_is_json_without_a_trace(broken, world, monkeypatch):
    import sas.api.routes as api_routes

    def crash(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail")

    monkeypatch.setattr(api_routes, "caller", crash)
    client = broken.test_client()
    login(client, "komite_a")
    response = client.get("/api/v1/summary")
    assert response.status_code == 500
    assert response.is_json and "secret" not in response.text


# --- denied writes -----------------------------------------------------------------------------


def denied_rows() -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == "access.denied")
    return list(db.session.scalars(stmt.order_by(AuditEvent.id)))


@pytest.mark.parametrize("actor", ["guru_a", "dinas", "admin"])
def test_a_denied_write_is_audited_once(client, world, actor):
    login(client, actor)
    url = f"{A}/sumbangan/baru"
    response = client.post(url, data={"amount": "5000", "occurred_on": "2025-08-01"})
    assert response.status_code == 403
    [row] = denied_rows()
    assert row.actor_id == world[actor].id
    assert row.target == url
    assert row.school_id == world["a"].id
    assert "POST" in row.detail


def test_a_denied_read_or_an_outsider_write_is_not_a_denied_write(client, world):
    login(client, "guru_a")
    assert client.get(f"{A}/sumbangan/baru").status_code == 403
    client.post("/keluar")
    login(client, "komite_b")
    assert client.post(f"{A}/sumbangan/baru", data={"amount": "5000"}).status_code == 404
    assert denied_rows() == []
