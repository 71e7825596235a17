"""A second approver for large transfers between schools: at or above the giving school's
threshold a transfer waits, its amount reserved on the giver's fund, for another committee
member of the giving school; services first, then the pages."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from sas import integrity, ledger
from sas.approvals import services as approvals
from sas.dates import today_wib
from sas.extensions import db
from sas.ledger import chain
from sas.models import (
    AuditEvent,
    Category,
    Entry,
    EntryKind,
    Fund,
    HelpRequest,
    PendingStatus,
    PendingTransfer,
    RequestStatus,
    Role,
    School,
    Transfer,
    User,
)
from sas.transfers import approvals as transfer_approvals
from sas.transfers import moving
from sas.transfers import services as board
from tests.factories import (
    ask_disbursement,
    contribute,
    make_recipient,
    make_school,
    make_user,
)
from tests.threads import THREADS, run_at_once
from tests.web import login

TODAY = today_wib()
A, B = "/sekolah/20525555", "/sekolah/20526666"


@pytest.fixture
def rich(world):
    """School A with Rp1.000.000 and two more committee members; B asks for help."""
    contribute(world["a"], 900_000, world["komite_a"])
    world["komite_a2"] = make_user("komite_a2", Role.COMMITTEE, world["a"])
    world["komite_a3"] = make_user("komite_a3", Role.COMMITTEE, world["a"])
    return world


def send(world, amount, user=None, key=None, request=None, on=None):  # type: ignore[no-untyped-def]
    pending = transfer_approvals.request_transfer(
        world["a"],
        world["b"],
        amount=amount,
        occurred_on=on or TODAY,
        request=request,
        note="Sekolah Asuh Sekolah",
        recorded_by=user or world["komite_a"],
        form_key=key or uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return pending


def approve(world, pending, user, key=None):  # type: ignore[no-untyped-def]
    moved = transfer_approvals.approve(
        world["a"], pending, approved_by=user, form_key=key or uuid.uuid4().hex, today=TODAY
    )
    db.session.commit()
    return moved


def help_request(school, amount, user):  # type: ignore[no-untyped-def]
    request = board.post_request(
        school,
        amount=amount,
        category=Category.SEPATU,
        description="Sepatu untuk 20 siswa kelas 1",
        deadline=None,
        created_by=user,
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return request


def fund(school: School) -> Fund:
    return db.session.get(Fund, school.id, populate_existing=True)


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(model.id))) or 0


def audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- asking and reserving -----------------------------------------------------------------------


def test_a_request_reserves_on_the_giver_and_writes_no_ledger(rich):
    pending = send(rich, 600_000)
    giver, receiver = fund(rich["a"]), fund(rich["b"])
    assert (giver.balance, giver.reserved, giver.available) == (1_000_000, 600_000, 400_000)
    assert (receiver.balance, receiver.reserved) == (50_000, 0)
    assert (count(Transfer), count(Entry)) == (0, 3)
    assert (pending.status, pending.requested_on, pending.to_school_id) == (
        PendingStatus.PENDING,
        TODAY,
        rich["b"].id,
    )
    (row,) = audit_rows("transfer.requested")
    assert (row.actor, row.school_id, row.target) == (
        "komite_a",
        rich["a"].id,
        f"pending_transfer:{pending.id}",
    )
    assert "amount=600000" in row.detail and "Sekolah Asuh" not in row.detail
    # the reserved money is spoken for: neither a disbursement nor another transfer takes it
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp400\.000"):
        moving.transfer(
            rich["a"],
            rich["b"],
            amount=400_001,
            occurred_on=TODAY,
            request=None,
            note=None,
            recorded_by=rich["komite_a"],
            form_key=uuid.uuid4().hex,
            today=TODAY,
        )
    db.session.rollback()
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp400\.000"):
        send(rich, 500_000)
    db.session.rollback()


def test_a_request_has_the_checks_of_a_transfer(rich):
    cases = [
        ({"on": TODAY - timedelta(days=1)}, "occurred_on", "tanggal persetujuan"),
        ({"amount": 0}, "amount", "Rp0"),
        ({"amount": 1_000_001}, "amount", "Saldo tidak cukup"),
        ({"to": rich["a"]}, "to_school", "dirinya sendiri"),
        ({"note": "Titipan dari Siti"}, "note", "Tanpa nama siswa"),
        ({"user": rich["guru_a"]}, "amount", "Hanya anggota komite"),
        ({"user": rich["komite_b"]}, "amount", "Hanya anggota komite"),
    ]
    for change, field, message in cases:
        with pytest.raises(ledger.LedgerError, match=message) as refused:
            transfer_approvals.request_transfer(
                rich["a"],
                change.get("to", rich["b"]),
                amount=change.get("amount", 600_000),
                occurred_on=change.get("on", TODAY),
                request=None,
                note=change.get("note"),
                recorded_by=change.get("user", rich["komite_a"]),
                form_key=uuid.uuid4().hex,
                today=TODAY,
            )
        assert refused.value.field == field, change
        db.session.rollback()
    assert count(PendingTransfer) == 0 and fund(rich["a"]).reserved == 0


def test_a_request_is_never_beyond_what_a_request_for_help_still_needs(rich):
    request = help_request(rich["b"], 550_000, rich["komite_b"])
    with pytest.raises(ledger.LedgerError, match=r"tinggal membutuhkan Rp550\.000"):
        send(rich, 600_000, request=request)
    db.session.rollback()
    pending = send(rich, 550_000, request=request)
    db.session.refresh(request)
    assert request.received == 0  # nothing counts for the receiver before approval
    assert pending.request_id == request.id


def test_the_same_request_form_twice_waits_once(rich):
    first = send(rich, 600_000, key="t-1")
    with pytest.raises(approvals.DuplicateRequest) as again:
        send(rich, 600_000, key="t-1")
    db.session.rollback()
    assert again.value.pending.id == first.id
    assert (count(PendingTransfer), fund(rich["a"]).reserved) == (1, 600_000)


# --- rejecting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["komite_a", "komite_a2"])  # the recorder withdraws, or another
def test_reject_releases_the_reservation(rich, who):
    pending = send(rich, 600_000)
    approvals.reject(rich["a"], pending, rejected_by=rich[who], reason="Dana untuk seragam dulu")
    db.session.commit()
    db.session.refresh(pending)
    assert (pending.status, pending.decided_by_id, pending.reason) == (
        PendingStatus.REJECTED,
        rich[who].id,
        "Dana untuk seragam dulu",
    )
    assert (fund(rich["a"]).reserved, fund(rich["a"]).available) == (0, 1_000_000)
    assert (count(Transfer), ledger.balance(rich["b"])) == (0, 50_000)
    (row,) = audit_rows("transfer.rejected")
    assert (row.actor, row.target) == (who, f"pending_transfer:{pending.id}")
    assert "seragam" not in row.detail  # free text stays on the row
    with pytest.raises(approvals.AlreadyDecided, match="Transfer ini sudah ditolak"):
        approve(rich, pending, rich["komite_a2"])
    db.session.rollback()


# --- approving ------------------------------------------------------------------------------------


def test_approval_writes_the_pair_with_every_check_and_releases(rich):
    a, b = rich["a"], rich["b"]
    request = help_request(b, 800_000, rich["komite_b"])
    pending = send(rich, 600_000, request=request)
    moved = approve(rich, pending, rich["komite_a2"])
    assert (ledger.balance(a), ledger.balance(b)) == (400_000, 650_000)
    assert (fund(a).reserved, fund(b).reserved) == (0, 0)
    halves = moving.halves(moved)
    out, into = halves[EntryKind.TRANSFER_OUT], halves[EntryKind.TRANSFER_IN]
    assert (out.number, into.number) == ("TRK-0003", "TRM-0002")
    for half in (out, into):
        assert (half.occurred_on, half.recorded_by_id, half.approved_by_id) == (
            TODAY,
            rich["komite_a"].id,
            rich["komite_a2"].id,
        )
    assert chain.verify(a).ok and chain.verify(b).ok
    assert (moved.recorded_by_id, moved.request_id, moved.note) == (
        rich["komite_a"].id,
        request.id,
        "Sekolah Asuh Sekolah",
    )
    db.session.refresh(request)
    assert (request.received, request.status) == (600_000, RequestStatus.OPEN)
    db.session.refresh(pending)
    assert (pending.status, pending.transfer_id, pending.decided_by_id) == (
        PendingStatus.APPROVED,
        moved.id,
        rich["komite_a2"].id,
    )
    (approved,) = audit_rows("transfer.approved")
    assert approved.actor == "komite_a2" and f"transfer=transfer:{moved.id}" in approved.detail
    recorded = audit_rows("transfer.recorded")
    assert sorted(r.school_id for r in recorded) == sorted([a.id, b.id])
    assert {r.actor for r in recorded} == {"komite_a2"}


def test_the_recorder_cannot_approve_their_own(rich):
    pending = send(rich, 600_000)
    with pytest.raises(approvals.NotAllowed):
        approve(rich, pending, rich["komite_a"])
    db.session.rollback()
    assert (count(Transfer), fund(rich["a"]).reserved) == (0, 600_000)
    with pytest.raises(IntegrityError):  # the table refuses it too, written around the service
        db.session.execute(
            update(PendingTransfer)
            .where(PendingTransfer.id == pending.id)
            .values(status="approved", decided_by_id=rich["komite_a"].id, transfer_id=None)
        )
    db.session.rollback()


@pytest.mark.parametrize("who", ["guru_a", "komite_b", "guru_b", "dinas", "admin"])
def test_nobody_outside_the_giving_committee_approves(rich, who):
    pending = send(rich, 600_000)
    with pytest.raises(approvals.NotAllowed):
        approve(rich, pending, rich[who])
    db.session.rollback()
    assert (count(Transfer), fund(rich["a"]).reserved) == (0, 600_000)


def test_an_approval_sent_twice_approves_once(rich):
    pending = send(rich, 600_000)
    first = approve(rich, pending, rich["komite_a2"], key="ok-1")
    with pytest.raises(moving.DuplicateTransfer) as again:
        approve(rich, pending, rich["komite_a2"], key="ok-1")
    db.session.rollback()
    assert again.value.transfer.id == first.id
    assert (count(Transfer), ledger.balance(rich["a"])) == (1, 400_000)
    with pytest.raises(approvals.AlreadyDecided, match="Transfer ini sudah disetujui"):
        approve(rich, pending, rich["komite_a3"])  # another member, a moment later
    db.session.rollback()


def third_school_fills(world, request, amount):  # type: ignore[no-untyped-def]
    """School C answers the same request directly, while A's transfer waits."""
    c = make_school("20527777", "35.10.14", name="SMP Negeri 1 Kabat")
    komite_c = make_user("komite_c", Role.COMMITTEE, c)
    contribute(c, amount, komite_c)
    moving.transfer(
        c,
        world["b"],
        amount=amount,
        occurred_on=TODAY,
        request=request,
        note=None,
        recorded_by=komite_c,
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("filled", "message"),
    [
        (600_000, "Permintaan bantuan ini sudah tidak terbuka."),  # filled: off the board
        (300_000, r"Permintaan ini tinggal membutuhkan Rp300\.000"),  # less than A's left
    ],
)
def test_approval_after_the_request_was_filled_elsewhere_lapses_and_releases(rich, filled, message):
    request = help_request(rich["b"], 600_000, rich["komite_b"])
    pending = send(rich, 600_000, request=request)
    third_school_fills(rich, request, filled)
    with pytest.raises(transfer_approvals.Lapsed, match=message) as lapsed:
        approve(rich, pending, rich["komite_a2"])
    assert "Transfer ini tidak dikirim; Rp600.000 kembali tersedia." in str(lapsed.value)
    db.session.commit()  # what the page does: the release is the outcome
    db.session.refresh(pending)
    assert (pending.status, pending.decided_by_id, pending.reason) == (
        PendingStatus.REJECTED,
        rich["komite_a2"].id,
        str(lapsed.value),
    )
    assert (fund(rich["a"]).reserved, ledger.balance(rich["a"])) == (0, 1_000_000)
    db.session.refresh(request)
    assert request.received == filled  # never beyond what was asked
    assert (
        db.session.scalar(
            select(func.count(Transfer.id)).where(Transfer.from_school_id == rich["a"].id)
        )
        == 0
    )
    (row,) = audit_rows("transfer.rejected")
    assert row.actor == "komite_a2" and row.detail.startswith("lapsed ")


def test_a_withdrawn_request_or_a_closed_receiver_lapses_too(rich):
    request = help_request(rich["b"], 600_000, rich["komite_b"])
    first, second = send(rich, 600_000, request=request), send(rich, 300_000)
    board.close_request(request, RequestStatus.WITHDRAWN, closed_by=rich["komite_b"])
    db.session.commit()
    with pytest.raises(transfer_approvals.Lapsed, match="sudah tidak terbuka"):
        approve(rich, first, rich["komite_a2"])
    db.session.commit()
    db.session.get(School, rich["b"].id).active = False
    db.session.commit()
    with pytest.raises(transfer_approvals.Lapsed, match="harus aktif"):
        approve(rich, second, rich["komite_a2"])
    db.session.commit()
    assert fund(rich["a"]).reserved == 0 and count(Transfer) == 0
    db.session.get(School, rich["b"].id).active = True
    db.session.commit()


def test_a_note_that_now_names_a_recipient_lapses_rather_than_sticks(rich):
    """The note passed when sent; a recipient with a name in it was added since."""
    waiting = send(rich, 600_000)  # note: "Sekolah Asuh Sekolah"
    make_recipient(rich["a"], name="Asuh Pratama")
    db.session.commit()
    with pytest.raises(transfer_approvals.Lapsed, match="asuh"):
        approve(rich, waiting, rich["komite_a2"])
    db.session.commit()
    assert fund(rich["a"]).reserved == 0 and count(Transfer) == 0


def test_concurrent_approvals_by_two_members_record_once(app, rich):
    pending_id, school_id = send(rich, 600_000).id, rich["a"].id
    members = [rich["komite_a2"].id, rich["komite_a3"].id]

    def decide(i: int) -> str:
        try:
            transfer_approvals.approve(
                db.session.get(School, school_id),
                db.session.get(PendingTransfer, pending_id),
                approved_by=db.session.get(User, members[i % 2]),
                form_key=uuid.uuid4().hex,
                today=TODAY,
            )
            db.session.commit()
            return "ok"
        except approvals.AlreadyDecided:
            db.session.rollback()
            return "decided"

    results = run_at_once(app, decide)
    assert results.count("ok") == 1, results
    assert results.count("decided") == THREADS - 1, results
    db.session.expire_all()
    assert count(Transfer) == 1
    assert (ledger.balance(rich["a"]), ledger.balance(rich["b"])) == (400_000, 650_000)
    assert fund(rich["a"]).reserved == 0
    assert chain.verify(rich["a"]).ok and chain.verify(rich["b"]).ok


def test_approvals_in_opposite_directions_at_once_never_deadlock(app, rich):
    """Ten waiting transfers A to B and ten B to A, all approved at the same moment: each
    approval locks both funds, the lower school id first, so none waits in a circle."""
    a, b = rich["a"], rich["b"]
    contribute(b, 950_000, rich["komite_b"])
    komite_b2 = make_user("komite_b2", Role.COMMITTEE, b)
    for school in (a, b):
        db.session.get(School, school.id).approval_threshold = 10_000
    db.session.commit()
    jobs = []
    for giver, receiver, asker, approver in (
        (a, b, rich["komite_a"], rich["komite_a2"]),
        (b, a, rich["komite_b"], komite_b2),
    ):
        for _ in range(THREADS // 2):
            waiting = transfer_approvals.request_transfer(
                giver,
                receiver,
                amount=50_000,
                occurred_on=TODAY,
                request=None,
                note=None,
                recorded_by=asker,
                form_key=uuid.uuid4().hex,
                today=TODAY,
            )
            db.session.flush()
            jobs.append((giver.id, waiting.id, approver.id))
    db.session.commit()

    def decide(i: int) -> str:
        school_id, pending_id, user_id = jobs[i]
        transfer_approvals.approve(
            db.session.get(School, school_id),
            db.session.get(PendingTransfer, pending_id),
            approved_by=db.session.get(User, user_id),
            form_key=uuid.uuid4().hex,
            today=TODAY,
        )
        db.session.commit()
        return "ok"

    results = run_at_once(app, decide)
    assert results == ["ok"] * THREADS, results
    db.session.expire_all()
    assert (ledger.balance(a), ledger.balance(b)) == (1_000_000, 1_000_000)
    assert (fund(a).reserved, fund(b).reserved) == (0, 0)
    assert chain.verify(a).ok and chain.verify(b).ok


# --- the totals check ---------------------------------------------------------------------------


def test_check_totals_counts_waiting_transfers_in_the_reservation(rich):
    ask_disbursement(rich, 300_000)
    pending = send(rich, 600_000)
    assert fund(rich["a"]).reserved == 900_000
    assert integrity.check_totals() == []
    npsn = rich["a"].npsn
    fund(rich["a"]).reserved = 600_000
    db.session.flush()
    assert integrity.check_totals() == [f"{npsn}: reserved 600000 != pending 900000"]
    db.session.rollback()
    db.session.execute(
        update(PendingTransfer)
        .where(PendingTransfer.id == pending.id)
        .values(status="rejected", decided_by_id=rich["komite_a2"].id, reason="x")
    )
    assert integrity.check_totals() == [f"{npsn}: reserved 900000 != pending 300000"]
    db.session.rollback()


def test_check_totals_finds_a_tampered_received_after_an_approved_transfer(app, rich):
    request = help_request(rich["b"], 800_000, rich["komite_b"])
    approve(rich, send(rich, 600_000, request=request), rich["komite_a2"])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sas", "check-totals"]).exit_code == 0
    db.session.execute(
        update(HelpRequest).where(HelpRequest.id == request.id).values(received=700_000)
    )
    db.session.commit()
    try:
        result = runner.invoke(args=["sas", "check-totals"])
        assert result.exit_code == 1
        assert f"help request {request.id}: received 700000 != transfers 600000" in result.output
    finally:
        db.session.execute(
            update(HelpRequest).where(HelpRequest.id == request.id).values(received=600_000)
        )
        db.session.commit()


# --- the pages ------------------------------------------------------------------------------------


def transfer_form(world, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "to_school": world["b"].npsn,
        "amount": "500.000",
        "occurred_on": TODAY.isoformat(),
        "note": "Untuk seragam",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("amount", "waits"), [("499.999", False), ("500.000", True), ("Rp500.001", True)]
)
def test_the_transfer_form_sends_amounts_at_the_threshold_for_approval(client, rich, amount, waits):
    login(client, "komite_a")
    assert "Transfer mulai Rp500.000 menunggu" in client.get(f"{A}/transfer/baru").text
    response = client.post(f"{A}/transfer/baru", data=transfer_form(rich, amount=amount))
    assert response.status_code == 303
    pending = db.session.scalar(select(PendingTransfer))
    if waits:
        assert response.location.endswith(f"/transfer/menunggu/{pending.id}")
        assert (count(Transfer), ledger.balance(rich["b"])) == (0, 50_000)
        assert fund(rich["a"]).reserved == pending.amount
        page = client.get(response.location).text
        assert "sekolah penerima belum melihatnya" in page
    else:
        assert pending is None and count(Transfer) == 1
        assert fund(rich["a"]).reserved == 0


def test_a_large_transfer_form_sent_twice_waits_once(client, rich):
    login(client, "komite_a")
    form = transfer_form(rich, amount="600.000")
    first = client.post(f"{A}/transfer/baru", data=form)
    second = client.post(f"{A}/transfer/baru", data=form)
    assert second.status_code == 303 and second.location == first.location
    assert "sudah tersimpan sebelumnya" in client.get(second.location).text
    assert (count(PendingTransfer), fund(rich["a"]).reserved) == (1, 600_000)


def test_a_form_that_waits_sent_again_after_the_threshold_rose_still_waits_once(client, rich):
    """Its answer was lost; meanwhile the threshold went up, so the same form would now be
    recorded at once: it is the waiting transfer's, and nothing is recorded twice."""
    login(client, "komite_a")
    form = transfer_form(rich, amount="600.000")
    first = client.post(f"{A}/transfer/baru", data=form)
    rich["a"].approval_threshold = 1_000_000
    db.session.commit()
    again = client.post(f"{A}/transfer/baru", data=form)
    assert again.status_code == 303 and again.location == first.location
    assert (count(PendingTransfer), count(Transfer), fund(rich["a"]).reserved) == (1, 0, 600_000)


def test_a_back_dated_large_transfer_is_refused_on_the_form(client, rich):
    login(client, "komite_a")
    data = transfer_form(rich, occurred_on=(TODAY - timedelta(days=1)).isoformat())
    response = client.post(f"{A}/transfer/baru", data=data)
    assert response.status_code == 422 and "tanggal persetujuan" in response.text
    assert count(PendingTransfer) == 0


def test_the_giving_dashboard_lists_it_with_the_waiting_disbursements(client, rich):
    spend = ask_disbursement(rich, 300_000)
    pending = send(rich, 600_000)
    approve_url = f"{A}/transfer/menunggu/{pending.id}/setujui"
    reject_url = f"{A}/transfer/menunggu/{pending.id}/tolak"
    seen = {}
    for who in ("komite_a", "komite_a2", "guru_a"):
        login(client, who)
        page = client.get(f"{A}/beranda").text
        assert f'id="pending-{spend.id}"' in page
        row = page.split(f'id="pending-transfer-{pending.id}"', 1)[1].split("</tr>", 1)[0]
        assert "Transfer keluar ke SD Negeri 2 Genteng" in row and "Rp600.000" in row
        assert "bisa dipakai Rp100.000 · menunggu persetujuan Rp900.000" in page
        seen[who] = (approve_url in page, reject_url in page)
        client.post("/keluar")
    assert seen == {
        "komite_a": (False, True),  # the recorder may withdraw, never approve
        "komite_a2": (True, True),
        "guru_a": (False, False),  # sees, cannot act
    }


def test_the_receiver_sees_nothing_until_it_is_approved(client, rich):
    request = help_request(rich["b"], 600_000, rich["komite_b"])
    pending = send(rich, 600_000, request=request)
    for who in ("komite_b", "guru_b"):
        login(client, who)
        assert "SMP Negeri 1 Banyuwangi" not in client.get(f"{B}/beranda").text
        assert "SMP Negeri 1 Banyuwangi" not in client.get(f"{B}/antar-sekolah").text
        assert client.get(f"{B}/transfer/menunggu/{pending.id}").status_code == 404
        shown = client.get(f"/bantuan/{request.id}").text
        assert "Sudah diterima</dt><dd>Rp0</dd>" in shown
        client.post("/keluar")
    approve(rich, pending, rich["komite_a2"])
    login(client, "guru_b")
    assert "Transfer masuk dari SMP Negeri 1 Banyuwangi" in client.get(f"{B}/beranda").text


def test_approving_and_rejecting_through_the_pages(client, rich):
    kept, dropped = send(rich, 600_000), send(rich, 400_000)
    login(client, "komite_a")
    own = client.post(f"{A}/transfer/menunggu/{kept.id}/setujui", data={"form_key": "a" * 32})
    assert own.status_code == 403  # the recorder's own
    client.post("/keluar")
    login(client, "komite_a2")
    response = client.post(f"{A}/transfer/menunggu/{kept.id}/setujui", data={"form_key": "b" * 32})
    moved = db.session.scalar(select(Transfer))
    assert response.status_code == 303
    assert response.location.endswith(f"{A}/transfer/{moved.id}")
    assert "Transfer disetujui" in client.get(response.location).text
    again = client.post(f"{A}/transfer/menunggu/{kept.id}/setujui", data={"form_key": "b" * 32})
    assert again.status_code == 303 and again.location == response.location
    late = client.post(f"{A}/transfer/menunggu/{kept.id}/setujui", data={"form_key": "c" * 32})
    assert late.location.endswith(f"/transfer/menunggu/{kept.id}")
    assert "Transfer ini sudah disetujui." in client.get(late.location).text
    empty = client.post(f"{A}/transfer/menunggu/{dropped.id}/tolak", data={"reason": ""})
    assert empty.status_code == 422 and "Alasan penolakan wajib diisi." in empty.text
    done = client.post(f"{A}/transfer/menunggu/{dropped.id}/tolak", data={"reason": "Nanti"})
    assert done.status_code == 303 and "Nanti" in client.get(done.location).text
    twice = client.post(f"{A}/transfer/menunggu/{dropped.id}/tolak", data={"reason": "Nanti"})
    assert "Transfer ini sudah ditolak." in client.get(twice.location).text
    assert (count(Transfer), fund(rich["a"]).reserved, ledger.balance(rich["a"])) == (
        1,
        0,
        400_000,
    )


def test_a_lapsed_approval_says_why_on_the_page_and_releases(client, rich):
    request = help_request(rich["b"], 600_000, rich["komite_b"])
    pending = send(rich, 600_000, request=request)
    third_school_fills(rich, request, 600_000)
    login(client, "komite_a2")
    response = client.post(
        f"{A}/transfer/menunggu/{pending.id}/setujui", data={"form_key": uuid.uuid4().hex}
    )
    assert response.status_code == 303
    page = client.get(response.location).text
    assert "Permintaan bantuan ini sudah tidak terbuka." in page
    assert "Transfer ini tidak dikirim; Rp600.000 kembali tersedia." in page
    assert fund(rich["a"]).reserved == 0
    assert (
        db.session.scalar(
            select(func.count(Transfer.id)).where(Transfer.from_school_id == rich["a"].id)
        )
        == 0
    )


@pytest.mark.parametrize("who", ["guru_a", "guru_b", "dinas", "admin"])
@pytest.mark.parametrize("action", ["setujui", "tolak"])
def test_teachers_and_outsiders_cannot_decide(client, rich, who, action):
    pending = send(rich, 600_000)
    login(client, who)
    data = {"form_key": uuid.uuid4().hex, "reason": "Tidak"}
    assert client.post(f"{A}/transfer/menunggu/{pending.id}/{action}", data=data).status_code == 403
    db.session.refresh(pending)
    assert pending.status == PendingStatus.PENDING and fund(rich["a"]).reserved == 600_000


@pytest.mark.parametrize("action", ["setujui", "tolak"])
def test_another_schools_committee_cannot_decide(client, rich, action):
    """The receiving school's committee finds nothing, under its own URL or the giver's."""
    pending = send(rich, 600_000)
    login(client, "komite_b")
    data = {"form_key": uuid.uuid4().hex, "reason": "Tidak"}
    for school in (A, B):
        url = f"{school}/transfer/menunggu/{pending.id}/{action}"
        assert client.post(url, data=data).status_code == 404
    db.session.refresh(pending)
    assert pending.status == PendingStatus.PENDING and fund(rich["a"]).reserved == 600_000
