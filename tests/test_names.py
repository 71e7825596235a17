"""No child's name in what leaves the school, however it is disguised (issue 16, gap 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from sas import ledger, names
from sas.extensions import db
from tests.factories import make_recipient, make_school

ZWSP, ZWNJ, SOFT_HYPHEN, WORD_JOINER = "\u200b", "\u200c", "\u00ad", "\u2060"
CYRILLIC_I, CYRILLIC_A, GREEK_ALPHA = "\u0456", "\u0410", "\u0391"


@pytest.fixture
def schools(app):  # type: ignore[no-untyped-def]
    """The writer's school and another of the same kabupaten, each with recipients (some no
    longer helped), and a school of another kabupaten."""
    own = make_school(kecamatan="35.10.16")
    other = make_school(kecamatan="35.10.09", name="SD Negeri 4 Genteng")
    far = make_school(kecamatan="35.09.01", name="SMP Negeri 1 Jember")
    make_recipient(own, name="Dinda Aminah")
    make_recipient(own, name="Eko Prasetyo")
    make_recipient(own, name="Ani Lestari")
    make_recipient(own, name="Sukarni")
    make_recipient(own, name="M. Al Fatih", active=False)
    make_recipient(other, name="Budi Santoso")
    make_recipient(other, name="Bagus Saputra", active=False)
    make_recipient(other, name="Siti Nur Halimah")
    make_recipient(other, name="Sukarno")
    make_recipient(other, name="Berkah")
    make_recipient(far, name="Rina Wulandari")
    return {"own": own, "other": other, "far": far}


# (what is written, the words a refusal quotes, whether the name is of the writer's own school)
REFUSED = [
    ("Sepatu untuk Dinda Aminah", "dinda", True),
    ("seragam AMINAH", "aminah", True),
    (f"Sepatu untuk Din{ZWSP}da Ami{ZWNJ}nah", "dinda", True),  # zero-width inside
    (f"Tas untuk Ami{SOFT_HYPHEN}nah", "aminah", True),  # soft hyphen inside
    (f"Sepatu untuk D{CYRILLIC_I}nda", f"d{CYRILLIC_I}nda", True),  # Cyrillic look-alike
    (f"Sepatu untuk {CYRILLIC_A}minah", "\u0430minah", True),
    (f"Sepatu untuk {GREEK_ALPHA}minah", "\u03b1minah", True),  # Greek look-alike
    ("Sepatu untuk Ｄｉｎｄａ", "dinda", True),  # fullwidth
    ("Sepatu untuk 𝐃𝐢𝐧𝐝𝐚", "dinda", True),  # mathematical bold
    ("Sepatu untuk ᴅɪɴᴅᴀ", "ᴅɪɴᴅᴀ", True),  # small capitals
    ("Sepatu untuk Dìndá", "dìndá", True),  # accents
    ("Sepatu untuk DindaAminah", "dindaaminah", True),  # written together
    (f"Sepatu untuk Dinda{WORD_JOINER}Aminah", "dindaaminah", True),
    ("Sepatu untuk D1nda Am1nah", "d1nda", True),  # digits for letters
    ("Seragam 4m1n4h", "4m1n4h", True),
    ("Kacamata untuk Sukarni", "sukarni", True),  # one word of the school's own recipient
    ("Buku untuk 1estari", "1estari", True),  # 1 for l
    ("Kacamata untuk fatih", "fatih", True),  # a recipient no longer helped
    ("Kacamata untuk AlFatih", "alfatih", True),
    ("Titipan untuk Budi Santoso", "budi santoso", False),  # another school's recipient
    ("Titipan untuk BudiSantoso", "budisantoso", False),
    (f"Titipan untuk Bud{CYRILLIC_I} 5ant0so", f"bud{CYRILLIC_I} 5ant0so", False),
    ("Titipan untuk B u d i S a n t o s o", "b u d i s a n t o s o", False),
    ("Tas untuk Bagus Saputra", "bagus saputra", False),  # no longer helped, another school
    ("Uang saku Siti Halimah", "siti halimah", False),  # two words of a three-word name
]

ACCEPTED = [
    "Sepatu untuk kelas 7A",
    "Seragam putih biru",
    "Bantuan banjir",
    "Sekolah Asuh Sekolah",
    "Rp50.000 untuk 2 siswa kelas 7 (al-Qur'an, M.)",
    "Buku ekonomi kelas 9",  # "Eko" is a name; a part of a word is not
    "Seragam untuk anak-anak kelas 8 dan Daniel",  # "Ani" is a name; "anak", "Daniel" are not
    "Dindanya sudah dibantu",  # a word that only begins with a name
    "Tas bagus untuk 3 siswa",  # one word of another school's name: almost any word is one
    "Santoso",
    "Semoga berkah untuk korban banjir, sebelum Sukarno pulang",  # another school's one-word
    # names ("Sukarno", and "Berkah", "Fajar" in Java) are common words: not compared
    "Tas untuk Rina Wulandari",  # a recipient of another kabupaten is not compared
    "Bantuan 25rb untuk 10 siswa",
    "",
]


@pytest.mark.parametrize(("text", "typed", "own"), REFUSED)
def test_a_name_is_found_however_it_is_written(schools, text, typed, own):  # type: ignore[no-untyped-def]
    assert names.name_in(schools["own"], text) == names.Found(typed, own)


@pytest.mark.parametrize("text", ACCEPTED)
def test_ordinary_words_and_phrases_pass(schools, text):  # type: ignore[no-untyped-def]
    assert names.name_in(schools["own"], text) is None


def test_the_refusal_quotes_the_typed_words_and_never_names_the_other_school(schools):  # type: ignore[no-untyped-def]
    other = schools["other"]
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.refuse_child_name(schools["own"], "Titipan untuk Budi Santoso kelas 4", "note")
    message = str(refused.value)
    assert refused.value.field == "note"
    assert message == (
        "Tanpa nama siswa: “budi santoso” tampak seperti nama seorang siswa. "
        "Tulis kebutuhannya saja."
    )
    assert other.name not in message and other.npsn not in message
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.refuse_child_name(schools["own"], "Tas untuk D1nda", "description")
    assert "“d1nda” ada pada nama penerima bantuan sekolah ini" in str(refused.value)
    # the other school sees the same rule from its side: Dinda Aminah is not its recipient
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.refuse_child_name(other, "Tas untuk Dinda Aminah", "description")
    assert "“dinda aminah” tampak seperti nama seorang siswa" in str(refused.value)
    ledger.refuse_child_name(other, "Tas untuk Dinda", "description")


def test_one_query_per_check_whatever_the_number_of_names(schools):  # type: ignore[no-untyped-def]
    own = schools["own"]
    make_recipient(schools["other"], name="Nur Rahma")
    db.session.refresh(own)
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert names.name_in(own, "Kado untuk Nur Rahma") == names.Found("nur rahma", False)
        assert names.name_in(own, "Seragam putih biru") is None
        assert names.name_in(own, "2 = 50.000") is None  # no word: nothing to look up
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 2
