"""Who may open what: the role x route matrix, written out as a table.

Every URL names school A (NPSN 20525555) and its own entry and recipient, unless it names
school B. Columns: anonymous, committee of A, committee of B, teacher of A, teacher of B,
district officer, admin.
302 = sent to the login page (or home); 303 = a successful form POST; 404 = outside your school.
A form that records money answers its successful POST with the confirmation itself (200).
Anonymous visitors see the public page (aggregates only) at /, and each school's at /sekolah/.
"""

import re
import uuid

import pytest

from sas.classes.services import active_classes
from sas.dates import today_wib
from sas.extensions import db
from sas.models import Category, Role
from sas.transfers.approvals import request_transfer
from sas.transfers.moving import transfer
from sas.transfers.services import post_request
from tests.factories import PASSWORD, make_user
from tests.roles import ACTORS, BOARD, READ, RECORD, WRITE, WRITE_FORM
from tests.web import login

MATRIX = [
    # method, url, expected per actor
    ("GET", "/", [200, 302, 302, 302, 302, 302, 302]),  # anonymous: the public page
    ("GET", "/masuk", [200, 302, 302, 302, 302, 302, 302]),
    ("GET", "/sekolah/{a}", [200] * 7),  # a school's public page: open to everyone
    ("GET", "/sekolah/99999999", [404] * 7),
    ("GET", "/sekolah?q=negeri", [200] * 7),
    ("GET", "/transparansi", [200] * 7),  # signed checkpoints: hashes only, for everyone
    ("GET", "/transparansi/checkpoints", [200] * 7),
    ("GET", "/transparansi/checkpoints?limit=100000", [200] * 7),
    ("POST", "/masuk", [303, 302, 302, 302, 302, 302, 302]),
    ("GET", "/beranda", [302, 403, 403, 403, 403, 200, 200]),
    ("POST", "/keluar", [302, 303, 303, 303, 303, 303, 303]),
    ("GET", "/sekolah/{a}/beranda", READ),
    ("GET", "/sekolah/{a}/buku-kas", READ),
    ("GET", "/sekolah/{a}/buku-kas?kind=disbursement&from=2025-07-01&page=2", READ),
    ("GET", "/sekolah/{a}/buku-kas.csv", READ),
    ("GET", "/sekolah/{a}/catatan/{entry}", READ),
    ("GET", "/sekolah/{a}/penerima", READ),
    ("GET", "/sekolah/{a}/sumbangan/baru", WRITE_FORM),
    ("POST", "/sekolah/{a}/sumbangan/baru", RECORD),
    ("GET", "/sekolah/{a}/sumbangan/kelas", WRITE_FORM),
    ("POST", "/sekolah/{a}/sumbangan/kelas", RECORD),
    ("GET", "/sekolah/{a}/penyaluran/baru", WRITE_FORM),
    ("POST", "/sekolah/{a}/penyaluran/baru", RECORD),
    ("GET", "/sekolah/{a}/kelas", READ),
    ("POST", "/sekolah/{a}/kelas", WRITE),
    ("POST", "/sekolah/{a}/kelas/{class_}/ubah-nama", WRITE),
    ("POST", "/sekolah/{a}/kelas/{class_}/nonaktifkan", WRITE),
    ("POST", "/sekolah/{a}/kelas/{class_}/aktifkan", WRITE),
    ("POST", "/sekolah/{a}/catatan/{entry}/batalkan", WRITE),
    ("GET", "/sekolah/{a}/penerima/baru", WRITE_FORM),
    ("POST", "/sekolah/{a}/penerima/baru", WRITE),
    ("GET", "/sekolah/{a}/penerima/{recipient}/ubah", WRITE_FORM),
    ("POST", "/sekolah/{a}/penerima/{recipient}/ubah", WRITE),
    ("GET", "/sekolah/99999999/beranda", [302, 404, 404, 404, 404, 403, 403]),
    # Sekolah Asuh Sekolah: the board is the kabupaten's; writes are school A's committee's
    ("GET", "/kabupaten/35.10/bantuan", [302, 200, 200, 200, 200, 200, 200]),
    ("GET", "/kabupaten/35.10/bantuan?kecamatan=35.10.16&category=sepatu&sort=amount", BOARD),
    ("GET", "/kabupaten/35.99/bantuan", [302, 404, 404, 404, 404, 404, 404]),
    ("GET", "/bantuan/{request}", BOARD),
    ("GET", "/sekolah/{a}/antar-sekolah", READ),
    ("GET", "/sekolah/{a}/bantuan/baru", WRITE_FORM),
    ("POST", "/sekolah/{a}/bantuan/baru", WRITE),
    ("POST", "/sekolah/{a}/bantuan/{request}/tarik", WRITE),
    ("POST", "/sekolah/{a}/bantuan/{request}/terpenuhi", WRITE),
    ("GET", "/sekolah/{a}/transfer/baru", WRITE_FORM),
    ("POST", "/sekolah/{a}/transfer/baru", WRITE),
    ("GET", "/sekolah/{a}/transfer/{transfer}", READ),
    ("POST", "/sekolah/{a}/transfer/{transfer}/batalkan", WRITE),
    # a large transfer from A to B waiting for a second member of A's committee (another
    # member recorded it): only A sees it; B's committee and teacher find nothing
    ("GET", "/sekolah/{a}/transfer/menunggu/{pending_transfer}", READ),
    ("POST", "/sekolah/{a}/transfer/menunggu/{pending_transfer}/setujui", WRITE),
    ("POST", "/sekolah/{a}/transfer/menunggu/{pending_transfer}/tolak", WRITE),
    (
        "GET",
        "/sekolah/{b}/transfer/menunggu/{pending_transfer}",
        [302, 404, 404, 404, 404, 403, 403],
    ),
    (
        "POST",
        "/sekolah/{b}/transfer/menunggu/{pending_transfer}/setujui",
        [302, 404, 404, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/sekolah/{b}/transfer/menunggu/{pending_transfer}/tolak",
        [302, 404, 404, 403, 403, 403, 403],
    ),
    ("GET", "/sekolah/{a}/transfer/menunggu/99999999999", [302, 404, 404, 404, 404, 403, 403]),
]

CASES = [
    pytest.param(method, url, actor, expected[i], id=f"{method} {url} {actor}")
    for method, url, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


def valid_form(url: str, world) -> dict:
    """Data that a committee member of school A could submit successfully to ``url``."""
    today = today_wib().isoformat()
    key = uuid.uuid4().hex
    if url.endswith("/sumbangan/baru"):
        return {
            "amount": "Rp 25.000",
            "occurred_on": today,
            "source": "class",
            "class_label": "8A",
            "form_key": key,
        }
    if url.endswith("/sumbangan/kelas"):
        [row] = [c for c in active_classes(world["a"]) if c.label == "8B"]
        return {"occurred_on": today, f"class_{row.id}": "12.500", "form_key": key}
    if url.endswith("/kelas"):
        return {"labels": "9A, 9B"}
    if url.endswith("/ubah-nama"):  # each class's rename form has its own prefix
        return {f"c{url.split('/')[-2]}-label": "8 Bahari"}
    if url.endswith("/penyaluran/baru"):
        return {
            "amount": "20.000",
            "occurred_on": today,
            "recipient_id": world["recipient_a"].id,
            "category": "uang_saku",
            "description": "Uang saku",
            "form_key": key,
        }
    if url.endswith("/batalkan"):
        return {"reason": "Dicatat dua kali", "form_key": key}
    if url.endswith("/setujui"):
        return {"form_key": key}
    if url.endswith("/tolak"):
        return {"reason": "Belum perlu"}
    if url.endswith("/transfer/baru"):
        return {
            "to_school": world["b"].npsn,
            "amount": "10.000",
            "occurred_on": today,
            "form_key": key,
        }
    if url.endswith("/bantuan/baru"):
        return {
            "amount": "100.000",
            "category": "sepatu",
            "description": "Sepatu untuk 2 siswa",
            "form_key": key,
        }
    if url == "/masuk":
        return {"username": "komite_a", "password": PASSWORD}
    if "/penerima/" in url:
        return {"name": "Dewi Lestari", "class_label": "7B", "reason": "Yatim", "active": "y"}
    return {}


def sas_ids(world) -> dict:  # type: ignore[no-untyped-def]
    """A request for help of school A, a transfer from A to B and a large one waiting for
    approval (A's threshold lowered to Rp20.000), for the URLs naming them."""
    request = post_request(
        world["a"],
        amount=50_000,
        category=Category.SEPATU,
        description="Sepatu untuk 2 siswa",
        deadline=None,
        created_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    moved = transfer(
        world["a"],
        world["b"],
        amount=10_000,
        occurred_on=today_wib(),
        request=None,
        note=None,
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    world["a"].approval_threshold = 20_000
    waiting = request_transfer(
        world["a"],
        world["b"],
        amount=20_000,
        occurred_on=today_wib(),
        request=None,
        note=None,
        recorded_by=make_user("komite_a2", Role.COMMITTEE, world["a"]),
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return {"request": request.id, "transfer": moved.id, "pending_transfer": waiting.id}


@pytest.mark.parametrize(("method", "url", "actor", "expected"), CASES)
def test_role_route_matrix(client, world, method, url, actor, expected):
    url = url.format(
        a=world["a"].npsn,
        entry=world["entry_a"].id,
        recipient=world["recipient_a"].id,
        b=world["b"].npsn,
        class_=active_classes(world["a"])[0].id,
        **(sas_ids(world) if re.search(r"\{(request|transfer|pending_transfer)\}", url) else {}),
    )
    if actor != "anon":
        assert login(client, actor).status_code == 303
    data = valid_form(url, world) if method == "POST" else None
    response = client.open(url, method=method, data=data)
    assert response.status_code == expected, response.data[:500]


@pytest.mark.parametrize("actor", ["guru_a", "guru_b", "dinas", "admin"])
@pytest.mark.parametrize(
    "url",
    [
        "/sekolah/{a}/sumbangan/baru",
        "/sekolah/{a}/penyaluran/baru",
        "/sekolah/{a}/catatan/{entry}/batalkan",
        "/sekolah/{a}/penerima/baru",
        "/sekolah/{a}/penerima/{recipient}/ubah",
        "/sekolah/{a}/transfer/baru",
        "/sekolah/{a}/bantuan/baru",
    ],
)
@pytest.mark.parametrize("payload", ["empty", "garbage", "valid"])
def test_non_committee_writes_are_403_whatever_the_request(client, world, actor, url, payload):
    url = url.format(
        a=world["a"].npsn, entry=world["entry_a"].id, recipient=world["recipient_a"].id
    )
    login(client, actor)
    data = {
        "empty": {},
        "garbage": {"amount": "=1+1", "x": "y" * 5000},
        "valid": valid_form(url, world),
    }[payload]
    assert client.post(url, data=data).status_code == 403
