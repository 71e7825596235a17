"""Requests for help and the board of open requests of a kabupaten (Sekolah Asuh Sekolah).

Moving the money is a ledger write and lives in ``sas.transfers.moving``; here are the requests
a school posts (no money moves) and what the pages read. A request's description is the only
thing other schools see about the receiving school's needs: never a child's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from sas import audit
from sas.dates import WIB
from sas.extensions import db
from sas.ledger import LedgerError, check_amount, refuse_child_name
from sas.models import (
    Category,
    HelpRequest,
    Region,
    RequestStatus,
    School,
    Transfer,
    User,
)
from sas.transfers.moving import lock_request

MAX_DESCRIPTION = 500


def post_request(
    school: School,
    *,
    amount: int,
    category: Category,
    description: str,
    deadline: date | None,
    created_by: User,
    form_key: str,
    today: date,
) -> HelpRequest:
    """Post a need to every school of the kabupaten. A repeated form returns the first."""
    check_amount(amount)
    description = (description or "").strip()
    if not description:
        raise LedgerError(_("Keterangan wajib diisi."), "description")
    if len(description) > MAX_DESCRIPTION:
        raise LedgerError(
            _("Keterangan paling banyak %(n)d huruf.", n=MAX_DESCRIPTION), "description"
        )
    refuse_child_name(school, description, "description")
    if deadline is not None and deadline < today:
        raise LedgerError(_("Batas waktu tidak boleh di masa lalu."), "deadline")
    if not school.active:
        raise LedgerError(_("Sekolah ini tidak aktif."), "amount")
    existing = db.session.scalar(select(HelpRequest).where(HelpRequest.form_key == form_key))
    if existing is not None:
        return existing
    request = HelpRequest(
        school_id=school.id,
        amount=amount,
        received=0,
        category=category,
        description=description,
        deadline=deadline,
        status=RequestStatus.OPEN,
        created_by_id=created_by.id,
        form_key=form_key,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "help_request.posted",
        target=f"request:{request.id}",
        school_id=school.id,
        detail=f"amount={amount} category={category.value}",
        actor=created_by,
    )
    return request


def close_request(request: HelpRequest, status: RequestStatus, *, closed_by: User) -> HelpRequest:
    """Withdraw a request, or mark it fulfilled: it leaves the board; transfers already made
    against it stay as they are."""
    locked = lock_request(request.id)
    if locked.status != RequestStatus.OPEN:
        raise LedgerError(_("Permintaan bantuan ini sudah tidak terbuka."), "status")
    locked.status = status
    locked.closed_at = datetime.now(UTC)
    locked.closed_by_id = closed_by.id
    db.session.flush()
    audit.record(
        "help_request.closed",
        target=f"request:{locked.id}",
        school_id=locked.school_id,
        detail=f"status={status.value} received={locked.received}",
        actor=closed_by,
    )
    return locked


# --- reading -----------------------------------------------------------------------------------


def kabupaten_of(school: School) -> Region:
    kabupaten = school.kecamatan.parent
    assert kabupaten is not None
    return kabupaten


SORTS = ("age", "amount", "deadline")


@dataclass(frozen=True)
class BoardFilter:
    kecamatan: Region | None = None
    category: Category | None = None
    sort: str = "age"  # newest first; "amount": most still needed first; "deadline": soonest


@dataclass(frozen=True)
class BoardLine:
    request: HelpRequest
    age_days: int


def _board_select(kabupaten: Region) -> Select[tuple[HelpRequest]]:
    return (
        select(HelpRequest)
        .join(School, HelpRequest.school_id == School.id)
        .join(Region, School.kecamatan_id == Region.id)
        .where(
            Region.parent_id == kabupaten.id,
            HelpRequest.status == RequestStatus.OPEN,
            HelpRequest.received < HelpRequest.amount,
        )
    )


def board(kabupaten: Region, flt: BoardFilter, today: date) -> list[BoardLine]:
    """The open requests of the kabupaten's schools."""
    stmt = _board_select(kabupaten).options(
        joinedload(HelpRequest.school).joinedload(School.kecamatan)
    )
    if flt.kecamatan is not None:
        stmt = stmt.where(School.kecamatan_id == flt.kecamatan.id)
    if flt.category is not None:
        stmt = stmt.where(HelpRequest.category == flt.category)
    if flt.sort == "amount":
        stmt = stmt.order_by((HelpRequest.amount - HelpRequest.received).desc(), HelpRequest.id)
    elif flt.sort == "deadline":
        no_deadline = HelpRequest.deadline.is_(None)
        stmt = stmt.order_by(no_deadline, HelpRequest.deadline, HelpRequest.id)
    else:
        stmt = stmt.order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
    return [BoardLine(r, (today - posted_on(r)).days) for r in db.session.scalars(stmt)]


def posted_on(request: HelpRequest) -> date:
    moment = request.created_at
    if moment.tzinfo is None:  # SQLite hands back UTC without the zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(WIB).date()


def requests_of(school: School) -> list[HelpRequest]:
    """Every request the school posted, the open ones first, newest first."""
    return list(
        db.session.scalars(
            select(HelpRequest)
            .where(HelpRequest.school_id == school.id)
            .order_by(HelpRequest.status != RequestStatus.OPEN, HelpRequest.created_at.desc())
        )
    )


def kecamatan_of(kabupaten: Region) -> list[Region]:
    return list(
        db.session.scalars(
            select(Region).where(Region.parent_id == kabupaten.id).order_by(Region.name)
        )
    )


def receivers(giver: School) -> list[School]:
    """The schools a school may send to: the other active schools of its kabupaten."""
    return list(
        db.session.scalars(
            select(School)
            .join(Region, School.kecamatan_id == Region.id)
            .where(
                Region.parent_id == giver.kecamatan.parent_id,
                School.id != giver.id,
                School.active,
            )
            .options(joinedload(School.kecamatan))
            .order_by(Region.name, School.name)
        )
    )


def transfers_of(school: School, limit: int = 50) -> list[Transfer]:
    """The school's transfers out and in, newest first."""
    return list(
        db.session.scalars(
            select(Transfer)
            .where(or_(Transfer.from_school_id == school.id, Transfer.to_school_id == school.id))
            .options(joinedload(Transfer.from_school), joinedload(Transfer.to_school))
            .order_by(Transfer.occurred_on.desc(), Transfer.id.desc())
            .limit(limit)
        )
    )


def request_count(kabupaten: Region) -> int:
    sub = _board_select(kabupaten).subquery()
    return int(db.session.scalar(select(func.count()).select_from(sub)) or 0)
