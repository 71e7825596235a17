"""The schema comes from migrations everywhere but the unit tests: they must match the models."""

import hashlib
import json
import os
import uuid
from datetime import date, datetime

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, IntegrityError

from sas import create_app
from sas.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = make_url(test_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Alembic cannot compare expression indexes; the one we have is checked by name below.
@pytest.mark.filterwarnings("ignore:autogenerate skipping:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_produce_the_models_schema(empty_database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        inspector = inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert {"entries", "funds", "schools", "regions", "users", "recipients"} <= tables
        # Alembic's comparison ignores CHECK constraints and functional indexes: the money rules
        # and the case-insensitive usernames live there, so compare them by name.
        for table in db.metadata.sorted_tables:
            wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            present = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert wanted <= present, (table.name, wanted - present)
        with db.engine.connect() as conn:
            insert = text(
                "INSERT INTO users (username, password_hash, display_name, role, active,"
                " session_version, created_at)"
                " VALUES (:u, 'x', 'x', 'admin', true, 1, '2026-01-01')"
            )
            conn.execute(insert, {"u": "Komite"})
            with pytest.raises(IntegrityError):
                conn.execute(insert, {"u": "komite"})
            conn.rollback()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


# SQLite's batch mode reflects the users table and skips its expression index (re-created).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_fills_the_year_totals_from_what_is_there(empty_database_url):
    """3c1f2a7d9b10 adds per-year category totals and on-time months to a live database."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="8280eb115f68")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO regions (id, code, name, level) VALUES (1, '35.10', 'B', 'kabupaten')",
                "INSERT INTO regions (id, code, name, level, parent_id)"
                " VALUES (2, '35.10.01', 'P', 'kecamatan', 1)",
                "INSERT INTO schools (id, npsn, name, jenjang, status, kecamatan_id, active)"
                " VALUES (1, '20525555', 'S', 'SMP', 'negeri', 2, true)",
                "INSERT INTO category_totals VALUES"
                " (1, '2025-06-01', 'sepatu', 100, 100), (1, '2025-07-01', 'sepatu', 40, 0),"
                " (1, '2026-03-01', 'sepatu', 25, 25), (1, '2026-03-01', 'tas', 10, 10)",
                "INSERT INTO year_totals VALUES (1, 2025, 500, 75, 35, 4, 2)",
                "INSERT INTO month_closings (school_id, month, closed_at, on_time) VALUES"
                " (1, '2024-07-01', '2024-08-05', true), (1, '2025-07-01', '2025-08-05', true),"
                " (1, '2025-08-01', '2025-09-20', false), (1, '2025-09-01', '2025-10-01', true)",
            ):
                conn.execute(text(statement))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            categories = conn.execute(
                text("SELECT year, category, amount, in_kind FROM year_category_totals")
            ).all()
            years = conn.execute(
                text("SELECT year, collected, entries, on_time_months FROM year_totals")
            ).all()
        assert sorted(categories) == [
            (2024, "sepatu", 100, 100),
            (2025, "sepatu", 65, 25),
            (2025, "tas", 10, 10),
        ]
        # a school year with a closing but no entries gets a row of zeros
        assert sorted(years) == [(2024, 0, 0, 1), (2025, 500, 4, 2)]
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_chains_the_entries_already_there(empty_database_url):
    """7b4e19c2d8a5 gives existing entries kuitansi numbers and hashes, then locks the table."""
    from sas.ledger import chain
    from sas.models import Entry, Fund, MonthClosing, School

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="5d2e8c41a7f3")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO regions (id, code, name, level) VALUES (1, '35.10', 'B', 'kabupaten')",
                "INSERT INTO regions (id, code, name, level, parent_id)"
                " VALUES (2, '35.10.01', 'P', 'kecamatan', 1)",
                "INSERT INTO schools (id, npsn, name, jenjang, status, kecamatan_id, active)"
                " VALUES (1, '20525555', 'S', 'SMP', 'negeri', 2, true)",
                "INSERT INTO funds (school_id, balance, last_seq) VALUES (1, 70000, 3)",
                "INSERT INTO entries (id, school_id, seq, kind, direction, amount, occurred_on,"
                " recorded_at, form_key, source, class_label) VALUES"
                " (1, 1, 1, 'contribution', 'in', 50000, '2025-06-30', '2025-06-30 06:00:00',"
                " 'k1', 'class', '7A'),"
                " (2, 1, 2, 'contribution', 'in', 30000, '2025-07-01', '2025-07-01 06:00:00',"
                " 'k2', 'class', '7B')",
                "INSERT INTO entries (id, school_id, seq, kind, direction, amount, occurred_on,"
                " recorded_at, form_key, voids_entry_id, reason) VALUES"
                " (3, 1, 3, 'void', 'out', 10000, '2025-07-02', '2025-07-02 06:00:00',"
                " 'k3', 2, 'salah')",
                "UPDATE entries SET amount = 10000 WHERE id = 2",  # not locked yet
                "INSERT INTO month_closings (school_id, month, closed_at, on_time) VALUES"
                " (1, '2025-06-01', '2025-07-01 12:00:00', true)",
            ):
                conn.execute(text(statement))
        flask_migrate.upgrade()
        school = db.session.get(School, 1)
        status = chain.verify(school)
        assert status.ok and status.entries == 3
        rows = db.session.scalars(select(Entry).order_by(Entry.seq)).all()
        assert [(e.receipt_year, e.receipt_no) for e in rows] == [(2024, 1), (2025, 1), (2025, 2)]
        assert rows[0].prev_hash == chain.GENESIS
        assert db.session.get(Fund, 1).chain_head == rows[-1].hash == status.head
        closing = db.session.get(MonthClosing, (1, date(2025, 6, 1)))
        assert (closing.chain_head, closing.chain_seq) == (rows[1].hash, 2)
        db.session.rollback()
        with pytest.raises(DatabaseError), db.engine.begin() as conn:
            conn.execute(text("UPDATE entries SET amount = 1 WHERE id = 1"))
        with pytest.raises(DatabaseError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM entries WHERE id = 3"))
        db.session.remove()
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_a_ledger_chained_before_transfers_still_verifies_and_takes_them(empty_database_url):
    """a91c3e5f7d20 adds ``transfer_id`` to the entries (and the chain content, when set): the
    hashes sealed before it stay valid, and the new kinds pass the table's CHECK constraints."""
    from sas.ledger import chain
    from sas.models import Entry, School, User
    from sas.transfers import moving

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="7b4e19c2d8a5")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO regions (id, code, name, level) VALUES (1, '35.10', 'B', 'kabupaten')",
                "INSERT INTO regions (id, code, name, level, parent_id)"
                " VALUES (2, '35.10.01', 'P', 'kecamatan', 1)",
                "INSERT INTO schools (id, npsn, name, jenjang, status, kecamatan_id, active)"
                " VALUES (1, '20525555', 'S', 'SMP', 'negeri', 2, true),"
                " (2, '20526666', 'T', 'SD', 'negeri', 2, true)",
                "INSERT INTO users (id, username, password_hash, display_name, role, active,"
                " session_version, created_at, school_id)"
                " VALUES (1, 'komite', 'x', 'K', 'committee', true, 1, '2026-01-01', 1)",
                "INSERT INTO funds (school_id, balance, last_seq, reserved) VALUES (1, 0, 0, 0),"
                " (2, 0, 0, 0)",
            ):
                conn.execute(text(statement))
        # entries written by the app as it was at 7b4e19c2d8a5: the same canonical JSON
        old_content = [n for n in chain.CONTENT if n != "transfer_id"]
        before = []
        with db.engine.begin() as conn:
            head = chain.GENESIS
            for seq, amount in ((1, 50_000), (2, 30_000)):
                row = {
                    "school_id": 1,
                    "seq": seq,
                    "kind": "contribution",
                    "direction": "in",
                    "amount": amount,
                    "occurred_on": date(2025, 8, seq),
                    "recorded_at": None,
                    "recorded_by_id": 1,
                    "approved_by_id": None,
                    "form_key": f"k{seq}",
                    "source": "class",
                    "class_label": "7A",
                    "receipt_year": 2025,
                    "receipt_no": seq,
                    "prev_hash": head,
                }
                row["recorded_at"] = datetime(2025, 8, seq, 1, 0)
                body = {n: chain._plain(row.get(n)) for n in old_content}
                row["hash"] = head = hashlib.sha256(
                    json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
                ).hexdigest()
                before.append(head)
                conn.execute(
                    text(
                        "INSERT INTO entries (school_id, seq, kind, direction, amount,"
                        " occurred_on, recorded_at, recorded_by_id, form_key, source,"
                        " class_label, receipt_year, receipt_no, prev_hash, hash) VALUES"
                        " (:school_id, :seq, :kind, :direction, :amount, :occurred_on,"
                        " :recorded_at, :recorded_by_id, :form_key, :source, :class_label,"
                        " :receipt_year, :receipt_no, :prev_hash, :hash)"
                    ),
                    row,
                )
            conn.execute(
                text(
                    "UPDATE funds SET balance = 80000, last_seq = 2, chain_head = :h"
                    " WHERE school_id = 1"
                ),
                {"h": head},
            )
        flask_migrate.upgrade()
        school, other = db.session.get(School, 1), db.session.get(School, 2)
        assert chain.verify(school).ok
        assert [e.hash for e in db.session.scalars(select(Entry).order_by(Entry.seq))] == before
        moving.transfer(
            school,
            other,
            amount=20_000,
            occurred_on=date(2025, 9, 1),
            request=None,
            note=None,
            recorded_by=db.session.get(User, 1),
            form_key=uuid.uuid4().hex,
            today=date(2025, 9, 2),
        )
        db.session.commit()
        assert chain.verify(school).ok and chain.verify(other).ok
        assert chain.verify(school).entries == 3
        db.session.remove()
        with pytest.raises(SystemExit):  # a ledger with transfers cannot go back
            flask_migrate.downgrade(revision="7b4e19c2d8a5")
        db.engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_starts_each_class_list_from_last_years_class_collections(empty_database_url):
    """c4e8a1f2b6d9 lists, per school, the classes its class collections named in the last
    year (tidied); older labels and other sources' labels are left out."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database_url})
    recent = date.today().isoformat()
    with app.app_context():
        flask_migrate.upgrade(revision="a91c3e5f7d20")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO regions (id, code, name, level) VALUES (1, '35.10', 'B', 'kabupaten')",
                "INSERT INTO regions (id, code, name, level, parent_id)"
                " VALUES (2, '35.10.01', 'P', 'kecamatan', 1)",
                "INSERT INTO schools (id, npsn, name, jenjang, status, kecamatan_id, active)"
                " VALUES (1, '20525555', 'S', 'SMP', 'negeri', 2, true),"
                " (2, '20526666', 'T', 'SD', 'negeri', 2, true)",
            ):
                conn.execute(text(statement))
            for seq, (school, source, label, day) in enumerate(
                [
                    (1, "class", " 8 b", recent),
                    (1, "class", "8B", recent),
                    (1, "class", "7a", recent),
                    (1, "class", "7A", recent),
                    (1, "class", "6C", "2020-01-10"),  # long ago
                    (1, "individual", "9Z", recent),  # not a class collection
                    (2, "class", "1A", recent),
                ],
                start=1,
            ):
                conn.execute(
                    text(
                        "INSERT INTO entries (school_id, seq, kind, direction, amount,"
                        " occurred_on, recorded_at, form_key, source, class_label, receipt_year,"
                        " receipt_no, prev_hash, hash) VALUES (:school, :seq, 'contribution',"
                        " 'in', 1000, :day, '2020-01-01 00:00:00', :key, :source, :label, 2020,"
                        " :seq, :prev, :hash)"
                    ),
                    {
                        "school": school,
                        "seq": seq,
                        "day": day,
                        "key": f"k{seq}",
                        "source": source,
                        "label": label,
                        "prev": "0" * 64,
                        "hash": f"{seq:064d}",
                    },
                )
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT school_id, label, active FROM school_classes ORDER BY school_id, label"
                )
            ).all()
        assert [tuple(r) for r in rows] == [(1, "7A", True), (1, "8B", True), (2, "1A", True)]
        db.session.remove()
        db.engine.dispose()
