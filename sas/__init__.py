"""SAS Ledger, the fund book of Siswa Asuh Sebaya.

``create_app`` is the only place an app is built (``wsgi.py`` and the tests call it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from config import CONFIGS, Config, engine_options

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: str | type[Config] = "development", overrides: Mapping[str, Any] | None = None
) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(CONFIGS[config] if isinstance(config, str) else config)
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment outside development.")
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    Path(app.instance_path).mkdir(exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def select_locale() -> str:
    """The language chosen with the switch, else Indonesian."""
    from flask import current_app, has_request_context

    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    from sas.authz import require_login
    from sas.extensions import babel, configure_sqlite, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    app.before_request(require_login)  # before the CSRF check: login and role come first
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)


def register_blueprints(app: Flask) -> None:
    from sas.admin.routes import bp as admin_bp
    from sas.api.routes import bp as api_bp
    from sas.audit.routes import bp as audit_bp
    from sas.auth.routes import bp as auth_bp
    from sas.district.routes import bp as district_bp
    from sas.ledger.routes import bp as ledger_bp
    from sas.main.routes import bp as main_bp
    from sas.months.routes import bp as months_bp
    from sas.recipients.routes import bp as recipients_bp

    for bp in (main_bp, auth_bp, ledger_bp, recipients_bp, months_bp, district_bp, api_bp):
        app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)


def is_busy(error: OperationalError) -> bool:
    """A lock wait that ran out (SQLite busy, PostgreSQL lock/statement timeout, deadlock)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in {"55P03", "40001", "40P01", "57014"}:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def register_errorhandlers(app: Flask) -> None:
    from sas.extensions import db

    def page(code: int, title: str, message: str) -> tuple[str, int]:
        return render_template("error.html", title=title, message=message), code

    @app.errorhandler(403)
    def forbidden(_e: Exception) -> tuple[str, int]:
        return page(403, _("Tidak diizinkan"), _("Peran Anda tidak boleh melakukan ini."))

    @app.errorhandler(404)
    def not_found(_e: Exception) -> tuple[str, int]:
        return page(404, _("Tidak ditemukan"), _("Halaman yang Anda cari tidak ada."))

    @app.errorhandler(CSRFError)
    def csrf_failed(_e: CSRFError) -> tuple[str, int]:
        return page(
            400,
            _("Formulir kedaluwarsa"),
            _("Formulir ini tidak sah lagi. Kembali, muat ulang halaman, lalu kirim lagi."),
        )

    @app.errorhandler(OperationalError)
    def busy(error: OperationalError) -> tuple[str, int]:
        db.session.rollback()
        if not is_busy(error):
            raise error
        # Rendered without context processors: they would load the user from the busy database.
        html = app.jinja_env.get_template("busy.html").render(
            title=_("Sedang sibuk"),
            message=_("Banyak yang menyimpan data bersamaan. Tidak ada yang tersimpan; coba lagi."),
            lang=select_locale(),
        )
        return html, 503


def register_template_helpers(app: Flask) -> None:
    from flask_babel import format_date, format_datetime

    from sas.money import format_rupiah

    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["tanggal"] = lambda d: format_date(d, "d MMM y") if d else ""
    app.jinja_env.filters["waktu"] = lambda t: format_datetime(t, "d MMM y HH:mm") if t else ""
    app.jinja_env.globals["select_locale"] = select_locale


def register_commands(app: Flask) -> None:
    from sas.cli import sas_cli

    app.cli.add_command(sas_cli)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
