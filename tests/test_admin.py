"""Admin pages: who may open them (the role x route matrix), regions, schools, and the committee
handover at the end of a school year."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from sas import integrity, ledger
from sas.admin import services
from sas.dates import next_month, school_year_start, today_wib
from sas.extensions import db
from sas.models import (
    AuditEvent,
    CommitteeHandover,
    Entry,
    Fund,
    Jenjang,
    MonthClosing,
    MonthTotal,
    Region,
    RegionLevel,
    Role,
    School,
    SchoolStatus,
    User,
    YearTotal,
)
from sas.months.services import close_month
from tests.factories import PASSWORD, contribute, disburse, make_user
from tests.web import login

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]
ADMIN_PAGE = [302, 403, 403, 403, 403, 403, 200]
ADMIN_WRITE = [302, 403, 403, 403, 403, 403, 303]
ADMIN_SHOWS = [302, 403, 403, 403, 403, 403, 200]  # a POST answered with a page (OTP, preview)
ADMIN_MISSING = [302, 403, 403, 403, 403, 403, 404]
HANDOVER = [302, 403, 403, 200, 404, 403, 200]  # the school's teacher reads it too

CSV = "npsn,name,jenjang,status,kecamatan_code\n20529001,SD Negeri 9 Genteng,SD,negeri,35.10.09\n"

MATRIX = [
    ("GET", "/admin", ADMIN_PAGE),
    ("GET", "/admin/wilayah", ADMIN_PAGE),
    ("GET", "/admin/wilayah/baru", ADMIN_PAGE),
    ("POST", "/admin/wilayah/baru", ADMIN_WRITE),
    ("GET", "/admin/wilayah/{kecamatan}/ubah", ADMIN_PAGE),
    ("POST", "/admin/wilayah/{kecamatan}/ubah", ADMIN_WRITE),
    ("GET", "/admin/wilayah/99999/ubah", ADMIN_MISSING),
    ("GET", "/admin/sekolah", ADMIN_PAGE),
    ("GET", "/admin/sekolah?kecamatan=35.10.09&jenjang=SD&q=genteng&active=1&page=2", ADMIN_PAGE),
    ("GET", "/admin/sekolah/baru", ADMIN_PAGE),
    ("POST", "/admin/sekolah/baru", ADMIN_WRITE),
    ("GET", "/admin/sekolah/{a}", ADMIN_PAGE),
    ("GET", "/admin/sekolah/99999999", ADMIN_MISSING),
    ("GET", "/admin/sekolah/{a}/ubah", ADMIN_PAGE),
    ("POST", "/admin/sekolah/{a}/ubah", ADMIN_WRITE),
    ("POST", "/admin/sekolah/{b}/nonaktifkan", ADMIN_WRITE),
    ("POST", "/admin/sekolah/{b}/aktifkan", ADMIN_WRITE),
    ("GET", "/admin/sekolah/impor", ADMIN_PAGE),
    ("POST", "/admin/sekolah/impor", ADMIN_SHOWS),
    ("POST", "/admin/sekolah/impor/konfirmasi", ADMIN_WRITE),
    ("GET", "/admin/sekolah/{a}/akhiri-masa-jabatan", ADMIN_PAGE),
    ("POST", "/admin/sekolah/{a}/akhiri-masa-jabatan", ADMIN_WRITE),
    ("GET", "/admin/pengguna", ADMIN_PAGE),
    ("GET", "/admin/pengguna?role=committee&npsn=20525555&q=komite&active=1", ADMIN_PAGE),
    ("GET", "/admin/pengguna/baru", ADMIN_PAGE),
    ("POST", "/admin/pengguna/baru", ADMIN_SHOWS),
    ("GET", "/admin/pengguna/{user}", ADMIN_PAGE),
    ("GET", "/admin/pengguna/99999", ADMIN_MISSING),
    ("POST", "/admin/pengguna/{user}/nama", ADMIN_WRITE),
    ("POST", "/admin/pengguna/{user}/nonaktifkan", ADMIN_WRITE),
    ("POST", "/admin/pengguna/{user}/aktifkan", ADMIN_WRITE),
    ("POST", "/admin/pengguna/{user}/atur-ulang-sandi", ADMIN_SHOWS),
    ("GET", "/sekolah/{a}/serah-terima", HANDOVER),
    ("GET", "/sekolah/{a}/serah-terima/{handover}", HANDOVER),
    ("GET", "/sekolah/{a}/serah-terima/{handover_b}", [302, 403, 403, 404, 404, 403, 404]),
]

CASES = [
    pytest.param(method, url, actor, expected[i], id=f"{method} {url} {actor}")
    for method, url, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    app.config["SCHOOL_IMPORT_FOLDER"] = str(tmp_path / "imports")
    return tmp_path / "imports"


def make_handover(school: School, by: User, year: int = 2024) -> CommitteeHandover:
    handover = CommitteeHandover(
        school_id=school.id,
        school_year=year,
        ended_by_id=by.id,
        balance=ledger.balance(school),
        collected=0,
        disbursed=0,
        open_months=["2025-05"],
        members=[
            {
                "username": "ketua_lama",
                "display_name": "Rina Ketua Lama",
                "created_at": "2024-07-15T02:00:00+00:00",
                "last_login_at": None,
            }
        ],
    )
    db.session.add(handover)
    db.session.commit()
    return handover


def matrix_form(url: str, world) -> dict:  # type: ignore[no-untyped-def]
    """Data an admin could submit successfully to ``url``."""
    if url == "/admin/wilayah/baru":
        return {"code": "35.10.01", "name": "Pesanggaran"}
    if url.startswith("/admin/wilayah/"):
        return {"code": "35.10.16", "name": "Banyuwangi Kota"}
    if url == "/admin/sekolah/baru" or url.endswith("/ubah"):
        return {
            "npsn": "20529999" if url.endswith("/baru") else world["a"].npsn,
            "name": "SMP Negeri 9 Banyuwangi",
            "jenjang": "SMP",
            "status": "negeri",
            "kecamatan_id": world["a"].kecamatan_id,
        }
    if url == "/admin/sekolah/impor":
        return {"file": (io.BytesIO(CSV.encode()), "sekolah.csv")}
    if url.endswith("/akhiri-masa-jabatan"):
        return {"year": services.default_handover_year(today_wib())}
    if url == "/admin/pengguna/baru":
        return {
            "username": "ketua_baru",
            "display_name": "Ketua Baru",
            "role": "committee",
            "npsn": world["a"].npsn,
        }
    if url.endswith("/nama"):
        return {"display_name": "Komite A Baru"}
    return {}


@pytest.mark.parametrize(("method", "url", "actor", "expected"), CASES)
def test_admin_role_route_matrix(client, world, method, url, actor, expected):
    handover = make_handover(world["a"], world["admin"])
    handover_b = make_handover(world["b"], world["admin"])
    url = url.format(
        a=world["a"].npsn,
        b=world["b"].npsn,
        kecamatan=world["a"].kecamatan_id,
        user=world["guru_b"].id,
        handover=handover.id,
        handover_b=handover_b.id,
    )
    if actor != "anon":
        assert login(client, actor).status_code == 303
    data = matrix_form(url.split("?")[0], world) if method == "POST" else None
    response = client.open(url, method=method, data=data)
    assert response.status_code == expected, response.data[:500]
    if expected == 302:
        assert "/masuk" in response.headers["Location"]


@pytest.mark.parametrize("actor", ["komite_a", "guru_a", "dinas"])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/sekolah/baru",
        "/admin/sekolah/{a}/nonaktifkan",
        "/admin/sekolah/{a}/akhiri-masa-jabatan",
        "/admin/pengguna/baru",
        "/admin/pengguna/{user}/atur-ulang-sandi",
        "/admin/pengguna/{user}/nonaktifkan",
    ],
)
def test_other_roles_change_nothing(client, world, actor, url):
    url = url.format(a=world["a"].npsn, user=world["komite_a"].id)
    login(client, actor)
    before = world["komite_a"].password_hash
    assert client.post(url, data=matrix_form(url, world)).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, world["komite_a"].id).active
    assert db.session.get(User, world["komite_a"].id).password_hash == before
    assert db.session.get(School, world["a"].id).active
    assert db.session.scalar(select(func.count(School.id))) == 2
    assert db.session.scalar(select(func.count(User.id))) == 6
    assert db.session.scalar(select(func.count(CommitteeHandover.id))) == 0


@pytest.fixture
def admin(client, world):
    login(client, "admin")
    return client


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_landing_page_links_every_admin_page(admin):
    page = admin.get("/admin").text
    for href in ["/admin/sekolah", "/admin/sekolah/impor", "/admin/pengguna", "/admin/wilayah"]:
        assert f'href="{href}"' in page, href


# --- regions -----------------------------------------------------------------------------------


def test_adding_a_kabupaten_and_its_kecamatan(admin, world):
    response = admin.post("/admin/wilayah/baru", data={"code": "35.09", "name": "Jember"})
    assert response.status_code == 303
    response = admin.post("/admin/wilayah/baru", data={"code": "35.09.01", "name": "Jombang"})
    assert response.status_code == 303
    jember = db.session.scalar(select(Region).where(Region.code == "35.09"))
    kecamatan = db.session.scalar(select(Region).where(Region.code == "35.09.01"))
    assert jember.level == RegionLevel.KABUPATEN and jember.parent_id is None
    assert kecamatan.level == RegionLevel.KECAMATAN and kecamatan.parent_id == jember.id
    page = admin.get("/admin/wilayah").text
    assert "Jember" in page and "Jombang" in page
    events = audit("region.created")
    assert [e.target for e in events] == [f"region:{jember.id}", f"region:{kecamatan.id}"]
    assert all(e.actor_id == world["admin"].id for e in events)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("3510", "Tulis kode seperti 35.10"),
        ("35.1", "Tulis kode seperti 35.10"),
        ("35.10.1", "Tulis kode seperti 35.10"),
        ("35.10.01.2001", "Tulis kode seperti 35.10"),
        ("٣٥.١٠", "Tulis kode seperti 35.10"),  # digits, but not ASCII ones
        ("35.10", "Kode 35.10 sudah dipakai."),
        ("35.10.16", "Kode 35.10.16 sudah dipakai."),
        ("35.11.01", "Kabupaten 35.11 belum ada"),
        ("", "Wajib diisi."),
    ],
)
def test_bad_region_codes_are_refused(admin, world, code, message):
    response = admin.post("/admin/wilayah/baru", data={"code": code, "name": "X"})
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(func.count(Region.id))) == 3
    assert audit("region.created") == []


def test_editing_a_kecamatan_keeps_its_level_and_kabupaten_prefix(admin, world):
    kecamatan = db.session.get(Region, world["a"].kecamatan_id)
    url = f"/admin/wilayah/{kecamatan.id}/ubah"
    assert admin.post(url, data={"code": "35.10", "name": "X"}).status_code == 422
    assert admin.post(url, data={"code": "35.11.16", "name": "X"}).status_code == 422
    response = admin.post(url, data={"code": "35.10.26", "name": "Banyuwangi Kota"})
    assert response.status_code == 303
    db.session.expire_all()
    kecamatan = db.session.get(Region, kecamatan.id)
    assert (kecamatan.code, kecamatan.name) == ("35.10.26", "Banyuwangi Kota")
    assert kecamatan.level == RegionLevel.KECAMATAN
    [event] = audit("region.changed")
    assert event.detail == "35.10.16 Banyuwangi -> 35.10.26 Banyuwangi Kota"


def test_a_kabupaten_with_kecamatan_keeps_its_code(admin, world):
    kabupaten = db.session.scalar(select(Region).where(Region.code == "35.10"))
    url = f"/admin/wilayah/{kabupaten.id}/ubah"
    response = admin.post(url, data={"code": "35.11", "name": "Banyuwangi"})
    assert response.status_code == 422
    assert "tidak dapat diubah" in response.text
    assert admin.post(url, data={"code": "35.10", "name": "Kab. Banyuwangi"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Region, kabupaten.id).code == "35.10"
    assert db.session.get(Region, kabupaten.id).name == "Kab. Banyuwangi"


# --- schools -----------------------------------------------------------------------------------


def school_form(world, **fields) -> dict:  # type: ignore[no-untyped-def]
    return {
        "npsn": "20529999",
        "name": "SMP Negeri 3 Genteng",
        "jenjang": "SMP",
        "status": "negeri",
        "kecamatan_id": world["b"].kecamatan_id,
        **fields,
    }


def test_creating_a_school_gives_it_a_fund(admin, world):
    response = admin.post("/admin/sekolah/baru", data=school_form(world))
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/sekolah/20529999"
    school = db.session.scalar(select(School).where(School.npsn == "20529999"))
    assert school.active and school.jenjang == Jenjang.SMP
    assert school.status == SchoolStatus.NEGERI and school.kecamatan_id == world["b"].kecamatan_id
    assert db.session.get(Fund, school.id).balance == 0
    [event] = audit("school.created")
    assert event.school_id == school.id and event.actor == "admin"
    assert "SMP Negeri 3 Genteng" in admin.get(response.headers["Location"]).text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"npsn": "2052999"}, "NPSN terdiri dari 8 angka atau huruf besar."),
        ({"npsn": "2052-999"}, "NPSN terdiri dari 8 angka atau huruf besar."),
        ({"npsn": "20525555"}, "NPSN 20525555 sudah terdaftar."),
        ({"name": ""}, "Wajib diisi."),
        ({"jenjang": "TK"}, "Pilihan tidak sah."),
        ({"status": "lainnya"}, "Pilihan tidak sah."),
        ({"kecamatan_id": "99999"}, "Pilihan tidak sah."),
    ],
)
def test_bad_school_data_is_refused(admin, world, fields, message):
    response = admin.post("/admin/sekolah/baru", data=school_form(world, **fields))
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(select(func.count(School.id))) == 2


def test_a_lower_case_npsn_is_stored_in_capitals(admin, world):
    admin.post("/admin/sekolah/baru", data=school_form(world, npsn="p9970001"))
    assert db.session.scalar(select(School.id).where(School.npsn == "P9970001")) is not None


def test_editing_a_school(admin, world):
    url = f"/admin/sekolah/{world['a'].npsn}/ubah"
    assert world["a"].npsn in admin.get(url).text
    response = admin.post(
        url, data=school_form(world, npsn="20525556", name="SMPN 1 Banyuwangi", status="swasta")
    )
    assert response.status_code == 303
    db.session.expire_all()
    school = db.session.get(School, world["a"].id)
    assert (school.npsn, school.name, school.status) == (
        "20525556",
        "SMPN 1 Banyuwangi",
        SchoolStatus.SWASTA,
    )
    assert school.kecamatan_id == world["b"].kecamatan_id
    [event] = audit("school.changed")
    assert "npsn: 20525555 -> 20525556" in event.detail
    # taking another school's NPSN is refused
    response = admin.post(
        "/admin/sekolah/20525556/ubah", data=school_form(world, npsn=world["b"].npsn)
    )
    assert response.status_code == 422 and "sudah terdaftar" in response.text


def test_saving_a_school_unchanged_records_nothing(admin, world):
    a = world["a"]
    data = school_form(world, npsn=a.npsn, name=a.name, kecamatan_id=a.kecamatan_id)
    assert admin.post(f"/admin/sekolah/{a.npsn}/ubah", data=data).status_code == 303
    assert audit("school.changed") == []


def test_schools_are_filtered_and_paginated(admin, world):
    for n in range(55):
        db.session.add(
            School(
                npsn=f"2053{n:04d}",
                name=f"SD Negeri {n:02d} Genteng",
                jenjang=Jenjang.SD,
                status=SchoolStatus.NEGERI,
                kecamatan_id=world["b"].kecamatan_id,
            )
        )
    db.session.commit()
    first = admin.get("/admin/sekolah?kecamatan=35.10.09&jenjang=SD").text
    assert "56 sekolah" in first
    assert "SD Negeri 00 Genteng" in first and "SD Negeri 54 Genteng" not in first
    assert "SMP Negeri 1 Banyuwangi" not in first
    assert "page=2" in first and "kecamatan=35.10.09" in first
    second = admin.get("/admin/sekolah?kecamatan=35.10.09&jenjang=SD&page=2").text
    assert "SD Negeri 54 Genteng" in second and "SD Negeri 00 Genteng" not in second
    only_a = admin.get("/admin/sekolah?kecamatan=35.10.16").text
    assert "1 sekolah" in only_a and "SMP Negeri 1 Banyuwangi" in only_a
    assert "SMP Negeri 1" in admin.get("/admin/sekolah?q=20525555").text
    assert "1 sekolah" in admin.get("/admin/sekolah?q=smp negeri").text
    assert "0 sekolah" in admin.get("/admin/sekolah?q=%25").text  # a literal %, not a wildcard
    bad = admin.get("/admin/sekolah?kecamatan=99.99.99&jenjang=TK")
    assert bad.status_code == 200 and "Kecamatan tidak dikenal." in bad.text
    assert "58 sekolah" not in bad.text and "57 sekolah" in bad.text


def test_deactivating_a_school_keeps_its_ledger_and_locks_its_accounts(admin, world, app):
    other = app.test_client()
    login(other, "komite_a")
    assert other.get(f"/sekolah/{world['a'].npsn}/beranda").status_code == 200
    response = admin.post(f"/admin/sekolah/{world['a'].npsn}/nonaktifkan")
    assert response.status_code == 303
    db.session.expire_all()
    school = db.session.get(School, world["a"].id)
    assert not school.active
    assert not db.session.get(User, world["komite_a"].id).active
    assert not db.session.get(User, world["guru_a"].id).active
    assert db.session.get(User, world["komite_b"].id).active
    assert ledger.balance(school) == 100_000
    assert db.session.scalar(select(func.count(Entry.id)).where(Entry.school_id == school.id)) == 1
    assert other.get(f"/sekolah/{world['a'].npsn}/beranda").status_code == 302  # its session ended
    [event] = audit("school.deactivated")
    assert event.detail == "2 akun dinonaktifkan"
    page = admin.get(f"/admin/sekolah/{world['a'].npsn}").text
    assert "Aktifkan kembali sekolah" in page and "Nonaktifkan sekolah" not in page
    # there is no way to delete a school
    assert admin.delete(f"/admin/sekolah/{world['a'].npsn}").status_code == 405
    assert admin.post(f"/admin/sekolah/{world['a'].npsn}/delete").status_code == 404

    assert admin.post(f"/admin/sekolah/{world['a'].npsn}/aktifkan").status_code == 303
    db.session.expire_all()
    assert db.session.get(School, world["a"].id).active
    assert not db.session.get(User, world["komite_a"].id).active  # accounts: one by one
    [event] = audit("school.changed")
    assert event.detail == "active: True"


def test_an_inactive_school_gets_no_new_accounts(admin, world):
    admin.post(f"/admin/sekolah/{world['b'].npsn}/nonaktifkan")
    response = admin.post(
        "/admin/pengguna/baru",
        data={"username": "baru", "display_name": "Baru", "role": "committee", "npsn": "20526666"},
    )
    assert response.status_code == 422
    assert "sekolah yang aktif" in response.text
    assert db.session.scalar(select(User).where(User.username == "baru")) is None


# --- committee handover ------------------------------------------------------------------------


def test_the_confirmation_page_says_what_will_happen(admin, world):
    page = admin.get(f"/admin/sekolah/{world['a'].npsn}/akhiri-masa-jabatan").text
    assert "Komite_A (komite_a)" in page
    assert "Rp100.000" in page
    assert "Ya, akhiri masa jabatan" in page
    assert db.session.get(User, world["komite_a"].id).active  # a GET changes nothing


def test_ending_a_committee_term(admin, world, app):
    a = world["a"]
    second = make_user("bendahara_a", Role.COMMITTEE, a)
    second.last_login_at = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
    db.session.commit()
    disburse(a, 30_000, world["komite_a"], world["recipient_a"])
    today = today_wib()
    year = school_year_start(today)
    first_month = date(year, 7, 1)
    if first_month.replace(month=8) <= today.replace(day=1):  # July has ended: close it
        close_month(a, first_month, closed_by=world["komite_a"], today=today)
        db.session.commit()
    komite = app.test_client()
    login(komite, "komite_a")
    before = snapshot(a)

    response = admin.post(f"/admin/sekolah/{a.npsn}/akhiri-masa-jabatan", data={"year": year})

    assert response.status_code == 303
    db.session.expire_all()
    [handover] = db.session.scalars(select(CommitteeHandover)).all()
    assert handover.school_id == a.id and handover.school_year == year
    assert handover.ended_by_id == world["admin"].id
    assert handover.balance == 70_000
    assert (handover.collected, handover.disbursed) == (100_000, 30_000)
    ended = [m for m in services.school_year_months(year) if next_month(m) <= today]
    expected_open = [m.strftime("%Y-%m") for m in ended if m != first_month]
    assert handover.open_months == expected_open
    assert [m["username"] for m in handover.members] == ["bendahara_a", "komite_a"]
    assert handover.members[0]["display_name"] == "Bendahara_A"
    assert handover.members[0]["last_login_at"] == "2025-03-01T01:00:00+00:00"
    assert handover.members[1]["created_at"]
    # accounts: the committee's deactivated and logged out; the teacher and school B untouched
    assert not db.session.get(User, world["komite_a"].id).active
    assert not db.session.get(User, second.id).active
    assert db.session.get(User, world["guru_a"].id).active
    assert db.session.get(User, world["komite_b"].id).active
    assert komite.get(f"/sekolah/{a.npsn}/beranda").status_code == 302
    world["komite_a"].active = True  # even if the account came back, its old session would not
    db.session.commit()
    assert komite.get(f"/sekolah/{a.npsn}/beranda").status_code == 302
    world["komite_a"].active = False
    db.session.commit()
    # the ledger, the balance and the totals are untouched
    assert snapshot(a) == before
    assert integrity.check_totals() == []
    [event] = audit("committee.term_ended")
    assert event.target == f"handover:{handover.id}" and event.school_id == a.id
    assert event.actor_id == world["admin"].id
    assert audit("user.deactivated") == []  # one action, one row
    # the admin's school page lists it; a second end finds nobody to deactivate
    page = admin.get(f"/admin/sekolah/{a.npsn}").text
    assert f"/sekolah/{a.npsn}/serah-terima/{handover.id}" in page
    again = admin.post(f"/admin/sekolah/{a.npsn}/akhiri-masa-jabatan", data={"year": year})
    assert again.status_code == 422 and "tidak memiliki akun Tim SAS yang aktif" in again.text
    assert db.session.scalar(select(func.count(CommitteeHandover.id))) == 1


def snapshot(school: School) -> tuple:
    """Everything of the ledger a handover must leave as it was."""
    entries = db.session.execute(
        select(Entry.id, Entry.seq, Entry.kind, Entry.amount, Entry.occurred_on)
        .where(Entry.school_id == school.id)
        .order_by(Entry.id)
    ).all()
    fund = db.session.get(Fund, school.id)
    months = db.session.execute(
        select(MonthTotal.month, MonthTotal.collected, MonthTotal.disbursed).where(
            MonthTotal.school_id == school.id
        )
    ).all()
    years = db.session.execute(
        select(YearTotal.year, YearTotal.collected, YearTotal.disbursed).where(
            YearTotal.school_id == school.id
        )
    ).all()
    closings = db.session.scalars(
        select(MonthClosing.month).where(MonthClosing.school_id == school.id)
    ).all()
    return (
        entries,
        fund.balance,
        fund.last_seq,
        fund.closed_through,
        sorted(months),
        sorted(years),
        sorted(closings),
    )


def test_a_term_can_only_end_for_this_or_last_school_year(admin, world):
    year = school_year_start(today_wib())
    response = admin.post(
        f"/admin/sekolah/{world['a'].npsn}/akhiri-masa-jabatan", data={"year": year - 2}
    )
    assert response.status_code == 422
    assert db.session.get(User, world["komite_a"].id).active
    assert db.session.scalar(select(func.count(CommitteeHandover.id))) == 0


def test_the_handover_report_prints_the_snapshot(admin, world):
    handover = make_handover(world["a"], world["admin"])
    contribute(world["a"], 5_000, world["komite_a"])  # later entries do not change the report
    page = admin.get(f"/sekolah/{world['a'].npsn}/serah-terima/{handover.id}").text
    assert "Berita Acara Serah Terima Tim SAS" in page
    assert 'id="balance">Rp100.000<' in page
    assert "Mei 2025" in page
    assert "Rina Ketua Lama" in page and "ketua_lama" in page
    for signature in ["Ketua Tim SAS yang lama", "Ketua Tim SAS yang baru", "Guru Pembina"]:
        assert signature in page
    assert "2024/2025" in page
    assert "<form" not in page
    # printed from a button (app.js), or the browser's menu: a phone has no Ctrl+P
    assert '<button type="button" class="primary" data-print hidden>' in page
    assert "Ctrl+P" not in page


def test_the_school_teacher_reads_the_handovers_read_only(client, world):
    handover = make_handover(world["a"], world["admin"])
    login(client, "guru_a")
    listing = client.get(f"/sekolah/{world['a'].npsn}/serah-terima").text
    assert f"/sekolah/{world['a'].npsn}/serah-terima/{handover.id}" in listing
    assert "end-term" not in listing and '<form method="post" action="/admin' not in listing
    report = client.get(f"/sekolah/{world['a'].npsn}/serah-terima/{handover.id}").text
    assert "Rina Ketua Lama" in report and "/admin/" not in report


# --- with CSRF protection on, as in production -------------------------------------------------


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_admin_forms_carry_their_csrf_token(app, client, world, import_folder):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/masuk").text
    login_data = {"username": "admin", "password": PASSWORD, "csrf_token": csrf_token(page)}
    assert client.post("/masuk", data=login_data).status_code == 303
    # upload, then confirm the preview with the token its page carries
    page = client.get("/admin/sekolah/impor").text
    upload = {"csrf_token": csrf_token(page), "file": (io.BytesIO(CSV.encode()), "s.csv")}
    preview = client.post("/admin/sekolah/impor", data=upload).text
    confirm = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', preview).group(1)
        for name in ("csrf_token", "token", "digest")
    }
    response = client.post("/admin/sekolah/impor/konfirmasi", data=confirm)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sekolah"
    assert db.session.scalar(select(School.id).where(School.npsn == "20529001"))
    # a button-only action posts its token; without it nothing happens
    url = f"/admin/sekolah/{world['b'].npsn}/nonaktifkan"
    assert client.post(url, data={}).status_code == 400
    assert db.session.get(School, world["b"].id).active
    page = client.get(f"/admin/sekolah/{world['b'].npsn}").text
    assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 303
    assert not db.session.get(School, world["b"].id).active
