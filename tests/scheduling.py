"""How pytest-xdist shares the suite among its workers: the browser journeys (tests/browser) go
to one worker as one unit, in their order, since they share one server and one browser and a
later journey may find what an earlier one left; every other test goes wherever a worker is free.

xdist's ``--dist loadgroup`` with an ``xdist_group`` mark would do the same, but under pytest 9.2
its groups silently never reach the scheduler (pytest-dev/pytest-xdist#1386), so this groups by
path, on the controlling process.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

BROWSER_TESTS = "tests/browser/"


class BrowserTogether(LoadScopeScheduling):
    """xdist's scope scheduling, with one scope for the browser tests and one per other test."""

    def _split_scope(self, nodeid: str) -> str:
        return BROWSER_TESTS if nodeid.startswith(BROWSER_TESTS) else nodeid
