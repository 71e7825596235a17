"""Backups taken while the app is serving, and restores into an empty database.

A backup is one consistent moment of the database: on SQLite the online backup API copies the
file in a single read transaction (WAL: writers carry on meanwhile); on PostgreSQL ``pg_dump -Fc``
runs on a snapshot exported by a REPEATABLE READ transaction, and that same transaction counts
what the dump holds. Evidence files go next to it in ``PATH.evidence/``. They are copied after
the database: a file is written before its row commits and is never removed, so every file the
copy refers to is already on disk. A restore refuses a database that holds any school or entry,
and ends with the ledger checks (``check_totals`` and every hash chain).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import URL, Connection, create_engine, func, inspect, select, text

from sas.extensions import db
from sas.models import Attachment, Entry, Fund, School


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Contents:
    """What one consistent copy of the database holds."""

    schools: int
    entries: int
    heads_ok: int  # funds whose chain head is their last entry's hash and last_seq its count
    funds: int
    evidence_names: frozenset[str] = field(default_factory=frozenset)

    @property
    def heads_verified(self) -> bool:
        return self.heads_ok == self.funds


@dataclass(frozen=True)
class BackupResult:
    path: Path
    method: str  # "the SQLite online backup API" or "pg_dump -Fc (PostgreSQL)"
    size: int
    contents: Contents
    evidence_path: Path
    evidence_files: int
    evidence_missing: list[str]


@dataclass(frozen=True)
class RestoreResult:
    method: str
    contents: Contents
    evidence_files: int
    problems: list[str]  # check_totals
    broken: list[str]  # schools whose chain does not verify

    @property
    def ok(self) -> bool:
        return not self.problems and not self.broken


def evidence_path(path: Path) -> Path:
    """Where the evidence of backup ``path`` goes: ``PATH.evidence/``."""
    return path.with_name(path.name + ".evidence")


def contents(conn: Connection) -> Contents:
    """Count a copy's schools and entries and check every fund's chain head against its last
    entry with plain queries (the full walk of every chain is the restore's job)."""
    count = select(func.count(Entry.id)).where(Entry.school_id == Fund.school_id)
    last = select(Entry.hash).where(Entry.school_id == Fund.school_id, Entry.seq == Fund.last_seq)
    rows = conn.execute(
        select(Fund.last_seq, Fund.chain_head, count.scalar_subquery(), last.scalar_subquery())
    ).all()
    heads_ok = sum(
        1 for last_seq, head, n, last_hash in rows if n == last_seq and head == last_hash
    )
    return Contents(
        schools=conn.scalar(select(func.count(School.id))) or 0,
        entries=conn.scalar(select(func.count(Entry.id))) or 0,
        heads_ok=heads_ok,
        funds=len(rows),
        evidence_names=frozenset(conn.scalars(select(Attachment.stored_name))),
    )


def _evidence_folder() -> Path:
    from sas.evidence.services import evidence_folder

    return evidence_folder()


def _copy_files(source: Path, target: Path) -> int:
    """Copy the regular files of ``source`` into ``target``, never overwriting one."""
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    copied = 0
    if source.is_dir():
        for file in sorted(source.iterdir()):
            if file.is_file() and not (target / file.name).exists():
                shutil.copy2(file, target / file.name)
                copied += 1
    return copied


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory"):
        raise BackupError("the database is in memory; there is no file to back up or restore")
    return Path(url.database)


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the app's database: the password never shows in ``ps``."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            f"{name} is not installed (PostgreSQL client tools, e.g. apt-get install "
            "postgresql-client); nothing was written"
        )
    return program


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")


# --- backup -------------------------------------------------------------------------------------


def backup(path: Path) -> BackupResult:
    """Write a consistent copy of the database to ``path`` and the evidence to ``PATH.evidence``.

    ``path`` must not exist: a backup never replaces another. The copy is written under a
    temporary name and renamed when complete, so a file with the final name is whole.
    """
    folder = evidence_path(path)
    if path.exists() or folder.exists():
        raise BackupError(f"{path} (or {folder.name}) exists; a backup never replaces another")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    url = db.engine.url
    try:
        if url.get_backend_name() == "sqlite":
            method, found = "the SQLite online backup API", _backup_sqlite(_sqlite_file(url), part)
        elif url.get_backend_name() == "postgresql":
            method, found = "pg_dump -Fc (PostgreSQL)", _backup_postgresql(url, part)
        else:
            raise BackupError(f"no backup for a {url.get_backend_name()} database")
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    copied = _copy_files(_evidence_folder(), folder)
    missing = sorted(n for n in found.evidence_names if not (folder / n).is_file())
    return BackupResult(path, method, path.stat().st_size, found, folder, copied, missing)


def _backup_sqlite(database: Path, part: Path) -> Contents:
    timeout = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "10"))
    with (
        closing(sqlite3.connect(database, timeout=timeout)) as source,
        closing(sqlite3.connect(part)) as target,
    ):
        source.backup(target)  # all pages in one step: one read transaction, one moment
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    engine = create_engine(f"sqlite:///{part}")
    try:
        with engine.connect() as conn:
            return contents(conn)
    finally:
        engine.dispose()


def _backup_postgresql(url: URL, part: Path) -> Contents:
    pg_dump = _program("pg_dump")
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # pg_dump reads the very snapshot this transaction sees, so the counts are the dump's.
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            found = contents(conn)
            _run([pg_dump, "-Fc", f"--snapshot={snapshot}", "-f", str(part)], _pg_env(url))
    return found


# --- restore ------------------------------------------------------------------------------------


def refuse_unless_empty() -> None:
    """A restore replaces the database: refuse one that holds any school or entry."""
    present = inspect(db.session.connection())  # one connection: SQLite's write lock is ours
    for model in (School, Entry):
        name = model.__tablename__
        if present.has_table(name) and db.session.scalar(select(func.count()).select_from(model)):
            raise BackupError(
                f"the database already has {name}; a restore goes only into an empty database"
            )


def restore(path: Path) -> RestoreResult:
    """Bring backup ``path`` (and ``PATH.evidence``) into the configured, empty database, then
    check the ledger."""
    from sas.integrity import check_totals
    from sas.ledger import chain

    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    refuse_unless_empty()
    db.session.remove()
    db.engine.dispose()  # no pooled connection sees the database change under it
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        method = "the SQLite online backup API"
        _restore_sqlite(path, _sqlite_file(url))
    elif url.get_backend_name() == "postgresql":
        method = "pg_restore --no-owner (PostgreSQL)"
        _restore_postgresql(path, url)
    else:
        raise BackupError(f"no restore for a {url.get_backend_name()} database")
    db.engine.dispose()
    copied = _copy_files(evidence_path(path), _evidence_folder())
    with db.engine.connect() as conn:
        found = contents(conn)
    problems = check_totals()
    broken = [s.school.npsn for s in chain.verify_all() if not s.ok]
    db.session.remove()
    return RestoreResult(method, found, copied, problems, broken)


def _restore_sqlite(path: Path, database: Path) -> None:
    timeout = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "10"))
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(database, timeout=timeout)) as target,
        ):
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # is it SQLite?
            source.backup(target)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite backup ({error})") from None


def _restore_postgresql(path: Path, url: URL) -> None:
    pg_restore = _program("pg_restore")
    # --clean --if-exists: a database already migrated (empty tables) takes the backup's schema;
    # --single-transaction: a failed restore leaves nothing half-written.
    args = ["--no-owner", "--clean", "--if-exists", "--single-transaction", "--exit-on-error"]
    _run([pg_restore, *args, "-d", url.database or "", str(path)], _pg_env(url))


def cli_summary(result: BackupResult) -> list[str]:
    """The lines ``flask sas backup`` prints."""
    found = result.contents
    lines = [
        f"wrote {result.path} ({result.size:,} bytes) using {result.method}",
        f"{found.schools:,} schools, {found.entries:,} entries; chain heads "
        + (
            f"verified for all {found.funds} funds"
            if found.heads_verified
            else f"NOT verified: {found.funds - found.heads_ok} of {found.funds} funds differ"
        ),
        f"evidence: {result.evidence_files} files copied to {result.evidence_path}/",
    ]
    if result.evidence_missing:
        lines.append(f"MISSING evidence files: {', '.join(result.evidence_missing)}")
    return lines
