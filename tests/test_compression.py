"""gzip (sas.compression): which answers are compressed, that they decompress to the same body,
and which are left alone (no Accept-Encoding, a page that echoes its query, errors, files that
are compressed already, tiny bodies)."""

from __future__ import annotations

import csv
import gzip
import io
import re

import pytest
from flask import has_request_context
from werkzeug.test import EnvironBuilder

from sas import create_app
from tests.factories import contribute
from tests.web import login

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
A = "/sekolah/20525555"
TOKEN = re.compile(rb'name="csrf_token" value="[^"]+"')  # signed with the second it was made


def same_body(body: bytes) -> bytes:
    return TOKEN.sub(b'name="csrf_token" value=""', body)


def fetch(client, viewer: str | None, url: str, **headers: str):  # type: ignore[no-untyped-def]
    if viewer:
        login(client, viewer)
    return client.get(url, headers=headers)


COMPRESSED = [
    (None, "/"),
    (None, "/sw.js"),
    (None, "/manifest.webmanifest"),
    (None, "/static/app.css"),
    (None, "/static/app.js"),
    (None, "/static/offline.js"),
    ("komite_a", f"{A}/buku-kas"),
    ("komite_a", f"{A}/buku-kas.csv"),
    ("dinas", "/kabupaten/35.10"),
    ("dinas", "/kabupaten/35.10/unduh.csv"),
    ("dinas", "/api/v1/summary"),
]


@pytest.mark.parametrize(("viewer", "url"), COMPRESSED)
def test_text_answers_are_gzipped_and_decompress_to_the_same_body(client, world, app, viewer, url):
    app.config["COMPRESS_MIN_SIZE"] = 0  # the small world's JSON and CSV are short
    plain = fetch(client, viewer, url)
    packed = client.get(url, headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"  # gzip only, even when br is offered
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert same_body(gzip.decompress(packed.data)) == same_body(plain.data)
    assert "Content-Encoding" not in plain.headers


@pytest.mark.parametrize(("viewer", "url"), COMPRESSED)
@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "compress"])
def test_nothing_is_compressed_unless_gzip_is_accepted(client, world, app, viewer, url, accept):
    app.config["COMPRESS_MIN_SIZE"] = 0
    headers = {"Accept-Encoding": accept} if accept else {}
    response = fetch(client, viewer, url, **headers)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]  # the plain copy a cache may keep


@pytest.mark.parametrize(
    ("viewer", "url"),
    [
        # a page that echoes its query (the language form's "next") beside the CSRF token
        ("komite_a", f"{A}/buku-kas?page=1"),
        ("komite_a", f"{A}/buku-kas?sumber=%3Cguess%3E"),
        ("dinas", "/kabupaten/35.10?tahun=2025"),
        (None, "/sekolah?q=SMP"),
        # already compressed, or too small to gain
        ("dinas", "/sekolah/20525555/ringkasan.xlsx"),
        (None, "/static/icons/icon-192.png"),
        (None, "/healthz"),
    ],
)
def test_pages_that_echo_the_request_and_binary_files_are_not_compressed(
    client, world, viewer, url
):
    response = fetch(client, viewer, url, **GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


def test_error_pages_and_form_answers_are_not_compressed(client, world):
    login(client, "komite_a")
    missing = client.get(f"{A}/tidak-ada", headers=GZIP)
    assert missing.status_code == 404
    refused = client.post(f"{A}/sumbangan/baru", data={"amount": "x"}, headers=GZIP)
    assert refused.mimetype == "text/html"
    assert "Content-Encoding" not in missing.headers
    assert "Content-Encoding" not in refused.headers


def test_a_streamed_csv_export_arrives_whole(client, world):
    for n in range(560):  # many lines, so many chunks
        contribute(world["a"], 1_000 + n, world["komite_a"], on=world["entry_a"].occurred_on)
    login(client, "komite_a")
    plain = client.get(f"{A}/buku-kas.csv")
    packed = client.get(f"{A}/buku-kas.csv", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in packed.headers  # streamed, compressed as it goes
    text = gzip.decompress(packed.data)
    assert text == plain.data
    assert len(packed.data) < len(plain.data) / 3
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert sum(1 for r in rows if r and r[0].isdigit()) == 1 + 560


def test_a_static_file_keeps_its_caching_and_validators(client, app):
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="app.css")
    packed = client.get(url, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert packed.headers["Vary"].startswith("Accept-Encoding")
    etag = packed.headers["ETag"]
    plain = client.get(url)
    # the two encodings never share a strong validator
    assert etag == plain.headers["ETag"][:-1] + ':gzip"'
    again = client.get(url, headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(url, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_a_download_left_halfway_closes_cleanly(app, client, world):
    """A phone that loses its signal mid-download: the server closes the compressing stream and
    the export under it (its request context, its database cursor), and the next one is whole."""
    for n in range(300):
        contribute(world["a"], 1_000 + n, world["komite_a"], on=world["entry_a"].occurred_on)
    login(client, "komite_a")
    cookie = client.get_cookie("session")
    assert cookie is not None
    environ = EnvironBuilder(
        path=f"{A}/buku-kas.csv", headers={**GZIP, "Cookie": f"session={cookie.value}"}
    ).get_environ()
    started: list[str] = []
    body = app.wsgi_app(environ, lambda status, headers, exc_info=None: started.append(status))
    assert next(iter(body))  # as a WSGI server does: the first chunk, then the phone is gone
    body.close()  # type: ignore[attr-defined]
    assert started == ["200 OK"]
    assert not has_request_context()
    whole = client.get(f"{A}/buku-kas.csv", headers=GZIP)
    assert gzip.decompress(whole.data) == client.get(f"{A}/buku-kas.csv").data


def test_compression_can_be_switched_off_for_a_proxy_that_does_it(tmp_path):
    off = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.sqlite3'}",
            "COMPRESS_RESPONSES": False,
        },
    )
    response = off.test_client().get("/static/app.css", headers=GZIP, buffered=True)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
