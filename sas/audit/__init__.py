"""The audit log: ``record`` an action; admins and a school's teacher read it."""

from sas.audit.services import record

__all__ = ["record"]
