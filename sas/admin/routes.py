"""Admin pages: regions, schools and their CSV import, accounts, the committee handover.

Every page here is for the ``admin`` role only (district-wide, all regions), except a school's
handover reports, which that school's teacher may read too. Views validate, then hand the
service's write to ``sas.forms.commit_form`` (``commit_action`` for a button), which commits it
once and redirects; a refused action changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import Field, SelectChoice

from sas import ledger
from sas.admin import imports, services
from sas.admin.forms import (
    ROLE_LABELS,
    STATUS_LABELS,
    ActionForm,
    DisplayNameForm,
    EndTermForm,
    ImportConfirmForm,
    ImportForm,
    RegionForm,
    SchoolFilterForm,
    SchoolForm,
    UserFilterForm,
    UserForm,
)
from sas.authz import by_id, handover_for, report_school_for, roles, school_by_npsn
from sas.dates import parse_month, today_wib
from sas.extensions import db
from sas.forms import commit_action, commit_form, show_refusal
from sas.models import Jenjang, Region, RegionLevel, Role, School, SchoolStatus, User

bp = Blueprint("admin", __name__)

PER_PAGE = 50
HANDOVER_READERS = (Role.TEACHER, Role.ADMIN)


def _iso_time(text: str | None) -> datetime | None:
    """A moment kept as ISO text in a handover snapshot."""
    return datetime.fromisoformat(text) if text else None


@bp.context_processor
def admin_helpers() -> dict[str, object]:
    return {
        "role_labels_admin": ROLE_LABELS,
        "status_labels_admin": STATUS_LABELS,
        "iso_time": _iso_time,
        "month_of": parse_month,
    }


def _conflict() -> str:
    """Another admin saved the same code, NPSN or username at the same moment."""
    return str(_("Data yang sama baru saja disimpan orang lain; periksa lalu coba lagi."))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _chosen(field: Field) -> str:
    """A filter's value, or "" when it is missing or was refused."""
    return "" if field.errors else (field.data or "")


def _active(field: Field) -> bool | None:
    return {"1": True, "0": False}.get(_chosen(field))


def _filter_args(*keys: str) -> dict[str, str]:
    """The query keys passed on to the pager's links."""
    return {k: v for k, v in request.args.items() if k in keys and v}


@bp.get("/admin")
@roles(Role.ADMIN)
def index() -> str:
    return render_template("admin/index.html", counts=services.counts())


# --- regions -----------------------------------------------------------------------------------


def _region(region_id: int) -> Region:
    region = by_id(Region, region_id)
    if not isinstance(region, Region):
        abort(404)
    return region


@bp.get("/admin/wilayah")
@roles(Role.ADMIN)
def regions() -> str:
    return render_template("admin/regions.html", lines=services.region_lines())


@bp.route("/admin/wilayah/baru", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_region() -> Response | tuple[str, int]:
    form = RegionForm()
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.create_region(code=form.code.data, name=form.name.data),
            message=lambda region: _("Wilayah %(code)s ditambahkan.", code=region.code),
            to=url_for("admin.regions"),
            conflict=_conflict(),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template("admin/region_form.html", form=form), status


@bp.route("/admin/wilayah/<int:region_id>/ubah", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_region(region_id: int) -> Response | tuple[str, int]:
    region = _region(region_id)
    form = RegionForm(obj=region)
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.update_region(region, code=form.code.data, name=form.name.data),
            message=lambda changed: (
                _("Wilayah %(code)s disimpan.", code=region.code) if changed else None
            ),
            to=url_for("admin.regions"),
            conflict=_conflict(),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template("admin/region_form.html", form=form, region=region), status


# --- schools -----------------------------------------------------------------------------------


def _school(npsn: str) -> School:
    """Any school (the admin is district-wide); 404 for an unknown NPSN."""
    return report_school_for(npsn, current_user)


def _kecamatan_choices(blank: str | None = None) -> list[SelectChoice]:
    choices = [
        SelectChoice(r.id, f"{r.code} {r.name}" + (f" ({r.parent.name})" if r.parent else ""))
        for r in services.kecamatan_list()
    ]
    return [SelectChoice("", blank), *choices] if blank is not None else choices


def _school_data(form: SchoolForm) -> services.SchoolData:
    return services.SchoolData(
        npsn=form.npsn.data,
        name=form.name.data,
        jenjang=Jenjang(form.jenjang.data),
        status=SchoolStatus(form.status.data),
        kecamatan_id=form.kecamatan_id.data,
    )


@bp.get("/admin/sekolah")
@roles(Role.ADMIN)
def schools() -> str:
    form = SchoolFilterForm(request.args)
    form.validate()
    kecamatan_list = services.kecamatan_list()
    form.kecamatan.choices = [SelectChoice("", _("Semua"))] + [
        SelectChoice(r.code, f"{r.code} {r.name}") for r in kecamatan_list
    ]
    by_code = {r.code: r for r in kecamatan_list}
    kecamatan = by_code.get(form.kecamatan.data or "")
    if form.kecamatan.data and kecamatan is None:
        form.kecamatan.errors = [_("Kecamatan tidak dikenal.")]
    flt = services.SchoolFilter(
        kecamatan=kecamatan,
        jenjang=Jenjang(_chosen(form.jenjang)) if _chosen(form.jenjang) else None,
        text=_chosen(form.q),
        active=_active(form.active),
    )
    page = services.schools_page(flt, _page(), PER_PAGE)
    args = _filter_args("q", "kecamatan", "jenjang", "active")
    return render_template("admin/schools.html", form=form, page=page, args=args)


@bp.route("/admin/sekolah/baru", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_school() -> Response | tuple[str, int]:
    form = SchoolForm()
    form.kecamatan_id.choices = _kecamatan_choices()
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.create_school(_school_data(form)),
            message=lambda school: _("Sekolah %(name)s ditambahkan.", name=school.name),
            to=lambda school: url_for("admin.school", npsn=school.npsn),
            conflict=_conflict(),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template("admin/school_form.html", form=form), status


@bp.get("/admin/sekolah/<npsn>")
@roles(Role.ADMIN)
def school(npsn: str) -> str:
    target = _school(npsn)
    return render_template(
        "admin/school.html",
        target=target,
        users=services.school_users(target),
        handovers=services.handovers(target),
        action=ActionForm(),
    )


@bp.route("/admin/sekolah/<npsn>/ubah", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_school(npsn: str) -> Response | tuple[str, int]:
    target = _school(npsn)
    form = SchoolForm(obj=target)
    form.kecamatan_id.choices = _kecamatan_choices()
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.update_school(target, _school_data(form)),
            message=lambda changed: _("Data sekolah disimpan.") if changed else None,
            to=lambda _changed: url_for("admin.school", npsn=target.npsn),  # its NPSN may change
            conflict=_conflict(),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template("admin/school_form.html", form=form, target=target), status


@bp.post("/admin/sekolah/<npsn>/nonaktifkan")
@roles(Role.ADMIN)
def deactivate_school(npsn: str) -> Response:
    target = _school(npsn)
    back = url_for("admin.school", npsn=target.npsn)
    if not ActionForm().validate_on_submit():
        return redirect(back, 303)
    return commit_action(
        lambda: services.deactivate_school(target),
        message=lambda accounts: _(
            "Sekolah dinonaktifkan; %(count)d akun sekolah ini ikut dinonaktifkan.",
            count=accounts,
        ),
        back=back,
    )


@bp.post("/admin/sekolah/<npsn>/aktifkan")
@roles(Role.ADMIN)
def reactivate_school(npsn: str) -> Response:
    target = _school(npsn)
    back = url_for("admin.school", npsn=target.npsn)
    if not ActionForm().validate_on_submit():
        return redirect(back, 303)
    return commit_action(
        lambda: services.reactivate_school(target),
        message=_("Sekolah diaktifkan kembali; aktifkan akunnya satu per satu."),
        back=back,
    )


# --- importing schools -------------------------------------------------------------------------


def _import_folder() -> Path:
    configured = current_app.config.get("SCHOOL_IMPORT_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "imports"


def _preview(
    plan: imports.Plan, token: str, status: int = 200, warning: str | None = None
) -> tuple[str, int]:
    confirm = ImportConfirmForm(formdata=None, token=token, digest=plan.digest)
    return render_template(
        "admin/import_preview.html", plan=plan, confirm=confirm, warning=warning
    ), status


@bp.route("/admin/sekolah/impor", methods=["GET", "POST"])
@roles(Role.ADMIN)
def import_schools() -> tuple[str, int]:
    """Upload a file: the preview shows every row, and nothing is written yet."""
    form = ImportForm()
    if form.validate_on_submit():
        with form.file.data.stream as upload:  # a large upload is a temporary file
            data = upload.read(imports.MAX_BYTES + 1)
        try:
            plan = imports.read_plan(data)
        except imports.FileError as error:
            show_refusal(form, error)
        else:
            db.session.rollback()  # only read: end the transaction before the file is kept
            token = imports.keep(_import_folder(), data, current_user.id) if plan.ok else ""
            return _preview(plan, token, 200 if plan.ok else 422)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/import.html", form=form, columns=imports.COLUMNS, max_rows=imports.MAX_ROWS
    ), status


@bp.post("/admin/sekolah/impor/konfirmasi")
@roles(Role.ADMIN)
def confirm_import() -> Response | tuple[str, int]:
    """Check the kept file again and, if it still does what the preview showed, import it."""
    form = ImportConfirmForm()
    folder, user_id = _import_folder(), current_user.id
    data = None
    if form.validate_on_submit():
        data = imports.kept(folder, form.token.data, user_id)
    if data is None:
        flash(_("Pratinjau ini sudah dipakai atau kedaluwarsa; unggah file lagi."), "error")
        return redirect(url_for("admin.import_schools"), 303)
    try:
        plan = imports.read_plan(data)
    except imports.FileError:  # cannot happen for a file that passed the preview
        abort(400)
    if not plan.ok:
        return _preview(plan, "", 422)
    if plan.digest != form.digest.data:
        db.session.rollback()
        return _preview(
            plan,
            form.token.data,
            409,
            _("Data sekolah berubah sejak pratinjau; periksa pratinjau baru ini lalu konfirmasi."),
        )
    try:
        done = commit_action(
            lambda: imports.apply_plan(plan),
            message=lambda result: _(
                "Impor selesai: %(new)d sekolah baru, %(changed)d diubah, "
                "%(unchanged)d tidak berubah.",
                new=result[imports.NEW],
                changed=result[imports.CHANGED],
                unchanged=result[imports.UNCHANGED],
            ),
            back=url_for("admin.import_schools"),
            to=url_for("admin.schools"),
        )
    except IntegrityError:
        db.session.rollback()
        flash(_("Data sekolah baru saja diubah orang lain; tidak ada yang tersimpan."), "error")
        return redirect(url_for("admin.import_schools"), 303)
    imports.discard(folder, form.token.data, user_id)  # only once the import is committed
    return done


# --- accounts ----------------------------------------------------------------------------------


def _user(user_id: int) -> User:
    user = by_id(User, user_id)
    if not isinstance(user, User):
        abort(404)
    return user


def _password_page(user: User, password: str, created: bool) -> Response:
    """The one-time password, shown once: in this page only, never stored, never cached."""
    response = make_response(
        render_template("admin/password.html", user=user, password=password, created=created)
    )
    return _no_store(response)


@bp.get("/admin/pengguna")
@roles(Role.ADMIN)
def users() -> str:
    form = UserFilterForm(request.args)
    form.validate()
    school = None
    if form.npsn.data and not form.npsn.errors:
        school = school_by_npsn(form.npsn.data or "")
        if school is None:
            form.npsn.errors = [_("Tidak ada sekolah dengan NPSN ini.")]
    flt = services.UserFilter(
        role=Role(_chosen(form.role)) if _chosen(form.role) else None,
        school=school,
        text=_chosen(form.q),
        active=_active(form.active),
    )
    if form.npsn.errors:  # an unknown school lists nobody rather than everybody
        page = services.Page([], 1, 1, 0)
    else:
        page = services.users_page(flt, _page(), PER_PAGE)
    args = _filter_args("q", "role", "npsn", "active")
    return render_template("admin/users.html", form=form, page=page, args=args)


@bp.route("/admin/pengguna/baru", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_user() -> Response | tuple[str, int]:
    form = UserForm(
        role=request.args.get("role", Role.COMMITTEE.value), npsn=request.args.get("npsn", "")
    )
    form.kabupaten.choices = [SelectChoice("", "—")] + [
        SelectChoice(r.code, f"{r.code} {r.name}") for r in services.kabupaten_list()
    ]
    if form.validate_on_submit():
        role = Role(form.role.data)
        school = (
            school_by_npsn(form.npsn.data or "") if role in (Role.COMMITTEE, Role.TEACHER) else None
        )
        kabupaten = None
        if role == Role.DISTRICT and form.kabupaten.data:
            kabupaten = db.session.scalar(
                select(Region).where(
                    Region.code == form.kabupaten.data, Region.level == RegionLevel.KABUPATEN
                )
            )
        if role in (Role.COMMITTEE, Role.TEACHER) and form.npsn.data and school is None:
            form.npsn.errors = [_("Tidak ada sekolah dengan NPSN ini.")]
            return render_template("admin/user_form.html", form=form), 422
        saved = commit_form(
            form,
            lambda: services.create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                role=role,
                school=school,
                kabupaten=kabupaten,
                now=datetime.now(UTC),
            ),
            to=lambda made: _password_page(*made, created=True),
            conflict=_conflict(),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form), status


@bp.get("/admin/pengguna/<int:user_id>")
@roles(Role.ADMIN)
def user(user_id: int) -> str:
    account = _user(user_id)
    return render_template(
        "admin/user.html",
        account=account,
        rename=DisplayNameForm(formdata=None, obj=account),
        action=ActionForm(),
        otp_state=services.one_time_password_state(account, datetime.now(UTC)),
    )


@bp.post("/admin/pengguna/<int:user_id>/nama")
@roles(Role.ADMIN)
def rename_user(user_id: int) -> Response | tuple[str, int]:
    account = _user(user_id)
    form = DisplayNameForm()
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.rename_user(account, form.display_name.data),
            message=lambda changed: _("Nama disimpan.") if changed else None,
            to=url_for("admin.user", user_id=account.id),
        )
        if saved is not None:
            return saved
    return render_template(
        "admin/user.html",
        account=account,
        rename=form,
        action=ActionForm(),
        otp_state=services.one_time_password_state(account, datetime.now(UTC)),
    ), 422


def _user_action(account: User, act: Callable[[], object], done: str) -> Response:
    """A button on the account's page, which it comes back to."""
    back = url_for("admin.user", user_id=account.id)
    if not ActionForm().validate_on_submit():
        return redirect(back, 303)
    return commit_action(act, message=done, back=back)


@bp.post("/admin/pengguna/<int:user_id>/nonaktifkan")
@roles(Role.ADMIN)
def deactivate_user(user_id: int) -> Response:
    account = _user(user_id)
    return _user_action(
        account,
        lambda: services.deactivate_user(account, by=current_user),
        _("Akun dinonaktifkan; semua sesinya berakhir."),
    )


@bp.post("/admin/pengguna/<int:user_id>/aktifkan")
@roles(Role.ADMIN)
def reactivate_user(user_id: int) -> Response:
    account = _user(user_id)
    return _user_action(
        account, lambda: services.reactivate_user(account), _("Akun diaktifkan kembali.")
    )


@bp.post("/admin/pengguna/<int:user_id>/atur-ulang-sandi")
@roles(Role.ADMIN)
def reset_password(user_id: int) -> Response:
    account = _user(user_id)
    back = url_for("admin.user", user_id=account.id)
    if not ActionForm().validate_on_submit():
        return redirect(back, 303)
    return commit_action(
        lambda: services.reset_password(account, by=current_user, now=datetime.now(UTC)),
        back=back,
        to=lambda password: _password_page(account, password, created=False),
    )


# --- committee handover ------------------------------------------------------------------------


@bp.route("/admin/sekolah/<npsn>/akhiri-masa-jabatan", methods=["GET", "POST"])
@roles(Role.ADMIN)
def end_term(npsn: str) -> Response | tuple[str, int]:
    """A confirmation page showing what will happen; its POST ends the committee's term."""
    target = _school(npsn)
    today = today_wib()
    form = EndTermForm(year=services.default_handover_year(today))
    form.year.choices = [SelectChoice(y, f"{y}/{y + 1}") for y in services.handover_years(today)]
    if form.validate_on_submit():
        saved = commit_form(
            form,
            lambda: services.end_committee_term(
                target, year=form.year.data, ended_by=current_user, today=today
            ),
            message=lambda handover: _(
                "Masa jabatan Tim SAS berakhir; %(count)d akun dinonaktifkan. "
                "Buat akun Tim SAS yang baru.",
                count=len(handover.members),
            ),
            to=url_for("admin.school", npsn=target.npsn),
        )
        if saved is not None:
            return saved
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/end_term.html",
        target=target,
        form=form,
        members=services.active_committee(target),
        balance=ledger.balance(target),
        open_months=services.open_months(
            target,
            form.year.data
            if form.year.data in services.handover_years(today)
            else services.default_handover_year(today),
            today,
        ),
    ), status


@bp.get("/sekolah/<npsn>/serah-terima")
@roles(*HANDOVER_READERS)
def handovers(npsn: str) -> str:
    target = report_school_for(npsn, current_user)
    return render_template(
        "admin/handovers.html", target=target, handovers=services.handovers(target)
    )


@bp.get("/sekolah/<npsn>/serah-terima/<int:handover_id>")
@roles(*HANDOVER_READERS)
def handover(npsn: str, handover_id: int) -> str:
    """The printable handover report (A4), for the admin and the school's own teacher."""
    school = report_school_for(npsn, current_user)
    found = handover_for(school, handover_id)
    return render_template("admin/handover_report.html", school=school, handover=found)
