"""The English paths of before still answer: a permanent redirect to the page's Indonesian path,
and an entry form a phone kept under its old path is recorded in place, exactly once."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from sas.dates import today_wib
from sas.extensions import db
from sas.models import Entry
from sas.oldpaths import OLD_PATHS, SERVED_IN_PLACE
from tests.web import login

SAMPLE = {"npsn": "20525555", "code": "35.10", "month": "2025-08"}
# words of the old paths that are Indonesian already, names (admin, audit) or a file type
KEPT = {
    "admin",
    "audit",
    "kuitansi",
    "bantuan",
    "baru",
    "tarik",
    "terpenuhi",
    "antar-sekolah",
    "kecamatan",
    "csv",
}


def example(rule: str) -> str:
    """The rule with a sample value in each placeholder."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("int"):
            return "7"
        if converter.startswith("any"):
            return "csv"
        return SAMPLE[name]

    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", value, rule)


def path_now(app, endpoint: str) -> str:
    """The endpoint's path as the app's URL map has it now (its first rule)."""
    return next(rule.rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)


@pytest.mark.parametrize(("old", "endpoint"), OLD_PATHS.items())
def test_an_old_path_redirects_for_good_keeping_the_query(app, client, old, endpoint):
    response = client.get(f"{example(old)}?page=2&kind=contribution")
    assert response.status_code == 308
    assert response.location.endswith(
        f"{example(path_now(app, endpoint))}?page=2&kind=contribution"
    )


@pytest.mark.parametrize(
    ("old", "endpoint"), [(o, e) for o, e in OLD_PATHS.items() if e not in SERVED_IN_PLACE]
)
def test_a_post_to_an_old_path_is_redirected_as_a_post(app, client, old, endpoint):
    response = client.post(example(old), data={"x": "1"})
    assert response.status_code == 308  # the browser sends the same POST to the new path
    assert response.location.endswith(example(path_now(app, endpoint)))


def test_no_page_has_an_english_path_any_more(app):
    english = {
        part
        for old in OLD_PATHS
        for part in re.split(r"[/.]", old)
        if part and "<" not in part and part not in KEPT
    }
    assert {"schools", "ledger", "login", "new", "edit", "district"} <= english
    machine = ("api.", "static", "offline.", "main.healthz", "main.checkpoints_json")
    for rule in app.url_map.iter_rules():
        if rule.redirect_to or rule.rule in OLD_PATHS or rule.endpoint.startswith(machine):
            continue
        assert not english & set(re.split(r"[/.]", rule.rule)), rule.rule


def count_entries() -> int:
    return db.session.scalar(select(func.count(Entry.id)))


def test_a_contribution_kept_on_a_phone_under_the_old_path_is_recorded_once(client, world):
    """The phone's outbox sends without following redirects (static/sw.js): a redirect there
    would drop the form unrecorded, so the old path records it in place."""
    login(client, "komite_a")
    before = count_entries()
    form = {
        "amount": "12.500",
        "occurred_on": today_wib().isoformat(),
        "source": "class",
        "class_label": "8A",
        "form_key": uuid.uuid4().hex,
    }
    first = client.post("/schools/20525555/contributions/new", data=form)
    again = client.post("/schools/20525555/contributions/new", data=form)  # sent twice
    assert first.status_code == 200 and "Tersimpan" in first.text  # the entry, recorded
    assert again.status_code in (200, 303)
    assert count_entries() == before + 1


def test_logging_out_at_the_old_path_ends_the_session(client, world):
    login(client, "komite_a")
    assert client.get("/sekolah/20525555/beranda").status_code == 200
    assert client.post("/logout").status_code in (302, 303)
    assert client.get("/sekolah/20525555/beranda").status_code == 302
