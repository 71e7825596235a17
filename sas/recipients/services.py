"""Recipients are never deleted: a student who no longer needs help is deactivated."""

from sqlalchemy import select

from sas.extensions import db
from sas.models import Recipient, School


def list_recipients(school: School) -> list[Recipient]:
    return list(
        db.session.scalars(
            select(Recipient)
            .where(Recipient.school_id == school.id)
            .order_by(Recipient.active.desc(), Recipient.name)
        )
    )


def active_recipients(school: School) -> list[Recipient]:
    """Who can be given to now: the school's active recipients, by name."""
    return list(
        db.session.scalars(
            select(Recipient)
            .where(Recipient.school_id == school.id, Recipient.active)
            .order_by(Recipient.name)
        )
    )


def add_recipient(
    school: School, *, name: str, class_label: str, nisn: str | None, reason: str, active: bool
) -> Recipient:
    recipient = Recipient(school_id=school.id)
    update_recipient(
        recipient, name=name, class_label=class_label, nisn=nisn, reason=reason, active=active
    )
    db.session.add(recipient)
    db.session.flush()
    return recipient


def update_recipient(
    recipient: Recipient,
    *,
    name: str,
    class_label: str,
    nisn: str | None,
    reason: str,
    active: bool,
) -> None:
    recipient.name = name.strip()
    recipient.class_label = (class_label or "").strip()
    recipient.nisn = (nisn or "").strip() or None
    recipient.reason = (reason or "").strip()
    recipient.active = active
