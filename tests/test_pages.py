"""Light pages for a cheap phone: no CDN, no inline script or style, a strict CSP, few bytes."""

import re
from pathlib import Path

import pytest

from tests.web import login

ROOT = Path(__file__).resolve().parent.parent

PAGES = [
    "/sekolah/20525555/beranda",
    "/sekolah/20525555/buku-kas",
    "/sekolah/20525555/sumbangan/baru",
    "/sekolah/20525555/penyaluran/baru",
    "/sekolah/20525555/penerima",
    "/sekolah/20525555/penerima/baru",
    "/sekolah/20525555/bulan",
]


@pytest.fixture
def komite(client, world):
    login(client, "komite_a")
    return client


def test_templates_have_no_inline_script_style_or_external_asset():
    for template in (ROOT / "templates").rglob("*.html"):
        html = template.read_text()
        assert "<script" not in html or re.search(r"<script[^>]+src=", html), template
        assert " style=" not in html and "<style" not in html, template
        assert not re.search(r"\son[a-z]+\s*=", html), template  # no onclick= and the like
        assert not re.search(r"(src|href)=\"(https?:)?//", html), template


def test_a_strict_content_security_policy_is_sent(komite):
    response = komite.get("/sekolah/20525555/beranda")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", PAGES)
def test_pages_are_small_and_fit_a_phone(komite, url):
    response = komite.get(url)
    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    assert len(response.data) < 30_000
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', response.text)
    total = len(response.data) + sum(len(komite.get(a).data) for a in assets)
    assert total < 100_000, total


def test_the_stylesheet_is_small_and_cached(komite):
    css = komite.get("/static/app.css")
    # kept by the phone for a year under its hashed name (sas.assets): its size counts once
    assert css.status_code == 200 and len(css.data) < 24_000
    assert "@import" not in css.text and "url(" not in css.text


def test_unknown_pages_are_a_friendly_404(komite):
    response = komite.get("/nothing-here")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text
