"""Kuitansi: the amount in words, the printable receipt of every entry, and the public check
that its QR code opens (anonymous visitors learn only "valid" or "not valid")."""

from __future__ import annotations

import os
import random
import re
import uuid
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import segno
from flask import Flask
from sqlalchemy import event, select, update

from sas import create_app
from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.ledger import chain
from sas.models import AuditEvent, Category, Entry, Role, Source, User
from sas.receipts import services as receipts
from sas.receipts.words import MAX_WORDS, terbilang
from tests.database import tampering
from tests.factories import PASSWORD, contribute, disburse, make_kabupaten, make_recipient
from tests.pages import text_of, verify_path, year_slug
from tests.web import IsolatedClient, login

# --- terbilang ----------------------------------------------------------------------------

TABLE = [
    (1, "satu"),
    (2, "dua"),
    (10, "sepuluh"),
    (11, "sebelas"),
    (12, "dua belas"),
    (19, "sembilan belas"),
    (20, "dua puluh"),
    (21, "dua puluh satu"),
    (99, "sembilan puluh sembilan"),
    (100, "seratus"),
    (101, "seratus satu"),
    (110, "seratus sepuluh"),
    (111, "seratus sebelas"),
    (199, "seratus sembilan puluh sembilan"),
    (200, "dua ratus"),
    (1_000, "seribu"),
    (1_001, "seribu satu"),
    (1_010, "seribu sepuluh"),
    (1_100, "seribu seratus"),
    (1_111, "seribu seratus sebelas"),
    (2_000, "dua ribu"),
    (10_000, "sepuluh ribu"),
    (11_000, "sebelas ribu"),
    (12_500, "dua belas ribu lima ratus"),
    (20_000, "dua puluh ribu"),
    (25_000, "dua puluh lima ribu"),
    (100_000, "seratus ribu"),
    (101_000, "seratus satu ribu"),
    (111_111, "seratus sebelas ribu seratus sebelas"),
    (999_999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
    (1_000_000, "satu juta"),
    (1_000_001, "satu juta satu"),
    (1_001_000, "satu juta seribu"),
    (2_500_000, "dua juta lima ratus ribu"),
    (12_800_000, "dua belas juta delapan ratus ribu"),
    (100_000_000, "seratus juta"),
    (
        999_999_999,
        "sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh sembilan ribu"
        " sembilan ratus sembilan puluh sembilan",
    ),
    (1_000_000_000, "satu miliar"),
    (1_000_100_000, "satu miliar seratus ribu"),
    (27_710_000_000, "dua puluh tujuh miliar tujuh ratus sepuluh juta"),
    (
        MAX_WORDS,
        "sembilan ratus sembilan puluh sembilan miliar sembilan ratus sembilan puluh sembilan"
        " juta sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh"
        " sembilan",
    ),
]


@pytest.mark.parametrize(("amount", "words"), TABLE, ids=[f"{a:_}" for a, _ in TABLE])
def test_amount_in_words(amount, words):
    assert terbilang(amount) == words + " rupiah"


@pytest.mark.parametrize("amount", [0, -1, -25_000, MAX_WORDS + 1, 10**15])
def test_amounts_without_words_are_refused(amount):
    with pytest.raises(ValueError):
        terbilang(amount)


@pytest.mark.parametrize("amount", [25_000.0, True, "25000"])
def test_only_whole_rupiah_have_words(amount):
    with pytest.raises(TypeError):
        terbilang(amount)


NAMES = ["satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
DIGITS = {w: i for i, w in enumerate(NAMES, start=1)}
SCALES = {"ribu": 1_000, "juta": 1_000_000, "miliar": 1_000_000_000}


def words_to_amount(text: str) -> int:
    """The inverse of ``terbilang``, strict about the se- forms: it refuses "satu ratus",
    "satu puluh", "satu belas" and "satu ribu", and scales out of order."""
    tokens = text.split()
    assert tokens.pop() == "rupiah", text
    total, group, digit, last_scale = 0, 0, 0, 10**12
    for token in tokens:
        if token in DIGITS:
            assert digit == 0, text
            digit = DIGITS[token]
        elif token in ("sepuluh", "sebelas", "seratus"):
            assert digit == 0, text
            group += {"sepuluh": 10, "sebelas": 11, "seratus": 100}[token]
        elif token in ("puluh", "belas", "ratus"):
            assert digit > 1, f"{text}: se- form expected before {token}"
            group += {"puluh": digit * 10, "belas": digit + 10, "ratus": digit * 100}[token]
            digit = 0
        elif token == "seribu":
            assert group == digit == 0 and last_scale > 1_000, text
            total, last_scale = total + 1_000, 1_000
        elif token in SCALES:
            value, scale = group + digit, SCALES[token]
            assert 0 < value < 1_000 and scale < last_scale, text
            assert not (token == "ribu" and value == 1), f"{text}: seribu expected"
            total, group, digit, last_scale = total + value * scale, 0, 0, scale
        else:
            raise AssertionError(f"unknown word {token!r} in {text!r}")
    assert group + digit < 1_000, text
    return total + group + digit


def test_words_read_back_to_the_amount():
    rng = random.Random(20_525_555)
    amounts = list(range(1, 1_201))  # every small amount
    amounts += [rng.randint(1, 100_000_000) for _ in range(2_000)]  # up to the entry maximum
    amounts += [10 ** rng.randint(0, 11) * rng.randint(1, 999) for _ in range(1_000)]
    amounts += [rng.randint(1, MAX_WORDS) for _ in range(1_000)]
    seen: dict[str, int] = {}
    for amount in (a for a in amounts if a <= MAX_WORDS):
        words = terbilang(amount)
        assert words_to_amount(words) == amount, words
        assert seen.setdefault(words, amount) == amount  # never the same words twice


# --- the kuitansi page --------------------------------------------------------------------


def kuitansi_url(entry: Entry) -> str:
    return f"/sekolah/{entry.school.npsn}/catatan/{entry.id}/kuitansi"


def qr_path(url: str) -> str:
    """The path data of the QR code segno draws for ``url``, as the page should embed it."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)
    return re.search(r' d="([^"]+)"', svg).group(1)


def open_kuitansi(client, entry: Entry) -> str:
    login(client, "komite_a")
    response = client.get(kuitansi_url(entry))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def assert_receipt_basics(html: str, entry: Entry) -> None:
    number = f"SAS/20525555/{year_slug(entry.occurred_on)}/{entry.receipt_no:04d}"
    assert text_of(html, "receipt-number") == number
    assert text_of(html, "fingerprint") == chain.fingerprint(entry.hash)
    url = "http://localhost" + verify_path(entry)
    assert text_of(html, "verify-url") == url.replace("&", "&amp;")
    assert '<svg viewBox="' in html and 'class="qr"' in html
    assert f' d="{qr_path(url)}"' in html  # the QR code holds exactly that URL


def test_kuitansi_of_a_class_contribution(client, world):
    entry = world["entry_a"]
    html = open_kuitansi(client, entry)
    assert_receipt_basics(html, entry)
    assert text_of(html, "payer") == "Kelas 8A"
    assert text_of(html, "receiver") == "Tim SAS SMP Negeri 1 Banyuwangi"
    assert text_of(html, "words") == "Seratus ribu rupiah"
    assert text_of(html, "amount") == "Rp100.000"
    assert text_of(html, "purpose") == "Iuran/sumbangan Siswa Asuh Sebaya"
    assert "Penyetor" in html and "Mengetahui, Guru Pembina" in html
    assert "Cetak" in html


def test_kuitansi_of_a_named_and_an_anonymous_gift(client, world):
    named = contribute(
        world["a"], 12_500, world["komite_a"], source=Source.INDIVIDUAL, donor_name="Ratna Sari"
    )
    anonymous = contribute(world["a"], 2_000, world["komite_a"], source=Source.ANONYMOUS)
    html = open_kuitansi(client, named)
    assert text_of(html, "payer") == "Ratna Sari"
    assert text_of(html, "words") == "Dua belas ribu lima ratus rupiah"
    html = client.get(kuitansi_url(anonymous)).get_data(as_text=True)
    assert text_of(html, "payer") == "Penyumbang tanpa nama"
    assert text_of(html, "words") == "Dua ribu rupiah"
    assert anonymous.receipt_no == named.receipt_no + 1


def test_kuitansi_of_a_disbursement(client, world):
    entry = disburse(world["a"], 45_000, world["komite_a"], world["recipient_a"])
    html = open_kuitansi(client, entry)
    assert_receipt_basics(html, entry)
    assert text_of(html, "payer") == "Tim SAS SMP Negeri 1 Banyuwangi"
    assert text_of(html, "receiver") == "Siti Aminah (8A)"
    assert text_of(html, "purpose") == "Seragam (barang): Seragam putih biru"
    assert text_of(html, "words") == "Empat puluh lima ribu rupiah"
    assert text_of(html, "amount") == "Rp45.000"
    assert "Bendahara Tim SAS" in html and "Penyetor" not in html


def test_kuitansi_of_a_void_names_what_it_corrects(client, world):
    spent = disburse(world["a"], 20_000, world["komite_a"], world["recipient_a"])
    void = entries.void_entry(
        world["a"],
        spent,
        reason="Dicatat dua kali",
        recorded_by=world["komite_a"],
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    html = open_kuitansi(client, void)
    assert_receipt_basics(html, void)
    assert "Bukti Koreksi" in html
    assert text_of(html, "purpose") == f"Koreksi atas {spent.number}: Dicatat dua kali"
    assert text_of(html, "words") == "Dua puluh ribu rupiah"
    assert spent.receipt_number in html
    # the corrected entry's own kuitansi says it was voided
    html = client.get(kuitansi_url(spent)).get_data(as_text=True)
    assert void.number in text_of(html, "voided")


def test_entry_page_links_to_its_kuitansi(client, world):
    entry = world["entry_a"]
    for who in ("komite_a", "guru_a"):
        login(client, who)
        html = client.get(f"/sekolah/20525555/catatan/{entry.id}").get_data(as_text=True)
        assert f'href="{kuitansi_url(entry)}"' in html
        client.post("/keluar")


def test_receipt_numbers_run_per_school_and_school_year(world):
    a, b, komite_a, komite_b = world["a"], world["b"], world["komite_a"], world["komite_b"]
    june, july = date(2025, 6, 30), date(2025, 7, 1)
    made = [
        contribute(a, 1_000, komite_a, on=june),
        contribute(b, 1_000, komite_b, on=june),
        contribute(a, 1_000, komite_a, on=july),
        contribute(a, 1_000, komite_a, on=june),
        contribute(a, 1_000, komite_a, on=july),
    ]
    numbers = [e.receipt_number for e in made]
    assert numbers == [
        "SAS/20525555/2024-2025/0001",
        "SAS/20526666/2024-2025/0001",
        "SAS/20525555/2025-2026/0001",
        "SAS/20525555/2024-2025/0002",
        "SAS/20525555/2025-2026/0002",
    ]
    for school in (a, b):  # every school year of every school: 1..n, no gap, no repeat
        rows = db.session.execute(
            select(Entry.receipt_year, Entry.receipt_no).where(Entry.school_id == school.id)
        ).all()
        years: dict[int, list[int]] = {}
        for year, no in rows:
            years.setdefault(year, []).append(no)
        for nos in years.values():
            assert sorted(nos) == list(range(1, len(nos) + 1))


# --- who may open what --------------------------------------------------------------------

ACTORS = ["anon", "komite_a", "komite_b", "guru_a", "guru_b", "dinas", "admin"]
KUITANSI = [302, 200, 404, 200, 404, 403, 403]  # like the entry page
# The check answers everyone (200) alike; only school A's own committee and teacher get the
# details (which parts match) and the link to the entry: not the district office, not an admin.
OWN_SCHOOL = [False, True, False, True, False, False, False]


@pytest.mark.parametrize(("i", "actor"), list(enumerate(ACTORS)), ids=ACTORS)
def test_who_may_open_the_kuitansi(client, world, i, actor):
    if actor != "anon":
        login(client, actor)
    response = client.get(kuitansi_url(world["entry_a"]))
    assert response.status_code == KUITANSI[i]
    if response.status_code == 200:
        assert world["entry_a"].receipt_number in response.get_data(as_text=True)


@pytest.mark.parametrize(("i", "actor"), list(enumerate(ACTORS)), ids=ACTORS)
def test_who_sees_what_on_the_check(client, world, i, actor):
    if actor != "anon":
        login(client, actor)
    entry = world["entry_a"]
    response = client.get(verify_path(entry))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert text_of(html, "verdict") == "✓ Kuitansi sah"
    assert ('id="checks"' in html) is OWN_SCHOOL[i]
    assert ('id="entry-link"' in html) is OWN_SCHOOL[i]
    if OWN_SCHOOL[i]:
        for part in ("number", "amount", "date", "hash", "chain"):
            assert text_of(html, f"check-{part}") == "cocok"
        assert f'href="/sekolah/20525555/catatan/{entry.id}"' in html


def test_a_district_officer_of_another_kabupaten_sees_no_details(client, world):
    other = User(username="dinas_jember", display_name="Dinas Jember", role=Role.DISTRICT)
    other.region_id = make_kabupaten("35.09", "Jember").id
    other.password_hash = world["dinas"].password_hash
    db.session.add(other)
    db.session.commit()
    login(client, "dinas_jember")
    html = client.get(verify_path(world["entry_a"])).get_data(as_text=True)
    assert text_of(html, "verdict") == "✓ Kuitansi sah"
    assert 'id="checks"' not in html


# --- the check ----------------------------------------------------------------------------


def verdict(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return text_of(response.get_data(as_text=True), "verdict")


def test_a_receipt_that_does_not_match_is_not_valid(client, world):
    entry = world["entry_a"]
    other_hash = "0123456789abcdef" if not entry.hash.startswith("0123") else "fedcba9876543210"
    year = year_slug(entry.occurred_on)
    start = int(year[:4])
    cases = {
        "valid": verify_path(entry),
        "amount": verify_path(entry, a="100001"),
        "date": verify_path(entry, d="2011-01-01"),
        "hash": verify_path(entry, h=other_hash),
        "number": verify_path(entry, number="0002"),
        "year": verify_path(entry, year=f"{start - 1}-{start}"),
        "other school": verify_path(entry).replace("20525555", "20526666"),
    }
    assert verdict(client, cases.pop("valid")) == "✓ Kuitansi sah"
    for case, path in cases.items():
        assert verdict(client, path) == "✗ Kuitansi tidak sah", case
    # the school's committee sees which part failed
    login(client, "komite_a")
    html = client.get(cases["amount"]).get_data(as_text=True)
    parts = {p: text_of(html, f"check-{p}") for p in ("number", "amount", "date", "hash", "chain")}
    assert parts == {
        "number": "cocok",
        "amount": "tidak cocok",
        "date": "cocok",
        "hash": "cocok",
        "chain": "cocok",
    }
    html = client.get(cases["hash"]).get_data(as_text=True)
    assert text_of(html, "check-hash") == "tidak cocok"
    assert text_of(html, "check-chain") == "tidak diperiksa"


MALFORMED = [
    "/kuitansi/20525555/2025/0001?a=100000&d=2025-08-01&h=0123456789abcdef",
    "/kuitansi/20525555/2025-2027/0001?a=100000",
    "/kuitansi/20525555/abcd-efgh/0001",
    "/kuitansi/20525555/9999-10000/1",
    "/kuitansi/2052555/2025-2026/0001",
    "/kuitansi/2052555a/2025-2026/0001",
    "/kuitansi/20525555/2025-2026/0",
    "/kuitansi/20525555/2025-2026/-1",
    "/kuitansi/20525555/2025-2026/abc",
    "/kuitansi/20525555/2025-2026/99999999999999999999",
    "/kuitansi/20525555/2025-2026/0001?a=1e5&d=2025-02-30&h=ZZ",
    "/kuitansi/20525555/2025-2026/0001?a=" + "9" * 40 + "&d=x&h=" + "f" * 64,
    "/kuitansi/20525555/2025-2026/0001?a=-5&d=2025-13-01&h=%00",
    "/kuitansi/20525555/2025-2026/0001?a=25.000&a=1&d=&h=",
    "/kuitansi/%F0%9F%92%B0/2025-2026/%00",
]


@pytest.mark.parametrize("path", MALFORMED)
def test_malformed_checks_are_not_valid_and_never_fail(client, world, path):
    assert verdict(client, path) == "✗ Kuitansi tidak sah"


@pytest.fixture
def later(app, monkeypatch):
    """The chain's cached verification (``chain.verify_recent``) with a fake clock and nothing
    remembered from other tests: returns a function that moves the clock on."""
    clock = [1000.0]
    monkeypatch.setattr(chain.time, "monotonic", lambda: clock[0])
    app.config["CHAIN_FULL_WALK_SECONDS"] = 60
    app.extensions.pop("sas_chain_verified", None)

    def move(seconds: float) -> None:
        clock[0] += seconds

    return move


def test_a_tampered_chain_makes_every_receipt_of_the_school_invalid(client, world, later):
    entry = world["entry_a"]
    receipt = contribute(world["a"], 5_000, world["komite_a"], class_label="9C")
    path = verify_path(receipt)
    assert verdict(client, path) == "✓ Kuitansi sah"
    with tampering("entries"):
        db.session.execute(update(Entry).where(Entry.id == entry.id).values(note="ditambah"))
    db.session.commit()
    try:
        # as on the dashboard: the chain verified less than a minute ago is not read again ...
        assert verdict(client, path) == "✓ Kuitansi sah"
        later(60)  # ... the next whole walk finds the change
        assert verdict(client, path) == "✗ Kuitansi tidak sah"
        login(client, "guru_a")
        html = client.get(path).get_data(as_text=True)
        assert text_of(html, "check-chain") == "tidak cocok"
        assert text_of(html, "check-amount") == "cocok"
        # school B's chain is untouched: its receipts still verify
        assert verdict(client, verify_path(world["entry_b"])) == "✓ Kuitansi sah"
    finally:
        with tampering("entries"):
            db.session.execute(update(Entry).where(Entry.id == entry.id).values(note=None))
        db.session.commit()
    assert chain.verify(world["a"]).ok


def test_guessing_without_the_hash_never_walks_the_chain(app, world, monkeypatch):
    """Without the hash prefix from the paper, no amount can be confirmed, and the costly
    chain walk does not run (so guesses stay cheap for the server, useless for the guesser)."""
    entry = world["entry_a"]

    def walked(_school):
        raise AssertionError("the chain was walked for a guess")

    monkeypatch.setattr(chain, "verify", walked)
    monkeypatch.setattr(chain, "verify_recent", walked)
    year = year_slug(entry.occurred_on)
    for amount in range(99_000, 101_001, 1_000):
        result = receipts.check_receipt(
            "20525555", year, "0001", str(amount), entry.occurred_on.isoformat(), None
        )
        assert not result.valid
        assert result.amount is (amount == entry.amount)


# --- the district learns what the public learns (issue 16: the check was an oracle) -------


def answer(client, path: str) -> str:
    """What the check page says: its content, without the layout around it (which differs
    with who is signed in)."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    return html[html.index("<h1>") : html.index("</main>")]


def answers(client, who: str, paths: list[str]) -> list[str]:
    client.post("/keluar")
    if who != "anon":
        login(client, who)
    return [answer(client, path) for path in paths]


def void_of(entry: Entry, by: User, reason: str = "Dicatat dua kali") -> Entry:
    void = entries.void_entry(
        entry.school,
        entry,
        reason=reason,
        recorded_by=by,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return void


@pytest.mark.parametrize("paper", [False, True], ids=["without the paper", "with the paper"])
def test_looping_amounts_the_district_learns_what_the_public_learns(client, world, paper):
    """The attack of issue 16: signed in as the district office, loop the amount of a receipt
    number (80 requests found an entry's amount). Without the paper (its hash prefix) every
    answer is the same; with it, only the amount printed on it is valid, as for anyone. The
    district's and an admin's answers are the public's, word for word."""
    entry = world["entry_a"]
    amounts = range(entry.amount - 40_000, entry.amount + 41_000, 1_000)  # 81 guesses
    paths = [verify_path(entry, a=str(a), h=entry.hash[:16] if paper else "") for a in amounts]
    public = answers(client, "anon", paths)
    assert answers(client, "dinas", paths) == public
    assert answers(client, "admin", paths) == public
    right = [a == entry.amount for a in amounts]
    valid = [text_of(text, "verdict") == "✓ Kuitansi sah" for text in public]
    assert valid == (right if paper else [False] * len(paths))
    assert len(set(public)) == (2 if paper else 1)
    # the school's own committee does see which part differs (so the loop above could tell)
    own = answers(client, "komite_a", paths)
    assert [text_of(text, "check-amount") == "cocok" for text in own] == right


def test_numbers_that_exist_and_numbers_that_do_not_answer_alike(client, world):
    """The other half of the attack: numbers 0001-0014 of a school all "confirmed as existing".
    Now an existing number (voided or not) and a missing one give the district, an admin and
    another school the public's one answer; only the school's own committee sees which exist."""
    a, komite, first = world["a"], world["komite_a"], world["entry_a"]
    made = [first] + [contribute(a, 1_000 * n, komite) for n in range(2, 5)]
    void = void_of(made[1], komite)  # numbers 0001-0005 exist, 0006-0014 do not
    assert void.receipt_no == 5
    paths = [verify_path(first, number=f"{n:04d}", h="0" * 16) for n in range(1, 15)]
    said = {who: answers(client, who, paths) for who in ("anon", "dinas", "admin", "komite_b")}
    words = {text for texts in said.values() for text in texts}
    assert len(words) == 1, "an answer told some numbers apart"
    assert text_of(words.pop(), "verdict") == "✗ Kuitansi tidak sah"
    own = answers(client, "komite_a", paths)
    assert [text_of(text, "check-number") == "cocok" for text in own] == [True] * 5 + [False] * 9
    assert void.number in text_of(own[1], "voided-note")


# --- a voided entry's kuitansi --------------------------------------------------------------


@pytest.mark.parametrize(("i", "actor"), list(enumerate(ACTORS)), ids=ACTORS)
def test_a_voided_receipt_checks_valid_but_cancelled_for_everyone(client, world, i, actor):
    entry = world["entry_a"]
    void = void_of(entry, world["komite_a"])
    assert re.fullmatch(r"KOR-\d{4}", void.number) and void.number == f"KOR-{void.seq:04d}"
    if actor != "anon":
        login(client, actor)
    html = client.get(verify_path(entry)).get_data(as_text=True)
    said = f"⚠ Kuitansi sah, tetapi sudah dibatalkan oleh {void.number}"
    assert text_of(html, "verdict") == said
    assert void.number in text_of(html, "voided-hint")
    assert "✓ Kuitansi sah" not in html and "Dicatat dua kali" not in html  # no reason shown
    assert ('id="checks"' in html) is OWN_SCHOOL[i]
    # the correction's own kuitansi is valid and not cancelled
    assert verdict(client, verify_path(void)) == "✓ Kuitansi sah"
    # a copy that does not match names no correction, except to the school itself
    html = client.get(verify_path(entry, a="1")).get_data(as_text=True)
    assert text_of(html, "verdict") == "✗ Kuitansi tidak sah"
    assert (void.number in html) is OWN_SCHOOL[i]


def test_a_voided_receipt_in_english(client, world):
    void = void_of(world["entry_a"], world["komite_a"])
    client.post("/bahasa", data={"lang": "en"})
    html = client.get(verify_path(world["entry_a"])).get_data(as_text=True)
    assert text_of(html, "verdict") == f"⚠ Valid receipt, but cancelled by {void.number}"


class Stamp(HTMLParser):
    """The text of ``#stamp`` and the elements around it: [(tag, id, classes), ...]."""

    VOID = {"meta", "link", "br", "input", "img", "hr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, set[str]]] = []
        self.around: list[tuple[str, str, set[str]]] | None = None
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, found.get("id") or "", set((found.get("class") or "").split())))
        if found.get("id") == "stamp":
            self.around = list(self.stack)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.around is not None and self.stack and self.stack[-1][1] == "stamp":
            self.text += data


def css_rules(css: str) -> list[tuple[str, str, str]]:
    """(at-rule or "", selectors, declarations) of each rule of app.css (one level of @media)."""
    rules, media, selectors = [], "", None
    for text, brace in re.findall(r"([^{}]*)([{}])", re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        text = text.strip()
        if brace == "{" and text.startswith("@"):
            media = text
        elif brace == "{":
            selectors = text
        elif selectors is not None:
            rules.append((media, selectors, text))
            selectors = None
        else:
            media = ""
    return rules


def hidden_by(css: str, element: tuple[str, str, set[str]]) -> list[str]:
    """The rules that hide ``element`` (their subject names its classes, id or tag)."""
    tag, element_id, classes = element
    found = []
    for media, selectors, declarations in css_rules(css):
        if not re.search(r"display:\s*none|visibility:\s*hidden", declarations):
            continue
        for selector in selectors.split(","):
            subject = re.split(r"[\s>+~]+", re.sub(r":not\([^)]*\)", "", selector.strip()))[-1]
            names = set(re.findall(r"\.([\w-]+)", subject))
            ids = set(re.findall(r"#([\w-]+)", subject))
            if names or ids:
                hides = names <= classes and ids <= {element_id}
            else:  # a bare element name (`footer`); attribute selectors alone are ignored
                hides = re.fullmatch(r"[a-z][\w-]*", subject) is not None and subject == tag
            if hides:
                found.append(f"{media} {selector}")
    return found


def test_a_voided_entrys_kuitansi_is_stamped_dibatalkan(app, client, world):
    entry = world["entry_a"]
    login(client, "guru_a")
    assert 'id="stamp"' not in client.get(kuitansi_url(entry)).get_data(as_text=True)
    void = void_of(entry, world["komite_a"])
    html = client.get(kuitansi_url(entry)).get_data(as_text=True)
    stamp = Stamp(html)
    assert stamp.text == "DIBATALKAN" and stamp.around is not None
    assert 'id="stamp"' not in client.get(kuitansi_url(void)).get_data(as_text=True)
    # on screen and on paper: no rule hides the stamp or what holds it, in print or not
    css = Path(app.static_folder or "", "app.css").read_text(encoding="utf-8")
    for element in stamp.around:
        assert hidden_by(css, element) == [], element
    assert hidden_by(css, ("nav", "", {"doc-bar"})) == ["@media print .doc-bar"]  # the control
    [rule] = [d for m, s, d in css_rules(css) if m == "" and s == ".stamp"]
    assert "print-color-adjust: exact" in rule and "var(--err)" in rule
    assert any(m == "@media print" and s == ".stamp" for m, s, _d in css_rules(css))
    # in English too
    client.post("/bahasa", data={"lang": "en"})
    assert Stamp(client.get(kuitansi_url(entry)).get_data(as_text=True)).text == "CANCELLED"


# --- what a check costs, and how many one address may ask ---------------------------------


def test_a_second_check_does_not_walk_the_chain_again(client, world, later, monkeypatch):
    a, komite = world["a"], world["komite_a"]
    for n in range(5):
        contribute(a, 1_000 + n, komite)
    hashed: list[int] = []
    canonical = chain._canonical
    monkeypatch.setattr(chain, "_canonical", lambda values: hashed.append(1) or canonical(values))
    walks: list[str] = []

    def statement(_conn, _cursor, sql, *_args):  # type: ignore[no-untyped-def]
        if "FROM entries" in sql and "ORDER BY entries.seq" in sql:
            walks.append(sql)

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        path = verify_path(world["entry_a"])
        assert verdict(client, path) == "✓ Kuitansi sah"
        assert (len(hashed), len(walks)) == (6, 1)  # the first check walks the chain of 6
        for _ in range(3):
            assert verdict(client, path) == "✓ Kuitansi sah"
        assert (len(hashed), len(walks)) == (6, 1)  # the next ones read none of it again
        contribute(a, 2_000, komite)
        hashed.clear()
        walks.clear()
        assert verdict(client, path) == "✓ Kuitansi sah"
        assert (len(hashed), len(walks)) == (2, 1)  # the new entry and the one it follows
        later(60)
        hashed.clear()
        assert verdict(client, path) == "✓ Kuitansi sah"
        assert len(hashed) == 7  # a minute on: the whole chain again
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)


@pytest.fixture
def limited(app):  # type: ignore[no-untyped-def]
    """Another app on the test database with the limiter on (the suite's has it off)."""
    built: list[Flask] = []

    def make(**settings: object) -> Flask:
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        new = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": uri, "RATELIMIT_ENABLED": True, **settings}
        )
        new.test_client_class = IsolatedClient
        built.append(new)
        return new

    yield make
    for new in built:
        with new.app_context():
            db.engine.dispose()


def test_checks_are_limited_per_address(limited, world):
    """120 checks a minute from one address: a school checking a Friday's 24 receipts, or a
    class group opening one shared link from behind one address, asks a fraction of that."""
    client = limited().test_client()
    assert client.application.config["RECEIPT_CHECK_LIMIT"] == "120 per minute"
    entry, here = world["entry_a"], {"REMOTE_ADDR": "203.0.113.7"}
    paths = [verify_path(entry), verify_path(entry, a="1")]  # valid or not, each counts
    for n in range(120):
        assert client.get(paths[n % 2], environ_base=here).status_code == 200, n
    refused = client.get(paths[0], environ_base=here)
    assert refused.status_code == 429
    assert "Terlalu banyak pemeriksaan kuitansi" in refused.text
    assert 'class="brand"' in refused.text and "Kuitansi sah" not in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    # another address is not held up, nor are sign-ins from this one; no sign-in is audited
    assert client.get(paths[0], environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 200
    signed_in = client.post(
        "/masuk", data={"username": "komite_a", "password": PASSWORD}, environ_base=here
    )
    assert signed_in.status_code == 303
    limited_rows = select(AuditEvent).where(AuditEvent.action == "login.limited")
    assert db.session.scalars(limited_rows).all() == []


def test_a_redis_backed_check_limit_is_shared_by_two_app_instances(limited, world):
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    server = redis.Redis.from_url(url)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    prefix = f"sas-test-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RECEIPT_CHECK_LIMIT": "3 per minute",
    }
    one, two = limited(**settings).test_client(), limited(**settings).test_client()
    path = verify_path(world["entry_a"])
    try:
        assert [c.get(path).status_code for c in (one, two, one, two, one)] == [
            200,
            200,
            200,
            429,  # the third check was counted by the other instance
            429,
        ]
        assert list(server.scan_iter(match=f"*{prefix}*"))
    finally:
        keys = list(server.scan_iter(match=f"*{prefix}*"))
        if keys:
            server.delete(*keys)
        server.close()


def test_anonymous_visitors_never_see_names_or_purposes(client, world):
    a, komite = world["a"], world["komite_a"]
    gift = contribute(a, 30_000, komite, source=Source.INDIVIDUAL, donor_name="Ratna Sari")
    recipient = make_recipient(a, name="Dewi Lestari", class_label="7B")
    spent = disburse(a, 25_000, komite, recipient)
    paths = [verify_path(gift), verify_path(spent), verify_path(spent, a="1")]
    secrets = ["Ratna Sari", "Dewi Lestari", "Seragam putih biru", "Orang tua buruh tani", "7B"]
    secrets += [a.name]
    for who in ("anon", "komite_b", "dinas"):
        if who != "anon":
            login(client, who)
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            # a random CSRF token may hold "7B" by chance: look at the page without them
            html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
            for secret in secrets:
                assert secret not in html, (who, path, secret)
        client.post("/keluar")
    # the school's own committee may see the entry, but the check page itself names nobody
    login(client, "komite_a")
    html = client.get(paths[1]).get_data(as_text=True)
    assert "Dewi Lestari" not in html and 'id="entry-link"' in html


def test_words_stay_indonesian_in_english(client, world):
    login(client, "komite_a")
    client.post("/bahasa", data={"lang": "en"})
    html = client.get(kuitansi_url(world["entry_a"])).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert text_of(html, "words") == "Seratus ribu rupiah"


def test_teacher_of_the_school_prints_but_another_school_cannot(client, world):
    spent = disburse(world["a"], 10_000, world["komite_a"], world["recipient_a"])
    login(client, "guru_a")
    assert client.get(kuitansi_url(spent)).status_code == 200
    client.post("/keluar")
    login(client, "komite_b")
    assert client.get(kuitansi_url(spent)).status_code == 404
    # school B's own entry under school A's URL is missing too
    wrong = f"/sekolah/20525555/catatan/{world['entry_b'].id}/kuitansi"
    client.post("/keluar")
    login(client, "komite_a")
    assert client.get(wrong).status_code == 404


# --- sharing and printing the kuitansi (a phone has no Ctrl+P) ------------------------------

WHATSAPP = "https://wa.me/?text="
APP_JS = re.compile(r'<script src="/static/app[^"]*\.js" defer></script>')


class Controls(HTMLParser):
    """The attributes (unescaped) of a page's share link (``#share``) and print button."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.share: dict[str, str | None] | None = None
        self.print: dict[str, str | None] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "a" and found.get("id") == "share":
            self.share = found
        elif tag == "button" and "data-print" in found:
            self.print = found


def shared_text(link: dict) -> str:
    """What the WhatsApp fallback of a share link would post."""
    assert link["href"].startswith(WHATSAPP), link["href"]
    return unquote(link["href"][len(WHATSAPP) :])


def private_entries(world) -> dict[Entry, list[str]]:
    """A named gift and an aid with a distinctive recipient and description: each entry with
    the private words its kuitansi shows."""
    a, komite = world["a"], world["komite_a"]
    gift = contribute(a, 30_000, komite, source=Source.INDIVIDUAL, donor_name="Ratna Wulandari")
    dewi = make_recipient(a, name="Dewi Kartika Sari", class_label="7B")
    aid = entries.record_disbursement(
        a,
        amount=25_000,
        occurred_on=today_wib(),
        recipient=dewi,
        category=Category.KACAMATA,
        in_kind=True,
        description="Lensa minus untuk mata kiri",
        recorded_by=komite,
        form_key=uuid.uuid4().hex,
        today=today_wib(),
    )
    db.session.commit()
    return {
        gift: ["Ratna Wulandari"],
        aid: ["Dewi Kartika Sari (7B)", "Kacamata (barang): Lensa minus untuk mata kiri"],
    }


@pytest.mark.parametrize("who", ["komite_a", "guru_a"])
def test_the_kuitansi_shares_its_public_check_and_never_a_name(client, world, who):
    entries = private_entries(world)
    secrets = ["Ratna Wulandari", "Dewi Kartika Sari", "Lensa minus", "Kacamata", "7B"]
    login(client, who)
    for entry, shown in entries.items():
        html = client.get(kuitansi_url(entry)).get_data(as_text=True)
        assert "Ctrl+P" not in html
        assert APP_JS.search(html)  # the script that shares and prints
        controls = Controls(html)
        assert controls.print is not None and "hidden" in controls.print  # shown by app.js
        link = controls.share
        assert link is not None and link["target"] == "_blank" and link["rel"] == "noopener"
        assert "Bagikan" in text_of(html, "share")
        url = "http://localhost" + verify_path(entry)  # the QR code's URL, absolute
        assert f' d="{qr_path(url)}"' in html
        assert link["data-url"] == url
        text = shared_text(link)
        assert text == f"{link['data-text']} {url}"
        assert entry.receipt_number in link["data-text"] and entry.receipt_number in text
        assert "SMP Negeri 1 Banyuwangi" in text
        assert all(words in html for words in shown)  # the page names them ...
        for secret in secrets:
            for shared in (text, link["data-text"], link["data-title"]):
                assert secret not in shared, (entry.number, secret)  # ... the share never
    # and what is shared opens a page that names nobody, for anyone
    client.post("/keluar")
    for entry in entries:
        html = client.get(verify_path(entry)).get_data(as_text=True)
        assert "Kuitansi sah" in html
        # a random CSRF token may hold "7B" by chance: look at the page without them
        html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
        for secret in secrets:
            assert secret not in html, secret


def test_the_kuitansi_shares_in_the_users_language(client, world):
    entry = world["entry_a"]
    login(client, "komite_a")
    client.post("/bahasa", data={"lang": "en"})
    html = client.get(kuitansi_url(entry)).get_data(as_text=True)
    link = Controls(html).share
    assert text_of(html, "share") == "Share"
    assert shared_text(link).startswith(f"Receipt {entry.receipt_number} from SMP Negeri 1")
    assert "Print / save as PDF" in html and "Ctrl+P" not in html


def test_another_school_gets_no_kuitansi_to_share(client, world):
    entries = private_entries(world)
    for who in ("komite_b", "guru_b"):
        login(client, who)
        for entry in entries:
            response = client.get(kuitansi_url(entry))
            assert response.status_code == 404
            assert WHATSAPP not in response.get_data(as_text=True)
        client.post("/keluar")
