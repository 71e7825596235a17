"""Load benchmark: the app under gunicorn, driven through its real forms, then checked.

For each database (a fresh SQLite file in WAL, then PostgreSQL), ``make load``:

1. creates the schema with ``flask db upgrade`` and seeds 20 schools (2 committee members and a
   teacher each, 3 recipients, 5 classes, Rp500.000 in the fund) and a district officer;
2. starts ``gunicorn -c gunicorn.conf.py wsgi:app`` on loopback;
3. runs a mixed load for ``--seconds``: 40 committee members record contributions,
   disbursements (below the approval threshold) and voids through the forms (GET the form for
   its CSRF token and one-time ``form_key``, then POST), 10 teachers read dashboards and cash
   books, 2 district officers read the district, kecamatan and school reports;
4. stops the app, adds schools up to ``--district-schools`` (1,000) in the same kabupaten, each
   with a few months of entries written through the kernel's ``Loader`` (as the demo is), and
   starts it again; then measures saturation phases with ``wrk`` (Debian's package, installed
   with apt-get if missing; scripts in ``bench/wrk/``): the bare Flask route (``bench/bare.py``
   under the same gunicorn.conf.py, a second server), then each route of the app, alternated
   (bare, route, bare, route...) for ``--rounds`` rounds of ``--phase-seconds``, medians
   reported: ``/akun``, the dashboard, the cash book's first page, the district report, the
   anonymous public page ``/``, and POSTing a contribution with every writer on one school and
   with writers spread over the 20 schools; with the server's CPU ms per request (gunicorn
   master and workers, ``/proc``), wrk's own CPU and the machine's idle CPU, and which of them
   held the rate back;
5. checks: no 5xx and no unanswered request; every POST answered with its entry (a void's
   redirect to it, a contribution's or disbursement's confirmation naming it) is in the
   database exactly once, under that entry; wrk's POSTs (each with a run's tag in its form key)
   left as many entries as wrk saw confirmed, plus at most those still in flight when it
   stopped, none twice; no other entry is; every fund balance equals its entries and no
   running balance goes below zero; ``flask sas check-totals`` and ``flask sas verify-ledger``
   pass (run as subprocesses against the same database), after the saturation phases too.

It prints throughput and latency per route and writes them between the
``<!-- load:start -->`` and ``<!-- load:end -->`` markers of ``bench/RESULTS.md`` (the district
benchmark keeps that section when it rewrites the file). Exit status 1 if a check fails; the
throughput targets are reported, not asserted.
"""

# ruff: noqa: S311, S603, S607 - seeded test data; subprocesses of our own fixed commands

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SCHOOLS = 20
TEACHERS = 10  # teachers reading at once (of the 20)
DISTRICT_OFFICERS = 2
PASSWORD = "load-test-password"  # noqa: S105 - a throwaway database
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/sas_load"
START, END = "<!-- load:start -->", "<!-- load:end -->"
WIB = ZoneInfo("Asia/Jakarta")


def log(message: str) -> None:
    print(message, flush=True)


def npsn(i: int) -> str:
    return f"3510{i:04d}"


# --- databases -----------------------------------------------------------------------------


@dataclass
class Target:
    name: str  # "SQLite" or "PostgreSQL"
    url: str  # as DATABASE_URL
    admin_url: str | None = None  # PostgreSQL: where to CREATE/DROP the database
    db_name: str | None = None

    def create(self) -> None:
        if self.admin_url:
            with _pg_admin(self.admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.db_name}"')

    def drop(self) -> None:
        if self.admin_url:
            with _pg_admin(self.admin_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


@contextmanager
def _pg_admin(url: str) -> Iterator[Any]:
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def sqlite_target(folder: Path) -> Target:
    return Target("SQLite", f"sqlite:///{folder / 'load.sqlite3'}")


def pg_target(url: str) -> Target:
    base, _, name = url.rpartition("/")
    return Target("PostgreSQL", url, admin_url=f"{base}/postgres", db_name=name)


def server_env(target: Target, port: int, **extra: str) -> dict[str, str]:
    """Production configuration on loopback over plain HTTP, a throwaway secret."""
    env = dict(os.environ)
    env.update(
        SAS_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=target.url,
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback: no TLS proxy in front
        # Every simulated user logs in from 127.0.0.1; the per-address login limit (20 a
        # minute) is for the internet, not for one benchmark client.
        SAS_LOGIN_LIMIT_PER_ADDRESS="100000 per minute",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="off",
        GUNICORN_MAX_REQUESTS="0",  # no worker recycling in the middle of a measurement
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def flask(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def seed(env: dict[str, str]) -> None:
    """20 schools in 5 kecamatan, their people and recipients, Rp500.000 in each fund."""
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import load; load._seed()"
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"seed failed:\n{done.stdout}{done.stderr}")


def _seed() -> None:  # runs in a subprocess with the server's environment
    from werkzeug.security import generate_password_hash

    from sas import ledger
    from sas.dates import today_wib
    from sas.entries import services as entries
    from sas.extensions import db
    from sas.models import (
        Jenjang,
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
    from wsgi import app

    # One cheap hash for every account: the benchmark measures the ledger, not scrypt.
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with app.app_context():
        kab = Region(code="35.10", name="Banyuwangi", level=RegionLevel.KABUPATEN)
        db.session.add(kab)
        db.session.flush()
        kecamatan = []
        for k, name in enumerate(
            ("Pesanggaran", "Bangorejo", "Purwoharjo", "Tegaldlimo", "Muncar")
        ):
            region = Region(
                code=f"35.10.0{k + 1}", name=name, level=RegionLevel.KECAMATAN, parent_id=kab.id
            )
            db.session.add(region)
            kecamatan.append(region)
        db.session.flush()

        def user(username: str, role: Role, **fields: Any) -> User:
            row = User(username=username, display_name=username, role=role, **fields)
            row.password_hash = hashed
            db.session.add(row)
            return row

        user("dinas", Role.DISTRICT, region_id=kab.id)
        today = today_wib()
        for i in range(SCHOOLS):
            school = School(
                npsn=npsn(i),
                name=f"SMP Negeri {i + 1} Beban",
                jenjang=Jenjang.SMP,
                status=SchoolStatus.NEGERI,
                kecamatan_id=kecamatan[i % len(kecamatan)].id,
            )
            db.session.add(school)
            db.session.flush()
            ledger.ensure_fund(school)
            first = user(f"komite{i}a", Role.COMMITTEE, school_id=school.id)
            user(f"komite{i}b", Role.COMMITTEE, school_id=school.id)
            user(f"guru{i}", Role.TEACHER, school_id=school.id)
            for n, cls in enumerate(("7A", "8B", "9C")):
                db.session.add(
                    Recipient(
                        school_id=school.id,
                        name=f"Siswa {i}-{n}",
                        class_label=cls,
                        reason="Orang tua buruh tani",
                    )
                )
            db.session.add_all(SchoolClass(school_id=school.id, label=c) for c in CLASSES)
            db.session.flush()
            entries.record_contribution(
                school,
                amount=500_000,
                occurred_on=today,
                source=Source.CLASS,
                class_label="7A",
                donor_name=None,
                note="saldo awal uji beban",
                recorded_by=first,
                form_key=f"seed-{i}",
                today=today,
            )
        db.session.commit()
        db.engine.dispose()


def seed_district(env: dict[str, str], total: int) -> None:
    """Schools up to ``total`` in the kabupaten, for the district report's saturation phase."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import load; "
        f"load._seed_district({total})"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"district seed failed:\n{done.stdout}{done.stderr}")


def _seed_district(total: int) -> None:  # runs in a subprocess with the server's environment
    """Schools ``SCHOOLS`` to ``total - 1`` in the load's five kecamatan, each with a committee
    member, a recipient and six months of entries (two contributions and a disbursement a
    month) written through the kernel's ``Loader``, as the demo is; then the report totals are
    rebuilt. Their form keys start with "seed-", so the checks count them as seeded."""
    from datetime import time as clock
    from datetime import timedelta

    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from sas.dates import today_wib
    from sas.extensions import db
    from sas.ledger import ensure_fund, totals
    from sas.ledger.book import Loader, write_loaded
    from sas.models import (
        Category,
        Direction,
        EntryKind,
        Jenjang,
        Recipient,
        Region,
        RegionLevel,
        Role,
        School,
        SchoolStatus,
        Source,
        User,
    )
    from wsgi import app

    rng = random.Random(35_10)
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    blank = dict.fromkeys(
        ("source", "class_label", "donor_name", "note", "recipient_id", "category", "in_kind",
         "description", "reason", "approved_by_id")
    )  # fmt: skip
    with app.app_context():
        kecamatan = db.session.scalars(
            select(Region).where(Region.level == RegionLevel.KECAMATAN).order_by(Region.code)
        ).all()
        today = today_wib()
        books, funds = [], []
        for i in range(SCHOOLS, total):
            school = School(
                npsn=npsn(i),
                name=f"SD Negeri {i + 1} Beban",
                jenjang=Jenjang.SD,
                status=SchoolStatus.NEGERI,
                kecamatan_id=kecamatan[i % len(kecamatan)].id,
            )
            db.session.add(school)
            db.session.flush()
            funds.append(ensure_fund(school))
            member = User(
                username=f"komite{i}a",
                display_name=f"komite{i}a",
                role=Role.COMMITTEE,
                school_id=school.id,
            )
            member.password_hash = hashed
            child = Recipient(
                school_id=school.id, name=f"Siswa {i}", class_label="4A", reason="Yatim"
            )
            db.session.add_all((member, child))
            db.session.flush()
            book = Loader(school.id, today)
            for back in range(6, -1, -1):  # six months ago to today, in date order
                day = today - timedelta(days=30 * back)
                at = datetime.combine(day, clock(13), WIB).astimezone(UTC)
                common = blank | {"occurred_on": day, "recorded_at": at}
                common["recorded_by_id"] = member.id
                for n in range(2):
                    book.append(
                        **common
                        | {
                            "kind": EntryKind.CONTRIBUTION,
                            "direction": Direction.IN,
                            "source": Source.CLASS,
                            "class_label": "4A",
                            "amount": rng.randint(5, 40) * 10_000,
                            "form_key": f"seed-{i}-{back}-{n}",
                        }
                    )
                book.append(
                    **common
                    | {
                        "kind": EntryKind.DISBURSEMENT,
                        "direction": Direction.OUT,
                        "recipient_id": child.id,
                        "category": Category.SERAGAM,
                        "in_kind": False,
                        "description": "Seragam",
                        "amount": rng.randint(1, 8) * 10_000,
                        "form_key": f"seed-{i}-{back}-out",
                    }
                )
            books.append(book)
        write_loaded(books, funds)
        totals.rebuild()
        db.session.commit()
        db.engine.dispose()


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gunicorn -c gunicorn.conf.py APP`` in its own process group, stopped on exit."""

    def __init__(self, env: dict[str, str], app: str = "wsgi:app", *extra: str) -> None:
        self.port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="sas-gunicorn-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), *extra, app],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/healthz", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.output()}")
            try:
                if httpx.get(self.base + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer {path} in {seconds:.0f} s:\n{self.output()}")

    def workers(self) -> list[int]:
        """Pids of the worker processes (the children of the gunicorn master)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def pids(self) -> list[int]:
        """The master and its workers: the server's CPU time is theirs."""
        return [self.proc.pid, *self.workers()]

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.log.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        Path(self.log.name).unlink(missing_ok=True)


# --- the client ----------------------------------------------------------------------------

FIELD = re.compile(r'<input[^>]*\bname="(csrf_token|form_key)"[^>]*\bvalue="([^"]*)"')
OPTION = re.compile(r'<option[^>]*\bvalue="(\d+)"')
ENTRY_URL = re.compile(r"/sekolah/(\w{8})/catatan/(\d+)$")
SAVED_ENTRY = re.compile(r'id="saved-lines">.*?href="/sekolah/(\w{8})/catatan/(\d+)"', re.S)
CLASSES = ("7A", "7B", "8A", "8B", "9A")


def hidden(html: str) -> dict[str, str]:
    return {name: value for name, value in FIELD.findall(html)}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    answered: dict[str, tuple[str, int]] = field(default_factory=dict)  # form_key -> entry
    unanswered: set[str] = field(default_factory=set)  # form keys whose POST got no answer
    requests: int = 0
    seconds: float = 0.0
    # (monotonic time of the answer, route, status or 0 when there was none): for the faults
    timeline: list[tuple[float, str, int]] = field(default_factory=list)

    def server_errors(self) -> int:
        return sum(n for s in self.statuses.values() for code, n in s.items() if code >= 500)


class User:
    """One browser: its own cookies, one request at a time."""

    def __init__(self, base: str, username: str, stats: Stats) -> None:
        self.http = httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=1)
        )
        self.username = username
        self.stats = stats

    async def call(self, route: str, method: str, url: str, **kw: Any) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kw)
        except httpx.HTTPError as error:
            self.stats.errors[route].append(f"{type(error).__name__}: {error}")
            self.stats.timeline.append((time.monotonic(), route, 0))
            return None
        self.stats.timeline.append((time.monotonic(), route, response.status_code))
        self.stats.latencies[route].append(time.perf_counter() - start)
        self.stats.statuses[route][response.status_code] += 1
        self.stats.requests += 1
        return response

    async def login(self) -> None:
        page = await self.call("GET login", "GET", "/masuk")
        token = hidden(page.text).get("csrf_token", "") if page is not None else ""
        data = {"csrf_token": token, "username": self.username, "password": PASSWORD}
        done = await self.call("POST login", "POST", "/masuk", data=data)
        if done is None or done.status_code != 303:
            raise RuntimeError(f"{self.username} could not log in")

    async def post_entry(self, route: str, url: str, data: dict[str, str]) -> str | None:
        """POST a form; when the answer names an entry (a void's redirect to it, a recording's
        confirmation), remember which entry its form_key made."""
        key = data["form_key"]
        response = await self.call(route, "POST", url, data=data)
        if response is None:
            self.stats.unanswered.add(key)
            return None
        if response.status_code in (302, 303):
            match = ENTRY_URL.search(response.headers.get("Location", ""))
        else:
            match = SAVED_ENTRY.search(response.text) if response.status_code == 200 else None
        if match:
            self.stats.answered[key] = (match[1], int(match[2]))
            return match[2]
        return None

    async def close(self) -> None:
        await self.http.aclose()


def today() -> str:
    return datetime.now(WIB).date().isoformat()


async def contribution(user: User, school: str, rng: random.Random) -> str | None:
    url = f"/sekolah/{school}/sumbangan/baru"
    page = await user.call("GET contribution form", "GET", url)
    if page is None or page.status_code != 200:
        return None
    data = hidden(page.text) | {
        "amount": f"Rp {rng.randint(1, 50) * 1000:,}".replace(",", "."),
        "occurred_on": today(),
        "source": "class",
        "class_label": rng.choice(CLASSES),
    }
    return await user.post_entry("POST contribution", url, data)


async def disbursement(user: User, school: str, rng: random.Random) -> str | None:
    url = f"/sekolah/{school}/penyaluran/baru"
    page = await user.call("GET disbursement form", "GET", url)
    if page is None or page.status_code != 200:
        return None
    recipients = OPTION.findall(page.text)
    if not recipients:
        return None
    data = hidden(page.text) | {
        "amount": str(rng.randint(5, 60) * 1000),  # far below the Rp500.000 threshold
        "occurred_on": today(),
        "recipient_id": rng.choice(recipients),
        "category": rng.choice(("seragam", "sepatu", "alat_tulis", "transport", "sembako")),
        "description": "uji beban",
    }
    return await user.post_entry("POST disbursement", url, data)


async def void(user: User, school: str, entry_id: str) -> None:
    page = await user.call("GET entry", "GET", f"/sekolah/{school}/catatan/{entry_id}")
    if page is None or page.status_code != 200 or "form_key" not in page.text:
        return
    data = hidden(page.text) | {"reason": "salah catat (uji beban)"}
    await user.post_entry("POST void", f"/sekolah/{school}/catatan/{entry_id}/batalkan", data)


async def committee_loop(user: User, school: str, seed: int, until: float, budget: list[int]):
    rng = random.Random(seed)
    mine: list[str] = []  # entries this member recorded, candidates for a void
    while time.monotonic() < until and budget[0] > 0:
        budget[0] -= 1
        roll = rng.random()
        if roll < 0.45:
            made = await contribution(user, school, rng)
        elif roll < 0.75:
            made = await disbursement(user, school, rng)
        elif roll < 0.90 and mine:
            await void(user, school, mine.pop(rng.randrange(len(mine))))
            made = None
        else:
            await user.call("GET dashboard", "GET", f"/sekolah/{school}/beranda")
            made = None
        if made:
            mine.append(made)


async def teacher_loop(user: User, school: str, seed: int, until: float, budget: list[int]):
    rng = random.Random(seed)
    while time.monotonic() < until and budget[0] > 0:
        budget[0] -= 1
        if rng.random() < 0.6:
            await user.call("GET dashboard", "GET", f"/sekolah/{school}/beranda")
        else:
            await user.call("GET cash book", "GET", f"/sekolah/{school}/buku-kas")


async def district_loop(user: User, seed: int, until: float, budget: list[int]):
    rng = random.Random(seed)
    while time.monotonic() < until and budget[0] > 0:
        budget[0] -= 1
        roll = rng.random()
        if roll < 0.4:
            await user.call("GET district report", "GET", "/kabupaten/35.10")
        elif roll < 0.7:
            code = f"35.10.0{rng.randint(1, 5)}"
            await user.call("GET kecamatan report", "GET", f"/kecamatan/{code}")
        else:
            school = npsn(rng.randrange(SCHOOLS))
            await user.call("GET school summary", "GET", f"/sekolah/{school}/ringkasan")


async def mixed(
    base: str,
    seconds: float,
    max_requests: int,
    stats: Stats,
    started: asyncio.Event | None = None,
) -> None:
    """The mixed load; ``started`` is set once everyone has logged in."""
    committee = [
        (User(base, f"komite{i}{m}", stats), npsn(i)) for i in range(SCHOOLS) for m in "ab"
    ]
    teachers = [(User(base, f"guru{i}", stats), npsn(i)) for i in range(TEACHERS)]
    officers = [User(base, "dinas", stats) for _ in range(DISTRICT_OFFICERS)]
    everyone = [u for u, _ in committee] + [u for u, _ in teachers] + officers
    try:
        await asyncio.gather(*(u.login() for u in everyone))
        budget = [max_requests]
        if started is not None:
            started.set()
        start = time.monotonic()
        until = start + seconds
        await asyncio.gather(
            *(committee_loop(u, s, n, until, budget) for n, (u, s) in enumerate(committee)),
            *(teacher_loop(u, s, 100 + n, until, budget) for n, (u, s) in enumerate(teachers)),
            *(district_loop(u, 200 + n, until, budget) for n, u in enumerate(officers)),
        )
        stats.seconds = time.monotonic() - start
    finally:
        await asyncio.gather(*(u.close() for u in everyone))


# --- the saturation phases: wrk against the app and the bare Flask route ------------------

WRK_SCRIPTS = ROOT / "bench" / "wrk"
WRK_LINE = re.compile(r"^SASWRK (\{.*\})$", re.M)


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian when missing (as root, or through sudo)."""
    found = shutil.which("wrk")
    if found:
        return found
    log("  wrk not found: apt-get install -y wrk")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True, timeout=600)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    return found


@dataclass(frozen=True)
class Route:
    """A saturation phase: a wrk script and its sessions file, a line per request target
    (path, Cookie header, CSRF token; see ``bench/wrk/common.lua``)."""

    name: str
    script: str  # "get.lua" or "post.lua"
    lines: tuple[str, ...]

    @property
    def posts(self) -> bool:
        return self.script == "post.lua"


BARE = Route("GET bare Flask", "get.lua", ("/\t",))


@dataclass
class Run:
    """One wrk run: what wrk measured, and the CPU the server, wrk and the machine spent."""

    route: str
    requests: int  # answers
    seconds: float  # wrk's own duration
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    errors: dict[str, int]  # wrk's socket errors: connect, read, write, timeout (and status)
    sent: int = 0  # requests written; the rest of sent - requests were in flight at the end
    recorded: int = 0  # POST answers confirming an entry
    tag: str = ""  # a POST run's form-key prefix
    wall: float = 0.0  # seconds the CPU figures below were taken over
    server_cpu: float = 0.0  # CPU seconds of the gunicorn master and its workers, in the run
    # ... until they had finished the requests in flight when wrk stopped: for CPU a request
    server_cpu_all: float = 0.0
    wrk_cpu: float = 0.0  # CPU seconds of wrk
    idle: float = 0.0  # idle CPU seconds of the whole machine, every core

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU ms a request: every request wrk wrote was served, answered in time or
        not, so the server's CPU until it was done with them is divided by them all."""
        return 1000 * self.server_cpu_all / max(self.sent, 1)

    def cores(self, seconds: float) -> float:
        return seconds / self.wall if self.wall else 0.0

    @property
    def unanswered(self) -> int:
        return (
            self.errors.get("read", 0) + self.errors.get("write", 0) + self.errors.get("timeout", 0)
        )


def parse_wrk(output: str, route: str) -> Run:
    """The ``SASWRK {json}`` line the scripts' ``done()`` prints, as a Run."""
    found = WRK_LINE.search(output)
    if found is None:
        raise RuntimeError(f"no SASWRK line in wrk's output:\n{output[-2000:]}")
    raw = json.loads(found[1])
    return Run(
        route=route,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        statuses={int(code): n for code, n in raw["statuses"].items()},
        errors=raw["errors"],
        sent=raw["sent"],
        recorded=raw["recorded"],
    )


def machine_idle() -> float:
    """Idle CPU seconds of the machine so far, every core (idle and iowait of /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """User + system CPU seconds of the child processes waited for so far (wrk's, once it
    exits; the gunicorn servers are not waited for until they stop)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(server: Server, route: Route, seconds: float, args: argparse.Namespace) -> Run:
    """Run wrk on one route for ``seconds`` and take the CPU each side spent meanwhile."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", prefix="sas-wrk-") as sessions:
        sessions.write("\n".join(route.lines) + "\n")
        sessions.flush()
        tag = secrets.token_hex(8) if route.posts else ""
        command = [
            args.wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            str(WRK_SCRIPTS / route.script),
            server.base,
            "--",
            sessions.name,
            *((tag, today()) if route.posts else ()),
        ]
        pids = server.pids()
        server_before, idle_before, wrk_before = cpu_seconds(pids), machine_idle(), children_cpu()
        start = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
        wall = time.monotonic() - start
        server_after, idle_after, wrk_after = cpu_seconds(pids), machine_idle(), children_cpu()
    settle(pids)
    settled = cpu_seconds(pids)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    run = parse_wrk(done.stdout, route.name)
    run.tag, run.wall = tag, wall
    run.server_cpu = server_after - server_before
    run.server_cpu_all = settled - server_before
    run.wrk_cpu = wrk_after - wrk_before
    run.idle = idle_after - idle_before
    return run


def settle(pids: list[int], limit: float = 15) -> None:
    """Wait until the server has finished what wrk left in flight (its CPU time stops
    growing), so that it does not weigh on the next run."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pids)
        if now - last < 0.05:
            return
        last = now


def signed_in(base: str, username: str, form: str) -> tuple[str, str]:
    """Log ``username`` in and open ``form``: the session's Cookie header and its CSRF token
    (URL-encoded for a form body)."""
    with httpx.Client(base_url=base, timeout=60) as http:
        page = http.get("/masuk")
        data = {
            "csrf_token": hidden(page.text).get("csrf_token", ""),
            "username": username,
            "password": PASSWORD,
        }
        if http.post("/masuk", data=data).status_code != 303:
            raise RuntimeError(f"{username} could not log in")
        page = http.get(form)
        if page.status_code != 200:
            raise RuntimeError(f"{username}: {form} answered {page.status_code}")
        token = hidden(page.text).get("csrf_token", "")
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    return cookie, quote(token, safe="")


def routes(base: str, args: argparse.Namespace) -> list[Route]:
    """The app's saturation phases, with sessions made through the login form: both committee
    members of each of the 20 load schools, and the district officer."""
    members = []  # (npsn, cookie, csrf)
    for i in range(SCHOOLS):
        school = npsn(i)
        for m in "ab":
            form = f"/sekolah/{school}/sumbangan/baru"
            members.append((school, *signed_in(base, f"komite{i}{m}", form)))
    district, _ = signed_in(base, "dinas", "/akun")
    first = [(s, c, t) for s, c, t in members if s == npsn(0)]
    schools = max(SCHOOLS, args.district_schools)

    def post(rows: list[tuple[str, str, str]]) -> tuple[str, ...]:
        return tuple(f"/sekolah/{s}/sumbangan/baru\t{c}\t{t}" for s, c, t in rows)

    return [
        Route("GET /akun", "get.lua", tuple(f"/akun\t{c}" for _, c, _ in members)),
        Route(
            "GET dashboard", "get.lua", tuple(f"/sekolah/{s}/beranda\t{c}" for s, c, _ in members)
        ),
        Route(
            "GET cash book, page 1",
            "get.lua",
            tuple(f"/sekolah/{s}/buku-kas\t{c}" for s, c, _ in members),
        ),
        Route(
            f"GET district report ({schools:,} schools)",
            "get.lua",
            (f"/kabupaten/35.10\t{district}",),
        ),
        Route("GET / (anonymous)", "get.lua", ("/\t",)),
        Route(
            f"POST contribution, {args.connections} writers on one school", "post.lua", post(first)
        ),
        Route(
            f"POST contribution, {args.connections} writers over {SCHOOLS} schools",
            "post.lua",
            post(members),
        ),
    ]


@dataclass
class Saturation:
    """Every wrk run of one database: per route, a (bare, route) pair a round; the warm-up
    runs (not in the figures, but their POSTs are checked like the others)."""

    pairs: dict[str, list[tuple[Run, Run]]] = field(default_factory=dict)
    warmups: list[Run] = field(default_factory=list)

    def runs(self) -> list[Run]:
        return [r for pairs in self.pairs.values() for pair in pairs for r in pair] + self.warmups

    def bare(self) -> list[Run]:
        return [b for pairs in self.pairs.values() for b, _ in pairs]


def saturate(app: Server, bare: Server, args: argparse.Namespace) -> Saturation:
    """Bare, route, bare, route...: each route after its own bare run, round after round, so
    that whatever else the machine does in the meantime weighs on both."""
    found = Saturation()
    phases = routes(app.base, args)
    if args.warmup:
        found.warmups.append(wrk(bare, BARE, args.warmup, args))
    for round_no in range(args.rounds):
        for route in phases:
            if round_no == 0 and args.warmup:  # each worker loads its templates and caches
                found.warmups.append(wrk(app, route, args.warmup, args))
            pair = (
                wrk(bare, BARE, args.phase_seconds, args),
                wrk(app, route, args.phase_seconds, args),
            )
            found.pairs.setdefault(route.name, []).append(pair)
            log(
                f"  round {round_no + 1}: {route.name}: {pair[1].rate:,.0f} req/s, "
                f"bare {pair[0].rate:,.0f} req/s, server {pair[1].cpu_ms:.1f} ms CPU a request"
            )
    return found


def bottleneck(
    wrk_cores: float, server_cores: float, idle_cores: float, threads: int, others: float = 0.0
) -> str:
    """What held a phase's rate back, from the CPU each side used in it (in cores).

    "client": wrk's threads each on a full core, or wrk using as much CPU as the server (on a
    shared machine the server could have had that CPU); "server CPU": no core left idle
    ("shared" when other processes took a quarter of a core or more of it); "server waits":
    the server had idle CPU (locks, the database, or too few connections)."""
    if wrk_cores >= 0.85 * threads or wrk_cores >= server_cores:
        return "client"
    if idle_cores < 0.25:
        return "server CPU, shared" if others >= 0.25 else "server CPU"
    return "server waits"


@dataclass(frozen=True)
class Figures:
    """A route's medians over its rounds."""

    route: str
    rate: float
    p50_ms: float
    p99_ms: float
    share: float  # the median of route / its own bare run, round by round
    cpu_ms: float
    server_cores: float
    wrk_cores: float
    idle_cores: float
    others_cores: float  # busy CPU that was neither the server nor wrk (other processes)
    bound: str
    statuses: dict[int, int]
    rounds: int


def figures(route: str, runs: list[Run], bares: list[Run], threads: int, cores: int) -> Figures:
    """Medians of ``runs`` (the route's, round by round) against ``bares`` (the bare run before
    each; the bare route itself passes its runs as both)."""
    shares = [r.rate / b.rate for r, b in zip(runs, bares, strict=True) if b.rate]
    server = median(r.cores(r.server_cpu) for r in runs)
    client = median(r.cores(r.wrk_cpu) for r in runs)
    idle = median(r.cores(r.idle) for r in runs)
    others = max(0.0, cores - idle - server - client)
    statuses: dict[int, int] = defaultdict(int)
    for r in runs:
        for code, n in r.statuses.items():
            statuses[code] += n
    return Figures(
        route=route,
        rate=median(r.rate for r in runs),
        p50_ms=median(r.p50_ms for r in runs),
        p99_ms=median(r.p99_ms for r in runs),
        share=median(shares) if shares else 0.0,
        cpu_ms=median(r.cpu_ms for r in runs),
        server_cores=server,
        wrk_cores=client,
        idle_cores=idle,
        others_cores=others,
        bound=bottleneck(client, server, idle, threads, others),
        statuses=dict(statuses),
        rounds=len(runs),
    )


def share_text(route: Figures, bare: Figures) -> str:
    """The share of bare Flask, or what can be said of it when wrk held either rate back: a
    client-bound route is faster than measured, a client-bound bare route would be too."""
    value = f"{route.share:.1%}"
    if route is bare:
        return "100%" if bare.bound != "client" else "100% (client-bound)"
    if route.bound == "client" and bare.bound == "client":
        return f"{value}? (both client-bound)"
    if route.bound == "client":
        return f">= {value} (client-bound)"
    if bare.bound == "client":
        return f"<= {value} (bare client-bound)"
    return value


# --- checks --------------------------------------------------------------------------------


def ledger_rows(url: str) -> tuple[list[tuple], dict[str, int]]:
    """(npsn, form_key, id, direction, amount) of every entry in recording order, and each
    school's fund balance, read with plain SQL."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT s.npsn, e.form_key, e.id, e.direction, e.amount FROM entries e "
                    "JOIN schools s ON s.id = e.school_id ORDER BY s.npsn, e.occurred_on, e.seq"
                )
            ).all()
            funds = conn.execute(
                sa.text(
                    "SELECT s.npsn, f.balance FROM funds f JOIN schools s ON s.id = f.school_id"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], {n: b for n, b in funds}


def check(
    target: Target, env: dict[str, str], runs: list[Stats], wrk_runs: list[Run] | None = None
) -> list[tuple[str, bool, str]]:
    """Each check as (what, passed, detail); ``wrk_runs``: the saturation phases'."""
    wrk_runs = wrk_runs or []
    found: list[tuple[str, bool, str]] = []
    server_errors = sum(s.server_errors() for s in runs)
    server_errors += sum(n for r in wrk_runs for code, n in r.statuses.items() if code >= 500)
    found.append(("no 5xx answer", server_errors == 0, f"{server_errors} answers >= 500"))
    lost = {route: e for s in runs for route, e in s.errors.items() if e}
    detail = "; ".join(f"{r}: {len(e)} ({e[0]})" for r, e in lost.items()) or "all answered"
    sockets: dict[str, int] = defaultdict(int)  # wrk's socket errors by route
    for r in wrk_runs:
        sockets[r.route] += r.unanswered + r.errors.get("connect", 0)
    broken = {route: n for route, n in sockets.items() if n}
    if broken:
        detail += "; wrk: " + ", ".join(
            f"{route}: {n} socket errors" for route, n in broken.items()
        )
    found.append(("every request answered", not lost and not broken, detail))
    # A page answered with anything but 200 (a redirect to the login...) was not the page.
    wrong_status = [
        f"{r.route}: {code}: {n}"
        for r in wrk_runs
        if not r.tag
        for code, n in r.statuses.items()
        if code != 200
    ]
    unconfirmed = sum(r.requests - r.recorded for r in wrk_runs if r.tag)
    found.append(
        (
            "wrk: every page answered 200, every POST confirmed its entry",
            not wrong_status and not unconfirmed,
            "; ".join(wrong_status) or f"{sum(r.requests for r in wrk_runs):,} answers",
        )
    )

    answered: dict[str, tuple[str, int]] = {}
    unanswered: set[str] = set()
    for s in runs:
        answered.update(s.answered)
        unanswered |= s.unanswered
    rows, funds = ledger_rows(target.url)
    by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for school, key, entry_id, _direction, _amount in rows:
        by_key[key].append((school, entry_id))
    missing = [k for k in answered if len(by_key.get(k, [])) != 1]
    wrong = [k for k, where in answered.items() if by_key.get(k) and by_key[k][0] != where]
    tags = tuple(r.tag for r in wrk_runs if r.tag)
    extra = [
        k
        for k in by_key
        if k not in answered
        and k not in unanswered
        and not k.startswith("seed-")
        and not (tags and k.startswith(tags))
    ]
    found.append(
        (
            "each answered POST in the database exactly once, as the entry it named",
            not missing and not wrong,
            f"{len(answered):,} answered POSTs; {len(missing)} missing or doubled, "
            f"{len(wrong)} under another entry",
        )
    )
    found.append(
        (
            "no other entry in the database",
            not extra,
            f"{len(rows):,} entries; {len(extra)} unexplained; "
            f"{len(unanswered)} POSTs without an answer, of which "
            f"{sum(1 for k in unanswered if k in by_key)} recorded",
        )
    )
    if wrk_runs:
        found.append(wrk_posts_check(wrk_runs, by_key))
    running: dict[str, int] = defaultdict(int)
    lowest: dict[str, int] = {}
    for school, _key, _id, direction, amount in rows:
        running[school] += amount if direction == "in" else -amount
        lowest[school] = min(lowest.get(school, 0), running[school])
    unequal = [s for s in funds if funds[s] != running.get(s, 0)]
    negative = [s for s, low in lowest.items() if low < 0]
    found.append(
        (
            "every fund balance equals its entries, none ever below zero",
            not unequal and not negative,
            f"{len(funds)} funds; {len(unequal)} unequal, {len(negative)} went negative",
        )
    )
    for command in ("check-totals", "verify-ledger"):
        done = flask(env, "sas", command, check=False)
        said = (done.stdout + done.stderr).strip().splitlines()
        found.append((f"flask sas {command}", done.returncode == 0, said[-1] if said else ""))
    return found


def wrk_posts_check(
    wrk_runs: list[Run], by_key: dict[str, list[tuple[str, int]]]
) -> tuple[str, bool, str]:
    """wrk's POSTs against the entries with their runs' tags: every confirmed POST has its
    entry, none twice, and an entry beyond them only for a POST still in flight when wrk
    stopped (sent, never answered: the server may have recorded it)."""
    confirmed = in_flight = entries = doubled = 0
    bad: list[str] = []
    for r in wrk_runs:
        if not r.tag:
            continue
        mine = [where for key, where in by_key.items() if key.startswith(r.tag)]
        doubled += sum(1 for where in mine if len(where) != 1)
        pending = r.sent - r.requests  # written but never answered
        if not r.recorded <= len(mine) <= r.recorded + pending:
            bad.append(f"{r.route}: {r.recorded} confirmed, {len(mine)} entries")
        confirmed, in_flight, entries = (
            confirmed + r.recorded,
            in_flight + pending,
            entries + len(mine),
        )
    detail = (
        f"{confirmed:,} POSTs confirmed, {entries:,} entries with their keys; {in_flight} in "
        f"flight when wrk stopped, of which {entries - confirmed} recorded; {doubled} doubled"
    )
    if bad:
        detail += "; " + "; ".join(bad)
    return ("wrk: each confirmed POST recorded once", not bad and not doubled, detail)


# --- reporting -----------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def route_rows(stats: Stats) -> list[tuple[str, int, float, float, float, str]]:
    rows = []
    for route in sorted(stats.latencies):
        values = stats.latencies[route]
        codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(stats.statuses[route].items()))
        rows.append(
            (
                route,
                len(values),
                len(values) / stats.seconds,
                pct(values, 0.5),
                pct(values, 0.95),
                codes,
            )
        )
    return rows


def table(stats: Stats) -> list[str]:
    lines = [
        "| route | requests | per second | p50 ms | p95 ms | statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for route, n, rate, p50, p95, codes in route_rows(stats):
        lines.append(f"| {route} | {n:,} | {rate:,.1f} | {p50:,.1f} | {p95:,.1f} | {codes} |")
    total = sum(len(v) for v in stats.latencies.values())
    lines.append(f"| all | {total:,} | {total / stats.seconds:,.1f} | | | |")
    return lines


# Issue 18's targets: the share of bare Flask each route should reach (quiet machine).
TARGETS = (
    ("GET / (anonymous)", 0.60),
    ("GET /akun", 0.35),
    ("GET dashboard", 0.30),
    ("GET cash book", 0.15),
    ("GET district report", 0.20),
    ("schools", 0.15),  # POST contribution, writers over the 20 schools
    ("one school", 0.08),  # POST contribution, every writer on one school
)


def wanted(route: str) -> float | None:
    for words, share in TARGETS:
        if route.startswith(words) or route.endswith(words):
            return share
    return None


@dataclass
class Result:
    target: Target
    mixed: Stats
    saturation: Saturation
    checks: list[tuple[str, bool, str]]
    threads: int

    def figures(self) -> list[Figures]:
        """The bare route first (all its runs), then each route against its own bare runs."""
        cores = os.cpu_count() or 1
        bares = self.saturation.bare()
        rows = [figures(BARE.name, bares, bares, self.threads, cores)]
        for route, pairs in self.saturation.pairs.items():
            runs, before = [r for _, r in pairs], [b for b, _ in pairs]
            rows.append(figures(route, runs, before, self.threads, cores))
        return rows


def saturation_table(rows: list[Figures]) -> list[str]:
    bare = rows[0]
    lines = [
        "| route | req/s | p50 ms | p99 ms | share of bare Flask | target | server CPU ms "
        "a request | server cores | wrk cores | idle cores | other cores | bound by | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for f in rows:
        goal = wanted(f.route)
        verdict = ""
        if goal is not None and f is not bare:
            verdict = f">= {goal:.0%} " + ("met" if f.share >= goal else "NOT met")
        codes = ", ".join(f"{c}: {n:,}" for c, n in sorted(f.statuses.items()))
        lines.append(
            f"| {f.route} | {f.rate:,.0f} | {f.p50_ms:,.1f} | {f.p99_ms:,.1f} | "
            f"{share_text(f, bare)} | {verdict} | {f.cpu_ms:.2f} | {f.server_cores:.2f} | "
            f"{f.wrk_cores:.2f} | {f.idle_cores:.2f} | {f.others_cores:.2f} | {f.bound} | "
            f"{codes} |"
        )
    return lines


def report(results: list[Result], args: argparse.Namespace, started: datetime, loads: list[str]):
    out = [
        START,
        "# Load benchmark",
        "",
        f"Written by `bench/load.py` on {started:%Y-%m-%d %H:%M} UTC. Reproduce with `make load` "
        f"(this run: `{args.command}`). What it does and checks, and what each column means: "
        "`bench/README.md`.",
        "",
        f"Machine: {os.cpu_count()} CPU cores, {platform.platform()}, Python "
        f"{platform.python_version()}; gunicorn with `gunicorn.conf.py` "
        f"({server_workers()} sync workers, access log off); the clients (httpx for the mixed "
        f"load, `wrk -t{args.threads} -c{args.connections}` for the saturation phases) run on "
        "the same machine and take a share of the same cores. Load average (1 / 5 / 15 min) at "
        f"the start: {loads[0]}; at the end: {loads[-1]}.",
        "",
    ]
    for r in results:
        out += [
            f"## {r.target.name}",
            "",
            f"Mixed load, {r.mixed.seconds:.0f} s: 40 committee members (2 per school, 20 "
            f"schools), {TEACHERS} teachers, {DISTRICT_OFFICERS} district officers, each one "
            "request at a time with no pause. Recording is GET form, then POST.",
            "",
            *table(r.mixed),
            "",
            f"Saturation with wrk, {max(SCHOOLS, args.district_schools):,} schools in the "
            "kabupaten: "
            f"{args.rounds} round(s) of {args.phase_seconds:.0f} s phases, each route right after "
            "its own run of the bare Flask route (`bench/bare.py` on the same gunicorn.conf.py); "
            "medians over the rounds. The share of bare Flask is the median of route / bare "
            "round by round. POSTs carry a new form key each, and the cookie and CSRF token of "
            "a session opened through the login form.",
            "",
            *saturation_table(r.figures()),
        ]
        out += ["", "| check | | |", "|---|---|---|"]
        for what, ok, detail in r.checks:
            out.append(f"| {what} | {'pass' if ok else 'FAIL'} | {detail} |")
        out.append("")
    out.append(END)
    return "\n".join(out)


def server_workers() -> int:
    return int(os.environ.get("GUNICORN_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 9)))


def write_section(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace the section of ``path`` between ``start`` and ``end`` (the load section unless
    told; or append one), keeping everything else."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section + "\n"
    path.write_text(text, encoding="utf-8")


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# --- main ----------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker replaced meanwhile (timeout): its time is lost
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def run_target(target: Target, args: argparse.Namespace) -> Result:
    log(f"\n== {target.name}: {target.url} ==")
    target.create()
    env = server_env(target, free_port())
    flask(env, "db", "upgrade")
    seed(env)
    log("  schema and seed ready")
    server = Server(env)
    try:
        server.wait_ready()
        log(f"  gunicorn up on {server.base}; mixed load for {args.seconds:.0f} s")
        stats = Stats()
        asyncio.run(mixed(server.base, args.seconds, args.max_requests, stats))
        for line in table(stats):
            log("  " + line)
    finally:
        server.stop()
    if args.district_schools > SCHOOLS:
        seed_district(env, args.district_schools)
        log(f"  {args.district_schools:,} schools in the kabupaten; saturation phases with wrk")
    # A fresh server: nothing the workers kept from the mixed load, and the new schools seen.
    server, bare = (
        Server(env),
        Server(server_env(target, free_port()), "bare:app", "--pythonpath", str(ROOT / "bench")),
    )
    try:
        server.wait_ready()
        bare.wait_ready("/")
        found = saturate(server, bare, args)
    finally:
        bare.stop()
        server.stop()
    checks = check(target, env, [stats], found.runs())
    result = Result(target, stats, found, checks, args.threads)
    for line in saturation_table(result.figures()):
        log("  " + line)
    for what, ok, detail in checks:
        log(f"  {'pass' if ok else 'FAIL'}: {what} ({detail})")
    return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="mixed load (60)")
    parser.add_argument(
        "--phase-seconds", type=float, default=10, help="each wrk run of a saturation phase (10)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="bare, route... rounds; medians reported (3)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2,
        help="an unmeasured wrk run per route first (2 s; 0: none)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument(
        "--district-schools",
        type=int,
        default=1000,
        help="schools in the kabupaten for the saturation phases (1000; 20: only the load's)",
    )
    parser.add_argument("--max-requests", type=int, default=500_000, help="mixed load bound")
    parser.add_argument(
        "--database-url", default=DEFAULT_PG, help=f"PostgreSQL, created and dropped ({DEFAULT_PG})"
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.seconds > 600 or args.phase_seconds > 120 or args.rounds > 20:
        parser.error("bounded: --seconds at most 600, --phase-seconds 120, --rounds 20")
    if not 1 <= args.threads <= args.connections or args.district_schools > 9999:
        parser.error("1 <= --threads <= --connections; --district-schools at most 9999")
    if not re.match(
        r"^postgres(ql)?(\+psycopg)?://[^/]*@?(127\.0\.0\.1|localhost)[:/]", args.database_url
    ):
        parser.error("loopback only: the PostgreSQL URL must point at 127.0.0.1 or localhost")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    args.command = " ".join([".venv/bin/python bench/load.py", *argv])
    started, loads = datetime.now(UTC), [load_average()]
    args.wrk = ensure_wrk()
    results: list[Result] = []
    folder = Path(tempfile.mkdtemp(prefix="sas-load-"))
    try:
        targets = [sqlite_target(folder)]
        if not args.sqlite_only:
            targets.append(pg_target(args.database_url))
        for target in targets:
            try:
                results.append(run_target(target, args))
            finally:
                target.drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    loads.append(load_average())
    write_section(args.output, report(results, args, started, loads))
    log(f"\nwritten to {args.output}")
    return 0 if all(ok for r in results for _, ok, _ in r.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
