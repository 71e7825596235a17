"""The one kind of refusal: a rule said no to what a user asked.

Every feature's refusals derive from ``Refused``; a view shows one on its form with
``sas.forms.show_refusal`` (next to ``field`` when the form has it, at the top otherwise).
"""

from __future__ import annotations


class Refused(Exception):
    """A rule refused the action; ``str(error)`` is the message, already in the user's
    language, and ``field`` the form field it is about (None: the form as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
