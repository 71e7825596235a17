"""Two languages: Indonesian by default, English on request, and an English catalog that is
complete (every Indonesian string in the source has its English translation)."""

import re
import uuid
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from sas.dates import today_wib
from tests.web import login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "sas" / "translations" / "en" / "LC_MESSAGES"
A = "/sekolah/20525555"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_messages() -> dict[str, str]:
    """Every msgid in sas/**.py and templates/**.html, as ``make extract-messages`` finds them."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def english_catalog():  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / "messages.po", "rb") as po:
        return read_po(po, locale="en")


def test_every_indonesian_string_has_an_english_translation():
    extracted = source_messages()
    assert len(extracted) > 100  # the extraction really ran over the source
    catalog = english_catalog()
    problems = []
    for msgid, where in sorted(extracted.items()):
        message = catalog.get(msgid)
        strings = () if message is None else message.string
        strings = strings if isinstance(strings, tuple) else (strings,)  # plural forms
        if not strings or not all(strings):
            problems.append(f"untranslated ({where}): {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy ({where}): {msgid!r}")
        elif any(
            sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(s)) for s in strings
        ):
            problems.append(f"placeholders differ ({where}): {msgid!r} -> {strings!r}")
    assert not problems, "run `make extract-messages` and translate:\n" + "\n".join(problems)
    assert not catalog.fuzzy, "remove '#, fuzzy' from the catalog header"


def test_the_compiled_catalog_is_up_to_date():
    po, mo = TRANSLATIONS / "messages.po", TRANSLATIONS / "messages.mo"
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "run `make translations`"


def choose(client, lang: str, next_: str = "/masuk"):  # type: ignore[no-untyped-def]
    return client.post("/bahasa", data={"lang": lang, "next": next_})


@pytest.fixture
def english(client, world):
    response = choose(client, "en")
    assert response.status_code == 303
    assert response.headers["Location"] == "/masuk"
    return client


def test_indonesian_is_the_default(client, world):
    page = client.get("/masuk").text
    assert '<html lang="id">' in page
    assert "<h1>Masuk</h1>" in page
    assert "Kata sandi" in page


def test_the_login_page_in_english(english):
    page = english.get("/masuk").text
    assert '<html lang="en">' in page
    assert "<h1>Log in</h1>" in page
    assert "Password" in page and "Username" in page
    assert "Masuk" not in page and "Kata sandi" not in page


def test_the_language_survives_login(english):
    response = login(english, "komite_a")
    assert response.status_code == 303
    home = english.get(response.headers["Location"])  # / sends a committee member to the school
    page = english.get(home.headers["Location"]).text
    assert '<html lang="en">' in page
    assert "Log out" in page and "Current balance" in page


def test_the_school_pages_in_english(english, world):
    login(english, "komite_a")

    dashboard = english.get(f"{A}/beranda").text
    assert '<html lang="en">' in dashboard
    for shown in [
        "Dashboard",
        "Current balance",
        "Record money in",
        "Record money out",
        "The cash book is safe: no record has been changed.",
        "Money in this month",
        "Money out this month",
        "Money in, school year",
        "Money out, school year",
        "Students helped in school year",
        "Last 10 records",
        "See the full cash book",
        "Class collection 8A",
        "SAS committee",
        "Log out",
    ]:
        assert shown in dashboard, shown
    bar = dashboard.split('<nav class="bar"')[1].split("</nav>")[0]
    for shown in ["Dashboard", "Money in", "Money out", "Cash book"]:
        assert f"</b>{shown}</a>" in bar, shown
    for hidden in [
        "Saldo sekarang",
        "Dasbor",
        "Catat uang masuk",
        "Uang masuk",
        "Uang keluar",
        "Buku kas aman",
        "Iuran kelas",
        "Keluar",
    ]:
        assert hidden not in dashboard, hidden
    assert "Rp100.000" in dashboard

    book = english.get(f"{A}/buku-kas").text
    for shown in [
        "Cash book",
        "Receipt no.",
        "Description",
        "Receipts Rp100.000",  # the Buku Kas Umum's own columns, summed: Penerimaan ...
        "Payments Rp0",
        "Receipts",
        "Payments",
        "Balance",
        "Filter",
        "Download CSV",
    ]:
        assert shown in book, shown
    for hidden in [
        "Buku Kas Umum",
        "No Bukti",
        "Uraian",
        "Uang masuk",
        "Penerimaan",
        "Pengeluaran",
        "Saldo",
    ]:
        assert hidden not in book, hidden
    assert "Rp100.000" in book

    form = english.get(f"{A}/sumbangan/baru").text
    for shown in [
        "<h1>Record money in</h1>",
        "Class collections",
        "One gift",
        "Amount (Rp)",
        "<legend>From whom</legend>",
        '<label for="class_label">Class</label>',
        '<label for="donor_name">Giver\'s name</label>',
        "Date",
        "Giving is voluntary",
        ">Save</button>",
        ">Back</a>",
    ]:
        assert shown in form, shown
    for hidden in [
        "Catat uang masuk",
        "Satu sumbangan",
        "Jumlah",
        "Dari siapa",
        "Tanggal",
        "Sumbangan bersifat sukarela",
        "Simpan",
        "Kembali",
        "Cancel",
    ]:
        assert hidden not in form, hidden

    out = english.get(f"{A}/penyaluran/baru").text
    for shown in [
        "<h1>Record money out</h1>",
        "Money available",
        "Recipient",
        "Need",
        "Given in kind (not cash)",
        ">Save</button>",
        ">Back</a>",
        "Money out from Rp500.000 waits for a second committee member",
    ]:
        assert shown in out, shown
    for hidden in ["Catat uang keluar", "Uang keluar", "Penerima", "Kebutuhan", "Kembali"]:
        assert hidden not in out, hidden

    recipients = english.get(f"{A}/penerima").text
    for shown in [
        "Aid recipients",
        "Add recipient",
        "Name",
        "Class",
        "Reason for help",
        "Active",
        "Edit",
    ]:
        assert shown in recipients, shown
    for hidden in ["Penerima bantuan", "Tambah penerima", "Alasan dibantu", "Aktif", "Ubah"]:
        assert hidden not in recipients, hidden
    assert "Siti Aminah" in recipients

    new_recipient = english.get(f"{A}/penerima/baru").text
    assert ">Back</a>" in new_recipient and "Cancel" not in new_recipient
    assert "Kembali" not in new_recipient and "Batal" not in new_recipient


def test_switching_back_to_indonesian(english, world):
    login(english, "komite_a")
    assert "Current balance" in english.get(f"{A}/beranda").text
    response = choose(english, "id", A)
    assert response.status_code == 303
    assert response.headers["Location"] == A
    page = english.get(f"{A}/beranda").text
    assert '<html lang="id">' in page
    assert "Saldo sekarang" in page and "Current balance" not in page
    assert "Rp100.000" in page


def test_a_form_error_in_english(english, world):
    login(english, "komite_a")
    data = {
        "amount": "50,5",
        "occurred_on": today_wib().isoformat(),
        "source": "class",
        "class_label": "8A",
        "donor_name": "",
        "note": "",
        "form_key": uuid.uuid4().hex,
    }
    response = english.post(f"{A}/sumbangan/baru", data=data)
    assert response.status_code == 422
    error = response.text.split('id="amount-error">')[1].split("</p>")[0]
    assert error == "Write the amount in rupiah without decimals, e.g. 50000 or 50.000."


@pytest.mark.parametrize(
    "next_", ["https://evil.example/", "//evil.example/", "/\\evil.example", "", "login"]
)
def test_the_switch_only_redirects_to_this_site(client, world, next_):
    response = choose(client, "en", next_)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(english):
    response = choose(english, "fr")
    assert response.status_code == 303
    page = english.get("/masuk").text
    assert '<html lang="en">' in page and "Log in" in page
    choose(english, "xx")
    assert '<html lang="en">' in english.get("/masuk").text
