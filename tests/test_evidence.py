"""Evidence of disbursements: files judged by their bytes, images redrawn without metadata,
stored under random names, served only to the school, never replaced; the district's share."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from sas.dates import today_wib
from sas.entries import services as entries
from sas.evidence import services as evidence
from sas.extensions import db
from sas.models import Attachment, AuditEvent, Category, Entry, PendingDisbursement, Role
from tests.factories import disburse, make_school, make_user
from tests.web import login

A = "/sekolah/20525555"
B = "/sekolah/20526666"
TODAY = today_wib()
PAYLOAD = b"<script>alert('sas')</script>"
GPS = {1: "S", 2: (8.0, 13.0, 7.0), 3: "E", 4: (114.0, 22.0, 3.0)}  # near Banyuwangi


# --- files -------------------------------------------------------------------------------------


def picture(size: tuple[int, int] = (320, 160), mode: str = "RGB") -> Image.Image:
    img = Image.new(mode, size, "white" if mode == "RGB" else (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, size[0] // 2, size[1] // 2), fill=(200, 30, 30, 255))
    return img


def jpeg(size: tuple[int, int] = (320, 160), **save: object) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "JPEG", **save)
    return out.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (2400, 1200)) -> bytes:
    """A phone photo: maker, GPS position, and "rotate 90° to view" (orientation 6)."""
    exif = Image.Exif()
    exif[0x010F] = "SecretPhone"  # Make
    exif[0x0112] = 6  # Orientation
    exif[0x8825] = GPS  # GPSInfo (34853)
    return jpeg(size, exif=exif)


def png(transparent: bool = False, **save: object) -> bytes:
    out = io.BytesIO()
    picture(mode="RGBA" if transparent else "RGB").save(out, "PNG", **save)
    return out.getvalue()


def pdf(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        + body
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def upload(data: bytes, name: str = "foto.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type=content_type)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def folder(app, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    path = tmp_path / "data" / "files" / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", str(path))
    return path


@pytest.fixture
def paid(world):  # type: ignore[no-untyped-def]
    """A disbursement of school A: BKK-0002."""
    return disburse(world["a"], 20_000, world["komite_a"], world["recipient_a"])


@pytest.fixture
def komite(client, world, folder):  # type: ignore[no-untyped-def]
    login(client, "komite_a")
    return client


def attachments() -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def stored_bytes(folder, attachment: Attachment) -> bytes:  # type: ignore[no-untyped-def]
    return (folder / attachment.stored_name).read_bytes()


def add(client, entry: Entry, *files: tuple):  # type: ignore[no-untyped-def]
    """Post files as a browser would; the body is built in memory (the test client would spool
    a large one to a temporary file that it never closes)."""
    boundary, body = encode_multipart(MultiDict([("files", f) for f in files]))
    return client.post(
        f"{A}/catatan/{entry.id}/bukti",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def add_one(client, entry: Entry, data: bytes, name: str = "foto.jpg", ctype: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return add(client, entry, upload(data, name, ctype))


def attach_directly(world, entry: Entry, data: bytes) -> Attachment:  # type: ignore[no-untyped-def]
    (attachment,) = evidence.attach(
        world["a"], [evidence.prepare(data)], entry=entry, added_by=world["komite_a"]
    )
    db.session.commit()
    return attachment


def disbursement_form(world, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "amount": "20.000",
        "occurred_on": TODAY.isoformat(),
        "recipient_id": world["recipient_a"].id,
        "category": "sepatu",
        "in_kind": "y",
        "description": "Sepatu hitam no. 38",
        "form_key": uuid.uuid4().hex,
    }
    return {**data, **overrides}


# --- what is accepted, and what is stored -------------------------------------------------------


def test_a_photo_loses_its_gps_and_all_metadata_and_is_turned_upright_and_bounded(
    komite, world, paid, folder
):
    original = jpeg_with_gps()
    assert b"SecretPhone" in original  # the test photo does carry what must go
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825) == GPS

    response = add_one(komite, paid, original)
    assert response.status_code == 303

    (attachment,) = attachments()
    data = stored_bytes(folder, attachment)
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and attachment.content_type == "image/jpeg"
    assert len(stored.getexif()) == 0
    assert stored.getexif().get_ifd(0x8825) == {}
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"Exif" not in data and b"SecretPhone" not in data
    assert stored.size == (800, 1600)  # turned upright (orientation 6), longer side 1600
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_a_png_named_jpg_is_accepted_as_png_by_its_content(komite, paid, folder):
    response = add_one(komite, paid, png(transparent=True), "foto.jpg", "image/jpeg")
    assert response.status_code == 303
    (attachment,) = attachments()
    assert attachment.content_type == "image/png"  # transparency kept: stored as PNG
    assert stored_bytes(folder, attachment).startswith(b"\x89PNG\r\n\x1a\n")


def test_an_opaque_png_and_a_webp_are_stored_as_jpeg(komite, paid, folder):
    webp = io.BytesIO()
    picture().save(webp, "WEBP")
    response = add(komite, paid, upload(png(), "a.png"), upload(webp.getvalue(), "b.webp"))
    assert response.status_code == 303
    assert [a.content_type for a in attachments()] == ["image/jpeg", "image/jpeg"]
    assert all(stored_bytes(folder, a).startswith(b"\xff\xd8\xff") for a in attachments())


@pytest.mark.parametrize(
    ("data", "name", "ctype", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "foto.png", "image/png", "Hanya foto JPEG"),
        (b"GIF89a" + PAYLOAD, "foto.gif", "image/gif", "Hanya foto JPEG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "rusak.jpg", "image/jpeg", "Gambar rusak"),
        (jpeg()[:400], "terpotong.jpg", "image/jpeg", "Gambar rusak"),
        (b"%PDF-1.4\n" + b"x" * 5000, "tanpa-akhir.pdf", "application/pdf", "PDF rusak"),
        (pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>\n"), "js.pdf", "application/pdf", "skrip"),
        (pdf(b"<html><script>alert(1)</script>\n"), "html.pdf", "application/pdf", "skrip"),
        (b"", "kosong.jpg", "image/jpeg", None),
    ],
)
def test_files_that_are_not_what_we_accept_are_refused(
    komite, paid, folder, data, name, ctype, message
):  # type: ignore[no-untyped-def]
    response = add_one(komite, paid, data, name, ctype)
    assert response.status_code == 422
    if message:
        assert message in response.text
        assert name in response.text  # says which file
    assert attachments() == []
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_file_over_5_mb_is_refused_with_a_form_error(komite, paid, folder):
    big = jpeg() + b"\x00" * (6 * 1000 * 1000)
    response = add_one(komite, paid, big)
    assert response.status_code == 422
    assert "Berkas lebih dari 5 MB." in response.text
    assert attachments() == []


def test_a_request_over_the_limit_gets_the_413_page(komite, paid, folder):
    response = add_one(komite, paid, b"\xff\xd8\xff" + b"\x00" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert "Berkas terlalu besar" in response.text and "5 MB" in response.text
    assert attachments() == []


def test_too_many_files_at_once_are_refused(komite, paid):
    response = add(komite, paid, *(upload(jpeg(), f"{i}.jpg") for i in range(6)))
    assert response.status_code == 422
    assert "Paling banyak 5 berkas sekaligus." in response.text
    assert attachments() == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(komite, paid):
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, "PNG")  # 50 million pixels in a few kB
    assert len(bomb.getvalue()) < 100_000
    response = add_one(komite, paid, bomb.getvalue(), "kecil.png", "image/png")
    assert response.status_code == 422
    assert "terlalu banyak piksel" in response.text
    assert attachments() == []


def png_with_text(text: bytes) -> bytes:
    info = PngInfo()
    info.add_text("Comment", text.decode())
    return png(transparent=True, pnginfo=info)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: jpeg() + PAYLOAD, id="script appended to a jpeg"),
        pytest.param(lambda: jpeg(comment=PAYLOAD), id="script in a jpeg comment"),
        pytest.param(lambda: png_with_text(PAYLOAD), id="script in a png text chunk"),
    ],
)
def test_a_polyglot_image_loses_its_payload(komite, paid, folder, make):  # type: ignore[no-untyped-def]
    polyglot = make()
    assert PAYLOAD in polyglot
    Image.open(io.BytesIO(polyglot)).load()  # a valid image all the same
    assert add_one(komite, paid, polyglot).status_code == 303
    (attachment,) = attachments()
    data = stored_bytes(folder, attachment)
    assert PAYLOAD not in data and b"<script" not in data


def test_a_path_traversal_name_is_stored_under_a_random_name_inside_the_folder(
    komite, paid, folder, tmp_path
):
    response = add_one(komite, paid, jpeg(), "../../etc/passwd.jpg")
    assert response.status_code == 303
    (attachment,) = attachments()
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert [p.name for p in folder.iterdir()] == [attachment.stored_name]
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    stored = (folder / attachment.stored_name).relative_to(tmp_path)
    assert [f for f in files if f.suffix != ".sqlite3"] == [stored]
    assert not (tmp_path / "data" / "etc").exists() and not (tmp_path / "etc").exists()


def test_the_default_folder_is_in_the_instance_folder_outside_static(app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_FOLDER", None)
    folder = evidence.evidence_folder()
    assert folder == evidence.Path(app.instance_path) / "evidence"
    assert "static" not in folder.parts


# --- attaching when recording, and later ------------------------------------------------------


def test_evidence_is_attached_when_the_disbursement_is_recorded(komite, world, folder):
    form = komite.get(f"{A}/penyaluran/baru").text
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file"' in form and "multiple" in form

    data = disbursement_form(world, evidence=[upload(jpeg(), "nota.jpg"), upload(pdf(), "n.pdf")])
    response = komite.post(f"{A}/penyaluran/baru", data=data, content_type="multipart/form-data")
    assert response.status_code == 200  # the confirmation
    entry = db.session.scalar(select(Entry).where(Entry.seq == 2, Entry.school_id == world["a"].id))
    assert entry is not None and entry.number == "BKK-0002"
    assert [(a.entry_id, a.content_type) for a in attachments()] == [
        (entry.id, "image/jpeg"),
        (entry.id, "application/pdf"),
    ]
    page = komite.get(f"{A}/catatan/{entry.id}").text
    assert page.count('href="/sekolah/20525555/bukti/') == 2


def test_a_refused_file_records_nothing_at_all(komite, world, folder):
    data = disbursement_form(world, evidence=[upload(b"<html>", "nota.jpg")])
    response = komite.post(f"{A}/penyaluran/baru", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Hanya foto JPEG" in response.text
    assert db.session.scalar(select(func.count(Entry.id))) == 2  # the world's contributions
    assert attachments() == []


def test_a_disbursement_without_evidence_is_still_recorded(komite, world):
    response = komite.post(f"{A}/penyaluran/baru", data=disbursement_form(world))
    assert response.status_code == 200
    assert attachments() == []


def test_evidence_is_only_for_disbursements(komite, world):
    contribution = world["entry_a"]
    assert add_one(komite, contribution, jpeg()).status_code == 404
    assert "Tambah bukti" not in komite.get(f"{A}/catatan/{contribution.id}").text


def test_attaching_is_audited_with_the_no_bukti_and_the_sha256(komite, paid, folder):
    assert add(komite, paid, upload(jpeg(), "a.jpg"), upload(pdf(), "b.pdf")).status_code == 303
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.added").order_by(AuditEvent.id)
    ).all()
    assert len(rows) == 2
    for row, attachment in zip(rows, attachments(), strict=True):
        digest = hashlib.sha256(stored_bytes(folder, attachment)).hexdigest()
        assert row.target == f"attachment:{attachment.id}"
        assert row.actor == "komite_a" and row.school_id == paid.school_id
        assert "no=BKK-0002" in row.detail and f"sha256={digest}" in row.detail
        assert "a.jpg" not in row.detail and "b.pdf" not in row.detail


def test_a_pending_disbursement_can_hold_evidence(app, world, folder):
    a = world["a"]
    pending = PendingDisbursement(
        school_id=a.id,
        amount=60_000,
        requested_on=TODAY,
        recipient_id=world["recipient_a"].id,
        category=Category.SEPEDA,
        in_kind=True,
        recorded_by_id=world["komite_a"].id,
        form_key=uuid.uuid4().hex,
    )
    db.session.add(pending)
    a.fund.reserved += pending.amount  # as the approvals would (checked after each test)
    db.session.flush()
    (attachment,) = evidence.attach(
        a, [evidence.prepare(jpeg())], pending=pending, added_by=world["komite_a"]
    )
    db.session.commit()
    assert (attachment.entry_id, attachment.pending_id) == (None, pending.id)
    assert evidence.attachments_of(pending=pending) == [attachment]
    assert evidence.download_name(attachment) == f"bukti-P{pending.id}-{attachment.id}.jpg"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.added"))
    assert event.detail.startswith(f"pending={pending.id} sha256={attachment.sha256}")
    with pytest.raises(ValueError, match="exactly one"):
        evidence.attach(a, [], entry=None, pending=None, added_by=world["komite_a"])
    client = app.test_client()  # the approver sees it on the pending page, and can open it
    login(client, "guru_a")
    page = client.get(f"/sekolah/{a.npsn}/menunggu/{pending.id}").get_data(as_text=True)
    link = f"/sekolah/{a.npsn}/bukti/{attachment.id}"
    assert link in page and attachment.sha256[:12] in page
    assert client.get(link).status_code == 200


def test_attach_refuses_another_schools_disbursement(app, world, paid, folder):
    with pytest.raises(ValueError, match="another school"):
        evidence.attach(
            world["b"], [evidence.prepare(jpeg())], entry=paid, added_by=world["komite_b"]
        )
    assert attachments() == [] and not folder.exists()


# --- serving -----------------------------------------------------------------------------------


def test_a_pdf_is_served_as_a_download_with_nosniff(komite, paid, folder):
    assert add_one(komite, paid, pdf(), "nota.pdf", "application/pdf").status_code == 303
    (attachment,) = attachments()
    response = komite.get(f"{A}/bukti/{attachment.id}")
    assert response.status_code == 200
    assert response.data == pdf()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="bukti-BKK-0002-{attachment.id}.pdf"'
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_the_teacher_may_read_and_download_but_not_act(client, world, paid, folder):
    attachment = attach_directly(world, paid, jpeg())
    login(client, "guru_a")
    page = client.get(f"{A}/catatan/{paid.id}").text
    assert f'href="/sekolah/20525555/bukti/{attachment.id}"' in page
    assert "Tambah bukti" not in page and "Tandai diganti" not in page
    response = client.get(f"{A}/bukti/{attachment.id}")
    assert response.status_code == 200 and response.data == stored_bytes(folder, attachment)
    assert add_one(client, paid, jpeg()).status_code == 403
    refused = client.post(
        f"{A}/bukti/{attachment.id}/ganti", data={f"s{attachment.id}-reason": "x"}
    )
    assert refused.status_code == 403
    assert len(attachments()) == 1 and attachments()[0].superseded_at is None


@pytest.mark.parametrize(
    ("user", "status", "write_status"),
    [("komite_b", 404, 404), ("guru_b", 404, 403), ("dinas", 403, 403), ("admin", 403, 403)],
)
def test_nobody_outside_the_school_gets_a_file(
    client, world, paid, folder, user, status, write_status
):  # type: ignore[no-untyped-def]
    attachment = attach_directly(world, paid, jpeg())
    login(client, user)
    assert client.get(f"{A}/bukti/{attachment.id}").status_code == status
    # nor through their own school's address
    own = B if user in ("komite_b", "guru_b") else A
    assert client.get(f"{own}/bukti/{attachment.id}").status_code == status
    assert add_one(client, paid, jpeg()).status_code == write_status  # a teacher: role first
    response = client.post(
        f"{own}/bukti/{attachment.id}/ganti", data={f"s{attachment.id}-reason": "salah"}
    )
    assert response.status_code == write_status
    assert attachments()[0].superseded_at is None and len(attachments()) == 1


def test_a_visitor_must_log_in(client, world, paid, folder):
    attachment = attach_directly(world, paid, jpeg())
    response = client.get(f"{A}/bukti/{attachment.id}")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


# --- superseding ---------------------------------------------------------------------------


def test_a_wrong_file_is_superseded_with_a_reason_and_stays_listed(komite, world, paid, folder):
    attachment = attach_directly(world, paid, jpeg())
    stored = stored_bytes(folder, attachment)
    url = f"{A}/bukti/{attachment.id}/ganti"
    field = f"s{attachment.id}-reason"

    refused = komite.post(url, data={field: "   "})
    assert refused.status_code == 422 and "Alasan wajib diisi." in refused.text
    db.session.refresh(attachment)
    assert attachment.superseded_at is None

    response = komite.post(url, data={field: "Foto nota yang salah"})
    assert response.status_code == 303
    db.session.refresh(attachment)
    assert attachment.superseded_reason == "Foto nota yang salah"
    assert attachment.superseded_by_id == world["komite_a"].id
    assert attachment.superseded_at is not None
    assert stored_bytes(folder, attachment) == stored  # kept, unchanged
    assert komite.get(f"{A}/bukti/{attachment.id}").status_code == 200

    page = komite.get(f"{A}/catatan/{paid.id}").text
    assert re.search(rf'<del><a href="/sekolah/20525555/bukti/{attachment.id}">', page)
    assert "Foto nota yang salah" in page
    assert f'action="{url}"' not in page  # no second supersede offered

    again = komite.post(url, data={field: "lagi"})
    assert again.status_code == 303
    db.session.refresh(attachment)
    assert attachment.superseded_reason == "Foto nota yang salah"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.superseded")
    ).all()
    assert [(e.target, e.detail) for e in events] == [
        (f"attachment:{attachment.id}", "no=BKK-0002")
    ]
    assert "Foto nota" not in events[0].detail  # free text stays out of the log


def test_an_attachment_is_never_replaced_or_removed(komite, world, paid, folder):
    first = attach_directly(world, paid, jpeg())
    assert add_one(komite, paid, jpeg((100, 100))).status_code == 303
    assert [a.id for a in attachments()] == [first.id, first.id + 1]
    for method in ("put", "delete"):
        assert getattr(komite, method)(f"{A}/bukti/{first.id}").status_code == 405
    assert len(list(folder.iterdir())) == 2


# --- the district's share ----------------------------------------------------------------------


@pytest.fixture
def shares(world, folder):  # type: ignore[no-untyped-def]
    """In kecamatan 35.10.16: A has four disbursements this period: one with evidence, one
    whose only evidence is superseded, one without, one voided (with evidence); C beside it has
    none."""
    a, komite_a, siti = world["a"], world["komite_a"], world["recipient_a"]
    make_school("20527777", "35.10.16", name="SD Negeri 5 Penganjuran")
    documented, superseded, _bare, voided = (disburse(a, 10_000, komite_a, siti) for _ in range(4))
    attach_directly(world, documented, jpeg())
    attach_directly(world, documented, pdf())
    wrong = attach_directly(world, superseded, jpeg())
    evidence.supersede(wrong, reason="salah", by=komite_a)
    attach_directly(world, voided, jpeg())
    entries.void_entry(
        a, voided, reason="batal", recorded_by=komite_a, form_key=uuid.uuid4().hex, today=TODAY
    )
    db.session.commit()
    make_user("dinas2", Role.DISTRICT)
    return a


def test_evidence_shares_count_undone_disbursements_of_the_period(shares, world):
    ids = [shares.id, world["b"].id]
    assert evidence.evidence_shares(ids, TODAY, TODAY) == {shares.id: (1, 3)}
    assert evidence.evidence_shares(ids, TODAY + timedelta(days=1), TODAY + timedelta(days=9)) == {}
    assert evidence.evidence_shares([], TODAY, TODAY) == {}
    assert evidence.format_share(1, 3) == "1/3 (33%)"
    assert evidence.format_share(12, 15) == "12/15 (80%)"
    assert evidence.format_share(0, 0) == "0/0"


def test_the_kecamatan_report_shows_the_share_per_school(client, shares):
    login(client, "dinas")
    html = client.get("/kecamatan/35.10.16").text
    assert ">Bukti</th>" in html
    a_row = re.search(r"SMP Negeri 1 Banyuwangi</a></th>(.*?)</tr>", html, re.S).group(1)
    c_row = re.search(r"SD Negeri 5 Penganjuran</a></th>(.*?)</tr>", html, re.S).group(1)
    total = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    assert a_row.endswith('<td class="num">1/3 (33%)</td>')
    assert c_row.endswith('<td class="num">0/0</td>')
    assert total.rstrip().endswith('<td class="num">1/3 (33%)</td></tr>')
    assert "/bukti/" not in html and "Siti Aminah" not in html


def test_the_kecamatan_export_has_the_same_numbers(client, shares):
    login(client, "dinas")
    body = client.get("/kecamatan/35.10.16/unduh.csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0][-2:] == ["Catatan uang keluar dengan bukti", "Catatan uang keluar"]
    by_npsn = {line[0]: line[-2:] for line in lines[1:]}
    assert by_npsn["20525555"] == ["1", "3"]
    assert by_npsn["20527777"] == ["0", "0"]
    assert lines[-1][1] == "Jumlah" and lines[-1][-2:] == ["1", "3"]
