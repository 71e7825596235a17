"""The schema comes from migrations everywhere but the unit tests: they must match the models."""

import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

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
