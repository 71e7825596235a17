"""Backups while people write, and restores into an empty database that pass the ledger checks.

On SQLite always; on PostgreSQL (``TEST_DATABASE_URL``) with pg_dump and pg_restore, restoring
into a scratch database created next to the test database and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from sas import backup, integrity, ledger
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import chain
from sas.models import Attachment, Entry, Fund, School, Source, User
from tests.database import POSTGRES, empty_app, restore_into
from tests.threads import THREADS, run_at_once

METHOD = "pg_dump -Fc (PostgreSQL)" if POSTGRES else "the SQLite online backup API"
WRITES = 8  # contributions per writing thread


@pytest.fixture
def restore_url(tmp_path: Path) -> Iterator[str]:
    """A separate, empty database to restore into (the app fixture's one holds the test's data)."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    url = make_url(test_url)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def entries_per_school() -> dict[str, tuple[int, int]]:
    """NPSN -> (entries in the ledger, the fund's last_seq)."""
    counts = dict(
        db.session.execute(
            select(School.npsn, func.count(Entry.id)).join(Entry).group_by(School.npsn)
        ).all()
    )
    return {
        npsn: (counts.get(npsn, 0), last_seq)
        for npsn, last_seq in db.session.execute(select(School.npsn, Fund.last_seq).join(Fund))
    }


def test_a_backup_taken_during_writes_restores_a_ledger_that_checks(
    app: Flask, world: dict, tmp_path: Path, restore_url: str
) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / ("ab" * 16)).write_bytes(b"foto kuitansi")
    app.config["EVIDENCE_FOLDER"] = str(evidence)
    writers = [(world["a"].id, world["komite_a"].id), (world["b"].id, world["komite_b"].id)]
    path = tmp_path / "backups" / "sas.backup"
    written, midway = itertools.count(1), threading.Event()

    def work(i: int) -> object:
        if i == 0:  # the backup, once the writers are well under way
            assert midway.wait(60)
            return backup.backup(path)
        school_id, user_id = writers[i % 2]
        for n in range(WRITES):
            entries.record_contribution(
                db.session.get(School, school_id),
                amount=1_000 * (n + 1),
                occurred_on=today_wib(),
                source=Source.CLASS,
                class_label=f"7{i}",
                donor_name=None,
                note=None,
                recorded_by=db.session.get(User, user_id),
                form_key=uuid.uuid4().hex,
                today=today_wib(),
            )
            db.session.commit()
            if next(written) == 20:
                midway.set()
        return WRITES

    results = run_at_once(app, work)
    assert results[1:] == [WRITES] * (THREADS - 1), results
    result = results[0]
    assert isinstance(result, backup.BackupResult), result
    db.session.expire_all()
    total = db.session.scalar(select(func.count(Entry.id)))
    assert total == 2 + (THREADS - 1) * WRITES
    assert 2 + 20 <= result.contents.entries < total  # taken while the writers were writing
    assert result.contents.heads_verified
    assert result.method == METHOD
    assert result.evidence_files == 1

    target = empty_app(restore_url, tmp_path / "restored-evidence")
    outcome = restore_into(target, path)
    assert outcome.exit_code == 0, outcome.output
    assert "check-totals passed; all 2 school ledgers verified" in outcome.output
    with target.app_context():
        assert integrity.check_totals() == []
        statuses = chain.verify_all()
        assert [s.ok for s in statuses] == [True, True]
        counts = entries_per_school()
        assert all(entries == last_seq for entries, last_seq in counts.values()), counts
        assert sum(entries for entries, _ in counts.values()) == result.contents.entries
        db.session.remove()  # its connection goes back to the pool first
        db.engine.dispose()
    assert (tmp_path / "restored-evidence" / ("ab" * 16)).read_bytes() == b"foto kuitansi"


def test_backup_command_prints_what_it_wrote_and_never_replaces_a_backup(
    app: Flask, world: dict, tmp_path: Path
) -> None:
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "no-evidence-yet")
    path = tmp_path / "sas.backup"
    runner = app.test_cli_runner()
    outcome = runner.invoke(args=["sas", "backup", str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert f"wrote {path} ({path.stat().st_size:,} bytes) using {METHOD}" in outcome.output
    assert "2 schools, 2 entries; chain heads verified for all 2 funds" in outcome.output
    assert f"evidence: 0 files copied to {path}.evidence/" in outcome.output
    assert path.stat().st_size > 0
    assert not list(tmp_path.glob("*.part"))

    again = runner.invoke(args=["sas", "backup", str(path)])
    assert again.exit_code == 1
    assert "a backup never replaces another" in again.output


def test_backup_names_evidence_files_it_could_not_find(
    app: Flask, world: dict, tmp_path: Path
) -> None:
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    db.session.add(
        Attachment(
            school_id=world["a"].id,
            entry_id=world["entry_a"].id,
            stored_name="cd" * 16,
            content_type="image/jpeg",
            size=10,
            sha256="0" * 64,
            added_by_id=world["komite_a"].id,
        )
    )
    db.session.commit()
    outcome = app.test_cli_runner().invoke(args=["sas", "backup", str(tmp_path / "b")])
    assert outcome.exit_code == 1
    assert f"MISSING evidence files: {'cd' * 16}" in outcome.output


def test_restore_refuses_a_database_with_schools_and_changes_nothing(
    app: Flask, world: dict, tmp_path: Path
) -> None:
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    path = tmp_path / "sas.backup"
    backup.backup(path)
    contribute_more = ledger.balance(world["a"])
    outcome = app.test_cli_runner().invoke(args=["sas", "restore", str(path)])
    assert outcome.exit_code == 1
    assert "the database already has schools; a restore goes only into an empty database" in (
        outcome.output
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Entry.id))) == 2
    assert ledger.balance(world["a"]) == contribute_more


@pytest.mark.skipif(POSTGRES, reason="tampers with a SQLite backup file")
def test_restore_of_a_tampered_backup_exits_non_zero_naming_the_school(
    app: Flask, world: dict, tmp_path: Path
) -> None:
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    path = tmp_path / "sas.backup"
    backup.backup(path)
    with sqlite3.connect(path) as copy:  # someone edits an amount in the copy
        copy.execute("DROP TRIGGER entries_no_update")
        copy.execute("UPDATE entries SET amount = 900000 WHERE id = ?", (world["entry_a"].id,))
    copy.close()
    target = empty_app(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored")
    outcome = restore_into(target, path)
    assert outcome.exit_code == 1
    assert "check-totals: 20525555: fund 100000 != entries 900000" in outcome.output
    assert "verify-ledger: 20525555: chain broken" in outcome.output
    with target.app_context():
        db.session.remove()  # its connection goes back to the pool first
        db.engine.dispose()
