"""Requests as a browser sends them: the test client that keeps each request apart, logging in,
and the checks every answer of the suite, or every page, must pass."""

from __future__ import annotations

import contextvars

from flask.testing import FlaskClient

from sas.extensions import db
from tests.factories import PASSWORD


class IsolatedClient(FlaskClient):
    """Each request runs as in production: its own app context, ``g`` and database session.

    The test's own session commits first (so it holds no write lock the request would wait
    for) and forgets what it loaded afterwards (so the test sees what the request wrote).
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        db.session.commit()
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        assert_content_type_once(response)
        return response


def assert_content_type_once(response) -> None:  # type: ignore[no-untyped-def]
    """Every answer of the suite names its media type, and each parameter of it, once (a CSV
    once went out as ``text/csv; charset=utf-8; charset=utf-8``)."""
    values = response.headers.getlist("Content-Type")
    assert len(values) <= 1, values
    names = [part.split("=", 1)[0].strip().lower() for part in "".join(values).split(";")[1:]]
    assert len(names) == len(set(names)), values


def login(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/masuk", data={"username": username, "password": password})


def assert_security_headers(response, static: bool = False, public: bool = False) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("object-src") == "object-src 'none'"
    assert directives.get("base-uri") == "base-uri 'none'"
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
    assert directives.get("default-src") == "default-src 'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    if public:  # a visitor's public page (sas.pagecache): the same for everyone
        assert response.headers.get("Cache-Control") == "public, max-age=60"
    elif not static:
        assert response.headers.get("Cache-Control") == "no-store"
