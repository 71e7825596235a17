"""A Friday's class collections in one form, and the class list behind it."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sas import ledger
from sas.classes import services as classes
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import totals
from sas.models import AuditEvent, Entry, Role, SchoolClass, Source
from sas.months.services import close_month
from tests.factories import disburse, make_classes, make_school, make_user
from tests.web import login

A = "/sekolah/20525555"
B = "/sekolah/20526666"
TODAY = today_wib()


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


def class_ids(school) -> dict[str, int]:
    return {c.label: c.id for c in classes.active_classes(school)}


def batch(world, amounts: dict[str, str], **overrides) -> dict[str, str]:
    ids = class_ids(world["a"])
    data = {"occurred_on": TODAY.isoformat(), "form_key": uuid.uuid4().hex}
    data |= {f"class_{ids[label]}": amount for label, amount in amounts.items()}
    return {**data, **overrides}


def contributions_of(school) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry).where(Entry.school_id == school.id).order_by(Entry.seq).offset(1)
        )
    )


# --- the form ----------------------------------------------------------------------------------


def test_the_form_has_a_row_per_active_class_in_school_order(komite, world):
    make_classes(world["a"], "10", "9A", "7B")
    page = komite.get(f"{A}/sumbangan/kelas").text
    labels = [part.split(">")[1].split("<")[0] for part in page.split('<div class="row">')[1:]]
    assert labels == ["Tanggal", "7A", "7B", "8A", "8B", "9A", "10"]
    assert f'value="{TODAY.isoformat()}"' in page  # one date for all, today in WIB
    assert page.count('name="form_key"') == 1


def test_filled_rows_are_recorded_each_with_its_own_number_and_kuitansi(komite, world):
    response = komite.post(
        f"{A}/sumbangan/kelas", data=batch(world, {"7A": "12.000", "8B": "25rb", "8A": ""})
    )
    assert response.status_code == 200
    saved = response.text.split('id="saved-lines">')[1].split("</ul>")[0]
    assert "Iuran kelas 7A" in saved and "Iuran kelas 8B" in saved and "8A" not in saved
    assert "BKM-0002" in saved and "BKM-0003" in saved
    assert "Jumlah Rp37.000 dari 2 kelas" in response.text
    assert '<strong id="balance">Rp137.000</strong>' in response.text
    entries = contributions_of(world["a"])
    assert [(e.class_label, e.amount, e.source) for e in entries] == [
        ("7A", 12_000, Source.CLASS),
        ("8B", 25_000, Source.CLASS),
    ]
    assert [e.receipt_no for e in entries] == [2, 3]
    assert len({e.form_key for e in entries}) == 2  # one key per entry, from the form's one key
    for e in entries:
        assert komite.get(f"{A}/catatan/{e.id}/kuitansi").status_code == 200


def test_sent_twice_it_records_once(komite, world):
    form = batch(world, {"7A": "10.000", "8A": "20.000"})
    first = komite.post(f"{A}/sumbangan/kelas", data=form)
    second = komite.post(f"{A}/sumbangan/kelas", data=form)
    assert first.status_code == second.status_code == 200
    assert "tidak dicatat dua kali" in second.text and "BKM-0003" in second.text
    assert len(contributions_of(world["a"])) == 2
    assert ledger.balance(world["a"]) == 130_000


def test_all_or_none_when_a_row_fails_midway(komite, world, monkeypatch):
    # the rows are appended together (ledger.append_all): the failure comes after their
    # INSERTs and the fund's UPDATE, in the totals, which must undo them all
    real = totals.apply_all

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ledger.LedgerError("forced between rows", "occurred_on")

    monkeypatch.setattr(totals, "apply_all", failing)
    recorded = select(func.count(AuditEvent.id)).where(AuditEvent.action == "entry.recorded")
    logged = db.session.scalar(recorded)
    response = komite.post(
        f"{A}/sumbangan/kelas", data=batch(world, {"7A": "10.000", "8A": "20.000"})
    )
    assert response.status_code == 422 and "forced between rows" in response.text
    assert contributions_of(world["a"]) == []
    assert ledger.balance(world["a"]) == 100_000
    assert db.session.scalar(recorded) == logged
    monkeypatch.setattr(totals, "apply_all", real)
    again = komite.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "10.000", "8A": "20.000"}))
    assert again.status_code == 200
    assert [e.receipt_no for e in contributions_of(world["a"])] == [2, 3]  # no gap


def test_a_bad_row_is_named_and_nothing_is_saved(komite, world):
    ids = class_ids(world["a"])
    response = komite.post(
        f"{A}/sumbangan/kelas", data=batch(world, {"7A": "10.000", "8B": "25,5"})
    )
    assert response.status_code == 422
    summary = response.text.split('<div class="error-summary" role="alert">')[1].split("</div>")[0]
    assert f'<a href="#class_{ids["8B"]}">8B: ' in summary and "tanpa desimal" in summary
    row = response.text.split(f'id="class_{ids["8B"]}"')[1][:300]
    assert 'value="25,5"' in row  # what was typed stays
    assert 'value="10.000"' in response.text
    assert "autofocus" in response.text.split(f'id="class_{ids["8B"]}"')[0][-250:]
    assert contributions_of(world["a"]) == []


def test_an_empty_form_records_nothing_and_says_why(komite, world):
    response = komite.post(f"{A}/sumbangan/kelas", data=batch(world, {}))
    assert response.status_code == 422
    assert "Isi jumlah setidaknya untuk satu kelas." in response.text
    assert contributions_of(world["a"]) == []


def test_the_balance_does_not_matter_for_money_in(komite, world):
    disburse(world["a"], 100_000, world["komite_a"], world["recipient_a"])
    assert ledger.balance(world["a"]) == 0
    response = komite.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "5.000"}))
    assert response.status_code == 200
    assert ledger.balance(world["a"]) == 5_000


def test_a_closed_month_refuses_the_whole_batch(komite, world):
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    close_month(world["a"], last_month, closed_by=world["komite_a"], today=TODAY)
    db.session.commit()
    response = komite.post(
        f"{A}/sumbangan/kelas",
        data=batch(world, {"7A": "5.000", "8A": "7.000"}, occurred_on=last_month.isoformat()),
    )
    assert response.status_code == 422
    assert "Buku kas sudah ditutup" in response.text
    assert contributions_of(world["a"]) == []


def test_a_class_retired_since_the_form_was_shown_keeps_its_row_and_is_refused(komite, world):
    form = batch(world, {"7A": "5.000", "8A": "7.000"})
    item = db.session.get(SchoolClass, class_ids(world["a"])["8A"])
    classes.set_active(world["a"], item, False, changed_by=world["komite_a"])
    db.session.commit()
    response = komite.post(f"{A}/sumbangan/kelas", data=form)
    assert response.status_code == 422
    assert "Kelas ini tidak dipakai lagi." in response.text and 'value="7.000"' in response.text
    assert contributions_of(world["a"]) == []


def test_a_teacher_may_not_and_another_school_is_404(client, world):
    login(client, "guru_a")
    assert client.get(f"{A}/sumbangan/kelas").status_code == 403
    assert client.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "5"})).status_code == 403
    client.post("/keluar")
    login(client, "komite_b")
    assert client.get(f"{A}/sumbangan/kelas").status_code == 404
    response = client.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "5.000"}))
    assert response.status_code == 404
    # school B's form has school B's rows only: school A's class ids are not rows there
    own = {c.label: c.id for c in classes.active_classes(world["b"])}
    data = batch(world, {"7A": "5.000"}) | {f"class_{own['1A']}": "2.000"}
    assert client.post(f"{B}/sumbangan/kelas", data=data).status_code == 200
    assert contributions_of(world["a"]) == []
    assert ledger.balance(world["b"]) == 52_000


def test_without_classes_the_page_says_how_to_make_the_list(client, app):
    school = make_school("20527777")
    make_user("komite_c", Role.COMMITTEE, school)
    login(client, "komite_c")
    page = client.get(f"/sekolah/{school.npsn}/sumbangan/kelas").text
    assert 'id="no-classes"' in page and f"/sekolah/{school.npsn}/kelas" in page


def record(world, rows, key=None, school="a"):  # type: ignore[no-untyped-def]
    ids = class_ids(world[school])
    return entries.record_class_collections(
        world[school],
        rows=[(ids.get(label, label), amount) for label, amount in rows],
        occurred_on=TODAY,
        recorded_by=world[f"komite_{school}"],
        form_key=key or uuid.uuid4().hex,
        today=TODAY,
    )


def test_the_service_recognises_a_form_sent_again(world):
    key = uuid.uuid4().hex
    first = record(world, [("7A", 1_000), ("8A", 2_000)], key)
    db.session.commit()
    with pytest.raises(entries.DuplicateBatch) as dup:
        record(world, [("7A", 9_000)], key)
    assert [e.id for e in dup.value.entries] == [e.id for e in first]
    db.session.rollback()
    with pytest.raises(entries.DuplicateBatch) as elsewhere:  # the key, at another school
        record(world, [("1A", 9_000)], key, school="b")
    assert elsewhere.value.entries == []  # nothing of school A is handed to school B
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="Formulir tidak sah"):
        record(world, [("7A", 1_000)], "k" * 61)


def test_the_service_takes_only_the_schools_active_classes(world):
    other = class_ids(world["b"])["1A"]
    with pytest.raises(ledger.LedgerError, match=r"Kelas tidak ditemukan\.") as refused:
        record(world, [("7A", 1_000), (other, 2_000)])
    assert refused.value.field == f"class_{other}"
    db.session.rollback()
    with pytest.raises(ledger.LedgerError, match="lebih dari Rp0"):
        record(world, [("7A", 0)])
    db.session.rollback()
    assert contributions_of(world["a"]) == []


def test_a_key_another_school_used_is_a_404_and_records_nothing(client, world):
    form = batch(world, {"7A": "5.000"})
    login(client, "komite_a")
    assert client.post(f"{A}/sumbangan/kelas", data=form).status_code == 200
    client.post("/keluar")
    login(client, "komite_b")
    own = class_ids(world["b"])["1A"]
    data = {"occurred_on": form["occurred_on"], "form_key": form["form_key"], f"class_{own}": "1"}
    assert client.post(f"{B}/sumbangan/kelas", data=data).status_code == 404
    assert ledger.balance(world["b"]) == 50_000


def test_a_crafted_form_key_is_refused(komite, world):
    for key in ("k", "A" * 32, uuid.uuid4().hex + ":02", ""):
        response = komite.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "5"}) | {
            "form_key": key})  # fmt: skip
        assert response.status_code == 422 and "Formulir tidak sah" in response.text, key
    assert contributions_of(world["a"]) == []


def test_what_a_class_already_gave_that_day_is_shown_to_the_next_recorder(komite, world):
    komite.post(f"{A}/sumbangan/kelas", data=batch(world, {"7A": "15.000"}))
    page = komite.get(f"{A}/sumbangan/kelas").text
    row = page.split(f'id="class_{class_ids(world["a"])["7A"]}"')[1].split("</div>")[0]
    assert "Sudah tercatat Rp15.000 pada tanggal ini" in row
    assert "Sudah tercatat Rp100.000" in page  # the world's own 8A of today
    assert page.count("Sudah tercatat") == 2
    entries.void_entry(
        world["a"],
        world["entry_a"],
        reason="Dicatat dua kali",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    assert "Sudah tercatat Rp100.000" not in komite.get(f"{A}/sumbangan/kelas").text
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert "Sudah tercatat" not in komite.get(f"{A}/sumbangan/kelas?occurred_on={yesterday}").text


# --- the class list ----------------------------------------------------------------------------


def test_school_order():
    labels = ["XII IPA 1", "10", "9B", "X-2", "7A", "X-10", "SDLB 2", "8 TKJ", "XI IPA 2", "1A"]
    assert sorted(labels, key=classes.sort_key) == [
        "1A", "7A", "8 TKJ", "9B", "10", "X-2", "X-10", "XI IPA 2", "XII IPA 1", "SDLB 2",
    ]  # fmt: skip


def test_the_committee_adds_several_classes_at_once_tidied(komite, world):
    response = komite.post(f"{A}/kelas", data={"labels": "9a, 9 b\n x  tkj 1 ;9A"})
    assert response.status_code == 303
    assert [c.label for c in classes.active_classes(world["a"])] == [
        "7A", "8A", "8B", "9A", "9B", "X TKJ 1",
    ]  # fmt: skip
    page = komite.get(f"{A}/kelas").text
    assert "Kelas ditambahkan: 9A, 9B, X TKJ 1." in page


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("8A", "Kelas 8A sudah ada di daftar."),
        ("", "Tulis nama kelas"),
        ("<b>", "tidak bisa dipakai"),
        ("7" * 21, "paling banyak 20"),
    ],
)
def test_a_bad_class_is_refused_and_nothing_added(komite, world, labels, message):
    response = komite.post(f"{A}/kelas", data={"labels": f"9A, {labels}" if labels else ""})
    assert response.status_code == 422
    assert message in response.text
    assert [c.label for c in classes.active_classes(world["a"])] == ["7A", "8A", "8B"]


def test_rename_retire_and_bring_back(komite, world):
    contribution = entries.record_contribution(
        world["a"],
        amount=5_000,
        occurred_on=TODAY,
        source=Source.CLASS,
        class_label="8B",
        donor_name=None,
        note=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()
    item = class_ids(world["a"])["8B"]
    assert (
        komite.post(f"{A}/kelas/{item}/ubah-nama", data={f"c{item}-label": "8 bahari"}).status_code
        == 303
    )
    assert db.session.get(Entry, contribution.id).class_label == "8B"  # entries keep their label
    taken = komite.post(f"{A}/kelas/{item}/ubah-nama", data={f"c{item}-label": "8a"})
    assert taken.status_code == 422 and "Kelas 8A sudah ada di daftar." in taken.text
    assert komite.post(f"{A}/kelas/{item}/nonaktifkan").status_code == 303
    assert "Kelas 8 BAHARI tidak dipakai lagi." in komite.get(f"{A}/kelas").text
    assert "8 BAHARI" not in komite.get(f"{A}/sumbangan/kelas").text
    assert "8 BAHARI" not in komite.get(f"{A}/sumbangan/baru").text
    assert "8 BAHARI" in komite.get(f"{A}/kelas").text  # listed as retired
    eight_a = class_ids(world["a"])["8A"]
    to_retired = komite.post(
        f"{A}/kelas/{eight_a}/ubah-nama", data={f"c{eight_a}-label": "8 Bahari"}
    )
    assert to_retired.status_code == 422 and "pakai lagi dari sana" in to_retired.text
    assert komite.post(f"{A}/kelas", data={"labels": "8 Bahari"}).status_code == 303
    assert [c.label for c in classes.active_classes(world["a"])] == ["7A", "8A", "8 BAHARI"]
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target == f"class:{item}")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["class.renamed", "class.retired", "class.added"]


def test_the_teacher_reads_the_list_and_changes_nothing(client, world):
    login(client, "guru_a")
    page = client.get(f"{A}/kelas").text
    assert "8B" in page and "<textarea" not in page and "/nonaktifkan" not in page
    item = class_ids(world["a"])["8B"]
    assert client.post(f"{A}/kelas", data={"labels": "9A"}).status_code == 403
    assert client.post(f"{A}/kelas/{item}/nonaktifkan").status_code == 403


def test_another_schools_class_is_404(client, world):
    login(client, "komite_b")
    item = class_ids(world["a"])["8B"]
    assert client.post(f"{B}/kelas/{item}/nonaktifkan").status_code == 404
    assert (
        client.post(f"{B}/kelas/{item}/ubah-nama", data={f"c{item}-label": "X"}).status_code == 404
    )
    assert client.get(f"{A}/kelas").status_code == 404
    assert [c.label for c in classes.active_classes(world["a"])] == ["7A", "8A", "8B"]


def test_without_classes_the_single_gift_form_leads_to_the_list(client, app):
    school = make_school("20527778")
    make_user("komite_d", Role.COMMITTEE, school)
    login(client, "komite_d")
    page = client.get(f"/sekolah/{school.npsn}/sumbangan/baru").text
    assert f'href="/sekolah/{school.npsn}/kelas">Isi daftar kelas dulu' in page
