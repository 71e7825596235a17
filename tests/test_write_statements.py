"""What recording costs the database: the SQL statements of one POST (issue 18, item 4).

The limits are today's counts (bench/statements.py lists each statement): a change that adds a
statement to recording fails here and says which ones it sends now. A count, never a time.
"""

from __future__ import annotations

import uuid

from sqlalchemy import event, func, select

from sas import ledger
from sas.dates import today_wib
from sas.extensions import db
from sas.models import AuditEvent, Entry, SchoolClass
from tests.threads import THREADS, run_at_once
from tests.web import login

A = "/sekolah/20525555"

# SQLite's count has its BEGIN IMMEDIATE (the write lock); PostgreSQL's driver begins by itself.
# One of them is the signed-in user's lookup (sas.authz), not the recording's.
LIMITS = {
    "contribution": {"sqlite": 11, "postgresql": 10},
    "class collections": {"sqlite": 15, "postgresql": 10},
    "disbursement": {"sqlite": 17, "postgresql": 16},
}


def statements(client, path: str, data: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split())[:100])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.post(path, data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and "saved-lines" in response.text
    return seen


def within(name: str, seen: list[str]) -> None:
    limit = LIMITS[name][db.engine.dialect.name]
    assert len(seen) <= limit, "\n".join([f"{name}: {len(seen)} > {limit}", *seen])


def contribution() -> dict[str, str]:
    day = today_wib().isoformat()
    return {"amount": "25.000", "occurred_on": day, "source": "class", "class_label": "8A"} | {
        "form_key": uuid.uuid4().hex
    }


def test_a_contribution_costs_few_statements(client, world):
    login(client, "komite_a")
    client.post(f"{A}/sumbangan/baru", data=contribution())  # the first: its month's totals rows
    seen = statements(client, f"{A}/sumbangan/baru", contribution())
    within("contribution", seen)
    assert ledger.balance(world["a"]) == 150_000
    # the fund is read once, locked: the answer's balance is the one the write left there
    assert sum(s.startswith("SELECT funds.") for s in seen) == 1, seen


def test_class_collections_cost_one_insert_per_table_on_postgresql(client, world):
    login(client, "komite_a")
    ids = db.session.scalars(select(SchoolClass.id).where(SchoolClass.school_id == world["a"].id))
    rows = {f"class_{id_}": "10.000" for id_ in ids}
    data = {"occurred_on": today_wib().isoformat(), "form_key": uuid.uuid4().hex} | rows
    seen = statements(client, f"{A}/sumbangan/kelas", data)
    within("class collections", seen)
    assert ledger.balance(world["a"]) == 130_000
    logged = select(func.count(AuditEvent.id)).where(AuditEvent.action == "entry.recorded")
    assert db.session.scalar(logged) == 2 + 3  # the world's two, and one per class


def test_a_disbursement_costs_few_statements(client, world):
    login(client, "komite_a")
    data = {
        "amount": "10.000",
        "occurred_on": today_wib().isoformat(),
        "recipient_id": str(world["recipient_a"].id),
        "category": "seragam",
        "form_key": uuid.uuid4().hex,
    }
    client.post(f"{A}/penyaluran/baru", data=data)  # the first: its totals rows are inserted
    within(
        "disbursement", statements(client, f"{A}/penyaluran/baru", data | {"form_key": "b" * 32})
    )
    assert ledger.balance(world["a"]) == 80_000


def test_a_class_collection_form_posted_many_times_at_once_records_once(app, world):
    """Its keys are looked for before the fund lock and refused by their unique constraint
    after it: every copy is answered with the rows the first one recorded."""
    ids = db.session.scalars(select(SchoolClass.id).where(SchoolClass.school_id == world["a"].id))
    data = {"occurred_on": today_wib().isoformat(), "form_key": uuid.uuid4().hex} | {
        f"class_{id_}": "5.000" for id_ in ids
    }
    clients = [app.test_client() for _ in range(THREADS)]
    for c in clients:
        assert login(c, "komite_a").status_code == 303

    def post(i: int) -> int:
        return clients[i].post(f"{A}/sumbangan/kelas", data=data).status_code

    assert run_at_once(app, post) == [200] * THREADS
    db.session.expire_all()
    keys = select(func.count(Entry.id)).where(Entry.form_key.like(f"{data['form_key']}:%"))
    assert db.session.scalar(keys) == 3
    assert ledger.balance(world["a"]) == 115_000
