"""Is a needy child's name in a text that leaves the school (a request for help, a transfer's
note or void reason: other schools and the district read it)?

Text and names are folded alike before they are compared, so that a name cannot slip through
in disguise: compatibility forms (fullwidth, styled letters) to plain ones (NFKD), invisible
characters (zero-width spaces, soft hyphens, joiners) and accents removed, look-alike letters
of other scripts (Cyrillic, Greek...) to the Latin letter they imitate (Unicode's confusables
through ``confusable-homoglyphs``), case folded, and inside a word the digits people type for
letters read as those letters (``D1nda``), with ``l`` and ``i`` one letter since ``1`` stands
for both. Only whole words are compared, never parts of a word (``Ana`` is not in ``anak``).

Compared are the names of every recipient of the school's kabupaten, active or not:
- the writer's own school: each word of three letters or more alone (``Siti``), as before;
- every school: the whole name, and every pair, triple... of its words in order, written
  together or apart (``Budi Santoso``, ``BudiSantoso``, ``Siti Aminah`` of ``Siti Nur Aminah``).
  A single word of another school's name is not enough, nor another school's one-word name:
  across thousands of names almost every common word (``putri``, ``bagus``, ``berkah``,
  ``fajar``) is somebody's name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from confusable_homoglyphs.confusables import confusables_data
from sqlalchemy import select
from sqlalchemy.orm import aliased

from sas.extensions import db
from sas.models import Recipient, Region, School

MIN_WORD = 3  # a word of a name that counts alone: three letters or more (not "Al", "M.")
MAX_NAME_WORDS = 6  # the words of a long name whose pairs, triples... are compared
NUMBER = "#"  # the key of a word without letters: never part of a name, never joined into one
DROPPED = {"Mn", "Me", "Cf"}  # accents, enclosing marks, invisible format characters
HANGUL_FILLERS = "\u115f\u1160\u3164\uffa0"  # letters that draw nothing
LETTERS_FOR = str.maketrans("0123456789l", "oizeasgtbgi")
WORD = re.compile(r"[^\W_]+")
LATIN_LETTER = re.compile(r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: |$)")


@dataclass(frozen=True)
class Word:
    key: str  # folded, as compared
    start: int  # where it is in the original text
    end: int


@dataclass(frozen=True)
class Found:
    typed: str  # the offending words as the writer typed them (case folded, invisibles out)
    own: bool  # a name of one of the writer's own school's recipients


@lru_cache(maxsize=65536)
def _latin(char: str) -> str:
    """The ASCII letter a letter looks like (``а`` Cyrillic, ``ο`` Greek, ``ᴅ`` small capital),
    or the letter itself. Unicode's confusables first, then the letter's name, or the name of
    what it is confused with (``н`` looks like ``ʜ``, LATIN LETTER SMALL CAPITAL H)."""
    if char.isascii():
        return char
    glyphs: list[str] = [glyph["c"] for glyph in confusables_data.get(char, ())]
    for glyph in glyphs:
        if len(glyph) == 1 and glyph.isascii() and glyph.isalpha():
            return glyph
    for candidate in (char, *glyphs):
        found = len(candidate) == 1 and LATIN_LETTER.match(unicodedata.name(candidate, ""))
        if found:
            return found[1]
    return char


@lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """One character as it is compared: possibly several (``ﬁ``), possibly none (``\\u200b``)."""
    kept = [
        _latin(c)
        for c in unicodedata.normalize("NFKD", char)
        if unicodedata.category(c) not in DROPPED
        and c not in HANGUL_FILLERS
        and (unicodedata.category(c) != "Cc" or c.isspace())
    ]
    return "".join(_latin(c) for c in "".join(kept).casefold())


def words(text: str) -> list[Word]:
    """The words of ``text``, folded, each with where it is in ``text``."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for c in fold_char(char):
            folded.append(c)
            origin.append(i)
    found = []
    for match in WORD.finditer("".join(folded)):
        token = match.group()
        key = token.translate(LETTERS_FOR) if any(c.isalpha() for c in token) else NUMBER
        found.append(Word(key, origin[match.start()], origin[match.end() - 1] + 1))
    return found


@lru_cache(maxsize=32768)  # a kabupaten's names, kept between checks
def name_keys(name: str) -> tuple[frozenset[str], frozenset[str]]:
    """A recipient's name as compared: its words that count alone, and its forms written
    together (the whole name, every pair, triple... of its words in order; each with a word
    that counts alone, so ``M. Al`` gives no ``mal``)."""
    parts = [word.key for word in words(name) if word.key != NUMBER]
    alone = frozenset(part for part in parts if len(part) >= MIN_WORD)
    together = {"".join(parts)} if alone else set()
    head = parts[:MAX_NAME_WORDS]
    for size in range(2, len(head) + 1):
        for chosen in combinations(head, size):
            if any(len(part) >= MIN_WORD for part in chosen):
                together.add("".join(chosen))
    return alone, frozenset(together)


def kabupaten_names(school: School) -> list[tuple[str, int]]:
    """Every recipient's name of the school's kabupaten, active or not, with its school's id:
    one query."""
    kecamatan = aliased(Region)
    kabupaten = select(Region.parent_id).where(Region.id == school.kecamatan_id).scalar_subquery()
    rows = db.session.execute(
        select(Recipient.name, Recipient.school_id)
        .join(School, School.id == Recipient.school_id)
        .join(kecamatan, kecamatan.id == School.kecamatan_id)
        .where(kecamatan.parent_id == kabupaten)
    )
    return [(name, school_id) for name, school_id in rows]


def name_in(school: School, text: str | None) -> Found | None:
    """The first name (see the module) of a recipient of the school's kabupaten in ``text``."""
    typed = words(text or "")
    if all(word.key == NUMBER for word in typed):
        return None
    own_alone: set[str] = set()
    own_together: set[str] = set()
    others: set[str] = set()
    for name, school_id in kabupaten_names(school):
        alone, together = name_keys(name)
        if school_id == school.id:
            own_alone |= alone
            own_together |= together
        elif len(alone) >= 2:  # a one-word name elsewhere ("Berkah", "Fajar") is a common word
            others |= together
    longest = max(map(len, own_alone | own_together | others), default=0)
    for i, first in enumerate(typed):
        joined = ""
        for last in typed[i:]:
            joined += last.key
            if len(joined) > longest:
                break
            own = joined in own_together or (last is first and joined in own_alone)
            if own or joined in others:
                return Found(shown(text or "", first.start, last.end), own)
    return None


def shown(text: str, start: int, end: int) -> str:
    """What the writer typed from ``start`` to ``end``, as they can read it back: compatibility
    forms plain, invisible characters out, case folded (the form a refusal quotes)."""
    plain = unicodedata.normalize("NFKC", text[start:end])
    return "".join(c for c in plain if unicodedata.category(c) != "Cf").casefold()
