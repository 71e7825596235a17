"""The school pages through the browser's eyes: forms, messages, the cash book and its export."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from sas.dates import school_year_label, today_wib
from sas.extensions import db
from sas.ledger import services as ledger
from sas.models import Entry, EntryKind
from tests.conftest import contribute, disburse, login, make_recipient

A = "/schools/20525555"
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


@pytest.mark.parametrize("typed", ["25000", "25.000", "Rp 25.000", "Rp25.000"])
def test_recording_a_contribution_as_people_type_it(komite, world, typed):
    response = komite.post(f"{A}/contributions/new", data=contribution(amount=typed))
    assert response.status_code == 303
    entry = komite.get(response.headers["Location"])
    assert "Pemasukan tercatat." in entry.text
    assert "Rp25.000" in entry.text
    assert "Rp125.000" in komite.get(A).text


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
    response = komite.post(f"{A}/contributions/new", data=contribution(amount=typed))
    assert response.status_code == 422
    assert '<p class="error" id="amount-error">' in response.text
    assert message in response.text.split('id="amount-error">')[1].split("</p>")[0]
    assert entries_of(world["a"]) == 1


def test_the_per_entry_maximum_comes_from_configuration(komite, world, app):
    app.config["MAX_ENTRY_AMOUNT"] = 1_000_000
    response = komite.post(f"{A}/contributions/new", data=contribution(amount="1.000.001"))
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
    response = komite.post(f"{A}/contributions/new", data=contribution(occurred_on=day))
    assert response.status_code == 422
    assert message in response.text
    assert entries_of(world["a"]) == 1


def test_the_date_defaults_to_today_in_wib(komite, world):
    page = komite.get(f"{A}/contributions/new")
    assert f'value="{TODAY.isoformat()}"' in page.text


def test_every_form_carries_a_fresh_one_time_key(komite, world):
    marker = 'name="form_key" type="hidden" value="'
    keys = {komite.get(f"{A}/contributions/new").text.split(marker)[1][:32] for _ in range(3)}
    assert len(keys) == 3


def test_a_double_submit_records_once(komite, world):
    form = contribution()
    first = komite.post(f"{A}/contributions/new", data=form)
    second = komite.post(f"{A}/contributions/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert "tidak dicatat dua kali" in komite.get(second.headers["Location"]).text
    assert entries_of(world["a"]) == 2
    assert ledger.balance(world["a"]) == 125_000


def test_a_form_key_of_another_school_is_not_revealed(client, world):
    login(client, "komite_b")
    used = world["entry_a"].form_key
    response = client.post("/schools/20526666/contributions/new", data=contribution(form_key=used))
    assert response.status_code == 404
    assert entries_of(world["b"]) == 1


def test_an_anonymous_gift_shows_no_name(komite, world):
    komite.post(
        f"{A}/contributions/new",
        data=contribution(source="anonymous", donor_name="Bu Ani", class_label=""),
    )
    book = komite.get(f"{A}/ledger").text
    assert "Sumbangan tanpa nama" in book
    assert "Bu Ani" not in book


def test_recording_a_disbursement(komite, world):
    response = komite.post(f"{A}/disbursements/new", data=disbursement(world))
    assert response.status_code == 303
    page = komite.get(response.headers["Location"]).text
    assert "Penyaluran tercatat." in page
    assert "Siti Aminah" in page and "Barang" in page
    assert "Rp80.000" in komite.get(A).text


def test_an_overdraft_is_refused_showing_the_balance(komite, world):
    response = komite.post(f"{A}/disbursements/new", data=disbursement(world, amount="150.000"))
    assert response.status_code == 422
    assert "Saldo tidak cukup: saldo yang tersedia Rp100.000." in response.text
    assert entries_of(world["a"]) == 1


def test_a_recipient_of_another_school_cannot_be_chosen(komite, world):
    data = disbursement(world, recipient_id=world["recipient_b"].id)
    response = komite.post(f"{A}/disbursements/new", data=data)
    assert response.status_code == 422
    assert "Pilihan tidak sah." in response.text
    assert entries_of(world["a"]) == 1


def test_the_disbursement_form_offers_only_active_recipients(komite, world):
    make_recipient(world["a"], name="Sudah Lulus", active=False)
    page = komite.get(f"{A}/disbursements/new").text
    assert "Siti Aminah" in page and "Sudah Lulus" not in page and "Budi Santoso" not in page


def test_voiding_through_the_page(komite, world):
    out = disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/entries/{out.id}")
    assert "Batalkan dengan koreksi" in page.text
    response = komite.post(
        f"{A}/entries/{out.id}/void",
        data={"reason": "Sepatu dikembalikan", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 303
    void_page = komite.get(response.headers["Location"]).text
    assert "Sepatu dikembalikan" in void_page and out.number in void_page
    original = komite.get(f"{A}/entries/{out.id}").text
    assert "Dibatalkan oleh" in original and "Batalkan dengan koreksi" not in original
    assert "Rp100.000" in komite.get(A).text
    again = komite.post(
        f"{A}/entries/{out.id}/void", data={"reason": "lagi", "form_key": uuid.uuid4().hex}
    )
    assert again.status_code == 422
    assert "sudah dibatalkan" in again.text


def test_a_void_cannot_be_voided_through_the_page(komite, world):
    reversal = ledger.void_entry(
        world["a"],
        world["entry_a"],
        reason="Salah",
        form_key="v1",
        recorded_by=world["komite_a"],
        today=TODAY,
    )
    db.session.commit()
    assert "Batalkan dengan koreksi" not in komite.get(f"{A}/entries/{reversal.id}").text
    response = komite.post(
        f"{A}/entries/{reversal.id}/void", data={"reason": "x", "form_key": uuid.uuid4().hex}
    )
    assert response.status_code == 422
    assert "Koreksi tidak dapat dibatalkan." in response.text


def test_a_void_without_reason_is_refused(komite, world):
    response = komite.post(
        f"{A}/entries/{world['entry_a'].id}/void",
        data={"reason": "  ", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert "Alasan koreksi wajib diisi." in response.text
    assert ledger.balance(world["a"]) == 100_000


def test_voiding_spent_money_is_refused_with_a_clear_message(komite, world):
    disburse(world["a"], 90_000, world["komite_a"], world["recipient_a"])
    response = komite.post(
        f"{A}/entries/{world['entry_a'].id}/void",
        data={"reason": "Salah", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert "saldo akan menjadi negatif" in response.text and "Rp10.000" in response.text


def test_the_dashboard(komite, world):
    disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    page = komite.get(A).text
    assert '<strong id="balance">Rp70.000</strong>' in page
    assert "Masuk bulan ini" in page and "Rp100.000" in page and "Rp30.000" in page
    assert f"Siswa dibantu tahun ajaran {school_year_label(TODAY)}" in page
    assert "BKK-0002" in page and "BKM-0001" in page
    assert "Catat pemasukan" in page and "Catat penyaluran" in page


def test_the_dashboard_shows_the_last_ten_entries(komite, world):
    for i in range(12):
        contribute(world["a"], 1_000 + i, world["komite_a"])
    page = komite.get(A).text
    assert "BKM-0013" in page and "BKM-0004" in page and "BKM-0003" not in page


def test_dates_show_as_day_month_year(komite, world):
    contribute(world["a"], 5_000, world["komite_a"], on=TODAY.replace(day=1))
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    assert f"1 {months[TODAY.month - 1]} {TODAY.year}" in komite.get(f"{A}/ledger").text


def test_the_teacher_sees_everything_and_can_change_nothing(guru, world):
    out = disburse(world["a"], 30_000, world["komite_a"], world["recipient_a"])
    ledger.void_entry(
        world["a"],
        out,
        reason="Ukuran salah",
        form_key="v2",
        recorded_by=world["komite_a"],
        today=TODAY,
    )
    db.session.commit()
    dashboard = guru.get(A).text
    assert "Rp100.000" in dashboard
    assert "Catat pemasukan" not in dashboard and "/contributions/new" not in dashboard
    assert "/disbursements/new" not in dashboard
    entry = guru.get(f"{A}/entries/{out.id}").text
    assert "Komite_A" in entry  # who recorded it
    assert "WIB" in entry  # and when
    assert "Ukuran salah" in entry  # the void and its reason
    assert "<form" not in entry.split("<main>")[1].split("</main>")[0]
    book = guru.get(f"{A}/ledger").text
    assert "Koreksi atas BKK-0002: Ukuran salah" in book
    recipients = guru.get(f"{A}/recipients").text
    assert "Siti Aminah" in recipients
    assert "Tambah penerima" not in recipients and "/edit" not in recipients


def test_the_cash_book_columns_and_running_balance(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    page = komite.get(f"{A}/ledger").text
    for column in ["No", "Tanggal", "No Bukti", "Uraian", "Penerimaan", "Pengeluaran", "Saldo"]:
        assert '<th scope="col"' in page and f">{column}</th>" in page
    # Date order: the back-dated Rp20.000 first, then Rp100.000, then Rp50.000 out.
    saldos = [cell.split("</td>")[0] for cell in page.split('<td class="num">')[1:]][2::3]
    assert saldos == ["Rp20.000", "Rp120.000", "Rp70.000"]


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_is_exactly_what_the_filter_shows(komite, world):
    contribute(world["a"], 20_000, world["komite_a"], on=TODAY - timedelta(days=2))
    disburse(world["a"], 50_000, world["komite_a"], world["recipient_a"])
    everything = read_csv(komite.get(f"{A}/ledger.csv"))
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
    assert read_csv(komite.get(f"{A}/ledger.csv?{query}"))[1:] == []
    query = f"kind=disbursement&from={TODAY.isoformat()}&category=seragam"
    response = komite.get(f"{A}/ledger.csv?{query}")
    assert response.mimetype == "text/csv"
    assert (
        f"buku-kas-20525555-disbursement_{TODAY.isoformat()}_seragam.csv"
        in (response.headers["Content-Disposition"])
    )
    rows = read_csv(response)
    assert len(rows) == 2 and rows[1][0] == "1" and rows[1][2] == "BKK-0003"
    page = komite.get(f"{A}/ledger?{query}").text
    assert "BKK-0003" in page and "BKM-0001" not in page
    assert "ledger.csv?kind=disbursement" in page


def test_the_cash_book_pages(komite, world, app):
    app.config["ENTRIES_PER_PAGE"] = 5
    for _i in range(11):
        contribute(world["a"], 1_000, world["komite_a"])
    first = komite.get(f"{A}/ledger?kind=contribution").text
    assert "Halaman 1 dari 3" in first and "BKM-0005" in first and "BKM-0006" not in first
    assert "page=2" in first and "kind=contribution" in first
    last = komite.get(f"{A}/ledger?kind=contribution&page=3").text
    assert "BKM-0011" in last and "BKM-0012" in last and "BKM-0010" not in last
    # The export is not paginated: the whole filter.
    assert len(read_csv(komite.get(f"{A}/ledger.csv?kind=contribution"))) == 13
    assert komite.get(f"{A}/ledger?page=999").status_code == 200


def test_a_bad_filter_is_ignored_with_a_message(komite, world):
    page = komite.get(f"{A}/ledger?from=kemarin&kind=bogus")
    assert page.status_code == 200
    assert "BKM-0001" in page.text
    assert "Tanggal tidak sah" in page.text


def test_scope_other_schools_objects_are_404(komite, world):
    b_entry, b_recipient = world["entry_b"].id, world["recipient_b"].id
    assert komite.get(f"{A}/entries/{b_entry}").status_code == 404
    assert (
        komite.post(
            f"{A}/entries/{b_entry}/void", data={"reason": "x", "form_key": "k"}
        ).status_code
        == 404
    )
    assert komite.get(f"{A}/recipients/{b_recipient}/edit").status_code == 404
    assert (
        komite.post(f"{A}/recipients/{b_recipient}/edit", data={"name": "Diubah"}).status_code
        == 404
    )
    assert komite.get("/schools/20526666/ledger.csv").status_code == 404
    assert ledger.balance(world["b"]) == 50_000


def test_a_busy_database_asks_to_try_again(komite, world, monkeypatch):
    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(ledger, "record_contribution", locked)
    response = komite.post(f"{A}/contributions/new", data=contribution())
    assert response.status_code == 503
    assert "coba lagi" in response.text
    assert entries_of(world["a"]) == 1


def test_entry_kinds_are_labelled(komite, world):
    assert "Pemasukan BKM-0001" in komite.get(f"{A}/entries/{world['entry_a'].id}").text
    assert world["entry_a"].kind == EntryKind.CONTRIBUTION


def test_a_post_without_its_one_time_key_is_refused(komite, world):
    """A missing key is not replaced by a fresh one: that would defeat the double-submit guard."""
    data = contribution()
    del data["form_key"]
    for _ in range(2):
        response = komite.post(f"{A}/contributions/new", data=data)
        assert response.status_code == 422
        assert "Formulir tidak sah" in response.text
    assert entries_of(world["a"]) == 1
    void = komite.post(f"{A}/entries/{world['entry_a'].id}/void", data={"reason": "Salah"})
    assert void.status_code == 422
    assert ledger.balance(world["a"]) == 100_000


@pytest.mark.parametrize("day", ["2026-13-45", "10000-01-01", "kemarin"])
def test_a_malformed_date_says_so(komite, world, day):
    response = komite.post(f"{A}/contributions/new", data=contribution(occurred_on=day))
    assert response.status_code == 422
    assert "Tanggal tidak sah" in response.text


def test_a_kind_filter_nets_out_corrections(komite, world):
    out = disburse(world["a"], 60_000, world["komite_a"], world["recipient_a"])
    reversal = ledger.void_entry(
        world["a"], out, reason="Batal", form_key="v3", recorded_by=world["komite_a"], today=TODAY
    )
    db.session.commit()
    page = komite.get(f"{A}/ledger?kind=disbursement").text
    assert "Pengeluaran Rp60.000" in page and "Penerimaan Rp60.000" in page
    assert f"(dibatalkan oleh {reversal.number})" in page
    rows = read_csv(komite.get(f"{A}/ledger.csv?kind=disbursement"))
    assert [r[2] for r in rows[1:]] == [out.number, reversal.number]
    assert f"(dibatalkan oleh {reversal.number})" in rows[1][3]
    contributions = komite.get(f"{A}/ledger?kind=contribution").text
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
    ],
)
def test_crafted_cash_book_queries_never_fail(komite, world, query):
    response = komite.get(f"{A}/ledger?{query}")
    assert response.status_code == 200
    assert "BKM-0001" in response.text
    assert komite.get(f"{A}/ledger.csv?{query}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/schools/20525555/entries/99999999999999999999999",
        "/schools/20525555/entries/3000000000",
        "/schools/20525555/recipients/9999999999999999999999/edit",
        "/schools/%00",
        "/schools/2052555%00/ledger",
        "/schools/xyz",
    ],
)
def test_impossible_ids_and_npsn_are_404(komite, world, url):
    assert komite.get(url).status_code == 404
    if url.endswith("/edit"):
        assert komite.post(url, data={"name": "x"}).status_code == 404


def test_control_characters_are_dropped_from_typed_text(komite, world):
    response = komite.post(
        f"{A}/contributions/new", data=contribution(note="Jumat\x00 berkah", class_label="8\x00B")
    )
    assert response.status_code == 303
    entry = db.session.scalar(select(Entry).where(Entry.note.is_not(None)))
    assert (entry.note, entry.class_label) == ("Jumat berkah", "8B")


@pytest.mark.parametrize("typed", ["٥٠٠٠٠", "５００００"])
def test_only_ascii_digits_count_as_an_amount(komite, world, typed):
    response = komite.post(f"{A}/contributions/new", data=contribution(amount=typed))
    assert response.status_code == 422
    assert entries_of(world["a"]) == 1
