"""Who may open what: the role x route matrix, written out as a table.

Every URL names school A (NPSN 20525555) and its own entry and recipient. Columns: anonymous,
committee of A, committee of B, teacher of A, teacher of B, district officer, admin.
302 = sent to the login page (or home); 303 = a successful form POST; 404 = outside your school.
Anonymous visitors see the public page (aggregates only) at /.
"""

import uuid

import pytest

from sas.dates import today_wib
from tests.conftest import PASSWORD, login

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]

READ = [302, 200, 404, 200, 404, 403, 403]  # a school page
WRITE_FORM = [302, 200, 404, 403, 403, 403, 403]  # the GET of a committee form
WRITE = [302, 303, 404, 403, 403, 403, 403]  # the POST of a committee form

MATRIX = [
    # method, url, expected per actor
    ("GET", "/", [200, 302, 302, 302, 302, 302, 302]),  # anonymous: the public page
    ("GET", "/login", [200, 302, 302, 302, 302, 302, 302]),
    ("POST", "/login", [303, 302, 302, 302, 302, 302, 302]),
    ("GET", "/home", [302, 403, 403, 403, 403, 200, 200]),
    ("POST", "/logout", [302, 303, 303, 303, 303, 303, 303]),
    ("GET", "/schools/{a}", READ),
    ("GET", "/schools/{a}/ledger", READ),
    ("GET", "/schools/{a}/ledger?kind=disbursement&from=2025-07-01&page=2", READ),
    ("GET", "/schools/{a}/ledger.csv", READ),
    ("GET", "/schools/{a}/entries/{entry}", READ),
    ("GET", "/schools/{a}/recipients", READ),
    ("GET", "/schools/{a}/contributions/new", WRITE_FORM),
    ("POST", "/schools/{a}/contributions/new", WRITE),
    ("GET", "/schools/{a}/disbursements/new", WRITE_FORM),
    ("POST", "/schools/{a}/disbursements/new", WRITE),
    ("POST", "/schools/{a}/entries/{entry}/void", WRITE),
    ("GET", "/schools/{a}/recipients/new", WRITE_FORM),
    ("POST", "/schools/{a}/recipients/new", WRITE),
    ("GET", "/schools/{a}/recipients/{recipient}/edit", WRITE_FORM),
    ("POST", "/schools/{a}/recipients/{recipient}/edit", WRITE),
    ("GET", "/schools/99999999", [302, 404, 404, 404, 404, 403, 403]),
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
    if url.endswith("/contributions/new"):
        return {
            "amount": "Rp 25.000",
            "occurred_on": today,
            "source": "class",
            "class_label": "8A",
            "form_key": key,
        }
    if url.endswith("/disbursements/new"):
        return {
            "amount": "20.000",
            "occurred_on": today,
            "recipient_id": world["recipient_a"].id,
            "category": "uang_saku",
            "description": "Uang saku",
            "form_key": key,
        }
    if url.endswith("/void"):
        return {"reason": "Dicatat dua kali", "form_key": key}
    if url == "/login":
        return {"username": "komite_a", "password": PASSWORD}
    if "/recipients/" in url:
        return {"name": "Dewi Lestari", "class_label": "7B", "reason": "Yatim", "active": "y"}
    return {}


@pytest.mark.parametrize(("method", "url", "actor", "expected"), CASES)
def test_role_route_matrix(client, world, method, url, actor, expected):
    url = url.format(
        a=world["a"].npsn, entry=world["entry_a"].id, recipient=world["recipient_a"].id
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
        "/schools/{a}/contributions/new",
        "/schools/{a}/disbursements/new",
        "/schools/{a}/entries/{entry}/void",
        "/schools/{a}/recipients/new",
        "/schools/{a}/recipients/{recipient}/edit",
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
