"""Finding a school for the public pages: names and NPSN of active schools only, never a
figure (those come from ``sas.reports.services``)."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from sas.extensions import db
from sas.models import Region, School


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
