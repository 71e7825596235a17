"""The database models, one module per concept; import them from here."""

from sas.models.approvals import PendingDisbursement, PendingStatus
from sas.models.audit import AuditEvent
from sas.models.checkpoints import Checkpoint
from sas.models.classes import SchoolClass
from sas.models.closing import MonthClosing
from sas.models.evidence import Attachment
from sas.models.handovers import CommitteeHandover
from sas.models.ledger import Category, Direction, Entry, EntryKind, Fund, Source
from sas.models.people import Role, User
from sas.models.places import Jenjang, Region, RegionLevel, School, SchoolStatus
from sas.models.recipients import Recipient
from sas.models.tokens import ApiToken
from sas.models.totals import (
    CategoryTotal,
    MonthTotal,
    RecipientMonth,
    YearCategoryTotal,
    YearTotal,
)
from sas.models.transfers import HelpRequest, PendingTransfer, RequestStatus, Transfer

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Category",
    "CategoryTotal",
    "Checkpoint",
    "CommitteeHandover",
    "Direction",
    "Entry",
    "EntryKind",
    "Fund",
    "HelpRequest",
    "Jenjang",
    "MonthClosing",
    "MonthTotal",
    "PendingDisbursement",
    "PendingStatus",
    "PendingTransfer",
    "Recipient",
    "RecipientMonth",
    "Region",
    "RegionLevel",
    "RequestStatus",
    "Role",
    "School",
    "SchoolClass",
    "SchoolStatus",
    "Source",
    "Transfer",
    "User",
    "YearCategoryTotal",
    "YearTotal",
]
