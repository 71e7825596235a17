"""The district's reports through the browser's eyes: numbers that agree with the ledger, no names,
small counts suppressed, the right people only, and no error page for a bad query.

The expected figures are computed here from the ledger's entries with plain Python (contributions,
disbursements and the voids that reverse them, each in the month where it is dated), never from
the running totals that the reports read.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from sas.dates import next_month, report_deadline, school_year_start, today_wib
from sas.extensions import db
from sas.ledger import services as ledger
from sas.ledger.labels import CATEGORY_LABELS
from sas.models import (
    Category,
    Direction,
    Entry,
    EntryKind,
    Jenjang,
    MonthClosing,
    Role,
    School,
    Source,
)
from sas.money import format_rupiah
from tests.conftest import (
    login,
    make_kabupaten,
    make_kecamatan,
    make_recipient,
    make_school,
    make_user,
)

TODAY = today_wib()
CURRENT = school_year_start(TODAY)
SY = "2025/2026"

# Everything personal in the data below: none of it may leave the school.
SECRETS = [
    "Siti Aminah",
    "Budi Santoso",
    "Dewi Lestari",
    "Rina Marlina",
    "Ahmad Fauzi",
    "Nur Aini",
    "Putri Ayu",
    "Rizky Pratama",
    "0098765432",
    "0087654321",
    "Haji Sulaiman",
    "Titipan Bu Rina",
    "Sepatu hitam no. 38",
    "Pulsa untuk Dewi",
    "Salah penerima",
    "Dicatat dua kali",
    "Orang tua buruh tani",
    "Hasil bazar kelas 5",
    "Kuota belajar daring",
    "Beras lima kilo",
]

# --- the data ----------------------------------------------------------------------------------


def contribute(school, amount, user, on, **fields):  # type: ignore[no-untyped-def]
    entry = ledger.record_contribution(
        school,
        amount=amount,
        occurred_on=on,
        source=fields.pop("source", Source.CLASS),
        class_label=fields.pop("class_label", "8A"),
        donor_name=fields.pop("donor_name", None),
        note=fields.pop("note", None),
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=on,
    )
    return entry


def disburse(school, amount, user, recipient, on, category, in_kind=False, description=None):  # type: ignore[no-untyped-def]
    entry = ledger.record_disbursement(
        school,
        amount=amount,
        occurred_on=on,
        recipient=recipient,
        category=category,
        in_kind=in_kind,
        description=description,
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=on,
    )
    return entry


def void(school, entry, user, on, reason="Dicatat dua kali"):  # type: ignore[no-untyped-def]
    return ledger.void_entry(
        school, entry, reason=reason, recorded_by=user, form_key=uuid.uuid4().hex, today=on
    )


def close(school, month, user, on):  # type: ignore[no-untyped-def]
    ledger.close_month(school, month, closed_by=user, today=on)


@dataclass
class District:
    """The world's schools A (SMP) and B (SD), plus C (SD, beside A), D (SMP, 3 helped) and,
    in a second kabupaten (35.09), E; kecamatan 35.10.05 has no school."""

    schools: dict[str, School] = field(default_factory=dict)


def build_district(world, entries: bool = True) -> District:  # type: ignore[no-untyped-def]
    """The places and people; with ``entries`` also the ledger below (about 30 entries)."""
    make_kabupaten("35.09", "Jember")
    make_kecamatan("35.09.01", "Kencong")
    make_kecamatan("35.10.05", "Muncar")
    make_kecamatan("35.10.01", "Pesanggaran")
    make_kecamatan("35.10.09").name = "Genteng"  # the world's factory named it after the town
    a, b = world["a"], world["b"]
    c = make_school("20527777", "35.10.16", name="SD Negeri 5 Penganjuran", jenjang=Jenjang.SD)
    d = make_school("20528888", "35.10.01", name="SMP Negeri 1 Pesanggaran")
    e = make_school("20519999", "35.09.01", name="SMP Negeri 1 Kencong")
    komite_a = world["komite_a"]
    komite_c = make_user("komite_c", Role.COMMITTEE, c)
    komite_d = make_user("komite_d", Role.COMMITTEE, d)
    komite_e = make_user("komite_e", Role.COMMITTEE, e)
    schools = District({"a": a, "b": b, "c": c, "d": d, "e": e})
    if not entries:
        db.session.commit()
        return schools
    siti = world["recipient_a"]
    dewi = make_recipient(a, "Dewi Lestari", nisn="0098765432")

    # School A, across the school-year boundary (30 June / 1 July 2025), with voids.
    contribute(
        a,
        300_000,
        komite_a,
        date(2025, 6, 2),
        source=Source.INDIVIDUAL,
        donor_name="Haji Sulaiman",
        note="Titipan Bu Rina",
    )
    pulsa = disburse(
        a, 10_000, komite_a, dewi, date(2025, 6, 25), Category.KUOTA, description="Pulsa untuk Dewi"
    )
    disburse(
        a,
        40_000,
        komite_a,
        siti,
        date(2025, 6, 30),
        Category.SERAGAM,
        in_kind=True,
        description="Sepatu hitam no. 38",
    )
    contribute(a, 200_000, komite_a, date(2025, 7, 1))
    disburse(a, 25_000, komite_a, dewi, date(2025, 7, 1), Category.UANG_SAKU)
    void(a, pulsa, komite_a, date(2025, 7, 2), reason="Salah penerima")  # 2024/25 -> 2025/26
    close(a, date(2025, 7, 1), komite_a, date(2025, 8, 5))  # on time
    gift = contribute(a, 150_000, komite_a, date(2025, 8, 12))
    shoes = disburse(a, 30_000, komite_a, siti, date(2025, 8, 20), Category.SEPATU, in_kind=True)
    void(a, gift, komite_a, date(2025, 9, 3))
    close(a, date(2025, 8, 1), komite_a, date(2025, 9, 20))  # late
    void(a, shoes, komite_a, date(2025, 10, 15))  # August is closed: the void lands in October
    disburse(a, 50_000, komite_a, siti, date(2026, 2, 10), Category.ALAT_TULIS)

    # School C beside A: one student helped.
    rina = make_recipient(c, "Rina Marlina", nisn="0087654321")
    contribute(c, 100_000, komite_c, date(2025, 9, 1), source=Source.ANONYMOUS)
    disburse(
        c,
        20_000,
        komite_c,
        rina,
        date(2025, 9, 15),
        Category.KUOTA,
        description="Kuota belajar daring",
    )

    # School B (Genteng): one student helped in 2025/26 and one this school year.
    budi = world["recipient_b"]
    contribute(b, 80_000, world["komite_b"], date(2025, 10, 1), note="Hasil bazar kelas 5")
    disburse(
        b,
        15_000,
        world["komite_b"],
        budi,
        date(2025, 11, 5),
        Category.SEMBAKO,
        in_kind=True,
        description="Beras lima kilo",
    )
    disburse(b, 10_000, world["komite_b"], budi, TODAY, Category.SEMBAKO, in_kind=True)

    # School D (Pesanggaran): four helped, one of them voided: three.
    pupils = [
        make_recipient(d, n) for n in ("Ahmad Fauzi", "Nur Aini", "Putri Ayu", "Rizky Pratama")
    ]
    contribute(d, 500_000, komite_d, date(2026, 3, 2))
    gifts = [disburse(d, 20_000, komite_d, p, date(2026, 3, 10), Category.BEASISWA) for p in pupils]
    void(d, gifts[-1], komite_d, date(2026, 3, 20))
    contribute(d, 90_000, komite_d, TODAY)
    for p in pupils[:3]:
        disburse(d, 5_000, komite_d, p, TODAY, Category.TRANSPORT)

    # School E, in another kabupaten.
    contribute(e, 70_000, komite_e, date(2025, 9, 9))
    db.session.commit()  # the services only flush: one commit, as a request would
    return schools


@pytest.fixture
def district(world) -> District:  # type: ignore[no-untyped-def]
    return build_district(world)


@pytest.fixture
def places(world) -> District:  # type: ignore[no-untyped-def]
    """The same schools and accounts with only the world's two entries (cheaper)."""
    return build_district(world, entries=False)


# --- the figures the ledger gives, computed here -----------------------------------------------


@dataclass
class Expected:
    collected: int = 0
    disbursed: int = 0
    in_kind: int = 0
    balance: int = 0
    helped: set = field(default_factory=set)
    active: bool = False
    months: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    categories: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def months_of(year: int, first: date | None = None, last: date | None = None) -> list[date]:
    month, out = first or date(year, 7, 1), []
    while month <= (last or date(year + 1, 6, 1)):
        out.append(month)
        month = next_month(month)
    return out


def expected_for(school: School, months: list[date]) -> Expected:
    """One school's figures for a run of months, from its ledger entries alone."""
    out = Expected()
    first, last = months[0], months[-1]
    end = next_month(last)
    for e in db.session.scalars(select(Entry).where(Entry.school_id == school.id)):
        signed = e.amount if e.direction == Direction.IN else -e.amount
        if e.occurred_on < end:
            out.balance += signed
        month = e.occurred_on.replace(day=1)
        if not first <= month <= last:
            continue
        out.active = True
        reverses = e.voids.kind if e.kind == EntryKind.VOID else None
        sign = -1 if reverses else 1
        if (reverses or e.kind) == EntryKind.CONTRIBUTION:
            out.collected += sign * e.amount
            out.months[month][0] += sign * e.amount
        else:
            in_kind = (e.voids or e).in_kind
            out.disbursed += sign * e.amount
            out.in_kind += sign * e.amount if in_kind else 0
            out.months[month][1] += sign * e.amount
            category = out.categories[(e.voids or e).category]
            category[0] += sign * e.amount
            category[1] += sign * e.amount if in_kind else 0
        if e.kind == EntryKind.DISBURSEMENT and e.voided_by is None:
            out.helped.add(e.recipient_id)
    return out


def on_time(school: School, months: list[date]) -> bool:
    due = [m for m in months if report_deadline(m) < TODAY]
    closed = {
        c.month: c.on_time
        for c in db.session.scalars(select(MonthClosing).where(MonthClosing.school_id == school.id))
    }
    return bool(due) and all(closed.get(m, False) for m in due)


def shown(count: int, suppress: bool = True) -> str:
    return "<3" if suppress and count in (1, 2) else str(count)


@dataclass
class Sum:
    collected: int = 0
    disbursed: int = 0
    balance: int = 0
    helped: int = 0
    schools: int = 0
    active: int = 0
    on_time: int = 0

    def add(self, school: School, months: list[date]) -> Sum:
        x = expected_for(school, months)
        self.collected += x.collected
        self.disbursed += x.disbursed
        self.balance += x.balance
        self.helped += len(x.helped)
        self.schools += 1
        self.active += int(x.active)
        self.on_time += int(on_time(school, months))
        return self

    def cells(self) -> list[str]:
        """As the page shows them: in, out, balance, helped."""
        return [
            format_rupiah(self.collected),
            format_rupiah(self.disbursed),
            format_rupiah(self.balance),
            shown(self.helped),
        ]


def schools_in(kecamatan_code: str, jenjang: Jenjang | None = None) -> list[School]:
    return [
        s
        for s in db.session.scalars(select(School).order_by(School.name))
        if s.kecamatan.code == kecamatan_code and (jenjang is None or s.jenjang == jenjang)
    ]


def expected_kecamatan(code: str, months: list[date], jenjang: Jenjang | None = None) -> Sum:
    total = Sum()
    for school in schools_in(code, jenjang):
        total.add(school, months)
    return total


# --- reading a page ----------------------------------------------------------------------------


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def row(html: str, table: str, first_cell: str) -> list[str]:
    rows = [r for r in tables(html)[table] if r and r[0] == first_cell]
    assert len(rows) == 1, (first_cell, tables(html)[table])
    return rows[0]


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]*)<', html)
    assert match, name
    return unescape(match.group(1))


def query(**params: str) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


@pytest.fixture
def dinas(client, district):  # type: ignore[no-untyped-def]
    login(client, "dinas")
    return client


@pytest.fixture
def dinas_light(client, places):  # type: ignore[no-untyped-def]
    login(client, "dinas")
    return client


# --- (a) the pages agree with the ledger -------------------------------------------------------

FILTERS = [
    pytest.param({"school_year": SY}, id="whole year"),
    pytest.param({"school_year": "2024/2025"}, id="the year before (30 June)"),
    pytest.param({"school_year": SY, "jenjang": "SMP"}, id="jenjang"),
    pytest.param({"school_year": SY, "jenjang": "SD"}, id="jenjang SD"),
    pytest.param({"school_year": SY, "from": "2025-07", "to": "2026-06"}, id="every month"),
    pytest.param({"school_year": SY, "from": "2025-08", "to": "2025-10"}, id="months"),
    pytest.param({"school_year": SY, "from": "2025-07", "to": "2025-07"}, id="1 July"),
    pytest.param(
        {"school_year": SY, "from": "2026-02", "jenjang": "SMP"},
        id="months+jenjang",
    ),
    pytest.param({}, id="default: this school year"),
]


def period_of(params: dict) -> tuple[list[date], Jenjang | None]:
    year = int(params.get("school_year", f"{CURRENT}/")[:4])
    first = date.fromisoformat(params["from"] + "-01") if "from" in params else None
    last = date.fromisoformat(params["to"] + "-01") if "to" in params else None
    jenjang = Jenjang(params["jenjang"]) if "jenjang" in params else None
    return months_of(year, first, last), jenjang


KECAMATAN = {
    "35.10.01": "Pesanggaran",
    "35.10.05": "Muncar",
    "35.10.09": "Genteng",
    "35.10.16": "Banyuwangi",
}


@pytest.mark.parametrize("params", FILTERS)
def test_the_district_page_agrees_with_the_ledger(dinas, params):
    months, jenjang = period_of(params)
    page = dinas.get("/district/35.10" + query(**params))
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
    html = dinas.get("/district/kecamatan/35.10.16" + query(**params)).text
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
    html = client.get(f"/schools/{a.npsn}/summary" + query(**params)).text
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
    html = dinas.get(f"/schools/{a.npsn}/summary?school_year=2025/2026").text
    assert stat(html, "collected") == "Rp200.000"
    assert stat(html, "disbursed") == "Rp65.000"
    assert stat(html, "balance") == "Rp385.000"
    july = row(html, "months", "Jul 2025")
    assert july[1:4] == ["Rp200.000", "Rp15.000", "Rp435.000"]  # 25.000 out, 10.000 back


def test_closed_months_show_on_time_late_and_open(dinas, district):
    html = dinas.get("/district/kecamatan/35.10.16?school_year=2025/2026").text
    strip = row(html, "closings", "SMP Negeri 1 Banyuwangi")
    assert strip[1:4] == ["●", "◐", "○"]  # July on time, August late, September not closed
    assert 'title="Ditutup tepat waktu"' in html and 'title="Ditutup terlambat"' in html
    this_year = dinas.get("/district/kecamatan/35.10.16").text
    assert row(this_year, "closings", "SMP Negeri 1 Banyuwangi")[-1] == "·"  # June: not yet due
    summary = dinas.get("/schools/20525555/summary?school_year=2025/2026").text
    assert row(summary, "months", "Jul 2025")[4].endswith("Ditutup tepat waktu")
    assert row(summary, "months", "Agu 2025")[4].endswith("Ditutup terlambat")
    assert row(summary, "months", "Sep 2025")[4].endswith("Belum ditutup")


def test_the_district_links_down_to_kecamatan_and_schools_with_the_filter(dinas):
    html = dinas.get("/district/35.10?school_year=2025/2026&jenjang=SMP").text
    assert 'href="/district/kecamatan/35.10.16?school_year=2025/2026&amp;jenjang=SMP"' in html
    kecamatan = dinas.get("/district/kecamatan/35.10.16?school_year=2025/2026&jenjang=SMP").text
    assert 'href="/schools/20525555/summary?school_year=2025/2026"' in kecamatan
    assert 'href="/district/35.10?school_year=2025/2026&amp;jenjang=SMP"' in kecamatan  # back
    assert "SD Negeri 5 Penganjuran" not in kecamatan  # not SMP


def test_district_goes_to_the_officers_own_kabupaten(client, district):
    login(client, "dinas")
    assert client.get("/district").headers["Location"] == "/district/35.10"


def test_district_takes_an_admin_to_the_first_kabupaten(client, district):
    login(client, "admin")
    assert client.get("/district").headers["Location"] == "/district/35.09"


def test_an_admin_without_any_kabupaten_gets_a_friendly_page(client, app):
    make_user("admin", Role.ADMIN)
    login(client, "admin")
    response = client.get("/district")
    assert response.status_code == 404
    assert "Belum ada kabupaten" in response.text


def test_the_home_page_of_the_district_links_to_the_report(dinas):
    assert 'href="/district"' in dinas.get("/home").text


# --- sorting -----------------------------------------------------------------------------------


def kecamatan_order(html: str) -> list[str]:
    return [r[0] for r in tables(html)["rows"][1:-1]]


def test_the_table_sorts_by_a_column_both_ways(dinas):
    up = dinas.get("/district/35.10?school_year=2025/2026&sort=collected&dir=asc").text
    down = dinas.get("/district/35.10?school_year=2025/2026&sort=collected&dir=desc").text
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
    html = dinas.get("/district/kecamatan/35.10.16?school_year=2025/2026&sort=helped&dir=desc")
    order = [r[0] for r in tables(html.text)["rows"][1:-1]]
    # A has 2 helped and C has 1: both "<3", so they tie and keep the order of their names
    assert order == sorted(order)
    ascending = dinas.get("/district/kecamatan/35.10.16?school_year=2025/2026&sort=helped&dir=asc")
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
        "/district/35.10",
        "/district/35.10?school_year=2025/2026",
        "/district/35.10?school_year=2024/2025&sort=helped",
        "/district/kecamatan/35.10.16?school_year=2025/2026",
        "/district/kecamatan/35.10.16",
        "/district/kecamatan/35.10.09?school_year=2025/2026",
        "/district/kecamatan/35.10.01?school_year=2025/2026",
        "/schools/20525555/summary?school_year=2025/2026",
        "/schools/20525555/summary?school_year=2024/2025",
        "/schools/20526666/summary?school_year=2025/2026",
        "/schools/20527777/summary?school_year=2025/2026",
        "/schools/20528888/summary",
    ]
    for url, body in bodies_for(dinas, urls).items():
        for secret in SECRETS:
            assert secret not in body, (url, secret)


def test_the_schools_own_summary_has_no_names_either(client, district):
    login(client, "komite_a")
    for params in ("", "?school_year=2025/2026", "?school_year=2024/2025"):
        body = client.get(f"/schools/20525555/summary{params}").text
        for secret in SECRETS:
            assert secret not in body, secret


# --- (c) small counts --------------------------------------------------------------------------


def test_one_or_two_students_show_as_less_than_three(dinas, district):
    html = dinas.get("/district/35.10?school_year=2025/2026").text
    assert row(html, "rows", "Genteng")[4] == "<3"  # 1 student
    assert row(html, "rows", "Pesanggaran")[4] == "3"  # 4 helped, 1 voided
    assert row(html, "rows", "Banyuwangi")[4] == "3"  # A 2 + C 1
    assert row(html, "rows", "Muncar")[4] == "0"  # nobody: 0 is not hidden
    assert "&lt;3" in html  # escaped, shown as "<3"
    kecamatan = dinas.get("/district/kecamatan/35.10.16?school_year=2025/2026").text
    assert row(kecamatan, "rows", "SMP Negeri 1 Banyuwangi")[5] == "<3"  # 2
    assert row(kecamatan, "rows", "SD Negeri 5 Penganjuran")[5] == "<3"  # 1
    assert row(kecamatan, "rows", "Jumlah")[5] == "3"
    smp = dinas.get("/district/35.10?school_year=2025/2026&jenjang=SMP").text
    assert row(smp, "rows", "Banyuwangi")[4] == "<3"
    assert stat(dinas.get("/schools/20525555/summary?school_year=2025/2026").text, "helped") == "<3"


@pytest.mark.parametrize("viewer", ["komite_a", "guru_a"])
def test_the_school_itself_sees_its_real_count(client, district, viewer):
    login(client, viewer)
    html = client.get("/schools/20525555/summary?school_year=2025/2026").text
    assert stat(html, "helped") == "2"
    assert "&lt;3" not in html


def test_admin_sees_suppressed_counts_too(client, district):
    login(client, "admin")
    html = client.get("/schools/20525555/summary?school_year=2025/2026").text
    assert stat(html, "helped") == "<3"


# --- (d) who may open what ---------------------------------------------------------------------

ACTORS = ["anon", "komite_a", "guru_a", "komite_b", "dinas", "admin"]

REPORT = [302, 403, 403, 403, 200, 200]  # a page of the district officer's own kabupaten
OTHER_KABUPATEN = [302, 403, 403, 403, 404, 200]
SUMMARY_A = [302, 200, 200, 404, 200, 200]  # school A's summary
SUMMARY_E = [302, 404, 404, 404, 404, 200]  # a school of another kabupaten

MATRIX = [
    ("/district", [302, 403, 403, 403, 302, 302]),
    ("/district/35.10", REPORT),
    ("/district/35.10?school_year=2025/2026&jenjang=SMP&sort=helped&dir=desc", REPORT),
    ("/district/35.10/export.csv", REPORT),
    ("/district/35.10/export.xlsx?school_year=2025/2026", REPORT),
    ("/district/kecamatan/35.10.16", REPORT),
    ("/district/kecamatan/35.10.16/export.csv", REPORT),
    ("/district/kecamatan/35.10.16/export.xlsx", REPORT),
    ("/district/35.09", OTHER_KABUPATEN),
    ("/district/35.09/export.csv", OTHER_KABUPATEN),
    ("/district/kecamatan/35.09.01", OTHER_KABUPATEN),
    ("/district/kecamatan/35.09.01/export.csv", OTHER_KABUPATEN),
    ("/district/99.99", [302, 403, 403, 403, 404, 404]),
    ("/district/35.10.16", [302, 403, 403, 403, 404, 404]),  # a kecamatan is not a kabupaten
    ("/district/kecamatan/35.10", [302, 403, 403, 403, 404, 404]),
    ("/district/35.10/export.pdf", [404, 404, 404, 404, 404, 404]),
    ("/schools/{a}/summary", SUMMARY_A),
    ("/schools/{a}/summary.csv", SUMMARY_A),
    ("/schools/{a}/summary.csv?table=categories", SUMMARY_A),
    ("/schools/{a}/summary.xlsx", SUMMARY_A),
    ("/schools/{e}/summary", SUMMARY_E),
    ("/schools/{e}/summary.csv", SUMMARY_E),
    ("/schools/99999999/summary", [302, 404, 404, 404, 404, 404]),
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
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("url", ["/district/35.10", "/schools/20525555/summary"])
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
    "url", ["/district/35.10", "/district/kecamatan/35.10.16", "/schools/20525555/summary"]
)
def test_a_bad_parameter_shows_an_error_and_the_default_report(dinas_light, params, field, url):
    dinas = dinas_light
    response = dinas.get(f"{url}?{params}")
    assert response.status_code == 200
    html = response.text
    is_summary = "summary" in url
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
        "/district/35.10/export.csv",
        "/district/kecamatan/35.10.16/export.xlsx",
        "/schools/20525555/summary.csv",
    ],
)
def test_a_bad_parameter_exports_the_default(dinas_light, params, field, url):
    response = dinas_light.get(f"{url}?{params}")
    assert response.status_code == 200
    assert f"-{CURRENT}-{CURRENT + 1}." in response.headers["Content-Disposition"]


def test_an_end_before_the_start_is_dropped(dinas):
    html = dinas.get("/district/35.10?school_year=2025/2026&from=2026-03&to=2025-08").text
    assert "Sampai bulan: Bulan akhir harus sesudah bulan awal." in html
    want = sum(
        expected_kecamatan(c, months_of(2025, date(2026, 3, 1))).collected for c in KECAMATAN
    )
    assert stat(html, "collected") == format_rupiah(want)


def test_the_year_select_offers_years_with_data_and_this_one(dinas):
    html = dinas.get("/district/35.10").text
    years = re.findall(r'<option (?:selected )?value="(\d{4}/\d{4})"', html)
    assert years == [f"{CURRENT}/{CURRENT + 1}", "2025/2026", "2024/2025"]


# --- charts and weight -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/district/35.10?school_year=2025/2026",
        "/district/kecamatan/35.10.16?school_year=2025/2026",
        "/schools/20525555/summary?school_year=2025/2026",
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
    html = dinas.get("/district/kecamatan/35.10.05?school_year=2025/2026").text
    assert "Tidak ada sekolah yang cocok." in html
    assert "Belum ada uang keluar pada periode ini." in html
    assert stat(html, "collected") == "Rp0"


def test_the_english_page(dinas):
    dinas.post("/lang", data={"lang": "en", "next": "/"})
    response = dinas.get("/district/35.10?school_year=2025/2026")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
