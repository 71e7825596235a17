"""The public page at /: the programme's totals for anyone, aggregates only, small counts
suppressed; it can be switched off. The same for one school's page (/sekolah/<npsn>) and the
search that leads to it (/sekolah?q=)."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from sas.dates import report_deadline, school_year_start
from sas.extensions import db
from sas.models import Category, Direction, Entry, EntryKind, School, Source
from sas.money import format_rupiah
from sas.transfers.moving import transfer
from tests.district_data import (
    CURRENT,
    KECAMATAN,
    SECRETS,
    TODAY,
    build_district,
    expected_kecamatan,
    months_of,
)
from tests.district_data import close as district_close
from tests.district_data import contribute as district_contribute
from tests.district_data import disburse as district_disburse
from tests.district_data import void as district_void
from tests.factories import make_kabupaten, make_recipient, make_school
from tests.pages import row, stat, tables
from tests.web import assert_security_headers, login

# a page under a school's own path is signed-in only (its public page is /sekolah/<npsn> itself)
PRIVATE_SCHOOL_PAGE = re.compile(r"/sekolah/[^/\"'?#\s]+/")


@pytest.fixture
def district(app, world):  # type: ignore[no-untyped-def]
    """The district data, with the public page on Banyuwangi (35.09 Jember would come first)."""
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    return build_district(world)


def all_time(kabupaten: str) -> dict[str, int]:
    """Every school year of a kabupaten's schools, from the ledger entries alone."""
    collected = disbursed = 0
    helped: dict[tuple, set] = defaultdict(set)
    active = set()
    for school in db.session.scalars(select(School)):
        if school.kecamatan.parent.code != kabupaten:
            continue
        for e in db.session.scalars(select(Entry).where(Entry.school_id == school.id)):
            active.add(school.id)
            kind = e.voids.kind if e.kind == EntryKind.VOID else e.kind
            sign = -1 if e.kind == EntryKind.VOID else 1
            if kind == EntryKind.CONTRIBUTION:
                collected += sign * e.amount
            else:
                disbursed += sign * e.amount
            if e.kind == EntryKind.DISBURSEMENT and e.voided_by is None:
                helped[(school.id, school_year_start(e.occurred_on))].add(e.recipient_id)
            assert e.direction in (Direction.IN, Direction.OUT)
    return {
        "collected": collected,
        "disbursed": disbursed,
        "helped": sum(len(s) for s in helped.values()),
        "schools": len(active),
    }


def test_visitors_see_the_totals_without_logging_in(client, district):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    want = all_time("35.10")
    assert want["helped"] == 12  # worked out on paper: A 1+2, C 1, B 1+1, D 3+3
    this_year = {code: expected_kecamatan(code, months_of(CURRENT)) for code in KECAMATAN}
    year_total = {
        k: sum(getattr(s, k) for s in this_year.values())
        for k in ("collected", "disbursed", "helped", "active")
    }
    assert stat(html, "all-collected") == format_rupiah(want["collected"])
    assert stat(html, "year-collected") == format_rupiah(year_total["collected"])
    assert stat(html, "all-disbursed") == format_rupiah(want["disbursed"])
    assert stat(html, "year-disbursed") == format_rupiah(year_total["disbursed"])
    assert stat(html, "all-helped") == "12"
    assert stat(html, "year-helped") == str(year_total["helped"])
    assert stat(html, "all-schools") == str(want["schools"])
    assert stat(html, "year-schools") == str(year_total["active"])
    for code, name in KECAMATAN.items():
        figures = this_year[code]
        assert row(html, "rows", name)[1:] == [
            format_rupiah(figures.collected),
            format_rupiah(figures.disbursed),
            "<3" if figures.helped in (1, 2) else str(figures.helped),
            str(figures.active),
        ]
    assert f"Tahun ajaran {CURRENT}/{CURRENT + 1}" in html
    assert 'href="/masuk"' in html
    assert "Kencong" not in html and "Jember" not in html  # another kabupaten


def test_small_counts_are_suppressed_on_the_public_page(client, district):
    html = client.get("/").text
    assert row(html, "rows", "Genteng")[3] == "<3"  # one student this school year
    assert row(html, "rows", "Pesanggaran")[3] == "3"
    assert row(html, "rows", "Muncar")[3] == "0"


def test_the_public_page_shows_no_names_and_no_way_in(client, district):
    html = client.get("/").text
    for secret in SECRETS:
        assert secret not in html, secret
    for school in district.schools.values():
        assert school.name not in html and school.npsn not in html  # aggregates only
    assert "/dinas" not in html and not PRIVATE_SCHOOL_PAGE.search(html)
    assert "<script" not in html and " style=" not in html
    assert len(html.encode()) < 30_000


def test_the_public_page_can_be_switched_off(app, client, district):
    app.config["PUBLIC_PAGE"] = False
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/masuk"


@pytest.mark.parametrize(
    ("user", "home"), [("komite_a", "/sekolah/20525555/beranda"), ("dinas", "/beranda")]
)
def test_people_who_are_logged_in_still_go_home(client, district, user, home):
    login(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_an_empty_database_gets_a_friendly_page(client, app):
    response = client.get("/")
    assert response.status_code == 200
    assert "Belum ada data yang dapat ditampilkan." in response.text
    assert 'href="/masuk"' in response.text


def test_the_kabupaten_can_be_chosen(app, client, district):
    app.config["PUBLIC_KABUPATEN"] = "35.09"
    html = client.get("/").text
    assert "Kabupaten Jember" in html
    assert stat(html, "all-collected") == "Rp70.000"
    assert [r[0] for r in tables(html)["rows"][1:-1]] == ["Kencong"]
    app.config["PUBLIC_KABUPATEN"] = "35.99"  # a code that does not exist shows nothing
    assert "Belum ada data yang dapat ditampilkan." in client.get("/").text


def test_the_first_kabupaten_by_code_is_the_default(app, client, district):
    app.config["PUBLIC_KABUPATEN"] = None
    assert "Kabupaten Jember" in client.get("/").text  # 35.09 comes before 35.10


# --- a public page per school: /sekolah/<npsn> and the search /sekolah?q= ---------------------

# Everything personal or per class in the entries below: none of it may reach the public.
SCHOOL_SECRETS = [
    "Kartika Sekarwangi",  # recipients
    "Bagus Wiratama",
    "0012398765",  # a NISN
    "Haji Darmawan Wicaksono",  # a donor
    "9C Melati",  # class labels
    "7F Anggrek",
    "Titipan Ibu Kartini Larasati",  # notes and descriptions
    "Sepatu merah ukuran 37",
    "Buku tulis bergaris",
    "Salah ketik nominal",
    "Yatim piatu sejak kemarau",
]


@pytest.fixture
def school_a(app, world):  # type: ignore[no-untyped-def]
    """School A (already Rp100.000 in today, class 8A) with entries last school year and this
    one: this year Rp350.000 in (a void nets out), Rp50.000 out, 2 students; all time
    Rp750.000 in, Rp110.000 out, 1 + 2 students."""
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    a, komite = world["a"], world["komite_a"]
    kartika = make_recipient(
        a, "Kartika Sekarwangi", class_label="7F Anggrek", reason="Yatim piatu sejak kemarau"
    )
    bagus = make_recipient(a, "Bagus Wiratama", nisn="0012398765")
    last_year = date(CURRENT - 1, 9, 1)
    district_contribute(
        a,
        400_000,
        komite,
        last_year,
        source=Source.INDIVIDUAL,
        donor_name="Haji Darmawan Wicaksono",
        note="Titipan Ibu Kartini Larasati",
    )
    district_disburse(
        a, 60_000, komite, kartika, last_year, Category.SEPATU, description="Sepatu merah ukuran 37"
    )
    district_contribute(a, 250_000, komite, TODAY, class_label="9C Melati")
    district_disburse(
        a, 30_000, komite, kartika, TODAY, Category.ALAT_TULIS, description="Buku tulis bergaris"
    )
    district_disburse(a, 20_000, komite, bagus, TODAY, Category.UANG_SAKU, in_kind=True)
    wrong = district_contribute(a, 70_000, komite, TODAY, class_label="9C Melati")
    district_void(a, wrong, komite, TODAY, reason="Salah ketik nominal")
    db.session.commit()
    return a


def test_a_school_page_shows_its_totals_this_year_and_all_time(client, school_a):
    response = client.get("/sekolah/20525555")
    assert response.status_code == 200
    html = response.text
    assert "<h1>SMP Negeri 1 Banyuwangi</h1>" in html
    assert "SMP · Negeri · Kecamatan Banyuwangi · NPSN 20525555" in html
    assert f"Tahun ajaran {CURRENT}/{CURRENT + 1}" in html and "Sepanjang program" in html
    assert stat(html, "year-in") == "Rp350.000"
    assert stat(html, "year-out") == "Rp50.000"
    assert stat(html, "year-helped") == "<3"  # two students
    assert stat(html, "all-in") == "Rp750.000"
    assert stat(html, "all-out") == "Rp110.000"
    assert stat(html, "all-helped") == "3"  # one last school year, two this one
    months = tables(html)["months"]
    assert months[0] == ["Bulan", "Uang masuk", "Uang keluar", "Tutup buku"]
    assert len(months) == 1 + len(months_of(CURRENT, last=TODAY.replace(day=1)))  # up to now
    assert months[-1][1:3] == ["Rp350.000", "Rp50.000"]  # this month holds all of this year
    assert all(m[1:3] == ["Rp0", "Rp0"] for m in months[1:-1])
    assert html.count('class="bar-in"') == 12 + 1  # the chart: the whole school year, a legend
    assert "transferred" not in html  # no transfers: no line for them


def test_the_school_page_shows_no_names_classes_or_descriptions(client, school_a):
    html = client.get("/sekolah/20525555").text
    for secret in [*SCHOOL_SECRETS, "Siti Aminah", "Orang tua buruh tani", "Seragam", "Sepatu"]:
        assert secret not in html, secret
    assert not PRIVATE_SCHOOL_PAGE.search(html) and "kuitansi" not in html.lower()
    assert "<script" not in html.split("</head>", 1)[1] and " style=" not in html
    assert len(html.encode()) < 20_000


@pytest.mark.parametrize(("students", "shown"), [(1, "<3"), (2, "<3"), (3, "3")])
def test_students_helped_are_suppressed_below_three(client, app, world, students, shown):
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    a = world["a"]
    pupils = [world["recipient_a"]] + [make_recipient(a, f"Anak {n}") for n in range(2)]
    for pupil in pupils[:students]:
        district_disburse(a, 10_000, world["komite_a"], pupil, TODAY, Category.TRANSPORT)
    db.session.commit()
    html = client.get("/sekolah/20525555").text
    assert stat(html, "year-helped") == shown
    assert stat(html, "all-helped") == shown


def test_closed_months_show_on_the_school_page(client, school_a, world):
    if report_deadline(date(CURRENT, 8, 1)) >= TODAY:
        pytest.skip("August of this school year is not due yet")
    district_close(school_a, date(CURRENT, 7, 1), world["komite_a"], TODAY)
    db.session.commit()
    months = tables(client.get("/sekolah/20525555").text)["months"]
    assert months[1][3] == "Sudah"  # July, closed
    assert months[2][3] == "Belum"  # August, due and open
    assert months[-1][3] == "–"  # this month is not due yet


def test_transfers_between_schools_are_a_line_of_their_own(client, app, world):
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    transfer(
        world["a"],
        world["b"],
        amount=40_000,
        occurred_on=TODAY,
        request=None,
        note="Untuk seragam kelas 4 (titipan)",  # a name is refused: tests/test_names.py
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    giver = client.get("/sekolah/20525555").text
    assert stat(giver, "year-in") == "Rp100.000" and stat(giver, "year-out") == "Rp0"
    assert stat(giver, "year-transferred-out") == "Rp40.000"
    assert stat(giver, "all-transferred-in") == "Rp0"
    assert "titipan" not in giver  # notes stay with the two schools
    receiver = client.get("/sekolah/20526666").text
    assert stat(receiver, "year-in") == "Rp50.000"
    assert stat(receiver, "year-transferred-in") == "Rp40.000"


@pytest.mark.parametrize("npsn", ["99999999", "20519999", "20527777", "2052555", "2052555a", "x"])
def test_unknown_inactive_foreign_or_malformed_schools_answer_404(client, app, world, npsn):
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    make_kabupaten("35.09", "Jember")
    make_school("20519999", "35.09.01", name="SMP Negeri 1 Kencong")
    make_school("20527777", "35.10.16", name="SD Negeri 5 Penganjuran", active=False)
    assert client.get(f"/sekolah/{npsn}").status_code == 404


def test_the_school_pages_follow_the_public_page_switch(client, app, world):
    app.config["PUBLIC_PAGE"] = False
    assert client.get("/sekolah/20525555").status_code == 404
    assert client.get("/sekolah?q=Negeri").status_code == 404
    app.config["PUBLIC_KABUPATEN"] = "35.99"  # switched on, but no such kabupaten
    app.config["PUBLIC_PAGE"] = True
    assert client.get("/sekolah/20525555").status_code == 404


@pytest.mark.parametrize("user", ["komite_b", "guru_a", "dinas", "admin"])
def test_signed_in_people_can_open_a_school_page_too(client, school_a, user):
    assert login(client, user).status_code == 303
    response = client.get("/sekolah/20525555")
    assert response.status_code == 200
    assert stat(response.text, "year-in") == "Rp350.000"
    assert client.get("/sekolah?q=genteng").status_code == 200


def test_the_school_pages_carry_the_security_headers(client, school_a):
    assert_security_headers(client.get("/sekolah/20525555"), public=True)
    assert_security_headers(client.get("/sekolah?q=negeri"), public=True)
    assert_security_headers(client.get("/sekolah/00000000"))


def found(client, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    html = client.get("/sekolah", query_string={"q": q}).text
    return re.findall(r'<li><a href="/sekolah/([0-9A-Z]{8})">', html)


@pytest.fixture
def searchable(app, world):  # type: ignore[no-untyped-def]
    app.config["PUBLIC_KABUPATEN"] = "35.10"
    make_kabupaten("35.09", "Jember")
    make_school("20519999", "35.09.01", name="SMP Negeri 1 Kencong")
    make_school("20527777", "35.10.16", name="SMP Negeri 9 Banyuwangi", active=False)
    make_school("20528881", "35.10.16", name="SD 100% Ceria")
    make_school("20528882", "35.10.16", name="SD Bina_Insani")
    make_school("P9876543", "35.10.16", name="MI Darul Ulum")


def test_search_finds_by_part_of_the_name_any_case(client, searchable):
    assert found(client, "negeri 1 banyu") == ["20525555"]
    assert found(client, "  GENTENG ") == ["20526666"]
    assert found(client, "Negeri") == ["20526666", "20525555"]  # by name; not Kencong, not 9


def test_search_finds_by_npsn_or_part_of_it(client, searchable):
    assert found(client, "20525555") == ["20525555"]
    assert found(client, "p98765") == ["P9876543"]
    assert found(client, "2052888") == ["20528881", "20528882"]


def test_search_escapes_like_wildcards(client, searchable):
    assert found(client, "%") == ["20528881"]
    assert found(client, "_") == ["20528882"]
    assert found(client, "Bina_") == ["20528882"]
    assert found(client, "0%") == ["20528881"]


def test_search_lists_only_active_schools_of_the_kabupaten(client, searchable):
    assert found(client, "Kencong") == [] and found(client, "20519999") == []
    assert found(client, "Negeri 9") == [] and found(client, "20527777") == []
    html = client.get("/sekolah?q=Kencong").text
    assert 'Tidak ada sekolah yang cocok dengan "Kencong".' in html
    html = client.get("/sekolah", query_string={"q": '<b>"x'}).text
    assert "<b>" not in html and "&lt;b&gt;&#34;x" in html  # the query comes back escaped


def test_a_blank_search_lists_nothing_but_a_hint(client, searchable):
    for url in ("/sekolah", "/sekolah?q=", "/sekolah?q=++"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'id="found"' not in response.text
        assert "Ketik sebagian nama sekolah atau NPSN-nya." in response.text


def test_search_lists_at_most_twenty(client, searchable):
    for n in range(22):
        make_school(f"2053{n:04d}", "35.10.16", name=f"SD Contoh {n:02d}")
    html = client.get("/sekolah?q=contoh").text
    assert found(client, "contoh") == [f"2053{n:04d}" for n in range(20)]
    assert 'id="more"' in html
    assert 'id="more"' not in client.get("/sekolah?q=Genteng").text


def test_the_public_page_links_to_the_search(client, district):
    html = client.get("/").text
    assert '<form method="get" action="/sekolah"' in html and 'name="q"' in html
    assert "Cari sekolah" in html
