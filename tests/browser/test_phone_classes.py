"""The class list on a phone: the committee keeps it, the class-collection form follows it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [label.strip() for label in page.locator(".rows label").all_inner_texts()]


def test_the_committee_keeps_the_class_list(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, npsn = journey.page, server.world["b"]
    journey.login("komite_b")
    journey.menu("Daftar kelas")
    assert page.url.endswith(f"/sekolah/{npsn}/kelas")
    journey.step("classes")
    journey.switch_language("classes", "Daftar kelas", "Class list")
    # the two viewports share one server: each keeps its own classes
    added, typed, loose, renamed = (
        ("3A", "2  b", "2B", "2 BAHARI")
        if journey.viewport == "phone"
        else ("4A", "5 c", "5C", "5 CEMARA")
    )
    page.fill("#labels", f"{added.lower()}, {typed}")  # tidied: "2  b" is "2B"
    page.get_by_role("button", name="Tambah", exact=True).click()
    page.wait_for_load_state("load")
    listed = page.locator("#classes").inner_text()
    assert added in listed and loose in listed
    journey.step("classes-added", axe=False)  # the same page as above

    item = page.locator("#classes li", has_text=loose)
    item.get_by_text("Ganti nama").click()
    item.locator("input[name$=label]").fill(renamed.title())
    item.get_by_role("button", name="Simpan nama").click()
    page.wait_for_load_state("load")
    assert f"Kelas {loose} sekarang {renamed}." in page.locator(".flash").inner_text()
    page.locator("#classes li", has_text=renamed).get_by_role("button").last.click()  # retire
    page.wait_for_load_state("load")
    assert renamed in page.locator("#retired").inner_text()

    page.get_by_role("link", name="Uang masuk", exact=True).click()  # the bar
    page.wait_for_load_state("load")
    shown = rows(page)
    assert added in shown and renamed not in shown and shown[0] == "1A"

    journey.goto(f"/sekolah/{npsn}/kelas")
    page.locator("#retired li", has_text=renamed).get_by_role("button").click()  # back again
    page.wait_for_load_state("load")
    assert renamed in page.locator("#classes").inner_text()
    journey.finish()


def test_the_teacher_reads_the_list(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("guru_a")
    journey.menu("Daftar kelas")
    journey.step("classes-teacher")
    listed = page.locator("#classes").inner_text()
    assert "7A" in listed and "9B" in listed
    assert page.locator("main form[method=post]").count() == 0
    assert page.locator("#labels").count() == 0
    journey.finish()
