"""static/rupiah.js mirrors the server: the same amounts parsed, formatted and said in words.

Every row of the parser's tables in tests/test_money.py goes through both; a row the Python parser
refuses must give null in the browser, so the words shown next to a field never promise an amount
the server will refuse.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from sas.money import format_rupiah
from sas.receipts.words import terbilang
from tests.amounts import ACCEPTED, LIMITED, MAX, REJECTED

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "rupiah.js"
AMOUNTS = [1, 11, 100, 1_000, 1_500, 25_000, 100_000, 1_000_000, 12_800_000, 100_000_000]
AMOUNTS += [10, 12, 19, 20, 99, 101, 111, 1_001, 1_011, 11_000, 111_111, 1_000_001]
AMOUNTS += [1_000_000_000, 27_710_000_000, 999_999_999_999]
AMOUNTS += random.Random(14).sample(range(1, 1_000_000_000_000), 300)


@pytest.fixture(scope="module")
def page(browser) -> Iterator:  # type: ignore[no-untyped-def,type-arg]
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<html></html>")
    page.add_script_tag(path=str(SCRIPT))
    yield page
    context.close()


def parse_all(page, rows: list[tuple[str, int]]) -> list[int | None]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "rows => rows.map(([text, maximum]) => SASRupiah.parse(text, maximum))", rows
    )


def test_the_script_exposes_exactly_three_functions(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("Object.keys(window.SASRupiah).sort()") == ["format", "parse", "words"]


def test_parses_what_the_server_accepts(page) -> None:  # type: ignore[no-untyped-def]
    got = parse_all(page, [(text, MAX) for text, _ in ACCEPTED])
    assert dict(zip((t for t, _ in ACCEPTED), got, strict=True)) == dict(ACCEPTED)


def test_refuses_what_the_server_refuses(page) -> None:  # type: ignore[no-untyped-def]
    got = parse_all(page, [(text, MAX) for text, _ in REJECTED])
    accepted = {text: value for (text, _), value in zip(REJECTED, got, strict=True) if value}
    assert accepted == {}


def test_holds_the_same_limit(page) -> None:  # type: ignore[no-untyped-def]
    got = parse_all(page, [(text, maximum) for text, maximum, _ in LIMITED])
    assert got == [expected for _, _, expected in LIMITED]


def test_refuses_what_is_not_text(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[null, undefined, 25000].map(t => SASRupiah.parse(t, 1e8))") == [
        None,
        None,
        None,
    ]


def test_words_and_figures_match_the_receipt(page) -> None:  # type: ignore[no-untyped-def]
    got = page.evaluate(
        "amounts => amounts.map(n => [SASRupiah.words(n), SASRupiah.format(n)])", AMOUNTS
    )
    expected = [[terbilang(n), format_rupiah(n)] for n in AMOUNTS]
    wrong = [(n, g, e) for n, g, e in zip(AMOUNTS, got, expected, strict=True) if g != e]
    assert wrong == []
    assert got[AMOUNTS.index(25_000)] == ["dua puluh lima ribu rupiah", "Rp25.000"]


def test_words_refuse_what_terbilang_refuses(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("[0, -5, 1.5, 1e12, '25000'].map(n => SASRupiah.words(n))") == [None] * 5
    assert page.evaluate("[0, -5000].map(n => SASRupiah.format(n))") == ["Rp0", "-Rp5.000"]


def test_loads_with_defer_under_the_apps_csp(browser) -> None:  # type: ignore[no-untyped-def]
    """No eval and no inline code: the script works where the CSP allows only 'self'."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text))
    html = '<!doctype html><html lang="id"><script defer src="/static/rupiah.js"></script></html>'
    csp = {"Content-Security-Policy": "default-src 'self'; base-uri 'none'"}
    page.route(
        "http://sas.test/",
        lambda route: route.fulfill(body=html, headers=csp, content_type="text/html"),
    )
    page.route("http://sas.test/static/rupiah.js", lambda route: route.fulfill(path=SCRIPT))
    page.goto("http://sas.test/")
    assert page.evaluate("SASRupiah.words(SASRupiah.parse('Rp 1,5 jt', 1e8))") == (
        "satu juta lima ratus ribu rupiah"
    )
    assert errors == []
    context.close()
