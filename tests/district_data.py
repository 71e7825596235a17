"""The district's data, made up for the report tests: the world's schools A and B plus three more
across two kabupaten, with about 30 entries across the school-year boundary (30 June / 1 July
2025), voids and closed months; and the figures the reports must show for it.

The expected figures are computed here from the ledger's entries with plain Python (contributions,
disbursements and the voids that reverse them, each in the month where it is dated), never from
the running totals that the reports read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from sas.dates import next_month, report_deadline, school_year_start, today_wib
from sas.entries import services as entries
from sas.extensions import db
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
from sas.months.services import close_month
from tests import factories
from tests.factories import (
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
    """As of its own day, left uncommitted: the history commits once."""
    return factories.contribute(school, amount, user, on, as_of=on, commit=False, **fields)


def disburse(school, amount, user, recipient, on, category, in_kind=False, description=None):  # type: ignore[no-untyped-def]
    return factories.disburse(
        school,
        amount,
        user,
        recipient,
        on,
        category=category,
        in_kind=in_kind,
        description=description,
        as_of=on,
        commit=False,
    )


def void(school, entry, user, on, reason="Dicatat dua kali"):  # type: ignore[no-untyped-def]
    return entries.void_entry(
        school, entry, reason=reason, recorded_by=user, form_key=uuid.uuid4().hex, today=on
    )


def close(school, month, user, on):  # type: ignore[no-untyped-def]
    close_month(school, month, closed_by=user, today=on)


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


# --- the reports' filters, and the kecamatan of Banyuwangi ---------------------------------------

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
