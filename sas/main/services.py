"""What the public pages show and where: the public kabupaten, which schools have a public page,
and finding one by name or NPSN (names and NPSN of active schools only, never a figure: those
come from ``sas.reports.services``)."""

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from sas import pagecache
from sas.authz import shown_publicly
from sas.extensions import db
from sas.models import Region, RegionLevel, School


def public_kabupaten() -> Region | None:
    """The kabupaten named by ``PUBLIC_KABUPATEN`` (None if it does not exist), else the first."""
    stmt = select(Region).where(Region.level == RegionLevel.KABUPATEN)
    code = current_app.config.get("PUBLIC_KABUPATEN")
    if code:
        return db.session.scalar(stmt.where(Region.code == code))
    return db.session.scalar(stmt.order_by(Region.code).limit(1))


def public_kabupaten_id() -> int | None:
    """The id of ``public_kabupaten``, remembered per process a short while (a kept public
    page is then answered without a query: ``sas.pagecache``)."""

    def find() -> int | None:
        kabupaten = public_kabupaten()
        return kabupaten.id if kabupaten is not None else None

    return pagecache.remembered(
        ("public_kabupaten", current_app.config.get("PUBLIC_KABUPATEN")), find
    )


def shown_kabupaten() -> Region | None:
    """The public kabupaten while the public pages are switched on, else None."""
    return public_kabupaten() if current_app.config.get("PUBLIC_PAGE", True) else None


def is_public(school: School) -> bool:
    """Whether the school has a public page (``/sekolah/<npsn>``): an active school of the
    public kabupaten, while the public pages are on."""
    kabupaten = shown_kabupaten()
    return kabupaten is not None and shown_publicly(school, kabupaten)


def search_schools(kabupaten: Region, text: str, limit: int) -> list[School]:
    """Active schools of the kabupaten whose name or NPSN contains ``text`` (any case; ``%``
    and ``_`` match only themselves), by name, at most ``limit``."""
    kecamatan = select(Region.id).where(Region.parent_id == kabupaten.id)
    stmt = (
        select(School)
        .options(joinedload(School.kecamatan))
        .where(
            School.active,
            School.kecamatan_id.in_(kecamatan),
            or_(
                func.lower(School.name).contains(text.lower(), autoescape=True),
                School.npsn.contains(text.upper(), autoescape=True),
            ),
        )
        .order_by(School.name, School.npsn)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
