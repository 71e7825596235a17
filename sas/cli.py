"""``flask sas ...``: set-up and checks that run outside a request."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from sas.extensions import db
from sas.models import Region, Role, School, User

sas_cli = AppGroup("sas", help="SAS Ledger commands.")


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
    if db.session.scalar(select(User).where(User.username == username)):
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
    db.session.commit()
    click.echo(summary)


@sas_cli.command("check-totals")
def check_totals_command() -> None:
    """Recompute every fund balance and report total from the ledger; exit 1 on a difference."""
    from sas.ledger.services import check_totals

    problems = check_totals()
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
    db.session.commit()
    click.echo("report totals rebuilt from the ledger")
