"""Logging in and out: credentials, inactive accounts, session replay, next=, CSRF."""

import re

import pytest
from sqlalchemy import select

from sas.extensions import db
from sas.models import Role, User
from tests.conftest import PASSWORD, login, make_school, make_user

WRONG = "Nama pengguna atau kata sandi salah."


@pytest.fixture
def member(app):
    return make_user("komite", Role.COMMITTEE, make_school("20525555"))


def test_committee_lands_on_their_dashboard(client, member):
    response = login(client, "komite")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).headers["Location"] == "/schools/20525555"
    page = client.get("/schools/20525555")
    assert page.status_code == 200
    assert "Saldo sekarang" in page.text


def test_district_and_admin_reach_a_home(client, app):
    make_user("dinas", Role.DISTRICT)
    login(client, "dinas")
    assert client.get("/").headers["Location"] == "/home"
    assert "Laporan kabupaten" in client.get("/home").text


@pytest.mark.parametrize(
    ("username", "password"), [("komite", "wrong password!"), ("nobody", PASSWORD), ("komite", "")]
)
def test_a_failed_login_never_says_which_part_was_wrong(client, member, username, password):
    response = login(client, username, password)
    assert response.status_code == 422
    assert WRONG in response.text or "Wajib diisi." in response.text
    assert "Saldo" not in response.text
    assert client.get("/schools/20525555").status_code == 302


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
    assert client.get("/schools/20525555").status_code == 302


def test_passwords_are_hashed_with_scrypt(app):
    user = User(username="x", display_name="X", role=Role.ADMIN)
    user.set_password("a long passphrase")
    assert user.password_hash.startswith("scrypt:")
    assert "a long passphrase" not in user.password_hash
    assert user.check_password("a long passphrase")
    assert not user.check_password("a long passphrase ")


def test_the_session_cookie_changes_at_login(client, member):
    client.get("/login")
    before = client.get_cookie("session")
    login(client, "komite")
    after = client.get_cookie("session")
    assert after is not None
    assert before is None or before.value != after.value


def test_logout_ends_the_session_for_good(client, member):
    login(client, "komite")
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 303
    assert client.get("/schools/20525555").status_code == 302
    # Replaying the cookie captured before logout does not log anyone in.
    client.set_cookie("session", stolen)
    response = client.get("/schools/20525555")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logging_in_again_after_logout_works(client, member):
    login(client, "komite")
    client.post("/logout")
    assert login(client, "komite").status_code == 303
    assert client.get("/schools/20525555").status_code == 200


def test_login_remembers_where_you_were_going(client, member):
    response = client.get("/schools/20525555/ledger?kind=contribution")
    assert response.status_code == 302
    assert "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert 'value="/schools/20525555/ledger?kind=contribution"' in page.text
    back = client.post(
        "/login",
        data={
            "username": "komite",
            "password": PASSWORD,
            "next": "/schools/20525555/ledger?kind=contribution",
        },
    )
    assert back.headers["Location"] == "/schools/20525555/ledger?kind=contribution"


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
        "/login", data={"username": "komite", "password": PASSWORD, "next": target}
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
    response = client.post("/login", data={"username": "komite", "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login", data={"username": "komite", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    # A state change without the token is refused, and nothing is recorded.
    form = {"amount": "5000", "occurred_on": "2025-08-01", "source": "class", "form_key": "k"}
    assert client.post("/schools/20525555/contributions/new", data=form).status_code == 400
    assert client.post("/logout").status_code == 400
    assert client.get("/schools/20525555").status_code == 200


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
    assert client.post("/schools/20525555/contributions/new", data=form).status_code == 403


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
    response = client.post("/login", data={"username": "kom\x00ite_x", "password": PASSWORD})
    assert response.status_code == 422


def test_a_failed_login_does_not_hold_the_write_lock(app, member, monkeypatch):
    """The slow password check runs outside the database transaction."""
    import sas.auth.services as auth_services

    seen = []

    def spy(hashed, password):
        seen.append(db.session().in_transaction())
        return False

    monkeypatch.setattr(auth_services, "check_password_hash", spy)
    assert auth_services.authenticate("komite", "wrong") is None
    assert seen == [False]
