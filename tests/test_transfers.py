"""Sekolah Asuh Sekolah: transfers between two schools' funds and requests for help."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from sas import integrity, ledger
from sas.cashbook import services as cashbook
from sas.dates import school_year_label, school_year_start, today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import chain, totals
from sas.models import (
    AuditEvent,
    Category,
    Entry,
    EntryKind,
    Fund,
    HelpRequest,
    RequestStatus,
    Role,
    School,
    Transfer,
    User,
    YearTotal,
)
from sas.reports import services as reports
from sas.transfers import moving
from sas.transfers import services as board
from tests.factories import contribute, disburse, make_recipient, make_school, make_user
from tests.threads import THREADS, run_at_once
from tests.web import login


def send(giver, receiver, amount, user, request=None, key=None, on=None):  # type: ignore[no-untyped-def]
    moved = moving.transfer(
        giver,
        receiver,
        amount=amount,
        occurred_on=on or today_wib(),
        request=request,
        note="Sekolah Asuh Sekolah",
        recorded_by=user,
        form_key=key or uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return moved


def ask(school, amount, user, category=Category.SEPATU):  # type: ignore[no-untyped-def]
    request = board.post_request(
        school,
        amount=amount,
        category=category,
        description="Sepatu untuk 4 siswa kelas 1",
        deadline=None,
        created_by=user,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return request


def void_pair(moved, user, reason="Salah sekolah tujuan"):  # type: ignore[no-untyped-def]
    moving.void_transfer(
        moved, reason=reason, recorded_by=user, form_key=uuid.uuid4().hex, today=today_wib()
    )
    db.session.commit()


def entry_count() -> int:
    return db.session.scalar(select(func.count(Entry.id))) or 0


# --- one transfer ------------------------------------------------------------------------------


def test_a_transfer_is_two_entries_one_in_each_ledger(app, world):
    a, b = world["a"], world["b"]
    moved = send(a, b, 40_000, world["komite_a"])
    assert (ledger.balance(a), ledger.balance(b)) == (60_000, 90_000)
    out, into = (
        db.session.scalar(select(Entry).where(Entry.transfer_id == moved.id, Entry.kind == k))
        for k in (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)
    )
    assert (out.school_id, out.amount, out.number) == (a.id, 40_000, "TRK-0002")
    assert (into.school_id, into.amount, into.number) == (b.id, 40_000, "TRM-0002")
    assert cashbook.describe(out) == "Transfer keluar ke SD Negeri 2 Genteng — Sekolah Asuh Sekolah"
    assert (
        cashbook.describe(into)
        == "Transfer masuk dari SMP Negeri 1 Banyuwangi — Sekolah Asuh Sekolah"
    )
    assert into.receipt_number.startswith("SAS/20526666/")
    assert chain.verify(a).ok and chain.verify(b).ok
    # the chain seals the pairing: a half moved to another transfer no longer verifies
    assert chain.entry_hash(out) == out.hash
    assert (
        chain.entry_hash({**{n: getattr(out, n) for n in chain.CONTENT}, "transfer_id": 99})
        != out.hash
    )
    # neither collected nor given: their own columns
    year = today_wib().year - (today_wib().month < 7)
    ya, yb = db.session.get(YearTotal, (a.id, year)), db.session.get(YearTotal, (b.id, year))
    assert (ya.collected, ya.disbursed, ya.transferred_out, ya.transferred_in) == (
        100_000,
        0,
        40_000,
        0,
    )
    assert (yb.collected, yb.disbursed, yb.transferred_out, yb.transferred_in) == (
        50_000,
        0,
        0,
        40_000,
    )
    assert totals.differences() == []
    actions = db.session.scalars(
        select(AuditEvent.school_id).where(AuditEvent.action == "transfer.recorded")
    ).all()
    assert sorted(actions) == sorted([a.id, b.id])


def test_an_old_entry_hashes_as_before_the_transfer_column(app, world):
    """transfer_id joined the chain content only when set: entries without it keep the hash
    they were sealed with before the column existed."""
    import hashlib
    import json

    entry = world["entry_a"]
    old = {n: chain._plain(getattr(entry, n)) for n in chain.CONTENT if n != "transfer_id"}
    digest = hashlib.sha256(
        json.dumps(old, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert digest == entry.hash


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (100_001, "Saldo tidak cukup: saldo yang tersedia Rp100.000."),
        (0, "Jumlah harus lebih dari Rp0."),
    ],
)
def test_a_transfer_beyond_the_balance_is_refused(app, world, amount, message):
    with pytest.raises(ledger.LedgerError, match=message.replace(".", r"\.")):
        send(world["a"], world["b"], amount, world["komite_a"])
    db.session.rollback()
    assert entry_count() == 2 and ledger.balance(world["b"]) == 50_000


def test_reservations_and_back_dating_hold_money_back(app, world):
    a = world["a"]
    yesterday = today_wib() - timedelta(days=1)
    # Rp100.000 came in today: nothing was there yesterday
    with pytest.raises(ledger.InsufficientBalance):
        send(a, world["b"], 10_000, world["komite_a"], on=yesterday)
    db.session.rollback()
    fund = db.session.get(Fund, a.id)
    fund.reserved = 70_000  # as a disbursement waiting for approval would
    db.session.commit()
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp30\.000"):
        send(a, world["b"], 40_000, world["komite_a"])
    db.session.rollback()
    fund = db.session.get(Fund, a.id)
    fund.reserved = 0
    db.session.commit()


def test_only_to_another_active_school_of_the_same_kabupaten(app, world):
    a = world["a"]
    elsewhere = make_school("20530001", "35.09.01", name="SMP Negeri 1 Jember")
    closed = make_school("20530002", "35.10.05", name="SD Negeri 9 Muncar", active=False)
    for receiver, message in (
        (a, "dirinya sendiri"),
        (elsewhere, "kabupaten yang sama"),
        (closed, "harus aktif"),
    ):
        with pytest.raises(ledger.LedgerError, match=message):
            send(a, receiver, 10_000, world["komite_a"])
        db.session.rollback()
    assert entry_count() == 2


def test_a_failure_between_the_two_halves_leaves_neither(app, world, monkeypatch):
    a, b = world["a"], world["b"]
    before = (totals.expected_totals().years.copy(), entry_count())
    real, calls = moving.append, []

    def append_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0].id)
        if len(calls) == 2:
            raise RuntimeError("the server went away between the halves")
        return real(*args, **kwargs)

    monkeypatch.setattr(moving, "append", append_then_fail)
    with pytest.raises(RuntimeError):
        send(a, b, 30_000, world["komite_a"])
    db.session.rollback()
    assert calls == [a.id, b.id]
    assert entry_count() == before[1]
    assert db.session.scalar(select(func.count(Transfer.id))) == 0
    assert (ledger.balance(a), ledger.balance(b)) == (100_000, 50_000)
    assert totals.expected_totals().years == before[0]
    assert totals.differences() == []
    assert chain.verify(a).ok and chain.verify(b).ok


def test_the_same_form_twice_moves_money_once(app, world):
    key = uuid.uuid4().hex
    first = send(world["a"], world["b"], 10_000, world["komite_a"], key=key)
    with pytest.raises(moving.DuplicateTransfer) as dup:
        send(world["a"], world["b"], 10_000, world["komite_a"], key=key)
    db.session.rollback()
    assert dup.value.transfer.id == first.id
    assert ledger.balance(world["a"]) == 90_000


# --- requests ----------------------------------------------------------------------------------


def test_a_request_is_filled_by_transfers_and_never_beyond_what_was_asked(app, world):
    a, b = world["a"], world["b"]
    request = ask(b, 60_000, world["komite_b"])
    send(a, b, 45_000, world["komite_a"], request=request)
    db.session.refresh(request)
    assert (request.received, request.remaining, request.status) == (
        45_000,
        15_000,
        RequestStatus.OPEN,
    )
    with pytest.raises(ledger.LedgerError, match=r"tinggal membutuhkan Rp15\.000"):
        send(a, b, 20_000, world["komite_a"], request=request)
    db.session.rollback()
    send(a, b, 15_000, world["komite_a"], request=request)
    db.session.refresh(request)
    assert (request.remaining, request.status) == (0, RequestStatus.FULFILLED)
    with pytest.raises(ledger.LedgerError, match="sudah tidak terbuka"):
        send(a, b, 1_000, world["komite_a"], request=request)
    db.session.rollback()


def test_a_withdrawn_request_takes_no_transfer(app, world):
    request = ask(world["b"], 60_000, world["komite_b"])
    board.close_request(request, RequestStatus.WITHDRAWN, closed_by=world["komite_b"])
    db.session.commit()
    with pytest.raises(ledger.LedgerError, match="sudah tidak terbuka"):
        send(world["a"], world["b"], 1_000, world["komite_a"], request=request)
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="tidak ditemukan"):  # not the receiver's
        send(world["b"], world["a"], 1_000, world["komite_b"], request=request)
    db.session.rollback()


# --- voids -------------------------------------------------------------------------------------


def test_a_transfer_is_voided_only_as_a_pair(app, world):
    a, b = world["a"], world["b"]
    request = ask(b, 40_000, world["komite_b"])
    moved = send(a, b, 40_000, world["komite_a"], request=request)
    for entry in db.session.scalars(select(Entry).where(Entry.transfer_id == moved.id)).all():
        assert not entry.can_be_voided
        with pytest.raises(ledger.LedgerError, match="berpasangan"):
            entries.void_entry(
                db.session.get(School, entry.school_id),
                entry,
                reason="sendiri",
                recorded_by=world["komite_a"],
                form_key=uuid.uuid4().hex,
                today=today_wib(),
            )
        db.session.rollback()
    void_pair(moved, world["komite_a"])
    assert (ledger.balance(a), ledger.balance(b)) == (100_000, 50_000)
    db.session.refresh(request)
    assert (request.received, request.status) == (0, RequestStatus.OPEN)
    db.session.refresh(moved)
    assert moved.voided and moved.void_reason == "Salah sekolah tujuan"
    voids = db.session.scalars(
        select(Entry).where(Entry.transfer_id == moved.id, Entry.kind == EntryKind.VOID)
    ).all()
    assert sorted((v.school_id, v.direction.value) for v in voids) == sorted(
        [(a.id, "in"), (b.id, "out")]
    )
    assert chain.verify(a).ok and chain.verify(b).ok
    assert totals.differences() == []
    year = db.session.get(YearTotal, (a.id, today_wib().year - (today_wib().month < 7)))
    assert (year.transferred_out, year.collected) == (0, 100_000)
    with pytest.raises(ledger.LedgerError, match="sudah dibatalkan"):
        void_pair(moved, world["komite_a"])
    db.session.rollback()


def test_a_void_form_sent_twice_voids_once_and_says_so(client, world):
    a, b = world["a"], world["b"]
    moved = send(a, b, 10_000, world["komite_a"])
    login(client, "komite_a")
    url = f"/sekolah/{a.npsn}/transfer/{moved.id}/batalkan"
    void = {"reason": "Salah sekolah", "form_key": uuid.uuid4().hex}
    assert client.post(url, data=void).status_code == 303
    again = client.post(url, data=void)
    assert again.status_code == 303
    assert "sudah tersimpan sebelumnya" in client.get(again.headers["Location"]).text
    assert (ledger.balance(a), ledger.balance(b)) == (100_000, 50_000)


def test_a_pair_cannot_be_voided_once_the_receiver_spent_it(app, world):
    a, b = world["a"], world["b"]
    moved = send(a, b, 40_000, world["komite_a"])
    disburse(b, 80_000, world["komite_b"], world["recipient_b"])
    with pytest.raises(ledger.LedgerError, match=r"sudah memakai dana ini.*Rp10\.000"):
        void_pair(moved, world["komite_a"])
    db.session.rollback()
    assert (ledger.balance(a), ledger.balance(b)) == (60_000, 10_000)


# --- reports -----------------------------------------------------------------------------------


def test_a_transfer_voided_in_a_later_month_makes_no_top_school_of_that_month(app, world):
    """Net of voids, that month moved -Rp20.000 from A to B: a flow, never a top giver."""
    a, b = world["a"], world["b"]
    this_month = today_wib().replace(day=1)
    earlier = (this_month - timedelta(days=1)).replace(day=1)
    contribute(a, 20_000, world["komite_a"], on=earlier)
    void_pair(send(a, b, 20_000, world["komite_a"], on=earlier), world["komite_a"])
    flt = reports.ReportFilter(
        school_year_start(this_month), month_from=this_month, month_to=this_month
    )
    flows = reports.transfer_flows(a.kecamatan.parent, flt)
    assert [(f.amount, f.count) for f in flows.pairs] == [(-20_000, -1)]
    assert flows.top_giving == [] and flows.top_receiving == []


def test_district_totals_do_not_count_money_moved_between_schools(app, world):
    a, b = world["a"], world["b"]
    disburse(a, 20_000, world["komite_a"], world["recipient_a"])
    kabupaten = a.kecamatan.parent
    flt = reports.ReportFilter(school_year_start(today_wib()))

    def headline():  # type: ignore[no-untyped-def]
        db.session.expire_all()
        return reports.district_report(kabupaten, flt, today_wib()).total

    before = headline()
    first = send(a, b, 30_000, world["komite_a"])
    send(b, a, 5_000, world["komite_b"])
    after = headline()
    assert (after.collected, after.disbursed, after.balance) == (
        before.collected,
        before.disbursed,
        before.balance,
    )
    assert (before.transferred_out, after.transferred_out, after.transferred_in) == (
        0,
        35_000,
        35_000,
    )
    flows = reports.transfer_flows(kabupaten, flt)
    assert {(f.from_code, f.to_code, f.amount, f.count) for f in flows.pairs} == {
        ("35.10.16", "35.10.09", 30_000, 1),
        ("35.10.09", "35.10.16", 5_000, 1),
    }
    assert [(s.npsn, s.amount) for s in flows.top_giving] == [
        ("20525555", 30_000),
        ("20526666", 5_000),
    ]
    assert [(s.npsn, s.amount) for s in flows.top_receiving] == [
        ("20526666", 30_000),
        ("20525555", 5_000),
    ]
    void_pair(first, world["komite_a"])
    voided = headline()
    assert (voided.collected, voided.disbursed, voided.transferred_out) == (
        before.collected,
        before.disbursed,
        5_000,
    )
    assert sum(f.amount for f in reports.transfer_flows(kabupaten, flt).pairs) == 5_000
    # a school's summary: in and out apart, the balance right
    summary = reports.school_summary(b, flt, today_wib())
    assert (summary.figures.transferred_in, summary.figures.transferred_out) == (0, 5_000)
    assert summary.figures.balance == ledger.balance(b) == 45_000
    assert summary.months[-1].balance == 45_000 or any(m.balance == 45_000 for m in summary.months)


# --- concurrency -------------------------------------------------------------------------------


def test_concurrent_transfers_from_one_school_never_overdraw(app, world):
    ids = [make_school(name=f"SD Negeri {i} Kabat", kecamatan="35.10.14").id for i in range(3)]
    a_id, user_id = world["a"].id, world["komite_a"].id

    def give(i: int) -> str:
        try:
            moving.transfer(
                db.session.get(School, a_id),
                db.session.get(School, ids[i % 3]),
                amount=15_000,
                occurred_on=today_wib(),
                request=None,
                note=None,
                recorded_by=db.session.get(User, user_id),
                form_key=uuid.uuid4().hex,
                today=today_wib(),
            )
            db.session.commit()
            return "ok"
        except ledger.InsufficientBalance:
            db.session.rollback()
            return "refused"

    results = run_at_once(app, give)
    assert results.count("ok") == 6, results
    assert results.count("refused") == THREADS - 6, results
    db.session.expire_all()
    assert ledger.balance(world["a"]) == 10_000
    assert sum(ledger.balance(db.session.get(School, i)) for i in ids) == 90_000
    assert ledger.lowest_running_balance(world["a"]) >= 0


def test_two_schools_filling_one_request_at_once_never_overfill_it(app, world):
    c = make_school("20527777", "35.10.14", name="SMP Negeri 1 Kabat")
    komite_c = make_user("komite_c", Role.COMMITTEE, c)
    contribute(c, 100_000, komite_c)
    request = ask(world["b"], 30_000, world["komite_b"])
    senders = [(world["a"].id, world["komite_a"].id), (c.id, komite_c.id)]
    b_id, request_id = world["b"].id, request.id

    def give(i: int) -> str | None:
        if i >= 2:
            return None
        school_id, user_id = senders[i]
        try:
            moving.transfer(
                db.session.get(School, school_id),
                db.session.get(School, b_id),
                amount=20_000,
                occurred_on=today_wib(),
                request=db.session.get(HelpRequest, request_id),
                note=None,
                recorded_by=db.session.get(User, user_id),
                form_key=uuid.uuid4().hex,
                today=today_wib(),
            )
            db.session.commit()
            return "ok"
        except ledger.LedgerError as error:
            db.session.rollback()
            return str(error)

    results = run_at_once(app, give)[:2]
    assert results.count("ok") == 1, results
    refusal = next(r for r in results if r != "ok")
    assert "tinggal membutuhkan Rp10.000" in refusal
    db.session.expire_all()
    request = db.session.get(HelpRequest, request_id)
    assert (request.received, request.status) == (20_000, RequestStatus.OPEN)
    assert ledger.balance(world["b"]) == 70_000


# --- pages -------------------------------------------------------------------------------------


def test_a_committee_answers_a_request_from_the_board(client, world):
    a, b = world["a"], world["b"]
    request = ask(b, 60_000, world["komite_b"])
    login(client, "komite_a")
    page = client.get("/kabupaten/35.10/bantuan").get_data(as_text=True)
    assert "SD Negeri 2 Genteng" in page and "Rp60.000" in page and "Genteng" in page
    page = client.get(f"/bantuan/{request.id}").get_data(as_text=True)
    assert "Sepatu untuk 4 siswa kelas 1" in page and "Bantu sekolah ini" in page
    # the request is all another school learns of the receiving school's needs
    assert "Budi Santoso" not in page and "Rp50.000" not in page
    form = client.get(f"/sekolah/{a.npsn}/transfer/baru?request={request.id}")
    assert form.status_code == 200 and "masih dibutuhkan Rp60.000" in form.get_data(as_text=True)
    data = {
        "to_school": b.npsn,
        "amount": "70.000",
        "occurred_on": today_wib().isoformat(),
        "request_id": str(request.id),
        "form_key": uuid.uuid4().hex,
    }
    refused = client.post(f"/sekolah/{a.npsn}/transfer/baru", data=data)
    assert refused.status_code == 422
    assert "tinggal membutuhkan Rp60.000" in refused.get_data(as_text=True)
    sent = client.post(f"/sekolah/{a.npsn}/transfer/baru", data={**data, "amount": "60.000"})
    assert sent.status_code == 303
    moved = db.session.scalar(select(Transfer))
    assert sent.location.endswith(f"/sekolah/{a.npsn}/transfer/{moved.id}")
    assert (ledger.balance(a), ledger.balance(b)) == (40_000, 110_000)
    again = client.post(f"/sekolah/{a.npsn}/transfer/baru", data={**data, "amount": "60.000"})
    assert again.status_code == 303 and db.session.scalar(select(func.count(Transfer.id))) == 1
    book = client.get(f"/sekolah/{a.npsn}/buku-kas").get_data(as_text=True)
    assert "Transfer keluar ke SD Negeri 2 Genteng" in book and "TRK-0002" in book
    # the receiving school sees it at once, with its own label, and prints its kuitansi
    client.post("/keluar")
    login(client, "guru_b")
    board_page = client.get(f"/sekolah/{b.npsn}/beranda").get_data(as_text=True)
    assert "Transfer masuk dari SMP Negeri 1 Banyuwangi" in board_page
    detail = client.get(f"/sekolah/{b.npsn}/transfer/{moved.id}").get_data(as_text=True)
    assert "Batalkan kedua sisi" not in detail and "TRM-0002" in detail
    into = db.session.scalar(select(Entry).where(Entry.kind == EntryKind.TRANSFER_IN))
    kuitansi = client.get(f"/sekolah/{b.npsn}/catatan/{into.id}/kuitansi")
    assert kuitansi.status_code == 200
    assert "Tim SAS SMP Negeri 1 Banyuwangi" in kuitansi.get_data(as_text=True)
    entry_page = client.get(f"/sekolah/{b.npsn}/catatan/{into.id}").get_data(as_text=True)
    assert "berpasangan" in entry_page and "Batalkan dengan koreksi" not in entry_page


def test_a_request_is_posted_withdrawn_and_fulfilled_by_its_own_committee(client, world):
    b = world["b"]
    login(client, "komite_b")
    form = client.get(f"/sekolah/{b.npsn}/bantuan/baru").get_data(as_text=True)
    assert "Jangan tulis nama" in form
    data = {
        "amount": "250.000",
        "category": "seragam",
        "description": "Seragam untuk 5 siswa",
        "form_key": uuid.uuid4().hex,
    }
    posted = client.post(f"/sekolah/{b.npsn}/bantuan/baru", data=data)
    assert posted.status_code == 303
    first = db.session.scalar(select(HelpRequest))
    assert (first.amount, first.status) == (250_000, RequestStatus.OPEN)
    page = client.get(f"/bantuan/{first.id}").get_data(as_text=True)
    assert "Tarik permintaan" in page and "Bantu sekolah ini" not in page
    # another school's committee cannot close it
    client.post("/keluar")
    login(client, "komite_a")
    assert "Tarik permintaan" not in client.get(f"/bantuan/{first.id}").get_data(as_text=True)
    assert client.post(f"/sekolah/{b.npsn}/bantuan/{first.id}/tarik").status_code == 404
    assert client.post(f"/sekolah/{world['a'].npsn}/bantuan/{first.id}/tarik").status_code == 404
    client.post("/keluar")
    login(client, "komite_b")
    assert client.post(f"/sekolah/{b.npsn}/bantuan/{first.id}/tarik").status_code == 303
    db.session.refresh(first)
    assert first.status == RequestStatus.WITHDRAWN
    assert "Rp250.000" not in client.get("/kabupaten/35.10/bantuan").get_data(as_text=True)
    second = ask(b, 10_000, world["komite_b"])
    assert client.post(f"/sekolah/{b.npsn}/bantuan/{second.id}/terpenuhi").status_code == 303
    db.session.refresh(second)
    assert second.status == RequestStatus.FULFILLED


def test_transfer_scope(client, world):
    a, b = world["a"], world["b"]
    far = make_school("20530001", "35.09.01", name="SMP Negeri 1 Jember")
    make_user("komite_far", Role.COMMITTEE, far)
    data = {
        "to_school": b.npsn,
        "amount": "10.000",
        "occurred_on": today_wib().isoformat(),
        "form_key": uuid.uuid4().hex,
    }
    login(client, "komite_a")
    # only from its own school
    assert client.post(f"/sekolah/{b.npsn}/transfer/baru", data=data).status_code == 404
    # only to a school of the same kabupaten
    response = client.post(f"/sekolah/{a.npsn}/transfer/baru", data={**data, "to_school": far.npsn})
    assert response.status_code == 422
    assert "20530001" not in client.get(f"/sekolah/{a.npsn}/transfer/baru").get_data(as_text=True)
    assert entry_count() == 2
    moved = send(a, b, 10_000, world["komite_a"])
    # the receiving school's committee sees the pair but cannot void it; nobody else sees it
    client.post("/keluar")
    login(client, "komite_b")
    assert client.get(f"/sekolah/{b.npsn}/transfer/{moved.id}").status_code == 200
    void = {"reason": "salah", "form_key": uuid.uuid4().hex}
    assert (
        client.post(f"/sekolah/{b.npsn}/transfer/{moved.id}/batalkan", data=void).status_code == 403
    )
    client.post("/keluar")
    login(client, "komite_far")
    assert client.get(f"/sekolah/{far.npsn}/transfer/{moved.id}").status_code == 404
    assert client.get("/kabupaten/35.10/bantuan").status_code == 404
    assert client.get("/kabupaten/35.09/bantuan").status_code == 200
    client.post("/keluar")
    login(client, "guru_a")
    assert (
        client.post(f"/sekolah/{a.npsn}/transfer/{moved.id}/batalkan", data=void).status_code == 403
    )
    client.post("/keluar")
    login(client, "komite_a")
    assert (
        client.post(f"/sekolah/{a.npsn}/transfer/{moved.id}/batalkan", data=void).status_code == 303
    )
    assert (ledger.balance(a), ledger.balance(b)) == (100_000, 50_000)


def test_exports_and_the_api_carry_transfers(client, world):
    a, b = world["a"], world["b"]
    send(a, b, 30_000, world["komite_a"])
    year = school_year_label(school_year_start(today_wib()))
    login(client, "dinas")
    page = client.get("/kabupaten/35.10").get_data(as_text=True)
    assert 'id="moved">Rp30.000' in page and 'id="flows"' in page
    assert 'id="collected">Rp150.000' in page and 'id="disbursed">Rp0' in page
    flows = client.get("/kabupaten/35.10/unduh.csv?table=flows").get_data(as_text=True)
    assert "35.10.16,Banyuwangi,35.10.09" in flows and ",30000,1" in flows
    kecamatan = client.get("/kabupaten/35.10/unduh.csv").get_data(as_text=True).splitlines()
    assert kecamatan[0].endswith("Transfer masuk (Rp),Transfer keluar (Rp)")
    assert kecamatan[-1].endswith(",30000,30000")
    summary = client.get(f"/sekolah/{b.npsn}/ringkasan").get_data(as_text=True)
    assert 'id="transferred-in">Rp30.000' in summary
    api = client.get(f"/api/v1/transfers?school_year={year}").get_json()
    assert api["total"] == 30_000
    assert api["flows"] == [
        {"from": "35.10.16", "to": "35.10.09", "amount": 30_000, "transfers": 1}
    ]
    assert api["top_receiving"][0]["npsn"] == b.npsn
    figures = client.get("/api/v1/summary").get_json()["figures"]
    assert (figures["collected"], figures["transferred_in"], figures["transferred_out"]) == (
        150_000,
        30_000,
        30_000,
    )
    months = client.get(f"/api/v1/schools/{a.npsn}/months").get_json()
    assert months["figures"]["transferred_out"] == 30_000
    assert sum(m["transferred_out"] for m in months["months"]) == 30_000
    # the public page: aggregates only, and never counts a transfer as collected or given
    client.post("/keluar")
    public = client.get("/").get_data(as_text=True)
    assert "Rp150.000" in public and "Rp180.000" not in public


def test_check_totals_compares_what_a_request_received_with_its_transfers(app, world):
    a, b = world["a"], world["b"]
    request = ask(b, 30_000, world["komite_b"])
    send(a, b, 10_000, world["komite_a"], request=request)
    void_pair(send(a, b, 5_000, world["komite_a"], request=request), world["komite_a"])
    assert integrity.check_totals() == []  # 10.000 received: the voided 5.000 is given back
    db.session.execute(
        update(HelpRequest).where(HelpRequest.id == request.id).values(received=15_000)
    )
    assert integrity.check_totals() == [
        f"help request {request.id}: received 15000 != transfers 10000"
    ]
    db.session.rollback()


def test_check_totals_compares_each_transfer_with_its_entries(app, world):
    a, b = world["a"], world["b"]
    kept = send(a, b, 10_000, world["komite_a"])
    voided = send(a, b, 5_000, world["komite_a"])
    void_pair(voided, world["komite_a"])
    assert integrity.check_totals() == []
    # marked voided without its two corrections, and the reverse
    db.session.execute(
        update(Transfer)
        .where(Transfer.id == kept.id)
        .values(voided_on=today_wib(), voided_at=func.now(), void_reason="diubah di luar aplikasi")
    )
    db.session.execute(
        update(Transfer)
        .where(Transfer.id == voided.id)
        .values(voided_on=None, voided_at=None, void_reason=None)
    )
    halves = "1 half out, 1 half in, 0 voids on its void date"
    assert integrity.check_totals() == [
        f"transfer {kept.id} (voided): {halves}, 2 entries in all",
        f"transfer {voided.id} (not voided): {halves}, 4 entries in all",
    ]
    db.session.rollback()
    # an amount changed behind the app no longer matches its halves
    db.session.execute(update(Transfer).where(Transfer.id == kept.id).values(amount=12_000))
    none = "0 half out, 0 half in, 0 voids on its void date"
    assert integrity.check_totals() == [
        f"transfer {kept.id} (not voided): {none}, 2 entries in all"
    ]
    db.session.rollback()


def test_rebuild_totals_keeps_the_transfer_columns(app, world):
    a, b = world["a"], world["b"]
    moved = send(a, b, 40_000, world["komite_a"])
    send(b, a, 5_000, world["komite_b"])
    void_pair(moved, world["komite_a"])
    year = today_wib().year - (today_wib().month < 7)
    stored = {
        s.id: (t.transferred_in, t.transferred_out)
        for s in (a, b)
        for t in [db.session.get(YearTotal, (s.id, year))]
    }
    assert stored == {a.id: (5_000, 0), b.id: (0, 5_000)}
    totals.rebuild()
    db.session.commit()
    db.session.expire_all()
    assert totals.differences() == []
    for s in (a, b):
        t = db.session.get(YearTotal, (s.id, year))
        assert (t.transferred_in, t.transferred_out) == stored[s.id]


def test_both_dashboards_show_the_transfer_at_once(client, world):
    a, b = world["a"], world["b"]
    send(a, b, 40_000, world["komite_a"])
    login(client, "komite_a")
    page = client.get(f"/sekolah/{a.npsn}/beranda").get_data(as_text=True)
    assert 'id="balance">Rp60.000' in page
    assert 'id="transferred-out"' in page and "Rp40.000" in page
    assert "Transfer keluar ke SD Negeri 2 Genteng" in page
    client.post("/keluar")
    login(client, "guru_b")
    page = client.get(f"/sekolah/{b.npsn}/beranda").get_data(as_text=True)
    assert 'id="balance">Rp90.000' in page
    assert "Transfer masuk dari SMP Negeri 1 Banyuwangi" in page
    stat = page.split('id="transferred-in"', 1)[1].split("</div>", 1)[0]
    assert "Rp40.000" in stat
    assert "Buku kas aman" in page and "2 catatan diperiksa" in page


def test_the_dashboard_reads_its_lines_in_the_same_statements_whatever_they_are(
    client, world, page_cache_off
):
    """Voids, voided entries and both halves of transfers among the last ten: no query per
    line (each would cost a round trip on PostgreSQL). The body is drawn for every view."""
    a, b, komite = world["a"], world["b"], world["komite_a"]

    def statements_of_a_view() -> int:
        client.get(f"/sekolah/{a.npsn}/beranda")  # the chain check after the appends
        seen: list[int] = []

        def count(*_args) -> None:  # type: ignore[no-untyped-def]
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/sekolah/{a.npsn}/beranda").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    login(client, "komite_a")
    for amount in range(1_000, 11_000, 1_000):
        contribute(a, amount, komite)
    db.session.commit()
    plain = statements_of_a_view()
    gift = contribute(a, 2_000, komite)
    entries.void_entry(
        a, gift, reason="Dobel", recorded_by=komite, form_key=uuid.uuid4().hex, today=today_wib()
    )
    send(a, b, 5_000, komite)
    send(b, a, 3_000, world["komite_b"])
    void_pair(send(a, b, 1_000, komite), komite)
    db.session.commit()
    page = client.get(f"/sekolah/{a.npsn}/beranda").get_data(as_text=True)
    assert "Transfer masuk dari SD Negeri 2 Genteng" in page and "dibatalkan oleh" in page
    assert statements_of_a_view() == plain


# --- no child's name in what leaves the school ------------------------------------------


def post_described(school, description, user):  # type: ignore[no-untyped-def]
    return board.post_request(
        school,
        amount=50_000,
        category=Category.SERAGAM,
        description=description,
        deadline=None,
        created_by=user,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )


def test_a_request_that_names_a_recipient_of_the_school_is_refused(app, world):
    a, komite_a = world["a"], world["komite_a"]
    make_recipient(a, name="M. Al Fatih", active=False)  # a former recipient counts too
    for description, word in [
        ("Sepatu untuk Siti, kelas 7", "siti"),
        ("seragam AMINAH", "aminah"),
        ("Kacamata untuk fatih", "fatih"),
    ]:
        with pytest.raises(ledger.LedgerError) as refused:
            post_described(a, description, komite_a)
        assert refused.value.field == "description"
        assert f"“{word}”" in str(refused.value)
        db.session.rollback()
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
    # words shorter than three letters and parts of words are not names; nor is one word of
    # another school's recipient's name (its whole name is: tests/test_names.py)
    for fine in ("Seragam untuk 2 siswa kelas 7 (al-Qur'an, M.)", "Sitinya", "Santoso"):
        post_described(a, fine, komite_a)
    db.session.commit()
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 3


def test_a_transfer_note_or_void_reason_that_names_a_recipient_of_the_giver_is_refused(app, world):
    a, b, komite_a = world["a"], world["b"], world["komite_a"]
    with pytest.raises(ledger.LedgerError) as refused:
        moving.transfer(
            a,
            b,
            amount=10_000,
            occurred_on=today_wib(),
            request=None,
            note="Titipan dari Siti",
            recorded_by=komite_a,
            form_key=uuid.uuid4().hex,
            today=today_wib(),
        )
    assert refused.value.field == "note"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Transfer.id))) == 0
    moved = send(a, b, 10_000, komite_a)
    with pytest.raises(ledger.LedgerError) as refused:
        void_pair(moved, komite_a, reason="Seharusnya untuk Aminah")
    assert refused.value.field == "reason"
    db.session.rollback()
    db.session.refresh(moved)
    assert not moved.voided


def test_the_request_form_shows_the_refusal_and_saves_nothing(client, world):
    a = world["a"]
    login(client, "komite_a")
    data = {
        "amount": "50.000",
        "category": "seragam",
        "description": "Seragam untuk Siti Aminah",
        "form_key": uuid.uuid4().hex,
    }
    response = client.post(f"/sekolah/{a.npsn}/bantuan/baru", data=data)
    assert response.status_code == 422
    assert "Tanpa nama siswa" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
