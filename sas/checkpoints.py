"""Signed checkpoints: every school's chain head, signed with a key the database never holds.

The hash chain (``sas.ledger.chain``) shows a change to an entry only while its later hashes
are left alone; whoever can write the database can re-seal a whole chain with the public
``entry_hash``. A checkpoint fixes, for every school, its last ``seq`` and the hash of the
entry at that seq (the fund's chain head), with the time and a Merkle root over them, and signs
that payload with an Ed25519 key read from the file named by ``SAS_CHECKPOINT_KEY``. Copies
kept elsewhere (``--out``, the public JSON, the district's witness) then show any re-sealing:
the entry at that seq no longer has that hash.

The payload is signed as canonical JSON (sorted keys, no spaces, UTF-8). The Merkle tree is
RFC 6962 style: a leaf is SHA-256 of ``0x00 || "npsn:seq:head"`` with schools sorted by NPSN, a
node SHA-256 of ``0x01 || left || right``, and an odd node at the end of a level is carried up
unchanged (never duplicated, so two different lists cannot share a root). No school: SHA-256
of nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.orm import defer

from sas.extensions import db
from sas.ledger.chain import GENESIS
from sas.models import Checkpoint, Entry, Fund, School

VERSION = 1


class CheckpointError(Exception):
    """A checkpoint cannot be made or read (no key, a bad file, a head that does not fit)."""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf(npsn: str, seq: int, head: str) -> bytes:
    return hashlib.sha256(b"\x00" + f"{npsn}:{seq}:{head}".encode()).digest()


def merkle_root(leaves: list[bytes]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = leaves
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0].hex()


def root_of(schools: list[dict[str, Any]]) -> str:
    ordered = sorted(schools, key=lambda s: s["npsn"])
    return merkle_root([leaf(s["npsn"], s["seq"], s["head"]) for s in ordered])


# --- keys ---------------------------------------------------------------------------------------


def new_key_file(path: Path) -> str:
    """Write a new private key (PEM, mode 0600; refused if the file exists); return its public
    key in hex."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(f"{path} exists; a signing key is never overwritten") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return public_hex(key.public_key())


def load_private_key(path: str | os.PathLike[str] | None = None) -> Ed25519PrivateKey:
    path = path or current_app.config.get("CHECKPOINT_KEY")
    if not path:
        raise CheckpointError("no signing key: set SAS_CHECKPOINT_KEY to a PEM file")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read the signing key {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 key")
    return key


def public_hex(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def configured_public_key() -> str | None:
    """The public key of the configured signing key, or None when none is configured."""
    if not current_app.config.get("CHECKPOINT_KEY"):
        return None
    return public_hex(load_private_key().public_key())


def trusted_key(given: str | None) -> str:
    """The key to verify with: ``given`` (hex, or a file holding it), else the configured
    signing key's. Never the key a checkpoint names itself: that proves nothing."""
    if given:
        text = Path(given).read_text().strip() if Path(given).is_file() else given.strip()
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        except ValueError:
            raise CheckpointError("the public key must be 64 hex digits") from None
        return text.lower()
    key = configured_public_key()
    if key is None:
        raise CheckpointError(
            "no key to trust: give --public-key, or set SAS_CHECKPOINT_KEY "
            "(the key inside a checkpoint proves nothing)"
        )
    return key


# --- making -------------------------------------------------------------------------------------


def heads() -> list[dict[str, Any]]:
    """Every school's last seq and chain head, sorted by NPSN, read in one statement. The
    fund keeps the head; the entry at that seq must have that hash, else no checkpoint."""
    rows = db.session.execute(
        select(School.npsn, Fund.last_seq, Fund.chain_head, Entry.hash)
        .outerjoin(Fund, Fund.school_id == School.id)
        .outerjoin(Entry, and_(Entry.school_id == School.id, Entry.seq == Fund.last_seq))
        .order_by(School.npsn)
    )
    schools = []
    for npsn, seq, head, entry_hash in rows:
        seq = seq or 0
        if (seq > 0 and (entry_hash is None or entry_hash != head)) or (seq == 0 and head):
            raise CheckpointError(f"{npsn}: the fund's chain head is not the entry at seq {seq}")
        schools.append({"npsn": npsn, "seq": seq, "head": head or GENESIS})
    return schools


def document(row: Checkpoint) -> dict[str, Any]:
    return {
        "payload": json.loads(row.payload),
        "signature": row.signature,
        "public_key": row.public_key,
    }


def make(key: Ed25519PrivateKey | None = None) -> Checkpoint:
    """Sign and add (flushed, not committed) a checkpoint of every school, once the ledger
    still holds every head of the one before (else CheckpointError naming the schools): a
    chain re-sealed since must not be signed as it is now."""
    key = key or load_private_key()
    previous = latest(1)
    if previous:
        # signed by this key, or (after a change of key) by the one it names; a row forged in
        # the database is caught by the copies kept elsewhere (witness, --out files)
        last = document(previous[0])
        payload = check_signature(last, str(last["public_key"]))
        changed = check_heads(payload)
        if changed:
            raise CheckpointError(
                f"the ledger no longer holds checkpoint {previous[0].id}'s heads: "
                + "; ".join(f"{m.npsn} ({m.problem})" for m in changed)
            )
    schools = heads()
    payload = {
        "version": VERSION,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "root": root_of(schools),
        "schools": schools,
    }
    signed = canonical_json(payload)
    row = Checkpoint(
        payload=signed.decode(),
        signature=key.sign(signed).hex(),
        public_key=public_hex(key.public_key()),
        root=payload["root"],
        schools=len(schools),
    )
    db.session.add(row)
    db.session.flush()
    return row


def latest(limit: int, *, payloads: bool = True) -> list[Checkpoint]:
    """The newest checkpoints first; without their payloads (100 kB at 1,000 schools) for a
    page that lists them."""
    stmt = select(Checkpoint).order_by(Checkpoint.id.desc()).limit(limit)
    if not payloads:
        stmt = stmt.options(defer(Checkpoint.payload))
    return list(db.session.scalars(stmt))


# --- checking -----------------------------------------------------------------------------------


def check_signature(doc: dict[str, Any], key_hex: str) -> dict[str, Any]:
    """The payload of ``doc`` if ``key_hex`` signed it and its root fits its schools; else
    CheckpointError."""
    payload: dict[str, Any]
    try:
        payload, signature = doc["payload"], bytes.fromhex(doc["signature"])
        schools = payload["schools"]
    except (KeyError, TypeError, ValueError):
        raise CheckpointError("not a checkpoint (payload, signature, public_key)") from None
    if str(doc.get("public_key", "")).lower() != key_hex:
        raise CheckpointError("the checkpoint is signed by another key than the one trusted")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex)).verify(
            signature, canonical_json(payload)
        )
    except (InvalidSignature, ValueError):
        raise CheckpointError("the signature does not fit the checkpoint") from None
    if root_of(schools) != payload.get("root"):
        raise CheckpointError("the Merkle root does not fit the schools listed")
    return payload


@dataclass(frozen=True)
class Mismatch:
    npsn: str
    seq: int
    problem: str


def check_heads(payload: dict[str, Any]) -> list[Mismatch]:
    """Every school of the payload whose entry at that seq no longer has that hash."""
    found: list[Mismatch] = []
    ids = {npsn: id_ for npsn, id_ in db.session.execute(select(School.npsn, School.id))}
    for school in payload["schools"]:
        npsn, seq, head = school["npsn"], int(school["seq"]), school["head"]
        if npsn not in ids:
            found.append(Mismatch(npsn, seq, "the school no longer exists"))
            continue
        if seq == 0:
            continue
        current = db.session.scalar(
            select(Entry.hash).where(Entry.school_id == ids[npsn], Entry.seq == seq)
        )
        if current is None:
            found.append(Mismatch(npsn, seq, f"there is no entry at seq {seq}"))
        elif current != head:
            found.append(Mismatch(npsn, seq, f"the entry at seq {seq} has another hash"))
    return found


def read_documents(source: str, fetch: Any = None) -> list[dict[str, Any]]:
    """The checkpoints of a file or an http(s) URL: one checkpoint, the public list (every
    checkpoint on it), or a witness's log (one per line). Checking them all matters: a chain
    re-sealed after one checkpoint is signed as it is by the next."""
    try:
        if source.startswith(("http://", "https://")):
            if fetch is None:
                from urllib.request import urlopen

                with urlopen(source, timeout=30) as response:  # noqa: S310 (http(s) only)
                    text = response.read().decode()
            else:
                text = json.dumps(fetch(source))
        else:
            text = Path(source).read_text()
        try:
            found = json.loads(text)
        except ValueError:  # a witness's log: one document per line
            found = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {source}: {error}") from None
    if isinstance(found, dict):
        found = found["checkpoints"] if isinstance(found.get("checkpoints"), list) else [found]
    if not found or not all(isinstance(doc, dict) for doc in found):
        raise CheckpointError(f"{source} holds no checkpoint")
    documents: list[dict[str, Any]] = found
    return documents


# --- witness ------------------------------------------------------------------------------------

WITNESS_KEY = "public_key.txt"  # the pinned key, hex
WITNESS_LOG = "checkpoints.jsonl"  # one checkpoint document per line, oldest first


def fetch_json(url: str) -> Any:
    from urllib.request import urlopen

    with urlopen(url, timeout=60) as response:  # noqa: S310 (the operator's http(s) URL)
        return json.loads(response.read())


def witness(url: str, folder: Path, *, pin: str | None = None, fetch: Any = None) -> list[str]:
    """Fetch the published checkpoints, check them against what ``folder`` holds and append the
    new ones; returns the problems (then nothing is appended). The first key seen (or ``pin``)
    is pinned in the folder; a checkpoint signed by another is refused. For every school, a
    later checkpoint must name it again at the same or a higher seq, with the same head when
    the seq is the same."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file, log = folder / WITNESS_KEY, folder / WITNESS_LOG
    pinned = key_file.read_text().strip() if key_file.exists() else None
    if pin and pinned and pin.lower() != pinned:
        return [f"{key_file} pins another key ({pinned})"]
    held = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    try:
        data = (fetch or fetch_json)(url)
        published = list(reversed(data["checkpoints"]))  # oldest first
        if not all(isinstance(doc, dict) for doc in published):
            raise ValueError("not a list of checkpoints")
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"cannot read {url}: {error}"]
    key = pinned or (pin.lower() if pin else None)
    if key is None and published:
        key = str(published[0].get("public_key", "")).lower()
    seen = {doc["signature"] for doc in held}
    last: dict[str, tuple[int, str]] = {}
    latest_time = ""
    for doc in held:
        _advance(last, doc["payload"], [])
        latest_time = max(latest_time, doc["payload"]["created_at"])
    new, problems = [], []
    for doc in published:
        doc = {k: doc.get(k) for k in ("payload", "signature", "public_key")}
        if doc["signature"] in seen:
            continue
        try:
            payload = check_signature(doc, key or "")
        except CheckpointError as error:
            problems.append(f"checkpoint of {_time(doc)}: {error}")
            continue
        if payload["created_at"] <= latest_time:
            problems.append(f"checkpoint of {payload['created_at']} is older than one held")
        _advance(last, payload, problems)
        latest_time = max(latest_time, payload["created_at"])
        seen.add(doc["signature"])
        new.append(doc)
    if problems:
        return problems
    if key and not pinned:
        key_file.write_text(key + "\n")
    with log.open("a") as out:
        for doc in new:
            out.write(canonical_json(doc).decode() + "\n")
    return []


def _advance(
    last: dict[str, tuple[int, str]], payload: dict[str, Any], problems: list[str]
) -> None:
    """Check ``payload`` against the last seq and head held per school, then hold its own."""
    named = {s["npsn"]: (int(s["seq"]), s["head"]) for s in payload["schools"]}
    when = payload["created_at"]
    for npsn, (seq, head) in last.items():
        if npsn not in named:
            problems.append(f"{npsn}: missing from the checkpoint of {when}")
        elif named[npsn][0] < seq:
            problems.append(f"{npsn}: seq went back from {seq} to {named[npsn][0]} ({when})")
        elif named[npsn][0] == seq and named[npsn][1] != head:
            problems.append(f"{npsn}: another head at the same seq {seq} ({when})")
    last.update(named)


def _time(doc: dict[str, Any]) -> str:
    payload = doc.get("payload")
    return str(payload.get("created_at")) if isinstance(payload, dict) else "?"


# --- the kuitansi check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    checkpoint: Checkpoint
    holds: bool  # the school's entry at the checkpoint's seq still has the head signed


def _school_in(row: Checkpoint, npsn: str) -> dict[str, Any] | None:
    return next((s for s in json.loads(row.payload)["schools"] if s["npsn"] == npsn), None)


def covering(school: School, seq: int) -> Coverage | None:
    """The oldest checkpoint whose seq for ``school`` is at least ``seq`` (a binary search:
    a school's seq never goes back from one checkpoint to the next), and whether the entry
    at that seq still has the head it signed."""
    ids = list(db.session.scalars(select(Checkpoint.id).order_by(Checkpoint.id)))
    low, high = 0, len(ids)
    while low < high:
        middle = (low + high) // 2
        named = _school_in(db.session.get_one(Checkpoint, ids[middle]), school.npsn)
        if named is not None and named["seq"] >= seq:
            high = middle
        else:
            low = middle + 1
    if low == len(ids):
        return None
    row = db.session.get_one(Checkpoint, ids[low])  # append-only: every listed id is there
    named = _school_in(row, school.npsn) or {}
    current = db.session.scalar(
        select(Entry.hash).where(Entry.school_id == school.id, Entry.seq == named.get("seq"))
    )
    return Coverage(row, current is not None and current == named.get("head"))
