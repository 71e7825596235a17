"""The report filter (GET, no CSRF: it changes nothing).

A bad parameter never breaks a report: it gets an error message next to its field and the
report falls back to that parameter's default (the current school year, the whole year, every
jenjang, the table's own order).
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import Optional

from sas.dates import parse_month, parse_school_year, school_year_label, school_year_start
from sas.forms import BaseForm
from sas.models import Jenjang
from sas.reports.services import ReportFilter

# Columns a report table can be sorted by (the ``sort`` query parameter).
REGION_SORTS = ("name", "collected", "disbursed", "balance", "helped", "active", "on_time")
SCHOOL_SORTS = (*REGION_SORTS[:1], "jenjang", *REGION_SORTS[1:])


class PeriodForm(BaseForm):
    """School year and an optional range of its months (the school summary)."""

    class Meta:
        csrf = False

    school_year = SelectField(_l("Tahun ajaran"), validate_choice=False)
    from_ = SelectField(_l("Dari bulan"), validate_choice=False, name="from")
    to = SelectField(_l("Sampai bulan"), validate_choice=False)

    def report_filter(self, years: list[int], current: int) -> ReportFilter:
        """The filter asked for, each bad part replaced by its default; sets the choices.

        ``years`` are the school years that have data; ``current`` is today's school year.
        """
        self.validate()
        year = current
        if self.school_year.data:
            try:
                year = parse_school_year(self.school_year.data)
            except ValueError:
                self.school_year.errors.append(_("Tulis tahun ajaran seperti 2025/2026."))
        self.school_year.data = school_year_label(year)
        self.school_year.choices = [
            SelectChoice(school_year_label(y), school_year_label(y))
            for y in sorted({*years, current, year}, reverse=True)
        ]

        first, last = (self._month(f, year) for f in (self.from_, self.to))
        if first and last and first > last:
            self.to.errors.append(_("Bulan akhir harus sesudah bulan awal."))
            self.to.data, last = "", None
        months = [
            SelectChoice(m.strftime("%Y-%m"), format_date(m, "MMM y"))
            for m in ReportFilter(year).months()
        ]
        self.from_.choices = [SelectChoice("", _("Awal tahun ajaran")), *months]
        self.to.choices = [SelectChoice("", _("Akhir tahun ajaran")), *months]
        return ReportFilter(year, first, last, self._jenjang())

    def _month(self, field: SelectField, year: int) -> date | None:
        if not field.data:
            return None
        try:
            month = parse_month(field.data)
        except ValueError:
            field.errors.append(_("Tulis bulan seperti 2025-08."))
            field.data = ""
            return None
        if school_year_start(month) != year:
            field.errors.append(
                _("Bulan harus di dalam tahun ajaran %(year)s.", year=school_year_label(year))
            )
            field.data = ""
            return None
        return month

    def _jenjang(self) -> Jenjang | None:
        return None


class RegionReportForm(PeriodForm):
    """The district and kecamatan reports: the period, a jenjang, the table's order."""

    jenjang = SelectField(
        _l("Jenjang"),
        choices=[SelectChoice("", _l("Semua"))] + [SelectChoice(j.value, j.value) for j in Jenjang],
        validators=[Optional()],
    )
    sort = HiddenField(_l("Urutan"))
    dir = HiddenField(_l("Arah urutan"))

    def __init__(self, *args: object, sorts: tuple[str, ...] = REGION_SORTS, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.sorts = sorts

    def _jenjang(self) -> Jenjang | None:
        if self.jenjang.errors or not self.jenjang.data:
            self.jenjang.data = ""
            return None
        return Jenjang(self.jenjang.data)

    def order(self) -> tuple[str | None, bool]:
        """The column to sort by (None: the report's own order) and whether descending."""
        column = self.sort.data or None
        if column is not None and column not in self.sorts:
            self.sort.errors = [*self.sort.errors, _("Kolom urutan tidak dikenal.")]
            self.sort.data, column = "", None
        direction = self.dir.data or ("asc" if column in (None, "name", "jenjang") else "desc")
        if direction not in ("asc", "desc"):
            self.dir.errors = [*self.dir.errors, _("Arah urutan harus asc atau desc.")]
            direction = "asc" if column in (None, "name", "jenjang") else "desc"
        self.dir.data = direction if column else ""
        return column, direction == "desc"
