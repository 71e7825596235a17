"""Report pages kept rendered until the figures they show change (``sas.pagecache``).

A write moves the version of its kabupaten only, through one session hook; a kept page shows a
new contribution, a void, a transfer, a month close and a school edit at once; another
kabupaten's kept page is not drawn again. Anonymous public pages carry ``Cache-Control: public``
and an ``ETag`` (304 without drawing); everyone else's stay ``no-store``. With Redis the versions
are shared by every worker; with Redis down, pages still answer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import update

from sas import create_app, pagecache
from sas.dates import today_wib
from sas.extensions import db
from sas.models import Region, School, User
from sas.money import format_rupiah
from sas.pagecache import ALL, RedisVersions, version
from sas.transfers.moving import transfer
from tests.district_data import close as district_close
from tests.district_data import void as district_void
from tests.factories import contribute, disburse, make_kabupaten, make_kecamatan, make_school
from tests.web import login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TODAY = today_wib()


@pytest.fixture
def other(world):  # type: ignore[no-untyped-def]
    """A school of another kabupaten (35.09 Jember) with money in its fund."""
    make_kabupaten("35.09", "Jember")
    make_kecamatan("35.09.01", "Kencong")
    school = make_school("20599999", "35.09.01", name="SMP Negeri 1 Kencong")
    contribute(school, 40_000, world["admin"])
    return school


@pytest.fixture
def drawn(monkeypatch) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How often each report was computed (drawn), by the routes' names."""
    import sas.district.routes as district_routes
    import sas.main.routes as main_routes

    counts = {"district": 0, "public": 0}

    def counting(module, name, key):  # type: ignore[no-untyped-def]
        real = getattr(module, name)

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            counts[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(district_routes, "district_report", "district")
    counting(main_routes, "district_report", "public")
    return counts


def kabupaten(code: str) -> Region:
    found = db.session.scalar(db.select(Region).where(Region.code == code))
    assert found is not None
    return found


def collected_shown(html: str, amount: int) -> bool:
    return format_rupiah(amount) in html


# --- the versions ---------------------------------------------------------------------------------


def test_a_write_moves_the_version_of_its_kabupaten_only(app, world, other):
    banyuwangi, jember = kabupaten("35.10").id, kabupaten("35.09").id
    before = version(banyuwangi), version(jember)
    contribute(world["a"], 5_000, world["komite_a"])
    assert version(banyuwangi) != before[0]
    assert version(jember) == before[1]


def test_a_rolled_back_write_moves_nothing(app, world):
    banyuwangi = kabupaten("35.10").id
    before = version(banyuwangi)
    world["a"].name = "SMP Negeri 1 Banyuwangi Lama"
    db.session.flush()
    db.session.rollback()
    assert version(banyuwangi) == before


def test_a_transfer_moves_its_kabupaten_only(app, world, other):
    banyuwangi, jember = kabupaten("35.10").id, kabupaten("35.09").id
    before = version(banyuwangi), version(jember)
    send(world, 10_000)
    assert version(banyuwangi) != before[0]
    assert version(jember) == before[1]


def send(world, amount: int) -> None:  # type: ignore[no-untyped-def]
    """A transfer from school A to school B (both of Banyuwangi), committed."""
    transfer(
        world["a"],
        world["b"],
        amount=amount,
        occurred_on=TODAY,
        request=None,
        note=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=TODAY,
    )
    db.session.commit()


def test_a_school_moved_to_another_kabupaten_moves_both(app, world, other):
    banyuwangi, jember = kabupaten("35.10").id, kabupaten("35.09").id
    before = version(banyuwangi), version(jember)
    other.kecamatan_id = world["a"].kecamatan_id
    db.session.commit()
    assert version(banyuwangi) != before[0]
    assert version(jember) != before[1]


def test_a_region_edit_and_a_bulk_statement_move_the_versions(app, world, other):
    banyuwangi, jember = kabupaten("35.10").id, kabupaten("35.09").id
    before = version(banyuwangi), version(jember)
    world["a"].kecamatan.name = "Banyuwangi Kota"
    db.session.commit()
    assert version(banyuwangi) != before[0]
    assert version(jember) == before[1]
    before = version(banyuwangi), version(jember)
    db.session.execute(update(School).values(name=School.name))  # no objects: every kabupaten
    db.session.commit()
    assert version(banyuwangi) != before[0]
    assert version(jember) != before[1]


# --- kept pages show new figures at once ---------------------------------------------------------


def test_the_public_page_shows_a_contribution_and_its_void_at_once(client, world, drawn):
    assert collected_shown(client.get("/").text, 150_000)  # the world's two contributions
    assert collected_shown(client.get("/").text, 150_000)
    assert drawn["public"] == 1  # the second visitor got the kept page
    entry = contribute(world["a"], 7_000, world["komite_a"])
    assert collected_shown(client.get("/").text, 157_000)
    district_void(world["a"], entry, world["komite_a"], TODAY)
    db.session.commit()
    assert collected_shown(client.get("/").text, 150_000)
    assert drawn["public"] == 3


def test_the_district_report_shows_a_transfer_at_once(client, world, drawn):
    login(client, "admin")
    assert format_rupiah(12_345) not in client.get("/kabupaten/35.10").text
    client.get("/kabupaten/35.10")
    assert drawn["district"] == 1
    send(world, 12_345)
    assert format_rupiah(12_345) in client.get("/kabupaten/35.10").text  # the flows table
    assert drawn["district"] == 2


def test_another_kabupatens_kept_page_is_not_drawn_again(client, world, other, drawn):
    login(client, "admin")
    client.get("/kabupaten/35.09")
    client.get("/kabupaten/35.10")
    assert drawn["district"] == 2
    contribute(world["a"], 3_000, world["komite_a"])
    client.get("/kabupaten/35.09")
    assert drawn["district"] == 2  # Jember's page was kept
    assert collected_shown(client.get("/kabupaten/35.10").text, 153_000)
    assert drawn["district"] == 3


def test_a_month_close_draws_the_report_again(client, world, drawn):
    login(client, "admin")
    client.get("/kabupaten/35.10")
    previous = (
        date(TODAY.year - 1, 12, 1)
        if TODAY.month == 1
        else TODAY.replace(day=1, month=TODAY.month - 1)
    )
    district_close(world["a"], previous, world["komite_a"], TODAY)
    db.session.commit()
    client.get("/kabupaten/35.10")
    assert drawn["district"] == 2


def test_a_school_edit_shows_at_once(client, world):
    login(client, "admin")
    assert "SMP Negeri 1 Banyuwangi" in client.get("/kecamatan/35.10.16").text
    world["a"].name = "SMP Negeri 1 Giri"
    db.session.commit()
    assert "SMP Negeri 1 Giri" in client.get("/kecamatan/35.10.16").text
    client.post("/keluar")
    assert "SMP Negeri 1 Giri" in client.get("/sekolah?q=giri").text
    world["a"].active = False
    db.session.commit()
    assert "SMP Negeri 1 Giri" not in client.get("/sekolah?q=giri").text


def test_a_disbursement_shows_on_the_school_summary_at_once(client, world):
    login(client, "komite_a")
    assert format_rupiah(100_000) in client.get(f"/sekolah/{world['a'].npsn}/ringkasan").text
    disburse(world["a"], 25_000, world["komite_a"], world["recipient_a"])
    text = client.get(f"/sekolah/{world['a'].npsn}/ringkasan").text
    assert format_rupiah(25_000) in text and format_rupiah(75_000) in text


def test_the_school_summary_is_kept_apart_for_its_own_people(client, world):
    """Its committee sees its real count of students helped; the district a suppressed one:
    the two must never share a kept page."""
    disburse(world["a"], 25_000, world["komite_a"], world["recipient_a"])
    login(client, "dinas")
    assert "&lt;3" in client.get(f"/sekolah/{world['a'].npsn}/ringkasan").text
    client.post("/keluar")
    login(client, "komite_a")
    assert "&lt;3" not in client.get(f"/sekolah/{world['a'].npsn}/ringkasan").text


# --- HTTP caching ---------------------------------------------------------------------------------


def test_a_visitor_gets_a_public_page_and_a_304_without_drawing(client, world, drawn):
    first = client.get("/")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in first.headers["Vary"]
    assert "Set-Cookie" not in first.headers  # nothing of one visitor in a shared copy
    tag = first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert drawn["public"] == 1
    contribute(world["a"], 2_000, world["komite_a"])
    fresh = client.get("/", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert collected_shown(fresh.text, 152_000)


def test_a_gzipped_public_page_is_answered_304_without_drawing(client, world, drawn):
    gzip = {"Accept-Encoding": "gzip"}
    first = client.get("/", headers=gzip)
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"].endswith(':gzip"')
    again = client.get("/", headers={**gzip, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert drawn["public"] == 1


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(client, world):
    """A flashed message is for one visitor: that page is neither kept nor public."""
    client.get("/")  # kept for everyone
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Pesan untuk satu pengunjung")]
    own = client.get("/")
    assert "Pesan untuk satu pengunjung" in own.text
    assert own.headers["Cache-Control"] == "no-store"
    assert "Pesan untuk satu pengunjung" not in client.get("/").text


@pytest.mark.parametrize(
    "path", ["/sekolah", "/sekolah?q=negeri", "/sekolah/20525555", "/transparansi"]
)
def test_the_other_public_pages_are_public_for_visitors(client, world, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/", "/sekolah?q=negeri", "/sekolah/20525555", "/kabupaten/35.10"]
)
def test_a_signed_in_page_is_never_public(client, world, path):
    login(client, "admin")
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_each_language_has_its_own_kept_page(client, world):
    assert 'lang="id"' in client.get("/").text
    switched = client.post(
        "/bahasa", data={"lang": "en", "next": "/"}, headers={"Origin": "http://localhost"}
    )
    assert switched.status_code == 303
    assert 'lang="en"' in client.get("/").text
    client.post("/bahasa", data={"lang": "id", "next": "/"}, headers={"Origin": "http://localhost"})
    assert 'lang="id"' in client.get("/").text


def test_a_visitors_language_switch_from_another_site_is_refused(client, world):
    refused = client.post(
        "/bahasa", data={"lang": "en", "next": "/"}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 400
    assert 'lang="id"' in client.get("/").text


def test_a_forged_host_does_not_reach_other_visitors(client, world):
    client.get("/sekolah/20525555", headers={"Host": "evil.example"})
    assert "evil.example" not in client.get("/sekolah/20525555").text


def test_page_cache_off_draws_every_view(client, world, drawn, page_cache_off):
    client.get("/")
    client.get("/")
    assert drawn["public"] == 2


# --- Redis ----------------------------------------------------------------------------------------


def redis_or_skip() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except (redis.RedisError, OSError):
        if os.environ.get("CI"):  # CI has Redis: a silent skip there would hide a broken setup
            raise
        pytest.skip("Redis is not running")


@pytest.fixture
def shared(app: Flask) -> Iterator[tuple[RedisVersions, RedisVersions]]:
    """This app's versions in Redis, and a second worker's view of the same Redis."""
    redis_or_skip()
    prefix = f"sas:test:{uuid.uuid4().hex}:"
    saved = app.extensions["sas_page_versions"]
    mine, theirs = RedisVersions(REDIS_URL, prefix), RedisVersions(REDIS_URL, prefix)
    app.extensions["sas_page_versions"] = mine
    yield mine, theirs
    app.extensions["sas_page_versions"] = saved
    keys = list(mine._redis.scan_iter(f"{prefix}*"))
    if keys:
        mine._redis.delete(*keys)


def test_with_redis_every_worker_sees_a_write(client, world, shared):
    mine, theirs = shared
    banyuwangi = kabupaten("35.10").id
    assert mine.get(banyuwangi) == theirs.get(banyuwangi) is not None
    before = theirs.get(banyuwangi)
    contribute(world["a"], 1_000, world["komite_a"])  # written through this app
    assert theirs.get(banyuwangi) != before
    assert mine.get(banyuwangi) == theirs.get(banyuwangi)
    assert collected_shown(client.get("/").text, 151_000)


def test_with_redis_two_apps_share_the_versions(app, world):
    """Two apps on one database and one Redis (two gunicorn workers): a contribution written
    through one is on the other's kept public page at once."""
    redis_or_skip()
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PAGE_VERSIONS_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"sas-test-{uuid.uuid4().hex}",
    }
    one, two = create_app("testing", settings), create_app("testing", settings)
    banyuwangi, school_id, user_id = kabupaten("35.10").id, world["a"].id, world["komite_a"].id
    db.session.rollback()  # this test's own transaction holds SQLite's write lock
    try:
        with two.app_context():
            assert collected_shown(two.test_client().get("/").text, 150_000)  # kept by two
            before = version(banyuwangi)
        with one.app_context():
            assert isinstance(pagecache.versions(), RedisVersions)
            contribute(db.session.get(School, school_id), 6_000, db.session.get(User, user_id))
            assert version(banyuwangi) != before
        with two.app_context():
            assert version(banyuwangi) != before
            assert collected_shown(two.test_client().get("/").text, 156_000)
    finally:
        for built in (one, two):
            with built.app_context():
                versions = pagecache.versions()
                assert isinstance(versions, RedisVersions)
                keys = list(versions._redis.scan_iter(f"{settings['RATELIMIT_KEY_PREFIX']}:*"))
                if keys:
                    versions._redis.delete(*keys)
                db.engine.dispose()


def test_a_bulk_write_moves_every_kabupaten_in_redis(app, world, shared):
    mine, theirs = shared
    before = theirs.get(12345)
    mine.bump([ALL])
    assert theirs.get(12345) != before


def test_with_redis_down_pages_still_answer(client, app, world, drawn):
    saved = app.extensions["sas_page_versions"]
    app.extensions["sas_page_versions"] = RedisVersions(
        "redis://127.0.0.1:1/0", "sas-test:pagever:"
    )
    try:
        assert client.get("/").status_code == 200
        contribute(world["a"], 4_000, world["komite_a"])  # its version cannot move: no error
        page = client.get("/")
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert collected_shown(page.text, 154_000)
        login(client, "admin")
        assert client.get("/kabupaten/35.10").status_code == 200
    finally:
        app.extensions["sas_page_versions"] = saved


def test_versions_are_cleared_with_the_tables(app):
    pagecache.versions().bump([1])
    pagecache.clear(app)
    assert version(1) == "0.0"
