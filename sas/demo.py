"""The Banyuwangi demo: 25 kecamatan, ~40 schools, needy students and two school years of entries.

It lets the app be shown and tried without real (and sensitive) children's data. ``flask sas demo``
calls ``load_demo`` on an empty database and commits. Entries are inserted in bulk rather than
through the ledger services one by one (that would take minutes), so this module keeps every ledger
rule itself: positive whole Rupiah, per-school ``seq`` in recording order (which is date order), no
date in the future, and a running balance that never goes below zero. Everything is drawn from
``random.Random(seed)``: one seed and one ``today`` always give the same demo.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert

from sas.dates import PROGRAMME_START, WIB, school_year_label_on, school_year_start, today_wib
from sas.extensions import db
from sas.ledger import InsufficientBalance, LedgerError, ensure_fund, totals
from sas.ledger.book import Loader, write_loaded
from sas.models import (
    Category,
    Direction,
    EntryKind,
    Fund,
    Jenjang,
    MonthClosing,
    Recipient,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolClass,
    SchoolStatus,
    Source,
    User,
)
from sas.money import format_rupiah
from sas.transfers.moving import transfer
from sas.transfers.services import post_request

DEMO_PASSWORD = "sas-demo-2026"  # noqa: S105 - published with the demo, never in production

KECAMATAN = {
    "01": "Pesanggaran", "02": "Bangorejo", "03": "Purwoharjo", "04": "Tegaldlimo",
    "05": "Muncar", "06": "Cluring", "07": "Gambiran", "08": "Srono", "09": "Genteng",
    "10": "Glenmore", "11": "Kalibaru", "12": "Singojuruh", "13": "Rogojampi", "14": "Kabat",
    "15": "Glagah", "16": "Banyuwangi", "17": "Giri", "18": "Wongsorejo", "19": "Songgon",
    "20": "Sempu", "21": "Kalipuro", "22": "Siliragung", "23": "Tegalsari", "24": "Licin",
    "25": "Blimbingsari",
}  # fmt: skip

N, S = SchoolStatus.NEGERI, SchoolStatus.SWASTA
# (kecamatan, jenjang, status, name); the first two get the komite1/guru1 and komite2/guru2 logins.
SCHOOLS: tuple[tuple[str, Jenjang, SchoolStatus, str], ...] = (
    ("16", Jenjang.SMP, N, "SMP Negeri 1 Banyuwangi"),
    ("09", Jenjang.SD, N, "SD Negeri 3 Genteng"),
    ("01", Jenjang.SD, N, "SD Negeri 1 Pesanggaran"),
    ("02", Jenjang.SD, N, "SD Negeri 4 Bangorejo"),
    ("03", Jenjang.SD, N, "SD Negeri 2 Purwoharjo"),
    ("04", Jenjang.SD, N, "SD Negeri 1 Tegaldlimo"),
    ("05", Jenjang.SD, N, "SD Negeri 5 Muncar"),
    ("07", Jenjang.SD, N, "SD Negeri 3 Gambiran"),
    ("10", Jenjang.SD, N, "SD Negeri 1 Glenmore"),
    ("11", Jenjang.SD, N, "SD Negeri 2 Kalibaru Wetan"),
    ("12", Jenjang.SD, N, "SD Negeri 1 Singojuruh"),
    ("14", Jenjang.SD, N, "SD Negeri 2 Kabat"),
    ("18", Jenjang.SD, N, "SD Negeri 3 Bajulmati"),
    ("19", Jenjang.SD, N, "SD Negeri 1 Songgon"),
    ("20", Jenjang.SD, N, "SD Negeri 2 Sempu"),
    ("21", Jenjang.SD, N, "SD Negeri 1 Ketapang"),
    ("22", Jenjang.SD, N, "SD Negeri 2 Siliragung"),
    ("23", Jenjang.SD, N, "SD Negeri 1 Tegalsari"),
    ("24", Jenjang.SD, N, "SD Negeri 1 Licin"),
    ("25", Jenjang.SD, N, "SD Negeri 3 Blimbingsari"),
    ("09", Jenjang.SD, S, "SD Muhammadiyah 1 Genteng"),
    ("13", Jenjang.MI, N, "MI Negeri 1 Banyuwangi"),
    ("08", Jenjang.MI, S, "MI Al-Ikhlas Srono"),
    ("06", Jenjang.MI, S, "MI Nurul Huda Cluring"),
    ("11", Jenjang.MI, S, "MI Miftahul Ulum Kalibaru"),
    ("13", Jenjang.SMP, N, "SMP Negeri 1 Rogojampi"),
    ("09", Jenjang.SMP, N, "SMP Negeri 2 Genteng"),
    ("05", Jenjang.SMP, N, "SMP Negeri 1 Muncar"),
    ("01", Jenjang.SMP, N, "SMP Negeri 1 Pesanggaran"),
    ("17", Jenjang.SMP, S, "SMP PGRI 1 Giri"),
    ("16", Jenjang.MTS, N, "MTs Negeri 2 Banyuwangi"),
    ("02", Jenjang.MTS, N, "MTs Negeri 5 Banyuwangi"),
    ("23", Jenjang.MTS, S, "MTs Darussalam Blokagung"),
    ("09", Jenjang.SMA, N, "SMA Negeri 1 Genteng"),
    ("15", Jenjang.SMA, N, "SMA Negeri 1 Glagah"),
    ("17", Jenjang.SMK, N, "SMK Negeri 1 Banyuwangi"),
    ("08", Jenjang.SMK, S, "SMK Swasta PGRI Srono"),
    ("03", Jenjang.SMK, N, "SMK Negeri 1 Purwoharjo"),
    ("20", Jenjang.MA, N, "MA Negeri 1 Banyuwangi"),
    ("16", Jenjang.SLB, N, "SLB Negeri Banyuwangi"),
)

BOYS = (
    "Ahmad", "Muhammad", "Rizky", "Bagus", "Dimas", "Fajar", "Agus", "Eko", "Bayu", "Yoga",
    "Aditya", "Rendi", "Wahyu", "Ilham", "Fikri", "Galih", "Arif", "Andika", "Satria", "Taufik",
)  # fmt: skip
GIRLS = (
    "Siti", "Nur", "Dewi", "Putri", "Ayu", "Rina", "Anisa", "Fitri", "Wulan", "Indah", "Tika",
    "Nabila", "Zahra", "Aulia", "Intan", "Rahma", "Dinda", "Salsabila", "Nadia", "Laila",
)  # fmt: skip
BOY_NAMES = (
    "Pratama", "Saputra", "Setiawan", "Hidayat", "Kurniawan", "Maulana", "Ramadhan", "Hakim",
    "Firmansyah", "Wijaya", "Susanto", "Prasetyo", "Fauzi", "Nugroho", "Santoso", "Efendi",
)  # fmt: skip
GIRL_NAMES = (
    "Aminah", "Rahayu", "Lestari", "Wahyuni", "Nurhaliza", "Fauziah", "Safitri", "Anggraini",
    "Handayani", "Puspitasari", "Permatasari", "Maharani", "Oktaviani", "Kusuma", "Azizah",
)  # fmt: skip
REASONS = (
    "Yatim", "Piatu", "Yatim piatu", "Orang tua buruh tani", "Orang tua buruh tani",
    "Orang tua nelayan", "Orang tua buruh perkebunan", "Orang tua pekerja serabutan",
    "Ayah sakit, tidak bekerja", "Rumah terdampak banjir", "Tinggal bersama nenek",
    "Orang tua bercerai, ikut ibu", "Rumah jauh dari sekolah",
)  # fmt: skip
DONORS = (
    "Bapak Slamet Riyadi", "Ibu Sri Wahyuni", "H. Abdul Rohman", "Hj. Siti Maryam",
    "Bapak Joko Susilo", "Ibu Endang Purwati", "Alumni angkatan 2009", "Alumni angkatan 2015",
    "Paguyuban wali murid kelas 6", "Ibu kantin sekolah", "Keluarga Bapak Sugeng",
)  # fmt: skip
DONOR_NOTES = (
    None,
    None,
    None,
    "Syukuran kelahiran anak",
    "Syukuran kenaikan kelas",
    "Infak Jumat",
)
OTHER_NOTES = (
    "Hasil kotak amal Jumat", "Hasil bank sampah sekolah", "Hasil bazar pentas seni",
    "Sisa uang kas kegiatan Pramuka",
)  # fmt: skip
IDUL_FITRI = {
    2011: date(2011, 8, 31), 2012: date(2012, 8, 19), 2013: date(2013, 8, 8),
    2014: date(2014, 7, 28), 2015: date(2015, 7, 17), 2016: date(2016, 7, 6),
    2017: date(2017, 6, 25), 2018: date(2018, 6, 15), 2019: date(2019, 6, 5),
    2020: date(2020, 5, 24), 2021: date(2021, 5, 13), 2022: date(2022, 5, 2),
    2023: date(2023, 4, 22), 2024: date(2024, 4, 10), 2025: date(2025, 3, 31),
    2026: date(2026, 3, 20), 2027: date(2027, 3, 10), 2028: date(2028, 2, 27),
    2029: date(2029, 2, 14), 2030: date(2030, 2, 5),
}  # fmt: skip
MONTHS = ("", "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")  # fmt: skip
UNIFORM = {
    Jenjang.SD: "merah putih", Jenjang.MI: "madrasah", Jenjang.SMP: "putih biru",
    Jenjang.MTS: "madrasah", Jenjang.SMA: "putih abu-abu", Jenjang.SMK: "praktik",
    Jenjang.MA: "madrasah", Jenjang.SLB: "sekolah",
}  # fmt: skip
# What a class gives in a week (lowest, highest, rounded to), by jenjang.
CLASS_GIFT = {
    Jenjang.SD: (15_000, 60_000, 500), Jenjang.MI: (15_000, 55_000, 500),
    Jenjang.SMP: (20_000, 90_000, 1_000), Jenjang.MTS: (20_000, 80_000, 1_000),
    Jenjang.SMA: (30_000, 120_000, 1_000), Jenjang.SMK: (30_000, 110_000, 1_000),
    Jenjang.MA: (25_000, 100_000, 1_000), Jenjang.SLB: (10_000, 35_000, 500),
}  # fmt: skip
# How many classes per grade (rombongan belajar), by jenjang; SLB has one per grade.
PARALLELS = {Jenjang.SD: (1, 2, 2, 3), Jenjang.MI: (1, 2), Jenjang.MA: (2,), Jenjang.SLB: (1,)}
PARALLELS |= {Jenjang.SMP: (2, 3, 4, 8), Jenjang.MTS: (2, 3, 4)}  # SMP Negeri 1: 7A-9H
TARGET_CLASS_ENTRIES = 17_000  # class-weeks beyond this are thinned: giving is voluntary
# Every row names every column, so the bulk insert sends them in a few large batches.
BLANK = dict.fromkeys(
    ("source", "class_label", "donor_name", "note", "recipient_id", "category", "in_kind",
     "description", "reason", "approved_by_id")
)  # fmt: skip
SHRINKABLE = (Category.UANG_SAKU, Category.TRANSPORT, Category.KUOTA, Category.BEASISWA)


def is_school_day(day: date) -> bool:
    """Monday to Saturday outside the long holidays (end of semester, end of year, Lebaran)."""
    month, dom = day.month, day.day
    if day.weekday() == 6 or (month, dom) >= (12, 20) or (month, dom) <= (1, 4):
        return False
    if (6, 20) <= (month, dom) <= (7, 12):
        return False
    fitri = IDUL_FITRI.get(day.year)
    return fitri is None or abs((day - fitri).days) > 7


def next_school_day(day: date) -> date:
    while not is_school_day(day):
        day += timedelta(days=1)
    return day


def class_labels(jenjang: Jenjang, parallels: int) -> list[str]:
    if jenjang in (Jenjang.SD, Jenjang.MI):
        return [f"{g}{p}" for g in range(1, 7) for p in "ABC"[:parallels]]
    if jenjang in (Jenjang.SMP, Jenjang.MTS):
        return [f"{g}{p}" for g in range(7, 10) for p in "ABCDEFGH"[:parallels]]
    if jenjang == Jenjang.SMK:
        return [
            f"{g} {m}" for g in range(10, 13) for m in ("TKJ", "AKL", "TKR", "TBSM")[:parallels]
        ]
    if jenjang == Jenjang.SLB:
        return [f"SDLB {g}" for g in range(1, 7)] + [f"SMPLB {g}" for g in range(7, 10)]
    return [f"{g}-{p}" for g in range(10, 13) for p in range(1, parallels + 1)]


def grade(class_label: str) -> int:
    """``"7B"`` -> 7, ``"10 TKJ"`` -> 10; 0 for labels that do not start with the grade."""
    digits = re.match(r"\d+", class_label)
    return int(digits.group()) if digits else 0


def rounded(amount: float, step: int) -> int:
    return max(step, round(amount / step) * step)


@dataclass
class Book:
    """One school's cash book, written in date order from a queue of planned events through
    the ledger kernel's loader (its rules, in memory; one INSERT at the end)."""

    rng: random.Random
    recorder_id: int
    loader: Loader
    _queue: list[tuple[date, int, int, Callable[..., None], dict[str, Any]]] = field(
        default_factory=list
    )
    _order: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def today(self) -> date:
        return self.loader.today

    @property
    def balance(self) -> int:
        return self.loader.balance

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.loader.rows

    def plan(self, on: date, phase: int, action: Callable[..., None], **payload: Any) -> None:
        """Queue an event; in a day contributions (0) go before disbursements (1), then voids."""
        if on <= self.today:
            heapq.heappush(self._queue, (on, phase, next(self._order), action, payload))

    def run(self) -> None:
        while self._queue:
            on, phase, _, action, payload = heapq.heappop(self._queue)
            action(on, phase, **payload)

    def append(self, on: date, **fields: Any) -> dict[str, Any]:
        same_day = sum(1 for r in self.rows[-30:] if r["occurred_on"] == on)
        return self.loader.append(
            **(BLANK | fields),
            occurred_on=on,
            recorded_at=datetime.combine(on, time(13, 0), WIB).astimezone(UTC)
            + timedelta(minutes=3 * same_day),
            recorded_by_id=self.recorder_id,
            form_key=uuid.UUID(int=self.rng.getrandbits(128), version=4).hex,
        )

    # --- actions ---------------------------------------------------------------------------

    def contribute(self, on: date, phase: int, **fields: Any) -> None:
        rng = self.rng
        typo = fields["source"] == Source.CLASS and rng.random() < 0.002
        if typo:  # one zero too many, corrected the same afternoon
            real = fields["amount"]
            fields = fields | {"amount": real * 10}
        row = self.append(on, kind=EntryKind.CONTRIBUTION, direction=Direction.IN, **fields)
        if typo:
            self.plan(
                on,
                phase,
                self.void,
                original=row,
                reason="Salah ketik jumlah (kelebihan angka nol)",
            )
            self.plan(on, phase, self.contribute, **(fields | {"amount": real}))
        elif rng.random() < 0.0015:  # the same envelope entered twice, found a few days later
            twin = self.append(on, kind=EntryKind.CONTRIBUTION, direction=Direction.IN, **fields)
            found = next_school_day(on + timedelta(days=rng.randint(0, 6)))
            self.plan(found, 0, self.void, original=twin, reason="Tercatat dua kali")

    def disburse(
        self, on: date, phase: int, tries: int = 0, others: tuple[int, ...] = (), **fields: Any
    ) -> None:
        amount = fields["amount"]
        if amount > self.balance:
            if fields["category"] in SHRINKABLE and self.balance >= 20_000:
                amount = self.balance // 5_000 * 5_000
            elif tries < 4:  # wait for the fund to grow
                later = next_school_day(on + timedelta(days=7))
                self.plan(later, phase, self.disburse, tries=tries + 1, others=others, **fields)
                return
            else:  # never affordable: the committee finds other help
                return
        fields = fields | {"amount": amount}
        row = self.append(on, kind=EntryKind.DISBURSEMENT, direction=Direction.OUT, **fields)
        if others and self.rng.random() < 0.004:  # given to the wrong child in the book
            later = min(self.today, next_school_day(on + timedelta(days=self.rng.randint(0, 3))))
            self.plan(later, 2, self.void, original=row, reason="Salah pilih penerima")
            right = fields | {"recipient_id": self.rng.choice(others)}
            self.plan(later, 3, self.disburse, **right)

    def void(self, on: date, phase: int, original: dict[str, Any], reason: str) -> None:
        try:
            self.append(
                on,
                kind=EntryKind.VOID,
                direction=Direction.OUT if original["direction"] == Direction.IN else Direction.IN,
                amount=original["amount"],
                category=original["category"],
                in_kind=original["in_kind"],
                reason=reason,
                voids_form_key=original["form_key"],
            )
        except InsufficientBalance:
            return  # already spent: the committee leaves it


def school_days(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if is_school_day(start + timedelta(days=i))
    ]


def plan_contributions(
    book: Book, school: School, classes: list[str], start: date, participation: float
) -> None:
    rng, today = book.rng, book.today
    low, high, step = CLASS_GIFT[school.jenjang]
    usual = {label: rng.uniform(low, high * 0.85) for label in classes}
    opening = rounded(rng.uniform(300_000, 2_500_000), 500)
    note = f"Saldo awal tahun ajaran {school_year_label_on(start)}, pindahan dari buku kas lama"
    book.plan(start, 0, book.contribute, amount=opening, source=Source.OTHER, note=note)
    weekday = rng.choice((4, 4, 4, 0, 5))  # most schools collect on Friday
    monday = start - timedelta(days=start.weekday())
    while monday <= today:
        day = monday + timedelta(days=weekday)
        if start <= day and is_school_day(day):
            for label in classes:
                if rng.random() < participation:
                    gift = min(high, max(low, usual[label] * rng.uniform(0.7, 1.3)))
                    amount = rounded(gift, step)
                    book.plan(
                        day,
                        0,
                        book.contribute,
                        amount=amount,
                        source=Source.CLASS,
                        class_label=label,
                    )
        extra = monday + timedelta(days=rng.randint(0, 5))
        if start <= extra and is_school_day(extra):
            chance = rng.random()
            if chance < 0.06:  # a parent, an alumnus, a teacher
                donor = {"donor_name": rng.choice(DONORS), "note": rng.choice(DONOR_NOTES)}
                amount = rounded(rng.uniform(50_000, 750_000), 25_000)
                book.plan(
                    extra, 0, book.contribute, amount=amount, source=Source.INDIVIDUAL, **donor
                )
            elif chance < 0.10:  # no name is kept at all
                amount = rounded(rng.uniform(20_000, 500_000), 10_000)
                book.plan(extra, 0, book.contribute, amount=amount, source=Source.ANONYMOUS)
            elif chance < 0.13:
                amount = rounded(rng.uniform(30_000, 300_000), 500)
                note = rng.choice(OTHER_NOTES)
                book.plan(extra, 0, book.contribute, amount=amount, source=Source.OTHER, note=note)
        monday += timedelta(days=7)


# (category, chance per child and school year, lowest, highest, rounded to, in kind, description,
#  when: "start" of the year, "genap" start of the second semester, "any" school day, "rainy"
#  season, "ramadan" before Lebaran)
ITEMS = (
    (Category.SERAGAM, 0.55, 150_000, 250_000, 5_000, True, "Seragam {uniform}", "start"),
    (Category.SEPATU, 0.4, 100_000, 200_000, 5_000, True, "Sepatu sekolah hitam", "start"),
    (Category.TAS, 0.3, 75_000, 150_000, 5_000, True, "Tas sekolah", "start"),
    (Category.ALAT_TULIS, 0.5, 25_000, 75_000, 1_000, True, "Buku tulis dan alat tulis", "start"),
    (Category.SERAGAM, 0.3, 90_000, 150_000, 5_000, True, "Seragam batik dan pramuka", "genap"),
    (Category.SEPATU, 0.2, 100_000, 200_000, 5_000, True, "Sepatu sekolah hitam", "genap"),
    (Category.ALAT_TULIS, 0.5, 25_000, 75_000, 1_000, True, "Buku tulis semester genap", "genap"),
    (Category.SEPEDA, 0.07, 700_000, 1_200_000, 50_000, True, "Sepeda ke sekolah", "any"),
    (Category.KACAMATA, 0.05, 225_000, 300_000, 5_000, True, "Kacamata minus", "any"),
    (Category.KUOTA, 0.12, 25_000, 50_000, 5_000, True, "Paket data untuk belajar", "any"),
    (Category.BEASISWA, 0.08, 100_000, 300_000, 25_000, False, "Beasiswa prestasi", "any"),
    (Category.LAINNYA, 0.04, 20_000, 100_000, 5_000, False, "Biaya fotokopi modul", "any"),
    (Category.MUSIBAH, 0.03, 100_000, 500_000, 50_000, False, "Rumah terdampak banjir", "rainy"),
    (Category.SEMBAKO, 0.4, 75_000, 150_000, 5_000, True, "Paket sembako Ramadan", "ramadan"),
)


def plan_disbursements(
    book: Book, school: School, recipients: list[Recipient], start: date
) -> None:
    rng, today = book.rng, book.today
    current = school_year_start(today)
    for year in range(school_year_start(start), current + 1):
        days = school_days(max(start, date(year, 7, 1)), min(today, date(year + 1, 6, 30)))
        if not days:
            continue
        fitri = IDUL_FITRI.get(year + 1, date.max)
        when = {
            "start": [d for d in days if d < date(year, 9, 1)] or days[:20],
            "genap": [d for d in days if date(year + 1, 1, 1) <= d < date(year + 1, 2, 1)],
            "any": days,
            "rainy": [d for d in days if d.month in (11, 12, 1, 2, 3)],
            "ramadan": [d for d in days if 8 <= (fitri - d).days <= 20],
        }
        paydays: dict[tuple[int, int], date] = {}
        for d in days:
            if d.day >= 5 and (d.month >= 8 or d.month <= 5):
                paydays.setdefault((d.year, d.month), d)
        # children no longer on the list (moved away, finished school) got help in earlier years;
        # those now in the first grade (1, 7, 10) were not at this school before
        if year < current:
            children = [r for r in recipients if grade(r.class_label) not in (1, 7, 10)]
        else:
            children = [r for r in recipients if r.active]
        for child in children:
            others = tuple(r.id for r in children if r is not child)

            planned = {"recipient_id": child.id, "others": others}
            for category, chance, low, high, step, in_kind, text, period in ITEMS:
                if category == Category.KUOTA and school.jenjang in (Jenjang.SD, Jenjang.MI):
                    continue
                if when[period] and rng.random() < chance:
                    amount = rounded(rng.uniform(low, high), step)
                    text = text.format(uniform=UNIFORM[school.jenjang])
                    book.plan(
                        rng.choice(when[period]),
                        1,
                        book.disburse,
                        category=category,
                        amount=amount,
                        in_kind=in_kind,
                        description=text,
                        **planned,
                    )
            if rng.random() < 0.75:  # a small monthly aid in cash, from August to May
                category = rng.choice((Category.UANG_SAKU, Category.TRANSPORT))
                what = "Uang saku" if category == Category.UANG_SAKU else "Ongkos angkutan"
                monthly = rounded(rng.uniform(20_000, 50_000), 5_000)
                for on in paydays.values():
                    text = f"{what} {MONTHS[on.month]} {on.year}"
                    book.plan(
                        on,
                        1,
                        book.disburse,
                        category=category,
                        amount=monthly,
                        in_kind=False,
                        description=text,
                        **planned,
                    )


def load_demo(seed: int = 2011, today: date | None = None) -> str:
    """Add the demo to an empty database (flushes, never commits); return a one-line summary."""
    rng = random.Random(seed)
    today = today or today_wib()
    start = max(PROGRAMME_START, date(school_year_start(today) - 1, 7, 1))

    kabupaten = Region(code="35.10", name="Banyuwangi", level=RegionLevel.KABUPATEN)
    db.session.add(kabupaten)
    db.session.flush()
    kecamatan = {
        code: Region(
            code=f"35.10.{code}", name=name, level=RegionLevel.KECAMATAN, parent_id=kabupaten.id
        )
        for code, name in KECAMATAN.items()
    }
    db.session.add_all(kecamatan.values())
    db.session.flush()

    npsns = iter(rng.sample(range(10_000), len(SCHOOLS)))
    schools = [
        School(
            npsn=f"{2052 if jenjang in (Jenjang.SD, Jenjang.SMP) else 2053}{next(npsns):04d}",
            name=name,
            jenjang=jenjang,
            status=status,
            kecamatan_id=kecamatan[kec].id,
        )
        for kec, jenjang, status, name in SCHOOLS
    ]
    db.session.add_all(schools)
    db.session.flush()
    funds = [ensure_fund(school) for school in schools]

    admin = User(username="admin", display_name="Admin SAS", role=Role.ADMIN)
    admin.set_password(DEMO_PASSWORD)  # scrypt is slow: hash once, share it with every demo account
    accounts = [
        admin,
        User(
            username="dinas",
            display_name="Dinas Pendidikan Banyuwangi",
            role=Role.DISTRICT,
            region_id=kabupaten.id,
        ),
        *(
            User(
                username=f"guru{i + 1}",
                display_name=f"Guru pembina {school.name}",
                role=Role.TEACHER,
                school_id=school.id,
            )
            for i, school in enumerate(schools[:2])
        ),
    ]
    recorders = [
        User(
            username=f"komite{i + 1}" if i < 2 else f"komite-{school.npsn}",
            display_name=f"Tim SAS {school.name}",
            role=Role.COMMITTEE,
            school_id=school.id,
        )
        for i, school in enumerate(schools)
    ]
    for user in accounts[1:] + recorders:
        user.password_hash = admin.password_hash
    db.session.add_all(accounts + recorders)

    recipients: dict[int, list[Recipient]] = {}
    classes: dict[int, list[str]] = {}
    created = datetime.combine(start, time(9, 0), WIB).astimezone(UTC)
    for i, school in enumerate(schools):
        parallels = PARALLELS.get(school.jenjang, (2, 3, 4))
        # the two schools with named logins are big ones, so there is plenty to look at
        chosen = max(parallels) if i < 2 else rng.choice(parallels)
        classes[school.id] = class_labels(school.jenjang, chosen)
        db.session.add_all(SchoolClass(school_id=school.id, label=c) for c in classes[school.id])
        # a bigger school has more needy children (and more money to help them)
        wanted = min(15, max(4, round(len(classes[school.id]) * rng.uniform(0.6, 1.3))))
        names: set[str] = set()
        while len(names) < wanted:
            boy = rng.random() < 0.5
            first = rng.choice(BOYS if boy else GIRLS)
            names.add(f"{first} {rng.choice(BOY_NAMES if boy else GIRL_NAMES)}")
        recipients[school.id] = [
            Recipient(
                school_id=school.id,
                name=name,
                class_label=rng.choice(classes[school.id]),
                nisn=f"00{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.6 else None,
                reason=rng.choice(REASONS),
                active=rng.random() > 0.1,
                created_at=created,
            )
            for name in sorted(names)
        ]
        db.session.add_all(recipients[school.id])
    db.session.flush()

    weeks = len(school_days(start, today)) / 6
    participation = min(
        0.95, TARGET_CLASS_ENTRIES / max(1.0, weeks * sum(map(len, classes.values())))
    )
    books = []
    for school, recorder in zip(schools, recorders, strict=True):
        book = Book(rng, recorder.id, Loader(school.id, today))
        plan_contributions(book, school, classes[school.id], start, participation)
        plan_disbursements(book, school, recipients[school.id], start)
        book.run()
        books.append(book)

    written = write_loaded([book.loader for book in books], funds)
    closings = close_past_months(rng, schools, funds, recorders, books, start, today)
    totals.rebuild()  # from the entries and the closings just written
    requests, moved = help_between_schools(schools, recorders, today)

    users = len(accounts) + len(recorders)
    children = sum(map(len, recipients.values()))
    entries = written + 2 * moved
    total = sum(b.balance for b in books)
    return (
        f"demo loaded: {len(kecamatan) + 1} regions, {len(schools)} schools, {users} users, "
        f"{children} recipients, {entries} entries, {closings} closed months, "
        f"{requests} requests for help, {moved} transfers between schools, "
        f"total balance {format_rupiah(total)}"
    )


def close_past_months(
    rng: random.Random,
    schools: list[School],
    funds: list[Fund],
    recorders: list[User],
    books: list[Book],
    start: date,
    today: date,
) -> int:
    """Tutup buku as committees do it: mostly by the 10th of the next month, some late, a few
    never (the district report shows which). Closing freezes every earlier month too, and
    keeps the chain head of the moment."""
    rows = []
    for school, fund, recorder, book in zip(schools, funds, recorders, books, strict=True):
        recorded = [row["recorded_at"] for row in book.rows]
        habit = rng.random()  # some committees are punctual, some are not
        month = start.replace(day=1)
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        while nxt <= today:  # the month has ended
            roll = rng.random()
            late = roll > 0.85 - habit * 0.2
            day = nxt + timedelta(days=rng.randint(10, 24) if late else rng.randint(0, 9))
            if roll >= 0.08 + habit * 0.1 and day < today:  # else: not (yet) closed
                closed_at = datetime.combine(day, time(10), tzinfo=WIB).astimezone(UTC)
                seq = bisect.bisect_right(recorded, closed_at)  # entries recorded before it
                rows.append(
                    {
                        "school_id": school.id,
                        "month": month,
                        "closed_at": closed_at,
                        "closed_by_id": recorder.id,
                        "on_time": not late,
                        "chain_head": book.rows[seq - 1]["hash"] if seq else None,
                        "chain_seq": seq,
                    }
                )
                fund.closed_through = nxt - timedelta(days=1)
            month, nxt = nxt, date(nxt.year + nxt.month // 12, nxt.month % 12 + 1, 1)
    if rows:
        db.session.execute(insert(MonthClosing), rows)
    db.session.flush()
    return len(rows)


# Sekolah Asuh Sekolah: (index of the asking school, category, amount, days ago, description)
REQUESTS = [
    (1, Category.SEPATU, 600_000, 12, "Sepatu sekolah untuk 8 siswa kelas 1 dan 2"),
    (5, Category.SERAGAM, 450_000, 5, "Seragam olahraga untuk 5 siswa"),
    (9, Category.MUSIBAH, 1_000_000, 2, "Rumah 3 keluarga siswa rusak karena banjir"),
]
# (giving school, index into REQUESTS, or None and the receiving school; amount)
TRANSFERS = [
    (0, 0, None, 250_000),
    (2, 0, None, 150_000),
    (3, 2, None, 300_000),
    (0, None, 7, 100_000),
]


def help_between_schools(
    schools: list[School], recorders: list[User], today: date
) -> tuple[int, int]:
    """A few open requests on the kabupaten's board and a few transfers, written through the
    ledger's own transfer (both halves, chain, totals), dated today: every earlier month may
    be closed. A transfer that does not fit a school's balance is left out."""
    posted = []
    for i, (school_index, category, amount, days_ago, text) in enumerate(REQUESTS):
        item = post_request(
            schools[school_index],
            amount=amount,
            category=category,
            description=text,
            deadline=today + timedelta(days=30 - days_ago),
            created_by=recorders[school_index],
            form_key=f"demo-request-{i}",
            today=today,
        )
        item.created_at = datetime.combine(
            today - timedelta(days=days_ago), time(9), WIB
        ).astimezone(UTC)
        posted.append(item)
    moved = 0
    for i, (giver, asked, receiver_index, amount) in enumerate(TRANSFERS):
        request = posted[asked] if asked is not None else None
        if request is not None:
            receiver = request.school
        else:
            assert receiver_index is not None  # a transfer without a request names its school
            receiver = schools[receiver_index]
        try:
            with db.session.begin_nested():
                transfer(
                    schools[giver],
                    receiver,
                    amount=amount,
                    occurred_on=today,
                    request=request,
                    note="Sekolah Asuh Sekolah",
                    recorded_by=recorders[giver],
                    form_key=f"demo-transfer-{i}",
                    today=today,
                )
            moved += 1
        except LedgerError:
            continue
    db.session.flush()
    return len(posted), moved
