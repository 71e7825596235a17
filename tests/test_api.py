"""The read-only JSON API (/api/v1/): who may read what, by session and by token; JSON errors;
figures that agree with totals computed here from the ledger rows alone; suppression of small
counts above the school; no names; the OpenAPI document; the token commands.

History is built in past school years (2023/2024 and 2024/2025) with explicit dates, so the
figures do not depend on the day the suite runs.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.transport.wsgi import WSGITransport
from sqlalchemy import select

from sas.api.openapi import OPENAPI
from sas.api.tokens import create_token
from sas.dates import month_bounds, next_month, report_deadline, today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import (
    ApiToken,
    Category,
    Entry,
    EntryKind,
    Jenjang,
    MonthClosing,
    Recipient,
    Role,
    School,
    Source,
    User,
)
from sas.months.services import close_month
from tests.factories import (
    contribute,
    disburse,
    make_kabupaten,
    make_kecamatan,
    make_recipient,
    make_school,
    make_user,
)
from tests.web import login

API = "/api/v1"


# --- helpers -------------------------------------------------------------------------------------


def token_of(user: User, name: str = "district system") -> str:
    _row, token = create_token(user, name)
    db.session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(client, url: str, token: str | None = None, method: str = "GET"):  # type: ignore[no-untyped-def]
    """A request to the API; every answer, error or not, must be JSON."""
    response = client.open(url, method=method, headers=bearer(token) if token else {})
    assert response.mimetype == "application/json", response.data[:300]
    assert b"<html" not in response.data.lower()
    return response


def get(client, url: str, token: str | None = None, status: int = 200) -> dict:  # type: ignore[no-untyped-def]
    response = call(client, url, token)
    assert response.status_code == status, response.data[:500]
    return response.get_json()


def give(school: School, amount: int, on: date, user: User, **fields) -> Entry:  # type: ignore[no-untyped-def]
    return contribute(school, amount, user, on, as_of=on, **fields)


def aid(  # type: ignore[no-untyped-def]
    school: School,
    amount: int,
    on: date,
    user: User,
    recipient: Recipient,
    category: Category = Category.SERAGAM,
    in_kind: bool = True,
    description: str = "Seragam putih biru",
) -> Entry:
    return disburse(
        school,
        amount,
        user,
        recipient,
        on,
        category=category,
        in_kind=in_kind,
        description=description,
        as_of=on,
    )


def void(school: School, entry: Entry, on: date, user: User, reason: str) -> Entry:
    result = entries.void_entry(
        school, entry, reason=reason, recorded_by=user, form_key=uuid.uuid4().hex, today=on
    )
    db.session.commit()
    return result


def district_user(username: str, kabupaten_code: str) -> User:
    user = make_user(username, Role.DISTRICT)
    user.region_id = make_kabupaten(kabupaten_code).id
    db.session.commit()
    return user


# --- fixtures ------------------------------------------------------------------------------------

# Everything personal in the fixture data; none of it may ever appear in an API response.
PERSONAL = [
    "Siti Aminah",
    "Budi Santoso",
    "Rudi Hartono",
    "0051234567",
    "Haji Slamet",
    "Titipan keluarga Pak Rahmat",
    "Seragam putih biru",
    "Sepatu hitam",
    "Orang tua buruh tani",
    "Salah catat penerima",
    "Uang titipan dikembalikan",
    "Komite_A",
    "komite_a",
    "Dinas",
]


@pytest.fixture
def jember(world) -> dict:
    """A second kabupaten with its own district officer and one school with entries."""
    make_kabupaten("35.09", "Jember")
    make_kecamatan("35.09.01", "Kaliwates")
    e = make_school("35090001", "35.09.01", name="SMP Negeri 1 Jember")
    komite_e = make_user("komite_e", Role.COMMITTEE, e)
    give(e, 999_000, date(2024, 9, 1), komite_e)
    aid(e, 99_000, date(2024, 9, 2), komite_e, make_recipient(e, name="Rina Jember"))
    return {**world, "e": e, "dinas_jember": district_user("dinas_jember", "35.09")}


@pytest.fixture
def history(jember) -> dict:
    """Two past school years in four schools of Banyuwangi, with voids across 30 June / 1 July.

    a: SMP (35.10.16)  b: SD (35.10.09)  c: SD (35.10.16)  d: SMA (35.10.05)
    """
    w = jember
    a, b, komite_a, komite_b = w["a"], w["b"], w["komite_a"], w["komite_b"]
    make_kecamatan("35.10.05", "Muncar")
    c = make_school("20527777", "35.10.16", name="SD Negeri 3 Banyuwangi", jenjang=Jenjang.SD)
    d = make_school("20528888", "35.10.05", name="SMA Negeri 1 Muncar", jenjang=Jenjang.SMA)
    komite_c = make_user("komite_c", Role.COMMITTEE, c)
    komite_d = make_user("komite_d", Role.COMMITTEE, d)
    siti = w["recipient_a"]
    rudi = make_recipient(a, name="Rudi Hartono", nisn="0051234567")

    give(
        a,
        300_000,
        date(2023, 9, 4),
        komite_a,
        source=Source.INDIVIDUAL,
        donor_name="Haji Slamet",
        note="Titipan keluarga Pak Rahmat",
    )
    aid(a, 20_000, date(2023, 10, 10), komite_a, siti, Category.SEPATU, True, "Sepatu hitam")
    refunded = give(a, 120_000, date(2024, 6, 30), komite_a)
    mistaken = aid(a, 50_000, date(2024, 6, 30), komite_a, siti)
    give(a, 80_000, date(2024, 7, 1), komite_a)
    aid(a, 40_000, date(2024, 7, 1), komite_a, rudi, Category.UANG_SAKU, False, "Uang saku")
    void(a, mistaken, date(2024, 7, 1), komite_a, "Salah catat penerima")
    void(a, refunded, date(2024, 8, 15), komite_a, "Uang titipan dikembalikan")

    give(c, 200_000, date(2024, 6, 15), komite_c)
    for n in range(3):
        aid(c, 30_000, date(2024, 7, 20), komite_c, make_recipient(c, name=f"Anak C{n}"))
    close_month(c, date(2024, 7, 1), closed_by=komite_c, today=date(2024, 8, 20))  # late

    budi = w["recipient_b"]
    give(b, 60_000, date(2024, 8, 1), komite_b)
    aid(b, 10_000, date(2024, 8, 2), komite_b, budi, Category.TRANSPORT, False, "Ongkos")

    give(d, 500_000, date(2025, 1, 10), komite_d)
    aid(d, 100_000, date(2025, 2, 10), komite_d, make_recipient(d, name="Anak D1"), Category.KUOTA)
    aid(d, 50_000, date(2025, 2, 11), komite_d, make_recipient(d, name="Anak D2"), Category.SEMBAKO)
    month = date(2024, 7, 1)
    while month <= date(2025, 6, 1):  # every month of 2024/2025 closed by the 5th: on time
        close_month(d, month, closed_by=komite_d, today=next_month(month).replace(day=5))
        month = next_month(month)
    db.session.commit()
    return {**w, "c": c, "d": d, "komite_c": komite_c, "komite_d": komite_d}


# --- the figures, computed independently from the ledger rows -------------------------------------


def expected(schools: list[School], first: date, last: date) -> dict:
    """Figures of ``schools`` for the months ``first`` to ``last``, from Entry rows alone.

    Money: contributions minus voided contributions, disbursements minus voided disbursements,
    transfers in and out minus their voids, each counted on the date it carries (a void where
    the void is dated). Students helped: distinct recipients of a disbursement in the period
    that was never voided. Balance: every entry up to the end of the period.
    """
    end = month_bounds(last)[1]
    ids = [s.id for s in schools]
    entries = db.session.scalars(select(Entry).where(Entry.school_id.in_(ids))).all()
    period = [e for e in entries if first <= e.occurred_on <= end]

    def kind(e: Entry) -> EntryKind:
        return e.voids.kind if e.kind == EntryKind.VOID else e.kind  # type: ignore[union-attr]

    def signed(e: Entry) -> int:
        return -e.amount if e.kind == EntryKind.VOID else e.amount

    collected = sum(signed(e) for e in period if kind(e) == EntryKind.CONTRIBUTION)
    disbursed = sum(signed(e) for e in period if kind(e) == EntryKind.DISBURSEMENT)
    in_kind = sum(signed(e) for e in period if kind(e) == EntryKind.DISBURSEMENT and e.in_kind)
    helped = {
        e.recipient_id for e in period if e.kind == EntryKind.DISBURSEMENT and e.voided_by is None
    }
    months, month = [], first
    while month <= last:
        months.append(month)
        month = next_month(month)
    due = [m for m in months if report_deadline(m) < today_wib()]
    on_time = 0
    for school in schools:
        closed = {
            c.month: c.on_time
            for c in db.session.scalars(
                select(MonthClosing).where(MonthClosing.school_id == school.id)
            )
        }
        on_time += bool(due) and all(closed.get(m, False) for m in due)
    return {
        "collected": collected,
        "disbursed": disbursed,
        "disbursed_in_kind": in_kind,
        "disbursed_cash": disbursed - in_kind,
        "balance": sum(e.signed_amount for e in entries if e.occurred_on <= end),
        "students_helped": len(helped),
        "students_helped_suppressed": False,
        "schools": len(schools),
        "active_schools": len({e.school_id for e in period}),
        "on_time_schools": on_time,
        "transferred_in": sum(signed(e) for e in period if kind(e) == EntryKind.TRANSFER_IN),
        "transferred_out": sum(signed(e) for e in period if kind(e) == EntryKind.TRANSFER_OUT),
    }


def shown(figures: dict, above_school: bool = True) -> dict:
    """What the API should send: 1 or 2 students helped are hidden above the school."""
    if above_school and figures["students_helped"] in (1, 2):
        return {**figures, "students_helped": None, "students_helped_suppressed": True}
    return figures


def schools_of(prefix: str, jenjang: str | None) -> list[School]:
    """Active schools whose kecamatan code starts with ``prefix``, of the jenjang if given."""
    found = [
        s
        for s in db.session.scalars(select(School).where(School.active))
        if s.kecamatan.code.startswith(prefix)
    ]
    return [s for s in found if jenjang is None or s.jenjang.value == jenjang]


def months_of(query: dict) -> tuple[date, date]:
    year = int(query["school_year"][:4])

    def month(text: str) -> date:
        return date(int(text[:4]), int(text[5:]), 1)

    first = month(query["from"]) if "from" in query else date(year, 7, 1)
    last = month(query["to"]) if "to" in query else date(year + 1, 6, 1)
    return first, last


def _filter(query: dict):  # type: ignore[no-untyped-def]
    return pytest.param(query, id=urlencode(query))


FILTERS = [
    {"school_year": "2023/2024"},
    {"school_year": "2024/2025"},
    {"school_year": "2024/2025", "jenjang": "SD"},
    {"school_year": "2023/2024", "from": "2024-06", "to": "2024-06"},  # the last day before...
    {"school_year": "2024/2025", "from": "2024-07", "to": "2024-07"},  # ...and the first after
    {"school_year": "2024/2025", "from": "2024-08", "to": "2025-03", "jenjang": "SMP"},
    {"school_year": "2024/2025", "from": "2025-01"},
    {"school_year": "2024/2025", "to": "2024-12", "jenjang": "sma"},
]


@pytest.mark.parametrize("query", [_filter(q) for q in FILTERS])
def test_district_figures_agree_with_the_ledger(client, history, query):
    token = token_of(history["dinas"])
    qs = urlencode(query)
    first, last = months_of(query)
    jenjang = query.get("jenjang", "").upper().replace("MTS", "MTs") or None

    body = get(client, f"{API}/summary?{qs}", token)
    assert body["scope"] == {"level": "kabupaten", "code": "35.10", "name": "Banyuwangi"}
    assert body["filter"] == {
        "school_year": query["school_year"],
        "from": first.strftime("%Y-%m"),
        "to": last.strftime("%Y-%m"),
        "jenjang": jenjang,
    }
    total = expected(schools_of("35.10.", jenjang), first, last)
    assert body["figures"] == shown(total)

    regions = get(client, f"{API}/regions?{qs}", token)
    assert regions["total"] == shown(total)
    assert regions["filter"] == body["filter"]
    assert [r["code"] for r in regions["regions"]] == ["35.10.05", "35.10.09", "35.10.16"]
    for row in regions["regions"]:
        assert row["figures"] == shown(expected(schools_of(row["code"], jenjang), first, last))

        listing = get(client, f"{API}/regions/{row['code']}/schools?{qs}", token)
        assert listing["total"] == row["figures"]
        schools = schools_of(row["code"], jenjang)
        assert sorted(s["npsn"] for s in listing["schools"]) == sorted(s.npsn for s in schools)
        for school in schools:
            line = next(s for s in listing["schools"] if s["npsn"] == school.npsn)
            assert line["figures"] == shown(expected([school], first, last))
            assert line["jenjang"] == school.jenjang.value


@pytest.mark.parametrize("query", [_filter(q) for q in FILTERS if "jenjang" not in q])
@pytest.mark.parametrize("school", ["a", "b", "c", "d"])
def test_school_months_agree_with_the_ledger(client, history, query, school):
    school = history[school]
    first, last = months_of(query)
    url = f"{API}/schools/{school.npsn}/months?{urlencode(query)}"
    body = get(client, url, token_of(history["admin"]))
    assert body["school"]["npsn"] == school.npsn
    assert body["figures"] == shown(expected([school], first, last))
    month, rows = first, []
    while month <= last:
        figures = expected([school], month, month)
        rows.append(
            (
                month.strftime("%Y-%m"),
                figures["collected"],
                figures["disbursed"],
                figures["balance"],
            )
        )
        month = next_month(month)
    assert [
        (m["month"], m["collected"], m["disbursed"], m["balance"]) for m in body["months"]
    ] == rows
    given: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in db.session.scalars(select(Entry).where(Entry.school_id == school.id)):
        if e.category is not None and first <= e.occurred_on <= month_bounds(last)[1]:
            sign = -1 if e.kind == EntryKind.VOID else 1
            given[e.category.value][0] += sign * e.amount
            given[e.category.value][1] += sign * e.amount if e.in_kind else 0
    assert {
        c["category"]: [c["disbursed"], c["disbursed_in_kind"]] for c in body["categories"]
    } == {c.value: given[c.value] for c in Category}


def test_the_school_year_boundary_of_30_june_and_1_july(client, history):
    """School A: the Rp50.000 given on 30 June 2024 counts in 2023/2024; its void, dated
    1 July 2024, takes it back in 2024/2025; the student it helped no longer counts."""
    token = token_of(history["komite_a"])
    a = history["a"]
    before = get(client, f"{API}/summary?school_year=2023/2024", token)["figures"]
    after = get(client, f"{API}/summary?school_year=2024/2025", token)["figures"]
    assert before["collected"] == 300_000 + 120_000
    assert before["disbursed"] == 20_000 + 50_000
    assert before["balance"] == 420_000 - 70_000
    assert before["students_helped"] == 1  # Siti, for the shoes; not counted twice
    assert after["collected"] == 80_000 - 120_000  # the refunded gift of 30 June
    assert after["disbursed"] == 40_000 - 50_000
    assert after["disbursed_in_kind"] == -50_000 and after["disbursed_cash"] == 40_000
    assert after["balance"] == before["balance"] + after["collected"] - after["disbursed"]
    assert after["students_helped"] == 1  # Rudi
    months = get(client, f"{API}/schools/{a.npsn}/months?school_year=2023/2024", token)["months"]
    assert months[-1] == {
        "month": "2024-06",
        "collected": 120_000,
        "disbursed": 50_000,
        "balance": 350_000,
        "transferred_in": 0,
        "transferred_out": 0,
        "closed": False,
        "closed_on_time": False,
    }


def test_closings_and_on_time_schools(client, history):
    token = token_of(history["dinas"])
    body = get(client, f"{API}/regions?school_year=2024/2025", token)
    rows = {r["code"]: r["figures"] for r in body["regions"]}
    assert rows["35.10.05"]["on_time_schools"] == 1  # d closed every month by the 5th
    assert rows["35.10.16"]["on_time_schools"] == 0  # c closed July late, then nothing
    assert body["total"]["on_time_schools"] == 1
    muncar = get(client, f"{API}/regions/35.10.16/schools?school_year=2024/2025", token)
    c = next(s for s in muncar["schools"] if s["npsn"] == history["c"].npsn)
    assert (c["months_due"], c["months_closed"], c["months_closed_on_time"]) == (12, 1, 0)
    months = get(client, f"{API}/schools/{history['d'].npsn}/months?school_year=2024/2025", token)
    assert all(m["closed"] and m["closed_on_time"] for m in months["months"])


# --- suppression ---------------------------------------------------------------------------------


@pytest.fixture
def small_counts(world) -> dict:
    """Three kecamatan whose only school helped 1, 2 and 3 students in 2024/2025."""
    schools = {}
    for helped, code in ((1, "35.10.01"), (2, "35.10.02"), (3, "35.10.03")):
        make_kecamatan(code, f"Kecamatan {helped}")
        school = make_school(f"2053000{helped}", code)
        user = make_user(f"komite_{helped}", Role.COMMITTEE, school)
        give(school, 100_000, date(2024, 8, 1), user)
        for n in range(helped):
            aid(school, 10_000, date(2024, 8, 2), user, make_recipient(school, name=f"Anak {n}"))
        schools[helped] = (school, user)
    return {**world, "schools": schools}


def test_one_or_two_students_helped_are_suppressed_above_the_school(client, small_counts):
    token = token_of(small_counts["dinas"])
    year = "school_year=2024/2025"
    regions = get(client, f"{API}/regions?{year}", token)
    helped = {r["code"]: r["figures"] for r in regions["regions"]}
    for code, count in (("35.10.01", 1), ("35.10.02", 2)):
        assert helped[code]["students_helped"] is None
        assert helped[code]["students_helped_suppressed"] is True, count
    assert helped["35.10.03"]["students_helped"] == 3
    assert helped["35.10.03"]["students_helped_suppressed"] is False
    assert helped["35.10.16"]["students_helped"] == 0  # none is not a small count
    assert helped["35.10.16"]["students_helped_suppressed"] is False
    assert regions["total"]["students_helped"] == 6

    for count, (school, user) in small_counts["schools"].items():
        code = school.kecamatan.code
        listing = get(client, f"{API}/regions/{code}/schools?{year}", token)
        assert listing["schools"][0]["figures"]["students_helped"] == (None if count < 3 else 3)
        assert listing["total"]["students_helped"] == (None if count < 3 else 3)
        months = get(client, f"{API}/schools/{school.npsn}/months?{year}", token)
        assert months["figures"]["students_helped"] == (None if count < 3 else 3)
        assert months["figures"]["students_helped_suppressed"] is (count < 3)

        # the school's own committee sees its real count (that is the school level)
        own = token_of(user)
        summary = get(client, f"{API}/summary?{year}", own)
        assert summary["scope"]["level"] == "school"
        assert summary["figures"]["students_helped"] == count
        assert summary["figures"]["students_helped_suppressed"] is False
        months = get(client, f"{API}/schools/{school.npsn}/months?{year}", own)
        assert months["figures"]["students_helped"] == count


def test_a_small_kabupaten_total_is_suppressed_too(client, world):
    give(world["a"], 50_000, date(2024, 8, 1), world["komite_a"])
    aid(world["a"], 10_000, date(2024, 8, 2), world["komite_a"], world["recipient_a"])
    body = get(client, f"{API}/summary?school_year=2024/2025", token_of(world["dinas"]))
    assert body["figures"]["students_helped"] is None
    assert body["figures"]["students_helped_suppressed"] is True
    assert body["figures"]["disbursed"] == 10_000


# --- no names ------------------------------------------------------------------------------------


def test_no_name_note_nisn_or_description_in_any_response(client, history):
    urls = [
        "/summary",
        "/regions",
        "/regions/35.10.16/schools",
        "/regions/35.10.05/schools",
        "/regions/35.10.09/schools",
        f"/schools/{history['a'].npsn}/months",
        f"/schools/{history['b'].npsn}/months",
        "/openapi.json",
    ]
    bodies = []
    for username in ("dinas", "admin", "komite_a", "guru_a", "komite_b"):
        token = token_of(history[username])
        for year in ("2023/2024", "2024/2025", "2025"):  # the last one: error bodies
            for url in urls:
                response = call(client, f"{API}{url}?school_year={year}", token)
                bodies.append(response.get_data(as_text=True))
    assert len(bodies) == 5 * 3 * len(urls)
    text = "\n".join(bodies)
    assert "Banyuwangi" in text  # the search really ran over the answers
    for personal in PERSONAL:
        assert personal not in text, personal


# --- authentication ------------------------------------------------------------------------------


def test_a_district_session_reads_the_api(client, world):
    assert get(client, f"{API}/summary", status=401)["error"]["code"] == "unauthorized"
    login(client, "dinas")
    body = get(client, f"{API}/summary")
    assert body["scope"]["code"] == "35.10"
    assert body["figures"]["collected"] == 150_000  # today's gifts to A and B
    assert get(client, f"{API}/regions")["total"] == body["figures"]
    client.post("/keluar")
    get(client, f"{API}/summary", status=401)


def test_a_token_reads_the_api_as_its_user_and_only_its_hash_is_stored(client, world):
    token = token_of(world["dinas"])
    body = get(client, f"{API}/summary", token)
    assert body["scope"]["code"] == "35.10"
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.user_id == world["dinas"].id
    assert row.last_used_at is not None
    for column in ApiToken.__table__.columns:
        assert getattr(row, column.key) != token
    assert len(token) >= 43  # 32 random bytes


def test_last_used_at_is_kept_to_the_minute(client, world):
    token = token_of(world["dinas"])
    get(client, f"{API}/summary", token)
    row = db.session.scalar(select(ApiToken))
    first = row.last_used_at
    get(client, f"{API}/summary", token)
    db.session.refresh(row)
    assert row.last_used_at == first
    row.last_used_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    get(client, f"{API}/summary", token)
    db.session.refresh(row)
    moment = row.last_used_at if row.last_used_at.tzinfo else row.last_used_at.replace(tzinfo=UTC)
    assert moment > datetime.now(UTC) - timedelta(minutes=1)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Bearer",
        "Basic ZGluYXM6cGFzc3dvcmQ=",
        "Token {token}",
        "{token}",
    ],
)
def test_a_malformed_or_unknown_token_is_401(client, world, header):
    token = token_of(world["dinas"])
    response = client.get(f"{API}/summary", headers={"Authorization": header.format(token=token)})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_refused_even_with_a_good_session(client, world):
    login(client, "dinas")
    assert client.get(f"{API}/summary").status_code == 200
    response = client.get(f"{API}/summary", headers=bearer("forged"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_is_refused(client, world):
    token = token_of(world["dinas"])
    get(client, f"{API}/summary", token)
    row = db.session.scalar(select(ApiToken))
    row.revoked_at = datetime.now(UTC)
    db.session.commit()
    assert get(client, f"{API}/summary", token, 401)["error"]["code"] == "unauthorized"


def test_the_token_of_an_inactive_account_is_refused(client, world):
    token = token_of(world["dinas"])
    world["dinas"].active = False
    db.session.commit()
    get(client, f"{API}/summary", token, 401)
    world["dinas"].active = True
    db.session.commit()
    get(client, f"{API}/summary", token, 200)


def test_a_committee_token_reaches_only_its_own_school(client, world):
    token = token_of(world["komite_a"])
    body = get(client, f"{API}/summary", token)
    assert body["scope"] == {"level": "school", "code": "20525555", "name": world["a"].name}
    assert body["figures"]["collected"] == 100_000 and body["figures"]["schools"] == 1
    assert get(client, f"{API}/summary?kabupaten=35.10", token)["scope"]["level"] == "school"
    assert get(client, f"{API}/summary?jenjang=SD", token)["figures"]["collected"] == 0
    assert get(client, f"{API}/summary?jenjang=SMP", token)["figures"]["collected"] == 100_000
    assert get(client, f"{API}/schools/20525555/months", token)["school"]["npsn"] == "20525555"
    assert get(client, f"{API}/regions", token, 403)["error"]["code"] == "forbidden"
    get(client, f"{API}/regions/35.10.16/schools", token, 403)
    assert get(client, f"{API}/schools/20526666/months", token, 404)["error"]["code"] == (
        "not_found"
    )


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/summary?school_year=2025", "school_year"),
        ("/summary?school_year=2025/2027", "school_year"),
        ("/summary?school_year=", "school_year"),
        ("/summary?school_year=1999/2000", "school_year"),
        ("/regions?school_year=2025/2026&from=2025-13", "from"),
        ("/regions?school_year=2025/2026&from=2025-8", "from"),
        ("/regions?school_year=2025/2026&from=0000-08", "from"),
        ("/regions?school_year=2025/2026&from=2025-08%0A", "from"),
        ("/summary?school_year=2025/2026%0A", "school_year"),
        ("/regions?school_year=2025/2026&to=juli", "to"),
        ("/regions?school_year=2025/2026&from=2026-07", "from"),
        ("/regions?school_year=2025/2026&to=2025-06", "to"),
        ("/regions?school_year=2025/2026&from=2026-03&to=2025-08", "from"),
        ("/regions/35.10.16/schools?jenjang=XYZ", "jenjang"),
        ("/schools/20525555/months?jenjang=SMP", "jenjang"),
        ("/schools/20525555/months?school_year=2025-2026", "school_year"),
        ("/summary?school_year=2100/2101&to=2101-06", None),  # the last one: answered
        ("/summary?school_year=2101/2102", "school_year"),
        ("/summary?from=2010-06", "from"),  # before 2010/2011, with no school_year to blame
        ("/summary?to=2101-07", "to"),
        ("/summary?from=2025-08&to=2026-08", "to"),  # two school years
        ("/summary?to=2025-08&from=2025-09", "from"),
        ("/summary?school_year=2024/2025&school_year=2025/2026", "school_year"),
        ("/regions?from=2025-08&from=2025-09", "from"),
        ("/summary?kabupaten=35.10&kabupaten=35.09", "kabupaten"),
        ("/summary?kabupaten=35.1O", "kabupaten"),
    ],
)
def test_a_bad_parameter_is_a_json_400_naming_it(client, world, url, parameter):
    if parameter is None:
        get(client, API + url, token_of(world["dinas"]))
        return
    error = get(client, API + url, token_of(world["dinas"]), 400)["error"]
    assert error["code"] == "bad_parameter"
    assert error["parameter"] == parameter
    assert error["message"]


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "", 404, "not_found"),
        ("GET", "/", 404, "not_found"),
        ("GET", "/summary/", 404, "not_found"),
        ("GET", "/regions/35.10.99/schools", 404, "not_found"),
        ("GET", "/regions/35.10/schools", 404, "not_found"),
        ("GET", "/schools/XXXXXXXX/months", 404, "not_found"),
        ("DELETE", "/nope", 404, "not_found"),
        ("POST", "/summary", 405, "method_not_allowed"),
        ("PUT", "/regions", 405, "method_not_allowed"),
        ("DELETE", "/schools/20525555/months", 405, "method_not_allowed"),
        ("POST", "/openapi.json", 405, "method_not_allowed"),
        ("TRACE", "/summary", 405, "method_not_allowed"),
        ("PATCH", "/regions/35.10.16/schools", 405, "method_not_allowed"),
        ("OPTIONS", "/nope", 404, "not_found"),
        ("POST", "", 404, "not_found"),
    ],
)
def test_errors_are_json_with_the_right_status(client, world, method, url, status, code):
    login(client, "dinas")
    response = call(client, API + url, method=method)
    assert response.status_code == status
    assert response.get_json() == {
        "error": {"code": code, "message": response.get_json()["error"]["message"]}
    }
    if status == 405:
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("path", list(OPENAPI["paths"]))
def test_options_names_exactly_the_methods_of_the_url(client, world, path):
    url = API + path.format(code="35.10.16", npsn="20525555")
    response = client.options(url)
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("actor", ["komite_a", "komite_b"])
def test_a_committee_members_kabupaten_is_ignored_but_still_checked(client, world, actor):
    token = token_of(world[actor])
    ignored = get(client, f"{API}/summary?kabupaten=35.09", token)
    assert ignored["scope"]["code"] == world[actor[-1]].npsn
    assert get(client, f"{API}/summary?kabupaten=Banyuwangi", token, 400)["error"]["parameter"]


@pytest.mark.parametrize(
    ("query", "school_year", "first", "last"),
    [
        ("from=2025-08", "2025/2026", "2025-08", "2026-06"),
        ("to=2026-03", "2025/2026", "2025-07", "2026-03"),
        ("from=2026-01&to=2026-03", "2025/2026", "2026-01", "2026-03"),
        ("from=2010-07", "2010/2011", "2010-07", "2011-06"),
        ("school_year=2024/2025&to=2024-12", "2024/2025", "2024-07", "2024-12"),
    ],
)
def test_without_a_school_year_the_months_name_it(client, world, query, school_year, first, last):
    """``from=2025-08`` alone is August 2025 to June 2026, whatever the school year today."""
    token = token_of(world["dinas"])
    for path in ("/summary", "/regions", "/transfers", "/schools/20525555/months"):
        body = get(client, f"{API}{path}?{query}", token)
        assert body["filter"]["school_year"] == school_year, path
        assert (body["filter"]["from"], body["filter"]["to"]) == (first, last), path


def test_the_documents_own_examples_are_answered(client, history):
    """Each operation with every parameter's example, and with each example alone."""
    doc = OPENAPI
    token = token_of(history["dinas"])
    for path, operations in doc["paths"].items():
        parameters = [
            doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
            for p in operations["get"].get("parameters", [])
        ]
        examples = {
            p["name"]: p["schema"]["examples"][0] for p in parameters if "examples" in p["schema"]
        }
        url = API + path.format(**examples)
        query = {
            p["name"]: examples[p["name"]]
            for p in parameters
            if p["in"] == "query" and p["name"] in examples
        }
        for asked in [query, *({name: value} for name, value in query.items())]:
            get(client, f"{url}?{urlencode(asked)}", token)


def test_a_post_is_405_not_a_csrf_page_even_with_csrf_on(client, world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    login(client, "dinas")
    response = call(client, f"{API}/summary", method="POST")
    assert response.status_code == 405


# --- who may read what ---------------------------------------------------------------------------

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "dinas", "dinas_jember", "admin"]
EVERYONE = [200] * 7

MATRIX = [
    # method, url, expected per actor
    ("GET", "/openapi.json", EVERYONE),
    ("GET", "/summary", [401, 200, 200, 200, 200, 200, 200]),
    ("GET", "/summary?kabupaten=35.10&jenjang=SMP", [401, 200, 200, 200, 200, 404, 200]),
    ("GET", "/summary?kabupaten=35.99", [401, 200, 200, 200, 404, 404, 404]),
    ("GET", "/summary?school_year=2025", [401, 400, 400, 400, 400, 400, 400]),
    ("GET", "/regions", [401, 403, 403, 403, 200, 200, 200]),
    (
        "GET",
        "/regions?kabupaten=35.09&school_year=2024/2025&jenjang=SMP",
        [401, 403, 403, 403, 404, 200, 200],
    ),
    ("GET", "/regions/35.10.16/schools", [401, 403, 403, 403, 200, 404, 200]),
    ("GET", "/regions/35.09.01/schools?school_year=2024/2025", [401, 403, 403, 403, 404, 200, 200]),
    ("GET", "/regions/35.10/schools", [401, 403, 403, 403, 404, 404, 404]),
    ("GET", "/schools/{a}/months", [401, 200, 404, 200, 200, 404, 200]),
    ("GET", "/schools/{b}/months?school_year=2024/2025", [401, 404, 200, 404, 200, 404, 200]),
    ("GET", "/schools/{e}/months", [401, 404, 404, 404, 404, 200, 200]),
    ("GET", "/schools/99999999/months", [401, 404, 404, 404, 404, 404, 404]),
    ("GET", "/transfers", [401, 403, 403, 403, 200, 200, 200]),
    ("GET", "/transfers?kabupaten=35.09", [401, 403, 403, 403, 404, 200, 200]),
    ("GET", "/transfers?jenjang=SD", [401, 403, 403, 403, 400, 400, 400]),
    ("GET", "/nope", [404] * 7),
    ("POST", "/summary", [405] * 7),
    ("POST", "/schools/{a}/months", [405] * 7),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("by", ["session", "token"])
def test_role_route_matrix(client, jember, actor, by):
    """Every route for one actor (anonymous: no session, or a token nobody was given)."""
    token = None
    if by == "session" and actor != "anon":
        assert login(client, actor).status_code == 303
    if by == "token":
        token = "not-a-token" if actor == "anon" else token_of(jember[actor])
    wrong = []
    for method, url, statuses in MATRIX:
        url = API + url.format(a=jember["a"].npsn, b=jember["b"].npsn, e=jember["e"].npsn)
        response = call(client, url, token, method)
        expected = statuses[ACTORS.index(actor)]
        if response.status_code != expected:
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected}")
    assert not wrong, wrong


def test_every_api_route_is_in_the_matrix_and_the_document(app):
    def matches(template: str, url: str) -> bool:
        parts, got = template.split("/"), url.split("?")[0].split("/")
        return len(parts) == len(got) and all(
            p == g or p.startswith("{") for p, g in zip(parts, got, strict=True)
        )

    for path, methods in api_rules(app).items():
        for method in methods:
            assert any(m.lower() == method and matches(path, url) for m, url, _ in MATRIX), path


# --- the OpenAPI document ------------------------------------------------------------------------


def api_rules(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Each API route (its path relative to /api/v1, OpenAPI style) and its methods."""
    rules: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = rule.rule.removeprefix(API)
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "{" + name + "}")
        rules[path] = {m.lower() for m in rule.methods or ()} - {"head", "options"}
    return rules


def test_the_document_is_public_and_describes_every_route_and_no_other(client, app):
    doc = get(client, f"{API}/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert doc["servers"] == [{"url": API}]
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    assert documented == api_rules(app)
    assert set(doc["components"]["securitySchemes"]) == {"bearerToken", "sessionCookie"}
    assert doc["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    cookie = doc["components"]["securitySchemes"]["sessionCookie"]
    assert cookie["name"] == app.config["SESSION_COOKIE_NAME"]
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            parameters = [
                doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
                for p in operation.get("parameters", [])
            ]
            in_path = {p["name"] for p in parameters if p["in"] == "path"}
            assert in_path == set(re.findall(r"\{(\w+)\}", path)), path


def test_the_document_is_valid_openapi(client):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(get(client, f"{API}/openapi.json"))


def test_real_responses_match_the_documented_schemas(client, history):
    """Each answer (figures and errors) validates against its schema, which allows no other
    property: a response cannot grow a field the document does not show."""
    schema_validator = pytest.importorskip("openapi_schema_validator")
    jsonschema = pytest.importorskip("jsonschema")
    doc = get(client, f"{API}/openapi.json")
    token = token_of(history["dinas"])
    own = token_of(history["komite_a"])
    cases = [
        ("/summary", "/summary?school_year=2024/2025", token, 200),
        ("/summary", "/summary?school_year=2024/2025&jenjang=SD", own, 200),
        ("/regions", "/regions?school_year=2024/2025&jenjang=SD", token, 200),
        ("/regions/{code}/schools", "/regions/35.10.16/schools?school_year=2023/2024", token, 200),
        ("/schools/{npsn}/months", f"/schools/{history['a'].npsn}/months", own, 200),
        ("/transfers", "/transfers?school_year=2024/2025", token, 200),
        ("/transfers", "/transfers", own, 403),
        ("/summary", "/summary?school_year=2025", token, 400),
        ("/summary", "/summary", None, 401),
        ("/regions", "/regions", own, 403),
        ("/regions/{code}/schools", "/regions/35.10.99/schools", token, 404),
        ("/schools/{npsn}/months", "/schools/20526666/months", own, 404),
    ]
    for path, url, auth, status in cases:
        body = get(client, API + url, auth, status)
        response = doc["paths"][path]["get"]["responses"][str(status)]
        if "$ref" in response:
            response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = response["content"]["application/json"]["schema"]
        schema_validator.validate(
            body, {**schema, "components": doc["components"]}, cls=schema_validator.OAS31Validator
        )
    leaked = get(client, f"{API}/summary?school_year=2024/2025", token)
    leaked["figures"]["name"] = "Siti Aminah"
    with pytest.raises(jsonschema.ValidationError, match="name"):
        schema_validator.validate(
            leaked,
            {"$ref": "#/components/schemas/Summary", "components": doc["components"]},
            cls=schema_validator.OAS31Validator,
        )


# --- the contract: schemathesis against the document ----------------------------------------


def filter_disagrees(query: Mapping[str, Any]) -> bool:
    """Whether the filter's values, each valid for its own schema, break a rule the document
    states across them (which JSON Schema cannot say): ``from`` and ``to`` lie in one school
    year, ``school_year``'s if given, and ``from`` is not after ``to``. Written from the
    document's words, not from the view's code."""

    def school_year(month: str) -> int:  # 2025-08 and 2026-06 -> 2025, i.e. 2025/2026
        year, number = (int(part) for part in month.split("-"))
        return year if number >= 7 else year - 1

    years = {school_year(query[name]) for name in ("from", "to") if name in query}
    if "school_year" in query:
        years.add(int(query["school_year"][:4]))
    return len(years) > 1 or ("from" in query and "to" in query and query["from"] > query["to"])


@schemathesis.check
def filter_values_agree(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    """positive_data_acceptance where JSON Schema cannot reach: a request whose every value
    matches its schema is refused (400, naming one of its parameters) exactly when its values
    disagree. Who may read is decided first (401, 403)."""
    del ctx
    if case.method != "GET" or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code in (401, 403):
        return
    query = case.query or {}
    if filter_disagrees(query):
        assert response.status_code == 400, f"{query} disagrees, yet {response.status_code}"
        assert response.json()["error"]["parameter"] in query, response.text
    else:
        assert response.status_code != 400, f"{query} agrees, yet 400: {response.text}"


CONTRACT_EXAMPLES = 40  # generated requests per operation in the fuzzing phase


def run_schemathesis(app, token: str) -> tuple[Statistic, list[str]]:  # type: ignore[no-untyped-def]
    """``schemathesis run --checks all`` in process (WSGI), every phase: the document's own
    examples, the coverage cases (boundaries, every enum value, and each undeclared method:
    OPTIONS must list exactly GET, HEAD and OPTIONS, the others answer 405), then generated
    requests; ``filter_values_agree`` decides the 400s a generated filter may get."""
    generated = {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404"]}
        }
    }
    config = SchemathesisConfig.from_dict(
        {
            "seed": 16,  # the same requests on every run: CI fails for a change, not by chance
            "continue-on-failure": True,
            "generation": {"max-examples": CONTRACT_EXAMPLES, "database": "none"},
            "checks": {"enabled": True},
            "phases": {"coverage": generated, "fuzzing": generated},
            "auth": {"openapi": {"bearerToken": {"bearer": token}}},
        }
    )
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app, config=config)
    statistic, errors = Statistic(), []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(event.info.format() if hasattr(event, "info") else repr(event))
        elif isinstance(event, events.EngineFinished):
            errors.extend(failure.title for failure in event.failures)
    return statistic, errors


def send_in_process(self, case, **kwargs):  # type: ignore[no-untyped-def]
    """schemathesis 4.32.5 hands its socket settings to werkzeug's test client when it sends a
    request again without credentials (the ignored_auth check); in process they mean nothing.
    Its WSGI transport reads the body as sent, without undoing gzip (which it asks for, as
    requests does): the answers are asked for uncompressed (test_compression covers gzip)."""
    kwargs["headers"] = {**(kwargs.get("headers") or {}), "Accept-Encoding": "identity"}
    if "session" not in kwargs:
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
    return SEND(self, case, **kwargs)


SEND = WSGITransport.send


@pytest.mark.parametrize("actor", ["dinas", "komite_a"])
def test_schemathesis_finds_the_api_as_documented(app, history, monkeypatch, actor):
    """A district officer's token reads every operation; a committee member's reads its own
    school and is refused the rest, as documented."""
    monkeypatch.setattr(WSGITransport, "send", send_in_process)
    token = token_of(history[actor])
    started = time.monotonic()
    statistic, errors = contextvars.Context().run(run_schemathesis, app, token)
    failures = [
        f"{label}: {failure.title}: {failure.message} ({group.code_sample})"
        for label, grouped in statistic.failures.items()
        for group in grouped.values()
        for failure in group.failures
    ]
    assert not failures and not errors, "\n\n".join(failures + errors)
    # schemathesis leaves out the URL it read the document from (tested above).
    operations = {f"GET {path}" for path in OPENAPI["paths"] if path != "/openapi.json"}
    assert statistic.tested_operations == operations
    print(f"schemathesis: {statistic.total_cases} cases in {time.monotonic() - started:.1f} s")


# --- the token commands --------------------------------------------------------------------------


def cli(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sas", *args])


def test_create_token_prints_it_once_and_revoke_token_stops_it(app, client, world):
    created = cli(app, "create-token", "--username", "dinas", "--name", "SIPD Banyuwangi")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert "\n" not in token and len(token) >= 43
    assert "shown only now" in created.stderr
    assert get(client, f"{API}/summary", token)["scope"]["code"] == "35.10"

    listed = cli(app, "list-tokens")
    assert "SIPD Banyuwangi" in listed.output and "dinas" in listed.output
    assert token not in listed.output and "active" in listed.output

    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "SIPD Banyuwangi"))
    revoked = cli(app, "revoke-token", "--id", str(row.id))
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in revoked.output
    get(client, f"{API}/summary", token, 401)
    again = cli(app, "revoke-token", "--id", str(row.id))
    assert again.exit_code == 0 and "already revoked" in again.output
    assert "revoked" in cli(app, "list-tokens", "--username", "dinas").output


def test_revoke_token_by_username_and_name(app, client, world):
    first = cli(app, "create-token", "--username", "komite_a", "--name", "laptop").stdout.strip()
    other = cli(app, "create-token", "--username", "Komite_A", "--name", "phone").stdout.strip()
    result = cli(app, "revoke-token", "--username", "komite_a", "--name", "laptop")
    assert result.exit_code == 0, result.output
    get(client, f"{API}/summary", first, 401)
    assert get(client, f"{API}/summary", other)["scope"]["code"] == "20525555"
    # the name is free again once its token is revoked
    assert cli(app, "create-token", "--username", "komite_a", "--name", "laptop").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-token", "--username", "nobody", "--name", "x"], "no account"),
        (["create-token", "--username", "dinas", "--name", "  "], "name"),
        (["create-token", "--username", "dinas", "--name", "taken"], "already has"),
        (["create-token", "--username", "pensiun", "--name", "x"], "inactive"),
        (["revoke-token"], "--id"),
        (["revoke-token", "--id", "1", "--name", "taken"], "--id"),
        (["revoke-token", "--username", "dinas"], "--id"),
        (["revoke-token", "--id", "999"], "no token"),
        (["revoke-token", "--username", "dinas", "--name", "other"], "no active token"),
    ],
)
def test_token_commands_refuse_what_they_cannot_do(app, world, args, message):
    make_user("pensiun", Role.DISTRICT, active=False)
    token_of(world["dinas"], "taken")
    before = db.session.scalar(select(ApiToken))
    result = cli(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    db.session.refresh(before)
    assert before.revoked_at is None
    assert len(db.session.scalars(select(ApiToken)).all()) == 1
