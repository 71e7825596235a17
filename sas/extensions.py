"""Extension objects, created without an app and bound in ``create_app``, and how they are
set up: the language of a request (``select_locale``), the database engine's behaviour."""

import re
import select
import sqlite3
import time
from typing import TYPE_CHECKING, Any, cast

import psycopg
from babel.support import NullTranslations
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, Domain, get_translations
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.engine.interfaces import DBAPIConnection, ExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry


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


READING = frozenset({"GET", "HEAD", "OPTIONS"})
# A SELECT that takes no row lock: it needs no transaction of its own.
PLAIN_READ = re.compile(r"\s*SELECT\b(?!.*\bFOR\s+(UPDATE|NO\s+KEY|SHARE|KEY))", re.I | re.S)

db = SQLAlchemy(model_class=Base)
# The models' base class. Flask-SQLAlchemy makes ``db.Model`` at run time, as a subclass of
# Base (with table names and ``query``), so a type checker cannot see it: it is told Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """The language chosen with the switch, else Indonesian (Babel's locale selector; pages
    also read it, as ``select_locale()``, for their ``lang``)."""
    chosen = session.get("lang") if has_request_context() else None
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    return default


class RequestDomain(Domain):  # type: ignore[misc]  # flask_babel is untyped
    """Flask-Babel's message domain, which looks the catalogue up afresh for every string (its
    context, the locale's name, the cache): a page has dozens of strings, the cash book
    hundreds, its forms' labels too. This one keeps it beside the locale Flask-Babel keeps for
    the request, for as long as that is the locale (``force_locale`` and ``refresh`` change
    it)."""

    def get_translations(self) -> NullTranslations:
        found = _kept_translations()
        if found is None:
            found = super().get_translations()
            if has_app_context():
                kept = g._flask_babel  # made by the lookup above
                kept.sas_translations = (getattr(kept, "babel_locale", None), found)
        return found


def _kept_translations() -> NullTranslations | None:
    try:
        kept = g._flask_babel  # Flask-Babel's own place (flask_babel._get_current_context)
        locale, found = kept.sas_translations
        if locale is kept.babel_locale:
            return found  # type: ignore[no-any-return]
    except (AttributeError, RuntimeError):  # not looked up yet, or no app context
        pass
    return None


# every gettext of the app's default domain, lazy ones (form labels) included, goes through it
babel.domain_instance = RequestDomain()


def translations() -> NullTranslations:
    """This context's catalogue: the kept one, without Flask-Babel's lookups on the way."""
    found = _kept_translations()
    return found if found is not None else get_translations()


def gettext(string: str, **variables: object) -> str:
    """Flask-Babel's ``gettext`` (same result) with this request's catalogue looked up once."""
    text: str = translations().ugettext(string)
    return text % variables if variables else text


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` for writes.

    SQLAlchemy's documented recipe: pysqlite's own BEGIN handling is switched off and we emit
    BEGIN ourselves. A POST request (every state change is one) or a CLI/test call takes the
    write lock when its transaction starts, so the balance check and the insert cannot
    interleave with another writer; GET requests use a plain deferred BEGIN and never block.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        reading = has_request_context() and request.method in READING
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def read_without_transactions(engine: Engine) -> None:
    """On PostgreSQL, a page view (GET) reads without BEGIN and COMMIT: two round trips less.

    Under PostgreSQL's READ COMMITTED every statement sees its own snapshot, in a transaction or
    not, so a GET's SELECTs read exactly what they would read inside one. The connection is put
    in autocommit for the request; the first statement that needs a transaction (a write, a row
    lock, a server-side cursor) opens one with BEGIN, and the request's commit or rollback ends
    it as usual. POST requests, the CLI and the tests' own sessions keep ordinary transactions.

    Ending a GET's reads needs no ROLLBACK either, so psycopg keeps its prepared statements (it
    forgets them all at every ROLLBACK): PostgreSQL reuses their plans, and the dashboard's joins
    cost more to plan than to run.
    """

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if has_request_context() and request.method in READING:
            psycopg_connection(conn).autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _execute(
        conn: Connection,
        _cursor: object,
        statement: str,
        _params: object,
        context: ExecutionContext,
        _many: bool,
    ) -> None:
        dbapi_connection = psycopg_connection(conn)
        if (
            dbapi_connection.autocommit
            and dbapi_connection.info.transaction_status == TransactionStatus.IDLE
            and (context.execution_options.get("stream_results") or not PLAIN_READ.match(statement))
        ):
            dbapi_connection.execute("BEGIN")

    @event.listens_for(engine, "checkin")
    def _checkin(
        dbapi_connection: psycopg.Connection[Any] | None, _record: ConnectionPoolEntry
    ) -> None:
        if dbapi_connection is not None and not dbapi_connection.closed:
            dbapi_connection.autocommit = False


def psycopg_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The driver's connection under a PostgreSQL ``conn`` (SQLAlchemy types it as any DBAPI
    connection, or None once closed)."""
    return cast(psycopg.Connection[Any], conn.connection.dbapi_connection)


def check_pooled_connections(engine: Engine, idle_seconds: float) -> None:
    """Hand out no dead connection, without a round trip for every request.

    SQLAlchemy's ``pool_pre_ping`` would ping each connection at every checkout: one round
    trip more per request, a third of a cached dashboard view's. Instead, a connection taken
    from the pool is pinged only when something waits on its socket, or when it sat unused for
    ``idle_seconds``. Between two requests the server sends nothing unasked, so something to
    read means it said goodbye: a restart or a terminated backend sends an error and closes
    the socket. Should the ping fail, the pool connects afresh and the request never sees the
    dead connection.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: object
    ) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None:
            return  # just connected
        try:
            idle = time.monotonic() - returned_at >= idle_seconds
            if idle or select.select([dbapi_connection.fileno()], [], [], 0)[0]:
                engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(str(error)) from error  # the pool connects afresh
