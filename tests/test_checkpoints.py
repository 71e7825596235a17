"""Signed checkpoints: a re-sealed chain passes the chain walk but not a checkpoint kept outside.

The attack of issue 16 is replayed as someone with the database would do it: the append-only
trigger lifted, one amount raised, the school's chain re-sealed with the app's own
``chain.entry_hash``, the fund and the month closings made to fit, the trigger put back and the
totals rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from sas import checkpoints
from sas.dates import today_wib
from sas.extensions import db
from sas.ledger import chain, totals
from sas.models import AuditEvent, Checkpoint, Entry, Fund, MonthClosing, School
from sas.months.services import close_month
from tests.database import tampering
from tests.factories import contribute
from tests.pages import text_of, verify_path


@pytest.fixture
def key(app, tmp_path) -> str:
    """A signing key in a file, configured as SAS_CHECKPOINT_KEY; returns its public key."""
    path = tmp_path / "checkpoint-key.pem"
    public = checkpoints.new_key_file(path)
    app.config["CHECKPOINT_KEY"] = str(path)
    return public


def cli(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sas", *args])


def make_checkpoint(app, tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "checkpoint.json"
    result = cli(app, "checkpoint", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, json.loads(out.read_text())


def sign(payload: dict, private: Ed25519PrivateKey) -> dict:
    return {
        "payload": payload,
        "signature": private.sign(checkpoints.canonical_json(payload)).hex(),
        "public_key": checkpoints.public_hex(private.public_key()),
    }


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, lambda xs: hashlib.sha256(b"").digest()),
        (1, lambda xs: xs[0]),
        (2, lambda xs: node(xs[0], xs[1])),
        # the odd node is carried up unchanged, not paired with itself
        (3, lambda xs: node(node(xs[0], xs[1]), xs[2])),
        (5, lambda xs: node(node(node(xs[0], xs[1]), node(xs[2], xs[3])), xs[4])),
    ],
)
def test_merkle_root(count, expected):
    leaves = [checkpoints.leaf(f"2052{i:04d}", i, f"{i:064x}") for i in range(count)]
    assert checkpoints.merkle_root(leaves) == expected(leaves).hex()
    first = hashlib.sha256(b"\x0020520000:0:" + b"0" * 64).digest()
    assert leaves[:1] in ([], [first])


def test_a_checkpoint_signs_every_schools_head(app, world, key, tmp_path):
    _, doc = make_checkpoint(app, tmp_path)
    payload = doc["payload"]
    assert doc["public_key"] == key and set(doc) == {"payload", "signature", "public_key"}
    assert checkpoints.check_signature(doc, key) == payload
    expected = [
        {"npsn": s.npsn, "seq": s.fund.last_seq, "head": s.fund.chain_head}
        for s in db.session.scalars(select(School).order_by(School.npsn))
    ]
    assert payload["schools"] == expected and expected[0]["seq"] == 1
    assert payload["root"] == checkpoints.root_of(expected)
    assert payload["created_at"].endswith("Z")
    row = db.session.scalar(select(Checkpoint))
    assert row.public_key == key and row.schools == 2 and json.loads(row.payload) == payload
    # the private key is nowhere in the database
    assert Path(app.config["CHECKPOINT_KEY"]).read_text() not in row.payload + row.signature
    result = cli(app, "verify-ledger", "--checkpoint", str(tmp_path / "checkpoint.json"))
    assert result.exit_code == 0, result.output
    assert "signature valid; 2 of 2 school heads still in the ledger" in result.output


def test_no_checkpoint_without_a_key(app, world):
    result = cli(app, "checkpoint")
    assert result.exit_code == 1 and "SAS_CHECKPOINT_KEY" in result.output
    assert db.session.scalar(select(Checkpoint)) is None


def test_checkpoint_key_is_private_and_never_overwritten(app, tmp_path):
    path = tmp_path / "k.pem"
    result = cli(app, "checkpoint-key", str(path))
    assert result.exit_code == 0 and "public key" in result.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    before = path.read_bytes()
    assert cli(app, "checkpoint-key", str(path)).exit_code == 1
    assert path.read_bytes() == before


def reseal(school: School, seq: int, extra: int) -> None:
    """The attack: raise entry ``seq``'s amount and re-seal everything after it."""
    rows = list(
        db.session.scalars(select(Entry).where(Entry.school_id == school.id).order_by(Entry.seq))
    )
    with tampering("entries"):
        previous = rows[seq - 2].hash if seq > 1 else chain.GENESIS
        for row in rows[seq - 1 :]:
            if row.seq == seq:
                row.amount += extra
            row.prev_hash = previous
            row.hash = previous = chain.entry_hash(row)
        db.session.flush()
    by_seq = {row.seq: row.hash for row in rows}
    fund = db.session.get(Fund, school.id)
    fund.balance += extra
    fund.chain_head = by_seq[fund.last_seq]
    for closing in db.session.scalars(
        select(MonthClosing).where(MonthClosing.school_id == school.id)
    ):
        closing.chain_head = by_seq[closing.chain_seq]
    db.session.commit()


def test_the_resealing_attack_is_named_by_the_checkpoint(app, world, key, tmp_path):
    a, komite = world["a"], world["komite_a"]
    last_month = today_wib().replace(day=1) - timedelta(days=1)
    contribute(a, 20_000, komite, on=last_month.replace(day=5))  # seq 2
    close_month(a, last_month, closed_by=komite, today=today_wib())
    db.session.commit()
    contribute(a, 30_000, komite)  # seq 3
    out, _ = make_checkpoint(app, tmp_path)
    closing_before = db.session.scalar(select(MonthClosing.chain_head))

    reseal(a, 2, 5_000_000)
    assert db.session.scalar(select(MonthClosing.chain_head)) != closing_before
    assert cli(app, "rebuild-totals").exit_code == 0

    plain = cli(app, "verify-ledger")
    assert plain.exit_code == 0 and "2 of 2 school ledgers verified" in plain.output
    assert cli(app, "check-totals").exit_code == 0
    result = cli(app, "verify-ledger", "--checkpoint", str(out))
    assert result.exit_code == 1
    assert f"{a.npsn}: DOES NOT MATCH the checkpoint" in result.output
    assert world["b"].npsn not in result.output
    assert "1 of 2 school heads still in the ledger" in result.output
    # with the key given instead of configured, the same answer
    app.config["CHECKPOINT_KEY"] = None
    given = cli(app, "verify-ledger", "--checkpoint", str(out), "--public-key", key)
    assert given.exit_code == 1 and a.npsn in given.output


def write(path: Path, doc: dict) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_forged_or_foreign_checkpoint_is_refused(app, world, key, tmp_path):
    out, doc = make_checkpoint(app, tmp_path)
    other = Ed25519PrivateKey.generate()
    forged = {**doc, "payload": {**doc["payload"], "created_at": "2030-01-01T00:00:00.000000Z"}}
    cases = [
        (forged, key, "signature does not fit"),
        (sign(doc["payload"], other), key, "another key"),
        # the key named inside the checkpoint is not trusted because it is named there
        ({**sign(doc["payload"], other), "public_key": key}, key, "signature does not fit"),
        (doc, checkpoints.public_hex(other.public_key()), "another key"),
    ]
    for number, (candidate, trusted, message) in enumerate(cases):
        path = write(tmp_path / f"c{number}.json", candidate)
        result = cli(app, "verify-ledger", "--checkpoint", path, "--public-key", trusted)
        assert result.exit_code == 1 and message in result.output, (number, result.output)
    app.config["CHECKPOINT_KEY"] = None
    result = cli(app, "verify-ledger", "--checkpoint", str(out))
    assert result.exit_code == 1 and "no key to trust" in result.output
    logged = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "ledger.verified")
    ).all()
    assert len(logged) == len(cases) + 1 and logged[-1].startswith("checkpoint refused: no key")


def test_a_school_beyond_its_chain_or_gone_fails(app, world, key, tmp_path):
    _, doc = make_checkpoint(app, tmp_path)
    private = checkpoints.load_private_key()
    schools = [dict(s) for s in doc["payload"]["schools"]]
    schools[0]["seq"] = 99
    schools.append({"npsn": "99999999", "seq": 1, "head": "f" * 64})
    payload = {**doc["payload"], "schools": schools, "root": checkpoints.root_of(schools)}
    path = write(tmp_path / "beyond.json", sign(payload, private))
    result = cli(app, "verify-ledger", "--checkpoint", path)
    assert result.exit_code == 1, result.output
    assert f"{schools[0]['npsn']}: DOES NOT MATCH the checkpoint: there is no entry at seq 99" in (
        result.output
    )
    assert "99999999: DOES NOT MATCH the checkpoint: the school no longer exists" in result.output
    assert f"{schools[1]['npsn']}: DOES NOT" not in result.output


def test_the_public_list_and_page(app, world, key, client):
    empty = client.get("/transparansi/checkpoints").get_json()
    assert empty == {"public_key": None, "checkpoints": []}
    assert "Belum ada checkpoint." in client.get("/transparansi").get_data(as_text=True)
    rows = [checkpoints.make() for _ in range(3)]
    db.session.commit()
    listed = client.get("/transparansi/checkpoints?limit=2")
    assert listed.headers["Content-Type"] == "application/json"
    body = listed.get_json()
    assert body["public_key"] == key
    assert [c["id"] for c in body["checkpoints"]] == [rows[2].id, rows[1].id]  # newest first
    newest = body["checkpoints"][0]
    assert set(newest) == {"id", "payload", "signature", "public_key"}
    assert checkpoints.check_signature(newest, key)["schools"][0]["npsn"] == world["a"].npsn
    assert len(client.get("/transparansi/checkpoints?limit=0").get_json()["checkpoints"]) == 1
    page = client.get("/transparansi").get_data(as_text=True)
    assert key in page and rows[2].root[:16] in page and rows[2].signature[:16] in page
    assert rows[2].signature not in page  # shortened
    assert "flask sas verify-ledger --checkpoint" in page
    assert world["recipient_a"].name not in page
    assert 'href="/transparansi"' in client.get("/").get_data(as_text=True)
    for _ in range(30):
        checkpoints.make()
    db.session.commit()
    for query, count in (("", 7), ("?limit=31", 31), ("?limit=100000", 31), ("?limit=x", 7)):
        listed = client.get(f"/transparansi/checkpoints{query}").get_json()["checkpoints"]
        assert len(listed) == count, query


# --- the witness --------------------------------------------------------------------------------

URL = "http://sas.example/transparansi/checkpoints?limit=31"


def client_fetch(client):  # type: ignore[no-untyped-def]
    """The Flask test client standing in for the published URL."""
    return lambda url: client.get(url.removeprefix("http://sas.example")).get_json()


def held(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "checkpoints.jsonl").read_text().splitlines()]


def test_the_witness_keeps_new_checkpoints_and_pins_the_key(
    app, world, key, client, tmp_path, monkeypatch
):
    folder, fetch = tmp_path / "dinas", client_fetch(client)
    first = checkpoints.make()
    db.session.commit()
    assert checkpoints.witness(URL, folder, fetch=fetch) == []
    assert (folder / "public_key.txt").read_text().strip() == key
    assert [d["signature"] for d in held(folder)] == [first.signature]
    contribute(world["a"], 10_000, world["komite_a"])
    second, third = checkpoints.make(), checkpoints.make()
    db.session.commit()
    assert checkpoints.witness(URL, folder, fetch=fetch) == []
    assert checkpoints.witness(URL, folder, fetch=fetch) == []  # nothing new: nothing added
    docs = held(folder)
    assert [d["signature"] for d in docs] == [first.signature, second.signature, third.signature]
    assert all(checkpoints.check_signature(d, key) for d in docs)
    assert docs[1]["payload"]["schools"][0]["seq"] == 2
    # the command, with the same stand-in
    monkeypatch.setattr(checkpoints, "fetch_json", fetch)
    result = cli(app, "witness", URL, str(folder))
    assert result.exit_code == 0 and "3 checkpoints held" in result.output


def published(*docs: dict) -> Callable[[str], dict]:
    return lambda url: {"public_key": None, "checkpoints": list(reversed(docs))}


def test_the_witness_refuses_what_does_not_hold(app, world, key, tmp_path, monkeypatch):
    first = checkpoints.document(checkpoints.make())
    db.session.commit()
    private, other = checkpoints.load_private_key(), Ed25519PrivateKey.generate()
    a, b = first["payload"]["schools"]

    def later(*schools: dict, by: Ed25519PrivateKey = private) -> dict:
        payload = {
            **first["payload"],
            "created_at": "2099-01-01T00:00:00.000000Z",
            "schools": list(schools),
            "root": checkpoints.root_of(list(schools)),
        }
        return sign(payload, by)

    cases = [
        (later(a, b, by=other), "signed by another key"),
        ({**later(a, b), "signature": "00" * 64}, "signature does not fit"),
        (later({**a, "seq": 0, "head": chain.GENESIS}, b), f"{a['npsn']}: seq went back from 1"),
        (later({**a, "head": "e" * 64}, b), f"{a['npsn']}: another head at the same seq 1"),
        (later(a), f"{b['npsn']}: missing from the checkpoint"),
        ({**later(a, b), "payload": {**first["payload"], "root": "0" * 64}}, "signature"),
    ]
    for number, (bad, message) in enumerate(cases):
        folder = tmp_path / f"w{number}"
        assert checkpoints.witness(URL, folder, fetch=published(first)) == []
        problems = checkpoints.witness(URL, folder, fetch=published(first, bad))
        assert any(message in p for p in problems), (number, problems)
        assert len(held(folder)) == 1  # nothing appended
    # a good later one is taken
    folder = tmp_path / "w-good"
    good = later({**a, "seq": 5, "head": "d" * 64}, b)
    assert checkpoints.witness(URL, folder, fetch=published(first, good)) == []
    assert len(held(folder)) == 2
    # a folder pinned to another key refuses everything signed by this one
    pinned = tmp_path / "w-pinned"
    other_key = checkpoints.public_hex(other.public_key())
    problems = checkpoints.witness(URL, pinned, pin=other_key, fetch=published(first))
    assert problems and "another key" in problems[0]
    assert not (pinned / "public_key.txt").exists()
    # the command exits 1
    monkeypatch.setattr(checkpoints, "fetch_json", published(first, cases[0][0]))
    result = cli(app, "witness", URL, str(tmp_path / "w-cli"))
    assert result.exit_code == 1 and "another key" in result.output


# --- the kuitansi check -------------------------------------------------------------------------


def test_a_kuitansi_check_names_the_oldest_checkpoint_covering_it(app, world, key, client):
    a, komite = world["a"], world["komite_a"]
    first_entry = world["entry_a"]  # seq 1
    page = client.get(verify_path(first_entry)).get_data(as_text=True)
    assert "belum tercakup" in text_of(page, "checkpoint")
    older = checkpoints.make()  # a at seq 1
    second = contribute(a, 10_000, komite)  # seq 2
    newer = checkpoints.make()  # a at seq 2
    third = contribute(a, 20_000, komite)  # seq 3, in no checkpoint
    checkpoints.make()
    db.session.commit()
    assert checkpoints.covering(a, 1).checkpoint.id == older.id
    assert checkpoints.covering(a, 2).checkpoint.id == newer.id
    assert checkpoints.covering(a, 4) is None
    page = client.get(verify_path(second)).get_data(as_text=True)
    assert newer.root[:16] in text_of(page, "checkpoint") and older.root[:16] not in page
    assert "belum tercakup" not in client.get(verify_path(third)).get_data(as_text=True)
    third_check = contribute(a, 5_000, komite)  # seq 4: after every checkpoint
    page = client.get(verify_path(third_check)).get_data(as_text=True)
    assert "belum tercakup" in text_of(page, "checkpoint")
    # an invalid check says nothing about checkpoints
    bad = client.get(verify_path(second, a="999")).get_data(as_text=True)
    assert 'id="checkpoint"' not in bad
    # re-sealed after the checkpoints: the check still passes the chain walk, but says so
    reseal(a, 2, 1_000)
    totals.rebuild()
    db.session.commit()
    app.config["CHAIN_FULL_WALK_SECONDS"] = 0
    db.session.refresh(third)
    page = client.get(verify_path(third)).get_data(as_text=True)
    assert "Kuitansi sah" in page
    assert "tidak cocok lagi dengan checkpoint" in text_of(page, "checkpoint")


def test_a_chain_resealed_between_checkpoints_is_not_signed_and_the_log_names_it(
    app, world, key, tmp_path
):
    """The next daily checkpoint would sign the re-sealed head as it is: it is refused, and a
    witness's log, every checkpoint in it checked, names the school."""
    a, komite = world["a"], world["komite_a"]
    contribute(a, 20_000, komite)
    db.session.commit()
    first, _ = make_checkpoint(app, tmp_path)
    contribute(a, 30_000, komite)
    db.session.commit()
    second = tmp_path / "second.json"
    assert cli(app, "checkpoint", "--out", str(second)).exit_code == 0
    reseal(a, 2, 5_000_000)
    assert cli(app, "rebuild-totals").exit_code == 0

    refused = cli(app, "checkpoint")
    assert refused.exit_code == 1
    assert a.npsn in refused.output and "no longer holds" in refused.output
    log = tmp_path / "checkpoints.jsonl"  # as a witness keeps them, oldest first
    log.write_text(
        first.read_text().replace("\n", "") + "\n" + second.read_text().replace("\n", "") + "\n"
    )
    result = cli(app, "verify-ledger", "--checkpoint", str(log))
    assert result.exit_code == 1
    assert result.output.count(f"{a.npsn}: DOES NOT MATCH the checkpoint") == 2
