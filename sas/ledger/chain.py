"""The tamper-evident ledger: every entry of a school is chained to the one before it.

An entry stores ``prev_hash`` (the hash of the school's previous entry, or ``GENESIS``) and
``hash`` = SHA-256 of its canonical content, which includes ``prev_hash``. The content is JSON
with sorted keys and no spaces: amounts as integer Rupiah, dates ISO, timestamps UTC. Appends
are serialised per school by the fund lock (``sas.ledger.book.lock_fund``), and the fund keeps the
chain head. ``verify`` walks a school's chain in ``seq`` order and names the first entry that
does not fit: changed (its hash no longer matches its content), deleted (a gap in ``seq`` or a
``prev_hash`` that points elsewhere) or reordered (``seq`` is part of the content).
"""

from __future__ import annotations

import enum
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from sas.dates import school_year_start
from sas.extensions import db
from sas.models import Entry, Fund, School

GENESIS = "0" * 64

# The columns that make up an entry's content, in the order the canonical JSON names them.
CONTENT = (
    "school_id",
    "seq",
    "kind",
    "direction",
    "amount",
    "occurred_on",
    "recorded_at",
    "recorded_by_id",
    "approved_by_id",
    "form_key",
    "source",
    "class_label",
    "donor_name",
    "note",
    "recipient_id",
    "category",
    "in_kind",
    "description",
    "voids_entry_id",
    "reason",
    "receipt_year",
    "receipt_no",
    "transfer_id",
    "prev_hash",
)
# Columns added after entries were first chained: named in the content only when set, so the
# entries written before them keep the hashes they were sealed with.
SPARSE = frozenset({"transfer_id"})


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, enum.Enum):  # its stored value
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back UTC without the zone
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _canonical(values: Sequence[Any]) -> bytes:
    content = {
        name: value
        for name, value in zip(CONTENT, map(_plain, values), strict=True)
        if value is not None or name not in SPARSE
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(values: Sequence[Any]) -> str:
    return hashlib.sha256(_canonical(values)).hexdigest()


def canonical(entry: Any) -> bytes:
    """The bytes an entry's hash is taken over (``entry``: an Entry, or a dict of its columns
    where a missing column counts as None)."""
    if isinstance(entry, Mapping):
        return _canonical([entry.get(name) for name in CONTENT])
    return _canonical([getattr(entry, name) for name in CONTENT])


def entry_hash(entry: Any) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def seal(rows: list[dict[str, Any]], head: str | None = None) -> str | None:
    """Give rows about to be bulk-inserted (one school's new entries, in ``seq`` order, with
    their ids and ``voids_entry_id`` set) their kuitansi numbers and their links in the chain,
    as ``append`` would; returns the new chain head. For loaders (the demo, the benchmark)
    that write a school's whole history into an empty ledger."""
    receipts: dict[int, int] = {}
    for row in rows:
        year = school_year_start(row["occurred_on"])
        receipts[year] = receipts.get(year, 0) + 1
        row["receipt_year"], row["receipt_no"] = year, receipts[year]
        row["prev_hash"] = head or GENESIS
        row["hash"] = head = entry_hash(row)
    return head


def fingerprint(chain_head: str | None) -> str:
    """A chain head short enough to print and read aloud: ``3f9a 1c07 b2e4``."""
    head = chain_head or GENESIS
    return " ".join(head[i : i + 4] for i in range(0, 12, 4))


PROBLEMS = {
    "missing": "an entry is missing before it (deleted)",
    "prev": "it does not follow the entry before it (deleted or reordered)",
    "changed": "its content was changed",
    "tail": "entries after the last one are missing (deleted)",
}


@dataclass(frozen=True)
class ChainStatus:
    school: School
    entries: int
    head: str | None  # the hash of the last entry that fits
    broken_seq: int | None = None  # the first entry that does not fit
    problem: str | None = None  # one of PROBLEMS

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(school: School) -> ChainStatus:
    """Walk the school's chain from its first entry; stop at the first that does not fit."""
    return _walk(school, 0, GENESIS)


def _walk(school: School, after: int, previous: str) -> ChainStatus:
    """Check the entries after seq ``after`` and the fund's head. With ``after`` > 0 the entry
    at ``after`` was verified before, with hash ``previous``: if it is gone or its hash or
    content changed, the whole chain is walked instead, to name the first entry that breaks."""
    columns = [getattr(Entry, name) for name in CONTENT]  # prev_hash is the last of them
    rows = db.session.execute(
        select(*columns, Entry.hash)
        .where(Entry.school_id == school.id, Entry.seq >= max(after, 1))
        .order_by(Entry.seq)
        .execution_options(yield_per=2000)
    )
    with rows:  # a server-side cursor on PostgreSQL, left early at a break
        count = after
        for row in rows:
            values, digest = row[:-1], row[-1]
            if count == after > 0:  # the first row must be the entry verified before, as it was
                if row.seq != after or digest != previous or _digest(values) != digest:
                    break
                after = 0  # anchored: go on with the entries after it
                continue
            count += 1
            if row.seq != count:
                return ChainStatus(school, count - 1, previous, count, "missing")
            if row.prev_hash != previous:
                return ChainStatus(school, count - 1, previous, row.seq, "prev")
            if _digest(values) != digest:
                return ChainStatus(school, count - 1, previous, row.seq, "changed")
            previous = digest
    if after > 0:  # never anchored: the entry verified before was changed or deleted
        return verify(school)
    fund = db.session.get(Fund, school.id)
    head = fund.chain_head if fund is not None else None
    last_seq = fund.last_seq if fund is not None else 0
    if (head or GENESIS) != previous or last_seq != count:
        return ChainStatus(school, count, previous, count + 1, "tail")
    return ChainStatus(school, count, None if count == 0 else previous)


@dataclass(frozen=True)
class _Verified:
    seq: int
    hash: str
    walked_at: float  # time.monotonic() of the whole walk it rests on


def verify_recent(school: School) -> ChainStatus:
    """``verify`` for pages viewed often (the dashboard, the kuitansi check): the whole chain is
    walked at most once per ``CHAIN_FULL_WALK_SECONDS`` per school and process. In between, the
    entries appended since the last walk are checked against the last entry it verified (which
    must still be there, unchanged) and the fund's head; when nothing was appended, nothing is
    read. A change made behind the app shows at the next whole walk; ``flask sas verify-ledger``
    always walks it all."""
    known: dict[int, _Verified] = current_app.extensions.setdefault("sas_chain_verified", {})
    seen, now = known.get(school.id), time.monotonic()
    if seen is None or now - seen.walked_at >= current_app.config["CHAIN_FULL_WALK_SECONDS"]:
        status, walked_at = verify(school), now
    elif _unchanged(school, seen):
        return ChainStatus(school, seen.seq, seen.hash)
    else:
        status, walked_at = _walk(school, seen.seq, seen.hash), seen.walked_at
    if status.ok and status.head is not None:
        known[school.id] = _Verified(status.entries, status.head, walked_at)
    else:
        known.pop(school.id, None)
    return status


def _unchanged(school: School, seen: _Verified) -> bool:
    """Nothing appended since ``seen`` (the fund is usually in the session already)."""
    fund = db.session.get(Fund, school.id)
    return fund is not None and fund.last_seq == seen.seq and fund.chain_head == seen.hash


def verify_all(npsn: str | None = None) -> list[ChainStatus]:
    stmt = select(School).order_by(School.npsn)
    if npsn is not None:
        stmt = stmt.where(School.npsn == npsn)
    return [verify(school) for school in db.session.scalars(stmt)]
