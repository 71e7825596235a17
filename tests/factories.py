"""Small factories for the rows tests need: regions, schools, users, recipients, classes, and
entries recorded through the ledger's own services (so every row obeys the ledger's rules).

Each one commits, as a request would, so what it made is there for the next request.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from datetime import date

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from sas import ledger
from sas.approvals import services as approvals
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import (
    Category,
    Entry,
    Jenjang,
    PendingDisbursement,
    Recipient,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolClass,
    SchoolStatus,
    Source,
    User,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """A cheap hash for test accounts (the app's own scrypt hashing is tested in test_auth)."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_kabupaten(code: str = "35.10", name: str = "Banyuwangi") -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        region = Region(code=code, name=name, level=RegionLevel.KABUPATEN)
        db.session.add(region)
        db.session.flush()
    return region


def make_kecamatan(code: str = "35.10.16", name: str = "Banyuwangi") -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        kabupaten = make_kabupaten(code[:5])
        region = Region(code=code, name=name, level=RegionLevel.KECAMATAN, parent_id=kabupaten.id)
        db.session.add(region)
        db.session.flush()
    return region


def make_school(npsn: str | None = None, kecamatan: str = "35.10.16", **fields) -> School:  # type: ignore[no-untyped-def]
    n = next(_counter)
    school = School(
        npsn=npsn or f"2052{n:04d}",
        name=fields.pop("name", f"SMP Negeri {n} Banyuwangi"),
        jenjang=fields.pop("jenjang", Jenjang.SMP),
        status=fields.pop("status", SchoolStatus.NEGERI),
        kecamatan_id=make_kecamatan(kecamatan).id,
        **fields,
    )
    db.session.add(school)
    db.session.flush()
    ledger.ensure_fund(school)
    db.session.commit()
    return school


def make_user(username: str, role: Role, school: School | None = None, active: bool = True) -> User:
    user = User(
        username=username,
        display_name=username.title(),
        role=role,
        school_id=school.id if school else None,
        region_id=make_kabupaten().id if role == Role.DISTRICT else None,
        active=active,
    )
    user.password_hash = password_hash()
    db.session.add(user)
    db.session.commit()
    return user


def make_recipient(school: School, name: str = "Siti Aminah", **fields) -> Recipient:  # type: ignore[no-untyped-def]
    recipient = Recipient(
        school_id=school.id,
        name=name,
        class_label=fields.pop("class_label", "8A"),
        reason=fields.pop("reason", "Orang tua buruh tani"),
        **fields,
    )
    db.session.add(recipient)
    db.session.commit()
    return recipient


def make_classes(school: School, *labels: str) -> list[SchoolClass]:
    items = [SchoolClass(school_id=school.id, label=label) for label in labels]
    db.session.add_all(items)
    db.session.commit()
    return items


def contribute(  # type: ignore[no-untyped-def]
    school: School,
    amount: int,
    user: User,
    on: date | None = None,
    *,
    as_of: date | None = None,
    commit: bool = True,
    **fields,
) -> Entry:
    """A class's contribution on ``on`` (default today), recorded as of ``as_of`` (default
    today, WIB; a history recorded as of each entry's own day may reach further back), and
    committed unless ``commit`` is False (a large history commits once)."""
    entry = entries.record_contribution(
        school,
        amount=amount,
        occurred_on=on or today_wib(),
        source=fields.pop("source", Source.CLASS),
        class_label=fields.pop("class_label", "8A"),
        donor_name=fields.pop("donor_name", None),
        note=fields.pop("note", None),
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=as_of or today_wib(),
    )
    if commit:
        db.session.commit()
    return entry


def disburse(
    school: School,
    amount: int,
    user: User,
    recipient: Recipient,
    on: date | None = None,
    *,
    category: Category = Category.SERAGAM,
    in_kind: bool = True,
    description: str | None = "Seragam putih biru",
    as_of: date | None = None,
    commit: bool = True,
) -> Entry:
    """A disbursement to ``recipient`` on ``on`` (default today), recorded and committed as
    ``contribute`` does."""
    entry = entries.record_disbursement(
        school,
        amount=amount,
        occurred_on=on or today_wib(),
        recipient=recipient,
        category=category,
        in_kind=in_kind,
        description=description,
        recorded_by=user,
        form_key=uuid.uuid4().hex,
        today=as_of or today_wib(),
    )
    if commit:
        db.session.commit()
    return entry


def ask_disbursement(world, amount, user=None, key=None, **fields) -> PendingDisbursement:  # type: ignore[no-untyped-def]
    """A disbursement from school A of the ``world`` fixture that waits for a second approver."""
    pending = approvals.request_disbursement(
        world["a"],
        amount=amount,
        occurred_on=fields.pop("on", today_wib()),
        recipient=fields.pop("recipient", world["recipient_a"]),
        category=Category.SEPEDA,
        in_kind=True,
        description="Sepeda ke sekolah",
        recorded_by=user or world["komite_a"],
        form_key=key or uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return pending
