"""Pages as a reader sees them: the tables, figures and texts on a page, and the URLs a reader
types or scans, written out by hand rather than built by the app (they are part of the design
under test)."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from html.parser import HTMLParser

from sas.dates import school_year_start
from sas.models import Entry


class TableReader(HTMLParser):
    """Every table of a page, by its id (or ``tableN``), as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = TableReader()
    parser.feed(html)
    return parser.tables


def row(html: str, table: str, first_cell: str) -> list[str]:
    rows = [r for r in tables(html)[table] if r and r[0] == first_cell]
    assert len(rows) == 1, (first_cell, tables(html)[table])
    return rows[0]


def stat(html: str, name: str) -> str:
    match = re.search(rf'id="{name}">([^<]*)<', html)
    assert match, name
    return unescape(match.group(1))


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no #{element_id}"
    return " ".join(match.group(1).split())


def query(**params: str) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


def year_slug(day: date) -> str:
    start = school_year_start(day)
    return f"{start}-{start + 1}"


def verify_path(entry: Entry, **changes: str) -> str:
    """The verification URL of an entry, written out by hand (the design under test)."""
    number = changes.pop("number", f"{entry.receipt_no:04d}")
    year = changes.pop("year", year_slug(entry.occurred_on))
    args = {
        "a": str(entry.amount),
        "d": entry.occurred_on.isoformat(),
        "h": entry.hash[:16],
    } | changes
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/kuitansi/{entry.school.npsn}/{year}/{number}?{query}"
