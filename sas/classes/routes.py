"""The class list page: the committee keeps it, the teacher reads it."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from sas.authz import class_for, roles, school_for, school_view
from sas.classes import services
from sas.classes.forms import AddClassesForm, ClassActionForm, RenameClassForm
from sas.extensions import db
from sas.forms import show_refusal
from sas.ledger import LedgerError
from sas.models import Role, School, SchoolClass

bp = Blueprint("classes", __name__, url_prefix="/sekolah/<npsn>/kelas")


def rename_form(item: SchoolClass, posted: bool = False) -> RenameClassForm:
    """Each class's own rename form: its fields are prefixed with the class, so that every
    field on the page has its own id."""
    shown = {} if posted else {"formdata": None, "data": {"label": item.label}}
    return RenameClassForm(prefix=f"c{item.id}", **shown)


def _page(
    school: School,
    add_form: AddClassesForm | None = None,
    refused: tuple[int, RenameClassForm] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    active = services.active_classes(school)
    renames = {item.id: rename_form(item) for item in active}
    if refused is not None:
        renames[refused[0]] = refused[1]
    return render_template(
        "classes/index.html",
        school=school,
        active=active,
        retired=services.retired_classes(school),
        add_form=add_form or AddClassesForm(formdata=None),
        renames=renames,
        action_form=ClassActionForm(formdata=None),
    ), status


def _done(school: School, message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("classes.index", npsn=school.npsn), 303)


@bp.get("")
@school_view(Role.COMMITTEE, Role.TEACHER)
def index(school: School) -> tuple[str, int]:
    return _page(school)


@bp.post("")
@school_view(Role.COMMITTEE)
def add(school: School) -> Response | tuple[str, int]:
    form = AddClassesForm()
    if form.validate_on_submit():
        try:
            added = services.add_classes(school, form.labels.data, added_by=current_user)
            labels = ", ".join(item.label for item in added)
            return _done(school, _("Kelas ditambahkan: %(labels)s.", labels=labels))
        except LedgerError as error:
            show_refusal(form, error, fallback="labels")
    return _page(school, add_form=form, status=422)


@bp.post("/<int:class_id>/ubah-nama")
@school_view(Role.COMMITTEE)
def rename(school: School, class_id: int) -> Response | tuple[str, int]:
    item = class_for(school, class_id)
    form = rename_form(item, posted=True)
    if form.validate_on_submit():
        try:
            old = item.label
            services.rename_class(school, item, form.label.data, changed_by=current_user)
            return _done(school, _("Kelas %(old)s sekarang %(new)s.", old=old, new=item.label))
        except LedgerError as error:
            show_refusal(form, error, fallback="label")
    return _page(school, refused=(item.id, form), status=422)


def _set_active(npsn: str, class_id: int, active: bool) -> Response:
    school = school_for(npsn, current_user)
    item = class_for(school, class_id)
    if not ClassActionForm().validate_on_submit():
        abort(400)
    services.set_active(school, item, active, changed_by=current_user)
    if active:
        return _done(school, _("Kelas %(label)s dipakai lagi.", label=item.label))
    return _done(school, _("Kelas %(label)s tidak dipakai lagi.", label=item.label))


@bp.post("/<int:class_id>/nonaktifkan")
@roles(Role.COMMITTEE)
def retire(npsn: str, class_id: int) -> Response:
    return _set_active(npsn, class_id, False)


@bp.post("/<int:class_id>/aktifkan")
@roles(Role.COMMITTEE)
def reactivate(npsn: str, class_id: int) -> Response:
    return _set_active(npsn, class_id, True)
