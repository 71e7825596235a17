"""Monthly closing (tutup buku) and the printable monthly report (laporan bulanan).

Services refuse future dates, so history is built with explicit past dates: M2 is the month
before last, M1 last month, M0 the current month (today, in WIB).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from sas import ledger
from sas.dates import month_bounds, next_month, report_deadline, school_year_start, today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import Category, Direction, Entry, EntryKind, Fund, MonthClosing, Role, Source
from sas.months.services import close_month
from tests.factories import contribute, make_user
from tests.web import login

A = "/sekolah/20525555"
TODAY = today_wib()


def previous(month):
    return (month - timedelta(days=1)).replace(day=1)


M0 = TODAY.replace(day=1)
M1 = previous(M0)
M2 = previous(M1)


def key(month) -> str:
    return month.strftime("%Y-%m")


def name(month) -> str:
    """The month as the pages write it ("November 2026")."""
    return format_date(month, "MMMM y", locale="id")


# --- helpers -------------------------------------------------------------------------------------


def give(world, amount, on, source=Source.CLASS, class_label="8A", donor=None):
    return contribute(
        world["a"],
        amount,
        world["komite_a"],
        on=on,
        source=source,
        class_label=class_label,
        donor_name=donor,
    )


def spend(world, amount, on, category=Category.SEPATU, in_kind=True):
    entry = entries.record_disbursement(
        world["a"],
        amount=amount,
        occurred_on=on,
        recipient=world["recipient_a"],
        category=category,
        in_kind=in_kind,
        description=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return entry


def void(world, entry):
    result = entries.void_entry(
        world["a"],
        entry,
        reason="Salah catat",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return result


def close(school, month, user, today=TODAY):
    closing = close_month(school, month, closed_by=user, today=today)
    db.session.commit()
    return closing


def closings(school) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MonthClosing).where(MonthClosing.school_id == school.id)
    )


def entries_of(school) -> int:
    return db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == school.id))


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts (whitespace collapsed)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rupiah(text: str) -> int:
    """ "Rp12.800" -> 12800, "-Rp5.000" -> -5000."""
    assert re.fullmatch(r"-?Rp[0-9.]+", text), text
    return (-1 if text.startswith("-") else 1) * int(text.lstrip("-")[2:].replace(".", ""))


def list_rows(html: str) -> dict[str, list[str]]:
    """The months list: month name -> [masuk, keluar, saldo akhir, tutup buku]."""
    (table,) = Tables(html).tables
    return {row[0]: row[1:] for row in table[1:]}


def contribution(day, **overrides):
    data = {
        "amount": "25.000",
        "occurred_on": day.isoformat(),
        "source": "class",
        "class_label": "8A",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


def disbursement(world, day):
    return {
        "amount": "20.000",
        "occurred_on": day.isoformat(),
        "recipient_id": world["recipient_a"].id,
        "category": "sepatu",
        "in_kind": "y",
        "form_key": uuid.uuid4().hex,
    }


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


@pytest.fixture
def guru(client, world):
    login(client, "guru_a")
    return client


# --- the months list -----------------------------------------------------------------------------


def test_the_list_shows_this_and_last_school_year_newest_first(komite, world):
    give(world, 40_000, M1.replace(day=2))
    long_ago = date(school_year_start(TODAY) - 3, 9, 15)  # an earlier month with entries
    give(world, 7_000, long_ago)
    page = komite.get(f"{A}/bulan")
    assert page.status_code == 200
    rows = list_rows(page.text)
    shown, month = [], M0
    while month >= date(school_year_start(TODAY) - 1, 7, 1):
        shown.append(month)
        month = previous(month)
    shown.append(long_ago.replace(day=1))
    assert list(rows) == [name(m) for m in shown]
    assert rows[name(M0)][:3] == ["Rp100.000", "Rp0", "Rp147.000"]
    assert rows[name(M1)][:3] == ["Rp40.000", "Rp0", "Rp47.000"]
    assert rows[name(long_ago)][:3] == ["Rp7.000", "Rp0", "Rp7.000"]
    assert "Bulan belum berakhir" in rows[name(M0)][3]
    assert "Belum ditutup" in rows[name(M1)][3]
    for month in shown:  # every month links to its report
        assert f'href="{A}/bulan/{key(month)}"' in page.text
    # closing buttons only for the two school years shown; a long history stays a light page
    assert f'action="{A}/bulan/{key(M1)}/tutup"' in page.text
    assert f'action="{A}/bulan/{key(long_ago)}/tutup"' not in page.text
    assert len(page.data) < 30_000


def test_a_committee_member_closes_a_month_through_the_page(komite, world):
    give(world, 40_000, M1.replace(day=2))
    page = komite.get(f"{A}/bulan")
    assert f'action="{A}/bulan/{key(M1)}/tutup"' in page.text
    assert f'action="{A}/bulan/{key(M0)}/tutup"' not in page.text  # not ended
    # above the table, whose last column a phone shows only when scrolled sideways
    to_close = page.text.split('id="to-close"')[1].split("</section>")[0]
    assert f'action="{A}/bulan/{key(M1)}/tutup"' in to_close
    assert (
        f'action="{A}/bulan/{key(M1)}/tutup"'
        not in page.text.split('id="to-close"')[1].split("</section>")[1]
    )
    explained = f"tidak ada transaksi yang dapat dicatat dengan tanggal di bulan {name(M1)} atau"
    assert explained in page.text

    response = komite.post(f"{A}/bulan/{key(M1)}/tutup")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{A}/bulan"

    closing = db.session.get(MonthClosing, (world["a"].id, M1))
    assert closing.closed_by_id == world["komite_a"].id
    closed_at = closing.closed_at.replace(tzinfo=closing.closed_at.tzinfo or UTC)
    assert abs(datetime.now(UTC) - closed_at) < timedelta(minutes=1)
    assert closing.on_time == (report_deadline(M1) >= TODAY)
    assert db.session.get(Fund, world["a"].id).closed_through == month_bounds(M1)[1]

    listing = komite.get(f"{A}/bulan")
    assert f"Buku bulan {name(M1)} sudah ditutup." in listing.text
    status = list_rows(listing.text)[name(M1)][3]
    assert status.startswith("Ditutup ") and "WIB oleh Komite_A" in status
    assert ("tepat waktu" if closing.on_time else "terlambat") in status
    assert f'action="{A}/bulan/{key(M1)}/tutup"' not in listing.text
    assert f'action="{A}/bulan/{key(M2)}/tutup"' in listing.text  # ended, still open


def test_a_teacher_sees_no_button_and_cannot_close(guru, world):
    page = guru.get(f"{A}/bulan")
    assert page.status_code == 200
    assert "Belum ditutup" in list_rows(page.text)[name(M1)][3]
    assert "/tutup" not in page.text and "Ya, tutup buku" not in page.text
    assert guru.post(f"{A}/bulan/{key(M1)}/tutup").status_code == 403
    assert closings(world["a"]) == 0


@pytest.mark.parametrize("month", [M0, next_month(M0)], ids=["this month", "next month"])
def test_a_month_that_has_not_ended_cannot_be_closed(komite, world, month):
    response = komite.post(f"{A}/bulan/{key(month)}/tutup")
    assert response.status_code == 303
    assert "Bulan ini belum berakhir" in komite.get(f"{A}/bulan").text
    assert closings(world["a"]) == 0
    assert db.session.get(Fund, world["a"].id).closed_through is None


def test_a_month_can_be_closed_from_the_day_after_its_last_day(world):
    last = month_bounds(M1)[1]
    with pytest.raises(ledger.LedgerError, match="belum berakhir"):
        close(world["a"], M1, world["komite_a"], today=last)
    db.session.rollback()
    assert close(world["a"], M1, world["komite_a"], today=last + timedelta(days=1)).on_time


def test_closing_a_month_twice_is_refused(komite, world):
    assert komite.post(f"{A}/bulan/{key(M1)}/tutup").status_code == 303
    first = db.session.get(MonthClosing, (world["a"].id, M1))
    first_at = first.closed_at
    response = komite.post(f"{A}/bulan/{key(M1)}/tutup")
    assert response.status_code == 303
    assert "Bulan ini sudah ditutup." in komite.get(f"{A}/bulan").text
    assert closings(world["a"]) == 1
    db.session.refresh(first)
    assert first.closed_at == first_at

    other = make_user("komite_a2", Role.COMMITTEE, world["a"])
    with pytest.raises(ledger.LedgerError, match="sudah ditutup"):
        close(world["a"], M1, other)
    db.session.rollback()
    assert db.session.get(MonthClosing, (world["a"].id, M1)).closed_by_id == world["komite_a"].id


def test_the_close_button_carries_the_csrf_token(komite, world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert komite.post(f"{A}/bulan/{key(M1)}/tutup").status_code == 400
    assert closings(world["a"]) == 0
    page = komite.get(f"{A}/bulan")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = komite.post(f"{A}/bulan/{key(M1)}/tutup", data={"csrf_token": token})
    assert response.status_code == 303
    assert closings(world["a"]) == 1


# --- what closing freezes ------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["sumbangan", "penyaluran"])
def test_after_closing_the_forms_refuse_the_closed_month_and_any_earlier_date(komite, world, form):
    close(world["a"], M1, world["komite_a"])
    url = f"{A}/{form}/baru"

    def data(day):
        return contribution(day) if form == "sumbangan" else disbursement(world, day)

    for day in (month_bounds(M1)[1], M1, M2.replace(day=15), M2.replace(year=M2.year - 3)):
        response = komite.post(url, data=data(day))
        assert response.status_code == 422, day
        error = response.text.split('id="occurred_on-error">')[1].split("</p>")[0]
        assert "Buku kas sudah ditutup sampai" in error
    assert entries_of(world["a"]) == 1
    give(world, 50_000, M0)  # the first day of the open month is open, also for aid
    for day in (M0, TODAY):
        assert komite.post(url, data=data(day)).status_code == 200, day  # its confirmation
    assert entries_of(world["a"]) == 4


def test_a_closed_months_report_never_changes(komite, world):
    gift = give(world, 60_000, M1.replace(day=4))
    aid = spend(world, 25_000, M1.replace(day=9))
    assert komite.post(f"{A}/bulan/{key(M1)}/tutup").status_code == 303
    url = f"{A}/bulan/{key(M1)}"
    before = komite.get(url)
    assert before.status_code == 200

    for entry in (gift, aid):  # entries of the closed month can still be voided ...
        response = komite.post(
            f"{A}/catatan/{entry.id}/batalkan",
            data={"reason": "Salah catat", "form_key": uuid.uuid4().hex},
        )
        assert response.status_code == 303
        reversal = db.session.scalar(select(Entry).where(Entry.voids_entry_id == entry.id))
        assert reversal.occurred_on == TODAY  # ... and the void lands in the open month
    after_voids = komite.get(url)

    assert komite.post(f"{A}/sumbangan/baru", data=contribution(TODAY)).status_code == 200
    assert komite.post(f"{A}/penyaluran/baru", data=disbursement(world, TODAY)).status_code == 200
    after_new_entries = komite.get(url)

    assert before.data == after_voids.data == after_new_entries.data
    current = komite.get(f"{A}/bulan/{key(M0)}").text
    assert "Koreksi: uang masuk yang dibatalkan" in current  # shown where it happened


def test_closing_by_the_tenth_of_the_next_month_is_on_time(komite, world):
    on_time = close(world["a"], M1, world["komite_a"], today=M0.replace(day=10))
    late = close(world["b"], M1, world["komite_b"], today=M0.replace(day=11))
    assert on_time.on_time is True
    assert late.on_time is False
    december = close(world["a"], date(2025, 12, 1), world["komite_a"], today=date(2026, 1, 10))
    assert december.on_time is True  # the deadline crosses the year

    status = list_rows(komite.get(f"{A}/bulan").text)[name(M1)][3]
    assert "tepat waktu" in status and "terlambat" not in status
    komite.post("/keluar")
    login(komite, "komite_b")
    status = list_rows(komite.get("/sekolah/20526666/bulan").text)[name(M1)][3]
    assert "terlambat" in status and "tepat waktu" not in status


# --- the monthly report --------------------------------------------------------------------------

SOURCE_NAMES = {
    Source.INDIVIDUAL: "Perorangan",
    Source.ANONYMOUS: "Tanpa nama",
    Source.OTHER: "Lainnya",
}
CATEGORY_NAMES = {
    Category.SEPATU: "Sepatu",
    Category.UANG_SAKU: "Uang saku",
    Category.SERAGAM: "Seragam",
}
CORRECTION = "Koreksi: uang masuk yang dibatalkan"


def expected_report(school, month):
    """The report's figures, computed here from the ledger's rows alone."""
    first, last = month_bounds(month)
    rows = db.session.scalars(select(Entry).where(Entry.school_id == school.id)).all()
    opening = sum(
        e.amount if e.direction == Direction.IN else -e.amount
        for e in rows
        if e.occurred_on < first
    )
    income: dict[str, int] = defaultdict(int)
    spending: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in (e for e in rows if first <= e.occurred_on <= last):
        original = e.voids if e.kind == EntryKind.VOID else e
        sign = -1 if e.kind == EntryKind.VOID else 1
        if original.kind == EntryKind.CONTRIBUTION:
            if e.kind == EntryKind.VOID:
                label = CORRECTION
            elif e.source == Source.CLASS:
                label = f"Iuran kelas {e.class_label}"
            else:
                label = SOURCE_NAMES[e.source]
            income[label] += sign * e.amount
        else:
            line = spending[CATEGORY_NAMES[original.category]]
            line[0] += sign * e.amount
            line[1] += sign * e.amount if original.in_kind else 0
    collected = sum(income.values())
    disbursed = sum(amount for amount, _ in spending.values())
    return {
        "opening": opening,
        "income": dict(income),
        "spending": {k: tuple(v) for k, v in spending.items() if any(v)},
        "collected": collected,
        "disbursed": disbursed,
        "closing": opening + collected - disbursed,
    }


def shown_report(html):
    """The same figures as the page shows them."""
    _opening, income, spending, _summary = Tables(html).tables
    cells = dict(re.findall(r'id="(opening|total-in|total-out|closing)">([^<]+)<', html))
    return {
        "opening": rupiah(cells["opening"]),
        "income": {r[0]: rupiah(r[1]) for r in income[1:-1] if len(r) > 1},
        "spending": {r[0]: (rupiah(r[1]), rupiah(r[2])) for r in spending[1:-1] if len(r) > 1},
        "collected": rupiah(cells["total-in"]),
        "disbursed": rupiah(cells["total-out"]),
        "closing": rupiah(cells["closing"]),
    }, [r[0] for r in income[1:-1] if len(r) > 1]


def test_the_report_agrees_with_the_ledger(guru, world):
    """Three months: gifts and aid in M2 and M1, then in M0 a gift and voids of earlier entries."""
    give(world, 30_000, M2.replace(day=5))
    give(world, 20_000, M2.replace(day=5), class_label="7B")
    give(world, 7_000, M2.replace(day=6), class_label="10A")
    give(world, 15_000, M2.replace(day=6), source=Source.INDIVIDUAL, class_label=None, donor="Joko")
    give(world, 5_000, M2.replace(day=7), source=Source.ANONYMOUS, class_label=None)
    spend(world, 25_000, M2.replace(day=20), Category.SEPATU, in_kind=True)
    spend(world, 10_000, M2.replace(day=21), Category.UANG_SAKU, in_kind=False)
    seventh = db.session.scalar(select(Entry).where(Entry.class_label == "7B"))
    give(world, 40_000, M1.replace(day=3))
    give(world, 12_000, M1.replace(day=3), source=Source.OTHER, class_label=None)
    uniform = spend(world, 30_000, M1.replace(day=15), Category.SERAGAM, in_kind=True)
    give(world, 10_000, TODAY, class_label="9A")
    void(world, seventh)  # a gift of M2, voided in M0
    void(world, uniform)  # an aid of M1, voided in M0

    orders = {}
    for month in (M2, M1, M0):
        page = guru.get(f"{A}/bulan/{key(month)}")
        assert page.status_code == 200
        shown, orders[month] = shown_report(page.text)
        want = expected_report(world["a"], month)
        assert shown == want, month
        assert sum(shown["income"].values()) == shown["collected"]
        assert sum(a for a, _ in shown["spending"].values()) == shown["disbursed"]
        assert shown["opening"] + shown["collected"] - shown["disbursed"] == shown["closing"]
        # the months list reads the same numbers
        row = list_rows(guru.get(f"{A}/bulan").text)[name(month)]
        assert [rupiah(v) for v in row[:3]] == [
            want["collected"],
            want["disbursed"],
            want["closing"],
        ]

    assert orders[M2] == [
        "Iuran kelas 7B",
        "Iuran kelas 8A",
        "Iuran kelas 10A",
        "Perorangan",
        "Tanpa nama",
    ]
    assert orders[M0] == ["Iuran kelas 8A", "Iuran kelas 9A", CORRECTION]
    assert shown_report(guru.get(f"{A}/bulan/{key(M0)}").text)[0]["spending"] == {
        "Seragam": (-30_000, -30_000)
    }


def test_the_report_is_a_printable_page_with_signature_lines(guru, world):
    page = guru.get(f"{A}/bulan/{key(M0)}")
    assert page.status_code == 200
    text = page.text
    assert "<form" not in text and "Ctrl+P" not in text
    scripts = re.findall(r"<script[^>]*>", text)
    assert len(scripts) == 1 and APP_JS.fullmatch(scripts[0])  # it prints and shares
    for expected in (
        "SMP Negeri 1 Banyuwangi",
        "<dt>NPSN</dt><dd>20525555</dd>",
        "<dt>Kecamatan</dt><dd>Banyuwangi</dd>",
        f"Laporan Bulanan {name(M0)}",
        "Ketua Tim SAS",
        "Bendahara",
        "Mengetahui, Guru Pembina",
        "Banyuwangi, ____",
        "belum ditutup",
        '<button type="button" class="primary" data-print hidden>Cetak / simpan PDF</button>',
    ):
        assert expected in text, expected
    assert text.count("(______________________)") == 3


APP_JS = re.compile(r'<script src="/static/app[.0-9a-f]*\.js" defer>')
WHATSAPP = "https://wa.me/?text="


def share_link(html: str) -> dict[str, str] | None:
    """The attributes (unescaped) of the page's "Bagikan" link, if it has one."""
    found: list[dict[str, str]] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a" and dict(attrs).get("id") == "share":
                found.append(dict(attrs))

    Links().feed(html)
    return found[0] if found else None


@pytest.mark.parametrize("who", ["komite_a", "guru_a"])
def test_the_report_shares_the_schools_public_page_not_itself(client, world, who):
    give(world, 15_000, M0, source=Source.INDIVIDUAL, class_label=None, donor="Ratna Wulandari")
    spend(world, 10_000, M0)
    login(client, who)
    html = client.get(f"{A}/bulan/{key(M0)}").text
    assert "Ratna Wulandari" not in html  # the report itself has totals (by source) only
    link = share_link(html)
    assert link is not None and link["target"] == "_blank" and link["rel"] == "noopener"
    url = "http://localhost/sekolah/20525555"
    assert link["data-url"] == url and link["data-title"] == "SMP Negeri 1 Banyuwangi"
    assert link["href"].startswith(WHATSAPP)
    assert unquote(link["href"][len(WHATSAPP) :]) == f"{link['data-text']} {url}"
    assert "SMP Negeri 1 Banyuwangi" in link["data-text"]
    assert "Bagikan halaman publik" in html
    # what is shared is public and names nobody
    client.post("/keluar")
    public = client.get("/sekolah/20525555")
    assert public.status_code == 200
    for secret in ("Ratna Wulandari", "Siti Aminah", "Orang tua buruh tani"):
        assert secret not in public.text


def test_the_report_shares_nothing_while_the_public_page_is_off(guru, world, app):
    app.config["PUBLIC_PAGE"] = False
    html = guru.get(f"{A}/bulan/{key(M0)}").text
    assert share_link(html) is None and WHATSAPP not in html
    assert "data-print hidden" in html  # printing stays


def test_the_report_of_a_closed_month_says_who_closed_it(guru, world):
    close(world["a"], M1, world["komite_a"], today=M0.replace(day=12))
    text = guru.get(f"{A}/bulan/{key(M1)}").text
    assert "oleh Komite_A" in text and "(terlambat)" in text and "belum ditutup" not in text


# --- who may do what -----------------------------------------------------------------------------

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]
READ = [302, 200, 404, 200, 404, 403, 403]
WRITE = [302, 303, 404, 403, 403, 403, 403]
NOT_FOUND = [302, 404, 404, 404, 404, 403, 403]
NOT_FOUND_WRITE = [302, 404, 404, 403, 403, 403, 403]

MATRIX = [
    ("GET", "/sekolah/{a}/bulan", READ),
    ("GET", "/sekolah/{a}/bulan/{last}", READ),
    ("GET", "/sekolah/{a}/bulan/{this}", READ),
    ("GET", "/sekolah/{a}/bulan/2011-01", READ),
    ("POST", "/sekolah/{a}/bulan/{last}/tutup", WRITE),
    ("POST", "/sekolah/{a}/bulan/{this}/tutup", WRITE),  # refused with a message, no change
    ("GET", "/sekolah/{a}/bulan/{next}", NOT_FOUND),  # not begun
    ("GET", "/sekolah/{a}/bulan/2010-12", NOT_FOUND),  # before the programme
    ("GET", "/sekolah/{a}/bulan/2026-13", NOT_FOUND),
    ("GET", "/sekolah/{a}/bulan/november", NOT_FOUND),
    ("POST", "/sekolah/{a}/bulan/2026-1/tutup", NOT_FOUND_WRITE),
    ("POST", "/sekolah/{a}/bulan/2026-00/tutup", NOT_FOUND_WRITE),
    ("GET", "/sekolah/99999999/bulan", NOT_FOUND),
    ("GET", "/sekolah/99999999/bulan/{last}", NOT_FOUND),
    ("POST", "/sekolah/99999999/bulan/{last}/tutup", NOT_FOUND_WRITE),
]

CASES = [
    pytest.param(method, url, actor, expected[i], id=f"{method} {url} {actor}")
    for method, url, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


def fill(url: str, world) -> str:
    return url.format(a=world["a"].npsn, last=key(M1), this=key(M0), next=key(next_month(M0)))


@pytest.mark.parametrize(("method", "url", "actor", "expected"), CASES)
def test_role_route_matrix(client, world, method, url, actor, expected):
    if actor != "anon":
        assert login(client, actor).status_code == 303
    response = client.open(fill(url, world), method=method)
    assert response.status_code == expected, response.data[:500]
    if method == "POST" and expected != 303:
        assert closings(world["a"]) == 0


@pytest.mark.parametrize("actor", ["guru_a", "guru_b", "dinas", "admin"])
@pytest.mark.parametrize(
    "url",
    [
        "/sekolah/{a}/bulan/{last}/tutup",
        "/sekolah/{a}/bulan/{this}/tutup",
        "/sekolah/{a}/bulan/garbage/tutup",
        "/sekolah/20526666/bulan/{last}/tutup",
    ],
)
@pytest.mark.parametrize("payload", [{}, {"csrf_token": "x", "month": "=1+1", "y": "z" * 5000}])
def test_only_the_committee_closes_whatever_the_request(client, world, actor, url, payload):
    login(client, actor)
    assert client.post(fill(url, world), data=payload).status_code == 403
    assert closings(world["a"]) == closings(world["b"]) == 0
