"""The ledger kernel: the one core that every feature records and reads money through.

Its public interface is what this module exports; features use ``from sas import ledger``
and call ``ledger.lock_fund(school)``, ``ledger.append(...)``. The kernel imports no
feature package (``sas.entries``, ``sas.approvals``, ``sas.transfers``, the pages...):

- ``rules``: ``LedgerError`` and the checks (amount, date, source, recipient, closed month,
  form key, a child's name in text that leaves the school);
- ``book``: the fund lock, ``append``, ``append_all`` and ``append_reversal`` (the only
  writers), balances and totals;
- ``chain``: the hash chain and its verification; ``totals``: the report totals kept in the
  same transaction as each entry; ``labels``: the names of kinds, sources and categories.
"""

from sas.ledger.book import (
    SIGNED_AMOUNT,
    Totals,
    append,
    append_all,
    append_reversal,
    available_on,
    balance,
    balance_from_entries,
    ensure_fund,
    lock_fund,
    lowest_running_balance,
    month_totals,
    refuse_overdraft,
    release,
    reserve,
    reserved,
    reserved_from_pending,
    spendable_on,
    totals_of,
    year_totals,
)
from sas.ledger.rules import (
    DuplicateSubmission,
    InsufficientBalance,
    LedgerError,
    check_amount,
    check_disbursement,
    check_entry_date,
    check_form_key,
    check_recipient,
    check_source,
    refuse_child_name,
    refuse_closed_month,
    refuse_reused_key,
)

__all__ = [
    "SIGNED_AMOUNT",
    "DuplicateSubmission",
    "InsufficientBalance",
    "LedgerError",
    "Totals",
    "append",
    "append_all",
    "append_reversal",
    "available_on",
    "balance",
    "balance_from_entries",
    "check_amount",
    "check_disbursement",
    "check_entry_date",
    "check_form_key",
    "check_recipient",
    "check_source",
    "ensure_fund",
    "lock_fund",
    "lowest_running_balance",
    "month_totals",
    "refuse_child_name",
    "refuse_closed_month",
    "refuse_overdraft",
    "refuse_reused_key",
    "release",
    "reserve",
    "reserved",
    "reserved_from_pending",
    "spendable_on",
    "totals_of",
    "year_totals",
]
