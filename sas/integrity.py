"""The checks that the stored figures agree with the entries (``flask sas check-totals``):
every fund's balance and reservations, the report totals, help requests and transfers. The
hash chain has its own check (``sas.ledger.chain``, ``flask sas verify-ledger``).
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql import ColumnElement

from sas.extensions import db
from sas.ledger import (
    balance,
    balance_from_entries,
    lowest_running_balance,
    reserved,
    reserved_from_pending,
    totals,
)
from sas.models import Entry, EntryKind, HelpRequest, School, Transfer


def check_totals() -> list[str]:
    """Every school's fund and report totals against its entries; returns the differences."""
    problems = totals.differences()
    for school in db.session.scalars(select(School).order_by(School.npsn)):
        stored, computed = balance(school), balance_from_entries(school)
        if stored != computed:
            problems.append(f"{school.npsn}: fund {stored} != entries {computed}")
        lowest = lowest_running_balance(school)
        if stored < 0 or (lowest is not None and lowest < 0):
            problems.append(f"{school.npsn}: balance below zero ({min(stored, lowest or 0)})")
        held, waiting = reserved(school), reserved_from_pending(school)
        if held != waiting:
            problems.append(f"{school.npsn}: reserved {held} != pending {waiting}")
    return problems + received_differences() + transfer_differences()


def received_differences() -> list[str]:
    """Each request for help's ``received`` against the transfers made for it, net of voids."""
    moved = (
        select(func.coalesce(func.sum(Transfer.amount), 0))
        .where(Transfer.request_id == HelpRequest.id, Transfer.voided_on.is_(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(HelpRequest.id, HelpRequest.received, moved)
        .where(HelpRequest.received != moved)
        .order_by(HelpRequest.id)
    )
    return [f"help request {id_}: received {got} != transfers {sent}" for id_, got, sent in rows]


def transfer_differences() -> list[str]:
    """Each transfer against its entries: one half out of the giver and one into the receiver,
    both for its amount, and two corrections dated ``voided_on`` exactly when it is voided."""

    def count(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    same = Entry.amount == Transfer.amount
    rows = db.session.execute(
        select(
            Transfer.id,
            Transfer.voided_on.is_not(None),
            count(
                Entry.kind == EntryKind.TRANSFER_OUT,
                Entry.school_id == Transfer.from_school_id,
                same,
            ),
            count(
                Entry.kind == EntryKind.TRANSFER_IN, Entry.school_id == Transfer.to_school_id, same
            ),
            count(Entry.kind == EntryKind.VOID, Entry.occurred_on == Transfer.voided_on, same),
            func.count(Entry.id),
        )
        .outerjoin(Entry, Entry.transfer_id == Transfer.id)
        .group_by(Transfer.id)
        .order_by(Transfer.id)
    )
    problems = []
    for id_, voided, out, into, voids, entries in rows:
        wanted = (1, 1, 2 if voided else 0)
        if (out, into, voids) != wanted or entries != sum(wanted):
            state = "voided" if voided else "not voided"
            problems.append(
                f"transfer {id_} ({state}): {out} half out, {into} half in, "
                f"{voids} voids on its void date, {entries} entries in all"
            )
    return problems
