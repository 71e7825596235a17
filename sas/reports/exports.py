"""Report tables for pages and downloads, and the CSV and XLSX files made from them.

The tables take the figures of ``sas.reports.services`` as they are, so a file always has the
numbers of the page for the same filter. Rupiah stay integers (a spreadsheet can add them up);
a count of students that could point at a child (``is_suppressed``) becomes the text ``"<3"``.
Nothing here touches the request: the views pass everything in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from sas.ledger.labels import CATEGORY_LABELS
from sas.models import Jenjang
from sas.reports.services import (
    CategoryFigure,
    Figures,
    Flows,
    MonthFigure,
    MonthStatus,
    Report,
    ReportFilter,
    Row,
    SchoolSummary,
    is_suppressed,
)

SUPPRESSED = "<3"

Cell = int | str | None

# A month's report (laporan bulanan) as the district sees it.
STATUS_LABELS = {
    "on_time": _l("Ditutup tepat waktu"),
    "late": _l("Ditutup terlambat"),
    "open": _l("Belum ditutup"),
    "not_due": _l("Belum jatuh tempo"),
}


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas: text starting with = + - @ (or tab/CR) gets a quote
    (every CSV and XLSX the app writes passes its cells through here)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def month_status(status: MonthStatus) -> str:
    """``on_time``, ``late``, ``open`` (due, not closed) or ``not_due``."""
    if status.closed:
        return "on_time" if status.on_time else "late"
    return "open" if status.due else "not_due"


def students(count: int, suppress: bool = True) -> int | str:
    """A count of students helped as it may leave the school: ``"<3"`` for 1 or 2."""
    return SUPPRESSED if suppress and is_suppressed(count) else count


def format_students(count: int, suppress: bool = True) -> str:
    """The same count on a page: ``"<3"``, or the number in the user's language (``1.234``)."""
    shown = students(count, suppress)
    return shown if isinstance(shown, str) else format_number(shown)


# --- the order of a table ----------------------------------------------------------------------

_JENJANG_ORDER = {j: i for i, j in enumerate(Jenjang)}


def sort_rows(rows: Iterable[Row], column: str | None, descending: bool = False) -> list[Row]:
    """Rows ordered by a column, ties by name; suppressed counts tie with each other, so the
    order never tells a 1 from a 2. ``column`` None keeps the report's order."""
    ordered = list(rows)
    if column is None:
        return ordered[::-1] if descending else ordered
    ordered.sort(key=lambda r: r.name.casefold())
    keys = {
        "name": lambda r: r.name.casefold(),
        "jenjang": lambda r: _JENJANG_ORDER.get(r.jenjang, -1),
        "active": lambda r: r.figures.active_schools,
        "on_time": lambda r: r.figures.on_time_schools,
        "collected": lambda r: r.figures.collected,
        "disbursed": lambda r: r.figures.disbursed,
        "balance": lambda r: r.figures.balance,
        "helped": lambda r: 1 if is_suppressed(r.figures.helped) else r.figures.helped,
    }
    ordered.sort(key=keys[column], reverse=descending)
    return ordered


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header; ``money`` holds the indexes of the Rupiah columns."""

    name: str  # the sheet's name
    header: list[str]
    rows: list[list[Cell]]
    money: frozenset[int] = field(default_factory=frozenset)


def _money_header() -> list[str]:
    return [_("Uang masuk (Rp)"), _("Uang keluar (Rp)"), _("Saldo (Rp)")]


def _transfer_header() -> list[str]:
    """Money moved between schools (Sekolah Asuh Sekolah): neither in nor out above."""
    return [_("Transfer masuk (Rp)"), _("Transfer keluar (Rp)")]


def district_table(report: Report, rows: Iterable[Row] | None = None) -> Table:
    """One line per kecamatan, then the total."""
    header = [
        _("Kode"),
        _("Kecamatan"),
        *_money_header(),
        _("Siswa dibantu"),
        _("Sekolah"),
        _("Sekolah aktif"),
        _("Laporan tepat waktu"),
        *_transfer_header(),
    ]

    def line(key: str, name: str, f: Figures) -> list[Cell]:
        return [
            key,
            name,
            f.collected,
            f.disbursed,
            f.balance,
            students(f.helped),
            f.schools,
            f.active_schools,
            f.on_time_schools,
            f.transferred_in,
            f.transferred_out,
        ]

    lines = [line(r.key, r.name, r.figures) for r in (report.rows if rows is None else rows)]
    lines.append(line("", _("Jumlah"), report.total))
    return Table(_("Kecamatan"), header, lines, frozenset({2, 3, 4, 9, 10}))


def kecamatan_table(
    report: Report,
    rows: Iterable[Row] | None = None,
    evidence: Mapping[str, tuple[int, int]] | None = None,
) -> Table:
    """One line per school with its months' reporting status, then the total; with
    ``evidence`` (NPSN: disbursements with evidence, disbursements), those two counts last."""
    months = report.filter.months()
    header = [
        _("NPSN"),
        _("Sekolah"),
        _("Jenjang"),
        *_money_header(),
        _("Siswa dibantu"),
        _("Aktif"),
        _("Laporan tepat waktu"),
        *(m.strftime("%Y-%m") for m in months),
    ]
    # money moved between schools after the months (the evidence counts stay last)
    moved = len(header)
    header += _transfer_header()
    lines: list[list[Cell]] = []
    for r in report.rows if rows is None else rows:
        f = r.figures
        lines.append(
            [
                r.key,
                r.name,
                r.jenjang.value if r.jenjang else "",
                f.collected,
                f.disbursed,
                f.balance,
                students(f.helped),
                f.active_schools,
                f.on_time_schools,
                *(str(STATUS_LABELS[month_status(s)]) for s in r.months),
                f.transferred_in,
                f.transferred_out,
            ]
        )
    t = report.total
    lines.append(
        [
            "",
            _("Jumlah"),
            "",
            t.collected,
            t.disbursed,
            t.balance,
            students(t.helped),
            t.active_schools,
            t.on_time_schools,
            *([""] * len(months)),
            t.transferred_in,
            t.transferred_out,
        ]
    )
    if evidence is not None:
        _add_evidence(header, lines, evidence)
    return Table(_("Sekolah"), header, lines, frozenset({3, 4, 5, moved, moved + 1}))


def _add_evidence(
    header: list[str], lines: list[list[Cell]], evidence: Mapping[str, tuple[int, int]]
) -> None:
    """Two columns after the others: a school's disbursements with evidence and all its
    disbursements (by the NPSN in its line's first cell); their sums on the total line."""
    header += [_("Catatan uang keluar dengan bukti"), _("Catatan uang keluar")]
    documented = counted = 0
    for line in lines[:-1]:
        done, count = evidence.get(str(line[0]), (0, 0))
        line += [done, count]
        documented, counted = documented + done, counted + count
    lines[-1] += [documented, counted]


def region_months_table(months: list[MonthFigure]) -> Table:
    """Money in and out per month of a district or kecamatan."""
    lines: list[list[Cell]] = [
        [m.month.strftime("%Y-%m"), m.collected, m.disbursed, m.transferred_in, m.transferred_out]
        for m in months
    ]
    lines.append(
        [
            _("Jumlah"),
            sum(m.collected for m in months),
            sum(m.disbursed for m in months),
            sum(m.transferred_in for m in months),
            sum(m.transferred_out for m in months),
        ]
    )
    header = [_("Bulan"), _("Uang masuk (Rp)"), _("Uang keluar (Rp)"), *_transfer_header()]
    return Table(_("Per bulan"), header, lines, frozenset({1, 2, 3, 4}))


def school_months_table(summary: SchoolSummary) -> Table:
    """A school's months: in, out, the balance at each month's end, the report's status."""
    header = [
        _("Bulan"),
        _("Uang masuk (Rp)"),
        _("Uang keluar (Rp)"),
        _("Saldo akhir bulan (Rp)"),
        _("Laporan bulanan"),
        *_transfer_header(),
    ]
    lines: list[list[Cell]] = [
        [
            m.month.strftime("%Y-%m"),
            m.collected,
            m.disbursed,
            m.balance,
            str(STATUS_LABELS[month_status(s)]),
            m.transferred_in,
            m.transferred_out,
        ]
        for m, s in zip(summary.months, summary.closings, strict=True)
    ]
    f = summary.figures
    lines.append(
        [_("Jumlah"), f.collected, f.disbursed, f.balance, "", f.transferred_in, f.transferred_out]
    )
    return Table(_("Per bulan"), header, lines, frozenset({1, 2, 3, 5, 6}))


def categories_table(categories: list[CategoryFigure]) -> Table:
    """Money out per need, and how much of it was given in kind."""
    header = [_("Kebutuhan"), _("Jumlah (Rp)"), _("Barang (Rp)"), _("Tunai (Rp)")]
    lines: list[list[Cell]] = [
        [str(CATEGORY_LABELS[c.category]), c.amount, c.in_kind, c.amount - c.in_kind]
        for c in categories
    ]
    total, in_kind = sum(c.amount for c in categories), sum(c.in_kind for c in categories)
    lines.append([_("Jumlah"), total, in_kind, total - in_kind])
    return Table(_("Kebutuhan"), header, lines, frozenset({1, 2, 3}))


def flows_table(flows: Flows) -> Table:
    """Money moved between schools per pair of kecamatan (from, to), then the total."""
    header = [
        _("Kode asal"),
        _("Dari kecamatan"),
        _("Kode tujuan"),
        _("Ke kecamatan"),
        _("Jumlah (Rp)"),
        _("Transfer"),
    ]
    lines: list[list[Cell]] = [
        [f.from_code, f.from_name, f.to_code, f.to_name, f.amount, f.count] for f in flows.pairs
    ]
    lines.append(["", _("Jumlah"), "", "", flows.total, sum(f.count for f in flows.pairs)])
    return Table(_("Antar sekolah"), header, lines, frozenset({4}))


# --- files -------------------------------------------------------------------------------------


def file_name(key: str, flt: ReportFilter, ext: str, part: str = "") -> str:
    """``sas-35.10-2025-2026_2025-08_2026-03_SMP.xlsx``: what and which filter."""
    return f"sas-{key}-{flt.slug()}{'-' + part if part else ''}.{ext}"


def describe_filter(flt: ReportFilter) -> str:
    """The filter in words, for the head of a sheet."""
    text: str = _("Tahun ajaran %(year)s", year=flt.label)
    if not flt.whole_year:
        text += " · " + _(
            "bulan %(first)s s.d. %(last)s",
            first=flt.first_month.strftime("%Y-%m"),
            last=flt.last_month.strftime("%Y-%m"),
        )
    if flt.jenjang is not None:
        text += " · " + _("jenjang %(jenjang)s", jenjang=flt.jenjang.value)
    return text


def heading(title: str, flt: ReportFilter, exported_at: datetime) -> list[str]:
    """The lines above each sheet's table: what, which filter, when (WIB)."""
    return [
        title,
        describe_filter(flt),
        _("Diekspor %(time)s WIB", time=exported_at.strftime("%Y-%m-%d %H:%M")),
    ]


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark (Excel reads it right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in table.header])
    for line in table.rows:
        writer.writerow(["" if c is None else safe_cell(c) for c in line])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(tables: list[Table], head: list[str]) -> bytes:
    """One sheet per table, each with ``head`` above it and the header row frozen."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        for heading_line in head:
            sheet.append([safe_cell(heading_line)])
        sheet["A1"].font = bold
        sheet.append([])
        sheet.append([safe_cell(h) for h in table.header])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = bold
        for line in table.rows:
            sheet.append([safe_cell(c) for c in line])
            for i in table.money:
                sheet.cell(sheet.max_row, i + 1).number_format = "#,##0"
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
        for i, title in enumerate(table.header):
            width = max(len(str(title)), *(len(str(r[i] or "")) for r in table.rows)) + 2
            sheet.column_dimensions[sheet.cell(1, i + 1).column_letter].width = min(width, 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
