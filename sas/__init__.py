"""SAS Ledger, the fund book of Siswa Asuh Sebaya.

``create_app`` is the only place an app is built (``wsgi.py`` and the tests call it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix
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
    register_login_protection(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    from sas import assets, compression, fragments, pagecache
    from sas.authz import require_login
    from sas.extensions import (
        babel,
        check_pooled_connections,
        configure_sqlite,
        csrf,
        db,
        login_manager,
        migrate,
        read_without_transactions,
        select_locale,
    )

    compression.init_app(app)  # first registered, so it runs after every other after_request
    db.init_app(app)
    fragments.init_app(app)
    pagecache.init_app(app)  # report pages kept until their kabupaten's figures change
    assets.init_app(app)

    @app.teardown_appcontext  # runs before Flask-SQLAlchemy's own (teardowns run in reverse)
    def close_session(_error: BaseException | None) -> None:
        """End the request's session. If the database went away meanwhile (a restart), the
        closing ROLLBACK fails: a request that already has its answer keeps it (not a 500),
        and the pool drops the dead connection."""
        try:
            db.session.remove()
        except DBAPIError as error:
            app.logger.warning("database connection lost at the end of a request: %s", error.orig)
            db.session.registry.clear()

    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    app.before_request(require_login)  # before the CSRF check: login and role come first
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            configure_sqlite(db.engine)
        else:
            read_without_transactions(db.engine)
            check_pooled_connections(db.engine, app.config["DB_PING_IDLE_SECONDS"])


def register_blueprints(app: Flask) -> None:
    from sas import oldpaths
    from sas.admin.routes import bp as admin_bp
    from sas.api.routes import bp as api_bp
    from sas.approvals.routes import bp as approvals_bp
    from sas.audit.routes import bp as audit_bp
    from sas.auth.routes import bp as auth_bp
    from sas.cashbook.routes import bp as cashbook_bp
    from sas.classes.routes import bp as classes_bp
    from sas.district.routes import bp as district_bp
    from sas.entries.routes import bp as entries_bp
    from sas.evidence.routes import bp as evidence_bp
    from sas.main.routes import bp as main_bp
    from sas.months.routes import bp as months_bp
    from sas.offline.routes import bp as offline_bp
    from sas.receipts.routes import bp as receipts_bp
    from sas.recipients.routes import bp as recipients_bp
    from sas.transfers.routes import bp as transfers_bp

    for bp in (
        main_bp,
        auth_bp,
        cashbook_bp,
        entries_bp,
        approvals_bp,
        recipients_bp,
        months_bp,
        district_bp,
        api_bp,
    ):
        app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(transfers_bp)
    app.register_blueprint(classes_bp)
    app.register_blueprint(offline_bp)
    oldpaths.register(app)  # the English paths of before, after every blueprint


def register_login_protection(app: Flask) -> None:
    """Rate limits on login (``sas.auth.limits``) and on the kuitansi check, and the client's
    address from a trusted reverse proxy when, and only when, ``PROXY_FIX`` says there is one."""
    from sas.auth.limits import init_limiter
    from sas.receipts.routes import limit_checks

    if app.config.get("PROXY_FIX"):
        # Flask's documented way to add WSGI middleware: wsgi_app is a method, replaced here
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
        )
    init_limiter(app)
    limit_checks(app)


def register_errorhandlers(app: Flask) -> None:
    """Error pages in the app's layout and the user's language, never a stack trace. The JSON
    API keeps its own JSON errors (``sas.api.errors``; its handlers come first for its URLs)."""
    from datetime import timedelta

    from flask_babel import format_timedelta

    from sas.auth.limits import retry_after
    from sas.authz import record_denied_write
    from sas.dberrors import is_busy, is_unreachable
    from sas.extensions import db, select_locale

    def page(
        code: int, title: str, message: str, headers: dict[str, str] | None = None
    ) -> Response | tuple[str, int, dict[str, str]]:
        from sas.api.errors import error_response, is_api_request

        if is_api_request():  # a routing error, or a status the API has no handler for
            return error_response(code, headers=headers)
        html = render_template("error.html", title=title, message=message, code=code)
        return html, code, headers or {}

    @app.errorhandler(400)
    def bad_request(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        return page(400, _("Permintaan tidak sah"), _("Permintaan ini tidak bisa diproses."))

    @app.errorhandler(403)
    def forbidden(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        try:
            record_denied_write()
        except OperationalError:  # the 403 stands even if the log could not be written
            db.session.rollback()
            app.logger.warning("could not record a denied write", exc_info=True)
        return page(403, _("Tidak diizinkan"), _("Peran Anda tidak boleh melakukan ini."))

    @app.errorhandler(404)
    def not_found(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        return page(404, _("Tidak ditemukan"), _("Halaman yang Anda cari tidak ada."))

    @app.errorhandler(405)
    def method_not_allowed(e: HTTPException) -> Response | tuple[str, int, dict[str, str]]:
        allowed = getattr(e, "valid_methods", None)
        return page(
            405,
            _("Cara membuka tidak sah"),
            _("Alamat ini tidak bisa dibuka dengan cara itu."),
            {"Allow": ", ".join(allowed)} if allowed else None,
        )

    @app.errorhandler(413)
    def too_large(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        return page(
            413,
            _("Berkas terlalu besar"),
            _(
                "Kiriman ini terlalu besar. Tiap berkas bukti paling besar 5 MB; kirim berkas "
                "satu per satu bila perlu. Tidak ada yang tersimpan."
            ),
        )

    @app.errorhandler(429)
    def too_many_requests(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        wait = retry_after()
        if request.blueprint == "receipts":
            message = _(
                "Terlalu banyak pemeriksaan kuitansi dari alamat ini. Tunggu satu menit, lalu "
                "coba lagi."
            )
        else:
            message = _(
                "Terlalu banyak percobaan masuk yang gagal. Demi keamanan akun, tunggu "
                "%(wait)s, lalu coba lagi. Lupa kata sandi? Minta admin mengatur ulang.",
                wait=format_timedelta(timedelta(seconds=wait or 60), threshold=1),
            )
        headers = {"Retry-After": str(wait)} if wait else None
        return page(429, _("Terlalu banyak percobaan"), message, headers)

    @app.errorhandler(InternalServerError)
    def server_error(_e: Exception) -> Response | tuple[str, int, dict[str, str]]:
        db.session.rollback()
        try:
            return page(
                500,
                _("Terjadi kesalahan"),
                _("Ada yang salah di server. Coba lagi nanti; bila berulang, beri tahu admin."),
            )
        except Exception:  # the layout itself failed (the database is down...): plain text
            app.logger.exception("the error page could not be shown")
            return "500 Internal Server Error", 500, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def other_http_error(
        e: HTTPException,
    ) -> Response | HTTPException | tuple[str, int, dict[str, str]]:
        if e.code is None or e.code < 400:
            return e
        return page(
            e.code,
            _("Permintaan tidak bisa dipenuhi"),
            _("Server menjawab dengan kode %(code)d.", code=e.code),
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(_e: CSRFError) -> Response | tuple[str, int, dict[str, str]]:
        return page(
            400,
            _("Formulir kedaluwarsa"),
            _("Formulir ini tidak sah lagi. Kembali, muat ulang halaman, lalu kirim lagi."),
        )

    @app.errorhandler(OperationalError)
    def busy(error: OperationalError) -> tuple[str, int]:
        db.session.rollback()
        if is_busy(error):
            message = _(
                "Banyak yang menyimpan data bersamaan. Tidak ada yang tersimpan; coba lagi."
            )
        elif is_unreachable(error):
            app.logger.warning("the database cannot be reached: %s", error.orig)
            message = _(
                "Basis data sedang tidak bisa dihubungi. Tidak ada yang tersimpan; coba lagi "
                "sebentar lagi."
            )
        else:
            raise error
        # Rendered without context processors: they would load the user from the busy database.
        html = app.jinja_env.get_template("busy.html").render(
            title=_("Sedang sibuk"), message=message, lang=select_locale()
        )
        return html, 503


def register_template_helpers(app: Flask) -> None:
    """Every app-wide filter, global and context value, and the templates' translations."""
    from sas import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    from sas.cli import sas_cli

    app.cli.add_command(sas_cli)


def register_security_headers(app: Flask) -> None:
    """On every response, error pages and the API included: no inline script or style runs, no
    plugin, no framing, no <base> rewriting; and no page is kept in a cache (pages show
    children's names and money: a shared school computer must not show them to the next user).
    HSTS only in production, which is served over HTTPS."""
    csp = "; ".join(
        (
            "default-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("PRODUCTION"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        no_store = "no-store" in response.headers.get("Cache-Control", "")  # kept as it is
        public = g.get("public_page", False)  # a visitor's page, the same for all (sas.pagecache)
        if (request.endpoint != "static" or response.status_code >= 400) and not (
            no_store or public
        ):
            response.headers["Cache-Control"] = "no-store"
        return response
