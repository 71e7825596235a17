"""Tables the database itself keeps append-only: UPDATE and DELETE are refused by triggers.

``protect(table)`` creates the triggers with the table (``db.create_all()``, the tests); the
migrations create the same ones with ``trigger_statements``. A test that must tamper with such a
table on purpose drops them (``drop_statements``) and puts them back.
"""

from __future__ import annotations

from sqlalchemy import DDL, FromClause, Table, event


def trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for action in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
    ]


def drop_statements(table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_{a}" for a in ("update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]


def protect(table: FromClause) -> None:
    """Append-only triggers on ``table`` (a model's ``__table__``, typed as any FROM clause)."""
    assert isinstance(table, Table)
    for dialect in ("sqlite", "postgresql"):
        for statement in trigger_statements(table.name, dialect):
            # SQLAlchemy's DDL constructor carries no annotations
            ddl = DDL(statement)  # type: ignore[no-untyped-call]
            event.listen(table, "after_create", ddl.execute_if(dialect=dialect))
