"""Extension objects, created without an app and bound in ``create_app``."""

from flask import has_request_context, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` for writes.

    SQLAlchemy's documented recipe: pysqlite's own BEGIN handling is switched off and we emit
    BEGIN ourselves. A POST request (every state change is one) or a CLI/test call takes the
    write lock when its transaction starts, so the balance check and the insert cannot
    interleave with another writer; GET requests use a plain deferred BEGIN and never block.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def keep_prepared_statements(engine: Engine) -> None:
    """Mark each transaction that writes, so that one that only read can end with COMMIT.

    psycopg prepares a statement run often on a connection (PostgreSQL then reuses its plan)
    but forgets them all at every ROLLBACK, since a rollback may have undone what they refer
    to. Every request ends its transaction, and a ROLLBACK after each page view would mean a
    fresh plan for every query: the dashboard's joins cost more to plan than to run.
    """

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _execute(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info["wrote"] = True


def end_session(session: Session) -> None:
    """Close the request's session. A transaction that ran only SELECTs and holds no unsaved
    change ends with COMMIT (the same as a rollback for the database, see
    ``keep_prepared_statements``); any other, a failed one too, is rolled back by the close."""
    transaction = session.get_transaction()
    if (
        transaction is not None
        and transaction.is_active
        and not (session.new or session.dirty or session.deleted)
        and session.connection().info.get("wrote") is False
    ):
        # Objects read stay as they were, as after a close: a streamed response (CSV) may
        # still read one after the request's context has ended.
        session.expire_on_commit = False
        session.commit()
    session.close()
