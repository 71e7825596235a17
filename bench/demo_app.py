"""The production app on the demo kabupaten, for the benchmarks that drive it through the Flask
test client (bench/pages.py, bench/compression.py): no server, no network."""

from __future__ import annotations

import sys
import tempfile

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from sas import create_app
from sas.demo import load_demo
from sas.extensions import db
from sas.models import User


def demo_app(url: str | None) -> tuple[Flask, tempfile.TemporaryDirectory[str] | None]:
    """The app on ``url`` (a temporary SQLite file when None), the demo loaded unless the
    database already holds it; and the temporary folder, to clean up."""
    folder = None
    if url is None:
        folder = tempfile.TemporaryDirectory(prefix="sas-bench-")
        url = f"sqlite:///{folder.name}/demo.sqlite3"
    app = create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-only-not-secret",
            "RATELIMIT_ENABLED": False,
            "CHECKPOINT_KEY": None,
        },
    )
    with app.app_context():
        db.create_all()  # only the tables that are missing
        if db.session.scalar(select(User).where(User.username == "komite1")) is None:
            print(load_demo(), file=sys.stderr)
            db.session.commit()
    return app, folder


def client_as(app: Flask, username: str | None) -> FlaskClient:
    """A client over HTTPS (production cookies are Secure) with ``username``'s session, as
    ``login_user`` leaves it (None: a visitor)."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    if username is not None:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            assert user is not None
            user_id = user.get_id()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
    return client
