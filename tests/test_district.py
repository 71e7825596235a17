"""The district's reports through the browser's eyes: numbers that agree with the ledger, no names,
small counts suppressed, the right people only, and no error page for a bad query.

The data, and the expected figures computed from its entries alone, are in tests/district_data.py.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import pytest

from sas.ledger.labels import CATEGORY_LABELS
from sas.models import Role
from sas.money import format_rupiah
from tests.district_data import (
    CURRENT,
    FILTERS,
    KECAMATAN,
    SECRETS,
    District,
    Sum,
    build_district,
    expected_for,
    expected_kecamatan,
    months_of,
    period_of,
    schools_in,
    shown,
)
from tests.factories import make_user
from tests.pages import query, row, stat, tables
from tests.web import login


@pytest.fixture
def district(world) -> District:  # type: ignore[no-untyped-def]
    return build_district(world)


@pytest.fixture
def places(world) -> District:  # type: ignore[no-untyped-def]
    """The same schools and accounts with only the world's two entries (cheaper)."""
    return build_district(world, entries=False)


@pytest.fixture
def dinas(client, district):  # type: ignore[no-untyped-def]
    login(client, "dinas")
    return client


@pytest.fixture
def dinas_light(client, places):  # type: ignore[no-untyped-def]
    login(client, "dinas")
    return client


# --- (a) the pages agree with the ledger -------------------------------------------------------


@pytest.mark.parametrize("params", FILTERS)
def test_the_district_page_agrees_with_the_ledger(dinas, params):
    months, jenjang = period_of(params)
    page = dinas.get("/kabupaten/35.10" + query(**params))
    assert page.status_code == 200
    html = page.text
    total = Sum()
    for code, name in KECAMATAN.items():
        want = expected_kecamatan(code, months, jenjang)
        got = row(html, "rows", name)
        assert got[1:5] == want.cells(), name
        assert got[5:] == [f"{want.active}/{want.schools}", str(want.on_time)], name
        for key in ("collected", "disbursed", "balance", "helped", "schools", "active", "on_time"):
            setattr(total, key, getattr(total, key) + getattr(want, key))
    assert row(html, "rows", "Jumlah")[1:5] == total.cells()
    assert stat(html, "collected") == format_rupiah(total.collected)
    assert stat(html, "disbursed") == format_rupiah(total.disbursed)
    assert stat(html, "balance") == format_rupiah(total.balance)
    assert stat(html, "helped") == shown(total.helped)
    assert stat(html, "active") == f"{total.active} dari {total.schools}"
    assert stat(html, "on-time") == f"{total.on_time} dari {total.schools}"
    assert "Kencong" not in html  # another kabupaten

    # money per month and per need, over every school of the kabupaten
    per_month: dict = defaultdict(lambda: [0, 0])
    per_category: dict = defaultdict(lambda: [0, 0])
    for code in KECAMATAN:
        for school in schools_in(code, jenjang):
            x = expected_for(school, months)
            for m, (i, o) in x.months.items():
                per_month[m][0] += i
                per_month[m][1] += o
            for c, (amount, kind) in x.categories.items():
                per_category[c][0] += amount
                per_category[c][1] += kind
    month_rows = tables(html)["months"][1:]
    assert len(month_rows) == len(months)
    for m, got in zip(months, month_rows, strict=True):
        assert got[1:] == [format_rupiah(per_month[m][0]), format_rupiah(per_month[m][1])], m
    category_rows = {r[0]: r[1:] for r in tables(html).get("categories", [])[1:]}
    want_categories = {
        str(CATEGORY_LABELS[c]): [format_rupiah(a), format_rupiah(k), format_rupiah(a - k)]
        for c, (a, k) in per_category.items()
        if a
    }
    assert category_rows == want_categories


@pytest.mark.parametrize("params", FILTERS)
def test_the_kecamatan_page_agrees_with_the_ledger(dinas, params):
    months, jenjang = period_of(params)
    html = dinas.get("/kecamatan/35.10.16" + query(**params)).text
    total = Sum()
    for school in schools_in("35.10.16", jenjang):
        want = Sum().add(school, months)
        total.add(school, months)
        got = row(html, "rows", school.name)
        assert got[1] == school.jenjang.value
        assert got[2:6] == want.cells(), school.name
        assert got[6:8] == ["ya" if want.active else "tidak", "ya" if want.on_time else "tidak"]
    assert row(html, "rows", "Jumlah")[2:6] == total.cells()
    assert stat(html, "collected") == format_rupiah(total.collected)
    assert stat(html, "helped") == shown(total.helped)
    names = [r[0] for r in tables(html)["rows"][1:-1]]
    assert names == [s.name for s in schools_in("35.10.16", jenjang)] or names == [
        "Tidak ada sekolah yang cocok."
    ]


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("viewer", ["komite_a", "dinas"])
def test_the_school_summary_agrees_with_the_ledger(client, district, viewer, params):
    params = {k: v for k, v in params.items() if k != "jenjang"}  # a school has one jenjang
    months, _ = period_of(params)
    a = district.schools["a"]
    login(client, viewer)
    html = client.get(f"/sekolah/{a.npsn}/ringkasan" + query(**params)).text
    want = expected_for(a, months)
    assert stat(html, "collected") == format_rupiah(want.collected)
    assert stat(html, "disbursed") == format_rupiah(want.disbursed)
    assert stat(html, "balance") == format_rupiah(want.balance)
    assert stat(html, "in-kind") == format_rupiah(want.in_kind)
    assert stat(html, "cash") == format_rupiah(want.disbursed - want.in_kind)
    assert stat(html, "helped") == shown(len(want.helped), suppress=viewer in ("dinas", "admin"))
    rows = tables(html)["months"]
    balance = want.balance - sum(i - o for i, o in want.months.values())
    for m, got in zip(months, rows[1:-1], strict=True):
        i, o = want.months[m]
        balance += i - o
        assert got[1:4] == [format_rupiah(i), format_rupiah(o), format_rupiah(balance)], m
    assert rows[-1][:4] == [
        "Jumlah",
        format_rupiah(want.collected),
        format_rupiah(want.disbursed),
        format_rupiah(want.balance),
    ]
    categories = {r[0]: r[1:] for r in tables(html).get("categories", [])[1:]}
    assert categories == {
        str(CATEGORY_LABELS[c]): [format_rupiah(a), format_rupiah(k), format_rupiah(a - k)]
        for c, (a, k) in want.categories.items()
        if a
    }


def test_the_figures_by_hand(dinas, district):
    """The independent sums above, checked once against numbers worked out on paper."""
    a = district.schools["a"]
    year_2024 = expected_for(a, months_of(2024))
    assert (year_2024.collected, year_2024.disbursed, len(year_2024.helped)) == (300_000, 50_000, 1)
    year_2025 = expected_for(a, months_of(2025))
    # 200.000 in on 1 July; 150.000 given in August and voided in September
    assert year_2025.collected == 200_000
    # 25.000 + 30.000 (voided in October) + 50.000, and the June pulsa voided on 2 July
    assert year_2025.disbursed == 25_000 + 50_000 - 10_000
    assert year_2025.balance == 300_000 - 50_000 + 200_000 - 65_000
    html = dinas.get(f"/sekolah/{a.npsn}/ringkasan?school_year=2025/2026").text
    assert stat(html, "collected") == "Rp200.000"
    assert stat(html, "disbursed") == "Rp65.000"
    assert stat(html, "balance") == "Rp385.000"
    july = row(html, "months", "Jul 2025")
    assert july[1:4] == ["Rp200.000", "Rp15.000", "Rp435.000"]  # 25.000 out, 10.000 back


def test_closed_months_show_on_time_late_and_open(dinas, district):
    html = dinas.get("/kecamatan/35.10.16?school_year=2025/2026").text
    strip = row(html, "closings", "SMP Negeri 1 Banyuwangi")
    assert strip[1:4] == ["●", "◐", "○"]  # July on time, August late, September not closed
    assert 'title="Ditutup tepat waktu"' in html and 'title="Ditutup terlambat"' in html
    this_year = dinas.get("/kecamatan/35.10.16").text
    assert row(this_year, "closings", "SMP Negeri 1 Banyuwangi")[-1] == "·"  # June: not yet due
    summary = dinas.get("/sekolah/20525555/ringkasan?school_year=2025/2026").text
    assert row(summary, "months", "Jul 2025")[4].endswith("Ditutup tepat waktu")
    assert row(summary, "months", "Agu 2025")[4].endswith("Ditutup terlambat")
    assert row(summary, "months", "Sep 2025")[4].endswith("Belum ditutup")


def test_the_district_links_down_to_kecamatan_and_schools_with_the_filter(dinas):
    html = dinas.get("/kabupaten/35.10?school_year=2025/2026&jenjang=SMP").text
    assert 'href="/kecamatan/35.10.16?school_year=2025/2026&amp;jenjang=SMP"' in html
    kecamatan = dinas.get("/kecamatan/35.10.16?school_year=2025/2026&jenjang=SMP").text
    assert 'href="/sekolah/20525555/ringkasan?school_year=2025/2026"' in kecamatan
    assert 'href="/kabupaten/35.10?school_year=2025/2026&amp;jenjang=SMP"' in kecamatan  # back
    assert "SD Negeri 5 Penganjuran" not in kecamatan  # not SMP


def test_district_goes_to_the_officers_own_kabupaten(client, district):
    login(client, "dinas")
    assert client.get("/dinas").headers["Location"] == "/kabupaten/35.10"


def test_district_takes_an_admin_to_the_first_kabupaten(client, district):
    login(client, "admin")
    assert client.get("/dinas").headers["Location"] == "/kabupaten/35.09"


def test_an_admin_without_any_kabupaten_gets_a_friendly_page(client, app):
    make_user("admin", Role.ADMIN)
    login(client, "admin")
    response = client.get("/dinas")
    assert response.status_code == 404
    assert "Belum ada kabupaten" in response.text


def test_the_home_page_of_the_district_links_to_the_report(dinas):
    assert 'href="/dinas"' in dinas.get("/beranda").text


# --- sorting -----------------------------------------------------------------------------------


def kecamatan_order(html: str) -> list[str]:
    return [r[0] for r in tables(html)["rows"][1:-1]]


def test_the_table_sorts_by_a_column_both_ways(dinas):
    up = dinas.get("/kabupaten/35.10?school_year=2025/2026&sort=collected&dir=asc").text
    down = dinas.get("/kabupaten/35.10?school_year=2025/2026&sort=collected&dir=desc").text
    money = {
        name: expected_kecamatan(code, months_of(2025)).collected
        for code, name in KECAMATAN.items()
    }
    assert kecamatan_order(up) == sorted(money, key=lambda n: (money[n], n))
    assert kecamatan_order(down)[0] == max(money, key=money.get)
    # the header links: the active column turns around, the others start high
    assert 'aria-sort="descending"' in down
    assert "sort=collected&amp;dir=asc" in down and "sort=balance&amp;dir=desc" in down
    # the filter form keeps the order
    assert '<input type="hidden" name="sort" value="collected">' in down


def test_sorting_by_students_does_not_tell_one_from_two(dinas, district):
    """Genteng (1) and a kecamatan with 2 must tie: sorted by name, whatever the direction."""
    html = dinas.get("/kecamatan/35.10.16?school_year=2025/2026&sort=helped&dir=desc")
    order = [r[0] for r in tables(html.text)["rows"][1:-1]]
    # A has 2 helped and C has 1: both "<3", so they tie and keep the order of their names
    assert order == sorted(order)
    ascending = dinas.get("/kecamatan/35.10.16?school_year=2025/2026&sort=helped&dir=asc")
    assert [r[0] for r in tables(ascending.text)["rows"][1:-1]] == order


# --- (b) numbers only --------------------------------------------------------------------------


def bodies_for(client, urls: list[str]) -> dict[str, str]:
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = response.text
    return out


def test_no_name_nisn_note_or_description_on_any_district_page(dinas, district):
    urls = [
        "/kabupaten/35.10",
        "/kabupaten/35.10?school_year=2025/2026",
        "/kabupaten/35.10?school_year=2024/2025&sort=helped",
        "/kecamatan/35.10.16?school_year=2025/2026",
        "/kecamatan/35.10.16",
        "/kecamatan/35.10.09?school_year=2025/2026",
        "/kecamatan/35.10.01?school_year=2025/2026",
        "/sekolah/20525555/ringkasan?school_year=2025/2026",
        "/sekolah/20525555/ringkasan?school_year=2024/2025",
        "/sekolah/20526666/ringkasan?school_year=2025/2026",
        "/sekolah/20527777/ringkasan?school_year=2025/2026",
        "/sekolah/20528888/ringkasan",
    ]
    for url, body in bodies_for(dinas, urls).items():
        for secret in SECRETS:
            assert secret not in body, (url, secret)


def test_the_schools_own_summary_has_no_names_either(client, district):
    login(client, "komite_a")
    for params in ("", "?school_year=2025/2026", "?school_year=2024/2025"):
        body = client.get(f"/sekolah/20525555/ringkasan{params}").text
        for secret in SECRETS:
            assert secret not in body, secret


# --- (c) small counts --------------------------------------------------------------------------


def test_one_or_two_students_show_as_less_than_three(dinas, district):
    html = dinas.get("/kabupaten/35.10?school_year=2025/2026").text
    assert row(html, "rows", "Genteng")[4] == "<3"  # 1 student
    assert row(html, "rows", "Pesanggaran")[4] == "3"  # 4 helped, 1 voided
    assert row(html, "rows", "Banyuwangi")[4] == "3"  # A 2 + C 1
    assert row(html, "rows", "Muncar")[4] == "0"  # nobody: 0 is not hidden
    assert "&lt;3" in html  # escaped, shown as "<3"
    kecamatan = dinas.get("/kecamatan/35.10.16?school_year=2025/2026").text
    assert row(kecamatan, "rows", "SMP Negeri 1 Banyuwangi")[5] == "<3"  # 2
    assert row(kecamatan, "rows", "SD Negeri 5 Penganjuran")[5] == "<3"  # 1
    assert row(kecamatan, "rows", "Jumlah")[5] == "3"
    smp = dinas.get("/kabupaten/35.10?school_year=2025/2026&jenjang=SMP").text
    assert row(smp, "rows", "Banyuwangi")[4] == "<3"
    assert (
        stat(dinas.get("/sekolah/20525555/ringkasan?school_year=2025/2026").text, "helped") == "<3"
    )


@pytest.mark.parametrize("viewer", ["komite_a", "guru_a"])
def test_the_school_itself_sees_its_real_count(client, district, viewer):
    login(client, viewer)
    html = client.get("/sekolah/20525555/ringkasan?school_year=2025/2026").text
    assert stat(html, "helped") == "2"
    assert "&lt;3" not in html


def test_admin_sees_suppressed_counts_too(client, district):
    login(client, "admin")
    html = client.get("/sekolah/20525555/ringkasan?school_year=2025/2026").text
    assert stat(html, "helped") == "<3"


# --- (d) who may open what ---------------------------------------------------------------------

ACTORS = ["anon", "komite_a", "guru_a", "komite_b", "dinas", "admin"]

REPORT = [302, 403, 403, 403, 200, 200]  # a page of the district officer's own kabupaten
OTHER_KABUPATEN = [302, 403, 403, 403, 404, 200]
SUMMARY_A = [302, 200, 200, 404, 200, 200]  # school A's summary
SUMMARY_E = [302, 404, 404, 404, 404, 200]  # a school of another kabupaten

MATRIX = [
    ("/dinas", [302, 403, 403, 403, 302, 302]),
    ("/kabupaten/35.10", REPORT),
    ("/kabupaten/35.10?school_year=2025/2026&jenjang=SMP&sort=helped&dir=desc", REPORT),
    ("/kabupaten/35.10/unduh.csv", REPORT),
    ("/kabupaten/35.10/unduh.xlsx?school_year=2025/2026", REPORT),
    ("/kecamatan/35.10.16", REPORT),
    ("/kecamatan/35.10.16/unduh.csv", REPORT),
    ("/kecamatan/35.10.16/unduh.xlsx", REPORT),
    ("/kabupaten/35.09", OTHER_KABUPATEN),
    ("/kabupaten/35.09/unduh.csv", OTHER_KABUPATEN),
    ("/kecamatan/35.09.01", OTHER_KABUPATEN),
    ("/kecamatan/35.09.01/unduh.csv", OTHER_KABUPATEN),
    ("/kabupaten/99.99", [302, 403, 403, 403, 404, 404]),
    ("/kabupaten/35.10.16", [302, 403, 403, 403, 404, 404]),  # a kecamatan is not a kabupaten
    ("/kecamatan/35.10", [302, 403, 403, 403, 404, 404]),
    ("/kabupaten/35.10/unduh.pdf", [404, 404, 404, 404, 404, 404]),
    ("/sekolah/{a}/ringkasan", SUMMARY_A),
    ("/sekolah/{a}/ringkasan.csv", SUMMARY_A),
    ("/sekolah/{a}/ringkasan.csv?table=categories", SUMMARY_A),
    ("/sekolah/{a}/ringkasan.xlsx", SUMMARY_A),
    ("/sekolah/{e}/ringkasan", SUMMARY_E),
    ("/sekolah/{e}/ringkasan.csv", SUMMARY_E),
    ("/sekolah/99999999/ringkasan", [302, 404, 404, 404, 404, 404]),
]

CASES = [
    pytest.param(url, actor, expected[i], id=f"{url} {actor}")
    for url, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


@pytest.mark.parametrize(("url", "actor", "expected"), CASES)
def test_role_route_matrix(client, places, url, actor, expected):
    url = url.format(a=places.schools["a"].npsn, e=places.schools["e"].npsn)
    if actor != "anon":
        assert login(client, actor).status_code == 303
    response = client.get(url)
    assert response.status_code == expected, response.data[:300]
    if expected == 302 and actor == "anon":
        assert response.headers["Location"].startswith("/masuk?next=")


@pytest.mark.parametrize("url", ["/kabupaten/35.10", "/sekolah/20525555/ringkasan"])
def test_reports_change_nothing_and_take_no_post(client, places, url):
    login(client, "admin")
    assert client.post(url).status_code == 405


# --- (f) a bad query never breaks a page -------------------------------------------------------

BAD = [
    ("school_year=2025", "Tahun ajaran"),
    ("school_year=2025/2027", "Tahun ajaran"),
    ("school_year=1999/2000", "Tahun ajaran"),
    ("school_year=%3Cscript%3E", "Tahun ajaran"),
    ("from=2025-13", "Dari bulan"),
    ("from=2020-08", "Dari bulan"),  # outside the school year
    ("to=juni", "Sampai bulan"),
    ("jenjang=XYZ", "Jenjang"),
    ("sort=evil", "Urutan"),
    ("dir=sideways", "Arah urutan"),
    ("sort=balance&dir=sideways", "Arah urutan"),
    ("school_year=2025&from=2025-13&to=2026-99&jenjang=XYZ&sort=evil&dir=sideways", "Jenjang"),
    ("school_year=" + "9" * 5000, "Tahun ajaran"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
@pytest.mark.parametrize(
    "url", ["/kabupaten/35.10", "/kecamatan/35.10.16", "/sekolah/20525555/ringkasan"]
)
def test_a_bad_parameter_shows_an_error_and_the_default_report(dinas_light, params, field, url):
    dinas = dinas_light
    response = dinas.get(f"{url}?{params}")
    assert response.status_code == 200
    html = response.text
    is_summary = "ringkasan" in url
    if not (is_summary and field in ("Jenjang", "Urutan", "Arah urutan")):
        assert f'<p class="error" role="alert">{field}: ' in html
    default = dinas.get(url).text
    for name in ("collected", "disbursed", "balance", "helped"):
        assert stat(html, name) == stat(default, name), name
    assert f'<option selected value="{CURRENT}/{CURRENT + 1}">' in html
    assert "<script>" not in html  # the bad value is never shown as markup


@pytest.mark.parametrize(("params", "field"), BAD)
@pytest.mark.parametrize(
    "url",
    [
        "/kabupaten/35.10/unduh.csv",
        "/kecamatan/35.10.16/unduh.xlsx",
        "/sekolah/20525555/ringkasan.csv",
    ],
)
def test_a_bad_parameter_exports_the_default(dinas_light, params, field, url):
    response = dinas_light.get(f"{url}?{params}")
    assert response.status_code == 200
    assert f"-{CURRENT}-{CURRENT + 1}." in response.headers["Content-Disposition"]


def test_an_end_before_the_start_is_dropped(dinas):
    html = dinas.get("/kabupaten/35.10?school_year=2025/2026&from=2026-03&to=2025-08").text
    assert "Sampai bulan: Bulan akhir harus sesudah bulan awal." in html
    want = sum(
        expected_kecamatan(c, months_of(2025, date(2026, 3, 1))).collected for c in KECAMATAN
    )
    assert stat(html, "collected") == format_rupiah(want)


def test_the_year_select_offers_years_with_data_and_this_one(dinas):
    html = dinas.get("/kabupaten/35.10").text
    years = re.findall(r'<option (?:selected )?value="(\d{4}/\d{4})"', html)
    assert years == [f"{CURRENT}/{CURRENT + 1}", "2025/2026", "2024/2025"]


# --- charts and weight -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/kabupaten/35.10?school_year=2025/2026",
        "/kecamatan/35.10.16?school_year=2025/2026",
        "/sekolah/20525555/ringkasan?school_year=2025/2026",
    ],
)
def test_charts_are_inline_svg_with_a_text_alternative_and_the_page_is_light(dinas, url):
    response = dinas.get(url)
    html = response.text
    charts = re.findall(r"<svg[^>]*>", html)
    assert len(charts) == 2
    for svg in charts:
        assert 'role="img"' in svg and 'aria-label="' in svg and 'viewBox="0 0 ' in svg
        assert 'width="100%"' in svg
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # only scripts from files
    assert 'id="months"' in html and 'id="categories"' in html  # the same numbers, as tables
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert len(response.data) < 30_000


def test_an_empty_kecamatan_and_period_still_render(dinas):
    html = dinas.get("/kecamatan/35.10.05?school_year=2025/2026").text
    assert "Tidak ada sekolah yang cocok." in html
    assert "Belum ada uang keluar pada periode ini." in html
    assert stat(html, "collected") == "Rp0"


def test_the_english_page(dinas):
    dinas.post("/bahasa", data={"lang": "en", "next": "/"})
    response = dinas.get("/kabupaten/35.10?school_year=2025/2026")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
