"""The demo: what a visitor and the database see after ``flask sas demo``."""

import re
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from sas.dates import school_year_bounds
from sas.demo import DEMO_PASSWORD, load_demo
from sas.extensions import db
from sas.integrity import check_totals
from sas.ledger import SIGNED_AMOUNT
from sas.models import (
    AuditEvent,
    Direction,
    Entry,
    EntryKind,
    Fund,
    Recipient,
    Region,
    RegionLevel,
    Role,
    School,
    User,
)

TODAY = date(2026, 11, 27)

# DOMAIN.md, "The 25 kecamatan of Kabupaten Banyuwangi (Kemendagri codes, 2025)"
KECAMATAN = {
    "35.10.01": "Pesanggaran", "35.10.02": "Bangorejo", "35.10.03": "Purwoharjo",
    "35.10.04": "Tegaldlimo", "35.10.05": "Muncar", "35.10.06": "Cluring",
    "35.10.07": "Gambiran", "35.10.08": "Srono", "35.10.09": "Genteng",
    "35.10.10": "Glenmore", "35.10.11": "Kalibaru", "35.10.12": "Singojuruh",
    "35.10.13": "Rogojampi", "35.10.14": "Kabat", "35.10.15": "Glagah",
    "35.10.16": "Banyuwangi", "35.10.17": "Giri", "35.10.18": "Wongsorejo",
    "35.10.19": "Songgon", "35.10.20": "Sempu", "35.10.21": "Kalipuro",
    "35.10.22": "Siliragung", "35.10.23": "Tegalsari", "35.10.24": "Licin",
    "35.10.25": "Blimbingsari",
}  # fmt: skip


def count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def test_demo_is_a_plausible_banyuwangi(app: Flask) -> None:
    summary = load_demo(seed=2011, today=TODAY)
    db.session.commit()

    kabupaten = db.session.scalar(select(Region).where(Region.code == "35.10"))
    assert kabupaten is not None and kabupaten.level == RegionLevel.KABUPATEN
    kecamatan = db.session.scalars(
        select(Region).where(Region.level == RegionLevel.KECAMATAN)
    ).all()
    assert {r.code: r.name for r in kecamatan} == KECAMATAN
    assert {r.parent_id for r in kecamatan} == {kabupaten.id}

    schools = list(db.session.scalars(select(School)))
    assert 35 <= len(schools) <= 45
    assert {s.kecamatan_id for s in schools} == {r.id for r in kecamatan}
    assert len({s.jenjang for s in schools}) >= 5
    assert len({s.npsn for s in schools}) == len(schools)
    assert all(re.fullmatch(r"[0-9A-Z]{8}", s.npsn) for s in schools)
    for school in schools:
        helped = count(select(Recipient).where(Recipient.school_id == school.id))
        assert 4 <= helped <= 15, school.name
    assert f"{len(schools)} schools" in summary

    users = {
        u.username: u
        for u in db.session.scalars(
            select(User).where(
                User.username.in_(["admin", "dinas", "komite1", "guru1", "komite2", "guru2"])
            )
        )
    }
    assert {name: u.role for name, u in users.items()} == {
        "admin": Role.ADMIN,
        "dinas": Role.DISTRICT,
        "komite1": Role.COMMITTEE,
        "guru1": Role.TEACHER,
        "komite2": Role.COMMITTEE,
        "guru2": Role.TEACHER,
    }
    assert users["dinas"].region_id == kabupaten.id
    assert users["komite1"].school_id == users["guru1"].school_id
    assert users["komite2"].school_id == users["guru2"].school_id
    first, second = users["komite1"].school, users["komite2"].school
    assert first is not None and second is not None
    assert first.kecamatan.code == "35.10.16" and first.jenjang == "SMP"
    assert first.kecamatan_id != second.kecamatan_id
    assert users["komite2"].check_password(DEMO_PASSWORD)

    # entries in both school years, none in the future
    assert count(select(Entry)) >= 10_000
    this_year = school_year_bounds(TODAY)
    last_year = school_year_bounds(this_year[0] - timedelta(days=1))
    for start, end in (last_year, this_year):
        assert count(select(Entry).where(Entry.occurred_on.between(start, end))) > 500
    assert db.session.scalar(select(func.max(Entry.occurred_on))) <= TODAY
    assert db.session.scalar(select(func.min(Entry.occurred_on))) >= date(2011, 1, 1)
    for kind in EntryKind:
        assert count(select(Entry).where(Entry.kind == kind)) > 0, kind

    # the books add up: fund = entries, seq 1..n, never below zero
    assert check_totals() == []
    per_school = select(Entry.school_id, func.count(), func.max(Entry.seq)).group_by(
        Entry.school_id
    )
    last_seq = dict(db.session.execute(select(Fund.school_id, Fund.last_seq)).tuples().all())
    for school_id, n, top in db.session.execute(per_school):
        assert n == top == last_seq[school_id]
    running = select(
        func.sum(SIGNED_AMOUNT)
        .over(partition_by=Entry.school_id, order_by=(Entry.occurred_on, Entry.seq))
        .label("saldo")
    ).subquery()
    assert db.session.scalar(select(func.min(running.c.saldo))) >= 0

    # a disbursement goes to a child of the same school; a void reverses an earlier entry
    stray = select(Entry).join(Recipient, Recipient.id == Entry.recipient_id)
    assert count(stray.where(Recipient.school_id != Entry.school_id)) == 0
    original = aliased(Entry)
    voids = db.session.execute(
        select(Entry, original).join(original, original.id == Entry.voids_entry_id)
    ).all()
    for void, orig in voids:
        assert void.school_id == orig.school_id
        assert void.amount == orig.amount and void.direction != orig.direction
        assert (void.occurred_on, void.seq) > (orig.occurred_on, orig.seq)
        assert void.category == orig.category and void.reason
    assert count(select(Entry).where(Entry.kind == EntryKind.VOID)) == len(voids)
    assert count(select(Entry).where(Entry.direction == Direction.OUT)) > 1_000


def test_cli_refuses_the_demo_in_production(app: Flask) -> None:
    app.config["PRODUCTION"] = True
    result = app.test_cli_runner().invoke(args=["sas", "demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert db.session.scalar(select(func.count()).select_from(School)) == 0


def test_cli_loads_the_demo_once_and_its_logins_work(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sas", "demo"])
    assert result.exit_code == 0, result.output
    schools = db.session.scalar(select(func.count()).select_from(School))
    assert f"{schools} schools" in result.output
    loaded = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "demo.loaded"))
    assert loaded is not None and loaded.actor == "cli" and loaded.detail == "seed=2011"

    response = client.post("/masuk", data={"username": "komite1", "password": DEMO_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"

    again = runner.invoke(args=["sas", "demo"])
    assert again.exit_code != 0
    assert "not empty" in again.output
