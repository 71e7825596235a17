"""Tutup buku is a button: its form carries nothing but the CSRF token."""

from sas.forms import BaseForm


class CloseMonthForm(BaseForm):
    """Posted by the "Tutup buku" button of one month; the month is in the URL."""
