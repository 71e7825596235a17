"""What one recorded entry costs: the SQL statements and the CPU of one POST (issue 18, item 4).

Through the Flask test client (no server, no network), on a fresh database with one school, a
committee member, three classes, a recipient and money in the fund, it POSTs:

- a contribution (``/sekolah/<npsn>/sumbangan/baru``);
- a day's class collections, three classes at once (``.../sumbangan/kelas``);
- a disbursement below the approval threshold (``.../penyaluran/baru``).

For each it prints the number of SQL statements the request sends (SQLAlchemy's
``before_cursor_execute``: BEGIN IMMEDIATE on SQLite counts, the driver's own COMMIT does not),
each statement abbreviated so that a reader sees where they go, and the median CPU ms of the
process over ``--repeat`` POSTs after a warm-up. The figures are for reading, never asserted here
(tests/test_write_statements.py holds the count of a contribution).

    .venv/bin/python bench/statements.py                       # SQLite, a temporary file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/sas_bench .venv/bin/python \
        bench/statements.py                                    # PostgreSQL: its tables are dropped
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

from sas import create_app  # noqa: E402
from sas.dates import today_wib  # noqa: E402
from sas.extensions import db  # noqa: E402
from sas.models import Role  # noqa: E402
from tests.factories import (  # noqa: E402
    contribute,
    make_classes,
    make_recipient,
    make_school,
    make_user,
)
from tests.web import IsolatedClient, login  # noqa: E402

NPSN = "20525555"


def abbreviate(statement: str, width: int = 110) -> str:
    """One line per statement: the column lists folded, so the verb and the tables show."""
    text = " ".join(statement.split())
    text = re.sub(r"SELECT (.{60,}?) FROM", "SELECT … FROM", text)
    text = re.sub(r"\(([^()]{40,})\) VALUES \(([^()]*)\)", "(…) VALUES (…)", text)
    return text if len(text) <= width else text[: width - 1] + "…"


class Statements:
    """The statements the engine sends while it is active."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(db.engine, "before_cursor_execute", self)


def build(url: str) -> Flask:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    app.test_client_class = IsolatedClient
    return app


def seed() -> dict[str, Any]:
    db.drop_all()
    db.create_all()
    school = make_school(NPSN, "35.10.16", name="SMP Negeri 1 Banyuwangi")
    user = make_user("komite", Role.COMMITTEE, school)
    classes = make_classes(school, "7A", "8A", "8B")
    recipient = make_recipient(school)
    contribute(school, 50_000_000, user)  # enough for every disbursement of the run
    return {"classes": [c.id for c in classes], "recipient": recipient.id}


def scenarios(world: dict[str, Any]) -> dict[str, tuple[str, Callable[[], dict[str, str]]]]:
    day = today_wib().isoformat()

    def contribution() -> dict[str, str]:
        return {
            "amount": "25.000",
            "occurred_on": day,
            "source": "class",
            "class_label": "8A",
            "form_key": uuid.uuid4().hex,
        }

    def collections() -> dict[str, str]:
        rows = {f"class_{id_}": "15000" for id_ in world["classes"]}
        return {"occurred_on": day, "form_key": uuid.uuid4().hex, **rows}

    def disbursement() -> dict[str, str]:
        return {
            "amount": "10000",
            "occurred_on": day,
            "recipient_id": str(world["recipient"]),
            "category": "seragam",
            "description": "Seragam",
            "form_key": uuid.uuid4().hex,
        }

    base = f"/sekolah/{NPSN}"
    return {
        "contribution": (f"{base}/sumbangan/baru", contribution),
        "class collections (3 classes)": (f"{base}/sumbangan/kelas", collections),
        "disbursement": (f"{base}/penyaluran/baru", disbursement),
    }


def post(client: FlaskClient, path: str, data: dict[str, str]) -> None:
    response = client.post(path, data=data)
    if response.status_code != 200 or "saved-lines" not in response.text:
        raise SystemExit(f"POST {path} answered {response.status_code}: not recorded")


def measure(client: FlaskClient, path: str, form: Callable[[], dict[str, str]], repeat: int):  # type: ignore[no-untyped-def]
    for _ in range(5):  # warm-up: templates compiled, statements cached
        post(client, path, form())
    with Statements() as counted:
        post(client, path, form())
    times = []
    for _ in range(repeat):
        data = form()
        start = time.process_time()
        post(client, path, data)
        times.append((time.process_time() - start) * 1000)
    return counted.seen, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="POSTs timed per scenario")
    parser.add_argument("--quiet", action="store_true", help="counts only, no statement list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/statements.db"
        app = build(url)
        with app.app_context():
            world = seed()
            client = app.test_client()
            login(client, "komite")
            print(f"database: {db.engine.dialect.name}; load average: {os.getloadavg()}")
            for name, (path, form) in scenarios(world).items():
                seen, cpu = measure(client, path, form, args.repeat)
                print(f"\n{name}: POST {path}")
                print(f"  {len(seen)} statements, {cpu:.2f} ms CPU (median of {args.repeat})")
                if not args.quiet:
                    for number, statement in enumerate(seen, 1):
                        print(f"  {number:2d}. {abbreviate(statement)}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
