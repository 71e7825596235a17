from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from sas.auth.forms import LoginForm
from sas.auth.services import authenticate, end_sessions
from sas.authz import is_safe_next
from sas.extensions import db
from sas.forms import BaseForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            db.session.commit()
            lang = session.get("lang")
            session.clear()  # a new session at login: nothing from before survives but the language
            if lang:
                session["lang"] = lang
            login_user(user)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"), code=303)
        db.session.rollback()
        form.password.errors = [_("Nama pengguna atau kata sandi salah.")]
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    form = BaseForm()  # an empty form: only the CSRF token
    if form.validate_on_submit():
        end_sessions(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"), code=303)
