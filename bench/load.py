"""Load benchmark: the app under gunicorn, driven through its real forms, then checked.

For each database (a fresh SQLite file in WAL, then PostgreSQL), ``make load``:

1. creates the schema with ``flask db upgrade`` and seeds 20 schools (2 committee members and a
   teacher each, 3 recipients, 5 classes, Rp500.000 in the fund) and a district officer;
2. starts ``gunicorn -c gunicorn.conf.py wsgi:app`` on loopback;
3. runs a mixed load for ``--seconds``: 40 committee members record contributions,
   disbursements (below the approval threshold) and voids through the forms (GET the form for
   its CSRF token and one-time ``form_key``, then POST), 10 teachers read dashboards and cash
   books, 2 district officers read the district, kecamatan and school reports;
4. measures four saturation phases of ``--phase-seconds`` each with the 40 committee clients:
   a bare WSGI route (``bench/bare.py`` under the same gunicorn.conf.py), the smallest signed-in
   page (``/akun``, for scale), the school dashboard, and recording a contribution (POST
   only; the client makes the ``form_key``); with the workers' CPU time per request;
5. checks: no 5xx and no unanswered request; every POST answered with its entry (a void's
   redirect to it, a contribution's or disbursement's confirmation naming it) is in the
   database exactly once, under that entry, and no other entry is; every fund
   balance equals its entries and no running balance goes below zero; ``flask sas check-totals``
   and ``flask sas verify-ledger`` pass (run as subprocesses against the same database).

It prints throughput and p50/p95 latency per route and writes them between the
``<!-- load:start -->`` and ``<!-- load:end -->`` markers of ``bench/RESULTS.md`` (the district
benchmark keeps that section when it rewrites the file). Exit status 1 if a check fails; the
throughput targets are reported, not asserted.
"""

# ruff: noqa: S311, S603, S607 - seeded test data; subprocesses of our own fixed commands

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
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
ENTRY_URL = re.compile(r"/sekolah/(\w{8})/entries/(\d+)$")
SAVED_ENTRY = re.compile(r'id="saved-lines">.*?href="/sekolah/(\w{8})/entries/(\d+)"', re.S)
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
    server_cpu: float = 0.0  # CPU seconds the gunicorn workers spent (saturation phases)
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


async def saturate(base: str, route: str, seconds: float, stats: Stats, clients: int = 40):
    """``clients`` users doing one thing back to back: the bare route, the dashboard, or
    recording a contribution (one form GET per user for the CSRF token, then POSTs only, each
    sent with the session cookie from before the previous one: see the loop)."""
    users = [
        (User(base, f"komite{i % SCHOOLS}{'ab'[i // SCHOOLS % 2]}", stats), npsn(i % SCHOOLS))
        for i in range(clients)
    ]
    tokens: dict[int, str] = {}
    try:
        if route != "GET bare":
            await asyncio.gather(*(u.login() for u, _ in users))
        if route == "POST contribution":
            for n, (u, school) in enumerate(users):
                page = await u.call("form", "GET", f"/sekolah/{school}/sumbangan/baru")
                tokens[n] = hidden(page.text)["csrf_token"] if page is not None else ""
        stats.latencies.clear()
        stats.statuses.clear()
        start = time.monotonic()
        until = start + seconds

        async def loop(n: int, u: User, school: str) -> None:
            while time.monotonic() < until:
                if route == "GET bare":
                    await u.call(route, "GET", "/")
                elif route == "GET dashboard":
                    await u.call(route, "GET", f"/sekolah/{school}/beranda")
                elif route == "GET account":
                    await u.call(route, "GET", "/akun")
                else:
                    data = {
                        "csrf_token": tokens[n],
                        "form_key": uuid.uuid4().hex,
                        "amount": "5.000",
                        "occurred_on": today(),
                        "source": "anonymous",
                    }
                    await u.post_entry(route, f"/sekolah/{school}/sumbangan/baru", data)

        await asyncio.gather(*(loop(n, u, s) for n, (u, s) in enumerate(users)))
        stats.seconds = time.monotonic() - start
    finally:
        await asyncio.gather(*(u.close() for u, _ in users))


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


def check(target: Target, env: dict[str, str], runs: list[Stats]) -> list[tuple[str, bool, str]]:
    """Each check as (what, passed, detail)."""
    found: list[tuple[str, bool, str]] = []
    server_errors = sum(s.server_errors() for s in runs)
    found.append(("no 5xx answer", server_errors == 0, f"{server_errors} answers >= 500"))
    lost = {route: e for s in runs for route, e in s.errors.items() if e}
    detail = "; ".join(f"{r}: {len(e)} ({e[0]})" for r, e in lost.items()) or "all answered"
    found.append(("every request answered", not lost, detail))

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
    extra = [
        k for k in by_key if k not in answered and k not in unanswered and not k.startswith("seed-")
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
            f"{len(rows):,} entries ({SCHOOLS} seeded); {len(extra)} unexplained; "
            f"{len(unanswered)} POSTs without an answer, of which "
            f"{sum(1 for k in unanswered if k in by_key)} recorded",
        )
    )
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


@dataclass
class Result:
    target: Target
    mixed: Stats
    phases: dict[str, Stats]
    checks: list[tuple[str, bool, str]]

    def rate(self, route: str) -> float:
        stats = self.phases[route]
        return len(stats.latencies[route]) / stats.seconds if stats.seconds else 0.0

    def cpu_ms(self, stats: Stats) -> float:
        served = sum(len(v) for v in stats.latencies.values())  # the phase, without logins
        return 1000 * stats.server_cpu / max(served, 1)

    def targets(self) -> list[tuple[str, float, float]]:
        bare = self.rate("GET bare") or 1.0
        return [
            ("dashboard vs the bare route", self.rate("GET dashboard") / bare, 0.35),
            ("recording an entry vs the bare route", self.rate("POST contribution") / bare, 0.15),
        ]


def report(results: list[Result], args: argparse.Namespace, started: datetime, loads: list[str]):
    out = [
        START,
        "# Load benchmark",
        "",
        f"Written by `bench/load.py` on {started:%Y-%m-%d %H:%M} UTC. Reproduce with `make load` "
        f"(this run: `{args.command}`). What it does and checks: `bench/README.md`.",
        "",
        f"Machine: {os.cpu_count()} CPU cores, {platform.platform()}, Python "
        f"{platform.python_version()}; gunicorn with `gunicorn.conf.py` "
        f"({server_workers()} sync workers, access log off); the asyncio client (httpx) runs on "
        "the same machine and takes a share of the same cores. Load average at the start; at "
        f"the end: {loads[0]}; {loads[-1]}.",
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
            f"Saturation, {args.phase_seconds:.0f} s each, 40 clients doing one thing back to "
            "back (the bare route is `bench/bare.py`, a constant string, on the same "
            "gunicorn.conf.py; recording posts with a client-made form_key):",
            "",
            "| route | requests | per second | p50 ms | p95 ms | statuses | server CPU ms |",
            "|---|---:|---:|---:|---:|---|---:|",
        ]
        for stats in r.phases.values():
            for line in table(stats)[2:-1]:
                out.append(f"{line} {r.cpu_ms(stats):.1f} |")
        out += ["", "| target | measured | wanted | |", "|---|---:|---:|---|"]
        for what, value, wanted in r.targets():
            verdict = "met" if value >= wanted else "NOT met"
            out.append(f"| {what} | {value:.0%} | >= {wanted:.0%} | {verdict} |")
        out += [
            "",
            "For scale: the smallest signed-in page (`GET /akun`: the user lookup, the "
            f"session and the layout) reaches {r.rate('GET account') / r.rate('GET bare'):.0%} "
            "of the bare route. Server CPU ms is the workers' CPU time in the phase divided by "
            "its requests (the client's share of the cores is not in it).",
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
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def measured(server: Server, route: str, seconds: float) -> Stats:
    """A saturation phase, with the CPU time its workers spent in it (logins included)."""
    stats, workers = Stats(), server.workers()
    before = cpu_seconds(workers)
    asyncio.run(saturate(server.base, route, seconds, stats))
    stats.server_cpu = cpu_seconds(workers) - before
    return stats


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
        phases: dict[str, Stats] = {}
        bare_env = server_env(target, free_port())
        bare = Server(bare_env, "bare:app", "--pythonpath", str(ROOT / "bench"))
        try:
            bare.wait_ready("/")
            phases["GET bare"] = measured(bare, "GET bare", args.phase_seconds)
        finally:
            bare.stop()
        for route in ("GET account", "GET dashboard", "POST contribution"):
            phases[route] = measured(server, route, args.phase_seconds)
        for p in phases.values():
            log("  " + table(p)[2])
    finally:
        server.stop()
    checks = check(target, env, [stats, *phases.values()])
    result = Result(target, stats, phases, checks)
    for what, value, wanted in result.targets():
        log(f"  target {what}: {value:.0%} (wanted >= {wanted:.0%})")
    for what, ok, detail in checks:
        log(f"  {'pass' if ok else 'FAIL'}: {what} ({detail})")
    return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="mixed load (60)")
    parser.add_argument("--phase-seconds", type=float, default=15, help="each saturation (15)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="mixed load bound")
    parser.add_argument(
        "--database-url", default=DEFAULT_PG, help=f"PostgreSQL, created and dropped ({DEFAULT_PG})"
    )
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.seconds > 600 or args.phase_seconds > 120:
        parser.error("bounded: --seconds at most 600, --phase-seconds at most 120")
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
