"""Logging in and out, the account page, and choosing one's own password.

Rate limits on ``login`` and ``change_password`` are added by ``sas.auth.limits`` when the app
is built.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from sas.auth.forms import ChangePasswordForm, LoginForm, NewPasswordForm
from sas.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problems
from sas.auth.services import (
    authenticate,
    hash_password,
    log_out,
    record_failed_login,
    set_own_password,
    verify_password,
)
from sas.authz import is_safe_next, start_page
from sas.extensions import db
from sas.forms import BaseForm
from sas.models import User

bp = Blueprint("auth", __name__)


def start_session(user: User) -> None:
    """A fresh session for ``user``: nothing from before survives but the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:  # the installed app opens here: straight to work
        return redirect(start_page(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            previous = user.previous_login_at
            db.session.commit()
            start_session(user)
            if user.must_change_password:
                flash(_("Pilih kata sandi Anda sendiri sebelum melanjutkan."), "info")
                return redirect(url_for("auth.set_password"), code=303)
            if previous is not None:
                when = format_datetime(previous, "d MMM y HH:mm")
                flash(_("Terakhir masuk sebelum ini: %(when)s.", when=when), "info")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"), code=303)
        form.password.errors = [_("Nama pengguna atau kata sandi salah.")]
    if form.is_submitted():
        # Whatever the failed request left behind is dropped; the audit row is kept.
        db.session.rollback()
        record_failed_login(form.username.data or "")
        db.session.commit()
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form), 200


@bp.post("/keluar")
def logout() -> Response:
    form = BaseForm()  # an empty form: only the CSRF token
    if form.validate_on_submit():
        log_out(current_user._get_current_object())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/akun")
def account() -> str:
    return render_template("auth/account.html", user=current_user)


@bp.route("/akun/sandi", methods=["GET", "POST"])
def change_password() -> Response | tuple[str, int]:
    """Every user changes their own password by giving the current one; their other sessions
    end, and this browser stays logged in."""
    if current_user.must_change_password:
        return redirect(url_for("auth.set_password"))
    user: User = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        new = form.new_password.data or ""
        problems = password_problems(new, user.username)
        if not verify_password(user, form.current_password.data or ""):
            g.wrong_current_password = True  # counted by the limit in sas.auth.limits
            form.current_password.errors = [_("Kata sandi sekarang salah.")]
        elif new == form.current_password.data:
            problems.append(_("Kata sandi baru harus berbeda dari yang sekarang."))
        if problems:
            form.new_password.errors = problems
        if not form.current_password.errors and not problems:
            set_own_password(user, hash_password(new), first=False)
            db.session.commit()
            start_session(user)
            flash(_("Kata sandi sudah diganti. Akun ini keluar dari perangkat lain."), "success")
            return redirect(url_for("auth.account"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/change_password.html", form=form, min_length=MIN_LENGTH, max_length=MAX_LENGTH
    ), status


@bp.route("/akun/sandi-baru", methods=["GET", "POST"])
def set_password() -> Response | tuple[str, int]:
    """After logging in with a one-time password: the only page open until a password is
    chosen (``require_login`` sends every other page here)."""
    if not current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    user: User = current_user._get_current_object()
    form = NewPasswordForm()
    if form.validate_on_submit():
        new = form.new_password.data or ""
        problems = password_problems(new, user.username)
        if problems:
            form.new_password.errors = problems
        else:
            set_own_password(user, hash_password(new), first=True)
            db.session.commit()
            start_session(user)
            flash(
                _("Kata sandi Anda sudah disimpan. Gunakan kata sandi ini mulai sekarang."),
                "success",
            )
            return redirect(url_for("main.index"), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "auth/set_password.html", form=form, min_length=MIN_LENGTH, max_length=MAX_LENGTH
    ), status
