"""Static files under content-hashed names: one round trip per page on a phone that has them."""

import hashlib
import re
from pathlib import Path

from sas.assets import IMMUTABLE, Assets
from tests.web import login

STATIC = Path(__file__).resolve().parent.parent / "static"


def digest(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def test_pages_name_static_files_by_their_content(client, world):
    login(client, "komite_a")
    page = client.get("/sekolah/20525555/beranda").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert f"/static/app.{digest('app.css')}.css" in assets
    assert f"/static/app.{digest('app.js')}.js" in assets
    assert f"/static/rupiah.{digest('rupiah.js')}.js" in assets
    assert f"/static/favicon.{digest('favicon.svg')}.svg" in assets


def test_a_hashed_name_is_kept_for_a_year(client, world):
    response = client.get(f"/static/app.{digest('app.css')}.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert response.data == (STATIC / "app.css").read_bytes()
    assert response.mimetype == "text/css"
    assert "Content-Security-Policy" in response.headers


def test_the_plain_name_and_an_old_digest_are_revalidated(client, world):
    plain = client.get("/static/app.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"
    old = client.get("/static/app.0123456789.css")  # a page drawn before a release
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    assert old.data == plain.data


def test_nothing_outside_the_folder_or_missing_is_served(client, world):
    for url in (
        "/static/no-such.0123456789.css",
        "/static/no-such.css",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/static/..%2fconfig.0123456789.py",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "a.css").write_text("a {}")
    assets = Assets(tmp_path)
    first = assets.hashed_name("a.css")
    assert re.fullmatch(r"a\.[0-9a-f]{10}\.css", first)
    assert assets.hashed_name("a.css") == first
    (tmp_path / "a.css").write_text("a { color: red }")
    assert assets.hashed_name("a.css") != first
    assert assets.hashed_name("missing.css") == "missing.css"
