"""A second committee member's approval of large disbursements (and what transfers share of it)."""
