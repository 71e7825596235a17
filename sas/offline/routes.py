"""The web app manifest, the service worker script and what the worker asks the server."""

from flask import Blueprint, Response, json, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

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

