from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from sas.authz import roles
from sas.main.forms import LanguageForm
from sas.models import Role

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.school is not None and current_user.role in (Role.COMMITTEE, Role.TEACHER):
        return redirect(url_for("ledger.dashboard", npsn=current_user.school.npsn))
    return redirect(url_for("main.home"))


@bp.get("/home")
@roles(Role.DISTRICT, Role.ADMIN)
def home() -> str:
    return render_template("main/home.html")


def is_local(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative ``//host``."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target


@bp.post("/lang")
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
    target = form.next.data
    return redirect(target if is_local(target) else url_for("main.index"), code=303)
