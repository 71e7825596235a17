"""The web app manifest, the service worker script and what the worker asks the server."""

import hashlib
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, json, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from sas.models import Role, User

bp = Blueprint("offline", __name__)

THEME_COLOR = "#0b6e4f"  # --brand of static/app.css
BACKGROUND_COLOR = "#f6f8f7"


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """What a phone needs to put the app on its home screen. It opens at the login page, which
    sends a signed-in user straight to their own start page."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for purpose in ("any", "maskable")  # the icons keep "SAS" inside the maskable safe zone
        for size in (192, 512)
    ]
    body = {
        "name": "SAS Ledger",
        "short_name": "SAS",
        "description": _("Buku kas Siswa Asuh Sebaya: dari siswa, oleh siswa, untuk siswa."),
        "lang": str(get_locale()),
        "start_url": url_for("auth.login"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": icons,
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


# The pages a committee member's phone keeps so that they open without a signal: the entry
# forms, which carry no child's name (the disbursement form lists the school's recipients,
# whom its committee sees anyway), and the "no signal" page. Never the cash book, recipients
# or entries.
OFFLINE_FORMS = (
    "entries.class_collections",
    "entries.new_contribution",
    "entries.new_disbursement",
)


def entry_forms(user: User) -> dict[str, str]:
    """The URL of each entry form the user's phone keeps (a committee member's), by endpoint."""
    if user.role is not Role.COMMITTEE or user.school is None:
        return {}
    return {endpoint: url_for(endpoint, npsn=user.school.npsn) for endpoint in OFFLINE_FORMS}


def offline_pages(user: User) -> list[str]:
    return [url_for("offline.no_signal"), *entry_forms(user).values()]


def drawn_at() -> int:
    """When the page was drawn (Unix seconds): a form opened from the phone's copy tells its
    age by it, and takes today's date when it was drawn on an earlier day (app.js)."""
    return int(time.time())


# The static files the worker keeps for the phone: all that a kept page loads.
WORKER_ASSETS = (
    "app.css",
    "rupiah.js",
    "app.js",
    "outbox.js",
    "offline.js",
    "favicon.svg",
    "icons/icon-192.png",
)


@bp.get("/sw.js")
def service_worker() -> Response:
    """static/sw.js at the root, so that it may serve every page, after the URLs it keeps."""
    folder = Path(current_app.static_folder or "static")
    assets = [url_for("static", filename=name) for name in WORKER_ASSETS]
    code = (folder / "sw.js").read_text(encoding="utf-8")
    head = "".join(
        f"const {name} = {json.dumps(value)};\n"
        for name, value in (
            ("ASSETS", assets),
            ("OUTBOX", url_for("static", filename="outbox.js")),
            ("SEND_TOKEN", url_for("offline.send_token")),
        )
    )
    version = hashlib.sha256((head + code).encode()).hexdigest()[:10]
    return Response(
        f"{head}const VERSION = {json.dumps(version)};\n{code}",
        mimetype="text/javascript",
    )


@bp.get("/offline")
def no_signal() -> str:
    """Shown by the worker for a page that needs a signal: what opens without one."""
    user: User = current_user._get_current_object()
    forms = list(entry_forms(user).items())
    at_school = user.role in (Role.COMMITTEE, Role.TEACHER) and user.school is not None
    # at a school: its header and bottom bar, whose entry forms open without a signal
    extra = {"school": user.school} if at_school else {}
    return render_template("offline/no_signal.html", forms=forms, **extra)


@bp.get("/offline/token")
def send_token() -> Response:
    """Before the worker sends what waited on the phone: who is signed in (it sends only that
    user's entries) and a CSRF token of this session (the one kept with a form may be from a
    session that has since ended)."""
    return jsonify(user=str(current_user.id), csrf_token=generate_csrf())
