"""A weak signal: the service worker (static/sw.js) keeps the entry forms on the phone, forms
sent without a signal wait in the outbox (static/outbox.js, offline.js) and are sent once when
the signal is back. The signal is cut with Playwright's offline mode, which the worker's own
requests obey too, and an answer is lost with a route that lets the request reach the server
and then drops its answer."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from sas.approvals import services as approvals
from sas.dates import today_wib
from sas.extensions import db
from sas.models import Attachment, Direction, Entry, PendingDisbursement, School, User

pytestmark = pytest.mark.browser


def _photo() -> dict:
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "#0b6e4f").save(image, "PNG")
    return {"name": "nota.png", "mimeType": "image/png", "buffer": image.getvalue()}


PHOTO = _photo()
KEPT_PAGES = """async () => (await (await caches.open('sas-pages')).keys())
    .map(r => new URL(r.url).pathname).sort()"""
OUTBOX = "async () => (await SASOutbox.all()).map(i => [i.state, i.problem])"


def entries(server, npsn: str, direction: Direction = Direction.IN) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """(amount, date) of the school's entries in one direction, in recording order."""
    with server.app.app_context():
        school = db.session.execute(select(School).filter_by(npsn=npsn)).scalar_one()
        rows = db.session.execute(
            select(Entry.amount, Entry.occurred_on)
            .filter_by(school_id=school.id, direction=direction)
            .order_by(Entry.seq)
        ).all()
        return [(amount, day.isoformat()) for amount, day in rows]


def count_entries(server) -> int:  # type: ignore[no-untyped-def]
    with server.app.app_context():
        return db.session.execute(select(func.count()).select_from(Entry)).scalar_one()


def ready(journey) -> None:  # type: ignore[no-untyped-def]
    """Signed in as the committee member, the worker in charge and the forms kept."""
    page = journey.page
    journey.login("komite_a")
    # A page whose navigation began before the worker was active stays without it (the login
    # page installs it while the login is sent): the next one has it.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    until(page, lambda: len(page.evaluate(KEPT_PAGES)) == 4, "the forms kept on the phone")


def until(page, condition, what: str, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` (the worker works in the background) until it holds; waiting in
    Playwright, so that its route handlers run meanwhile."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, f"waited {seconds} s for {what}"
        page.wait_for_timeout(100)


def waiting(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """The outbox's line says ``text`` (offline.js draws it once the outbox is read)."""
    expect(page.locator("#outbox summary")).to_contain_text(text)


def test_recorded_offline_and_sent_once_when_back(worker_journey, server) -> None:  # type: ignore[no-untyped-def]
    journey, npsn = worker_journey, server.world["a"]
    page, context = journey.page, journey.page.context
    ready(journey)
    npsn_path = f"/sekolah/{npsn}"
    assert page.evaluate(KEPT_PAGES) == sorted(
        [
            "/offline",
            f"{npsn_path}/sumbangan/kelas",
            f"{npsn_path}/sumbangan/baru",
            f"{npsn_path}/penyaluran/baru",
        ]
    )
    before = entries(server, npsn)
    today = today_wib()
    days = [(today - timedelta(days=n)).isoformat() for n in (0, 1, 2)]

    context.set_offline(True)
    for amount, day in zip(("7rb", "8.000", "9000"), days, strict=True):
        journey.goto(f"{npsn_path}/sumbangan/baru")  # from the phone
        assert "Catat uang masuk" in journey.heading()
        page.get_by_text("Tanpa nama", exact=True).click()
        page.fill("#amount", amount)
        page.fill("#occurred_on", day)
        page.get_by_role("button", name="Simpan").click()
        page.wait_for_load_state("load")
        expect(page.locator("#outbox")).to_contain_text("Disimpan di ponsel")
        assert page.input_value("#occurred_on") == day  # the next one starts on the same day
    journey.goto(f"{npsn_path}/sumbangan/kelas")
    rows = page.locator("input[data-row]")
    rows.nth(0).fill("11rb")
    rows.nth(1).fill("12.000")
    rows.nth(2).fill("13000")
    page.fill("#occurred_on", days[1])
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    waiting(page, "Menunggu sinyal: 4 catatan")
    assert page.locator("input[data-row]").first.input_value() == ""  # ready for the next
    page.locator("#outbox summary").click()
    lines = page.locator("#outbox li")
    assert lines.count() == 4
    assert "Setoran kelas 7A, 7B, 8A · Rp36.000" in lines.nth(3).inner_text()
    # the form, ready for the next class, says which classes already wait for that day
    assert page.input_value("#occurred_on") == days[1]
    expect(page.locator(".waiting-hint")).to_have_count(3)
    assert "Menunggu sinyal: Rp11.000" in page.locator(".waiting-hint").first.inner_text()
    journey.step("outbox-offline")  # axe on the list
    for path in ("sumbangan/baru", "sumbangan/kelas", "penyaluran/baru"):
        journey.goto(f"{npsn_path}/{path}")
        page.reload()  # still opens: kept on the phone
        assert page.locator("form[data-offline]").count() == 1, path
    journey.goto(f"{npsn_path}/buku-kas")  # the cash book has names: never kept
    assert "Tidak ada sinyal" in journey.heading()
    assert entries(server, npsn) == before  # nothing reached the server

    journey.goto(f"{npsn_path}/sumbangan/baru")
    context.set_offline(False)  # the page (or Background Sync) sends what waits
    expect(page.locator("#outbox .sent")).to_have_text("✓ 4 catatan terkirim.")
    assert page.evaluate(OUTBOX) == []
    added = entries(server, npsn)[len(before) :]
    assert added == [
        (7_000, days[0]),
        (8_000, days[1]),
        (9_000, days[2]),
        (11_000, days[1]),
        (12_000, days[1]),
        (13_000, days[1]),
    ]
    journey.step("outbox-sent")
    # a form opened with a signal refreshes the phone's copy (what it shows may have changed)
    drawn = page.locator("form[data-offline]").get_attribute("data-drawn")
    kept = """async (path) => (await (await caches.open('sas-pages')).match(path)).text()"""
    until(
        page,
        lambda: f'data-drawn="{drawn}"' in page.evaluate(kept, f"{npsn_path}/sumbangan/baru"),
        "the kept copy refreshed",
    )
    journey.finish()


def test_a_send_whose_answer_was_lost_records_once(worker_journey, server) -> None:  # type: ignore[no-untyped-def]
    journey, npsn = worker_journey, server.world["a"]
    page, context = journey.page, journey.page.context
    ready(journey)
    total = count_entries(server)

    lost = []

    def answer_lost(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the server records it...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    context.route("**/sumbangan/baru", answer_lost)
    journey.goto(f"/sekolah/{npsn}/sumbangan/baru")
    page.get_by_text("Tanpa nama", exact=True).click()
    page.fill("#amount", "6.100")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert lost == [200]  # it did arrive
    # kept in the outbox, it is sent again at once (Background Sync, or the form shown again),
    # with the same key
    until(page, lambda: page.evaluate(OUTBOX) == [], "the outbox sent")
    assert page.evaluate(OUTBOX) == []
    assert count_entries(server) == total + 1  # and recorded once
    assert [a for a, _ in entries(server, npsn)].count(6_100) == 1
    journey.finish()


def test_a_refused_send_stays_to_be_corrected(worker_journey, server) -> None:  # type: ignore[no-untyped-def]
    journey, npsn = worker_journey, server.world["a"]
    page, context = journey.page, journey.page.context
    ready(journey)
    paid = entries(server, npsn, Direction.OUT)
    context.set_offline(True)
    journey.goto(f"/sekolah/{npsn}/penyaluran/baru")
    page.select_option("#recipient_id", index=1)
    page.select_option("#category", "sepatu")
    page.fill("#amount", "90 juta")  # far beyond the balance
    page.set_input_files("#evidence", files=[PHOTO])
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    waiting(page, "Menunggu sinyal: 1 catatan")

    context.set_offline(False)  # the page hears it and sends at once
    refused = page.locator("#outbox li.refused")
    refused.wait_for()
    assert "Ditolak: " in refused.inner_text() and "Saldo" in refused.inner_text()
    waiting(page, "1 ditolak, perlu diperbaiki")
    journey.step("outbox-refused")
    refused.get_by_role("link", name="Buka dan perbaiki").click()
    page.wait_for_load_state("load")
    # the kept form, filled with what the outbox held, and the server's own words
    expect(page.locator(".error-summary")).to_contain_text("Saldo")
    expect(page.locator("#amount")).to_have_value("90 juta")
    assert page.evaluate("document.getElementById('evidence').files[0].name") == "nota.png"
    page.fill("#amount", "15rb")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    assert "Tersimpan" in journey.heading()
    assert page.evaluate(OUTBOX) == []
    assert entries(server, npsn, Direction.OUT)[len(paid) :] == [(15_000, today_wib().isoformat())]
    with server.app.app_context():  # the photo chosen offline came with it
        last = db.session.scalars(select(Entry).order_by(Entry.id.desc())).first()
        assert db.session.scalars(select(Attachment).filter_by(entry_id=last.id)).all()
    journey.finish()


def test_logging_out_asks_then_leaves_nothing_on_the_phone(worker_journey, server) -> None:  # type: ignore[no-untyped-def]
    journey, npsn = worker_journey, server.world["a"]
    page, context = journey.page, journey.page.context
    ready(journey)
    total = count_entries(server)
    context.set_offline(True)
    journey.goto(f"/sekolah/{npsn}/sumbangan/baru")
    page.get_by_text("Tanpa nama", exact=True).click()
    page.fill("#amount", "5rb")
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_load_state("load")
    # the signal is back but the server cannot be reached: the entry keeps waiting
    tries = []

    def unreachable(route) -> None:  # type: ignore[no-untyped-def]
        tries.append(route.request.method)
        route.abort()

    context.route("**/sumbangan/baru", unreachable)
    context.set_offline(False)
    waiting(page, "Menunggu sinyal: 1 catatan")
    send_now = page.get_by_role("button", name="Kirim sekarang")
    expect(send_now).to_be_enabled()  # the try the page made when the signal came back failed
    sent = len(tries)
    send_now.click()  # tries again, and fails again
    until(page, lambda: len(tries) > sent, "a send after the tap")
    expect(send_now).to_be_enabled()
    waiting(page, "Menunggu sinyal: 1 catatan")
    page.locator("details.menu > summary").click()
    page.get_by_role("button", name="Keluar").click()
    warning = page.locator(".menu-panel .flash-error")
    assert warning.inner_text().startswith("1 catatan belum terkirim")
    journey.step("logout-asks", axe=False)
    page.get_by_role("button", name="Keluar dan buang").click()
    page.wait_for_url("**/masuk")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.evaluate("caches.has('sas-pages')") is False
    assert page.evaluate("SASOutbox.all().then(items => items.length)") == 0
    assert count_entries(server) == total
    journey.finish()


def test_installable(worker_journey, server) -> None:  # type: ignore[no-untyped-def]
    """Chromium's own check of the manifest and its icons finds nothing missing. A Playwright
    context is incognito, which Chromium always names; `make lighthouse` checks a profile."""
    page = worker_journey.page
    worker_journey.goto("/masuk")
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest")["url"].endswith("/manifest.webmanifest")
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors] == ["in-incognito"]


def test_a_disbursement_that_waits_for_a_second_approver_is_not_kept(
    worker_journey, server
) -> None:  # type: ignore[no-untyped-def]
    """The server answers it with a redirect to the waiting item: recorded, not a session that
    ended, so nothing stays in the outbox to be sent again."""
    journey, npsn = worker_journey, server.world["a"]
    page = journey.page
    with server.app.app_context():
        school = db.session.execute(select(School).filter_by(npsn=npsn)).scalar_one()
        threshold, school.approval_threshold = school.approval_threshold, 10_000
        db.session.commit()
    try:
        ready(journey)
        journey.goto(f"/sekolah/{npsn}/penyaluran/baru")
        page.select_option("#recipient_id", index=1)
        page.select_option("#category", "sepatu")
        page.fill("#amount", "12rb")
        page.get_by_role("button", name="Simpan").click()
        page.wait_for_load_state("load")
        assert "/menunggu/" in page.url
        journey.goto(f"/sekolah/{npsn}/beranda")  # a page load would send anything waiting
        page.wait_for_timeout(500)
        assert page.evaluate(OUTBOX) == []
        with server.app.app_context():
            assert (
                db.session.execute(
                    select(func.count()).select_from(PendingDisbursement).filter_by(amount=12_000)
                ).scalar_one()
                == 1
            )
    finally:  # as it was for the journeys after this one: no waiting item, no reservation
        with server.app.app_context():
            school = db.session.execute(select(School).filter_by(npsn=npsn)).scalar_one()
            school.approval_threshold = threshold
            for pending in db.session.scalars(
                select(PendingDisbursement).filter_by(school_id=school.id, amount=12_000)
            ):
                member = db.session.get(User, pending.recorded_by_id)
                approvals.reject(school, pending, rejected_by=member, reason="Uji coba selesai")
            db.session.commit()
