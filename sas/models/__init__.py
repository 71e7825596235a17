"""The database models, one module per concept; import them from here."""

from sas.models.ledger import Category, Direction, Entry, EntryKind, Fund, Source
from sas.models.people import Role, User
from sas.models.places import Jenjang, Region, RegionLevel, School, SchoolStatus
from sas.models.recipients import Recipient

__all__ = [
    "Category",
    "Direction",
    "Entry",
    "EntryKind",
    "Fund",
    "Jenjang",
    "Recipient",
    "Region",
    "RegionLevel",
    "Role",
    "School",
    "SchoolStatus",
    "Source",
    "User",
]
