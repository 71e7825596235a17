"""What each role does in a real browser, on a phone and on a desktop viewport.

Every page of a journey is also shown in English and back (``switch_language``), checked with
axe-core and weighed (``Journey.step``, see journeys.py); ``journey.finish()`` fails the test on
any serious or critical accessibility violation or any page over 100 KB.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser

# Write routes of a school: no form of the teacher's pages may post to one of these.
WRITE_ROUTE = re.compile(
    r"/(sumbangan|penyaluran|penerima)/(baru|kelas)|/kelas|/batalkan|/tutup|/bukti"
)


def rupiah(text: str) -> int:
    """``Rp125.000`` (as a page shows it) -> 125000."""
    match = re.search(r"(-?)Rp\s?([\d.]+)", text)
    assert match, f"no Rupiah amount in {text!r}"
    return int(match.group(2).replace(".", "")) * (-1 if match.group(1) else 1)


def record_controls(page) -> int:  # type: ignore[no-untyped-def]
    """Links and buttons that record something ("Catat uang masuk", the bar's "Uang masuk"...;
    not "Catatan")."""
    return (
        page.locator("a, button")
        .filter(has_text=re.compile(r"\bCatat\b|^\W*Uang (masuk|keluar)$"))
        .count()
    )


def balance(journey) -> int:  # type: ignore[no-untyped-def]
    return rupiah(journey.page.locator("#balance").inner_text())


def test_committee_records_and_voids(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, npsn = journey.page, server.world["a"]
    journey.goto("/masuk")
    journey.step("login")
    journey.switch_language("login", "Masuk", "Log in")

    journey.login("komite_a")
    assert page.url.endswith(f"/sekolah/{npsn}/beranda")
    journey.step("dashboard")
    journey.switch_language("dashboard", "Dasbor", "Dashboard")
    before = balance(journey)

    page.get_by_role("link", name="Catat uang masuk").click()
    journey.step("class-collections-form")
    journey.switch_language("class-collections-form", "Catat uang masuk", "Record money in")
    page.get_by_role("link", name="Satu sumbangan").click()
    journey.step("contribution-form")
    journey.switch_language("contribution-form", "Catat uang masuk", "Record money in")
    page.fill("#amount", "Rp 25.000")
    page.select_option("#class_label", "7B")
    page.get_by_role("button", name="Simpan").click()
    assert "+Rp25.000" in page.locator("#saved-lines").inner_text()
    assert balance(journey) == before + 25_000  # the confirmation shows the new balance
    journey.step("contribution-saved")  # a POST's answer: in English in test_phone_recording

    page.get_by_role("link", name="Uang keluar", exact=True).click()  # the bar
    journey.step("disbursement-form")
    journey.switch_language("disbursement-form", "Catat uang keluar", "Record money out")
    page.fill("#amount", "Rp 20.000")
    option = page.locator("#recipient_id option", has_text=server.world["recipient"])
    page.select_option("#recipient_id", option.get_attribute("value"))
    page.select_option("#category", "alat_tulis")
    page.check("#in_kind")
    page.fill("#description", "Buku tulis dan pena")
    page.get_by_role("button", name="Simpan").click()
    assert "−Rp20.000" in page.locator("#saved-lines").inner_text()
    assert balance(journey) == before + 5_000
    journey.step("disbursement-saved")
    page.locator("#saved-lines a").first.click()
    disbursement_url = page.url

    page.get_by_role("link", name="Dasbor", exact=True).click()  # the bar
    assert balance(journey) == before + 5_000
    journey.step("dashboard-after-disbursement", axe=False)  # the page checked above

    page.goto(disbursement_url)
    page.get_by_text("Ada yang salah?").click()
    page.fill("#reason", "Salah catat: bukunya dari sumbangan guru")
    page.get_by_role("button", name="Batalkan catatan ini").click()
    assert "Salah catat" in page.locator("dl.details").inner_text()
    journey.step("void-saved")
    journey.switch_language("void-saved", "Koreksi", "Correction")

    page.get_by_role("link", name="Dasbor", exact=True).click()
    assert balance(journey) == before + 25_000
    journey.step("dashboard-after-void", axe=False)  # the page checked above
    journey.finish()


def test_teacher_sees_and_cannot_change(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, npsn = journey.page, server.world["a"]
    journey.login("guru_a")
    assert page.url.endswith(f"/sekolah/{npsn}/beranda")
    journey.step("dashboard")
    journey.switch_language("dashboard", "Dasbor", "Dashboard")
    assert record_controls(page) == 0

    page.get_by_role("link", name="Buku kas", exact=True).click()  # the bar
    journey.step("cash-book")
    journey.switch_language("cash-book", "Buku Kas Umum", "Cash book")
    book = page.locator("main").inner_text()
    assert "Sepatu dikembalikan ke toko" in book or "Koreksi" in book
    for form in page.locator("form").all():
        action = form.get_attribute("action") or ""
        method = (form.get_attribute("method") or "get").lower()
        assert method == "get" or action.endswith(("/keluar", "/bahasa")), action
        assert not WRITE_ROUTE.search(action), action

    page.locator(".voided", has_text=server.world["void_reason"]).locator("a").first.click()
    journey.step("voided-entry")
    kind = " ".join(journey.heading().split()[:-1])  # "Uang keluar BKK-0004" -> "Uang keluar"
    english = {"Uang keluar": "Money out", "Koreksi": "Correction", "Uang masuk": "Money in"}
    journey.switch_language("voided-entry", kind, english[kind])
    details = page.locator("main").inner_text()
    assert server.world["void_reason"] in details
    assert record_controls(page) == 0
    assert page.get_by_role("button", name="Batalkan catatan ini").count() == 0
    assert page.locator("#reason").count() == 0
    assert page.locator("form[method=post]").count() == 2  # logout and the language switch

    # A crafted POST from this session, with a valid CSRF token, is refused by role.
    entry_path = page.url.removeprefix(server.url)
    token = journey.csrf_token()
    answer = page.request.post(
        f"{server.url}{entry_path}/batalkan",
        form={"csrf_token": token, "reason": "guru mencoba", "form_key": "x" * 32},
        max_redirects=0,
    )
    assert answer.status == 403
    answer = page.request.post(
        f"{server.url}/sekolah/{npsn}/sumbangan/baru",
        form={"csrf_token": token, "amount": "5000", "occurred_on": "2025-01-02"},
        max_redirects=0,
    )
    assert answer.status == 403
    journey.finish()


def test_district_reads_and_downloads(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("dinas")
    assert page.url.endswith("/beranda")
    journey.step("home")
    page.get_by_role("main").get_by_role("link", name="Laporan kabupaten").click()
    journey.step("district")
    journey.switch_language("district", "Kabupaten Banyuwangi", "Banyuwangi district")
    collected = rupiah(page.locator("#collected").inner_text())
    assert collected > 0

    # Last school year: the seeded 400.000 in and 150.000 out, nothing of this year.
    year = server.world["last_year"]
    label = f"{year.year}/{year.year + 1}" if year.month >= 7 else f"{year.year - 1}/{year.year}"
    page.select_option("select[name=school_year]", label)
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_load_state("load")
    shown = (
        rupiah(page.locator("#collected").inner_text()),
        rupiah(page.locator("#disbursed").inner_text()),
    )
    assert shown == (400_000, 150_000)
    journey.step("district-last-year", axe=False)  # the page checked above

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Excel")).click()
    xlsx = io.BytesIO(info.value.path().read_bytes())  # openpyxl wants a .xlsx name or a file
    sheet = list(load_workbook(xlsx, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = next(r for r in sheet if "Uang masuk (Rp)" in r)
    total = next(r for r in sheet if "Jumlah" in r)
    money_in, money_out = header.index("Uang masuk (Rp)"), header.index("Uang keluar (Rp)")
    assert (total[money_in], total[money_out]) == shown

    with page.expect_download() as info:
        page.get_by_role("link", name="per kecamatan").click()
    text = info.value.path().read_text(encoding="utf-8-sig")
    header, *body = list(csv.reader(io.StringIO(text)))
    money_in, money_out = header.index("Uang masuk (Rp)"), header.index("Uang keluar (Rp)")
    kecamatan = [r for r in body if r and "Jumlah" not in r]
    assert len(kecamatan) == 2
    assert sum(int(r[money_in]) for r in kecamatan) == shown[0]
    assert sum(int(r[money_out]) for r in kecamatan) == shown[1]
    journey.responses.clear()  # the downloads are no page

    page.get_by_role("link", name="Banyuwangi", exact=True).first.click()
    journey.step("kecamatan")
    journey.switch_language("kecamatan", "Kecamatan Banyuwangi", "Banyuwangi sub-district")
    assert rupiah(page.locator("#collected").inner_text()) == 400_000

    page.get_by_role("link", name=server.world["a_name"]).click()
    journey.step("school-summary")
    journey.switch_language("school-summary", "Ringkasan", "Summary")
    assert rupiah(page.locator("#collected").inner_text()) == 400_000
    assert server.world["recipient"] not in page.content()  # aggregates only above the school
    journey.finish()


def test_admin_creates_committee_member(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    username = f"bendahara_{journey.viewport}"
    journey.login("admin")
    journey.goto("/admin/pengguna/baru")
    journey.step("new-user")
    journey.switch_language("new-user", "Buat akun", "Create account")
    page.fill("#username", username)
    page.fill("#display_name", "Bendahara Baru")
    page.check("input[name=role][value=committee]")
    page.fill("#npsn", server.world["a"])
    page.get_by_role("button", name="Buat akun").click()
    assert "Akun dibuat" in journey.heading()
    journey.step("one-time-password")  # shown once: no language switch (it would lose it)
    password = page.locator("#one-time-password").inner_text().strip()
    assert len(password) >= 10

    journey.logout()
    journey.login(username, password)
    assert page.url.endswith("/akun/sandi-baru")
    journey.step("set-password")
    journey.switch_language("set-password", "Pilih kata sandi Anda", "Choose your password")
    page.goto(
        f"{server.url}/sekolah/{server.world['a']}/beranda"
    )  # every other page sends back here
    assert page.url.endswith("/akun/sandi-baru")
    own = "Kapal layar biru 2025 berlabuh"
    page.fill("#new_password", own)
    page.fill("#confirm", own)
    page.get_by_role("button", name="Simpan kata sandi").click()
    assert page.url.endswith(f"/sekolah/{server.world['a']}/beranda")
    assert "Bendahara Baru" in page.locator("header .who").text_content()
    journey.step("first-dashboard")

    journey.logout()
    journey.login(username, password)  # the one-time password was used up
    assert page.url.endswith("/masuk")
    journey.login(username, own)
    assert page.url.endswith(f"/sekolah/{server.world['a']}/beranda")
    journey.finish()


def test_schools_help_each_other(journey, server) -> None:  # type: ignore[no-untyped-def]
    """Committee B asks for help; committee A answers from the kabupaten's board; the transfer
    shows in both cash books at once; A voids the pair and both balances are back."""
    page, a, b = journey.page, server.world["a"], server.world["b"]
    journey.login("komite_b")
    before_b = balance(journey)
    journey.menu("Sekolah Asuh Sekolah")
    journey.step("school-page")
    journey.switch_language("school-page", "Sekolah Asuh Sekolah", "school-to-school help")
    page.get_by_role("link", name="+ Minta bantuan").click()
    journey.step("request-form")
    journey.switch_language("request-form", "Minta bantuan sekolah lain", "Ask other schools")
    page.fill("#amount", "Rp 40.000")
    page.select_option("#category", "sepatu")
    page.fill("#description", "Sepatu untuk 3 siswa kelas 1")
    page.get_by_role("button", name="Pasang di papan").click()
    assert "Sepatu untuk 3 siswa kelas 1" in page.locator("#request").inner_text()
    request_url = page.url
    journey.step("request-posted")
    journey.switch_language("request-posted", "Permintaan bantuan", "Request for help")
    journey.logout()

    journey.login("komite_a")
    assert page.url.endswith(f"/sekolah/{a}/beranda")
    before_a = balance(journey)
    journey.goto("/kabupaten/35.10/bantuan")
    assert "SD Negeri 2 Genteng" in page.locator("#requests").inner_text()
    journey.step("board")
    journey.switch_language("board", "Sekolah Asuh Sekolah", "school-to-school help")
    page.goto(request_url)
    page.get_by_role("link", name="Bantu sekolah ini").click()
    assert "Rp40.000" in page.locator("#answering").inner_text()
    journey.step("transfer-form")
    journey.switch_language("transfer-form", "Kirim bantuan", "Send help")
    page.fill("#amount", "Rp 40.000")
    page.get_by_role("button", name="Kirim", exact=True).click()
    assert "Transfer keluar" in journey.heading()
    journey.step("transfer-saved")
    journey.switch_language("transfer-saved", "Transfer keluar", "Transfer out")
    transfer_url = page.url
    page.get_by_role("link", name="Dasbor", exact=True).click()
    assert balance(journey) == before_a - 40_000
    page.goto(request_url)
    assert page.locator("#status").inner_text() == "Terpenuhi"  # covered by the transfer

    page.goto(transfer_url)
    page.fill("#reason", "Salah jumlah, dikirim ulang")
    page.get_by_role("button", name="Batalkan kedua sisi").click()
    assert "Salah jumlah" in page.locator("#voided").inner_text()
    journey.step("transfer-voided")
    page.get_by_role("link", name="Dasbor", exact=True).click()
    assert balance(journey) == before_a
    page.goto(request_url)
    assert page.locator("#status").inner_text() == "Terbuka"  # open again after the void
    journey.logout()

    journey.login("komite_b")
    assert page.url.endswith(f"/sekolah/{b}/beranda")
    assert balance(journey) == before_b  # in, then back out with the void
    journey.finish()
