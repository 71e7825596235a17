"""The audit log filter (GET, no CSRF: it changes nothing).

A bad value gets an error next to its field and filters nothing out, except an unknown school,
which matches no row (showing the whole log instead would mislead).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from sas.audit.labels import ACTION_LABELS
from sas.audit.services import ACTIONS, AuditFilter
from sas.authz import NPSN
from sas.extensions import db
from sas.forms import BaseForm
from sas.models import School

NO_SCHOOL = -1  # a school id no row has


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    school = StringField(_l("NPSN sekolah"), validators=[Optional(), Length(max=8)])
    user = StringField(_l("Pengguna"), validators=[Optional(), Length(max=64)])
    action = SelectField(
        _l("Tindakan"),
        choices=[SelectChoice("", _l("Semua"))]
        + [SelectChoice(a, ACTION_LABELS[a]) for a in ACTIONS],
        validators=[Optional()],
    )
    from_ = DateField(_l("Dari"), validators=[Optional()], format="%Y-%m-%d", name="from")
    to = DateField(_l("Sampai"), validators=[Optional()], format="%Y-%m-%d")

    def audit_filter(self, school_id: int | None = None) -> AuditFilter:
        """The filter asked for; ``school_id`` (a teacher's school) overrides the school field."""
        self.validate()
        if school_id is None and self.school.data and not self.school.errors:
            school_id = self._school_id(self.school.data.strip().upper())
        start = self.from_.data if not self.from_.errors else None
        end = self.to.data if not self.to.errors else None
        if start and end and end < start:
            self.to.errors = [*self.to.errors, _("Tanggal akhir harus sesudah tanggal awal.")]
            end = None
        user = (self.user.data or "").strip() if not self.user.errors else ""
        action = self.action.data if not self.action.errors else ""
        return AuditFilter(
            school_id=school_id, user=user or None, action=action or None, start=start, end=end
        )

    def _school_id(self, npsn: str) -> int:
        school_id = (
            db.session.scalar(select(School.id).where(School.npsn == npsn))
            if NPSN.match(npsn)
            else None
        )
        if school_id is None:
            self.school.errors = [*self.school.errors, _("Tidak ada sekolah dengan NPSN ini.")]
            return NO_SCHOOL
        return school_id
