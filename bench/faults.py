"""Faults under gunicorn (``make faults``): nothing lost or half-written afterwards.

- ``locked``: SQLite held by another writer longer than the busy timeout (1 s here): the POST
  answers the "try again" page (503), saves nothing, and the same form sent again records once.
- ``kill``: a gunicorn worker killed with SIGKILL every few seconds during the mixed load
  (``bench/load.py``), on SQLite and, when it answers, PostgreSQL. Requests in flight on the
  killed worker get no answer; everything else must hold: no 5xx, each redirected POST exactly
  once, an unanswered POST at most once, balances equal their entries, ``check-totals`` and
  ``verify-ledger`` pass.
- ``pg-restart``: PostgreSQL restarted during the load (``pg_ctlcluster ... restart``): while it
  is down requests answer 503, never 500; afterwards they succeed again with the same gunicorn
  (the pool replaces dead connections), and the same checks pass. This restarts the machine's
  PostgreSQL, so it runs only here, never in ``make test``; ``--only locked,kill`` leaves it
  out.

Exit status 1 if any check fails.
"""

# ruff: noqa: S311, S607 - a seeded choice of worker; our own fixed commands

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
from load import Server, Stats, Target, User, check, flask, log, npsn, seed, server_env

Outcome = list[tuple[str, bool, str]]


def prepare(target: Target, **extra: str) -> tuple[dict[str, str], Server]:
    target.create()
    env = server_env(target, load.free_port(), **extra)
    flask(env, "db", "upgrade")
    seed(env)
    server = Server(env)
    server.wait_ready()
    return env, server


# --- (c) SQLite locked longer than the busy timeout ----------------------------------------


async def _locked(base: str, path: Path) -> Outcome:
    stats = Stats()
    user = User(base, "komite0a", stats)
    school = npsn(0)
    url = f"/sekolah/{school}/sumbangan/baru"
    try:
        await user.login()
        page = await user.call("GET contribution form", "GET", url)
        assert page is not None
        data = load.hidden(page.text) | {
            "amount": "7.000",
            "occurred_on": load.today(),
            "source": "class",
            "class_label": "8A",
        }
        holder = sqlite3.connect(path, isolation_level=None, timeout=1)
        holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock for 3 s and more
        try:
            start = time.monotonic()
            busy = await user.call("POST contribution", "POST", url, data=data)
            waited = time.monotonic() - start
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        again = await user.call("POST contribution", "POST", url, data=data)
        twice = await user.call("POST contribution", "POST", url, data=data)
    finally:
        await user.close()
    count = sqlite3.connect(path).execute(
        "SELECT count(*) FROM entries WHERE form_key = ?", (data["form_key"],)
    )
    recorded = count.fetchone()[0]
    shown = busy.text if busy is not None else ""
    return [
        (
            "a POST behind a lock held past the busy timeout answers 503 'coba lagi'",
            busy is not None and busy.status_code == 503 and "coba lagi" in shown,
            f"status {busy.status_code if busy is not None else 'none'} after {waited:.1f} s",
        ),
        (
            "the same form sent again once the lock is gone records once",
            again is not None
            and again.status_code == 200
            and "Tersimpan" in again.text
            and twice is not None
            and twice.status_code == 200
            and "sudah tersimpan" in twice.text.lower()
            and recorded == 1,
            f"statuses {again and again.status_code}, {twice and twice.status_code}; "
            f"{recorded} entry with its form_key",
        ),
    ]


def fault_locked(folder: Path) -> Outcome:
    target = load.sqlite_target(folder / "locked")
    (folder / "locked").mkdir()
    env, server = prepare(target, SQLITE_BUSY_TIMEOUT="1", GUNICORN_WORKERS="2")
    try:
        path = Path(target.url.removeprefix("sqlite:///"))
        found = asyncio.run(_locked(server.base, path))
    finally:
        server.stop()
    return found + [c for c in check(target, env, []) if c[0].startswith("flask")]


# --- (a) a worker killed with SIGKILL mid-write -------------------------------------------


async def _with_kills(server: Server, seconds: float, kills: int, stats: Stats) -> list[int]:
    started = asyncio.Event()
    killed: list[int] = []
    rng = random.Random(6)

    async def killer() -> None:
        await started.wait()
        for _ in range(kills):
            await asyncio.sleep(seconds / (kills + 1))
            workers = server.workers()
            if workers:
                victim = rng.choice(workers)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

    await asyncio.gather(load.mixed(server.base, seconds, 10**6, stats, started), killer())
    return killed


def fault_kill(target: Target, seconds: float) -> Outcome:
    env, server = prepare(target)
    stats = Stats()
    try:
        killed = asyncio.run(_with_kills(server, seconds, 3, stats))
        server.wait_ready()  # the master has replaced the killed workers
        alive = len(server.workers())
    finally:
        server.stop()
    try:
        found = [c for c in check(target, env, [stats]) if c[0] != "every request answered"]
    finally:
        target.drop()
    lost = sum(len(e) for e in stats.errors.values())
    posts = sum(n for r, s in stats.statuses.items() if r.startswith("POST") for n in s.values())
    return [
        (
            f"{target.name}: SIGKILL to {len(killed)} workers mid-load; workers replaced",
            len(killed) == 3 and alive == server_workers(),
            f"{posts:,} POSTs answered, {lost} requests cut off by a kill, {alive} workers after",
        ),
        *((f"{target.name}: {what}", ok, detail) for what, ok, detail in found),
    ]


def server_workers() -> int:
    return load.server_workers()


# --- (b) PostgreSQL restarted during the load ---------------------------------------------


def pg_version() -> str:
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        version, cluster, port, *_ = line.split()
        if cluster == "main" and port == "5432":
            return version
    raise RuntimeError("no PostgreSQL cluster 'main' on port 5432")


async def _with_restart(server: Server, seconds: float, stats: Stats) -> tuple[float, float]:
    started = asyncio.Event()
    window: list[float] = []

    async def restart() -> None:
        await started.wait()
        await asyncio.sleep(seconds / 3)
        window.append(time.monotonic())
        await asyncio.to_thread(
            subprocess.run,
            ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"],
            check=True,
            capture_output=True,
        )
        window.append(time.monotonic())

    await asyncio.gather(load.mixed(server.base, seconds, 10**6, stats, started), restart())
    return window[0], window[1]


def fault_pg_restart(target: Target, seconds: float) -> Outcome:
    env, server = prepare(target)
    stats = Stats()
    try:
        down, up = asyncio.run(_with_restart(server, seconds, stats))
        health = load.httpx.get(server.base + "/healthz", timeout=10).status_code
    finally:
        server.stop()
    try:
        found = [c for c in check(target, env, [stats]) if c[0] not in ("no 5xx answer",)]
    finally:
        target.drop()
    statuses = [s for _t, _r, s in stats.timeline]
    during = [s for t, _r, s in stats.timeline if down <= t <= up + 1]
    after = [(r, s) for t, r, s in stats.timeline if t > up + 2]
    return [
        (
            "PostgreSQL restart: no 500, only 503 'try again' while it was down",
            500 not in statuses and all(s in (0, 503) or s < 500 for s in statuses),
            f"restart took {up - down:.1f} s; during it: {during.count(503)} x 503, "
            f"{sum(1 for s in during if 0 < s < 500)} answered, {during.count(0)} cut off; "
            f"500s in the whole run: {statuses.count(500)}",
        ),
        (
            "afterwards requests succeed again without restarting the app",
            health == 200
            and any(r.startswith("POST") and s in (200, 303) for r, s in after)
            and all(s < 500 for _r, s in after),
            f"/healthz {health}; after: {sum(1 for _r, s in after if s < 400):,} of "
            f"{len(after):,} requests 2xx/3xx, {sum(1 for _r, s in after if s >= 500)} 5xx",
        ),
        *((f"PostgreSQL restart: {what}", ok, detail) for what, ok, detail in found),
    ]


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="locked,kill,pg-restart", help="comma-separated")
    parser.add_argument("--seconds", type=float, default=20, help="load per fault run (20)")
    parser.add_argument("--database-url", default=load.DEFAULT_PG.replace("sas_load", "sas_faults"))
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    found: Outcome = []
    folder = Path(tempfile.mkdtemp(prefix="sas-faults-"))
    pg = load.pg_target(args.database_url)
    try:
        if "locked" in wanted:
            log("== SQLite locked past the busy timeout ==")
            found += fault_locked(folder)
        if "kill" in wanted:
            log("== SIGKILL a worker mid-write: SQLite ==")
            (folder / "kill").mkdir()
            found += fault_kill(load.sqlite_target(folder / "kill"), args.seconds)
            log("== SIGKILL a worker mid-write: PostgreSQL ==")
            found += fault_kill(pg, args.seconds)
        if "pg-restart" in wanted:
            log("== PostgreSQL restarted during the load ==")
            found += fault_pg_restart(pg, args.seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log("")
    for what, ok, detail in found:
        log(f"{'pass' if ok else 'FAIL'}: {what} ({detail})")
    return 0 if found and all(ok for _, ok, _ in found) else 1


if __name__ == "__main__":
    sys.exit(main())
