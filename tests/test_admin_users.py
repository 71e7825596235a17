"""Accounts: create with a one-time password shown once, deactivate, reactivate, reset; sessions
end when they must; usernames are unique without regard to case."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from sas.admin import services
from sas.extensions import db
from sas.models import AuditEvent, Region, Role, User
from tests.factories import PASSWORD, make_user
from tests.web import login

OTP = re.compile(r"^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$")


@pytest.fixture
def admin(client, world):
    login(client, "admin")
    return client


def audit(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def shown_password(page: str) -> str:
    match = re.search(r'id="one-time-password">([^<]+)<', page)
    assert match, "no one-time password on the page"
    return match.group(1)


def new_user(client, **fields):  # type: ignore[no-untyped-def]
    data = {"username": "ketua_baru", "display_name": "Dewi Ketua", "role": "committee"}
    data.update(fields)
    return client.post("/admin/pengguna/baru", data=data)


def session_of(app, client) -> dict:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_a_new_account_gets_a_one_time_password_shown_once(app, admin, world):
    before = datetime.now(UTC)
    response = new_user(admin, npsn=world["a"].npsn)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response.text)
    assert OTP.match(password), password
    user = db.session.scalar(select(User).where(User.username == "ketua_baru"))
    assert user.role == Role.COMMITTEE and user.school_id == world["a"].id and user.active
    assert user.display_name == "Dewi Ketua"
    # stored only as a hash, to be changed at first login, for 7 days
    assert password not in user.password_hash and user.check_password(password)
    assert user.must_change_password
    expires = services._utc(user.password_expires_at)
    assert before + timedelta(days=7) <= expires <= datetime.now(UTC) + timedelta(days=7)
    # never in the log, the session cookie or a flash message; not shown again
    [event] = audit("user.created")
    assert event.target == f"user:{user.id}" and event.actor_id == world["admin"].id
    assert event.school_id == world["a"].id
    assert event.detail == f"ketua_baru (committee {world['a'].npsn})"
    assert not any(password in (e.detail or "") for e in audit())
    session = session_of(app, admin)
    assert "_flashes" not in session and password not in repr(session)
    later = admin.get(f"/admin/pengguna/{user.id}").text
    assert password not in later
    assert "sekali pakai, berlaku sampai" in later
    assert password not in admin.get("/admin/pengguna").text


def test_the_one_time_password_is_the_new_password(client, admin, world, app):
    password = shown_password(new_user(admin, npsn=world["a"].npsn).text)
    other = app.test_client()
    assert login(other, "ketua_baru", "wrong password").status_code != 303
    assert login(other, "ketua_baru", password).status_code == 303


@pytest.mark.parametrize(
    ("fields", "role", "npsn", "region"),
    [
        ({"role": "teacher", "npsn": "20526666"}, Role.TEACHER, "20526666", None),
        ({"role": "district", "kabupaten": "35.10"}, Role.DISTRICT, None, "35.10"),
        ({"role": "admin"}, Role.ADMIN, None, None),
    ],
)
def test_each_role_gets_its_scope(admin, world, fields, role, npsn, region):
    assert new_user(admin, **fields).status_code == 200
    user = db.session.scalar(select(User).where(User.username == "ketua_baru"))
    assert user.role == role
    assert (user.school.npsn if user.school else None) == npsn
    assert (user.region.code if user.region else None) == region


def test_the_school_field_is_ignored_for_roles_without_a_school(admin, world):
    new_user(admin, role="admin", npsn=world["a"].npsn, kabupaten="35.10")
    user = db.session.scalar(select(User).where(User.username == "ketua_baru"))
    assert user.school_id is None and user.region_id is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"npsn": ""}, "memerlukan sekolah yang aktif"),
        ({"npsn": "99999999"}, "Tidak ada sekolah dengan NPSN ini."),
        ({"npsn": "123"}, "NPSN terdiri dari 8 angka atau huruf besar."),
        ({"role": "district"}, "memerlukan kabupaten"),
        ({"role": "district", "kabupaten": "35.10.16"}, "memerlukan kabupaten"),
        ({"role": "root", "npsn": "20525555"}, "Pilihan tidak sah."),
        ({"username": "KOMITE_A", "npsn": "20525555"}, "Nama pengguna KOMITE_A sudah dipakai."),
        ({"username": "ab", "npsn": "20525555"}, "Paling sedikit 3 karakter."),
        ({"username": "dewi ketua", "npsn": "20525555"}, "Hanya huruf, angka"),
        ({"username": "dewi@sekolah", "npsn": "20525555"}, "Hanya huruf, angka"),
        ({"display_name": "", "npsn": "20525555"}, "Wajib diisi."),
    ],
)
def test_bad_accounts_are_refused(admin, world, fields, message):
    response = new_user(admin, **fields)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="one-time-password"' not in response.text
    assert db.session.scalar(select(func.count(User.id))) == 6
    assert audit("user.created") == []


def test_deactivating_ends_the_sessions_and_the_logins(admin, world, app):
    komite = app.test_client()
    login(komite, "komite_a")
    assert komite.get("/sekolah/20525555/beranda").status_code == 200
    user_id = world["komite_a"].id

    response = admin.post(f"/admin/pengguna/{user_id}/nonaktifkan")

    assert response.status_code == 303
    assert not db.session.get(User, user_id).active
    assert komite.get("/sekolah/20525555/beranda").status_code == 302  # logged out
    assert login(app.test_client(), "komite_a").status_code != 303
    [event] = audit("user.deactivated")
    assert event.target == f"user:{user_id}" and event.school_id == world["a"].id
    assert event.actor == "admin"
    page = admin.get(f"/admin/pengguna/{user_id}").text
    assert "Aktifkan kembali" in page and "Nonaktifkan akun" not in page

    assert admin.post(f"/admin/pengguna/{user_id}/aktifkan").status_code == 303
    assert db.session.get(User, user_id).active
    assert komite.get("/sekolah/20525555/beranda").status_code == 302  # the old session stays dead
    assert login(app.test_client(), "komite_a").status_code == 303  # its password works again
    assert len(audit("user.reactivated")) == 1


def test_an_admin_cannot_deactivate_or_reset_themselves(admin, world):
    me = world["admin"].id
    response = admin.post(f"/admin/pengguna/{me}/nonaktifkan")
    assert response.status_code == 303
    assert (
        "Anda tidak dapat menonaktifkan akun Anda sendiri."
        in admin.get(response.headers["Location"]).text
    )
    assert db.session.get(User, me).active
    response = admin.post(f"/admin/pengguna/{me}/atur-ulang-sandi")
    assert response.status_code == 303
    assert db.session.get(User, me).check_password(PASSWORD)
    assert admin.get("/admin").status_code == 200  # still logged in
    page = admin.get(f"/admin/pengguna/{me}").text
    assert f"/admin/pengguna/{me}/nonaktifkan" not in page
    assert f"/admin/pengguna/{me}/atur-ulang-sandi" not in page
    assert audit("user.deactivated") == [] and audit("password.reset") == []


def test_twice_is_refused_without_a_second_audit_row(admin, world):
    user_id = world["guru_b"].id
    admin.post(f"/admin/pengguna/{user_id}/nonaktifkan")
    response = admin.post(f"/admin/pengguna/{user_id}/nonaktifkan")
    assert "Akun ini sudah nonaktif." in admin.get(response.headers["Location"]).text
    admin.post(f"/admin/pengguna/{user_id}/aktifkan")
    response = admin.post(f"/admin/pengguna/{user_id}/aktifkan")
    assert "Akun ini sudah aktif." in admin.get(response.headers["Location"]).text
    assert len(audit("user.deactivated")) == 1 and len(audit("user.reactivated")) == 1


def test_resetting_a_password(admin, world, app):
    komite = app.test_client()
    login(komite, "komite_a")
    user_id = world["komite_a"].id

    response = admin.post(f"/admin/pengguna/{user_id}/atur-ulang-sandi")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_password(response.text)
    assert OTP.match(password)
    user = db.session.get(User, user_id)
    assert user.check_password(password) and not user.check_password(PASSWORD)
    assert user.must_change_password and user.active
    ended = komite.get("/sekolah/20525555/beranda")  # its sessions ended: back to the login page
    assert ended.status_code == 302 and "/masuk" in ended.headers["Location"]
    [event] = audit("password.reset")
    assert event.target == f"user:{user_id}" and event.detail is None
    assert event.actor_id == world["admin"].id
    assert "_flashes" not in session_of(app, admin)
    # the next reset makes the shown password worthless
    second = shown_password(admin.post(f"/admin/pengguna/{user_id}/atur-ulang-sandi").text)
    assert second != password
    db.session.expire_all()
    assert not db.session.get(User, user_id).check_password(password)


def test_the_password_page_itself_forbids_caching(app, world):
    """Not only the app-wide default: the page with the password sets no-store itself."""
    from sas.admin.routes import _password_page

    with app.test_request_context("/admin/pengguna/baru", method="POST"):
        response = _password_page(world["guru_a"], "abcd-efgh-jkmn", created=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "abcd-efgh-jkmn" in response.get_data(as_text=True)


def test_an_expired_one_time_password_is_shown_as_expired(admin, world):
    user = world["guru_a"]
    user.must_change_password = True
    user.password_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    page = admin.get(f"/admin/pengguna/{user.id}").text
    assert "sudah kedaluwarsa: atur ulang" in page


def test_one_time_passwords_are_random_and_readable():
    drawn = {services.one_time_password() for _ in range(500)}
    assert len(drawn) == 500
    assert all(OTP.match(p) for p in drawn)
    letters = set("".join(drawn).replace("-", ""))
    assert not letters & set("01ilo") and len(letters) > 25


def test_renaming_an_account(admin, world):
    user_id = world["guru_a"].id
    response = admin.post(
        f"/admin/pengguna/{user_id}/nama", data={"display_name": "Bu Sri Wahyuni"}
    )
    assert response.status_code == 303
    assert db.session.get(User, user_id).display_name == "Bu Sri Wahyuni"
    [event] = audit("user.changed")
    assert event.detail == "display_name: Guru_A -> Bu Sri Wahyuni"
    admin.post(f"/admin/pengguna/{user_id}/nama", data={"display_name": "Bu Sri Wahyuni"})
    assert len(audit("user.changed")) == 1  # unchanged: nothing recorded
    assert (
        admin.post(f"/admin/pengguna/{user_id}/nama", data={"display_name": ""}).status_code == 422
    )


def test_the_account_list_filters(admin, world):
    for n in range(60):
        make_user(f"anggota{n:02d}", Role.COMMITTEE, world["b"], active=n % 2 == 0)
    everyone = admin.get("/admin/pengguna").text
    assert "66 akun" in everyone and "page=2" in everyone
    by_school = admin.get("/admin/pengguna?npsn=20525555").text
    assert "2 akun" in by_school and "komite_a" in by_school and "guru_a" in by_school
    assert "anggota" not in by_school
    teachers = admin.get("/admin/pengguna?role=teacher").text
    assert "2 akun" in teachers and "guru_b" in teachers and "komite_a" not in teachers
    inactive = admin.get("/admin/pengguna?npsn=20526666&active=0").text
    assert "30 akun" in inactive
    search = admin.get("/admin/pengguna?q=ANGGOTA1").text
    assert "10 akun" in search and "anggota15" in search
    assert "4 akun" in admin.get("/admin/pengguna?q=_").text  # a literal _, not a wildcard
    unknown = admin.get("/admin/pengguna?npsn=99999999")
    assert unknown.status_code == 200
    assert "Tidak ada sekolah dengan NPSN ini." in unknown.text and "0 akun" in unknown.text
    bad_role = admin.get("/admin/pengguna?role=root").text
    assert "Pilihan tidak sah." in bad_role and "66 akun" in bad_role


def test_a_district_account_needs_a_kabupaten_not_a_kecamatan(admin, world):
    kecamatan = db.session.scalar(select(Region).where(Region.code == "35.10.16"))
    admin.post(
        "/admin/pengguna/baru",
        data={
            "username": "dinas2",
            "display_name": "Dinas",
            "role": "district",
            "kabupaten": kecamatan.code,
        },
    )
    assert db.session.scalar(select(User).where(User.username == "dinas2")) is None
