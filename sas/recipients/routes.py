from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from sas.authz import recipient_for, school_view
from sas.extensions import db
from sas.models import Role, School
from sas.recipients import services
from sas.recipients.forms import RecipientForm

bp = Blueprint("recipients", __name__, url_prefix="/sekolah/<npsn>/penerima")


@bp.get("")
@school_view(Role.COMMITTEE, Role.TEACHER)
def index(school: School) -> str:
    return render_template(
        "recipients/index.html", school=school, recipients=services.list_recipients(school)
    )


@bp.route("/baru", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def new(school: School) -> Response | tuple[str, int]:
    form = RecipientForm()
    if form.validate_on_submit():
        services.add_recipient(
            school,
            name=form.name.data,
            class_label=form.class_label.data,
            nisn=form.nisn.data,
            reason=form.reason.data,
            active=form.active.data,
            added_by=current_user,
        )
        db.session.commit()
        flash(_("Penerima ditambahkan."), "success")
        return redirect(url_for("recipients.index", npsn=school.npsn), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("recipients/form.html", school=school, form=form), status


@bp.route("/<int:recipient_id>/ubah", methods=["GET", "POST"])
@school_view(Role.COMMITTEE)
def edit(school: School, recipient_id: int) -> Response | tuple[str, int]:
    recipient = recipient_for(school, recipient_id)
    form = RecipientForm(obj=recipient)
    if form.validate_on_submit():
        services.update_recipient(
            recipient,
            name=form.name.data,
            class_label=form.class_label.data,
            nisn=form.nisn.data,
            reason=form.reason.data,
            active=form.active.data,
            changed_by=current_user,
        )
        db.session.commit()
        flash(_("Data penerima disimpan."), "success")
        return redirect(url_for("recipients.index", npsn=school.npsn), 303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "recipients/form.html", school=school, form=form, recipient=recipient
    ), status
