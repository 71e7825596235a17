"""The public page at /: the programme's totals for anyone, aggregates only, small counts
suppressed; it can be switched off."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from sas.dates import school_year_start
from sas.extensions import db
from sas.models import Direction, Entry, EntryKind, School
from sas.money import format_rupiah
from tests.conftest import login
from tests.test_district import (
    CURRENT,
    KECAMATAN,
    SECRETS,
    build_district,
    expected_kecamatan,
    months_of,
    row,
    stat,
    tables,
)


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
    assert 'href="/login"' in html
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
    assert "/district" not in html and "/schools/" not in html
    assert "<script" not in html and " style=" not in html
    assert len(html.encode()) < 30_000


def test_the_public_page_can_be_switched_off(app, client, district):
    app.config["PUBLIC_PAGE"] = False
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(("user", "home"), [("komite_a", "/schools/20525555"), ("dinas", "/home")])
def test_people_who_are_logged_in_still_go_home(client, district, user, home):
    login(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_an_empty_database_gets_a_friendly_page(client, app):
    response = client.get("/")
    assert response.status_code == 200
    assert "Belum ada data yang dapat ditampilkan." in response.text
    assert 'href="/login"' in response.text


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
