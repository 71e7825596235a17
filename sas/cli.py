"""``flask sas ...``: set-up and checks that run outside a request."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from sas.extensions import db
from sas.models import ApiToken, Region, Role, School, User

if TYPE_CHECKING:
    from sas.checkpoints import Mismatch

sas_cli = AppGroup("sas", help="SAS Ledger commands.")


def _audit(
    action: str,
    detail: str | None = None,
    *,
    target: str | None = None,
    school_id: int | None = None,
) -> None:
    """One audit row for a command (actor "cli"), flushed: the caller commits it."""
    from sas import audit

    audit.record(action, detail=detail, actor_name="cli", target=target, school_id=school_id)


@sas_cli.command("create-user")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--display-name", default=None, help="Defaults to the username.")
@click.option("--school", "npsn", default=None, help="NPSN (committee and teacher).")
@click.option("--region", "region_code", default=None, help="Kabupaten code (district).")
@click.password_option()
def create_user(
    username: str,
    role: str,
    display_name: str | None,
    npsn: str | None,
    region_code: str | None,
    password: str,
) -> None:
    """Create an account; committee and teacher accounts belong to one school."""
    if db.session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise click.ClickException(f"username {username!r} is taken")
    user = User(username=username, display_name=display_name or username, role=Role(role))
    if user.role in (Role.COMMITTEE, Role.TEACHER):
        school = db.session.scalar(select(School).where(School.npsn == (npsn or "")))
        if school is None:
            raise click.ClickException("committee and teacher accounts need --school NPSN")
        user.school_id = school.id
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise click.ClickException(f"unknown region {region_code!r}")
        user.region_id = region.id
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _audit(
        "user.created",
        f"role={user.role} via flask sas create-user",
        target=f"user:{user.id}",
        school_id=user.school_id,
    )
    db.session.commit()
    click.echo(f"created {user.role} account {username!r}")


@sas_cli.command("demo")
@click.option("--seed", default=2011, show_default=True, help="Random seed for the demo data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if data exists.")
def demo(seed: int, if_empty: bool) -> None:
    """Load the Banyuwangi demo into an empty database (refused in production)."""
    from sas.demo import load_demo

    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("the demo is never loaded with the production configuration")
    if db.session.scalar(select(School.id).limit(1)) is not None:
        if if_empty:
            click.echo("the database already has data; demo not loaded")
            return
        raise click.ClickException(
            "the database is not empty; the demo loads only into an empty one"
        )
    summary = load_demo(seed=seed)
    _audit("demo.loaded", f"seed={seed}")
    db.session.commit()
    click.echo(summary)


@sas_cli.command("verify-ledger")
@click.option("--school", "npsn", default=None, help="Only this school (NPSN).")
@click.option(
    "--checkpoint",
    "source",
    default=None,
    help="Also: signed checkpoints (a file, a witness's log or a URL: every one in it).",
)
@click.option("--public-key", default=None, help="The key to trust (hex, or a file holding it).")
def verify_ledger(npsn: str | None, source: str | None, public_key: str | None) -> None:
    """Walk every school's hash chain; exit 1 naming the first entry that does not fit. With
    --checkpoint, also check that every school each checkpoint names still has that head at
    that seq."""
    from sas.cashbook.services import broken_entry
    from sas.ledger import chain

    payloads = _trusted_checkpoints(source, public_key) if source else []
    statuses = chain.verify_all(npsn)
    if npsn is not None and not statuses:
        raise click.ClickException(f"unknown school {npsn!r}")
    broken = [s for s in statuses if not s.ok]
    for status in broken:
        entry = broken_entry(status)
        name = entry.number if entry is not None else f"entry {status.broken_seq}"
        click.echo(
            f"{status.school.npsn}: BROKEN at {name} (seq {status.broken_seq}): "
            f"{chain.PROBLEMS[status.problem or '']}"
        )
    entries = sum(s.entries for s in statuses)
    click.echo(
        f"{len(statuses) - len(broken)} of {len(statuses)} school ledgers verified "
        f"({entries:,} entries)"
    )
    mismatches = [m for payload in payloads for m in _check_checkpoint(payload, npsn)]
    detail = (
        f"broken ({len(broken)}): {', '.join(s.school.npsn for s in broken)}"
        if broken
        else f"ok: {len(statuses)} of {len(statuses)} ({entries} entries)"
    )
    if payloads:
        names = ", ".join(sorted({m.npsn for m in mismatches}))
        detail += f"; {len(payloads)} checkpoint(s) to {payloads[0]['created_at']}: " + (
            f"mismatch: {names}" if mismatches else "ok"
        )
    _audit("ledger.verified", detail, school_id=statuses[0].school.id if npsn else None)
    db.session.commit()
    if broken or mismatches:
        raise SystemExit(1)


def _trusted_checkpoints(source: str, public_key: str | None) -> list[dict[str, Any]]:
    """Every checkpoint of ``source``, newest first, each signed by the trusted key."""
    from sas import checkpoints

    try:
        key = checkpoints.trusted_key(public_key)
        payloads = [
            checkpoints.check_signature(doc, key) for doc in checkpoints.read_documents(source)
        ]
        return sorted(payloads, key=lambda p: p["created_at"], reverse=True)
    except checkpoints.CheckpointError as error:
        _audit("ledger.verified", f"checkpoint refused: {error}")
        db.session.commit()
        raise click.ClickException(str(error)) from None


def _check_checkpoint(payload: dict[str, Any], npsn: str | None) -> list[Mismatch]:
    from sas import checkpoints

    if npsn is not None:
        payload = {**payload, "schools": [s for s in payload["schools"] if s["npsn"] == npsn]}
    mismatches = checkpoints.check_heads(payload)
    for found in mismatches:
        click.echo(f"{found.npsn}: DOES NOT MATCH the checkpoint: {found.problem}")
    schools = len(payload["schools"])
    click.echo(
        f"checkpoint of {payload['created_at']} (root {payload['root'][:16]}...): signature "
        f"valid; {schools - len(mismatches)} of {schools} school heads still in the ledger"
    )
    return mismatches


@sas_cli.command("check-totals")
def check_totals_command() -> None:
    """Recompute every fund balance and report total from the ledger; exit 1 on a difference."""
    from sas.integrity import check_totals

    problems = check_totals()
    _audit("totals.checked", f"failed: {'; '.join(problems)}" if problems else "ok")
    db.session.commit()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("all fund balances and report totals equal the ledger")


@sas_cli.command("rebuild-totals")
def rebuild_totals_command() -> None:
    """Recompute every report total from the ledger (after a restore or a bug fix)."""
    from sas.ledger import totals

    totals.rebuild()
    _audit("totals.rebuilt", "every report total recomputed from the ledger")
    db.session.commit()
    click.echo("report totals rebuilt from the ledger")


# --- checkpoints --------------------------------------------------------------------------------


@sas_cli.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--if-none", is_flag=True, help="Do nothing (and succeed) if one exists (demo).")
def checkpoint_command(out: Path | None, if_none: bool) -> None:
    """Sign and record every school's chain head (key: SAS_CHECKPOINT_KEY); --out also writes
    it as JSON (keep copies outside the server)."""
    from sas import checkpoints

    if if_none and checkpoints.latest(1):
        click.echo("a checkpoint exists; none made")
        return
    try:
        row = checkpoints.make()
    except checkpoints.CheckpointError as error:
        raise click.ClickException(str(error)) from None
    _audit(
        "checkpoint.created",
        f"{row.schools} schools, root {row.root}, key {row.public_key[:16]}",
        target=f"checkpoint:{row.id}",
    )
    db.session.commit()
    if out is not None:
        out.write_text(json.dumps(checkpoints.document(row), indent=1) + "\n")
    click.echo(
        f"checkpoint {row.id}: {row.schools} schools, root {row.root}, key {row.public_key}"
        + (f", written to {out}" if out else "")
    )


@sas_cli.command("checkpoint-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def checkpoint_key_command(path: Path) -> None:
    """Write a new Ed25519 signing key to PATH (mode 0600); point SAS_CHECKPOINT_KEY at it."""
    from sas import checkpoints

    try:
        public = checkpoints.new_key_file(path)
    except checkpoints.CheckpointError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {path}; public key {public}")


@sas_cli.command("witness")
@click.argument("url")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--public-key", default=None, help="The key to pin (hex); else the first seen.")
def witness_command(url: str, folder: Path, public_key: str | None) -> None:
    """Keep copies of the published checkpoints (URL: .../transparansi/checkpoints) in FOLDER:
    signatures checked against the pinned key, no school's seq ever going back; exit 1 on any
    problem (then nothing is added)."""
    from sas import checkpoints

    problems = checkpoints.witness(url, folder, pin=public_key)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    held = folder / checkpoints.WITNESS_LOG
    count = len(held.read_text().splitlines()) if held.exists() else 0
    click.echo(f"{folder}: {count} checkpoints held, all signatures and sequences checked")


# --- API tokens ---------------------------------------------------------------------------------


@sas_cli.command("create-token")
@click.option("--username", required=True, help="The account the token acts for.")
@click.option("--name", required=True, help="What the token is for, e.g. the district system.")
def create_token_command(username: str, name: str) -> None:
    """Create an API token and print it once; only its SHA-256 is stored."""
    from sas.api.tokens import TokenError, create_token

    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise click.ClickException(f"no account {username!r}")
    if not user.active:
        raise click.ClickException(f"account {username!r} is inactive")
    try:
        row, token = create_token(user, name)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        f"created token {row.id} ({name!r}) for {user.role} account {username!r}; "
        "it is shown only now, so store it:",
        err=True,
    )
    click.echo(token)


@sas_cli.command("revoke-token")
@click.option("--id", "token_id", type=int, default=None, help="The token's id.")
@click.option("--username", default=None, help="With --name: the account's active token ...")
@click.option("--name", default=None, help="... of this name.")
def revoke_token_command(token_id: int | None, username: str | None, name: str | None) -> None:
    """Revoke an API token, by --id or by --username and --name; it stops working at once."""
    from sas.api.tokens import active_token_named, revoke_token

    by_id = token_id is not None and username is None and name is None
    by_name = token_id is None and bool(username) and bool(name)
    if not (by_id or by_name):
        raise click.UsageError("give either --id, or both --username and --name")
    if token_id is not None:
        row = db.session.get(ApiToken, token_id)
        if row is None:
            raise click.ClickException(f"no token with id {token_id}")
    else:
        assert username is not None  # by_name
        user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        row = active_token_named(user, name or "") if user is not None else None
        if row is None:
            raise click.ClickException(f"{username!r} has no active token named {name!r}")
    if not revoke_token(row):
        click.echo(f"token {row.id} ({row.name!r}) was already revoked")
        return
    db.session.commit()
    click.echo(f"revoked token {row.id} ({row.name!r}) of {row.user.username!r}")


@sas_cli.command("list-tokens")
@click.option("--username", default=None, help="Only this account's tokens.")
def list_tokens_command(username: str | None) -> None:
    """List API tokens (never the tokens themselves): id, account, name, use, revocation."""
    stmt = select(ApiToken).join(User).order_by(ApiToken.id)
    if username:
        stmt = stmt.where(func.lower(User.username) == username.lower())

    def when(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"

    for row in db.session.scalars(stmt):
        click.echo(
            f"{row.id}\t{row.user.username}\t{row.name}\tcreated {when(row.created_at)}\t"
            f"last used {when(row.last_used_at)}\t"
            + (f"revoked {when(row.revoked_at)}" if row.revoked_at else "active")
        )


# --- backups ------------------------------------------------------------------------------------


@sas_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy while the app serves (SQLite backup API, or pg_dump -Fc on
    PostgreSQL) to PATH, and the evidence files to PATH.evidence/."""
    from sas import backup

    try:
        result = backup.backup(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in backup.cli_summary(result):
        click.echo(line)
    if result.evidence_missing or not result.contents.heads_verified:
        raise SystemExit(1)


@sas_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Bring backup PATH (and PATH.evidence/) into the configured EMPTY database, then run the
    ledger checks; exit 1 if they fail."""
    from sas import backup

    try:
        result = backup.restore(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    found = result.contents
    _audit(
        "backup.restored",
        f"{path.name} by {result.method}: {found.schools} schools, {found.entries} entries; "
        + ("checks passed" if result.ok else f"checks FAILED: {', '.join(result.broken)}"),
    )
    db.session.commit()
    click.echo(
        f"restored {path} with {result.method}: {found.schools:,} schools, "
        f"{found.entries:,} entries; {result.evidence_files} evidence files copied"
    )
    for problem in result.problems:
        click.echo(f"check-totals: {problem}", err=True)
    for npsn in result.broken:
        click.echo(f"verify-ledger: {npsn}: chain broken", err=True)
    if not result.ok:
        raise SystemExit(1)
    click.echo(
        f"check-totals passed; all {found.funds} school ledgers verified "
        "(run `flask db upgrade` if the backup is older than this version)"
    )
