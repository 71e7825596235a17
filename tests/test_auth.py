"""Logging in and out (credentials, inactive accounts, session replay, next=, CSRF), one-time
passwords, changing one's password and its rules, last login, the audit of logins."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import format_datetime
from sqlalchemy import select

from sas.auth.passwords import common_passwords, password_problems
from sas.extensions import db
from sas.models import AuditEvent, Role, User
from tests.factories import PASSWORD, make_school, make_user
from tests.web import login

WRONG = "Nama pengguna atau kata sandi salah."


@pytest.fixture
def member(app):
    return make_user("komite", Role.COMMITTEE, make_school("20525555"))


def test_committee_lands_on_their_dashboard(client, member):
    response = login(client, "komite")
    assert response.status_code == 303
    assert (
        client.get(response.headers["Location"]).headers["Location"] == "/sekolah/20525555/beranda"
    )
    page = client.get("/sekolah/20525555/beranda")
    assert page.status_code == 200
    assert "Saldo sekarang" in page.text


def test_district_and_admin_reach_a_home(client, app):
    make_user("dinas", Role.DISTRICT)
    login(client, "dinas")
    assert client.get("/").headers["Location"] == "/beranda"
    assert "Laporan kabupaten" in client.get("/beranda").text


@pytest.mark.parametrize(
    ("username", "password"), [("komite", "wrong password!"), ("nobody", PASSWORD), ("komite", "")]
)
def test_a_failed_login_never_says_which_part_was_wrong(client, member, username, password):
    response = login(client, username, password)
    assert response.status_code == 422
    assert WRONG in response.text or "Wajib diisi." in response.text
    assert "Saldo" not in response.text
    assert client.get("/sekolah/20525555/beranda").status_code == 302


def test_unknown_user_and_wrong_password_look_the_same(client, member):
    one = login(client, "komite", "wrong password!").text
    two = login(client, "nobody", "wrong password!").text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - the typed username
    assert strip(one) == strip(two)


def test_username_is_not_case_sensitive(client, member):
    assert login(client, "KOMITE").status_code == 303


def test_inactive_accounts_cannot_log_in(client, app):
    make_user("old", Role.COMMITTEE, make_school(), active=False)
    response = login(client, "old")
    assert response.status_code == 422
    assert WRONG in response.text


def test_deactivating_ends_an_open_session(client, member):
    login(client, "komite")
    member.active = False
    db.session.commit()
    assert client.get("/sekolah/20525555/beranda").status_code == 302


def test_passwords_are_hashed_with_scrypt(app):
    user = User(username="x", display_name="X", role=Role.ADMIN)
    user.set_password("a long passphrase")
    assert user.password_hash.startswith("scrypt:")
    assert "a long passphrase" not in user.password_hash
    assert user.check_password("a long passphrase")
    assert not user.check_password("a long passphrase ")


def test_the_session_cookie_changes_at_login(client, member):
    client.get("/masuk")
    before = client.get_cookie("session")
    login(client, "komite")
    after = client.get_cookie("session")
    assert after is not None
    assert before is None or before.value != after.value


def test_logout_ends_the_session_for_good(client, member):
    login(client, "komite")
    stolen = client.get_cookie("session").value
    assert client.post("/keluar").status_code == 303
    assert client.get("/sekolah/20525555/beranda").status_code == 302
    # Replaying the cookie captured before logout does not log anyone in.
    client.set_cookie("session", stolen)
    response = client.get("/sekolah/20525555/beranda")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


def test_logging_in_again_after_logout_works(client, member):
    login(client, "komite")
    client.post("/keluar")
    assert login(client, "komite").status_code == 303
    assert client.get("/sekolah/20525555/beranda").status_code == 200


def test_login_remembers_where_you_were_going(client, member):
    response = client.get("/sekolah/20525555/buku-kas?kind=contribution")
    assert response.status_code == 302
    assert "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert 'value="/sekolah/20525555/buku-kas?kind=contribution"' in page.text
    back = client.post(
        "/masuk",
        data={
            "username": "komite",
            "password": PASSWORD,
            "next": "/sekolah/20525555/buku-kas?kind=contribution",
        },
    )
    assert back.headers["Location"] == "/sekolah/20525555/buku-kas?kind=contribution"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "http:evil",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_only_goes_to_local_paths(client, member, target):
    response = client.post(
        "/masuk", data={"username": "komite", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_login_records_the_time(client, member):
    assert member.last_login_at is None
    login(client, "komite")
    db.session.refresh(member)
    assert member.last_login_at is not None


def test_csrf_is_refused_when_enabled(client, app, member):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/masuk", data={"username": "komite", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text
    page = client.get("/masuk")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/masuk", data={"username": "komite", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    # A state change without the token is refused, and nothing is recorded.
    form = {"amount": "5000", "occurred_on": "2025-08-01", "source": "class", "form_key": "k"}
    assert client.post("/sekolah/20525555/sumbangan/baru", data=form).status_code == 400
    assert client.post("/keluar").status_code == 400
    assert client.get("/sekolah/20525555/beranda").status_code == 200


def test_create_user_command(app):
    make_school("20529999")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "sas",
            "create-user",
            "--username",
            "ketua",
            "--role",
            "committee",
            "--school",
            "20529999",
            "--password",
            "panjang sekali 123",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "ketua"))
    assert user.school.npsn == "20529999" and user.check_password("panjang sekali 123")
    refused = runner.invoke(
        args=[
            "sas",
            "create-user",
            "--username",
            "guru",
            "--role",
            "teacher",
            "--password",
            "panjang sekali 123",
        ]
    )
    assert refused.exit_code != 0
    assert "--school" in refused.output


def test_a_teachers_write_is_403_even_without_a_csrf_token(client, app):
    school = make_school("20525555")
    make_user("guru", Role.TEACHER, school)
    login(client, "guru")
    app.config["WTF_CSRF_ENABLED"] = True
    form = {"amount": "5000", "occurred_on": "2025-08-01", "source": "class", "form_key": "k"}
    assert client.post("/sekolah/20525555/sumbangan/baru", data=form).status_code == 403


def test_usernames_differing_only_in_case_cannot_both_exist(app):
    from sqlalchemy.exc import IntegrityError

    make_user("Komite", Role.ADMIN)
    with pytest.raises(IntegrityError):
        make_user("komite", Role.ADMIN)
    db.session.rollback()
    result = app.test_cli_runner().invoke(
        args=[
            "sas",
            "create-user",
            "--username",
            "KOMITE",
            "--role",
            "admin",
            "--password",
            "panjang sekali 123",
        ]
    )
    assert result.exit_code != 0 and "taken" in result.output


def test_a_nul_in_the_username_is_just_a_failed_login(client, member):
    response = client.post("/masuk", data={"username": "kom\x00ite_x", "password": PASSWORD})
    assert response.status_code == 422


def test_a_failed_login_does_not_hold_the_write_lock(app, member, monkeypatch):
    """The slow password check runs outside the database transaction."""
    import sas.auth.services as auth_services

    seen = []

    def spy(hashed, password):
        seen.append(db.session().in_transaction())
        return False

    monkeypatch.setattr(auth_services, "password_matches", spy)
    assert auth_services.authenticate("komite", "wrong") is None
    assert seen == [False]


# --- one-time passwords --------------------------------------------------------------------

ONE_TIME = "abcd-efgh-jkmn"
NEW_PASSWORD = "kopi tubruk di banyuwangi"


def give_one_time_password(user, *, expires_in=timedelta(days=7)):
    """What the admin pages do for a new or reset account."""
    user.set_password(ONE_TIME)
    user.must_change_password = True
    user.password_expires_at = datetime.now(UTC) + expires_in
    db.session.commit()


def audit_rows(action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def test_a_one_time_password_logs_in_once_and_leads_to_choosing_a_password(client, member):
    give_one_time_password(member)
    response = login(client, "komite", ONE_TIME)
    assert response.status_code == 303
    assert response.headers["Location"] == "/akun/sandi-baru"
    db.session.refresh(member)
    # Used up at once: the stored hash no longer matches it (nor anything else).
    assert member.must_change_password
    assert not member.check_password(ONE_TIME)
    page = client.get("/akun/sandi-baru")
    assert page.status_code == 200
    assert "Pilih kata sandi Anda" in page.text
    # A second browser cannot use it again.
    other = client.application.test_client()
    again = login(other, "komite", ONE_TIME)
    assert again.status_code == 422 and WRONG in again.text


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/"),
        ("GET", "/sekolah/20525555/beranda"),
        ("GET", "/sekolah/20525555/buku-kas"),
        ("GET", "/akun"),
        ("GET", "/akun/sandi"),
        ("GET", "/beranda"),
        ("POST", "/sekolah/20525555/sumbangan/baru"),
    ],
)
def test_until_a_password_is_chosen_every_page_leads_there(client, member, method, url):
    give_one_time_password(member)
    login(client, "komite", ONE_TIME)
    response = client.open(url, method=method, data={"amount": "5000"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/akun/sandi-baru"


def test_before_choosing_a_password_one_can_still_log_out_and_switch_language(client, member):
    give_one_time_password(member)
    login(client, "komite", ONE_TIME)
    switched = client.post("/bahasa", data={"lang": "en", "next": "/akun/sandi-baru"})
    assert switched.headers["Location"] == "/akun/sandi-baru"
    assert client.get("/static/app.css").status_code == 200
    assert client.post("/keluar").headers["Location"] == "/masuk"
    assert client.get("/akun/sandi-baru").headers["Location"].startswith("/masuk")


def test_the_api_refuses_a_session_that_has_not_chosen_its_password(client, member):
    give_one_time_password(member)
    login(client, "komite", ONE_TIME)
    response = client.get("/api/v1/summary")
    assert response.status_code == 403
    assert response.is_json


def test_choosing_the_password_ends_the_one_time_session_and_keeps_this_browser(client, member):
    give_one_time_password(member)
    login(client, "komite", ONE_TIME)
    before = client.get_cookie("session").value
    version = member.session_version
    refused = client.post(
        "/akun/sandi-baru", data={"new_password": "komite12345", "confirm": "komite12345"}
    )
    assert refused.status_code == 422
    assert "nama pengguna" in refused.text
    response = client.post(
        "/akun/sandi-baru", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 303
    db.session.refresh(member)
    assert not member.must_change_password
    assert member.password_expires_at is None
    assert member.session_version == version + 1
    assert member.check_password(NEW_PASSWORD)
    assert client.get("/sekolah/20525555/beranda").status_code == 200  # logged in again
    client.set_cookie("session", before)  # the one-time session's cookie is dead
    assert client.get("/sekolah/20525555/beranda").status_code == 302
    fresh = client.application.test_client()
    assert login(fresh, "komite", NEW_PASSWORD).status_code == 303
    [changed] = audit_rows("password.changed")
    assert changed.actor_id == member.id and changed.target == f"user:{member.id}"


def test_the_set_password_page_is_only_for_one_time_sessions(client, member):
    login(client, "komite")
    assert client.get("/akun/sandi-baru").headers["Location"] == "/akun/sandi"
    response = client.post(
        "/akun/sandi-baru", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.check_password(PASSWORD)


def test_an_expired_one_time_password_fails_like_a_wrong_one(client, member):
    give_one_time_password(member, expires_in=timedelta(seconds=-1))
    expired = login(client, "komite", ONE_TIME)
    wrong = login(client, "komite", "wrong password!")
    assert expired.status_code == 422
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert strip(expired.text) == strip(wrong.text)
    db.session.refresh(member)
    assert member.check_password(ONE_TIME)  # not used up: it simply no longer opens anything
    assert member.last_login_at is None


# --- changing one's own password -----------------------------------------------------------


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/akun/sandi",
        data={"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_every_role_can_open_the_change_password_page(client, app):
    school = make_school("20525555")
    for name, role in [
        ("komite", Role.COMMITTEE),
        ("guru", Role.TEACHER),
        ("dinas", Role.DISTRICT),
        ("admin", Role.ADMIN),
    ]:
        make_user(name, role, school if role in (Role.COMMITTEE, Role.TEACHER) else None)
        browser = app.test_client()
        login(browser, name)
        page = browser.get("/akun/sandi")
        assert page.status_code == 200, name
        assert 'name="current_password"' in page.text
        assert 'href="/akun"' in browser.get("/akun").text


def test_changing_the_password_needs_the_current_one(client, member):
    login(client, "komite")
    response = change(client, current="not my password")
    assert response.status_code == 422
    assert "Kata sandi sekarang salah." in response.text
    db.session.refresh(member)
    assert member.check_password(PASSWORD)
    assert audit_rows("password.changed") == []


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("pendek", None, "Paling sedikit 10 karakter."),
        ("BISMILLAH123", None, "terlalu umum"),
        ("aku komite sekolah", None, "nama pengguna"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Kedua kata sandi baru tidak sama."),
        (PASSWORD, None, "berbeda dari yang sekarang"),
        ("x" * 129, None, "Paling banyak 128 karakter."),
    ],
)
def test_a_new_password_must_follow_the_rules(client, member, new, confirm, message):
    login(client, "komite")
    response = change(client, new=new, confirm=confirm)
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(member)
    assert member.check_password(PASSWORD)


def test_changing_the_password_ends_other_sessions_but_not_this_one(client, app, member):
    other = app.test_client()
    login(other, "komite")
    login(client, "komite")
    old_cookie = client.get_cookie("session").value
    response = change(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/akun"
    assert "Kata sandi sudah diganti" in client.get("/akun").text
    assert client.get("/sekolah/20525555/beranda").status_code == 200
    assert other.get("/sekolah/20525555/beranda").status_code == 302  # the other browser is out
    client.set_cookie("session", old_cookie)
    assert client.get("/sekolah/20525555/beranda").status_code == 302
    assert login(app.test_client(), "komite", PASSWORD).status_code == 422
    assert login(app.test_client(), "komite", NEW_PASSWORD).status_code == 303
    [row] = audit_rows("password.changed")
    assert row.actor_id == member.id


def test_passwords_never_reach_the_audit_log(client, member):
    login(client, "komite", "wrong password!")
    login(client, "komite")
    change(client)
    change(client, current="salah sekali 123")
    texts = " ".join(f"{r.actor} {r.target} {r.detail}" for r in audit_rows())
    for secret in (PASSWORD, NEW_PASSWORD, "wrong password!", "salah sekali 123"):
        assert secret not in texts


# --- password rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "kopi tubruk di banyuwangi",  # spaces
        "Sepuluh10!",  # exactly 10
        "ꦱꦶꦱ꧀ꦮꦄꦱꦸꦃꦱꦼꦧꦪ",  # Javanese script
        "🐟🐟🐟 ikan bakar 🌶",
        "a" * 30 + "b" * 34,  # 64 characters
        "x" * 128,
    ],
)
def test_long_passwords_of_any_characters_are_fine(app, password):
    assert password_problems(password, "komite") == []


@pytest.mark.parametrize(
    "password",
    ["bismillah123", "Indonesia123", "SAYANGKAMU", "1234567890", "qwertyuiop", "iloveyou12"],
)
def test_common_passwords_are_refused_whatever_the_case(app, password):
    assert any("umum" in p for p in password_problems(password, "komite"))


def test_the_common_password_list_ships_with_the_project(app):
    words = common_passwords()
    assert len(words) > 10_000
    assert {"bismillah", "indonesia", "sayangku", "password", "123456"} <= words


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("komite_a12345", "komite_a"),
        ("KOMITE_A-rahasia", "komite_a"),
        ("Budi.Santoso", "budi.santoso"),
    ],
)
def test_the_username_may_not_be_in_the_password(app, password, username):
    assert any("nama pengguna" in p for p in password_problems(password, username))


def test_a_short_password_is_refused(app):
    assert password_problems("abc def 9", "komite") == ["Paling sedikit 10 karakter."]


# --- last login, audit of logins --------------------------------------------------------------


def test_users_see_when_they_last_logged_in(client, app, member):
    login(client, "komite")
    page = client.get("/akun").text
    assert "Belum pernah" in page
    db.session.refresh(member)
    first = member.last_login_at
    client.post("/keluar")
    response = login(client, "komite")
    db.session.refresh(member)
    assert member.previous_login_at == first
    assert member.last_login_at > first
    shown = format_datetime(first, "d MMM y HH:mm")
    home = client.get(response.headers["Location"]).headers["Location"]  # / -> dashboard
    landing = client.get(home).text
    assert f"Terakhir masuk sebelum ini: {shown}" in landing
    page = client.get("/akun").text
    assert shown in page and "Belum pernah" not in page


def test_logins_and_logouts_are_audited(client, member):
    login(client, "Komite ", "wrong password!")
    login(client, "nobody", PASSWORD)
    login(client, "komite")
    client.post("/keluar")
    rows = audit_rows()
    assert [r.action for r in rows] == ["login.failed", "login.failed", "login.succeeded", "logout"]
    failed, unknown, ok, out = rows
    assert failed.actor == "Komite" and failed.actor_id is None
    assert unknown.actor == "nobody" and unknown.actor_id is None
    assert ok.actor_id == member.id and ok.target == f"user:{member.id}"
    assert out.actor_id == member.id
    assert all(r.address == "127.0.0.1" for r in rows)


def test_a_password_matches_however_its_accents_were_composed(client, world):
    """One keyboard sends "é" as one character, another as "e" plus a combining accent."""
    user = world["komite_a"]
    user.set_password("kopi\u00e9 sedap 2026")  # composed
    db.session.commit()
    response = client.post(
        "/masuk", data={"username": "komite_a", "password": "kopie\u0301 sedap 2026"}
    )
    assert response.status_code == 303
    assert not user.check_password("kopie sedap 2026")
