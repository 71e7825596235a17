"""The second approver: large disbursements wait for another committee member and reserve
their amount; services first, then the pages, then who may open what."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from sas import integrity, ledger
from sas.approvals import services as approvals
from sas.cashbook import services as cashbook
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import chain
from sas.models import (
    Attachment,
    AuditEvent,
    Category,
    Entry,
    EntryKind,
    Fund,
    PendingDisbursement,
    PendingStatus,
    Role,
    School,
    User,
)
from tests.factories import PASSWORD, ask_disbursement, contribute, disburse, make_user
from tests.roles import ACTORS, READ, WRITE, WRITE_FORM
from tests.threads import THREADS, run_at_once
from tests.web import login

A = "/sekolah/20525555"
TODAY = today_wib()
STALE_FLAG = "menunggu lebih dari 14 hari"


@pytest.fixture
def rich(world):
    """School A with Rp1.000.000 and two more committee members."""
    contribute(world["a"], 900_000, world["komite_a"])
    world["komite_a2"] = make_user("komite_a2", Role.COMMITTEE, world["a"])
    world["komite_a3"] = make_user("komite_a3", Role.COMMITTEE, world["a"])
    return world


def approve(world, pending, user, key=None):
    entry = approvals.approve(
        world["a"], pending, approved_by=user, form_key=key or uuid.uuid4().hex, today=TODAY
    )
    db.session.commit()
    return entry


def fund_of(world) -> Fund:
    return db.session.get(Fund, world["a"].id, populate_existing=True)


def entries_of(world) -> int:
    return db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == world["a"].id))


def audit_rows(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def void(world, entry):
    reversal = entries.void_entry(
        world["a"],
        entry,
        reason="Salah catat",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    return reversal


# --- the threshold ----------------------------------------------------------------------------


def test_a_disbursement_needs_approval_at_and_above_the_threshold_only(world):
    assert world["a"].approval_threshold == 500_000  # the default
    assert not approvals.needs_approval(world["a"], 499_999)
    assert approvals.needs_approval(world["a"], 500_000)
    assert approvals.needs_approval(world["a"], 500_001)


def test_a_threshold_change_is_audited_and_checked(world):
    assert approvals.set_threshold(world["a"], 1_000_000, changed_by=world["komite_a"])
    db.session.commit()
    assert db.session.get(School, world["a"].id).approval_threshold == 1_000_000
    (row,) = audit_rows("school.threshold_changed")
    assert (row.detail, row.school_id, row.actor) == (
        "from=500000 to=1000000",
        world["a"].id,
        "komite_a",
    )
    assert not approvals.set_threshold(world["a"], 1_000_000, changed_by=world["komite_a"])
    assert len(audit_rows("school.threshold_changed")) == 1  # nothing changed, nothing logged
    for amount in (0, -1, 100_000_001):
        with pytest.raises(ledger.LedgerError):
            approvals.set_threshold(world["a"], amount, changed_by=world["komite_a"])
    for outsider in ("guru_a", "komite_b", "dinas"):
        with pytest.raises(approvals.NotAllowed):
            approvals.set_threshold(world["a"], 1, changed_by=world[outsider])
    db.session.rollback()
    assert db.session.get(School, world["a"].id).approval_threshold == 1_000_000


# --- asking and reserving -----------------------------------------------------------------------


def test_a_request_reserves_its_amount_without_touching_the_ledger(rich):
    pending = ask_disbursement(rich, 600_000)
    fund = fund_of(rich)
    assert (fund.balance, fund.reserved, fund.available) == (1_000_000, 600_000, 400_000)
    assert pending.status == PendingStatus.PENDING
    assert pending.requested_on == TODAY
    assert entries_of(rich) == 2  # the two contributions only
    (row,) = audit_rows("disbursement.requested")
    assert row.target == f"pending:{pending.id}"
    assert "amount=600000" in row.detail and "Sepeda" not in row.detail


def test_two_large_requests_cannot_together_exceed_the_balance(rich):
    ask_disbursement(rich, 600_000)
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp400\.000") as refused:
        ask_disbursement(rich, 500_000)
    db.session.rollback()
    assert refused.value.available == 400_000
    assert fund_of(rich).reserved == 600_000
    ask_disbursement(rich, 400_000)  # what is left still can be asked for
    assert (fund_of(rich).reserved, fund_of(rich).available) == (1_000_000, 0)


def test_a_small_disbursement_cannot_spend_reserved_money(rich):
    ask_disbursement(rich, 600_000)
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp400\.000"):
        disburse(rich["a"], 400_001, rich["komite_a"], rich["recipient_a"])
    db.session.rollback()
    disburse(rich["a"], 400_000, rich["komite_a"], rich["recipient_a"])
    fund = fund_of(rich)
    assert (fund.balance, fund.reserved, fund.available) == (600_000, 600_000, 0)


def test_a_back_dated_disbursement_respects_both_the_past_and_the_reservation(world):
    """Rp700.000 came in ten days ago and Rp100.000 today; Rp600.000 is reserved."""
    contribute(world["a"], 700_000, world["komite_a"], on=TODAY - timedelta(days=10))
    ask_disbursement(world, 600_000)
    five_days_ago = TODAY - timedelta(days=5)
    with pytest.raises(ledger.InsufficientBalance, match=r"Rp200\.000"):
        disburse(world["a"], 200_001, world["komite_a"], world["recipient_a"], on=five_days_ago)
    db.session.rollback()
    # The reservation leaves on the day of approval, so the past only needs its own money.
    disburse(world["a"], 200_000, world["komite_a"], world["recipient_a"], on=five_days_ago)
    assert (fund_of(world).balance, fund_of(world).reserved) == (600_000, 600_000)
    # ... and the back-dated rule itself still holds: nothing before the first contribution.
    with pytest.raises(ledger.InsufficientBalance):
        disburse(
            world["a"], 1, world["komite_a"], world["recipient_a"], on=TODAY - timedelta(days=11)
        )
    db.session.rollback()


def test_voiding_a_contribution_cannot_take_reserved_money(world):
    big = contribute(world["a"], 500_000, world["komite_a"])
    ask_disbursement(world, 500_000)  # Rp600.000 in the fund, Rp500.000 of it reserved
    with pytest.raises(ledger.LedgerError, match=r"Rp100\.000"):
        void(world, big)
    db.session.rollback()
    assert fund_of(world).balance == 600_000
    void(world, world["entry_a"])  # the free Rp100.000 may go
    assert (fund_of(world).balance, fund_of(world).reserved) == (500_000, 500_000)


def test_a_request_has_the_checks_of_a_disbursement(rich):
    rich["recipient_a"].active = False
    db.session.commit()
    with pytest.raises(ledger.LedgerError, match="tidak aktif"):
        ask_disbursement(rich, 500_000)
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="tidak aktif"):
        ask_disbursement(rich, 500_000, recipient=rich["recipient_b"])
    db.session.rollback()
    rich["recipient_a"].active = True
    db.session.commit()
    with pytest.raises(ledger.LedgerError) as dated:  # its entry is dated the approval day
        ask_disbursement(rich, 500_000, on=TODAY - timedelta(days=1))
    assert dated.value.field == "occurred_on"
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="Rp0"):
        ask_disbursement(rich, 0)
    db.session.rollback()
    pending = ask_disbursement(rich, 500_000, key="k-1")
    with pytest.raises(approvals.DuplicateRequest) as again:
        ask_disbursement(rich, 500_000, key="k-1")
    db.session.rollback()
    assert again.value.pending.id == pending.id
    assert fund_of(rich).reserved == 500_000


# --- rejecting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["komite_a", "komite_a2"])  # the recorder or another member
def test_reject_releases_the_reservation(rich, who):
    pending = ask_disbursement(rich, 600_000)
    approvals.reject(rich["a"], pending, rejected_by=rich[who], reason="Harga terlalu mahal")
    db.session.commit()
    db.session.refresh(pending)
    assert pending.status == PendingStatus.REJECTED
    assert (pending.decided_by_id, pending.reason) == (rich[who].id, "Harga terlalu mahal")
    assert (fund_of(rich).reserved, fund_of(rich).available) == (0, 1_000_000)
    assert entries_of(rich) == 2
    (row,) = audit_rows("disbursement.rejected")
    assert "mahal" not in row.detail  # free text stays out of the log
    with pytest.raises(approvals.AlreadyDecided):
        approvals.reject(rich["a"], pending, rejected_by=rich["komite_a2"], reason="Lagi")
    with pytest.raises(approvals.AlreadyDecided):
        approve(rich, pending, rich["komite_a2"])
    db.session.rollback()


def test_a_rejection_needs_a_reason_and_a_member(rich):
    pending = ask_disbursement(rich, 600_000)
    with pytest.raises(ledger.LedgerError, match="Alasan"):
        approvals.reject(rich["a"], pending, rejected_by=rich["komite_a2"], reason="  ")
    for outsider in ("guru_a", "komite_b"):
        with pytest.raises(approvals.NotAllowed):
            approvals.reject(rich["a"], pending, rejected_by=rich[outsider], reason="Tidak")
    db.session.rollback()
    assert fund_of(rich).reserved == 600_000


# --- approving ------------------------------------------------------------------------------------


def test_approval_appends_one_chained_entry_and_releases_the_reservation(rich):
    pending = ask_disbursement(rich, 600_000)
    entry = approve(rich, pending, rich["komite_a2"])
    assert entries_of(rich) == 3
    assert (entry.kind, entry.amount, entry.occurred_on) == (EntryKind.DISBURSEMENT, 600_000, TODAY)
    assert (entry.recorded_by_id, entry.approved_by_id) == (
        rich["komite_a"].id,
        rich["komite_a2"].id,
    )
    assert (entry.recipient_id, entry.category, entry.description) == (
        rich["recipient_a"].id,
        Category.SEPEDA,
        "Sepeda ke sekolah",
    )
    assert entry.seq == 3 and entry.number == "BKK-0003"
    status = chain.verify(rich["a"])
    assert status.ok and status.entries == 3 and status.head == entry.hash
    fund = fund_of(rich)
    assert (fund.balance, fund.reserved) == (400_000, 0)
    db.session.refresh(pending)
    assert pending.status == PendingStatus.APPROVED
    assert (pending.entry_id, pending.decided_by_id) == (entry.id, rich["komite_a2"].id)
    (row,) = audit_rows("disbursement.approved")
    assert row.actor == "komite_a2" and f"entry:{entry.id}" in row.detail
    assert ledger.month_totals(rich["a"], TODAY).disbursed == 600_000


def test_the_recorder_cannot_approve_their_own(rich):
    pending = ask_disbursement(rich, 600_000)
    with pytest.raises(approvals.NotAllowed):
        approve(rich, pending, rich["komite_a"])
    db.session.rollback()
    assert (entries_of(rich), fund_of(rich).reserved) == (2, 600_000)
    # The table refuses it too, written around the service.
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(PendingDisbursement)
            .where(PendingDisbursement.id == pending.id)
            .values(status="approved", decided_by_id=rich["komite_a"].id, entry_id=1)
        )
    db.session.rollback()


@pytest.mark.parametrize("who", ["guru_a", "komite_b", "admin"])
def test_nobody_outside_the_committee_approves(rich, who):
    pending = ask_disbursement(rich, 600_000)
    with pytest.raises(approvals.NotAllowed):
        approve(rich, pending, rich[who])
    db.session.rollback()
    assert (entries_of(rich), fund_of(rich).reserved) == (2, 600_000)


def test_an_approval_sent_twice_approves_once(rich):
    pending = ask_disbursement(rich, 600_000)
    first = approve(rich, pending, rich["komite_a2"], key="approve-1")
    with pytest.raises(ledger.DuplicateSubmission) as again:
        approve(rich, pending, rich["komite_a2"], key="approve-1")
    db.session.rollback()
    assert again.value.entry.id == first.id
    assert entries_of(rich) == 3 and fund_of(rich).balance == 400_000


def test_approval_moves_the_attachments_to_the_entry(rich):
    pending = ask_disbursement(rich, 600_000)
    other = ask_disbursement(rich, 400_000)  # another request
    photos = [
        Attachment(
            school_id=rich["a"].id,
            pending_id=p.id,
            stored_name=uuid.uuid4().hex,
            content_type="image/jpeg",
            size=1000,
            sha256="0" * 64,
            added_by_id=rich["komite_a"].id,
        )
        for p in (pending, pending, other)
    ]
    db.session.add_all(photos)
    db.session.commit()
    entry = approve(rich, pending, rich["komite_a2"])
    for photo in photos:
        db.session.refresh(photo)
    assert [p.entry_id for p in photos] == [entry.id, entry.id, None]


def test_an_inactive_recipient_is_not_paid_on_approval(rich):
    pending = ask_disbursement(rich, 600_000)
    rich["recipient_a"].active = False
    db.session.commit()
    with pytest.raises(ledger.LedgerError, match="tidak aktif"):
        approve(rich, pending, rich["komite_a2"])
    db.session.rollback()
    assert fund_of(rich).reserved == 600_000


def test_concurrent_approvals_by_two_members_make_one_entry(app, rich):
    pending_id, school_id = ask_disbursement(rich, 600_000).id, rich["a"].id
    members = [rich["komite_a2"].id, rich["komite_a3"].id]

    def decide(i: int) -> str:
        try:
            approvals.approve(
                db.session.get(School, school_id),
                db.session.get(PendingDisbursement, pending_id),
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
    approved = db.session.scalar(
        select(func.count(Entry.id)).where(Entry.approved_by_id.is_not(None))
    )
    assert approved == 1
    assert (fund_of(rich).balance, fund_of(rich).reserved) == (400_000, 0)
    assert chain.verify(rich["a"]).ok


# --- the dashboard and the totals check ---------------------------------------------------------


def test_the_dashboard_flags_items_waiting_more_than_14_days(rich):
    old, recent = ask_disbursement(rich, 500_000), ask_disbursement(rich, 500_000)
    db.session.execute(
        update(PendingDisbursement)
        .where(PendingDisbursement.id == old.id)
        .values(requested_on=TODAY - timedelta(days=15))
    )
    db.session.execute(
        update(PendingDisbursement)
        .where(PendingDisbursement.id == recent.id)
        .values(requested_on=TODAY - timedelta(days=14))
    )
    db.session.commit()
    board = cashbook.dashboard(rich["a"], TODAY)
    assert [(line.item.id, line.stale) for line in board.pending] == [
        (old.id, True),
        (recent.id, False),
    ]
    assert (board.balance, board.reserved, board.available) == (1_000_000, 1_000_000, 0)


def test_check_totals_finds_a_reservation_without_its_pending_items(rich):
    ask_disbursement(rich, 600_000)
    assert integrity.check_totals() == []
    fund = fund_of(rich)
    fund.reserved = 700_000
    db.session.flush()
    assert integrity.check_totals() == [f"{rich['a'].npsn}: reserved 700000 != pending 600000"]
    db.session.rollback()
    db.session.execute(
        update(PendingDisbursement).values(
            status="rejected", decided_by_id=rich["komite_a"].id, reason="x"
        )
    )
    assert integrity.check_totals() == [f"{rich['a'].npsn}: reserved 600000 != pending 0"]
    db.session.rollback()


# --- the pages ------------------------------------------------------------------------------------


def disbursement_form(world, **overrides):
    data = {
        "amount": "500.000",
        "occurred_on": TODAY.isoformat(),
        "recipient_id": world["recipient_a"].id,
        "category": "sepeda",
        "in_kind": "y",
        "description": "Sepeda",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("amount", "waits"), [("499.999", False), ("500.000", True), ("Rp750.000", True)]
)
def test_the_disbursement_form_sends_large_amounts_for_approval(client, rich, amount, waits):
    login(client, "komite_a")
    response = client.post(f"{A}/penyaluran/baru", data=disbursement_form(rich, amount=amount))
    assert response.status_code == (303 if waits else 200)  # recorded: the confirmation itself
    pending = db.session.scalar(select(PendingDisbursement))
    if waits:
        assert response.location.endswith(f"/menunggu/{pending.id}")
        assert entries_of(rich) == 2 and fund_of(rich).balance == 1_000_000
        page = client.get(response.location)
        assert "menunggu persetujuan anggota komite lain" in page.text
    else:
        assert pending is None and entries_of(rich) == 3
        assert fund_of(rich).reserved == 0


def test_a_large_disbursement_form_sent_twice_waits_once(client, rich):
    login(client, "komite_a")
    form = disbursement_form(rich)
    first = client.post(f"{A}/penyaluran/baru", data=form)
    second = client.post(f"{A}/penyaluran/baru", data=form)
    assert second.status_code == 303 and second.location == first.location
    assert db.session.scalar(select(func.count(PendingDisbursement.id))) == 1
    assert fund_of(rich).reserved == 500_000


def test_a_back_dated_large_disbursement_is_refused_on_the_form(client, rich):
    login(client, "komite_a")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = client.post(
        f"{A}/penyaluran/baru", data=disbursement_form(rich, occurred_on=yesterday)
    )
    assert response.status_code == 422
    assert "tanggal persetujuan" in response.text
    assert db.session.scalar(select(PendingDisbursement)) is None


def test_the_dashboard_shows_available_and_reserved_money(client, rich):
    ask_disbursement(rich, 500_000)
    login(client, "guru_a")
    page = client.get(f"{A}/beranda").text
    assert "Rp1.000.000" in page
    assert "bisa dipakai Rp500.000 · menunggu persetujuan Rp500.000" in page


def test_who_sees_which_buttons_on_the_dashboard(client, rich):
    pending = ask_disbursement(rich, 600_000)
    approve_url, reject_url = (
        f"{A}/menunggu/{pending.id}/setujui",
        f"{A}/menunggu/{pending.id}/tolak",
    )
    seen = {}
    for who in ("komite_a", "komite_a2", "guru_a"):
        login(client, who)
        page = client.get(f"{A}/beranda").text
        assert f'id="pending-{pending.id}"' in page and "Sepeda untuk Siti Aminah" in page
        seen[who] = (approve_url in page, reject_url in page)
        client.post("/keluar")
    assert seen == {
        "komite_a": (False, True),  # the recorder may withdraw, never approve
        "komite_a2": (True, True),
        "guru_a": (False, False),  # sees, cannot act
    }
    login(client, "guru_a")
    page = client.get(f"{A}/menunggu/{pending.id}").text
    assert approve_url not in page and reject_url not in page


def test_the_dashboard_flag_shows_on_the_page(client, rich):
    pending = ask_disbursement(rich, 600_000)
    login(client, "guru_a")
    assert STALE_FLAG not in client.get(f"{A}/beranda").text
    db.session.execute(update(PendingDisbursement).values(requested_on=TODAY - timedelta(days=15)))
    page = client.get(f"{A}/beranda").text
    assert STALE_FLAG in page
    assert STALE_FLAG in client.get(f"{A}/menunggu/{pending.id}").text


def test_approving_through_the_page(client, rich):
    pending = ask_disbursement(rich, 600_000)
    login(client, "komite_a2")
    response = client.post(f"{A}/menunggu/{pending.id}/setujui", data={"form_key": "a" * 32})
    entry = db.session.scalar(select(Entry).where(Entry.form_key == "a" * 32))
    assert response.status_code == 303
    assert response.location.endswith(f"/catatan/{entry.id}")
    assert entry.approved_by_id == rich["komite_a2"].id
    # The same form again (double tap): one entry, back to it.
    again = client.post(f"{A}/menunggu/{pending.id}/setujui", data={"form_key": "a" * 32})
    assert again.status_code == 303 and again.location == response.location
    # Another member, a moment later: told it is done.
    client.post("/keluar")
    assert login(client, "komite_a3").status_code == 303
    late = client.post(f"{A}/menunggu/{pending.id}/setujui", data={"form_key": "b" * 32})
    assert late.status_code == 303 and late.location.endswith(f"/menunggu/{pending.id}")
    assert "sudah disetujui" in client.get(late.location).text
    assert entries_of(rich) == 3 and fund_of(rich).reserved == 0


def test_self_approval_through_the_page_is_403(client, rich):
    pending = ask_disbursement(rich, 600_000)
    login(client, "komite_a")
    assert (
        client.post(f"{A}/menunggu/{pending.id}/setujui", data={"form_key": "a" * 32}).status_code
        == 403
    )
    db.session.refresh(pending)
    assert pending.status == PendingStatus.PENDING and entries_of(rich) == 2


@pytest.mark.parametrize("who", ["guru_a", "dinas", "admin"])
@pytest.mark.parametrize("action", ["setujui", "tolak"])
def test_teachers_and_outsiders_cannot_decide(client, rich, who, action):
    pending = ask_disbursement(rich, 600_000)
    login(client, who)
    data = {"form_key": uuid.uuid4().hex, "reason": "Tidak"}
    assert client.post(f"{A}/menunggu/{pending.id}/{action}", data=data).status_code == 403
    db.session.refresh(pending)
    assert pending.status == PendingStatus.PENDING and fund_of(rich).reserved == 600_000


def test_rejecting_through_the_page(client, rich):
    pending = ask_disbursement(rich, 600_000)
    login(client, "komite_a")
    empty = client.post(f"{A}/menunggu/{pending.id}/tolak", data={"reason": ""})
    assert empty.status_code == 422 and "Alasan penolakan wajib diisi." in empty.text
    assert fund_of(rich).reserved == 600_000
    done = client.post(f"{A}/menunggu/{pending.id}/tolak", data={"reason": "Sudah dibantu"})
    assert done.status_code == 303
    assert "Sudah dibantu" in client.get(done.location).text
    assert fund_of(rich).reserved == 0


def test_the_threshold_page_is_for_the_committee_and_audited(client, rich):
    login(client, "guru_a")
    assert client.get(f"{A}/pengaturan/persetujuan").status_code == 403
    assert client.post(f"{A}/pengaturan/persetujuan", data={"threshold": "1"}).status_code == 403
    client.post("/keluar")
    login(client, "komite_a")
    assert 'value="500.000"' in client.get(f"{A}/pengaturan/persetujuan").text
    for bad in ("", "0", "1.5", "100.000.001"):
        response = client.post(f"{A}/pengaturan/persetujuan", data={"threshold": bad})
        assert response.status_code == 422, bad
    assert db.session.get(School, rich["a"].id).approval_threshold == 500_000
    response = client.post(f"{A}/pengaturan/persetujuan", data={"threshold": "Rp1"})
    assert response.status_code == 303
    assert db.session.get(School, rich["a"].id).approval_threshold == 1
    (row,) = audit_rows("school.threshold_changed")
    assert (row.actor, row.detail) == ("komite_a", "from=500000 to=1")
    # Rp1: every disbursement now waits.
    client.post(f"{A}/penyaluran/baru", data=disbursement_form(rich, amount="20.000"))
    assert db.session.scalar(select(PendingDisbursement.amount)) == 20_000
    assert entries_of(rich) == 2


# --- who may open what ----------------------------------------------------------------------------

NONE_OF_YOURS = [302, 404, 404, 404, 404, 403, 403]  # another school's item, or none
NOT_YOURS_TO_DECIDE = [302, 404, 404, 403, 403, 403, 403]  # teachers: 403 before any lookup

MATRIX = [
    ("GET", "/sekolah/{a}/pengaturan/persetujuan", WRITE_FORM),
    ("POST", "/sekolah/{a}/pengaturan/persetujuan", WRITE),
    ("GET", "/sekolah/{a}/menunggu/{pending}", READ),
    ("POST", "/sekolah/{a}/menunggu/{pending}/setujui", WRITE),
    ("POST", "/sekolah/{a}/menunggu/{pending}/tolak", WRITE),
    ("GET", "/sekolah/{a}/menunggu/{pending_b}", NONE_OF_YOURS),
    ("POST", "/sekolah/{a}/menunggu/{pending_b}/setujui", NOT_YOURS_TO_DECIDE),
    ("POST", "/sekolah/{a}/menunggu/{pending_b}/tolak", NOT_YOURS_TO_DECIDE),
    ("GET", "/sekolah/{a}/menunggu/99999999999", NONE_OF_YOURS),
]


@pytest.mark.parametrize(
    ("method", "url", "actor", "expected"),
    [
        pytest.param(method, url, actor, expected[i], id=f"{method} {url} {actor}")
        for method, url, expected in MATRIX
        for i, actor in enumerate(ACTORS)
    ],
)
def test_role_route_matrix(client, world, method, url, actor, expected):
    contribute(world["a"], 900_000, world["komite_a"])
    contribute(world["b"], 950_000, world["komite_b"])
    recorder = make_user("komite_a2", Role.COMMITTEE, world["a"])  # so komite_a may approve
    pending = ask_disbursement(world, 500_000, user=recorder)
    pending_b = approvals.request_disbursement(
        world["b"],
        amount=500_000,
        occurred_on=TODAY,
        recipient=world["recipient_b"],
        category=Category.SEPATU,
        in_kind=True,
        description=None,
        recorded_by=make_user("komite_b2", Role.COMMITTEE, world["b"]),
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    url = url.format(a=world["a"].npsn, pending=pending.id, pending_b=pending_b.id)
    if actor != "anon":
        assert login(client, actor, PASSWORD).status_code == 303
    data = {"threshold": "750.000", "form_key": uuid.uuid4().hex, "reason": "Belum perlu"}
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code == expected, response.text[:500]
