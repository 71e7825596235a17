"""The school pages through the browser's eyes: forms, messages, the cash book and its export."""

import csv
import html
import io
import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from sas import ledger
from sas.dates import school_year_label_on, today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import Entry, EntryKind, Source
from tests.factories import contribute, disburse, make_recipient
from tests.web import login

A = "/sekolah/20525555"
TODAY = today_wib()


def contribution(**overrides):
    data = {
        "amount": "25.000",
        "occurred_on": TODAY.isoformat(),
        "source": "class",
        "class_label": "8A",
        "donor_name": "",
        "note": "",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


def disbursement(world, **overrides):
    data = {
        "amount": "20.000",
        "occurred_on": TODAY.isoformat(),
        "recipient_id": world["recipient_a"].id,
        "category": "sepatu",
        "in_kind": "y",
        "description": "Sepatu hitam no. 38",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


def entries_of(school) -> int:
    return db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == school.id))


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


@pytest.fixture
def guru(client, world):
    login(client, "guru_a")
    return client


@pytest.mark.parametrize("typed", ["25000", "25.000", "Rp 25.000", "Rp25.000", "25rb", "25 ribu"])
def test_recording_a_contribution_as_people_type_it(komite, world, typed):
    """The answer to the POST is the confirmation itself: no redirect, one round trip less."""
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(amount=typed))
    assert response.status_code == 200
    saved = response.text.split('id="saved-lines">')[1].split("</ul>")[0]
    assert "+Rp25.000" in saved and "Iuran kelas 8A" in saved and "BKM-0002" in saved
    assert '<strong id="balance">Rp125.000</strong>' in response.text
    assert "Rp125.000" in komite.get(f"{A}/beranda").text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Jumlah wajib diisi."),
        ("0", "lebih dari Rp0"),
        ("-5000", "lebih dari Rp0"),
        ("50.000,50", "tanpa desimal"),
        ("50,5", "tanpa desimal"),
        ("1.5", "tanpa desimal"),
        ("5e4", "hanya boleh berisi angka"),
        ("abc", "hanya boleh berisi angka"),
        ("100.000.001", "melebihi batas per transaksi Rp100.000.000"),
    ],
)
def test_a_bad_amount_is_refused_next_to_the_field(komite, world, typed, message):
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(amount=typed))
    assert response.status_code == 422
    assert '<p class="error" id="amount-error">' in response.text
    assert message in response.text.split('id="amount-error">')[1].split("</p>")[0]
    assert entries_of(world["a"]) == 1


def test_the_per_entry_maximum_comes_from_configuration(komite, world, app):
    app.config["MAX_ENTRY_AMOUNT"] = 1_000_000
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(amount="1.000.001"))
    assert response.status_code == 422
    assert "Rp1.000.000" in response.text


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ((TODAY + timedelta(days=1)).isoformat(), "masa depan"),
        ("2010-12-31", "sebelum 1 Januari 2011"),
        ("27-11-2026", "TTTT-BB-HH"),
        ("", "TTTT-BB-HH"),
    ],
)
def test_a_bad_date_is_refused(komite, world, day, message):
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(occurred_on=day))
    assert response.status_code == 422
    assert message in response.text
    assert entries_of(world["a"]) == 1


def test_the_date_defaults_to_today_in_wib(komite, world):
    page = komite.get(f"{A}/sumbangan/baru")
    assert f'value="{TODAY.isoformat()}"' in page.text


def test_every_form_carries_a_fresh_one_time_key(komite, world):
    marker = 'name="form_key" type="hidden" value="'
    keys = {komite.get(f"{A}/sumbangan/baru").text.split(marker)[1][:32] for _ in range(3)}
    assert len(keys) == 3


def test_a_double_submit_records_once(komite, world):
    form = contribution()
    first = komite.post(f"{A}/sumbangan/baru", data=form)
    second = komite.post(f"{A}/sumbangan/baru", data=form)
    assert first.status_code == second.status_code == 200
    assert "BKM-0002" in first.text and "BKM-0002" in second.text
    assert "tidak dicatat dua kali" in second.text and "tidak dicatat dua kali" not in first.text
    assert '<strong id="balance">Rp125.000</strong>' in second.text
    assert entries_of(world["a"]) == 2
    assert ledger.balance(world["a"]) == 125_000


def test_catat_lagi_keeps_the_date_and_the_source(komite, world):
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    form = contribution(source="individual", class_label="", donor_name="Bu Ani")
    response = komite.post(f"{A}/sumbangan/baru", data={**form, "occurred_on": yesterday})
    again = response.text.split('id="again" href="')[1].split('"')[0].replace("&amp;", "&")
    page = komite.get(again).text
    assert f'value="{yesterday}"' in page
    assert 'checked id="source-1" name="source"' in page
    assert komite.get(f"{A}/sumbangan/baru?occurred_on=2099-01-01&source=x").status_code == 200


def test_a_form_key_of_another_school_is_not_revealed(client, world):
    login(client, "komite_b")
    used = world["entry_a"].form_key
    form = contribution(form_key=used, class_label="1A")
    response = client.post("/sekolah/20526666/sumbangan/baru", data=form)
    assert response.status_code == 404
    assert entries_of(world["b"]) == 1


def test_an_anonymous_gift_with_a_name_is_refused_not_stripped(komite, world):
    response = komite.post(
        f"{A}/sumbangan/baru",
        data=contribution(source="anonymous", donor_name="Bu Ani", class_label=""),
    )
    assert response.status_code == 422
    assert "Sumbangan tanpa nama tidak menyimpan nama" in response.text
    assert entries_of(world["a"]) == 1
    komite.post(f"{A}/sumbangan/baru", data=contribution(source="anonymous", class_label=""))
    book = komite.get(f"{A}/buku-kas").text
    assert "Sumbangan tanpa nama" in book
    assert "Bu Ani" not in book


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"source": "class", "class_label": ""}, "Pilih kelas yang menyetor."),
        ({"source": "class", "class_label": "9Z"}, "Pilihan tidak sah."),
        ({"source": "class", "donor_name": "Pak Budi"}, "tidak memakai nama pemberi"),
        ({"source": "individual", "class_label": ""}, "Tulis nama pemberi"),
    ],
)
def test_each_source_has_its_own_fields(komite, world, fields, message):
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(**fields))
    assert response.status_code == 422
    assert message in response.text
    assert entries_of(world["a"]) == 1


def test_the_class_comes_from_the_school_list(komite, world):
    page = komite.get(f"{A}/sumbangan/baru").text
    select_ = page.split('<select id="class_label"')[1].split("</select>")[0]
    assert [o.split(">")[1] for o in select_.split("<option")[1:]] == [
        "— pilih kelas —</option",
        "7A</option",
        "8A</option",
        "8B</option",
    ]


def test_recording_a_disbursement(komite, world):
    response = komite.post(f"{A}/penyaluran/baru", data=disbursement(world))
    assert response.status_code == 200
    saved = response.text.split('id="saved-lines">')[1].split("</ul>")[0]
    assert "−Rp20.000" in saved and "Sepatu untuk Siti Aminah (barang)" in saved
    assert '<strong id="balance">Rp80.000</strong>' in response.text
    assert "Rp80.000" in komite.get(f"{A}/beranda").text


def test_the_disbursement_form_chooses_nothing_for_the_user(komite, world):
    page = komite.get(f"{A}/penyaluran/baru").text
    assert '<option selected value="">— pilih penerima —</option>' in page
    assert '<option selected value="">— pilih kebutuhan —</option>' in page
    assert 'data-available="100000"' in page  # the balance after it, shown as the amount is typed
    response = komite.post(
        f"{A}/penyaluran/baru", data=disbursement(world, recipient_id="", category="")
    )
    assert response.status_code == 422
    assert "Pilih penerima." in response.text and "Pilih kebutuhan." in response.text
    assert entries_of(world["a"]) == 1


def test_an_overdraft_is_refused_showing_the_balance(komite, world):
    response = komite.post(f"{A}/penyaluran/baru", data=disbursement(world, amount="150.000"))
    assert response.status_code == 422
    assert "Saldo tidak cukup: saldo yang tersedia Rp100.000." in response.text
    assert entries_of(world["a"]) == 1


def test_a_recipient_of_another_school_cannot_be_chosen(komite, world):
    data = disbursement(world, recipient_id=world["recipient_b"].id)
    response = komite.post(f"{A}/penyaluran/baru", data=data)
    assert response.status_code == 422
    assert "Pilihan tidak sah." in response.text
    assert entries_of(world["a"]) == 1


def test_the_disbursement_form_offers_only_active_recipients(komite, world):
    make_recipient(world["a"], name="Sudah Lulus", active=False)
    page = komite.get(f"{A}/penyaluran/baru").text
    assert "Siti Aminah" in page and "Sudah Lulus" not in page and "Budi Santoso" not in page


def test_voiding_through_the_page(komite, world):
    out = disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/catatan/{out.id}")
    assert "Batalkan catatan ini" in page.text
    assert "<summary>Ada yang salah?</summary>" in page.text
    assert '<details class="fix" id="fix">' in page.text  # closed: never the main control
    response = komite.post(
        f"{A}/catatan/{out.id}/batalkan",
        data={"reason": "Sepatu dikembalikan", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 303
    void_page = komite.get(response.headers["Location"]).text
    assert "Sepatu dikembalikan" in void_page and out.number in void_page
    original = komite.get(f"{A}/catatan/{out.id}").text
    assert "Dibatalkan oleh" in original and "Batalkan catatan ini" not in original
    assert "Rp100.000" in komite.get(f"{A}/beranda").text
    again = komite.post(
        f"{A}/catatan/{out.id}/batalkan", data={"reason": "lagi", "form_key": uuid.uuid4().hex}
    )
    assert again.status_code == 422
    assert "sudah dibatalkan" in again.text


def test_a_void_cannot_be_voided_through_the_page(komite, world):
    reversal = entries.void_entry(
        world["a"],
        world["entry_a"],
        reason="Salah",
        form_key="v1",
        recorded_by=world["komite_a"],
        today=TODAY,
    )
    db.session.commit()
    assert "Batalkan catatan ini" not in komite.get(f"{A}/catatan/{reversal.id}").text
    response = komite.post(
        f"{A}/catatan/{reversal.id}/batalkan", data={"reason": "x", "form_key": uuid.uuid4().hex}
    )
    assert response.status_code == 422
    assert "Koreksi tidak dapat dibatalkan." in response.text


def test_a_void_without_reason_is_refused(komite, world):
    response = komite.post(
        f"{A}/catatan/{world['entry_a'].id}/batalkan",
        data={"reason": "  ", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert "Alasan koreksi wajib diisi." in response.text
    # the form is open, its error listed at the top, and the reason field has the focus
    assert '<details class="fix" open id="fix">' in response.text
    summary = response.text.split('<div class="error-summary" role="alert">')[1].split("</div>")[0]
    assert '<a href="#reason">Alasan koreksi: Alasan koreksi wajib diisi.</a>' in summary
    assert (
        'aria-invalid="true" autofocus'
        in response.text.split('id="reason"')[0][-200:]
        + (response.text.split('id="reason"')[1][:200])
    )
    assert ledger.balance(world["a"]) == 100_000


def test_voiding_spent_money_is_refused_with_a_clear_message(komite, world):
    disburse(world["a"], 90_000, world["komite_a"], world["recipient_a"])
    response = komite.post(
        f"{A}/catatan/{world['entry_a'].id}/batalkan",
        data={"reason": "Salah", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert "saldo akan menjadi negatif" in response.text and "Rp10.000" in response.text


def test_the_dashboard(komite, world):
    disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/beranda").text
    assert '<strong id="balance">Rp70.000</strong>' in page
    assert "Uang masuk bulan ini" in page and "Rp100.000" in page and "Rp30.000" in page
    assert f"Siswa dibantu tahun ajaran {school_year_label_on(TODAY)}" in page
    assert "BKK-0002" in page and "BKM-0001" in page
    assert "Catat uang masuk" in page and "Catat uang keluar" in page
    assert "Buku kas aman: tidak ada catatan yang diubah." in page


def test_the_dashboard_shows_the_last_ten_entries(komite, world):
    for i in range(12):
        contribute(world["a"], 1_000 + i, world["komite_a"])
    page = komite.get(f"{A}/beranda").text
    assert "BKM-0013" in page and "BKM-0004" in page and "BKM-0003" not in page


def test_dates_show_as_day_month_year(komite, world):
    contribute(world["a"], 5_000, world["komite_a"], on=TODAY.replace(day=1))
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    assert f"1 {months[TODAY.month - 1]} {TODAY.year}" in komite.get(f"{A}/buku-kas").text


def test_the_teacher_sees_everything_and_can_change_nothing(guru, world):
    out = disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    entries.void_entry(
        world["a"],
        out,
        reason="Ukuran salah",
        form_key="v2",
        recorded_by=world["komite_a"],
        today=TODAY,
    )
    db.session.commit()
    dashboard = guru.get(f"{A}/beranda").text
    assert "Rp100.000" in dashboard
    assert "Catat uang masuk" not in dashboard and "/sumbangan/" not in dashboard
    assert "/penyaluran/baru" not in dashboard
    entry = guru.get(f"{A}/catatan/{out.id}").text
    assert "Komite_A" in entry  # who recorded it
    assert "WIB" in entry  # and when
    assert "Ukuran salah" in entry  # the void and its reason
    assert "<form" not in entry.split("<main>")[1].split("</main>")[0]
    book = guru.get(f"{A}/buku-kas").text
    assert "Koreksi atas BKK-0002: Ukuran salah" in book
    recipients = guru.get(f"{A}/penerima").text
    assert "Siti Aminah" in recipients
    assert "Tambah penerima" not in recipients and "/ubah" not in recipients


def test_the_cash_book_columns_and_running_balance(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/buku-kas").text
    for column in ["No", "Tanggal", "No Bukti", "Uraian", "Penerimaan", "Pengeluaran", "Saldo"]:
        assert '<th scope="col"' in page and f">{column}</th>" in page
    # Newest first; each Saldo is the balance after its line in date order: the back-dated
    # Rp20.000 first, then Rp100.000, then Rp50.000 out.
    assert [(no, saldo) for no, _number, _money, saldo in book_lines(page)] == [
        ("3", "Rp70.000"),
        ("2", "Rp120.000"),
        ("1", "Rp20.000"),
    ]


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_is_exactly_what_the_filter_shows(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    everything = read_csv(komite.get(f"{A}/buku-kas.csv"))
    assert everything[0] == [
        "No",
        "Tanggal",
        "No Bukti",
        "Uraian",
        "Penerimaan",
        "Pengeluaran",
        "Saldo",
    ]
    assert [row[4:] for row in everything[1:]] == [
        ["20000", "", "20000"],
        ["100000", "", "120000"],
        ["", "50000", "70000"],
    ]
    query = f"kind=disbursement&from={TODAY.isoformat()}&category=sepatu"
    assert read_csv(komite.get(f"{A}/buku-kas.csv?{query}"))[1:] == []
    query = f"kind=disbursement&from={TODAY.isoformat()}&category=seragam"
    response = komite.get(f"{A}/buku-kas.csv?{query}")
    assert response.mimetype == "text/csv"
    assert (
        f"buku-kas-20525555-disbursement_{TODAY.isoformat()}_seragam.csv"
        in (response.headers["Content-Disposition"])
    )
    rows = read_csv(response)
    assert len(rows) == 2 and rows[1][0] == "1" and rows[1][2] == "BKK-0003"
    page = komite.get(f"{A}/buku-kas?{query}").text
    assert "BKK-0003" in page and "BKM-0001" not in page
    assert "buku-kas.csv?kind=disbursement" in page


def test_the_cash_book_pages(komite, world, app):
    app.config["ENTRIES_PER_PAGE"] = 5
    for _i in range(11):
        contribute(world["a"], 1_000, world["komite_a"])
    first = komite.get(f"{A}/buku-kas?kind=contribution").text
    assert "Halaman 1 dari 3" in first
    assert [n for _no, n, _m, _s in book_lines(first)] == [f"BKM-{i:04d}" for i in range(12, 7, -1)]
    assert "page=2" in first and "kind=contribution" in first
    last = komite.get(f"{A}/buku-kas?kind=contribution&page=3").text
    assert [n for _no, n, _m, _s in book_lines(last)] == ["BKM-0002", "BKM-0001"]
    # The export is not paginated: the whole filter.
    assert len(read_csv(komite.get(f"{A}/buku-kas.csv?kind=contribution"))) == 13
    assert komite.get(f"{A}/buku-kas?page=999").status_code == 200


def test_a_bad_filter_is_ignored_with_a_message(komite, world):
    page = komite.get(f"{A}/buku-kas?from=kemarin&kind=bogus")
    assert page.status_code == 200
    assert "BKM-0001" in page.text
    assert "Tanggal tidak sah" in page.text


def test_scope_other_schools_objects_are_404(komite, world):
    b_entry, b_recipient = world["entry_b"].id, world["recipient_b"].id
    assert komite.get(f"{A}/catatan/{b_entry}").status_code == 404
    assert (
        komite.post(
            f"{A}/catatan/{b_entry}/batalkan", data={"reason": "x", "form_key": "k"}
        ).status_code
        == 404
    )
    assert komite.get(f"{A}/penerima/{b_recipient}/ubah").status_code == 404
    assert (
        komite.post(f"{A}/penerima/{b_recipient}/ubah", data={"name": "Diubah"}).status_code == 404
    )
    assert komite.get("/sekolah/20526666/buku-kas.csv").status_code == 404
    assert ledger.balance(world["b"]) == 50_000


def test_a_busy_database_asks_to_try_again(komite, world, monkeypatch):
    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(entries, "record_contribution", locked)
    response = komite.post(f"{A}/sumbangan/baru", data=contribution())
    assert response.status_code == 503
    assert "coba lagi" in response.text
    assert entries_of(world["a"]) == 1


def test_entry_kinds_are_labelled(komite, world):
    assert "Uang masuk BKM-0001" in komite.get(f"{A}/catatan/{world['entry_a'].id}").text
    assert world["entry_a"].kind == EntryKind.CONTRIBUTION


def test_a_post_without_its_one_time_key_is_refused(komite, world):
    """A missing key is not replaced by a fresh one: that would defeat the double-submit guard."""
    data = contribution()
    del data["form_key"]
    for _ in range(2):
        response = komite.post(f"{A}/sumbangan/baru", data=data)
        assert response.status_code == 422
        assert "Formulir tidak sah" in response.text
    assert entries_of(world["a"]) == 1
    void = komite.post(f"{A}/catatan/{world['entry_a'].id}/batalkan", data={"reason": "Salah"})
    assert void.status_code == 422
    assert ledger.balance(world["a"]) == 100_000


@pytest.mark.parametrize("day", ["2026-13-45", "10000-01-01", "kemarin"])
def test_a_malformed_date_says_so(komite, world, day):
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(occurred_on=day))
    assert response.status_code == 422
    assert "Tanggal tidak sah" in response.text


def test_a_kind_filter_nets_out_corrections(komite, world):
    out = disburse(world["a"], 60_000, world["komite_a"], world["recipient_a"])
    reversal = entries.void_entry(
        world["a"], out, reason="Batal", form_key="v3", recorded_by=world["komite_a"], today=TODAY
    )
    db.session.commit()
    page = komite.get(f"{A}/buku-kas?kind=disbursement").text
    assert "Pengeluaran Rp60.000" in page and "Penerimaan Rp60.000" in page  # the BKU columns
    assert f"(dibatalkan oleh {reversal.number})" in page
    rows = read_csv(komite.get(f"{A}/buku-kas.csv?kind=disbursement"))
    assert [r[2] for r in rows[1:]] == [out.number, reversal.number]
    assert f"(dibatalkan oleh {reversal.number})" in rows[1][3]
    contributions = komite.get(f"{A}/buku-kas?kind=contribution").text
    assert out.number not in contributions and reversal.number not in contributions


@pytest.mark.parametrize(
    "query",
    [
        "npsn=x",
        "_method=POST",
        "_external=1",
        "_anchor=x",
        "page=-1",
        "page=abc",
        "kind=xyz",
        "from=2026-13-45",
        "category=%00",
        "urut=%00",
        "urut=lama&page=-5",
        "urut=lama&urut=baru",
    ],
)
def test_crafted_cash_book_queries_never_fail(komite, world, query):
    response = komite.get(f"{A}/buku-kas?{query}")
    assert response.status_code == 200
    assert "BKM-0001" in response.text
    assert komite.get(f"{A}/buku-kas.csv?{query}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/sekolah/20525555/catatan/99999999999999999999999",
        "/sekolah/20525555/catatan/3000000000",
        "/sekolah/20525555/penerima/9999999999999999999999/ubah",
        "/sekolah/%00/beranda",
        "/sekolah/2052555%00/buku-kas",
        "/sekolah/xyz/beranda",
    ],
)
def test_impossible_ids_and_npsn_are_404(komite, world, url):
    assert komite.get(url).status_code == 404
    if url.endswith("/ubah"):
        assert komite.post(url, data={"name": "x"}).status_code == 404


def test_control_characters_are_dropped_from_typed_text(komite, world):
    response = komite.post(
        f"{A}/sumbangan/baru", data=contribution(note="Jumat\x00 berkah", class_label="8\x00B")
    )
    assert response.status_code == 200
    entry = db.session.scalar(select(Entry).where(Entry.note.is_not(None)))
    assert (entry.note, entry.class_label) == ("Jumat berkah", "8B")


@pytest.mark.parametrize("typed", ["٥٠٠٠٠", "５００００"])
def test_only_ascii_digits_count_as_an_amount(komite, world, typed):
    response = komite.post(f"{A}/sumbangan/baru", data=contribution(amount=typed))
    assert response.status_code == 422
    assert entries_of(world["a"]) == 1


def book_lines(page: str) -> list[tuple[str, str, str, str]]:
    """The cash book's lines as shown: (No, No Bukti, signed amount, Saldo), top to bottom."""
    body = page.split('id="book"')[1].split("<tbody>")[1].split("</tbody>")[0]
    lines = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        if len(cells) == 7:
            lines.append(
                (cells[0], cells[2], cells[4] or cells[5], cells[6].removeprefix("Saldo "))
            )
    return lines


def pager_link(page: str, rel: str) -> dict[str, str]:
    """The query of the pager's "prev" or "next" link."""
    href = re.search(rf'<a href="([^"]+)" rel="{rel}">', page).group(1)
    assert href.startswith(f"{A}/buku-kas?")
    return dict(parse_qsl(urlsplit(html.unescape(href)).query))


def test_the_cash_book_opens_on_the_newest_entries(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    newest = komite.get(f"{A}/buku-kas").text
    assert book_lines(newest) == [
        ("3", "BKK-0003", "−Rp50.000", "Rp70.000"),
        ("2", "BKM-0001", "+Rp100.000", "Rp120.000"),
        ("1", "BKM-0002", "+Rp20.000", "Rp20.000"),
    ]
    oldest = komite.get(f"{A}/buku-kas?urut=lama").text
    assert book_lines(oldest) == book_lines(newest)[::-1]
    # the two orders as links, the one shown marked; an unknown order is the default one
    assert f'<a href="{A}/buku-kas" aria-current="true">terbaru dulu</a>' in newest
    assert f'<a href="{A}/buku-kas?urut=lama" aria-current="true">terlama dulu</a>' in oldest
    assert book_lines(komite.get(f"{A}/buku-kas?urut=acak").text) == book_lines(newest)


def test_paging_keeps_the_order_and_the_filter(komite, world, app):
    app.config["ENTRIES_PER_PAGE"] = 5
    for _i in range(10):
        contribute(world["a"], 1_000, world["komite_a"])
    disburse(world["a"], 3_000, world["komite_a"], world["recipient_a"])
    first = komite.get(f"{A}/buku-kas").text  # 12 lines: BKM-0001..0011, BKK-0012
    assert "Halaman 1 dari 3" in first
    assert book_lines(first)[0] == ("12", "BKK-0012", "−Rp3.000", "Rp107.000")
    assert [no for no, *_ in book_lines(first)] == ["12", "11", "10", "9", "8"]
    assert pager_link(first, "next") == {"page": "2"}
    last = komite.get(f"{A}/buku-kas?page=3").text
    assert book_lines(last) == [
        ("2", "BKM-0002", "+Rp1.000", "Rp101.000"),
        ("1", "BKM-0001", "+Rp100.000", "Rp100.000"),
    ]
    oldest = komite.get(f"{A}/buku-kas?urut=lama&kind=contribution").text
    assert [no for no, *_ in book_lines(oldest)] == ["1", "2", "3", "4", "5"]
    assert "Halaman 1 dari 3" in oldest
    assert pager_link(oldest, "next") == {"kind": "contribution", "urut": "lama", "page": "2"}
    second = komite.get(f"{A}/buku-kas?urut=lama&kind=contribution&page=2").text
    assert book_lines(second)[0][1] == "BKM-0006"
    assert pager_link(second, "prev") == {"kind": "contribution", "urut": "lama", "page": "1"}
    # the filter form, the order links and "clear the filter" keep what they should
    assert '<input type="hidden" name="urut" value="lama">' in oldest
    assert f'<a href="{A}/buku-kas?urut=lama">Hapus saringan</a>' in oldest
    assert f'href="{A}/buku-kas?kind=contribution"' in oldest  # newest first, same filter
    newest = komite.get(f"{A}/buku-kas?kind=contribution").text
    assert "urut" not in re.search(r'<form method="get" class="filters".*?</form>', newest, re.S)[0]


def test_the_export_stays_in_date_order_whatever_the_screen_shows(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/buku-kas?urut=lama&kind=disbursement").text
    assert f'href="{A}/buku-kas.csv?kind=disbursement" download' in page
    expected = [["1", "BKM-0002"], ["2", "BKM-0001"], ["3", "BKK-0003"]]
    for query in ("", "?urut=lama", "?urut=baru"):
        rows = read_csv(komite.get(f"{A}/buku-kas.csv{query}"))
        assert [[r[0], r[2]] for r in rows[1:]] == expected


def test_a_fifty_line_page_stays_light(komite, world):
    for i in range(60):
        contribute(world["a"], 1_000 + i, world["komite_a"], note="Jumat berkah kelas delapan")
    page = komite.get(f"{A}/buku-kas")
    assert len(book_lines(page.text)) == 50
    assert len(page.data) < 25_000, len(page.data)


def test_a_missing_source_focuses_its_first_choice(komite, world):
    data = contribution()
    del data["source"]
    response = komite.post(f"{A}/sumbangan/baru", data=data)
    assert response.status_code == 422
    assert response.text.count("autofocus") == 1
    assert re.search(r'<input autofocus[^>]* id="source-0"', response.text)


def test_the_confirmation_shows_the_date_recorded(komite, world):
    yesterday = TODAY - timedelta(days=1)
    response = komite.post(
        f"{A}/sumbangan/baru", data=contribution(occurred_on=yesterday.isoformat())
    )
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    shown = f"{yesterday.day} {months[yesterday.month - 1]} {yesterday.year}"
    assert f"<strong>{shown}</strong>" in response.text.split('id="saved-date">')[1][:200]


@pytest.mark.parametrize(
    ("kind", "form"),
    [
        ("class", "/sumbangan/kelas?occurred_on="),
        ("individual", "/sumbangan/baru?occurred_on="),
        ("disbursement", "/penyaluran/baru?occurred_on="),
    ],
)
def test_a_void_offers_to_record_the_right_one(komite, world, kind, form):
    if kind == "disbursement":
        original = disburse(world["a"], 5_000, world["komite_a"], world["recipient_a"])
    elif kind == "class":
        original = world["entry_a"]
    else:
        original = contribute(
            world["a"], 5_000, world["komite_a"], source=Source.INDIVIDUAL, donor_name="Bu Ani"
        )
    reversal = entries.void_entry(
        world["a"],
        original,
        reason="Salah",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    page = komite.get(f"{A}/catatan/{reversal.id}").text
    redo = page.split('id="redo" href="')[1].split('"')[0].replace("&amp;", "&")
    assert redo.startswith(f"{A}{form}{original.occurred_on.isoformat()}")
    assert ("source=individual" in redo) == (kind == "individual")
    assert 'id="redo"' not in komite.get(f"{A}/catatan/{original.id}").text
