"""Tables on a 360 px phone: the cash book as cards, newest first; wide tables that scroll
sideways keep their first column in place; and no page scrolls sideways outside such a table.

The journeys run on the phone and desktop viewports (conftest.py); the sweep of every page runs
on the phone only.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sas.extensions import db
from sas.models import Entry, HelpRequest, Recipient, Region, School, Transfer, User

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def book_numbers(server, npsn: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The school's No Bukti in date order, as the printed Buku Kas Umum lists them."""
    with server.app.app_context():
        school = db.session.scalar(select(School).where(School.npsn == npsn))
        entries = db.session.scalars(
            select(Entry).where(Entry.school_id == school.id).order_by(Entry.occurred_on, Entry.seq)
        )
        return [e.number for e in entries]


def line_cells(page):  # type: ignore[no-untyped-def]
    """Each shown line of the cash book: its No, its No Bukti and its amount and Saldo cells."""
    lines = []
    for row in page.locator("#book tbody tr").all():
        cells = row.locator("td")
        money = cells.nth(4) if cells.nth(4).inner_text().strip() else cells.nth(5)
        lines.append(
            {
                "no": cells.nth(0).text_content().strip(),
                "number": cells.nth(2).inner_text().strip(),
                "money": money,
                "saldo": cells.nth(6),
                "voided": "voided" in (row.get_attribute("class") or ""),
            }
        )
    return lines


def test_the_cash_book_on_a_phone(journey, server) -> None:  # type: ignore[no-untyped-def]
    page, npsn = journey.page, server.world["a"]
    width = page.viewport_size["width"]
    numbers = book_numbers(server, npsn)
    journey.login("komite_a")
    page.get_by_role("navigation").get_by_role("link", name="Buku kas").click()
    journey.step("cash-book")
    journey.switch_language("cash-book", "Buku Kas Umum", "Cash book")

    lines = line_cells(page)
    assert [line["number"] for line in lines] == numbers[::-1][: len(lines)]  # newest first
    assert lines[0]["no"] == str(len(numbers))
    for line in lines:  # money and Saldo never start past the right edge
        for cell in (line["money"], line["saldo"]):
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, line["number"]
    if journey.viewport == "phone":
        for line in lines:  # signed, coloured: green in, red out; a voided line muted
            money = line["money"].inner_text()
            assert re.fullmatch(r"[+−]Rp[\d.]+", money), money
            colour = line["money"].evaluate("e => getComputedStyle(e).color")
            expected = "rgb(11, 110, 79)" if money[0] == "+" else "rgb(163, 54, 27)"
            assert colour == ("rgb(86, 99, 92)" if line["voided"] else expected), line["number"]
        assert lines[0]["saldo"].inner_text().startswith("Saldo Rp")
        assert page.locator("#book thead").bounding_box()["height"] <= 1  # no header row
    else:
        headers = page.locator("#book thead th").all_inner_texts()
        assert headers == [
            "No",
            "Tanggal",
            "No Bukti",
            "Uraian",
            "Penerimaan",
            "Pengeluaran",
            "Saldo",
        ]
        assert "Saldo" not in lines[0]["saldo"].inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("link", name="terlama dulu").click()
    page.wait_for_load_state("load")
    assert "urut=lama" in page.url
    journey.step("cash-book-oldest-first")
    oldest = line_cells(page)
    assert [line["number"] for line in oldest] == numbers[: len(oldest)]
    assert oldest[0]["no"] == "1"
    page.get_by_role("link", name="terbaru dulu").click()
    page.wait_for_load_state("load")
    assert line_cells(page)[0]["number"] == numbers[-1]
    journey.finish()


def assert_first_column_stays(page, table: str) -> None:  # type: ignore[no-untyped-def]
    """Scroll the table's box sideways: its first column stays put, the rest moves under it."""
    box = page.locator(table).locator("xpath=ancestor::div[contains(@class, 'scroll')][1]")
    box.scroll_into_view_if_needed()
    assert box.evaluate("e => e.scrollWidth > e.clientWidth"), f"{table} does not scroll"
    first = page.locator(f"{table} tbody tr").first.locator("th, td").first
    other = page.locator(f"{table} tbody tr").first.locator("th, td").nth(2)
    header = page.locator(f"{table} thead th").first
    before = [c.bounding_box()["x"] for c in (first, header, other)]
    box.evaluate("e => { e.scrollLeft = 200; }")
    assert box.evaluate("e => e.scrollLeft") > 0
    after = [c.bounding_box()["x"] for c in (first, header, other)]
    assert after[:2] == before[:2], f"{table}: the first column moved"
    assert after[2] < before[2], f"{table}: nothing scrolled"
    # the pinned cell covers what scrolls under it: at its middle, it is the one on top
    for cell in (first, header):
        b = cell.bounding_box()
        on_top = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)", [b["x"] + 4, b["y"] + b["height"] / 2]
        )
        assert on_top is not None
        assert cell.evaluate(
            "(e, [x, y]) => e.contains(document.elementFromPoint(x, y))",
            [b["x"] + 4, b["y"] + b["height"] / 2],
        ), f"{table}: something shows over the pinned column"


def test_wide_tables_keep_their_first_column(journey, server) -> None:  # type: ignore[no-untyped-def]
    page = journey.page
    journey.login("dinas")
    journey.goto("/kabupaten/35.10")
    journey.step("district")
    if journey.viewport == "phone":
        assert_first_column_stays(page, "#rows")
        journey.step("district-scrolled", axe=False)
    journey.goto("/kecamatan/35.10.16")
    journey.step("kecamatan")
    if journey.viewport == "phone":
        assert_first_column_stays(page, "#rows")
        assert_first_column_stays(page, "#closings")
        journey.step("kecamatan-scrolled", axe=False)
    journey.finish()


def school_transfers(school: School) -> list[Transfer]:
    return list(
        db.session.scalars(
            select(Transfer).where(
                (Transfer.from_school_id == school.id) | (Transfer.to_school_id == school.id)
            )
        )
    )


def world_paths(server) -> dict[str | None, list[str]]:  # type: ignore[no-untyped-def]
    """Every page each role reaches in the seeded world, by who looks at it (None: a visitor)."""
    a = server.world["a"]
    with server.app.app_context():
        school = db.session.scalar(select(School).where(School.npsn == a))
        entries = list(
            db.session.scalars(
                select(Entry).where(Entry.school_id == school.id).order_by(Entry.seq)
            )
        )
        recipient = db.session.scalar(select(Recipient).where(Recipient.school_id == school.id))
        region = db.session.scalar(select(Region).order_by(Region.id))
        user = db.session.scalar(select(User).where(User.username == "komite_a"))
        voided = next(e for e in entries if e.voided_by is not None)
        month = entries[-1].occurred_on.strftime("%Y-%m")
        ids = (entries[0].id, voided.id, recipient.id, region.id, user.id)
        # what the school-to-school journey (test_journeys.py) leaves, when it ran before
        moved = [
            *(f"/sekolah/{a}/transfer/{t.id}" for t in school_transfers(school)),
            *(f"/bantuan/{r.id}" for r in db.session.scalars(select(HelpRequest))),
        ]
    first, void, recipient_id, region_id, user_id = ids
    school_pages = [
        f"/sekolah/{a}/beranda",
        f"/sekolah/{a}/buku-kas",
        f"/sekolah/{a}/buku-kas?urut=lama",
        f"/sekolah/{a}/catatan/{first}",
        f"/sekolah/{a}/catatan/{void}",
        f"/sekolah/{a}/catatan/{first}/kuitansi",
        f"/sekolah/{a}/catatan/{void}/kuitansi",
        f"/sekolah/{a}/penerima",
        f"/sekolah/{a}/bulan",
        f"/sekolah/{a}/bulan/{month}",
        f"/sekolah/{a}/antar-sekolah",
        "/kabupaten/35.10/bantuan",
        *moved,
        "/akun",
        "/akun/sandi",
    ]
    return {
        None: ["/", "/masuk", "/sekolah?q=Negeri", f"/sekolah/{a}"],
        "komite_a": [
            *school_pages,
            f"/sekolah/{a}/sumbangan/baru",
            f"/sekolah/{a}/sumbangan/kelas",
            f"/sekolah/{a}/penyaluran/baru",
            f"/sekolah/{a}/penerima/baru",
            f"/sekolah/{a}/penerima/{recipient_id}/ubah",
            f"/sekolah/{a}/kelas",
            f"/sekolah/{a}/bantuan/baru",
            f"/sekolah/{a}/transfer/baru",
            f"/sekolah/{a}/pengaturan/persetujuan",
        ],
        "guru_a": [*school_pages, f"/sekolah/{a}/audit"],
        "dinas": [
            "/beranda",
            "/kabupaten/35.10",
            "/kecamatan/35.10.16",
            f"/sekolah/{a}/ringkasan",
            "/kabupaten/35.10/bantuan",
            "/akun",
        ],
        "admin": [
            "/admin",
            "/admin/wilayah",
            "/admin/wilayah/baru",
            f"/admin/wilayah/{region_id}/ubah",
            "/admin/sekolah",
            "/admin/sekolah/baru",
            f"/admin/sekolah/{a}",
            f"/admin/sekolah/{a}/ubah",
            "/admin/sekolah/impor",
            f"/admin/sekolah/{a}/akhiri-masa-jabatan",
            "/admin/pengguna",
            "/admin/pengguna/baru",
            f"/admin/pengguna/{user_id}",
            "/audit",
            f"/sekolah/{a}/serah-terima",
            "/kabupaten/35.10",
        ],
    }


def test_no_page_scrolls_sideways_on_a_phone(journey, server) -> None:  # type: ignore[no-untyped-def]
    if journey.viewport != "phone":
        pytest.skip("a sweep of the phone's width")
    page = journey.page
    wide: list[str] = []

    def check(label: str) -> None:
        journey.step(label, axe=False)  # weighed and pictured; axe runs in the journeys
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > PHONE_WIDTH:
            wide.append(f"{label}: {scroll} px")

    for who, paths in world_paths(server).items():
        if who:
            journey.login(who)
        for path in paths:
            response = page.goto(server.url + path)
            assert response and response.status == 200, f"{who} {path}: {response.status}"
            check(f"{who or 'visitor'}{re.sub(r'[^a-z0-9]+', '-', path.lower())}")
            if path.endswith("/kuitansi"):  # the public check its QR code opens
                page.goto(page.locator("#verify-url").inner_text().strip())
                check(f"{who}-kuitansi-check")
        if who == "komite_a":  # a refused form and a saved one, with their messages
            journey.goto(f"/sekolah/{server.world['a']}/sumbangan/baru")
            page.fill("#amount", "25,5")
            page.get_by_role("button", name="Simpan").click()
            check("komite_a-refused-contribution")
            page.fill("#amount", "Rp 5.000")
            page.check("input[name=source][value=anonymous]")
            page.get_by_role("button", name="Simpan").click()
            assert "Rp5.000" in page.locator("main").inner_text()
            check("komite_a-saved-contribution")
        if who == "admin":  # a one-time password, shown once, and its first login
            journey.goto("/admin/pengguna/baru")
            page.fill("#username", "bendahara_sweep")
            page.fill("#display_name", "Bendahara Sapuan Lebar Sekali Namanya")
            page.check("input[name=role][value=committee]")
            page.fill("#npsn", server.world["a"])
            page.get_by_role("button", name="Buat akun").click()
            password = page.locator("#one-time-password").inner_text().strip()
            check("admin-one-time-password")
            page.context.clear_cookies()
            journey.login("bendahara_sweep", password)
            assert page.url.endswith("/akun/sandi-baru")
            check("first-login-set-password")
        if who:
            page.context.clear_cookies()
    assert not wide, "pages wider than the phone:\n" + "\n".join(wide)
    journey.finish()
