"""Every ``flask sas`` command that writes leaves an audit row (actor "cli"); the checks leave
their outcome, naming the schools that failed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from sas import backup, checkpoints
from sas.extensions import db
from sas.models import AuditEvent, Fund, User
from tests.database import POSTGRES, empty_app, restore_into


def cli(app, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sas", *args], input=input)


def last_event(action: str) -> AuditEvent | None:
    db.session.expire_all()
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


@pytest.mark.parametrize(
    ("args", "action", "detail"),
    [
        (["rebuild-totals"], "totals.rebuilt", "recomputed"),
        (["check-totals"], "totals.checked", "ok"),
        (["verify-ledger"], "ledger.verified", "ok: 2 of 2 (2 entries)"),
        (["verify-ledger", "--school", "20525555"], "ledger.verified", "ok: 1 of 1"),
        (["checkpoint"], "checkpoint.created", "2 schools, root "),
        (
            ["create-user", "--username", "baru", "--role", "committee", "--school", "20526666"],
            "user.created",
            "role=committee via flask sas create-user",
        ),
        (["create-token", "--username", "dinas", "--name", "sistem"], "token.created", "dinas"),
    ],
)
def test_commands_leave_an_audit_row(app, world, tmp_path, args, action, detail):
    app.config["CHECKPOINT_KEY"] = str(tmp_path / "k.pem")
    checkpoints.new_key_file(tmp_path / "k.pem")
    assert last_event(action) is None
    result = cli(app, *args, input="Sandi-yang-panjang-sekali\n" * 2)
    assert result.exit_code == 0, result.output
    event = last_event(action)
    assert event is not None and event.actor == "cli" and event.actor_id is None
    assert detail in (event.detail or ""), event.detail
    if action == "user.created":
        user = db.session.scalar(select(User).where(User.username == "baru"))
        assert event.target == f"user:{user.id}" and event.school_id == world["b"].id


def test_failed_checks_name_the_schools(app, world):
    a = world["a"]
    db.session.execute(update(Fund).where(Fund.school_id == a.id).values(balance=1))
    db.session.commit()
    assert cli(app, "check-totals").exit_code == 1
    assert last_event("totals.checked").detail.startswith(f"failed: {a.npsn}: fund 1 != entries")
    db.session.execute(update(Fund).where(Fund.school_id == a.id).values(chain_head="0" * 64))
    db.session.commit()
    assert cli(app, "verify-ledger").exit_code == 1
    assert last_event("ledger.verified").detail == f"broken (1): {a.npsn}"
    db.session.execute(update(Fund).where(Fund.school_id == a.id).values(balance=100_000))
    db.session.execute(
        update(Fund).where(Fund.school_id == a.id).values(chain_head=world["entry_a"].hash)
    )
    db.session.commit()


@pytest.mark.skipif(POSTGRES, reason="restores into a SQLite file (test_backup covers both)")
def test_a_restore_leaves_an_audit_row(app, world, tmp_path: Path):
    app.config["EVIDENCE_FOLDER"] = str(tmp_path / "evidence")
    path = tmp_path / "sas.backup"
    backup.backup(path)
    target = empty_app(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored")
    assert restore_into(target, path).exit_code == 0
    with target.app_context():
        event = last_event("backup.restored")
        assert event is not None and event.actor == "cli"
        assert "2 schools, 2 entries; checks passed" in event.detail
        db.session.remove()
        db.engine.dispose()
