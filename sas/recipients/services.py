"""Recipients are never deleted: a student who no longer needs help is deactivated."""

from sqlalchemy import select

from sas import audit
from sas.extensions import db
from sas.models import Recipient, School, User

# The fields whose change is logged (by name only: their values are a child's data).
TRACKED = ("name", "class_label", "nisn", "reason", "active")


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
    school: School,
    *,
    name: str,
    class_label: str,
    nisn: str | None,
    reason: str,
    active: bool,
    added_by: User,
) -> Recipient:
    recipient = Recipient(school_id=school.id)
    _apply(recipient, name=name, class_label=class_label, nisn=nisn, reason=reason, active=active)
    db.session.add(recipient)
    db.session.flush()
    audit.record(
        "recipient.added",
        target=f"recipient:{recipient.id}",
        school_id=school.id,
        detail=f"active={'yes' if recipient.active else 'no'}",
        actor=added_by,
    )
    return recipient


def update_recipient(
    recipient: Recipient,
    *,
    name: str,
    class_label: str,
    nisn: str | None,
    reason: str,
    active: bool,
    changed_by: User,
) -> list[str]:
    """Save the form; returns the names of the fields that changed (none: nothing is logged).

    The log names the changed fields, never their old or new values (a child's data), except
    whether the student is still helped.
    """
    before = {field: getattr(recipient, field) for field in TRACKED}
    _apply(recipient, name=name, class_label=class_label, nisn=nisn, reason=reason, active=active)
    changed = [field for field in TRACKED if getattr(recipient, field) != before[field]]
    if changed:
        db.session.flush()
        audit.record(
            "recipient.changed",
            target=f"recipient:{recipient.id}",
            school_id=recipient.school_id,
            detail=f"fields={','.join(changed)} active={'yes' if recipient.active else 'no'}",
            actor=changed_by,
        )
    return changed


def _apply(
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
