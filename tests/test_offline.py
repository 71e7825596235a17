"""What the server gives the phone for a weak signal (sas/offline): the service worker script,
the pages it may keep, the "no signal" page and the token a send asks for. The worker itself is
driven in Chromium by tests/browser/test_phone_offline.py."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from sas.dates import today_wib
from sas.extensions import db
from sas.models import Entry
from tests.factories import PASSWORD
from tests.web import login

FORMS = ("sumbangan/kelas", "sumbangan/baru", "penyaluran/baru")


def kept_pages(html: str) -> list[str]:
    match = re.search(r'data-offline-pages="([^"]*)"', html)
    assert match, "no data-offline-pages on the page"
    return match.group(1).split()


def test_the_worker_script_is_served_at_the_root_with_what_it_keeps(client, world):
    response = client.get("/sw.js")  # before any login: the login page registers it
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "Content-Security-Policy" in response.headers
    head = dict(re.findall(r"^const (\w+) = (.+);$", response.text, re.M)[:4])
    assert set(head) == {"ASSETS", "OUTBOX", "SEND_TOKEN", "VERSION"}
    assets = re.findall(r'"(/static/[^"]+)"', head["ASSETS"])
    assert any(re.fullmatch(r"/static/app\.[0-9a-f]{10}\.css", a) for a in assets)
    for url in [*assets, head["OUTBOX"].strip('"')]:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert "immutable" in asset.headers["Cache-Control"], url  # hashed: kept by the worker
    assert head["SEND_TOKEN"] == '"/offline/token"'
    assert response.text == client.get("/sw.js").text  # the same version until a file changes


def test_a_committee_member_keeps_the_entry_forms_and_nothing_with_names(client, world):
    login(client, "komite_a")
    page = client.get("/sekolah/20525555/beranda").text
    pages = kept_pages(page)
    assert pages == ["/offline", *(f"/sekolah/20525555/{form}" for form in FORMS)]
    for path in pages:
        assert client.get(path).status_code == 200
    for form in FORMS:
        html = client.get(f"/sekolah/20525555/{form}").text
        assert re.search(r"<form [^>]*data-offline data-drawn=\"\d+\"", html), form
    assert 'id="outbox"' in page
    assert "offline" in re.findall(r"/static/(\w+)\.[0-9a-f]{10}\.js", page)


def test_others_keep_only_the_no_signal_page(client, world):
    for username in ("guru_a", "dinas", "admin"):
        login(client, username)
        assert kept_pages(client.get("/akun").text) == ["/offline"], username
        page = client.get("/offline").text
        assert "Tidak ada sinyal" in page
        assert "sumbangan/baru" not in page
        client.post("/keluar")


def test_the_no_signal_page_lists_the_forms_that_open_without_one(client, world):
    assert client.get("/offline").status_code == 302  # signed in only
    login(client, "komite_a")
    page = client.get("/offline").text
    for form in FORMS:
        assert f'href="/sekolah/20525555/{form}"' in page
    assert "Siti Aminah" not in page


def test_public_pages_carry_no_worker_and_no_outbox(client, world):
    page = client.get("/").text
    assert "offline" not in re.findall(r"/static/(\w+)\.[0-9a-f]{10}\.js", page)
    assert 'id="outbox"' not in page
    login_page = client.get("/masuk").text  # the outbox of a session that ended shows here
    assert 'id="outbox"' in login_page and "data-offline-pages" not in login_page


def test_the_send_token_names_the_user_and_is_a_csrf_token_of_this_session(client, app, world):
    assert client.get("/offline/token").status_code == 302  # no session: the login page
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/masuk").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/masuk", data={"username": "komite_a", "password": PASSWORD, "csrf_token": token})
    answer = client.get("/offline/token")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json["user"] == str(world["komite_a"].id)
    before = db.session.execute(select(func.count()).select_from(Entry)).scalar_one()
    form = {
        "amount": "5000",
        "occurred_on": today_wib().isoformat(),
        "source": "anonymous",
        "form_key": uuid.uuid4().hex,
        "csrf_token": answer.json["csrf_token"],
    }
    response = client.post("/sekolah/20525555/sumbangan/baru", data=form)
    assert response.status_code == 200, response.text
    assert db.session.execute(select(func.count()).select_from(Entry)).scalar_one() == before + 1


def test_a_form_sent_again_answers_with_what_it_recorded_before_it_is_checked(client, world):
    """The outbox may send a form days later: the recipient or class it names may be retired
    by then. The first send arrived, so the answer is what it recorded, not a refusal."""
    login(client, "komite_a")
    key = uuid.uuid4().hex
    form = {
        "recipient_id": str(world["recipient_a"].id),
        "category": "sepatu",
        "amount": "15000",
        "occurred_on": today_wib().isoformat(),
        "description": "Sepatu sekolah",
        "form_key": key,
    }
    assert client.post("/sekolah/20525555/penyaluran/baru", data=form).status_code == 200
    count = db.session.execute(select(func.count()).select_from(Entry)).scalar_one()
    world["recipient_a"].active = False
    db.session.commit()
    again = client.post("/sekolah/20525555/penyaluran/baru", data=form)
    assert again.status_code == 200
    assert "tidak dicatat dua kali" in again.text
    assert db.session.execute(select(func.count()).select_from(Entry)).scalar_one() == count
    # the key of another school's form is no way into that school's entries
    login(client, "komite_b")
    other = client.post("/sekolah/20526666/penyaluran/baru", data=form)
    assert other.status_code == 404 and "tidak dicatat dua kali" not in other.text


def test_a_disbursement_that_waits_sent_again_after_the_threshold_rose_is_not_recorded(
    client, world
):
    """The outbox resends a form whose first send made a waiting disbursement; the threshold
    rose meanwhile, so it would now be recorded at once: it answers with the waiting one."""
    login(client, "komite_a")
    world["a"].approval_threshold = 10_000
    db.session.commit()
    form = {
        "recipient_id": str(world["recipient_a"].id),
        "category": "sepatu",
        "amount": "15000",
        "occurred_on": today_wib().isoformat(),
        "description": "Sepatu sekolah",
        "form_key": uuid.uuid4().hex,
    }
    first = client.post("/sekolah/20525555/penyaluran/baru", data=form)
    assert first.status_code == 303 and "/menunggu/" in first.location
    count = db.session.execute(select(func.count()).select_from(Entry)).scalar_one()
    world["a"].approval_threshold = 500_000
    db.session.commit()
    again = client.post("/sekolah/20525555/penyaluran/baru", data=form)
    assert again.status_code == 303 and again.location == first.location
    assert db.session.execute(select(func.count()).select_from(Entry)).scalar_one() == count
