"""Bulk import of schools from CSV: preview, refusal of a file with any bad row, one transaction,
idempotent re-import, and a thousand schools in a handful of statements."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from sqlalchemy import event, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from sas.admin import imports
from sas.extensions import db
from sas.models import AuditEvent, Fund, Jenjang, Role, School, SchoolStatus
from tests.factories import make_kecamatan, make_user
from tests.web import login

HEADER = "npsn,name,jenjang,status,kecamatan_code"
CLEAN = f"""{HEADER}
20529001,SD Negeri 9 Genteng,SD,negeri,35.10.09
20529002,"MI Darul Ulum, Genteng",MI,swasta,35.10.09
20529003,SMP Negeri 3 Banyuwangi,SMP,negeri,35.10.16
"""


@pytest.fixture(autouse=True)
def import_folder(app, tmp_path):
    folder = tmp_path / "imports"
    app.config["SCHOOL_IMPORT_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def admin(client, world):
    login(client, "admin")
    return client


def upload(client, content: str | bytes, filename: str = "sekolah.csv"):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    # encoded here, in memory: the test client would spool a large body to a file it never closes
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        "/admin/sekolah/impor",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def confirm(client, preview):  # type: ignore[no-untyped-def]
    page = preview.text
    return client.post(
        "/admin/sekolah/impor/konfirmasi",
        data={"token": hidden(page, "token"), "digest": hidden(page, "digest")},
    )


def schools() -> dict[str, tuple]:
    return {
        s.npsn: (s.name, s.jenjang, s.status, s.kecamatan.code, s.active)
        for s in db.session.scalars(select(School))
    }


def imported_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "schools.imported"))
    )


def test_a_clean_file_is_previewed_then_imported_in_one_go(admin, world, import_folder):
    before = schools()
    preview = upload(admin, CLEAN)
    assert preview.status_code == 200
    assert "3 sekolah baru, 0 diubah, 0 tidak berubah." in preview.text
    assert "MI Darul Ulum, Genteng" in preview.text
    assert preview.text.count(">baru<") == 3
    assert schools() == before  # the preview writes nothing
    assert imported_events() == []
    assert len(list(import_folder.iterdir())) == 1

    response = confirm(admin, preview)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/sekolah"
    after = schools()
    assert after["20529002"] == (
        "MI Darul Ulum, Genteng",
        Jenjang.MI,
        SchoolStatus.SWASTA,
        "35.10.09",
        True,
    )
    assert after["20529003"][3] == "35.10.16"
    assert len(after) == 5
    new_ids = db.session.scalars(select(School.id).where(School.npsn.like("205290%"))).all()
    funds = db.session.scalars(select(Fund).where(Fund.school_id.in_(new_ids))).all()
    assert len(funds) == 3 and all(f.balance == 0 and f.last_seq == 0 for f in funds)
    [event] = imported_events()
    assert event.actor == "admin" and event.actor_id == world["admin"].id
    assert event.detail.startswith("3 baru, 0 diubah, 0 tidak berubah")
    page = admin.get("/admin/sekolah").text
    assert "Impor selesai: 3 sekolah baru, 0 diubah, 0 tidak berubah." in page
    assert list(import_folder.iterdir()) == []  # the kept file is gone
    # the same confirmation cannot be sent twice
    again = confirm(admin, preview)
    assert again.status_code == 303 and again.headers["Location"] == "/admin/sekolah/impor"
    assert len(imported_events()) == 1


def test_an_excel_file_with_bom_semicolons_and_crlf(admin, world):
    excel = "\ufeff" + CLEAN.replace(",", ";").replace('"MI Darul Ulum; Genteng"', "MI Darul Ulum")
    excel = excel.replace("\n", "\r\n") + ";;;;\r\n;;;;\r\n"  # Excel's empty trailing rows
    preview = upload(admin, excel.encode("utf-8"))
    assert preview.status_code == 200, preview.text
    assert "3 sekolah baru" in preview.text
    assert confirm(admin, preview).status_code == 303
    assert schools()["20529002"][0] == "MI Darul Ulum"


def test_columns_in_any_order_and_lenient_case(admin, world):
    content = (
        "Kecamatan_Code;NPSN;Name;Status;Jenjang\n"
        "35.10.09;p9970001;MTs Al Huda;SWASTA;mts\n"
        "35.10.09;20529004;  SMA   Negeri 1  Genteng ;Negeri;sma\n"
    )
    preview = upload(admin, content)
    assert preview.status_code == 200, preview.text
    confirm(admin, preview)
    found = schools()
    assert found["P9970001"][:3] == ("MTs Al Huda", Jenjang.MTS, SchoolStatus.SWASTA)
    assert found["20529004"][0] == "SMA Negeri 1 Genteng"


BAD = f"""{HEADER}
20529001,SD Negeri 9 Genteng,SD,negeri,35.10.09
2052900,SD Tujuh Angka,SD,negeri,35.10.09
20529003,SD Kecamatan Asing,SD,negeri,35.10.99
20529001,SD Kembar,SD,negeri,35.10.09
20529005,TK Pertiwi,TK,negeri,35.10.09
20529006,SD Status Aneh,SD,inpres,35.10.09
20529007,,SD,negeri,35.10.09
20529008,SD Negeri 8, Genteng,SD,negeri,35.10.09
20529009,SD Kurang Kolom,SD
"""


def test_a_file_with_bad_rows_is_refused_whole_with_a_message_per_row(admin, world):
    before = schools()
    preview = upload(admin, BAD)
    assert preview.status_code == 422
    page = preview.text
    assert "8 baris bermasalah. Tidak ada yang disimpan" in page
    rows = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'<td class="num">(\d+)</td>(.*?)</tr>', page, re.S)
    }
    assert set(rows) == set(range(2, 11))
    assert "error" not in rows[2] and ">baru<" in rows[2]  # the good row says what it would do
    assert "NPSN 2052900 tidak sah" in rows[3]
    assert "Kode kecamatan 35.10.99 tidak terdaftar." in rows[4]
    assert "NPSN 20529001 sudah ada di baris 2." in rows[5]
    assert "Jenjang TK tidak dikenal" in rows[6]
    assert "Status inpres tidak dikenal" in rows[7]
    assert "Kolom name kosong." in rows[8]
    assert "Kolom lebih banyak dari judulnya" in rows[9]
    assert "Kolom status kosong." in rows[10] and "Kolom kecamatan_code kosong." in rows[10]
    assert "Konfirmasi impor" not in page and 'name="token"' not in page
    assert schools() == before
    assert imported_events() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "File kosong."),
        (f"{HEADER}\n", "File tidak berisi baris sekolah"),
        ("npsn,name,jenjang,status\n20529001,SD,SD,negeri\n", "tidak ada: kecamatan_code"),
        ("20529001,SD Negeri 9 Genteng,SD,negeri,35.10.09\n", "Baris pertama harus judul kolom"),
        (f"{HEADER},alamat\n", "Kolom alamat tidak dikenal."),
        ("npsn,npsn,name,jenjang,status,kecamatan_code\n", "Kolom npsn muncul dua kali."),
        ("npsn,name\n".encode("utf-16"), "File bukan UTF-8."),
        (
            "npsn,name,jenjang,status,kecamatan_code\n1,Sekolah Ümmü,SD,negeri,35.10.09\n".encode(
                "cp1252"
            ),
            "File bukan UTF-8.",
        ),
    ],
)
def test_unreadable_files_are_refused(admin, world, content, message):
    response = upload(admin, content)
    assert response.status_code == 422
    assert message in response.text
    assert len(schools()) == 2


def test_size_and_row_limits(admin, world):
    big = HEADER + "\n" + ("x" * 1000 + "\n") * (imports.MAX_BYTES // 1000)
    response = upload(admin, big)
    assert response.status_code == 422 and "File terlalu besar" in response.text
    rows = "".join(f"2{n:07d},SD {n},SD,negeri,35.10.09\n" for n in range(imports.MAX_ROWS + 1))
    response = upload(admin, HEADER + "\n" + rows)
    assert response.status_code == 422 and "Terlalu banyak baris" in response.text
    assert len(schools()) == 2


def test_no_file_chosen(admin, world):
    response = admin.post("/admin/sekolah/impor", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Pilih file CSV." in response.text


def test_reimporting_the_same_file_changes_nothing(admin, world):
    confirm(admin, upload(admin, CLEAN))
    before = schools()
    preview = upload(admin, CLEAN)
    assert "0 sekolah baru, 0 diubah, 3 tidak berubah." in preview.text
    assert preview.text.count(">tidak berubah<") == 3
    assert confirm(admin, preview).status_code == 303
    assert schools() == before
    assert db.session.scalar(select(func.count(Fund.school_id))) == 5
    assert [e.detail.split(";")[0] for e in imported_events()] == [
        "3 baru, 0 diubah, 0 tidak berubah",
        "0 baru, 0 diubah, 3 tidak berubah",
    ]


def test_an_existing_npsn_with_other_data_is_updated_and_shown(admin, world):
    content = f"{HEADER}\n20525555,SMPN 1 Banyuwangi,SMP,swasta,35.10.09\n{CLEAN.splitlines()[1]}\n"
    preview = upload(admin, content)
    page = preview.text
    assert "1 sekolah baru, 1 diubah, 0 tidak berubah." in page
    assert "name: SMP Negeri 1 Banyuwangi → SMPN 1 Banyuwangi" in page
    assert "status: negeri → swasta" in page
    assert "kecamatan_code: 35.10.16 → 35.10.09" in page
    assert "jenjang:" not in page
    assert schools()["20525555"][0] == "SMP Negeri 1 Banyuwangi"
    confirm(admin, preview)
    db.session.expire_all()
    a = db.session.get(School, world["a"].id)
    assert (a.name, a.status, a.kecamatan.code) == (
        "SMPN 1 Banyuwangi",
        SchoolStatus.SWASTA,
        "35.10.09",
    )
    assert a.jenjang == Jenjang.SMP


def test_a_change_after_the_preview_is_shown_before_anything_is_written(admin, world):
    preview = upload(admin, f"{HEADER}\n20525555,SMP Negeri 1 Banyuwangi,SMP,negeri,35.10.16\n")
    assert "0 sekolah baru, 0 diubah, 1 tidak berubah." in preview.text
    world["a"].name = "Diubah admin lain"  # meanwhile, another admin edits the school
    db.session.commit()
    response = confirm(admin, preview)
    assert response.status_code == 409
    assert "Data sekolah berubah sejak pratinjau" in response.text
    assert "0 sekolah baru, 1 diubah, 0 tidak berubah." in response.text
    assert schools()["20525555"][0] == "Diubah admin lain"
    assert imported_events() == []
    assert confirm(admin, response).status_code == 303  # the new preview can be confirmed
    assert schools()["20525555"][0] == "SMP Negeri 1 Banyuwangi"


def test_the_kept_file_is_trusted_only_with_its_token_user_and_age(
    admin, world, app, import_folder
):
    preview = upload(admin, CLEAN)
    token, digest = hidden(preview.text, "token"), hidden(preview.text, "digest")
    url = "/admin/sekolah/impor/konfirmasi"
    for bad in ["", "../" * 5 + "etc/passwd", token[:-1] + "0" * 1, token.upper()]:
        if bad == token:
            continue
        response = admin.post(url, data={"token": bad, "digest": digest})
        assert response.status_code == 303 and response.headers["Location"].endswith("/impor")
    # another admin cannot confirm this admin's file
    make_user("admin2", Role.ADMIN)
    other = app.test_client()
    login(other, "admin2")
    response = other.post(url, data={"token": token, "digest": digest})
    assert response.status_code == 303 and response.headers["Location"].endswith("/impor")
    # a tampered digest is not the previewed plan
    response = admin.post(url, data={"token": token, "digest": "0" * 64})
    assert response.status_code == 409
    # an hour later the file has expired
    [kept] = import_folder.iterdir()
    old = time.time() - imports.KEEP_SECONDS - 1
    os.utime(kept, (old, old))
    response = admin.post(url, data={"token": token, "digest": digest})
    assert response.status_code == 303 and response.headers["Location"].endswith("/impor")
    assert len(schools()) == 2 and imported_events() == []
    # and the next upload clears it away
    upload(admin, CLEAN)
    assert kept not in list(import_folder.iterdir())


def thousand_schools() -> str:
    kecamatan = [f"35.10.{k:02d}" for k in range(1, 26)]
    lines = [HEADER.replace(",", ";")]
    for n in range(1000):
        jenjang = ["SD", "MI", "SMP", "MTs"][n % 4]
        lines.append(
            f"2054{n:04d};{jenjang} Negeri {n + 1} Banyuwangi;{jenjang};"
            f"{'negeri' if n % 3 else 'swasta'};{kecamatan[n % 25]}"
        )
    return "\r\n".join(lines) + "\r\n"


def test_a_thousand_schools_import_in_a_handful_of_statements(admin, world, app):
    for k in range(1, 26):
        make_kecamatan(f"35.10.{k:02d}", f"Kecamatan {k}")
    db.session.commit()
    content = thousand_schools()
    preview = upload(admin, content)
    assert preview.status_code == 200
    assert "1000 sekolah baru, 0 diubah, 0 tidak berubah." in preview.text

    statements = []

    def count(*_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = confirm(admin, preview)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(School.id))) == 1002
    assert db.session.scalar(select(func.count(Fund.school_id))) == 1002
    assert len(statements) < 40, len(statements)  # not one (or two) per row
    # and again: all unchanged, nothing written but the audit row
    again = upload(admin, content)
    assert "0 sekolah baru, 0 diubah, 1000 tidak berubah." in again.text
    assert confirm(admin, again).status_code == 303
    assert db.session.scalar(select(func.count(School.id))) == 1002


def test_parse_reports_file_line_numbers_and_skips_blank_lines():
    rows = imports.parse(f'{HEADER}\n\n20529001,"SD\nDua Baris",SD,negeri,35.10.09\n,,,,\n')
    [row] = rows
    assert row.line == 4  # the quoted name spans lines 3 and 4
    assert row.cells["name"] == "SD Dua Baris"
    assert imports.parse(f"{HEADER}\n20529001,SD,SD,negeri,35.10.09")[0].cells["npsn"] == (
        "20529001"
    )
