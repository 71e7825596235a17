"""Many writers at once: the balance check and the insert are serialised per school.

Runs on a SQLite file (WAL, BEGIN IMMEDIATE) and, in CI, on PostgreSQL (row lock on the fund).
"""

import uuid

from sqlalchemy import func, select

from sas import create_app, ledger
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import Category, Entry, EntryKind, Fund, Recipient, School, User
from tests.threads import THREADS, run_at_once
from tests.web import login


def test_concurrent_disbursements_never_overdraw(app, world):
    school_id, user_id, recipient_id = world["a"].id, world["komite_a"].id, world["recipient_a"].id
    # Rp100.000 in the fund; 20 people try to give Rp15.000 at the same moment: 6 fit.

    def give(_i: int) -> str:
        school = db.session.get(School, school_id)
        try:
            entries.record_disbursement(
                school,
                amount=15_000,
                occurred_on=today_wib(),
                recipient=db.session.get(Recipient, recipient_id),
                category=Category.UANG_SAKU,
                in_kind=False,
                description=None,
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
    assert results.count("refused") == 14, results
    db.session.expire_all()
    assert ledger.balance(world["a"]) == 10_000
    given = db.session.scalar(
        select(func.count(Entry.id)).where(Entry.kind == EntryKind.DISBURSEMENT)
    )
    assert given == 6


def test_concurrent_contributions_all_count(app, world):
    school_id, user_id = world["a"].id, world["komite_a"].id

    def gather(i: int) -> int:
        from sas.models import Source

        entry = entries.record_contribution(
            db.session.get(School, school_id),
            amount=1_000 * (i + 1),
            occurred_on=today_wib(),
            source=Source.CLASS,
            class_label=f"7{i}",
            donor_name=None,
            note=None,
            recorded_by=db.session.get(User, user_id),
            form_key=uuid.uuid4().hex,
            today=today_wib(),
        )
        db.session.commit()
        return entry.seq

    seqs = run_at_once(app, gather)
    assert sorted(seqs) == list(range(2, THREADS + 2)), seqs
    db.session.expire_all()
    assert ledger.balance(world["a"]) == 100_000 + 1_000 * sum(range(1, THREADS + 1))


def test_a_form_posted_many_times_at_once_records_once(app, world):
    """Twenty copies of one submitted form (a frantic double tap on a slow phone)."""
    form = {
        "amount": "7.500",
        "occurred_on": today_wib().isoformat(),
        "source": "class",
        "class_label": "8B",
        "form_key": uuid.uuid4().hex,
    }
    clients = [app.test_client() for _ in range(THREADS)]
    for c in clients:
        assert login(c, "komite_a").status_code == 303

    def post(i: int) -> int:
        return clients[i].post("/sekolah/20525555/sumbangan/baru", data=form).status_code

    statuses = run_at_once(app, post)
    assert statuses == [200] * THREADS, statuses  # each answered with the confirmation
    db.session.expire_all()
    recorded = db.session.scalar(
        select(func.count(Entry.id)).where(Entry.form_key == form["form_key"])
    )
    assert recorded == 1
    assert ledger.balance(world["a"]) == 107_500


def test_a_really_busy_database_answers_try_again_and_saves_nothing(app, world):
    """Another writer holds the lock longer than we wait: 503 with a message, never a 500."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    sqlite = url.startswith("sqlite")
    impatient = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.2}}
            if sqlite
            else {"connect_args": {"options": "-c lock_timeout=200"}},
        },
    )
    impatient.test_client_class = app.test_client_class
    client = impatient.test_client()
    assert login(client, "komite_a").status_code == 303
    form = {
        "amount": "5.000",
        "occurred_on": today_wib().isoformat(),
        "source": "class",
        "class_label": "8A",
        "form_key": uuid.uuid4().hex,
    }
    db.session.commit()
    with db.engine.connect() as other:  # another writer, mid-transaction
        if sqlite:
            other.exec_driver_sql("SELECT 1")  # our engine begins with BEGIN IMMEDIATE
        else:
            other.execute(select(Fund).where(Fund.school_id == world["a"].id).with_for_update())
        response = client.post("/sekolah/20525555/sumbangan/baru", data=form)
        assert response.status_code == 503
        assert "coba lagi" in response.text
        other.rollback()
    assert ledger.balance(world["a"]) == 100_000
    # The same form sent again once the lock is gone goes through, once.
    assert client.post("/sekolah/20525555/sumbangan/baru", data=form).status_code == 200
    db.session.expire_all()
    assert ledger.balance(world["a"]) == 105_000
    with impatient.app_context():
        db.engine.dispose()
