"""The administrator's rules: regions, schools, accounts and the committee handover.

Services take explicit arguments, change the session, add exactly one audit row per action
(``sas.audit.record``) and only flush; the view commits once. A refused action raises
``sas.refusals.Refused`` naming the form field it is about, and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from sas import ledger
from sas.audit import record
from sas.auth.services import end_sessions
from sas.authz import NPSN, REGION_CODE
from sas.dates import month_bounds, next_month, school_year_start
from sas.extensions import db
from sas.models import (
    CommitteeHandover,
    Fund,
    Jenjang,
    MonthClosing,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolStatus,
    User,
)
from sas.models.people import SCHOOL_ROLES
from sas.refusals import Refused

# A one-time password: 3 groups of 4 from 31 characters that cannot be misread (no 0/o, 1/l/i),
# lower case so a phone keyboard needs no shift: about 59 bits, plenty for 7 days.
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
OTP_VALID_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    items: list[Any]
    page: int
    pages: int
    total: int


def paginate(stmt: Select[Any], page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, pages, total or 0)


# --- regions -----------------------------------------------------------------------------------


def region_level(code: str) -> RegionLevel:
    """``35.10`` is a kabupaten, ``35.10.01`` a kecamatan (the code is validated first)."""
    return RegionLevel.KABUPATEN if code.count(".") == 1 else RegionLevel.KECAMATAN


def _region_parent(code: str, level: RegionLevel) -> Region | None:
    """A kecamatan's kabupaten is the one whose code starts its own; a kabupaten has none."""
    if level == RegionLevel.KABUPATEN:
        return None
    parent = db.session.scalar(
        select(Region).where(Region.code == code[:5], Region.level == RegionLevel.KABUPATEN)
    )
    if parent is None:
        raise Refused(
            _("Kabupaten %(code)s belum ada; tambahkan kabupatennya dulu.", code=code[:5]),
            "code",
        )
    return parent


def _check_region_code(code: str, region: Region | None) -> None:
    if not REGION_CODE.match(code):
        raise Refused(_("Tulis kode seperti 35.10 (kabupaten) atau 35.10.01 (kecamatan)."), "code")
    taken = db.session.scalar(select(Region.id).where(Region.code == code))
    if taken is not None and (region is None or taken != region.id):
        raise Refused(_("Kode %(code)s sudah dipakai.", code=code), "code")


def create_region(*, code: str, name: str) -> Region:
    """A kabupaten (``PP.KK``) or a kecamatan (``PP.KK.CC``) of an existing kabupaten."""
    code, name = code.strip(), name.strip()
    _check_region_code(code, None)
    level = region_level(code)
    parent = _region_parent(code, level)
    region = Region(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    db.session.add(region)
    db.session.flush()
    record("region.created", target=f"region:{region.id}", detail=f"{code} {name}")
    return region


def update_region(region: Region, *, code: str, name: str) -> bool:
    """Rename or re-code a region; the level never changes. A kecamatan whose new code starts
    with another kabupaten's code moves there. False when nothing changed (nothing recorded)."""
    code, name = code.strip(), name.strip()
    if code == region.code and name == region.name:
        return False
    _check_region_code(code, region)
    if region_level(code) != region.level:
        raise Refused(
            _("Kode kabupaten ditulis 35.10; kode kecamatan ditulis 35.10.01.")
            if region.level == RegionLevel.KABUPATEN
            else _("Kode kecamatan ditulis seperti 35.10.01."),
            "code",
        )
    if code != region.code and region.level == RegionLevel.KABUPATEN:
        has_kecamatan = db.session.scalar(
            select(Region.id).where(Region.parent_id == region.id).limit(1)
        )
        if has_kecamatan is not None:
            raise Refused(
                _("Kode kabupaten yang sudah memiliki kecamatan tidak dapat diubah."), "code"
            )
    parent = _region_parent(code, region.level)
    before = f"{region.code} {region.name}"
    region.code, region.name = code, name
    region.parent_id = parent.id if parent else None
    db.session.flush()
    record("region.changed", target=f"region:{region.id}", detail=f"{before} -> {code} {name}")
    return True


@dataclass(frozen=True)
class RegionLine:
    region: Region
    schools: int  # a kecamatan's schools; a kabupaten's kecamatan


def region_lines() -> list[RegionLine]:
    """Every kabupaten followed by its kecamatan, in code order, with counts (two queries)."""
    schools = dict(
        db.session.execute(select(School.kecamatan_id, func.count()).group_by(School.kecamatan_id))
        .tuples()
        .all()
    )
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    kecamatan: dict[int, int] = {}
    for region in regions:
        if region.parent_id is not None:
            kecamatan[region.parent_id] = kecamatan.get(region.parent_id, 0) + 1
    return [
        RegionLine(r, schools.get(r.id, 0) if r.parent_id else kecamatan.get(r.id, 0))
        for r in regions
    ]


def kabupaten_list() -> list[Region]:
    return list(
        db.session.scalars(
            select(Region).where(Region.level == RegionLevel.KABUPATEN).order_by(Region.code)
        )
    )


def kecamatan_list() -> list[Region]:
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.level == RegionLevel.KECAMATAN)
            .options(joinedload(Region.parent))
            .order_by(Region.code)
        )
    )


# --- schools -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolData:
    npsn: str
    name: str
    jenjang: Jenjang
    status: SchoolStatus
    kecamatan_id: int


def _check_school(data: SchoolData, school: School | None) -> None:
    if not NPSN.match(data.npsn):
        raise Refused(_("NPSN terdiri dari 8 angka atau huruf besar."), "npsn")
    taken = db.session.scalar(select(School.id).where(School.npsn == data.npsn))
    if taken is not None and (school is None or taken != school.id):
        raise Refused(_("NPSN %(npsn)s sudah terdaftar.", npsn=data.npsn), "npsn")
    kecamatan = db.session.get(Region, data.kecamatan_id)
    if kecamatan is None or kecamatan.level != RegionLevel.KECAMATAN:
        raise Refused(_("Pilih kecamatan yang terdaftar."), "kecamatan_id")


def create_school(data: SchoolData) -> School:
    """A new school, active, with its fund (balance 0)."""
    _check_school(data, None)
    school = School(
        npsn=data.npsn,
        name=data.name.strip(),
        jenjang=data.jenjang,
        status=data.status,
        kecamatan_id=data.kecamatan_id,
        active=True,
    )
    db.session.add(school)
    db.session.flush()
    ledger.ensure_fund(school)
    record(
        "school.created",
        target=f"school:{school.id}",
        school_id=school.id,
        detail=f"{school.npsn} {school.name}",
    )
    return school


def update_school(school: School, data: SchoolData) -> bool:
    """Correct a school's data (the NPSN too: it was mistyped). False when nothing changed."""
    _check_school(data, school)
    new = {
        "npsn": data.npsn,
        "name": data.name.strip(),
        "jenjang": data.jenjang,
        "status": data.status,
        "kecamatan_id": data.kecamatan_id,
    }
    changed = [k for k, v in new.items() if getattr(school, k) != v]
    if not changed:
        return False
    detail = "; ".join(f"{k}: {getattr(school, k)} -> {new[k]}" for k in changed)
    for key in changed:
        setattr(school, key, new[key])
    db.session.flush()
    record("school.changed", target=f"school:{school.id}", school_id=school.id, detail=detail)
    return True


def deactivate_school(school: School) -> int:
    """The school stops taking part: hidden from new accounts, its accounts deactivated and
    their sessions ended. Its ledger stays, whole (a school is never deleted). Returns how many
    accounts were deactivated."""
    if not school.active:
        raise Refused(_("Sekolah ini sudah nonaktif."))
    users = list(db.session.scalars(select(User).where(User.school_id == school.id, User.active)))
    for user in users:
        user.active = False
        end_sessions(user)
    school.active = False
    db.session.flush()
    record(
        "school.deactivated",
        target=f"school:{school.id}",
        school_id=school.id,
        detail=f"{len(users)} akun dinonaktifkan",
    )
    return len(users)


def reactivate_school(school: School) -> None:
    """The school takes part again; its accounts are reactivated one by one, by hand."""
    if school.active:
        raise Refused(_("Sekolah ini sudah aktif."))
    school.active = True
    db.session.flush()
    record(
        "school.changed", target=f"school:{school.id}", school_id=school.id, detail="active: True"
    )


@dataclass(frozen=True)
class SchoolFilter:
    kecamatan: Region | None = None
    jenjang: Jenjang | None = None
    text: str = ""  # part of the name or the NPSN
    active: bool | None = None


def schools_page(flt: SchoolFilter, page: int, per_page: int) -> Page:
    stmt = select(School).options(joinedload(School.kecamatan)).order_by(School.name, School.npsn)
    if flt.kecamatan is not None:
        stmt = stmt.where(School.kecamatan_id == flt.kecamatan.id)
    if flt.jenjang is not None:
        stmt = stmt.where(School.jenjang == flt.jenjang)
    if flt.active is not None:
        stmt = stmt.where(School.active == flt.active)
    if flt.text:
        pattern = f"%{_escape_like(flt.text.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(School.name).like(pattern, escape="\\"),
                School.npsn == flt.text.upper(),
            )
        )
    return paginate(stmt, page, per_page)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def school_users(school: School) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.school_id == school.id)
            .order_by(User.active.desc(), User.role, User.username)
        )
    )


# --- accounts ----------------------------------------------------------------------------------


def one_time_password() -> str:
    """``abcd-efgh-jkmn``: read aloud or copied by hand without confusing 0/O or 1/l."""
    return "-".join("".join(secrets.choice(OTP_ALPHABET) for _ in range(4)) for _ in range(3))


def _issue_one_time_password(user: User, now: datetime) -> str:
    """Only the hash is kept; the password works once, until ``now`` + 7 days."""
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_expires_at = now + OTP_VALID_FOR
    return password


def username_taken(username: str, user: User | None = None) -> bool:
    found = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    return found is not None and (user is None or found != user.id)


def create_user(
    *,
    username: str,
    display_name: str,
    role: Role,
    school: School | None,
    kabupaten: Region | None,
    now: datetime,
) -> tuple[User, str]:
    """A new account and its one-time password (returned once, to be shown once)."""
    username = username.strip()
    if username_taken(username):
        raise Refused(_("Nama pengguna %(name)s sudah dipakai.", name=username), "username")
    user = User(username=username, display_name=display_name.strip(), role=role, active=True)
    if role in SCHOOL_ROLES:
        if school is None or not school.active:
            raise Refused(_("Tim SAS dan guru pembina memerlukan sekolah yang aktif."), "npsn")
        user.school_id = school.id
    elif role == Role.DISTRICT:
        if kabupaten is None or kabupaten.level != RegionLevel.KABUPATEN:
            raise Refused(_("Akun Dinas Pendidikan memerlukan kabupaten."), "kabupaten")
        user.region_id = kabupaten.id
    password = _issue_one_time_password(user, now)
    db.session.add(user)
    db.session.flush()
    scope = [role.value]
    if user.school_id and school is not None:
        scope.append(school.npsn)
    if user.region_id and kabupaten is not None:
        scope.append(kabupaten.code)
    record(
        "user.created",
        target=f"user:{user.id}",
        school_id=user.school_id,
        detail=f"{user.username} ({' '.join(scope)})",
    )
    return user, password


def rename_user(user: User, display_name: str) -> bool:
    """Correct a display name; False when it did not change (nothing recorded)."""
    display_name = display_name.strip()
    if display_name == user.display_name:
        return False
    before, user.display_name = user.display_name, display_name
    db.session.flush()
    record(
        "user.changed",
        target=f"user:{user.id}",
        school_id=user.school_id,
        detail=f"display_name: {before} -> {display_name}",
    )
    return True


def deactivate_user(user: User, *, by: User) -> None:
    """The account can no longer log in, and every session it has ends now."""
    if user.id == by.id:
        raise Refused(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if not user.active:
        raise Refused(_("Akun ini sudah nonaktif."))
    user.active = False
    end_sessions(user)
    db.session.flush()
    record("user.deactivated", target=f"user:{user.id}", school_id=user.school_id)


def reactivate_user(user: User) -> None:
    """The account may log in again with its password (a forgotten one: reset it)."""
    if user.active:
        raise Refused(_("Akun ini sudah aktif."))
    if user.school is not None and not user.school.active:
        raise Refused(_("Sekolah akun ini nonaktif; aktifkan sekolahnya dulu."))
    user.active = True
    db.session.flush()
    record("user.reactivated", target=f"user:{user.id}", school_id=user.school_id)


def reset_password(user: User, *, by: User, now: datetime) -> str:
    """A new one-time password (returned once); the old password and sessions stop working."""
    if user.id == by.id:
        raise Refused(_("Ubah kata sandi Anda sendiri di halaman kata sandi."))
    password = _issue_one_time_password(user, now)
    end_sessions(user)
    db.session.flush()
    record("password.reset", target=f"user:{user.id}", school_id=user.school_id)
    return password


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment, aware (SQLite gives back naive UTC, PostgreSQL aware)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def one_time_password_state(user: User, now: datetime) -> str | None:
    """``"valid"`` or ``"expired"`` while the account still has a one-time password, else None."""
    if not user.must_change_password:
        return None
    expires = _utc(user.password_expires_at)
    return "valid" if expires is not None and expires > now else "expired"


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    school: School | None = None
    text: str = ""  # part of the username or display name
    active: bool | None = None


def users_page(flt: UserFilter, page: int, per_page: int) -> Page:
    stmt = (
        select(User)
        .options(joinedload(User.school), joinedload(User.region))
        .order_by(User.active.desc(), func.lower(User.username))
    )
    if flt.role is not None:
        stmt = stmt.where(User.role == flt.role)
    if flt.school is not None:
        stmt = stmt.where(User.school_id == flt.school.id)
    if flt.active is not None:
        stmt = stmt.where(User.active == flt.active)
    if flt.text:
        pattern = f"%{_escape_like(flt.text.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    return paginate(stmt, page, per_page)


# --- committee handover ------------------------------------------------------------------------


def school_year_months(year: int) -> list[date]:
    """The first days of July ``year`` to June ``year + 1``."""
    months, month = [], date(year, 7, 1)
    for _i in range(12):
        months.append(month)
        month = next_month(month)
    return months


def open_months(school: School, year: int, today: date) -> list[date]:
    """Months of the school year that have ended but were not closed (tutup buku)."""
    closed = set(
        db.session.scalars(
            select(MonthClosing.month).where(
                MonthClosing.school_id == school.id,
                MonthClosing.month >= date(year, 7, 1),
                MonthClosing.month < date(year + 1, 7, 1),
            )
        )
    )
    return [m for m in school_year_months(year) if month_bounds(m)[1] < today and m not in closed]


def active_committee(school: School) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.school_id == school.id, User.role == Role.COMMITTEE, User.active)
            .order_by(User.username)
        )
    )


def handover_years(today: date) -> list[int]:
    """The school years a term can be ended for: the current one and the one before."""
    current = school_year_start(today)
    return [current, current - 1]


def default_handover_year(today: date) -> int:
    """In July and August the term that ends is the school year just over; else the current."""
    current, previous = handover_years(today)
    return previous if today.month in (7, 8) else current


def _iso(moment: datetime | None) -> str | None:
    aware = _utc(moment)
    return aware.astimezone(UTC).isoformat() if aware is not None else None


def end_committee_term(
    school: School, *, year: int, ended_by: User, today: date
) -> CommitteeHandover:
    """End the committee's term in one transaction: a snapshot of what the next committee takes
    over (balance, the year's totals, open months, who served), then every committee account of
    the school is deactivated and its sessions ended. The ledger is only read; the balance
    carries over as it is."""
    if year not in handover_years(today):
        raise Refused(_("Pilih tahun ajaran yang sekarang atau yang sebelumnya."), "year")
    # Hold the fund row so that no entry lands between reading the balance and the totals.
    db.session.scalar(
        select(Fund)
        .where(Fund.school_id == school.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    members = active_committee(school)
    if not members:
        raise Refused(_("Sekolah ini tidak memiliki akun Tim SAS yang aktif."))
    totals, _helped = ledger.year_totals(school, date(year, 7, 1))
    handover = CommitteeHandover(
        school_id=school.id,
        school_year=year,
        ended_by_id=ended_by.id,
        balance=ledger.balance(school),
        collected=totals.collected,
        disbursed=totals.disbursed,
        open_months=[m.strftime("%Y-%m") for m in open_months(school, year, today)],
        members=[
            {
                "username": u.username,
                "display_name": u.display_name,
                "created_at": _iso(u.created_at),
                "last_login_at": _iso(u.last_login_at),
            }
            for u in members
        ],
    )
    db.session.add(handover)
    for user in members:
        user.active = False
        end_sessions(user)
    db.session.flush()
    record(
        "committee.term_ended",
        target=f"handover:{handover.id}",
        school_id=school.id,
        detail=f"{year}/{year + 1}; {len(members)} akun Tim SAS dinonaktifkan",
    )
    return handover


def handovers(school: School) -> list[CommitteeHandover]:
    return list(
        db.session.scalars(
            select(CommitteeHandover)
            .where(CommitteeHandover.school_id == school.id)
            .options(joinedload(CommitteeHandover.ended_by))
            .order_by(CommitteeHandover.ended_at.desc(), CommitteeHandover.id.desc())
        )
    )


def counts() -> dict[str, int]:
    """The landing page's figures, in one query per table."""
    schools = dict(
        db.session.execute(select(School.active, func.count()).group_by(School.active))
        .tuples()
        .all()
    )
    users = dict(
        db.session.execute(select(User.role, func.count()).where(User.active).group_by(User.role))
        .tuples()
        .all()
    )
    return {
        "regions": db.session.scalar(select(func.count(Region.id))) or 0,
        "schools": schools.get(True, 0),
        "inactive_schools": schools.get(False, 0),
        **{f"users_{role.value}": users.get(role, 0) for role in Role},
    }
