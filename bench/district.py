"""Is the district report fast at district scale? (``make bench``; not part of ``make test``.)

Builds a synthetic kabupaten of 1,000 schools in 25 kecamatan with N ledger entries over 8 school
years (3,000,000 by default, ten times Banyuwangi's real history), then one of 10x fewer entries
on the same schools, and on each measures, as the median of repeated calls after a warm-up:

- the district report service (``sas.reports.services.district_report``) for one school year;
- the district report page ``GET /kabupaten/<code>`` as a logged-in district officer;
- ``GET /api/v1/regions`` with a bearer token;
- the baseline: the same per-kecamatan numbers from plain GROUP BY queries over the ledger.

It checks that the baseline and the report give the same numbers, prints the ratios against the
targets of the spec (report >= 100x faster than the baseline; report at N entries within 1.5x of
the report at N/10) and writes everything to ``bench/RESULTS.md``.

The entries are made in Python and loaded in large batches (``executemany`` on SQLite, ``COPY``
on PostgreSQL), keeping the ledger rules the services keep: whole positive Rupiah, ``seq`` 1..n
per school in date order, a unique form key, the fields each kind needs, voids that name the
entry they reverse, and a running balance that never goes below zero; ``verify_ledger`` checks
them in the database afterwards. The report totals are then built with
``sas.ledger.totals.rebuild()``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import (  # noqa: E402
    CheckConstraint,
    and_,
    case,
    distinct,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import aliased  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from sas import create_app  # noqa: E402
from sas.dates import WIB, report_deadline, school_year_start, today_wib  # noqa: E402
from sas.demo import KECAMATAN, is_school_day  # noqa: E402
from sas.extensions import db  # noqa: E402
from sas.ledger import chain, totals  # noqa: E402
from sas.models import (  # noqa: E402
    CategoryTotal,
    Direction,
    Entry,
    EntryKind,
    Fund,
    Jenjang,
    MonthClosing,
    MonthTotal,
    Recipient,
    RecipientMonth,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolStatus,
    User,
    YearCategoryTotal,
    YearTotal,
)
from sas.money import format_rupiah  # noqa: E402
from sas.reports.services import Report, ReportFilter, district_report  # noqa: E402

KABUPATEN_CODE = "35.10"
PASSWORD = "bench-district-2026"  # noqa: S105 - a throwaway account in a throwaway database
REPORT_TARGET = 100  # the report is at least this many times faster than the baseline
GROWTH_TARGET = 1.5  # the report at N entries takes at most this many times the report at N/10
PAGE_TARGET_MS = 100  # the page at N entries, on SQLite and on PostgreSQL (issue 18)

# Jenjang mix of a kabupaten (mostly SD), with what a class gives in a week (low, high, step).
JENJANG_MIX = (
    (Jenjang.SD, 0.70, (15_000, 60_000, 500)),
    (Jenjang.MI, 0.08, (15_000, 55_000, 500)),
    (Jenjang.SMP, 0.10, (20_000, 90_000, 1_000)),
    (Jenjang.MTS, 0.04, (20_000, 80_000, 1_000)),
    (Jenjang.SMA, 0.03, (30_000, 120_000, 1_000)),
    (Jenjang.SMK, 0.03, (30_000, 110_000, 1_000)),
    (Jenjang.MA, 0.015, (25_000, 100_000, 1_000)),
    (Jenjang.SLB, 0.005, (10_000, 35_000, 500)),
)
GRADES = {
    Jenjang.SD: range(1, 7),
    Jenjang.MI: range(1, 7),
    Jenjang.SMP: range(7, 10),
    Jenjang.MTS: range(7, 10),
    Jenjang.SMA: range(10, 13),
    Jenjang.SMK: range(10, 13),
    Jenjang.MA: range(10, 13),
    Jenjang.SLB: range(1, 10),
}
# Need categories: (category, relative frequency, lowest, highest, share given in kind).
NEEDS = (
    ("uang_saku", 30, 20_000, 50_000, 0.0),
    ("alat_tulis", 14, 20_000, 100_000, 0.9),
    ("transport", 10, 20_000, 100_000, 0.1),
    ("seragam", 9, 100_000, 250_000, 0.9),
    ("sepatu", 8, 80_000, 200_000, 0.9),
    ("sembako", 8, 50_000, 150_000, 0.95),
    ("kuota", 6, 25_000, 100_000, 0.5),
    ("tas", 5, 60_000, 150_000, 0.9),
    ("beasiswa", 4, 100_000, 500_000, 0.0),
    ("lainnya", 3, 20_000, 200_000, 0.5),
    ("musibah", 1.5, 100_000, 1_000_000, 0.2),
    ("kacamata", 1, 150_000, 400_000, 1.0),
    ("sepeda", 0.5, 500_000, 1_200_000, 1.0),
)
DESCRIPTIONS = {need[0]: f"Bantuan {need[0].replace('_', ' ')} untuk siswa" for need in NEEDS}
DONORS = ("Bapak Slamet", "Ibu Sri", "H. Abdul Rohman", "Alumni angkatan 2015", "Wali murid")
OTHER_NOTES = ("Hasil kotak amal Jumat", "Hasil bank sampah sekolah", "Hasil bazar pentas seni")
VOID_REASONS = {
    "in": ("Salah ketik jumlah", "Tercatat dua kali"),
    "out": ("Salah pilih penerima", "Bantuan batal diberikan"),
}
VOID_SHARE = 0.004  # of entries later reversed by a void
ENTRY_COLUMNS = (
    "id", "school_id", "seq", "kind", "direction", "amount", "occurred_on", "recorded_at",
    "recorded_by_id", "form_key", "source", "class_label", "donor_name", "note", "recipient_id",
    "category", "in_kind", "description", "voids_entry_id", "reason",
    "receipt_year", "receipt_no", "prev_hash", "hash",
)  # fmt: skip
KIND, DIRECTION, AMOUNT, CATEGORY, IN_KIND = 3, 4, 5, 15, 16  # positions in an entry row
BATCH = 50_000
CHAINS_SAMPLED = 10  # schools whose hash chain is walked after the load (all: --full-checks)


def seeded(seed: int) -> random.Random:
    """Synthetic data, not secrets: one seed always gives the same district."""
    return random.Random(seed)  # noqa: S311


def log(message: str) -> None:
    print(message, flush=True)


# --- the synthetic district --------------------------------------------------------------------


@dataclass
class SchoolPlan:
    """One school as the generator sees it, and its cash book while it is written."""

    id: int
    kecamatan_id: int
    jenjang: Jenjang
    weight: float  # its share of the district's entries (a big school writes more)
    collection_day: int  # the weekday its classes hand in their week's gifts
    gift: tuple[int, int, int]  # a class's week: lowest, number of steps, step
    classes: list[str]
    recorder_id: int
    helped_by_year: list[list[int]] = field(default_factory=list)  # recipient ids per year
    balance: int = 0
    seq: int = 0
    voids: list[tuple[int, int, tuple]] = field(default_factory=list)  # (day, id, original)


@dataclass
class District:
    kabupaten_id: int
    kecamatan: dict[int, str]  # id -> code
    schools: list[SchoolPlan]
    district_user_id: int
    recipients: int


def school_days(first_year: int, years: int) -> list[date]:
    day, end = date(first_year, 7, 1), date(first_year + years, 6, 30)
    days = []
    while day <= end:
        if is_school_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def build_district(rng: random.Random, schools: int, first_year: int, years: int) -> District:
    """Regions, schools, users and recipients (through the ORM's bulk insert; small tables)."""
    regions = [{"id": 1, "code": KABUPATEN_CODE, "name": "Banyuwangi", "level": "kabupaten"}]
    regions += [
        {
            "id": i + 2,
            "code": f"{KABUPATEN_CODE}.{code}",
            "name": name,
            "level": RegionLevel.KECAMATAN,
            "parent_id": 1,
        }
        for i, (code, name) in enumerate(sorted(KECAMATAN.items()))
    ]
    regions[0] |= {"level": RegionLevel.KABUPATEN, "parent_id": None}
    db.session.execute(insert(Region.__table__), regions)
    kecamatan = {r["id"]: r["code"] for r in regions[1:]}

    password_hash = generate_password_hash(PASSWORD)
    users = [
        {
            "id": 1,
            "username": "dinas",
            "display_name": "Dinas Pendidikan (bench)",
            "role": Role.DISTRICT,
            "region_id": 1,
            "school_id": None,
            "password_hash": password_hash,
        }
    ]
    rows, plans, recipients = [], [], []
    mix = [j for j, _share, _gift in JENJANG_MIX]
    shares = [share for _j, share, _gift in JENJANG_MIX]
    gifts = {j: (low, (high - low) // step + 1, step) for j, _s, (low, high, step) in JENJANG_MIX}
    kecamatan_ids = sorted(kecamatan)
    counters: dict[tuple[int, Jenjang], int] = {}
    created = datetime(first_year, 7, 1, 1, tzinfo=UTC)
    for i in range(schools):
        school_id = i + 1
        kec = kecamatan_ids[i % len(kecamatan_ids)]
        jenjang = rng.choices(mix, shares)[0]
        number = counters[(kec, jenjang)] = counters.get((kec, jenjang), 0) + 1
        rows.append(
            {
                "id": school_id,
                "npsn": f"2{school_id:07d}",
                "name": f"{jenjang.value} {number} {regions[kec - 1]['name']}",
                "jenjang": jenjang,
                "status": SchoolStatus.NEGERI if rng.random() < 0.7 else SchoolStatus.SWASTA,
                "kecamatan_id": kec,
                "active": True,
            }
        )
        users.append(
            {
                "id": school_id + 1,
                "username": f"komite-{school_id}",
                "display_name": f"Tim SAS {school_id}",
                "role": Role.COMMITTEE,
                "school_id": school_id,
                "region_id": None,
                "password_hash": password_hash,
            }
        )
        weight = rng.lognormvariate(0, 0.5)
        parallels = max(1, min(4, round(weight * 2)))
        classes = [f"{g}{p}" for g in GRADES[jenjang] for p in "ABCD"[:parallels]]
        plan = SchoolPlan(
            id=school_id,
            kecamatan_id=kec,
            jenjang=jenjang,
            weight=weight,
            collection_day=4 if rng.random() < 0.6 else rng.randrange(6),  # mostly Friday
            gift=gifts[jenjang],
            classes=classes,
            recorder_id=school_id + 1,
        )
        # Needy students: about 12 at a time in a school of average size, each helped for 1 to
        # 3 school years; every year the school takes on new ones in place of those who left.
        wanted = max(3, round(12 * weight))
        active: list[tuple[int, int]] = []  # (recipient id, last year index)
        for year in range(years):
            active = [(r, last) for r, last in active if last >= year]
            while len(active) < wanted:
                rid = len(recipients) + 1
                active.append((rid, year + rng.randrange(3)))
                recipients.append(
                    {
                        "id": rid,
                        "school_id": school_id,
                        "name": f"Siswa {rid}",
                        "class_label": rng.choice(classes),
                        "nisn": f"{rng.randrange(10**9, 10**10)}" if rng.random() < 0.6 else None,
                        "reason": "Orang tua buruh tani",
                        "active": True,
                        "created_at": created,
                    }
                )
            plan.helped_by_year.append([r for r, _last in active])
        plans.append(plan)
    db.session.execute(insert(School.__table__), rows)
    db.session.execute(insert(User.__table__), users)
    db.session.execute(insert(Recipient.__table__), recipients)
    return District(1, kecamatan, plans, 1, len(recipients))


NEED_NAMES = [n[0] for n in NEEDS]
NEED_CUMULATIVE = [sum(n[1] for n in NEEDS[: i + 1]) for i in range(len(NEEDS))]
NEED_TERMS = [(low, (high - low) // 5_000 + 1, share) for _n, _f, low, high, share in NEEDS]
SOURCES = (  # (share, source, lowest, steps, step) of the contributions not from a class
    (0.95, "individual", 10_000, 99, 5_000),
    (0.98, "anonymous", 5_000, 196, 1_000),
    (1.0, "other", 50_000, 191, 5_000),
)
HEAVY, LIGHT = 3.0, 0.7  # a school's entries on its collection day, and on other days


def _pick(rng: random.Random, items: tuple | list) -> Any:
    return items[int(rng.random() * len(items))]


def _new_entry(
    p: SchoolPlan, entry_id: int, key: str, day: str, stamp: str, year: int, rng: random.Random
) -> tuple:
    """A contribution, or (when the fund can afford one) a disbursement to a needy student."""
    uniform = rng.random
    # A committee with money in hand gives more often; one with little saves first.
    if uniform() < (0.3 if p.balance > 3_000_000 * p.weight else 0.12):
        need = bisect.bisect(NEED_CUMULATIVE, uniform() * NEED_CUMULATIVE[-1])
        low, steps, kind_share = NEED_TERMS[need]
        amount = low + 5_000 * int(uniform() * steps)
        if amount > p.balance and p.balance >= 20_000:
            amount = p.balance // 5_000 * 5_000  # what is there, in round figures
        if amount <= p.balance:
            category = NEED_NAMES[need]
            return (
                entry_id, p.id, p.seq, "disbursement", "out", amount, day, stamp, p.recorder_id,
                key, None, None, None, None, _pick(rng, p.helped_by_year[year]), category,
                uniform() < kind_share, DESCRIPTIONS[category], None, None,
            )  # fmt: skip
    roll = uniform()
    source, class_label, donor, note = "class", None, None, None
    if roll < 0.9:
        low, steps, step = p.gift
        class_label = _pick(rng, p.classes)
    else:
        _share, source, low, steps, step = next(s for s in SOURCES if roll < s[0])
        if source == "individual":
            donor = _pick(rng, DONORS)
        elif source == "other":
            note = _pick(rng, OTHER_NOTES)
    return (
        entry_id, p.id, p.seq, "contribution", "in", low + step * int(uniform() * steps), day,
        stamp, p.recorder_id, key, source, class_label, donor, note, None, None, None, None,
        None, None,
    )  # fmt: skip


def _schedule(
    rng: random.Random, plans: list[SchoolPlan], days: list[date], total: int
) -> list[list[SchoolPlan]]:
    """Which schools write how many entries on each day: exactly ``total`` in all.

    A school's share of the district's entries follows its size; its entries fall on its days in
    proportion to the programme's growth (+85% over the years), three times as many on its
    collection day as on another day. Stratified draws keep every school close to its share.
    """
    first_year = school_year_start(days[0])
    years = school_year_start(days[-1]) - first_year + 1
    growth = [0.7 + 0.6 * y / max(1, years - 1) for y in range(years)]
    curves: dict[int, list[float]] = {}  # collection weekday -> cumulative weight of the days
    for weekday in {p.collection_day for p in plans}:
        running, curve = 0.0, []
        for day in days:
            running += growth[school_year_start(day) - first_year] * (
                HEAVY if day.weekday() == weekday else LIGHT
            )
            curve.append(running)
        curves[weekday] = curve
    shares = [p.weight * curves[p.collection_day][-1] for p in plans]
    scale, cum, assigned = total / sum(shares), rng.random(), 0
    on_day: list[list[SchoolPlan]] = [[] for _ in days]
    for i, (p, share) in enumerate(zip(plans, shares, strict=True)):
        before, cum = cum, cum + share * scale
        count = total - assigned if i == len(plans) - 1 else int(cum) - int(before)
        assigned += count
        curve = curves[p.collection_day]
        step = curve[-1] / max(1, count)
        for j in range(count):
            on_day[bisect.bisect_left(curve, (j + rng.random()) * step)].append(p)
    return on_day


def generate_entries(
    rng: random.Random,
    plans: list[SchoolPlan],
    days: list[date],
    total: int,
    stamp_suffix: str,
    kinds: dict[str, int],
) -> Iterator[list[tuple]]:
    """Exactly ``total`` ledger rows in recording order (day by day, school by school).

    A disbursement happens only when the fund can afford it. A few entries are reversed a few
    school days later by a void (left alone, as a committee would, if the money has gone
    meanwhile). ``kinds`` counts the rows of each kind.
    """
    first_year = school_year_start(days[0])
    uniform, bits = rng.random, rng.getrandbits
    # recorded around 13:00 WIB (06:00 UTC), a minute apart within a school's day
    stamps = [f" {6 + k // 60:02d}:{k % 60:02d}:00.000000{stamp_suffix}" for k in range(600)]
    entry_id = 0
    batch: list[tuple] = []
    for di, todays in enumerate(_schedule(rng, plans, days, total)):
        day = days[di]
        yi, day_text = school_year_start(day) - first_year, day.isoformat()
        previous, k = None, 0
        for p in todays:
            k = k + 1 if p is previous else 0
            previous = p
            entry_id += 1
            p.seq += 1
            stamp = day_text + stamps[min(k, 599)]
            key = f"{bits(128):032x}"
            while p.voids and p.voids[0][0] <= di:
                _due, original_id, original = p.voids.pop(0)
                amount, was = original[AMOUNT], original[DIRECTION]
                if was == "in" and amount > p.balance:
                    continue  # already spent: the committee leaves it
                row = (
                    entry_id, p.id, p.seq, "void", "out" if was == "in" else "in", amount,
                    day_text, stamp, p.recorder_id, key, None, None, None, None, None,
                    original[CATEGORY], original[IN_KIND], None, original_id,
                    _pick(rng, VOID_REASONS[was]),
                )  # fmt: skip
                p.balance += -amount if was == "in" else amount
                break
            else:
                row = _new_entry(p, entry_id, key, day_text, stamp, yi, rng)
                p.balance += row[AMOUNT] if row[DIRECTION] == "in" else -row[AMOUNT]
                if uniform() < VOID_SHARE:
                    bisect.insort(p.voids, (di + int(uniform() * 6), entry_id, row))
            assert p.balance >= 0
            kinds[row[KIND]] = kinds.get(row[KIND], 0) + 1
            batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
    assert entry_id == total, (entry_id, total)


def closings(
    rng: random.Random, plans: list[SchoolPlan], first_year: int, years: int
) -> tuple[list[dict[str, Any]], dict[int, date]]:
    """Tutup buku of most months: mostly by the 10th of the next month, some late, a few never.

    Returns the closings and, per school, the last day of its latest closed month.
    """
    rows, through = [], {}
    for p in plans:
        habit = rng.random()  # some committees are punctual, some are not
        month = date(first_year, 7, 1)
        for _ in range(years * 12):
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            if rng.random() >= 0.04 + 0.08 * habit:
                late = rng.random() > 0.95 - 0.3 * habit
                day = following + timedelta(days=rng.randint(10, 24) if late else rng.randint(0, 9))
                closed_at = datetime(day.year, day.month, day.day, 10, tzinfo=WIB).astimezone(UTC)
                rows.append(
                    {
                        "school_id": p.id,
                        "month": month,
                        "closed_at": closed_at,
                        "closed_by_id": p.recorder_id,
                        "on_time": not late,
                    }
                )
                through[p.id] = following - timedelta(days=1)
            month = following
    return rows, through


# --- databases ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One benchmark database: a fresh SQLite file, or a PostgreSQL database made for the run."""

    url: str
    label: str
    path: Path | None = None  # the SQLite file

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def kind(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @classmethod
    def sqlite(cls, workdir: Path, name: str, reuse: bool = False) -> Target:
        path = workdir / f"{name}.sqlite3"
        if reuse and not path.exists():
            raise SystemExit(f"--reuse: no database {path} (load it first with --keep)")
        for suffix in ("", "-wal", "-shm") if not reuse else ():
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return cls(f"sqlite:///{path}", f"SQLite file {path}", path)

    @classmethod
    def postgresql(cls, base_url: str, suffix: str, reuse: bool = False) -> Target:
        url = make_url(base_url)
        name = f"{url.database}{suffix}"
        if name in {"sas_test", "postgres", "template0", "template1"} or "bench" not in name:
            raise SystemExit(f"refusing to create and drop database {name!r}: use a *bench* name")
        target = cls(url.set(database=name).render_as_string(hide_password=False), "")
        with _pg_admin(base_url) as conn:
            if reuse:
                if not conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone():
                    raise SystemExit(f"--reuse: no database {name} (load it first with --keep)")
            else:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            version = conn.execute("SHOW server_version").fetchone()
        target.label = f"PostgreSQL {version[0] if version else '?'}, database {name}"
        return target

    def drop(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.path.with_suffix(".json").unlink(missing_ok=True)
        else:
            name = make_url(self.url).database
            with _pg_admin(self.url) as conn:  # FORCE: the test client may still hold a session
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def save_build(self, info: dict[str, Any]) -> None:
        """What the load built and how long it took, kept with the database for ``--reuse``: in
        a file beside SQLite's, in the comment of PostgreSQL's."""
        text = json.dumps(info)
        if self.path is not None:
            self.path.with_suffix(".json").write_text(text, encoding="utf-8")
            return
        name = make_url(self.url).database
        with _pg_connect(self.url, autocommit=True) as conn:
            quoted = conn.execute("SELECT quote_literal(%s::text)", (text,)).fetchone()
            conn.execute(f'COMMENT ON DATABASE "{name}" IS {quoted[0]}')

    def saved_build(self) -> dict[str, Any] | None:
        if self.path is not None:
            info = self.path.with_suffix(".json")
            return json.loads(info.read_text(encoding="utf-8")) if info.exists() else None
        with _pg_connect(self.url) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE datname = current_database()"
            ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def size(self) -> int | None:
        if self.path is not None:
            return sum(
                Path(f"{self.path}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{self.path}{s}").exists()
            )
        with _pg_connect(self.url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else None


def _pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(_pg_conninfo(url), **kwargs)


def _pg_admin(url: str) -> Any:
    return _pg_connect(
        make_url(url).set(database="postgres").render_as_string(False), autocommit=True
    )


def make_app(target: Target) -> Flask:
    # Pages drawn for every view: kept copies (sas/pagecache.py) would time a dictionary lookup
    # after the warm-up, not the report.
    overrides: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": target.url, "PAGE_CACHE_SECONDS": 0}
    if not target.is_sqlite:  # the app's 30 s statement timeout would stop a rebuild at 3M
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    return create_app("development", overrides)


def sealed(batches: Iterator[list[tuple]], heads: dict[int, str]) -> Iterator[list[tuple]]:
    """Each generated row with its kuitansi number and its link in its school's hash chain,
    computed by the app's own ``sas.ledger.chain.canonical`` (rows come in ``seq`` order per
    school). ``heads`` ends up holding each school's chain head, for its fund row."""
    names = ENTRY_COLUMNS[:-4]
    receipts: dict[tuple[int, int], int] = {}
    for batch in batches:
        out = []
        for row in batch:
            content = dict(zip(names, row, strict=True))
            day, stamp = content["occurred_on"], content["recorded_at"]
            # the canonical forms, as the app renders the values it reads back
            content["recorded_at"] = f"{stamp[:10]}T{stamp[11:26]}Z"
            year = int(day[:4]) - (int(day[5:7]) < 7)
            key = (content["school_id"], year)
            receipts[key] = number = receipts.get(key, 0) + 1
            prev = heads.get(content["school_id"], chain.GENESIS)
            content |= {"receipt_year": year, "receipt_no": number, "prev_hash": prev}
            heads[content["school_id"]] = digest = chain.entry_hash(content)
            out.append((*row, year, number, prev, digest))
        yield out


def load_entries(target: Target, batches: Iterator[list[tuple]]) -> None:
    """Bulk load. On SQLite the CHECK constraints are off during the load (they cost half the
    time) and ``verify_ledger`` checks every row against them afterwards; COPY keeps them on."""
    columns = ", ".join(ENTRY_COLUMNS)
    if target.is_sqlite:
        conn = sqlite3.connect(str(target.path), isolation_level=None)
        for pragma in (
            "journal_mode=OFF",  # a fresh throwaway file; the app turns WAL on when it connects
            "synchronous=OFF",
            "cache_size=-1000000",  # 1 GB of page cache for the index builds
            "temp_store=MEMORY",
            "ignore_check_constraints=ON",
        ):
            conn.execute(f"PRAGMA {pragma}")
        marks = ", ".join("?" * len(ENTRY_COLUMNS))
        sql = f"INSERT INTO entries ({columns}) VALUES ({marks})"  # noqa: S608 - constants only
        conn.execute("BEGIN")
        for batch in batches:
            conn.executemany(sql, batch)
        conn.execute("COMMIT")
        conn.close()
        return
    with _pg_connect(target.url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY entries ({columns}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)
        for table in ("regions", "schools", "users", "recipients", "entries"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )


def verify_ledger(full: bool) -> list[str]:
    """The ledger rules, checked in the database over every generated row; returns problems.

    Every CHECK constraint of ``entries``; per school ``seq`` 1..n (with the unique constraint)
    and the fund's balance and last seq; each void reverses an earlier entry of its school with
    the same amount. With ``full``, also that ``seq`` follows the date and that the running
    balance never goes below zero (a window over the whole ledger: slow at 3M).
    """
    dialect = db.engine.dialect
    checks = [
        str(c.sqltext.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for c in Entry.__table__.constraints
        if isinstance(c, CheckConstraint)
    ]
    broken = literal_column("CASE WHEN NOT (" + ") OR NOT (".join(checks) + ") THEN 1 ELSE 0 END")
    signed = case((Entry.direction == Direction.IN, Entry.amount), else_=-Entry.amount)
    problems = []
    funds = {f.school_id: (f.balance, f.last_seq) for f in db.session.scalars(select(Fund))}
    for school_id, count, low, high, balance, bad in db.session.execute(
        select(
            Entry.school_id,
            func.count(),
            func.min(Entry.seq),
            func.max(Entry.seq),
            func.sum(signed),
            func.sum(broken),
        ).group_by(Entry.school_id)
    ):
        if bad:
            problems.append(f"school {school_id}: {bad} entries break a CHECK constraint")
        if low != 1 or high != count:
            problems.append(f"school {school_id}: seq runs {low}..{high} over {count} entries")
        if funds.get(school_id) != (balance, high):
            problems.append(f"school {school_id}: fund {funds.get(school_id)}, ledger {balance}")
    original = aliased(Entry)
    wrong_voids = db.session.scalar(
        select(func.count())
        .select_from(Entry)
        .join(original, original.id == Entry.voids_entry_id)
        .where(
            or_(
                original.kind == EntryKind.VOID,
                original.school_id != Entry.school_id,
                original.amount != Entry.amount,
                original.direction == Entry.direction,
                original.seq > Entry.seq,
            )
        )
    )
    if wrong_voids:
        problems.append(f"{wrong_voids} voids do not reverse an earlier entry of their school")
    schools = db.session.scalars(select(School).order_by(School.id)).all()
    for school in schools if full else schools[:: max(1, len(schools) // CHAINS_SAMPLED)]:
        status = chain.verify(school)  # the app's own walk of the hash chain
        if not status.ok:
            problems.append(f"school {school.id}: chain {status.problem} at {status.broken_seq}")
    if full:
        order = (Entry.seq,)
        running = select(
            (
                Entry.occurred_on
                < func.lag(Entry.occurred_on).over(partition_by=Entry.school_id, order_by=order)
            ).label("back"),
            func.sum(signed).over(partition_by=Entry.school_id, order_by=order).label("saldo"),
        ).subquery()
        bad_rows = db.session.scalar(
            select(func.count()).where(or_(running.c.back, running.c.saldo < 0))
        )
        if bad_rows:
            problems.append(f"{bad_rows} entries out of date order or below a zero balance")
    return problems


def analyze(target: Target) -> None:
    """Fresh planner statistics, as PostgreSQL's autovacuum (or SQLite's optimize) would keep."""
    if target.is_sqlite:
        conn = sqlite3.connect(str(target.path), isolation_level=None)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    else:
        with _pg_connect(target.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


@dataclass
class Build:
    entries: int
    kinds: dict[str, int]
    recipients: int
    closings: int
    timings_s: dict[str, float]
    totals_rows: dict[str, int]
    problems: list[str]
    size: int | None
    kecamatan: int
    loaded: str = ""  # when (UTC)
    reused: bool = False  # loaded by an earlier run (--keep), measured again by --reuse


def build(target: Target, app: Flask, args: argparse.Namespace, entries: int) -> Build:
    """The synthetic district in a fresh database, with its funds, closings and totals."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context():
        upgrade()  # the schema as `flask db upgrade` makes it: the migrations' indexes
        district = build_district(seeded(args.seed), args.schools, args.first_year, args.years)
        db.session.commit()
        db.engine.dispose()  # the loader writes through its own connection
    seconds["schools, users, recipients"] = time.perf_counter() - started
    log(f"  schools, users and {district.recipients:,} recipients in {_s(seconds)}")

    started = time.perf_counter()
    kinds: dict[str, int] = {}
    days = school_days(args.first_year, args.years)
    rng = seeded(args.seed + entries)
    suffix = "" if target.is_sqlite else "+00"
    heads: dict[int, str] = {}
    generated = generate_entries(rng, district.schools, days, entries, suffix, kinds)
    load_entries(target, sealed(generated, heads))
    seconds["generate + load entries"] = time.perf_counter() - started
    log(f"  {entries:,} entries generated and loaded in {_s(seconds)} ({_kinds(kinds)})")
    # Statistics before the rebuild too, as autovacuum would keep them: without them PostgreSQL
    # cannot hash the NOT IN of totals.expected_totals() and takes hours at 3M entries.
    started = time.perf_counter()
    analyze(target)
    seconds["ANALYZE after the load"] = time.perf_counter() - started

    with app.app_context():
        started = time.perf_counter()
        rows, through = closings(seeded(args.seed), district.schools, args.first_year, args.years)
        db.session.execute(
            insert(Fund.__table__),
            [
                {
                    "school_id": p.id,
                    "balance": p.balance,
                    "last_seq": p.seq,
                    "closed_through": through.get(p.id),
                    "chain_head": heads.get(p.id),
                }
                for p in district.schools
            ],
        )
        db.session.execute(insert(MonthClosing.__table__), rows)
        db.session.commit()
        seconds["funds and month closings"] = time.perf_counter() - started
        log(f"  funds and {len(rows):,} month closings in {_s(seconds)}")

        started = time.perf_counter()
        problems = verify_ledger(args.full_checks)
        db.session.commit()
        seconds["ledger rules verified"] = time.perf_counter() - started
        log(f"  ledger rules verified in {_s(seconds)}: {len(problems)} problems")

        started = time.perf_counter()
        totals.rebuild()
        db.session.commit()
        seconds["`totals.rebuild()`"] = time.perf_counter() - started
        log(f"  totals.rebuild() in {_s(seconds)}")
        totals_rows = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (MonthTotal, YearTotal, CategoryTotal, YearCategoryTotal, RecipientMonth)
        }
        db.engine.dispose()
    started = time.perf_counter()
    analyze(target)
    seconds["ANALYZE after the rebuild"] = time.perf_counter() - started
    log(
        f"  ANALYZE in {_s(seconds)} (and {seconds['ANALYZE after the load']:.1f} s after the load)"
    )
    made = Build(
        entries, kinds, district.recipients, len(rows), seconds, totals_rows, problems,
        target.size(), len(district.kecamatan), f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
    )  # fmt: skip
    target.save_build({k: v for k, v in vars(made).items() if k not in ("size", "reused")})
    return made


def reused(target: Target, app: Flask) -> Build:
    """An earlier run's database, as its load left it (``--keep``), for ``--reuse``: what it
    holds and how long its load took, from what that run kept with it, else counted again."""
    info = target.saved_build()
    if info is None:
        log("  (no record of the load kept with it: counting its rows; load times unknown)")
        with app.app_context():
            count = func.count()
            info = {
                "entries": db.session.scalar(select(count).select_from(Entry)) or 0,
                "kinds": {
                    str(kind.value): n
                    for kind, n in db.session.execute(
                        select(Entry.kind, count).group_by(Entry.kind)
                    )
                },
                "recipients": db.session.scalar(select(count).select_from(Recipient)) or 0,
                "closings": db.session.scalar(select(count).select_from(MonthClosing)) or 0,
                "timings_s": {},
                "totals_rows": {
                    model.__tablename__: db.session.scalar(select(count).select_from(model)) or 0
                    for model in (
                        MonthTotal,
                        YearTotal,
                        CategoryTotal,
                        YearCategoryTotal,
                        RecipientMonth,
                    )
                },
                "problems": [],
                "kecamatan": db.session.scalar(
                    select(count).select_from(Region).where(Region.level == RegionLevel.KECAMATAN)
                )
                or 0,
            }
            db.engine.dispose()
    made = Build(**info, size=target.size(), reused=True)
    log(f"  reused: {made.entries:,} entries ({_kinds(made.kinds)}), {_size(made.size)}")
    return made


def _s(seconds: dict[str, float]) -> str:
    """The last step's time."""
    return f"{list(seconds.values())[-1]:.1f} s"


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {kind}s" for kind, count in sorted(kinds.items()))


# --- the baseline: the same numbers straight from the ledger ------------------------------------

Numbers = dict[str, tuple[int | None, ...]]  # kecamatan code (or "total") -> the five figures
COLUMNS = ("collected", "disbursed", "balance", "helped", "active schools")


def baseline(kabupaten_id: int, year: int) -> Numbers:
    """Per kecamatan: collected, disbursed, balance at the year's end, distinct students helped,
    schools with an entry; by plain GROUP BY queries over the entries table (voids netted)."""
    first, last = date(year, 7, 1), date(year + 1, 6, 30)
    scope = (
        School.active,
        School.kecamatan_id.in_(select(Region.id).where(Region.parent_id == kabupaten_id)),
    )
    in_year = Entry.occurred_on.between(first, last)
    is_void = Entry.kind == EntryKind.VOID
    collected = func.sum(
        case(
            (Entry.kind == EntryKind.CONTRIBUTION, Entry.amount),
            (and_(is_void, Entry.direction == Direction.OUT), -Entry.amount),
            else_=0,
        )
    )
    disbursed = func.sum(
        case(
            (Entry.kind == EntryKind.DISBURSEMENT, Entry.amount),
            (and_(is_void, Entry.direction == Direction.IN), -Entry.amount),
            else_=0,
        )
    )
    signed = func.sum(case((Entry.direction == Direction.IN, Entry.amount), else_=-Entry.amount))
    void = aliased(Entry)
    kecamatan = School.kecamatan_id
    joined = (
        select(kecamatan)
        .select_from(Entry)
        .join(School, School.id == Entry.school_id)
        .where(*scope)
    )
    money = db.session.execute(
        joined.add_columns(collected, disbursed, func.count(distinct(Entry.school_id)))
        .where(in_year)
        .group_by(kecamatan)
    ).all()
    balance = dict(
        db.session.execute(
            joined.add_columns(signed).where(Entry.occurred_on <= last).group_by(kecamatan)
        ).all()
    )
    helped = dict(
        db.session.execute(
            joined.add_columns(func.count(distinct(Entry.recipient_id)))
            .where(
                in_year,
                Entry.kind == EntryKind.DISBURSEMENT,
                ~exists().where(void.voids_entry_id == Entry.id),
            )
            .group_by(kecamatan)
        ).all()
    )
    codes = dict(db.session.execute(select(Region.id, Region.code)).all())
    out: Numbers = {}
    for kec, got, gave, active in money:
        out[codes[kec]] = (
            int(got),
            int(gave),
            int(balance.get(kec, 0)),
            helped.get(kec, 0),
            active,
        )
    for kec, held in balance.items():  # a kecamatan quiet all year still holds its balance
        out.setdefault(codes[kec], (0, 0, int(held), 0, 0))
    out["total"] = tuple(sum(row[i] or 0 for row in out.values()) for i in range(len(COLUMNS)))
    return out


def ledger_rest(kabupaten_id: int, year: int, today: date) -> tuple[dict, int]:
    """What the baseline leaves out, for the check only: per need category what was given and
    given in kind (voids netted: a void carries its disbursement's category), and the schools
    that closed every month of the year by its deadline (from ``month_closings``)."""
    first, last = date(year, 7, 1), date(year + 1, 6, 30)
    schools = select(School.id).where(
        School.kecamatan_id.in_(select(Region.id).where(Region.parent_id == kabupaten_id))
    )
    signed = case((Entry.kind == EntryKind.VOID, -Entry.amount), else_=Entry.amount)
    categories = {
        category.value: (int(amount), int(in_kind))
        for category, amount, in_kind in db.session.execute(
            select(
                Entry.category,
                func.sum(signed),
                func.sum(case((Entry.in_kind, signed), else_=0)),
            )
            .where(
                Entry.school_id.in_(schools),
                Entry.occurred_on.between(first, last),
                Entry.category.is_not(None),
            )
            .group_by(Entry.category)
        )
        if amount
    }
    months = [date(year + (m < 7), m, 1) for m in (*range(7, 13), *range(1, 7))]
    due = [m for m in months if report_deadline(m) < today]
    on_time = db.session.scalar(
        select(func.count()).select_from(
            select(MonthClosing.school_id)
            .where(
                MonthClosing.school_id.in_(schools),
                MonthClosing.on_time,
                MonthClosing.month.in_(due),
            )
            .group_by(MonthClosing.school_id)
            .having(func.count() == len(due))
            .subquery()
        )
    )
    return categories, int(on_time or 0) if due else 0


def report_numbers(report: Report) -> Numbers:
    out: Numbers = {
        row.key: _five(row.figures)
        for row in report.rows
        if row.figures.schools  # skip empty
    }
    out["total"] = _five(report.total)
    return out


def _five(f: Any) -> tuple[int, ...]:
    return (f.collected, f.disbursed, f.balance, f.helped, f.active_schools)


def api_numbers(body: dict[str, Any]) -> Numbers:
    def five(f: dict[str, Any]) -> tuple[int | None, ...]:
        return (
            f["collected"],
            f["disbursed"],
            f["balance"],
            f["students_helped"],
            f["active_schools"],
        )

    out: Numbers = {
        r["code"]: five(r["figures"]) for r in body["regions"] if r["figures"]["schools"]
    }
    out["total"] = five(body["total"])
    return out


def compare(name: str, got: Numbers, want: Numbers) -> list[str]:
    """Differences between two sets of numbers, as lines; the first line says which."""
    problems = []
    for key in sorted(set(got) | set(want)):
        a, b = got.get(key), want.get(key)
        if a is None or b is None:
            problems.append(f"{key}: only in {'the baseline' if a is None else name}")
            continue
        for column, x, y in zip(COLUMNS, a, b, strict=True):
            if x is None and column == "helped" and 0 < (y or 0) < 3:
                continue  # suppressed as "<3", which is right for 1 or 2
            if x != y:
                problems.append(f"{key} {column}: {name} {x}, baseline {y}")
    return problems


# --- measuring ---------------------------------------------------------------------------------

# (key, label): the app's three forms of the report
MEASURES = (
    ("service", "report service `district_report()`"),
    ("page", f"report page `GET /kabupaten/{KABUPATEN_CODE}`"),
    ("api", "API `GET /api/v1/regions`"),
)
BASELINE = ("baseline", "baseline: GROUP BY over `entries`")


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int


@dataclass
class Subject:
    """One benchmark database, what to call on it, and what its checks found."""

    name: str
    target: Target
    app: Flask
    build: Build | None = None
    calls: dict[str, Callable[[], object]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    agree: bool = True
    timings: dict[str, Timing | None] = field(default_factory=dict)

    @property
    def entries(self) -> int:
        return self.build.entries if self.build else 0


def prepare(subject: Subject, args: argparse.Namespace) -> None:
    """Set up the calls to time; call each once to check what it returns."""
    app, year, today = subject.app, args.year, today_wib()
    flt = ReportFilter(year)
    checks = subject.checks

    def kabupaten() -> Region:
        region = db.session.scalar(select(Region).where(Region.code == KABUPATEN_CODE))
        assert region is not None
        return region

    def service() -> Report:
        with app.app_context():
            return district_report(kabupaten(), flt, today)

    def ledger() -> Numbers:
        with app.app_context():
            return baseline(1, year)

    calls: dict[str, Callable[[], object]] = {
        "service": service,
        "baseline": ledger,
    }
    assert subject.build is not None
    if subject.build.problems:
        subject.agree = False
        checks.append("The generated ledger BREAKS its rules (a bug in the generator):")
        checks += [f"    {p}" for p in subject.build.problems[:20]]
    elif subject.build.reused:
        checks.append(
            "The ledger rules were checked in the database by the run that loaded it: no problem."
        )
    else:
        checks.append(
            "Every generated entry keeps the ledger rules checked in the database: the CHECK "
            "constraints, seq 1..n per school, each fund's balance and last seq, voids that "
            "reverse an earlier entry of their school, the hash chains of "
            + ("every school" if args.full_checks else f"{CHAINS_SAMPLED} sampled schools")
            + (
                ", seq in date order and a running balance never below zero."
                if args.full_checks
                else "."
            )
        )

    want = ledger()
    report = service()
    problems = compare("report", report_numbers(report), want)
    if problems:
        subject.agree = False
        checks.append("The baseline and the report DISAGREE (a bug):")
        checks += [f"    {p}" for p in problems[:40]]
    else:
        checks.append(
            f"The baseline and the report agree on {', '.join(COLUMNS)}: "
            f"{len(want) - 1} kecamatan and the kabupaten total."
        )
    with app.app_context():
        want_rest = ledger_rest(1, year, today)
    got_rest = (
        {
            c.category.value: (c.amount, c.in_kind)
            for c in report.categories
            if c.amount or c.in_kind
        },
        report.total.on_time_schools,
    )
    same = got_rest == want_rest
    subject.agree = subject.agree and same
    checks.append(
        "The report's need categories (given, in kind) and schools on time equal those computed "
        f"from `entries` and `month_closings` (not timed): {'yes' if same else 'NO (a bug)'}"
        f" ({want_rest[1]:,} schools on time)."
    )

    label = f"{year}/{year + 1}"
    page = f"/kabupaten/{KABUPATEN_CODE}?school_year={label}"
    client = app.test_client()
    if not _login(client):
        checks.append("Could not log in as the district officer: the page is not measured.")
    elif (response := client.get(page)).status_code != 200:
        checks.append(f"GET {page} answered {response.status_code}: not measured.")
    else:
        collected = format_rupiah(report.total.collected)
        shown = collected in response.get_data(as_text=True)
        checks.append(
            f"The page shows the total collected ({collected}): {'yes' if shown else 'NO'}."
        )
        calls["page"] = _getter(client, page, {})

    api = f"/api/v1/regions?school_year={label}"
    headers, subject.notes["api"] = _api_auth(app)
    api_client = app.test_client() if headers else client
    response = api_client.get(api, headers=headers)
    if response.status_code != 200:
        checks.append(f"GET {api} answered {response.status_code}: not measured.")
    else:
        api_problems = compare("API", api_numbers(response.get_json()), want)
        subject.agree = subject.agree and not api_problems
        checks.append(
            "The API and the baseline agree."
            if not api_problems
            else "The API and the baseline DISAGREE: " + "; ".join(api_problems[:10])
        )
        calls["api"] = _getter(api_client, api, headers)
    subject.calls = calls


def measure(subjects: list[Subject], args: argparse.Namespace) -> None:
    """Median of repeated calls after a warm-up. The calls alternate between the databases, so
    that both sizes see the same load from whatever else the machine is doing."""
    for key, label in (*MEASURES, BASELINE):
        runs = args.runs if key == "baseline" else args.report_runs
        calls = {s.name: s.calls[key] for s in subjects if key in s.calls}
        for call in calls.values():
            call()  # warm-up
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(runs):
            for name, call in calls.items():
                started = time.perf_counter()
                call()
                samples[name].append((time.perf_counter() - started) * 1000)
        for s in subjects:
            got = samples.get(s.name)
            s.timings[key] = (
                Timing(statistics.median(got), min(got), max(got), runs) if got else None
            )
        log(
            f"  {label}: "
            + "; ".join(f"{s.entries:,} entries {_ms(s.timings[key])}" for s in subjects)
        )


def _login(client: Any) -> bool:
    form = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    data = {"username": "dinas", "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/masuk", data=data).status_code in (302, 303)


def _api_auth(app: Flask) -> tuple[dict[str, str], str]:
    """A bearer token for the district officer if the token service exists, else the session."""
    try:
        from sas.api.tokens import create_token
    except ImportError:
        return {}, "session"
    with app.app_context():
        user = db.session.get(User, 1)
        # a name of its own: a database kept by --keep already has the tokens of its runs
        _row, token = create_token(user, f"bench {datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f}")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}, "bearer token"


def _getter(client: Any, url: str, headers: dict[str, str]) -> Callable[[], object]:
    def get() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.status_code

    return get


def _ms(t: Timing | None) -> str:
    return "n/a" if t is None else f"{t.median_ms:,.1f} ms ({t.min_ms:,.1f}-{t.max_ms:,.1f})"


# --- the run and its report --------------------------------------------------------------------


def ratio(a: Timing | None, b: Timing | None) -> float | None:
    if a is None or b is None or b.median_ms == 0:
        return None
    return a.median_ms / b.median_ms


Verdict = tuple[str, float | None, bool | None]  # what, ratio, met (None: not measured)


def verdicts(full: Subject, small: Subject) -> list[Verdict]:
    out: list[Verdict] = []
    for key, label in MEASURES:
        speedup = ratio(full.timings["baseline"], full.timings[key])
        met = None if speedup is None else speedup >= REPORT_TARGET
        out.append(
            (f"{label}: baseline / report at {full.entries:,} >= {REPORT_TARGET}", speedup, met)
        )
    for key, label in MEASURES:
        growth = ratio(full.timings[key], small.timings[key])
        met = None if growth is None else growth <= GROWTH_TARGET
        what = f"{label}: at {full.entries:,} / at {small.entries:,} <= {GROWTH_TARGET}"
        out.append((what, growth, met))
    page = full.timings.get("page")
    out.append(
        (
            f"report page at {full.entries:,}: median <= {PAGE_TARGET_MS} ms",
            None if page is None else page.median_ms,
            None if page is None else page.median_ms <= PAGE_TARGET_MS,
        )
    )
    return out


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine(database: str, loads: list[str]) -> list[tuple[str, str]]:
    try:
        ram_text = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        ram_text = "unknown"
    return [
        ("CPU cores (`os.cpu_count()`)", str(os.cpu_count())),
        ("RAM", ram_text),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("SQLite (`sqlite3.sqlite_version`)", sqlite3.sqlite_version),
        ("Database", database),
        ("Load average (1/5/15 min) at the start; at the end", "; ".join(loads)),
    ]


def render(args: argparse.Namespace, subjects: list[Subject], found: list[Verdict]) -> str:
    full, small = subjects
    assert full.build is not None and small.build is not None
    fb, sb = full.build, small.build
    label = f"{args.year}/{args.year + 1}"
    database = (
        "SQLite (files in a temporary directory)" if full.target.is_sqlite else full.target.label
    )
    lines = [
        f"# District report benchmark: {'SQLite' if full.target.is_sqlite else 'PostgreSQL'}",
        "",
        f"Written by `bench/district.py` on {args.started:%Y-%m-%d %H:%M} UTC; the whole run took "
        f"{args.wall_s / 60:.1f} min. Reproduce from the repository root with `make bench`, "
        "which runs `.venv/bin/python bench/district.py`; this run was:",
        "",
        f"    {args.command}",
        "",
        "Options (see `bench/README.md`): `--entries N` (3000000), `--small-entries N` (N/10), "
        "`--runs` (7, the baseline), `--report-runs` (15, the report), `--seed`, "
        "`--database-url postgresql+psycopg://postgres@127.0.0.1:5432/sas_bench` (creates and "
        "drops that database and `sas_bench_small`), `--full-checks`, `--keep`, `--reuse` "
        "(measures the databases a `--keep` run left, without loading them again); through make: "
        "`make bench BENCH_ARGS='--entries 300000'`.",
        "",
        *(
            [
                f"The databases were loaded by an earlier run ({fb.loaded or 'time not recorded'}"
                " UTC, with `--keep`); this run (`--reuse`) only measured them. The load's "
                "figures below are that run's.",
                "",
            ]
            if fb.reused
            else []
        ),
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine(database, args.loads)),
        "",
        "## Data",
        "",
        f"One kabupaten ({KABUPATEN_CODE}), {fb.kecamatan} kecamatan, "
        f"{args.schools:,} schools, the school years {args.first_year}/{args.first_year + 1} to "
        f"{args.first_year + args.years - 1}/{args.first_year + args.years}; the same schools "
        "and recipients at both sizes.",
        "",
        f"| | {fb.entries:,} entries | {sb.entries:,} entries |",
        "|---|---:|---:|",
    ]

    def row(name: str, a: object, b: object) -> None:
        lines.append(f"| {name} | {a} | {b} |")

    for kind in ("contribution", "disbursement", "void"):
        row(f"{kind}s", f"{fb.kinds.get(kind, 0):,}", f"{sb.kinds.get(kind, 0):,}")
    row("recipients", f"{fb.recipients:,}", f"{sb.recipients:,}")
    row("month closings", f"{fb.closings:,}", f"{sb.closings:,}")
    for table, count in fb.totals_rows.items():
        row(f"`{table}` rows", f"{count:,}", f"{sb.totals_rows.get(table, 0):,}")
    row("database size", _size(fb.size), _size(sb.size))
    for step, seconds in fb.timings_s.items():
        row(f"{step} (s)", f"{seconds:.1f}", f"{sb.timings_s.get(step, 0):.1f}")
    lines += [
        "",
        f"## Timings: the district report for the school year {label}",
        "",
        f"Median in ms (min-max) of {args.report_runs} calls (the baseline: {args.runs}) after "
        "one warm-up, the calls alternating between the two databases. The page and the API go "
        "through the Flask test client (the whole request, no network), the page logged in as "
        "the district officer and drawn for every view (`PAGE_CACHE_SECONDS=0`: no kept copy).",
        "",
        f"| | {fb.entries:,} entries | {sb.entries:,} entries | growth |",
        "|---|---:|---:|---:|",
    ]
    for key, name in (*MEASURES, BASELINE):
        a, b = full.timings.get(key), small.timings.get(key)
        note = f" ({full.notes[key]})" if key in full.notes else ""
        growth = ratio(a, b)
        lines.append(
            f"| {name}{note} | {_cell(a)} | {_cell(b)} | "
            f"{'n/a' if growth is None else f'{growth:.2f}x'} |"
        )
    lines += ["", "## Targets", "", "| target | ratio (or ms) | met |", "|---|---:|---|"]
    for what, value, met in found:
        shown = _shown(what, value)
        verdict = "not measured" if met is None else "yes" if met else "**no**"
        lines.append(f"| {what} | {shown} | {verdict} |")
    lines += ["", "## Checks", ""]
    for s in subjects:
        lines += [f"At {s.entries:,} entries:", ""]
        lines += [f"  - {c.strip()}" if c.startswith("    ") else f"- {c}" for c in s.checks]
        lines.append("")
    return "\n".join(lines)


def _shown(what: str, value: float | None) -> str:
    """A target's figure: a ratio, or milliseconds for a target in ms."""
    if value is None:
        return "n/a"
    if what.endswith(" ms"):
        return f"{value:,.1f} ms"
    return f"{value:,.1f}x" if value >= 10 else f"{value:.2f}x"


def _cell(t: Timing | None) -> str:
    return "n/a" if t is None else f"{t.median_ms:,.1f} ({t.min_ms:,.1f}-{t.max_ms:,.1f})"


def _size(size: int | None) -> str:
    return "?" if size is None else f"{size / 2**20:,.0f} MiB"


def parse_args(argv: list[str]) -> argparse.Namespace:
    current = school_year_start(today_wib())
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=3_000_000, help="ledger entries (full size)")
    parser.add_argument("--small-entries", type=int, help="entries of the second database (N/10)")
    parser.add_argument("--schools", type=int, default=1_000)
    parser.add_argument("--years", type=int, default=8, help="complete school years of history")
    parser.add_argument("--runs", type=int, default=7, help="timed baseline calls after a warm-up")
    parser.add_argument("--report-runs", type=int, default=15, help="timed report calls")
    parser.add_argument("--seed", type=int, default=2011)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL whose database (and <name>_small) is created and dropped; "
        "default: SQLite files in a temporary directory",
    )
    parser.add_argument("--workdir", type=Path, help="where the SQLite files go")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the databases an earlier run left with --keep (same --database-url, or "
        "--workdir for SQLite), without loading them again; they are kept",
    )
    parser.add_argument(
        "--full-checks",
        action="store_true",
        help="also check date order and running balances over the whole ledger (slow)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    args.small_entries = args.small_entries or args.entries // 10
    args.first_year = current - args.years  # complete school years, up to the last one ended
    args.year = current - 1  # the report is of the last complete one
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a postgresql URL (SQLite is the default)")
    if args.reuse and not (args.database_url or args.workdir):
        parser.error("--reuse needs --database-url, or --workdir for SQLite")
    return args


SECTION = "<!-- district-{}:{} -->"  # around each database's section of RESULTS.md


def write_section(path: Path, kind: str, section: str) -> None:
    """Put ``section`` between this database kind's markers in ``path``, keeping the rest of the
    file: the other database's district section and the sections other benchmarks write between
    their own markers (``bench/load.py``, ``bench/phone.py``, ``bench/lighthouse.py``)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    legacy = "# District report benchmark\n"
    if text.startswith(legacy):  # written before the markers: SQLite's, up to the next section
        cut = text.find("<!-- ")
        cut = len(text) if cut < 0 else cut
        head, tail = text[:cut].rstrip(), text[cut:]
        text = f"{SECTION.format('sqlite', 'start')}\n{head}\n{SECTION.format('sqlite', 'end')}"
        text += f"\n\n{tail}"
    start, end = SECTION.format(kind, "start"), SECTION.format(kind, "end")
    block = f"{start}\n{section.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    elif kind == "postgresql" and (other := SECTION.format("sqlite", "end")) in text:
        before, rest = text.split(other, 1)
        text = f"{before}{other}\n\n{block}{rest}"
    else:
        text = f"{block}\n\n{text}"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    args.command = " ".join([".venv/bin/python bench/district.py", *argv])
    args.started, clock = datetime.now(UTC), time.perf_counter()
    args.loads = [load_average()]
    subjects: list[Subject] = []
    with tempfile.TemporaryDirectory(prefix="sas-bench-") as tmp:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sas-bench-") if args.keep else tmp)
        try:
            for name, entries in (("", args.entries), ("_small", args.small_entries)):
                log(f"\n== {entries:,} entries ==")
                if args.database_url:
                    target = Target.postgresql(args.database_url, name, args.reuse)
                else:
                    target = Target.sqlite(workdir, f"district{name}", args.reuse)
                log(f"  database: {target.label}")
                subject = Subject(name or "full", target, make_app(target))
                subjects.append(subject)
                if args.reuse:
                    subject.build = reused(target, subject.app)
                else:
                    subject.build = build(target, subject.app, args, entries)
            log("\n== checks ==")
            for subject in subjects:
                prepare(subject, args)
                for check in subject.checks:
                    log(f"  {subject.entries:,}: {check}")
            log("\n== timings ==")
            measure(subjects, args)
        finally:
            for subject in subjects:
                with subject.app.app_context():
                    db.engine.dispose()
                if args.keep or args.reuse:
                    log(f"kept {subject.target.url}")
                else:
                    subject.target.drop()
    args.wall_s = time.perf_counter() - clock
    args.loads.append(load_average())

    found = verdicts(*subjects)
    log("\n== targets ==")
    for what, value, met in found:
        shown = _shown(what, value)
        log(
            f"  {what}: {shown} -> {'not measured' if met is None else 'met' if met else 'NOT met'}"
        )
    write_section(args.output, subjects[0].target.kind, render(args, subjects, found))
    log(f"\nwritten to {args.output} ({args.wall_s / 60:.1f} min in all)")
    return 0 if all(s.agree for s in subjects) else 1


if __name__ == "__main__":
    sys.exit(main())
