"""Which database errors mean "try again" rather than a bug: the error handlers of the factory
(``register_errorhandlers``) and of the API (``sas.api.errors``) answer them with 503; any other
database error stays a 500.

The codes are PostgreSQL's SQLSTATEs (the lock and statement timeouts of
``config.engine_options``, deadlocks, a server going down); SQLite says the same in words.
"""

from sqlalchemy.exc import OperationalError


def is_busy(error: OperationalError) -> bool:
    """A lock wait that ran out (SQLite busy, PostgreSQL lock/statement timeout, deadlock)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in {"55P03", "40001", "40P01", "57014"}:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def is_unreachable(error: OperationalError) -> bool:
    """The database server is gone for now (restarting, refusing connections, a connection cut
    mid-request): the pool connects afresh once it is back, so "try again" is the answer."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    if sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}:
        return True
    text = str(error.orig).lower()
    return any(
        words in text
        for words in (
            "connection refused",
            "connection failed",
            "server closed the connection",
            "terminating connection",
            "the database system is",  # ... starting up / shutting down / in recovery mode
            "unable to open database file",
        )
    )
