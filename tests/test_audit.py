"""The audit log: every wired action writes one row (right actor, school, target), no child's
data reaches it, admins read all of it and a teacher their school's part, and nothing changes
or deletes a row: no route of the app, and not the database itself."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from sas import audit
from sas.audit.labels import ACTION_LABELS
from sas.audit.services import ACTIONS, AuditFilter, audit_page
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import ApiToken, AuditEvent, Category, Entry, Recipient
from tests.web import login

A = "/sekolah/20525555"
B = "/sekolah/20526666"

# Personal data that must never reach the log (the fixture's and this file's).
SECRETS = (
    "Siti Aminah",
    "Budi Santoso",
    "Orang tua buruh tani",
    "Seragam putih biru",
    "Dewi Lestari",
    "0123456789",
    "Rumah terdampak banjir",
    "Pak Slamet",
    "titipan wali murid",
    "sepatu adik Siti",
    "salah ketik nama Dewi",
)


def rows(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def only(action: str) -> AuditEvent:
    found = rows(action)
    assert len(found) == 1, [(r.action, r.target) for r in found]
    return found[0]


def count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def log_text() -> str:
    """Every text column of every row, for searching."""
    return "\n".join(
        " ".join(str(v) for v in (r.actor, r.action, r.target, r.detail, r.address) if v)
        for r in rows()
    )


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


# --- wiring: the ledger services -----------------------------------------------------------------


def test_the_worlds_two_contributions_are_each_logged_once(world):
    logged = rows("entry.recorded")
    assert [(r.target, r.school_id, r.actor_id, r.actor) for r in logged] == [
        (f"entry:{world['entry_a'].id}", world["a"].id, world["komite_a"].id, "komite_a"),
        (f"entry:{world['entry_b'].id}", world["b"].id, world["komite_b"].id, "komite_b"),
    ]
    assert count() == 2


def test_a_contribution_is_logged_with_its_number_and_amount_never_the_donor(komite, world):
    before = count()
    response = komite.post(
        f"{A}/sumbangan/baru",
        data={
            "amount": "Rp 25.000",
            "occurred_on": today_wib().isoformat(),
            "source": "individual",
            "donor_name": "Pak Slamet",
            "note": "titipan wali murid",
            "form_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 200
    entry = db.session.scalar(select(Entry).where(Entry.donor_name == "Pak Slamet"))
    assert count() == before + 1
    row = rows("entry.recorded")[-1]
    assert row.target == f"entry:{entry.id}"
    assert (row.actor_id, row.actor, row.school_id) == (
        world["komite_a"].id,
        "komite_a",
        entry.school_id,
    )
    assert row.detail == f"no={entry.number} kind=contribution amount=25000 source=individual"
    assert row.address == "127.0.0.1"
    assert "Pak Slamet" not in log_text() and "titipan" not in log_text()


def test_a_disbursement_names_the_recipient_by_id_only(app, world):
    recipient = world["recipient_a"]
    entry = entries.record_disbursement(
        world["a"],
        amount=20_000,
        occurred_on=today_wib(),
        recipient=recipient,
        category=Category.SEPATU,
        in_kind=True,
        description="sepatu adik Siti",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    row = rows("entry.recorded")[-1]
    assert row.target == f"entry:{entry.id}" and row.school_id == world["a"].id
    assert row.actor_id == world["komite_a"].id
    assert row.detail == (
        f"no={entry.number} kind=disbursement amount=20000 category=sepatu in_kind=yes "
        f"recipient=recipient:{recipient.id}"
    )
    assert "Siti" not in log_text() and "8A" not in (row.detail or "")


def test_a_void_refers_to_the_voided_entry_by_id_and_number_without_the_reason(komite, world):
    original = world["entry_a"]
    response = komite.post(
        f"{A}/catatan/{original.id}/batalkan",
        data={"reason": "salah ketik nama Dewi", "form_key": uuid.uuid4().hex},
    )
    assert response.status_code == 303
    reversal = db.session.scalar(select(Entry).where(Entry.voids_entry_id == original.id))
    row = only("entry.voided")
    assert row.target == f"entry:{reversal.id}"
    assert (row.actor_id, row.school_id) == (world["komite_a"].id, world["a"].id)
    assert row.detail == (
        f"no={reversal.number} voids=entry:{original.id} ({original.number}) amount=100000"
    )
    assert "Dewi" not in log_text() and "salah ketik" not in log_text()


def test_a_refused_or_repeated_write_logs_nothing(komite, world):
    before = count()
    too_much = komite.post(
        f"{A}/penyaluran/baru",
        data={
            "amount": "500.000",
            "occurred_on": today_wib().isoformat(),
            "recipient_id": world["recipient_a"].id,
            "category": "seragam",
            "form_key": uuid.uuid4().hex,
        },
    )
    assert too_much.status_code == 422 and "Saldo tidak cukup" in too_much.text
    assert count() == before
    data = {
        "amount": "5.000",
        "occurred_on": today_wib().isoformat(),
        "source": "class",
        "class_label": "8A",
        "form_key": uuid.uuid4().hex,
    }
    assert komite.post(f"{A}/sumbangan/baru", data=data).status_code == 200
    assert komite.post(f"{A}/sumbangan/baru", data=data).status_code == 200  # a double click
    assert count() == before + 1


def test_closing_a_month_is_logged(komite, world):
    last_month = (today_wib().replace(day=1) - timedelta(days=1)).replace(day=1)
    key = last_month.strftime("%Y-%m")
    assert komite.post(f"{A}/bulan/{key}/tutup").status_code == 303
    row = only("month.closed")
    assert row.target == f"month:{key}"
    assert (row.actor_id, row.actor, row.school_id) == (
        world["komite_a"].id,
        "komite_a",
        world["a"].id,
    )
    assert row.detail in ("on_time=yes", "on_time=no")
    komite.post(f"{A}/bulan/{key}/tutup")  # refused: already closed
    assert len(rows("month.closed")) == 1


# --- wiring: recipients --------------------------------------------------------------------------


def test_adding_a_recipient_logs_its_id_and_no_personal_data(komite, world):
    response = komite.post(
        f"{A}/penerima/baru",
        data={
            "name": "Dewi Lestari",
            "class_label": "7B",
            "nisn": "0123456789",
            "reason": "Rumah terdampak banjir",
            "active": "y",
        },
    )
    assert response.status_code == 303
    recipient = db.session.scalar(select(Recipient).where(Recipient.name == "Dewi Lestari"))
    row = only("recipient.added")
    assert row.target == f"recipient:{recipient.id}"
    assert (row.actor_id, row.school_id) == (world["komite_a"].id, world["a"].id)
    assert row.detail == "active=yes"
    text_ = log_text()
    assert not any(s in text_ for s in ("Dewi", "0123456789", "banjir", "7B"))


def test_changing_a_recipient_logs_which_fields_changed_not_their_values(komite, world):
    recipient = world["recipient_a"]
    url = f"{A}/penerima/{recipient.id}/ubah"
    same = {"name": "Siti Aminah", "class_label": "8A", "reason": "Orang tua buruh tani"}
    assert komite.post(url, data={**same, "active": "y"}).status_code == 303
    assert rows("recipient.changed") == []  # saved unchanged: nothing to log
    changed = {**same, "name": "Siti Aminah Putri", "nisn": "0123456789"}  # and deactivated
    assert komite.post(url, data=changed).status_code == 303
    row = only("recipient.changed")
    assert row.target == f"recipient:{recipient.id}"
    assert (row.actor_id, row.school_id) == (world["komite_a"].id, world["a"].id)
    assert row.detail == "fields=name,nisn,active active=no"
    assert "Siti" not in log_text() and "0123456789" not in log_text()


# --- wiring: API tokens (command line) -----------------------------------------------------------


def cli(app, *args: str):  # type: ignore[no-untyped-def]
    db.session.commit()  # the command runs in its own session
    result = app.test_cli_runner().invoke(args=["sas", *args])
    db.session.expire_all()
    return result


def test_creating_and_revoking_a_token_is_logged_with_cli_as_actor(app, world):
    created = cli(app, "create-token", "--username", "komite_a", "--name", "laptop")
    assert created.exit_code == 0, created.output
    token = db.session.scalar(select(ApiToken))
    row = only("token.created")
    assert (row.actor_id, row.actor, row.target) == (None, "cli", f"token:{token.id}")
    assert row.school_id == world["a"].id  # the owner's school: its teacher sees it
    owner = world["komite_a"]
    assert row.detail == f"owner=user:{owner.id} (komite_a) name=laptop"
    assert token.token_hash not in log_text() and created.stdout.strip() not in log_text()

    assert cli(app, "revoke-token", "--id", str(token.id)).exit_code == 0
    revoked = only("token.revoked")
    assert (revoked.actor, revoked.target, revoked.school_id) == (
        "cli",
        f"token:{token.id}",
        world["a"].id,
    )
    assert cli(app, "revoke-token", "--id", str(token.id)).exit_code == 0  # already revoked
    assert len(rows("token.revoked")) == 1


def test_a_district_token_belongs_to_no_school(app, world):
    assert cli(app, "create-token", "--username", "dinas", "--name", "SIPD").exit_code == 0
    assert only("token.created").school_id is None


def test_a_failed_token_command_logs_nothing(app, world):
    before = count()
    assert cli(app, "create-token", "--username", "dinas", "--name", " ").exit_code != 0
    assert count() == before


# --- record() ------------------------------------------------------------------------------------


def test_record_files_a_school_accounts_action_under_its_school(app, world):
    audit.record("logout", actor=world["guru_b"])
    audit.record("logout", actor=world["admin"])
    audit.record("login.failed", actor_name="nobody")
    db.session.commit()
    logged = [(r.actor, r.school_id, r.actor_id) for r in rows("logout") + rows("login.failed")]
    assert logged == [
        ("guru_b", world["b"].id, world["guru_b"].id),
        ("admin", None, world["admin"].id),
        ("nobody", None, None),
    ]
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("entry.deleted")


def test_every_action_has_a_label():
    assert set(ACTION_LABELS) == set(ACTIONS)


# --- who may read it: role x route ---------------------------------------------------------------

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]
ADMIN_ONLY = [302, 403, 403, 403, 403, 403, 200]
TEACHER_A = [302, 403, 403, 200, 404, 403, 403]
FILTERED = "user=komite_a&action=entry.recorded&from=2025-01-01&to=2030-12-31"
MATRIX = [
    ("GET", "/audit", ADMIN_ONLY),
    ("GET", f"/audit?school=20525555&{FILTERED}", ADMIN_ONLY),
    ("GET", "/audit?after=1&school=bad&from=nonsense&to=2024-01-01&action=x", ADMIN_ONLY),
    ("GET", f"{A}/audit", TEACHER_A),
    ("GET", f"{A}/audit?{FILTERED}&after=99999999999", TEACHER_A),
    ("GET", f"{B}/audit", [302, 403, 403, 404, 200, 403, 403]),
    ("GET", "/sekolah/99999999/audit", [302, 403, 403, 404, 404, 403, 403]),
    ("POST", "/audit", [405] * 7),
    ("DELETE", "/audit", [405] * 7),
    ("POST", f"{A}/audit", [405] * 7),
    ("PUT", f"{A}/audit", [405] * 7),
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
    if actor != "anon":
        assert login(client, actor).status_code == 303
    response = client.open(url, method=method)
    assert response.status_code == expected, response.data[:300]
    if expected == 302:
        assert "/masuk" in response.headers["Location"]


def test_the_audit_blueprint_only_reads(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert {r.rule for r in rules} == {"/audit", "/sekolah/<npsn>/audit"}
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_no_link_to_the_log_for_those_who_cannot_read_it(client, world):
    login(client, "komite_a")
    assert "/audit" not in client.get(f"{A}/beranda").text


# --- the pages -----------------------------------------------------------------------------------


def test_the_admin_sees_every_school_with_addresses_and_labels(client, world):
    login(client, "admin")
    page = client.get("/audit").text
    assert f"entry:{world['entry_a'].id}<" in page and f"entry:{world['entry_b'].id}<" in page
    assert "20525555" in page and "20526666" in page
    assert "Transaksi dicatat" in page and "entry.recorded<" not in page
    assert "Alamat IP" in page and "127.0.0.1" in page


def test_a_teacher_sees_only_their_schools_part_without_addresses(client, world):
    audit.record("access.denied", target="school:1", actor=world["komite_b"], detail="x")
    db.session.commit()
    login(client, "guru_a")
    page = client.get(f"{A}/audit").text
    assert f"entry:{world['entry_a'].id}<" in page
    assert f"entry:{world['entry_b'].id}<" not in page
    assert "komite_b" not in page and "Akses ditolak" not in page.split("<tbody>")[1]
    assert "Alamat IP" not in page and "127.0.0.1" not in page
    # naming another school in the query changes nothing
    other = client.get(f"{A}/audit?school=20526666").text
    assert f"entry:{world['entry_a'].id}<" in other
    assert f"entry:{world['entry_b'].id}<" not in other
    assert 'name="school"' not in page


def test_no_childs_data_in_the_log_or_its_pages(client, world):
    """A morning of school A's work, with personal data typed everywhere it can be."""
    login(client, "komite_a")
    today = today_wib().isoformat()
    assert (
        client.post(
            f"{A}/penerima/baru",
            data={
                "name": "Dewi Lestari",
                "class_label": "7B",
                "nisn": "0123456789",
                "reason": "Rumah terdampak banjir",
                "active": "y",
            },
        ).status_code
        == 303
    )
    dewi = db.session.scalar(select(Recipient).where(Recipient.name == "Dewi Lestari"))
    assert (
        client.post(
            f"{A}/penerima/{dewi.id}/ubah",
            data={"name": "Dewi Lestari", "nisn": "0123456789", "reason": "Yatim, Siti Aminah"},
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"{A}/sumbangan/baru",
            data={
                "amount": "10.000",
                "occurred_on": today,
                "source": "individual",
                "donor_name": "Pak Slamet",
                "note": "titipan wali murid",
                "form_key": uuid.uuid4().hex,
            },
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{A}/penyaluran/baru",
            data={
                "amount": "20.000",
                "occurred_on": today,
                "recipient_id": world["recipient_a"].id,
                "category": "seragam",
                "description": "sepatu adik Siti",
                "form_key": uuid.uuid4().hex,
            },
        ).status_code
        == 200
    )
    spent = db.session.scalar(select(Entry).where(Entry.description == "sepatu adik Siti"))
    assert (
        client.post(
            f"{A}/catatan/{spent.id}/batalkan",
            data={"reason": "salah ketik nama Dewi", "form_key": uuid.uuid4().hex},
        ).status_code
        == 303
    )
    client.post("/keluar")
    assert count() >= 2 + 5
    stored = log_text()
    assert [s for s in SECRETS if s in stored] == []
    for reader, url in (("admin", "/audit"), ("guru_a", f"{A}/audit")):
        login(client, reader)
        page = client.get(url).text
        assert "Data penerima diubah" in page and "Transaksi dibatalkan" in page
        assert [s for s in SECRETS if s in page] == [], reader
        client.post("/keluar")


# --- filters and paging --------------------------------------------------------------------------


def put(action: str, at: datetime, school=None, actor=None, actor_name=None, target=None) -> int:  # type: ignore[no-untyped-def]
    """A row at a chosen moment (an INSERT, which the log allows)."""
    return db.session.execute(
        insert(AuditEvent)
        .values(
            action=action,
            at=at,
            school_id=school.id if school else None,
            actor_id=actor.id if actor else None,
            actor=actor.username if actor else actor_name,
            target=target,
        )
        .returning(AuditEvent.id)
    ).scalar_one()


def targets(page) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'<td class="nowrap">(t:\d+)</td>', page)


def test_filters_by_school_user_action_and_wib_dates(client, world):
    # 1 March 2026 23:59 WIB and 2 March 2026 00:00 WIB, one minute apart
    late = datetime(2026, 3, 1, 16, 59, tzinfo=UTC)
    early = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    put("login.succeeded", late, world["a"], world["komite_a"], target="t:1")
    put("login.succeeded", early, world["b"], world["komite_b"], target="t:2")
    put("logout", early, world["a"], world["guru_a"], target="t:3")
    put("login.failed", early, actor_name="Komite_A", target="t:4")  # as typed, no account
    put("login.failed", early, actor_name="stranger", target="t:5")
    login(client, "admin")

    def shown(query: str) -> list[str]:
        return sorted(targets(client.get(f"/audit?{query}").text))

    assert shown("") == ["t:1", "t:2", "t:3", "t:4", "t:5"]
    assert shown("school=20525555") == ["t:1", "t:3"]
    assert shown("user=komite_a") == ["t:1", "t:4"]
    assert shown("user=STRANGER") == ["t:5"]
    assert shown("action=logout") == ["t:3"]
    assert shown("from=2026-03-02") == ["t:2", "t:3", "t:4", "t:5"]
    assert shown("to=2026-03-01") == ["t:1"]
    assert shown("from=2026-03-01&to=2026-03-01&school=20525555") == ["t:1"]
    assert shown("user=nobody") == []
    unknown = client.get("/audit?school=20527777")
    assert "Tidak ada sekolah dengan NPSN ini." in unknown.text and targets(unknown.text) == []
    bad = client.get("/audit?from=kemarin&action=entry.deleted&to=2026-03-01")
    assert bad.status_code == 200 and "Pilihan tidak sah." in bad.text
    assert sorted(targets(bad.text)) == ["t:1"]  # the good part of the filter still applies
    reversed_ = client.get("/audit?from=2026-03-02&to=2026-03-01")
    assert "Tanggal akhir harus sesudah tanggal awal." in reversed_.text
    # times are shown in WIB
    assert "2 Mar 2026 00:00:00" in client.get("/audit?action=logout").text


def test_a_teachers_filters_stay_inside_their_school(client, world):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    put("logout", at, world["a"], world["komite_a"], target="t:1")
    put("logout", at, world["b"], world["komite_a"], target="t:2")  # the same user elsewhere
    login(client, "guru_a")
    page = client.get(f"{A}/audit?user=komite_a&action=logout&from=2026-03-02").text
    assert targets(page) == ["t:1"]


def test_paging_is_newest_first_and_walks_every_row_once(app, client, world):
    app.config["AUDIT_PER_PAGE"] = 3
    base = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for i in range(7):  # rows 3 and 4 share a moment: the id breaks the tie
        put("logout", base + timedelta(minutes=min(i, 3)), target=f"t:{i}")
    login(client, "admin")
    seen, url = [], "/audit?action=logout"
    for _ in range(5):
        response = client.get(url)
        seen.append(targets(response.text))
        found = re.search(r'href="([^"]+)" rel="next"', response.text)
        if found is None:
            break
        url = found.group(1).replace("&amp;", "&")
        assert "action=logout" in url
    assert seen == [["t:6", "t:5", "t:4"], ["t:3", "t:2", "t:1"], ["t:0"]]
    assert 'rel="first"' in response.text


def test_paging_a_teacher_cannot_use_another_schools_row_as_a_cursor(app, world):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    mine = [put("logout", at + timedelta(minutes=i), world["a"], target=f"t:{i}") for i in range(3)]
    theirs = put("logout", at + timedelta(minutes=1), world["b"])
    db.session.commit()
    page = audit_page(AuditFilter(school_id=world["a"].id, action="logout"), theirs, 2)
    assert [line.event.id for line in page.lines] == [mine[2], mine[1]]  # the first page
    assert page.next_after == mine[1]
    last = audit_page(AuditFilter(school_id=world["a"].id, action="logout"), mine[1], 2)
    assert [line.event.id for line in last.lines] == [mine[0]] and last.next_after is None


# --- nothing changes it: the database refuses -------------------------------------------------


def test_the_database_refuses_to_update_or_delete_a_row(app, world):
    first = rows()[0]
    detail = first.detail
    for statement in (
        update(AuditEvent).where(AuditEvent.id == first.id).values(detail="edited"),
        delete(AuditEvent).where(AuditEvent.id == first.id),
        delete(AuditEvent),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    first = db.session.get(AuditEvent, first.id)
    first.actor = "someone else"  # through the ORM as well
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, first.id).detail == detail
    assert db.session.get(AuditEvent, first.id).actor == "komite_a"
    assert count() == 2


def test_sqlite_triggers_refuse_update_and_delete_whatever_the_test_database():
    """The SQLite triggers, checked even when the suite runs on PostgreSQL (which the test
    above then covers)."""
    engine = create_engine("sqlite://")
    db.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(AuditEvent).values(action="logout", at=datetime.now(UTC)))
    for statement in (update(AuditEvent).values(detail="x"), delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM audit_log WHERE detail IS NULL")).scalar() == 1
        )
    engine.dispose()


def test_the_database_of_this_run_has_the_triggers(app):
    if db.engine.dialect.name == "postgresql":
        names = db.session.scalars(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass")
        ).all()
        assert "audit_log_append_only" in names
    else:
        names = db.session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        ).all()
        assert set(names) == {"audit_log_no_update", "audit_log_no_delete"}
