"""Recording money on a phone, as a committee member holds it: 360x640, thumbs, slow network.

Each journey runs on the phone and the desktop viewport (the ``journey`` fixture); what is about
the phone's first screen (the fold, the bottom bar) is checked on the phone. Every page is
checked with axe and shown in English and back (``Journey.step``, ``switch_language``).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

FOLD = 640
MIN_TAP = 44  # px: the height of a primary control


def rupiah(text: str) -> int:
    match = re.search(r"(-?)Rp\s?([\d.]+)", text)
    assert match, f"no Rupiah amount in {text!r}"
    return int(match.group(2).replace(".", "")) * (-1 if match.group(1) else 1)


def balance(page) -> int:  # type: ignore[no-untyped-def]
    return rupiah(page.locator("#balance").inner_text())


def box(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def bar_top(page) -> float:  # type: ignore[no-untyped-def]
    """Where the fixed bar starts on a phone (the first screen ends there)."""
    return box(page, "nav.bar")["y"]


def small_controls(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Visible primary controls lower than MIN_TAP: buttons, button-like links, the bar's links,
    the menu and the form fields."""
    selector = ", ".join(
        (
            "main button",
            "main .button",
            "nav.bar a",
            "details.menu > summary",
            "main input:not([type=hidden]):not([type=radio]):not([type=checkbox])",
            "main select",
        )
    )
    return page.evaluate(
        """([selector, min]) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e, e.getBoundingClientRect().height])
            .filter(([e, height]) => height < min - 0.5)
            .map(([e, height]) => (e.id || e.textContent.trim()).slice(0, 40) + ' ' + height)""",
        [selector, MIN_TAP],
    )


def test_the_first_screen_holds_the_balance_and_the_two_actions(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, npsn = journey.page, server.world["a"]
    journey.login("komite_a")
    assert page.url.endswith(f"/sekolah/{npsn}/beranda")
    journey.step("dashboard")
    header = box(page, "header.top")
    assert header["height"] <= 56, header
    assert small_controls(page) == []
    if journey.viewport == "phone":
        fold = bar_top(page)
        assert box(page, "nav.bar")["y"] + box(page, "nav.bar")["height"] == pytest.approx(FOLD)
        for selector in ("#balance", "#record-in", "#record-out"):
            shown = box(page, selector)
            assert shown["y"] >= header["height"] and shown["y"] + shown["height"] <= fold, selector
        # the bar stays where it is while the page scrolls
        page.mouse.wheel(0, 800)
        page.wait_for_timeout(200)
        assert bar_top(page) == pytest.approx(fold)
    bar = page.locator("nav.bar").inner_text()
    for label in ("Dasbor", "Uang masuk", "Uang keluar", "Buku kas"):
        assert label in bar
    journey.switch_language("dashboard", "Dasbor", "Dashboard")
    journey.finish()


def test_a_fridays_class_collections_in_one_form(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("komite_a")
    before = balance(page)
    page.get_by_role("link", name="Uang masuk", exact=True).click()  # the bar
    journey.step("class-collections")
    journey.switch_language("class-collections", "Catat uang masuk", "Record money in")
    rows = page.locator("input[data-row]")
    assert rows.count() == 6  # 7A 7B 8A 8B 9A 9B, in school order
    rows.nth(0).fill("25rb")
    assert page.locator(f"#{rows.nth(0).get_attribute('id')}-words").inner_text() == (
        "Rp25.000 · dua puluh lima ribu rupiah"
    )
    rows.nth(2).fill("12.500")
    rows.nth(5).fill("Rp 30.000,-")
    assert page.locator(".batch-total").inner_text() == "Jumlah Rp67.500 dari 3 kelas"
    save = page.get_by_role("button", name="Simpan")
    if journey.viewport == "phone":  # the save bar is on screen wherever the rows are
        shown = save.bounding_box()
        assert shown and shown["y"] + shown["height"] <= bar_top(page)
    journey.step("class-collections-filled", axe=False)
    save.click()
    page.wait_for_load_state("load")
    lines = page.locator("#saved-lines li")
    assert lines.count() == 3
    assert "Iuran kelas 7A" in lines.nth(0).inner_text() and "BKM-" in lines.nth(0).inner_text()
    assert "Jumlah Rp67.500 dari 3 kelas" in page.locator("#saved-total").inner_text()
    assert balance(page) == before + 67_500
    journey.step("class-collections-saved")
    assert small_controls(page) == []
    page.locator("#again").click()  # "Catat lagi": the form again, with the same date
    page.wait_for_load_state("load")
    day = page.input_value("#occurred_on")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)
    assert page.locator("input[data-row]").first.input_value() == ""
    journey.finish()


def test_one_gift_form_follows_its_source(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("komite_a")
    before = balance(page)
    page.get_by_role("link", name="Uang masuk", exact=True).click()
    page.get_by_role("link", name="Satu sumbangan").click()
    journey.step("one-gift")
    journey.switch_language("one-gift", "Catat uang masuk", "Record money in")
    assert page.locator("#class_label").is_visible() and page.locator("#donor_name").is_hidden()
    page.get_by_text("Tanpa nama", exact=True).click()
    assert page.locator("#class_label").is_hidden() and page.locator("#donor_name").is_hidden()
    page.get_by_text("Perorangan", exact=True).click()
    assert page.locator("#donor_name").is_visible() and page.locator("#class_label").is_hidden()
    page.locator(".quick button", has_text="20.000").click()  # a quick amount
    assert page.input_value("#amount") == "20.000"
    assert page.locator("#amount-words").inner_text() == "Rp20.000 · dua puluh ribu rupiah"
    page.fill("#donor_name", "Bu Ratna")
    page.get_by_text("Tanpa nama", exact=True).click()  # a typed name is never hidden unseen
    assert page.locator("#donor_name").is_visible() and page.locator("#donor_name").is_enabled()
    page.get_by_text("Perorangan", exact=True).click()
    assert small_controls(page) == []
    page.get_by_role("button", name="Simpan").click()
    assert "Sumbangan dari Bu Ratna" in page.locator("#saved-lines").inner_text()
    assert balance(page) == before + 20_000
    journey.step("one-gift-saved", axe=False)  # the same page as the class collections'
    page.locator("#again").click()  # keeps the source: a person again
    page.wait_for_load_state("load")
    assert page.locator("#source-1").is_checked() and page.locator("#donor_name").is_visible()

    # the same in English: the confirmation answers the POST, so it is seen in English by
    # choosing English first (its language switch then leads to the dashboard)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    page.fill("#amount", "5k")
    page.fill("#donor_name", "Bu Ratna")
    page.get_by_role("button", name="Save").click()
    assert "Saved" in journey.heading() and "Record another" in page.locator("#again").inner_text()
    journey.step("one-gift-saved-en", axe=journey.viewport == "phone")
    page.get_by_role("button", name="Bahasa Indonesia").click()
    page.wait_for_load_state("load")
    assert balance(page) == before + 25_000
    journey.finish()


def test_a_disbursement_chooses_nothing_and_shows_the_balance_after(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("komite_a")
    before = balance(page)
    page.get_by_role("link", name="Catat uang keluar").click()
    journey.step("money-out")
    journey.switch_language("money-out", "Catat uang keluar", "Record money out")
    assert page.input_value("#recipient_id") == "" and page.input_value("#category") == ""
    page.fill("#recipient_id-search", "agus")  # part of a name: one child is left, and chosen
    chosen = page.locator("#recipient_id option:checked").inner_text()
    assert chosen.startswith("Agus Salim")
    page.select_option("#category", "sepatu")
    page.fill("#amount", "15rb")
    after = page.locator("[data-balance-after]")
    assert after.inner_text() == f"Saldo sesudah ini: Rp{before - 15_000:,}".replace(",", ".")
    page.fill("#amount", "9 juta")
    assert after.inner_text().startswith("Saldo tidak cukup")
    page.fill("#amount", "15rb")
    assert small_controls(page) == []
    journey.step("money-out-filled", axe=False)
    page.get_by_role("button", name="Simpan").click()
    assert "Sepatu untuk Agus Salim" in page.locator("#saved-lines").inner_text()
    assert balance(page) == before - 15_000
    journey.finish()


def test_a_refused_form_says_what_to_mend_and_focuses_it(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("komite_a")
    page.get_by_role("link", name="Uang masuk", exact=True).click()
    page.get_by_role("link", name="Satu sumbangan").click()
    page.fill("#amount", "25,5")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    assert "Belum tersimpan" in summary.inner_text() and "Jumlah" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "amount"
    assert page.input_value("#amount") == "25,5"  # what was typed is kept
    journey.step("one-gift-refused")  # a POST's answer: its English is in test_i18n

    # a void without a reason: the form opens again with its field focused and on screen
    page.get_by_role("link", name="Dasbor", exact=True).click()
    page.locator("#recent li:not(.voided) a").first.click()  # one that can be voided
    page.wait_for_load_state("load")
    assert page.locator("#fix").get_attribute("open") is None  # closed: never the main control
    assert page.locator("#reason").is_hidden()
    page.get_by_text("Ada yang salah?").click()
    page.get_by_role("button", name="Batalkan catatan ini").click()
    page.wait_for_load_state("load")
    assert page.locator("#fix").get_attribute("open") is not None
    assert page.evaluate("document.activeElement.id") == "reason"
    reason = box(page, "#reason")
    viewport = page.viewport_size
    assert reason["y"] >= 0 and reason["y"] + reason["height"] <= viewport["height"]
    assert "Alasan koreksi wajib diisi." in page.locator(".error-summary").inner_text()
    journey.step("void-refused")
    journey.finish()


@pytest.fixture
def no_script(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, java_script_enabled=False, locale="id-ID"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_every_recording_works_without_script(no_script, server) -> None:  # type: ignore[no-untyped-def]
    page, base = no_script, server.url
    page.goto(f"{base}/masuk")
    page.fill("#username", "komite_a")
    page.fill("#password", "correct horse battery")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state("load")
    before = balance(page)

    page.goto(f"{base}/sekolah/{server.world['a']}/sumbangan/kelas")
    page.locator("input[data-row]").nth(1).fill("10.000")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert balance(page) == before + 10_000

    page.goto(f"{base}/sekolah/{server.world['a']}/sumbangan/baru")
    assert page.locator(".quick").is_hidden()  # the quick amounts need the script
    page.fill("#amount", "5rb")
    page.check("#source-2")  # anonymous, with a name typed anyway: refused, not dropped
    page.fill("#donor_name", "Pak Budi")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert "tidak menyimpan nama" in page.locator(".error-summary").inner_text()
    assert page.evaluate("document.activeElement.id") == "donor_name"  # autofocus, no script
    page.fill("#donor_name", "")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert "Sumbangan tanpa nama" in page.locator("#saved-lines").inner_text()
    assert balance(page) == before + 15_000

    page.goto(f"{base}/sekolah/{server.world['a']}/penyaluran/baru")
    agus = page.locator("#recipient_id option", has_text="Agus Salim").get_attribute("value")
    page.select_option("#recipient_id", agus)
    page.select_option("#category", "tas")
    page.fill("#amount", "5.000")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert balance(page) == before + 10_000

    # the header's menu is a <details>: it opens without script
    page.locator("details.menu > summary").click()
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/masuk")


def test_what_was_typed_survives_leaving_the_form(journey, server) -> None:  # type: ignore[no-untyped-def]
    """The other tab, the language switch or a lost connection: the amounts come back, with the
    same one-time key, until the form is saved; a second send after a lost answer records once."""
    page = journey.page
    journey.login("komite_a")
    before = balance(page)
    page.get_by_role("link", name="Uang masuk", exact=True).click()
    page.wait_for_load_state("load")
    key = page.input_value("input[name=form_key]")
    rows = page.locator("input[data-row]")
    rows.nth(0).fill("11rb")
    rows.nth(3).fill("4.000")
    page.get_by_role("link", name="Satu sumbangan").click()  # away, by mistake
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Setoran kelas").click()
    page.wait_for_load_state("load")
    rows = page.locator("input[data-row]")
    assert (rows.nth(0).input_value(), rows.nth(3).input_value()) == ("11rb", "4.000")
    assert page.input_value("input[name=form_key]") == key
    assert page.locator("[data-restored]").is_visible()
    assert page.locator(".batch-total").inner_text() == "Jumlah Rp15.000 dari 2 kelas"
    journey.step("draft-restored")
    # the first send arrives but its answer is lost: the form is sent again from the draft
    answer = page.request.post(
        page.url,
        form={
            "csrf_token": journey.csrf_token(),
            "form_key": key,
            "occurred_on": page.input_value("#occurred_on"),
            rows.nth(0).get_attribute("name"): "11rb",
            rows.nth(3).get_attribute("name"): "4.000",
        },
    )
    assert answer.status == 200
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert "Sudah tersimpan sebelumnya" in journey.heading()
    assert balance(page) == before + 15_000  # recorded once
    page.locator("#again").click()
    page.wait_for_load_state("load")
    assert page.locator("input[data-row]").first.input_value() == ""  # the draft is gone
    assert page.input_value("input[name=form_key]") != key
    journey.finish()


def test_after_a_void_the_right_one_is_one_tap_away(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("komite_a")
    page.get_by_role("link", name="Uang masuk", exact=True).click()
    page.locator("input[data-row]").nth(1).fill("9.000")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    page.locator("#saved-lines a").first.click()
    page.get_by_text("Ada yang salah?").click()
    page.fill("#reason", "Salah kelas")
    page.get_by_role("button", name="Batalkan catatan ini").click()
    page.wait_for_load_state("load")
    page.locator("#redo").click()  # "Catat ulang yang benar": the class collections again
    page.wait_for_load_state("load")
    assert page.locator("input[data-row]").count() == 6
    journey.finish()
