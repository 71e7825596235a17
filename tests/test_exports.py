"""The report tables as CSV and XLSX: the page's numbers, Rupiah as integers, the filter in the
file name, the school year and export time (WIB) in the sheet, no names, no formulas."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from sas.dates import WIB
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import Category, Jenjang
from sas.money import format_rupiah
from tests.district_data import (
    CURRENT,
    FILTERS,
    KECAMATAN,
    SECRETS,
    SY,
    Sum,
    build_district,
    expected_for,
    expected_kecamatan,
    months_of,
    period_of,
    schools_in,
)
from tests.factories import make_school
from tests.pages import query, row, tables
from tests.web import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = {"Kode", "NPSN", "Bulan", "Kebutuhan"}


@pytest.fixture
def district(world):  # type: ignore[no-untyped-def]
    return build_district(world)


@pytest.fixture
def dinas(client, district):  # type: ignore[no-untyped-def]
    login(client, "dinas")
    return client


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def sheets(data: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(data))
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book}


def table_of(lines: list[list]) -> list[list]:
    """The header and the rows under it (XLSX sheets have a heading above)."""
    start = next(i for i, line in enumerate(lines) if line and line[0] in HEADERS)
    return lines[start:]


def download(client, url: str) -> tuple[list[list], str]:  # type: ignore[no-untyped-def]
    """The main table of a CSV or an XLSX export, with the file name."""
    response = client.get(url)
    assert response.status_code == 200, url
    disposition = response.headers["Content-Disposition"]
    name = re.fullmatch(r'attachment; filename="([^"]+)"', disposition).group(1)
    if ".csv" in url:
        assert response.mimetype == "text/csv"
        lines = csv_rows(response.data)
        number = re.compile(r"-?\d+")  # the first column is a code (NPSN): text
        return [r[:1] + [int(c) if number.fullmatch(c) else c for c in r[1:]] for r in lines], name
    assert response.mimetype == XLSX
    return table_of(next(iter(sheets(response.data).values()))), name


def expected_line(want: Sum) -> list:
    return [
        want.collected,
        want.disbursed,
        want.balance,
        "<3" if want.helped in (1, 2) else want.helped,
    ]


# --- the numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("params", FILTERS)
def test_the_district_export_agrees_with_the_ledger(dinas, params, fmt):
    months, jenjang = period_of(params)
    lines, _ = download(dinas, f"/kabupaten/35.10/unduh.{fmt}" + query(**params))
    assert lines[0] == [
        "Kode",
        "Kecamatan",
        "Uang masuk (Rp)",
        "Uang keluar (Rp)",
        "Saldo (Rp)",
        "Siswa dibantu",
        "Sekolah",
        "Sekolah aktif",
        "Laporan tepat waktu",
        "Transfer masuk (Rp)",
        "Transfer keluar (Rp)",
    ]
    by_code = {line[0]: line for line in lines[1:-1]}
    assert set(by_code) == set(KECAMATAN)
    total = Sum()
    for code, name in KECAMATAN.items():
        want = expected_kecamatan(code, months, jenjang)
        assert by_code[code][1] == name
        assert by_code[code][2:6] == expected_line(want), code
        assert by_code[code][6:9] == [want.schools, want.active, want.on_time], code
        assert by_code[code][9:] == [0, 0], code  # no transfers between schools here
        for key in ("collected", "disbursed", "balance", "helped"):
            setattr(total, key, getattr(total, key) + getattr(want, key))
    assert lines[-1][1] == "Jumlah"
    assert lines[-1][2:6] == expected_line(total)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("params", FILTERS)
def test_the_kecamatan_export_agrees_with_the_ledger(dinas, params, fmt):
    months, jenjang = period_of(params)
    lines, _ = download(dinas, f"/kecamatan/35.10.16/unduh.{fmt}" + query(**params))
    assert lines[0][:9] == [
        "NPSN",
        "Sekolah",
        "Jenjang",
        "Uang masuk (Rp)",
        "Uang keluar (Rp)",
        "Saldo (Rp)",
        "Siswa dibantu",
        "Aktif",
        "Laporan tepat waktu",
    ]
    # then money moved between schools, then the evidence
    assert lines[0][9:-4] == [m.strftime("%Y-%m") for m in months]
    assert lines[0][-4:-2] == ["Transfer masuk (Rp)", "Transfer keluar (Rp)"]
    schools = schools_in("35.10.16", jenjang)
    assert [line[0] for line in lines[1:-1]] == [s.npsn for s in schools]
    total = Sum()
    for school, line in zip(schools, lines[1:-1], strict=True):
        want = Sum().add(school, months)
        total.add(school, months)
        assert line[1:3] == [school.name, school.jenjang.value]
        assert line[3:7] == expected_line(want)
        assert line[7:9] == [want.active, want.on_time]
    assert lines[-1][1] == "Jumlah" and lines[-1][3:9] == [
        *expected_line(total),
        total.active,
        total.on_time,
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("viewer", ["komite_a", "dinas"])
def test_the_school_export_agrees_with_the_ledger(client, district, viewer, params, fmt):
    params = {k: v for k, v in params.items() if k != "jenjang"}
    months, _ = period_of(params)
    a = district.schools["a"]
    login(client, viewer)
    lines, name = download(client, f"/sekolah/{a.npsn}/ringkasan.{fmt}" + query(**params))
    want = expected_for(a, months)
    assert lines[0] == [
        "Bulan",
        "Uang masuk (Rp)",
        "Uang keluar (Rp)",
        "Saldo akhir bulan (Rp)",
        "Laporan bulanan",
        "Transfer masuk (Rp)",
        "Transfer keluar (Rp)",
    ]
    balance = want.balance - sum(i - o for i, o in want.months.values())
    for m, line in zip(months, lines[1:-1], strict=True):
        i, o = want.months[m]
        balance += i - o
        assert line[:4] == [m.strftime("%Y-%m"), i, o, balance]
    assert lines[-1][:4] == ["Jumlah", want.collected, want.disbursed, want.balance]
    assert name.startswith(f"sas-{a.npsn}-")

    if fmt == "csv":
        categories, name = download(
            client, f"/sekolah/{a.npsn}/ringkasan.csv" + query(**params, table="categories")
        )
        assert name.endswith("-categories.csv")
    else:
        book = sheets(client.get(f"/sekolah/{a.npsn}/ringkasan.xlsx" + query(**params)).data)
        assert list(book) == ["Per bulan", "Kebutuhan"]
        categories = table_of(book["Kebutuhan"])
    assert categories[0] == ["Kebutuhan", "Jumlah (Rp)", "Barang (Rp)", "Tunai (Rp)"]
    got = {line[0]: line[1:] for line in categories[1:-1]}
    assert got == {
        str(label): [
            want.categories[c][0] if c in want.categories else 0,
            want.categories[c][1] if c in want.categories else 0,
            want.categories[c][0] - want.categories[c][1] if c in want.categories else 0,
        ]
        for c, label in CATEGORY_LABELS.items()
    }
    assert categories[-1] == ["Jumlah", want.disbursed, want.in_kind, want.disbursed - want.in_kind]


def test_the_export_has_the_numbers_of_the_page(dinas):
    """Row by row, the page and its file say the same (formatted vs integer)."""
    url = "/kabupaten/35.10?school_year=2025/2026&jenjang=SMP"
    page = dinas.get(url).text
    lines, _ = download(dinas, url.replace("35.10?", "35.10/unduh.csv?"))
    for line in lines[1:-1]:
        shown = row(page, "rows", line[1])
        assert shown[1:5] == [*map(format_rupiah, line[2:5]), str(line[5])]


def test_the_region_months_and_categories_tables(dinas):
    months = months_of(2025)
    per_month, per_category = {m: [0, 0] for m in months}, {c: [0, 0] for c in Category}
    for code in KECAMATAN:
        for school in schools_in(code):
            x = expected_for(school, months)
            for m, (i, o) in x.months.items():
                per_month[m][0] += i
                per_month[m][1] += o
            for c, (amount, kind) in x.categories.items():
                per_category[c][0] += amount
                per_category[c][1] += kind
    lines, name = download(dinas, "/kabupaten/35.10/unduh.csv?school_year=2025/2026&table=months")
    assert name == "sas-35.10-2025-2026-months.csv"
    # then money moved between schools (none here)
    assert lines[1:-1] == [[m.strftime("%Y-%m"), i, o, 0, 0] for m, (i, o) in per_month.items()]
    assert lines[-1] == [
        "Jumlah",
        sum(i for i, _ in per_month.values()),
        sum(o for _, o in per_month.values()),
        0,
        0,
    ]
    lines, _ = download(dinas, "/kabupaten/35.10/unduh.csv?school_year=2025/2026&table=categories")
    assert {line[0]: line[1:3] for line in lines[1:-1]} == {
        str(CATEGORY_LABELS[c]): v for c, v in per_category.items()
    }
    book = sheets(dinas.get("/kabupaten/35.10/unduh.xlsx?school_year=2025/2026").data)
    assert list(book) == ["Kecamatan", "Per bulan", "Kebutuhan", "Antar sekolah"]
    assert table_of(book["Per bulan"])[1:-1] == [
        [m.strftime("%Y-%m"), i, o, 0, 0] for m, (i, o) in per_month.items()
    ]


def test_the_kecamatan_export_has_each_months_report(dinas):
    lines, _ = download(dinas, "/kecamatan/35.10.16/unduh.csv?school_year=2025/2026")
    a = next(line for line in lines if line[0] == "20525555")
    assert a[9:12] == ["Ditutup tepat waktu", "Ditutup terlambat", "Belum ditutup"]


# --- the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/kabupaten/35.10/unduh.xlsx?school_year=2025/2026", "sas-35.10-2025-2026.xlsx"),
        (
            "/kabupaten/35.10/unduh.csv?school_year=2025/2026&jenjang=SMP",
            "sas-35.10-2025-2026_SMP.csv",
        ),
        (
            "/kabupaten/35.10/unduh.xlsx?school_year=2025/2026&from=2025-07&to=2026-06",
            "sas-35.10-2025-2026.xlsx",
        ),
        ("/kabupaten/35.10/unduh.csv", f"sas-35.10-{CURRENT}-{CURRENT + 1}.csv"),
        (
            "/kecamatan/35.10.16/unduh.xlsx?school_year=2024/2025&jenjang=MTs",
            "sas-35.10.16-2024-2025_MTs.xlsx",
        ),
        (
            "/sekolah/20525555/ringkasan.csv?school_year=2025/2026&table=categories",
            "sas-20525555-2025-2026-categories.csv",
        ),
        (
            "/sekolah/20525555/ringkasan.xlsx?table=nonsense",
            f"sas-20525555-{CURRENT}-{CURRENT + 1}.xlsx",
        ),
        (
            "/kabupaten/35.10/unduh.xlsx?school_year=2025/2026&from=2025-08&to=2026-03&jenjang=SMP",
            "sas-35.10-2025-2026_2025-08_2026-03_SMP.xlsx",
        ),
    ],
)
def test_the_file_name_carries_the_filter(dinas, url, name):
    response = dinas.get(url)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_the_sheet_says_which_school_year_and_when_in_wib(dinas):
    before = datetime.now(WIB).replace(second=0, microsecond=0)
    data = dinas.get("/kabupaten/35.10/unduh.xlsx?school_year=2025/2026&jenjang=SMP").data
    book = load_workbook(io.BytesIO(data))
    for sheet in book:
        assert sheet["A1"].value == "SAS · Kabupaten Banyuwangi (35.10)"
        assert sheet["A2"].value == "Tahun ajaran 2025/2026 · jenjang SMP"
        stamp = re.fullmatch(r"Diekspor (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) WIB", sheet["A3"].value)
        when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=WIB)
        assert before <= when <= before + timedelta(minutes=2)
    kecamatan = book["Kecamatan"]
    header = next(r for r in kecamatan.iter_rows() if r[0].value == "Kode")
    first = kecamatan[header[0].row + 1]
    assert all(isinstance(c.value, int) for c in first[2:5])  # Rupiah as integers
    assert first[2].number_format == "#,##0"
    assert kecamatan.freeze_panes == f"A{header[0].row + 1}"


def test_a_suppressed_count_is_the_text_less_than_three(dinas):
    lines, _ = download(dinas, "/kabupaten/35.10/unduh.xlsx?school_year=2025/2026")
    genteng = next(line for line in lines if line[0] == "35.10.09")
    pesanggaran = next(line for line in lines if line[0] == "35.10.01")
    assert genteng[5] == "<3" and pesanggaran[5] == 3
    muncar = next(line for line in lines if line[0] == "35.10.05")
    assert muncar[5] == 0
    lines, _ = download(dinas, "/kecamatan/35.10.16/unduh.csv?school_year=2025/2026")
    assert [line[6] for line in lines[1:]] == ["<3", "<3", 3]  # C (1), A (2), the total


def test_the_school_itself_exports_no_counts_to_hide(client, district):
    """The months and categories tables carry money only; the page shows the count."""
    login(client, "komite_a")
    lines, _ = download(client, "/sekolah/20525555/ringkasan.csv?school_year=2025/2026")
    assert "Siswa dibantu" not in lines[0]


def test_a_formula_in_a_name_is_neutralised(dinas):
    make_school("20524444", "35.10.16", name="=HYPERLINK(1)", jenjang=Jenjang.SMP)
    response = dinas.get("/kecamatan/35.10.16/unduh.csv?school_year=2025/2026")
    assert "'=HYPERLINK(1)" in response.data.decode("utf-8-sig")
    data = dinas.get("/kecamatan/35.10.16/unduh.xlsx?school_year=2025/2026").data
    cells = [c for r in load_workbook(io.BytesIO(data))["Sekolah"].iter_rows() for c in r]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in named] == [("'=HYPERLINK(1)", "s")]


# --- privacy -----------------------------------------------------------------------------------


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist())


@pytest.mark.parametrize("viewer", ["dinas", "admin", "komite_a"])
def test_no_name_nisn_note_or_description_in_any_export(client, district, viewer):
    login(client, viewer)
    urls = [f"/sekolah/{s.npsn}/ringkasan" for s in district.schools.values()]
    if viewer != "komite_a":
        urls += ["/kabupaten/35.10/unduh", *(f"/kecamatan/{c}/unduh" for c in KECAMATAN)]
    checked = 0
    for base in urls:
        for year in ("2024/2025", SY, f"{CURRENT}/{CURRENT + 1}"):
            for ext, table in (("csv", ""), ("csv", "&table=categories"), ("csv", "&table=months")):
                response = client.get(f"{base}.{ext}?school_year={year}{table}")
                if response.status_code == 404:  # another school: not this viewer's
                    continue
                body = response.data.decode("utf-8-sig")
                checked += 1
                for secret in SECRETS:
                    assert secret not in body, (base, secret)
            response = client.get(f"{base}.xlsx?school_year={year}")
            if response.status_code == 200:
                body = xlsx_text(response.data)
                checked += 1
                for secret in SECRETS:
                    assert secret not in body, (base, secret)
    assert checked >= 12


def test_the_export_links_on_the_pages(dinas):
    html = dinas.get("/kabupaten/35.10?school_year=2025/2026&jenjang=SMP&sort=helped").text
    assert (
        'href="/kabupaten/35.10/unduh.xlsx?school_year=2025/2026&amp;jenjang=SMP&amp;sort=helped'
        '&amp;dir=desc"' in html
    )
    assert "table=categories" in html
    tables(html)  # well formed enough to parse


# --- each content type once ----------------------------------------------------------------

CSV = "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("viewer", "url", "content_type"),
    [
        ("dinas", "/kabupaten/35.10/unduh.csv", CSV),
        ("dinas", "/kabupaten/35.10/unduh.xlsx", XLSX),
        ("dinas", "/kecamatan/35.10.16/unduh.csv", CSV),
        ("dinas", "/sekolah/20525555/ringkasan.csv", CSV),
        ("komite_a", "/sekolah/20525555/ringkasan.xlsx", XLSX),
        ("komite_a", "/sekolah/20525555/buku-kas.csv", CSV),
        ("dinas", "/api/v1/summary", "application/json"),
        (None, "/manifest.webmanifest", "application/manifest+json"),
        (None, "/sw.js", "text/javascript; charset=utf-8"),
    ],
)
def test_each_download_names_its_content_type_once(client, world, viewer, url, content_type):
    """A CSV once went out as ``text/csv; charset=utf-8; charset=utf-8``."""
    if viewer:
        login(client, viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == [content_type]
