"""The kuitansi and the monthly report on a phone: they fit 360 px, print on A4 from a button,
and "Bagikan" shares a public link (the kuitansi's check, the school's public page) and never a
name: through the phone's share sheet where the browser has one, else through WhatsApp's link.

Headless Chromium has no ``navigator.share``: the WhatsApp link is followed (and answered here,
not by wa.me); a stub stands in for the share sheet. The two pages have no language switch of
their own: English is chosen on the dashboard and checked on them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from sas.dates import today_wib
from sas.extensions import db
from sas.models import Entry, EntryKind, School
from tests.browser.journeys import SCREENSHOTS

pytestmark = pytest.mark.browser

RECORD_SHARE = """navigator.share = (data) => {
  window.sharedData = data;
  return Promise.resolve();
};"""


def aid_kuitansi(server) -> str:  # type: ignore[no-untyped-def]
    """The kuitansi of this school year's aid of school A: it names the recipient."""
    with server.app.app_context():
        school = db.session.scalar(select(School).where(School.npsn == server.world["a"]))
        entry = db.session.scalar(
            select(Entry)
            .where(Entry.school_id == school.id, Entry.kind == EntryKind.DISBURSEMENT)
            .order_by(Entry.occurred_on.desc())
        )
        return f"/sekolah/{school.npsn}/catatan/{entry.id}/kuitansi"


def fits_and_offers(journey) -> None:  # type: ignore[no-untyped-def]
    """No sideways scroll; the print button shown (app.js ran); Bagikan a thumb high."""
    page = journey.page
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("button[data-print]").is_visible()
    share = page.locator("#share")
    assert share.is_visible()
    assert share.bounding_box()["height"] >= 44


def whatsapp_text(journey) -> str:  # type: ignore[no-untyped-def]
    """Tap Bagikan without the Web Share API: the WhatsApp link opens (answered here)."""
    page = journey.page
    page.context.route(
        "https://wa.me/**",
        lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>wa"),
    )
    with page.expect_popup() as opened:
        page.locator("#share").click()
    popup = opened.value
    popup.wait_for_load_state()
    url = popup.url
    popup.close()
    assert url.startswith("https://wa.me/?text=")
    return parse_qs(urlsplit(url).query)["text"][0]


def share_sheet_gets(journey) -> dict:  # type: ignore[no-untyped-def]
    """With the Web Share API (a stub): what Bagikan hands it; the page stays where it is."""
    page = journey.page
    page.add_init_script(RECORD_SHARE)
    page.reload()
    here, pages = page.url, len(page.context.pages)
    page.locator("#share").click()
    page.wait_for_function("window.sharedData !== undefined")
    assert page.url == here and len(page.context.pages) == pages
    return page.evaluate("window.sharedData")


def pdf_pages(journey, label: str) -> int:  # type: ignore[no-untyped-def]
    """Print to A4 (kept beside the screenshots) and count the pages."""
    pdf = journey.page.pdf(format="A4")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{journey.name}-{label}.pdf").write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def in_english(journey, npsn: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Choose English on the dashboard (the document pages have no switch) and open ``path``."""
    journey.goto(f"/sekolah/{npsn}/beranda")
    journey.page.get_by_role("button", name="English").click()
    journey.page.wait_for_load_state("load")
    journey.goto(path)
    assert journey.page.locator("html").get_attribute("lang") == "en"


def back_to_indonesian(journey, npsn: str) -> None:  # type: ignore[no-untyped-def]
    journey.goto(f"/sekolah/{npsn}/beranda")
    journey.page.get_by_role("button", name="Bahasa Indonesia").click()
    journey.page.wait_for_load_state("load")
    assert journey.page.locator("html").get_attribute("lang") == "id"


def test_kuitansi_on_a_phone(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, world = journey.page, server.world
    path = aid_kuitansi(server)
    private = [world["recipient"], "Seragam", world["void_reason"]]
    journey.login("komite_a")
    journey.goto(path)
    journey.step("kuitansi")
    assert "Ctrl+P" not in page.content()
    assert world["recipient"] in page.locator("#receiver").inner_text()  # the paper names ...
    fits_and_offers(journey)
    number = page.locator("#receipt-number").inner_text()
    check = page.locator("#verify-url").inner_text()  # what the QR code holds
    assert check.startswith(f"{server.url}/kuitansi/{world['a']}/")
    assert page.locator("#share").get_attribute("data-url") == check

    text = whatsapp_text(journey)
    assert text.endswith(f" {check}") and number in text and world["a_name"] in text
    for words in private:
        assert words not in text, words  # ... the share never
    if journey.viewport == "desktop":
        assert pdf_pages(journey, "kuitansi") == 1

    shared = share_sheet_gets(journey)
    assert shared["url"] == check and number in shared["title"] and number in shared["text"]
    assert not any(words in value for value in shared.values() for words in private)

    page.goto(check)  # what the group sees: the check, no name
    assert "Kuitansi sah" in page.locator("#verdict").inner_text()
    assert not any(words in page.content() for words in private)

    in_english(journey, world["a"], path)
    journey.step("kuitansi-en", axe=journey.viewport == "phone")
    assert page.locator("#share").inner_text() == "Share"
    assert page.locator("button[data-print]").inner_text() == "Print / save as PDF"
    assert page.locator("#share").get_attribute("data-text").startswith(f"Receipt {number}")
    fits_and_offers(journey)
    back_to_indonesian(journey, world["a"])
    journey.finish()


def test_monthly_report_on_a_phone(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, world = journey.page, server.world
    path = f"/sekolah/{world['a']}/bulan/{today_wib():%Y-%m}"
    public = f"{server.url}/sekolah/{world['a']}"
    journey.login("komite_a")
    journey.goto(path)
    journey.step("report")
    assert "Ctrl+P" not in page.content()
    fits_and_offers(journey)
    assert page.locator("#share").get_attribute("data-url") == public

    text = whatsapp_text(journey)
    assert text.endswith(f" {public}") and world["a_name"] in text
    assert world["recipient"] not in text
    if journey.viewport == "desktop":
        assert pdf_pages(journey, "report") in (1, 2)

    shared = share_sheet_gets(journey)
    assert shared["url"] == public and world["a_name"] in shared["text"]

    page.goto(public)  # what the group sees: totals, no name
    assert page.locator("h1").inner_text() == world["a_name"]
    assert world["recipient"] not in page.content()

    in_english(journey, world["a"], path)
    journey.step("report-en", axe=journey.viewport == "phone")
    assert page.locator("#share").inner_text() == "Share the public page"
    assert "Monthly Report" in journey.heading()
    fits_and_offers(journey)
    back_to_indonesian(journey, world["a"])
    journey.finish()
