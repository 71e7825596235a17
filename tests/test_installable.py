"""Installable on a phone's home screen (manifest, icons, theme colour), the installed app
opening on the user's own start page, and link previews (Open Graph) on the public pages."""

from __future__ import annotations

import io
import math
from html.parser import HTMLParser

import pytest
from PIL import Image, ImageChops

from sas import icons
from sas.money import format_rupiah
from tests.web import login

BRAND = (0x0B, 0x6E, 0x4F)
PUBLIC_PAGES = ["/", "/sekolah/20525555", "/sekolah?q=Negeri"]


class HeadTags(HTMLParser):
    """The <meta> and <link> tags of a page, as lists of their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.metas: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta":
            self.metas.append(found)
        elif tag == "link":
            self.links.append(found)

    def meta(self, key: str) -> str | None:
        for m in self.metas:
            if key in (m.get("property"), m.get("name")):
                return m["content"]
        return None

    def link(self, rel: str) -> dict[str, str] | None:
        return next((link for link in self.links if link.get("rel") == rel), None)


def png(client, url: str) -> Image.Image:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG"
    return image


def english(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/bahasa", data={"lang": "en", "next": "/"}).status_code == 303


# --- the manifest and its icons ------------------------------------------------------------


def test_the_manifest_describes_the_app(client, world):
    response = client.get("/manifest.webmanifest")  # public: no login
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "SAS Ledger"
    assert manifest["short_name"] == "SAS"
    assert manifest["start_url"] == "/masuk"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b6e4f"
    assert manifest["background_color"] == "#f6f8f7"
    assert manifest["lang"] == "id"
    assert "Siswa Asuh Sebaya" in manifest["description"]
    shown = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert shown == {(s, p) for s in ("192x192", "512x512") for p in ("any", "maskable")}


def test_the_manifest_speaks_the_chosen_language(client, world):
    english(client)
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["lang"] == "en"
    assert "students" in manifest["description"]


def test_the_manifest_icons_are_pngs_of_their_size(client, world):
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        side = int(icon["sizes"].split("x")[0])
        assert png(client, icon["src"]).size == (side, side)


@pytest.mark.parametrize("size", icons.SIZES)
def test_the_committed_icons_are_what_make_icons_draws(size):
    committed = Image.open(icons.FOLDER / f"icon-{size}.png").convert("RGB")
    assert ImageChops.difference(committed, icons.draw(size)).getbbox() is None


@pytest.mark.parametrize("size", icons.SIZES)
def test_the_icons_are_maskable(size):
    """Green to every corner, and all of "SAS" inside the central circle of 80% (the safe zone
    a launcher may crop to)."""
    image = icons.draw(size)
    pixels = image.load()
    for corner in ((0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)):
        assert pixels[corner] == BRAND
    centre = size / 2
    lettering = [(x, y) for x in range(size) for y in range(size) if pixels[x, y] != BRAND]
    assert lettering  # "SAS" is drawn
    assert max(math.hypot(x + 0.5 - centre, y + 0.5 - centre) for x, y in lettering) < 0.4 * size


# --- the head of every page ----------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "komite_a"])
def test_every_page_names_the_manifest_theme_colour_and_touch_icon(client, world, who):
    if who:
        login(client, who)
    page = client.get("/sekolah/20525555/beranda" if who else "/masuk")
    assert page.status_code == 200
    head = HeadTags(page.text)
    manifest = head.link("manifest")
    assert manifest is not None and manifest["href"] == "/manifest.webmanifest"
    assert manifest["crossorigin"] == "use-credentials"  # the session's language goes along
    assert head.meta("theme-color") == "#0b6e4f"
    touch = head.link("apple-touch-icon")
    assert touch is not None and png(client, touch["href"]).size == (192, 192)


# --- the start page: the installed app opens on /masuk ---------------------------------------


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("komite_a", "/sekolah/20525555/beranda"),
        ("guru_b", "/sekolah/20526666/beranda"),
        ("dinas", "/beranda"),
        ("admin", "/beranda"),
    ],
)
def test_login_sends_a_signed_in_user_to_their_start_page_in_one_redirect(
    client, world, who, start
):
    login(client, who)
    response = client.get("/masuk")
    assert response.status_code == 302
    assert response.headers["Location"] == start
    assert client.get(start).status_code == 200
    assert client.get("/").headers["Location"] == start  # the same start as the home link


def test_login_still_shows_the_form_to_a_visitor(client, world):
    response = client.get("/masuk")
    assert response.status_code == 200
    assert 'name="password"' in response.text


# --- link previews ---------------------------------------------------------------------------


def test_the_public_pages_have_link_previews_with_figures(client, world):
    # school A has Rp100.000 this school year, school B Rp50.000; both in Kabupaten Banyuwangi
    expected = {
        "/": ("Kabupaten Banyuwangi", format_rupiah(150_000)),
        "/sekolah/20525555": ("SMP Negeri 1 Banyuwangi", format_rupiah(100_000)),
        "/sekolah?q=Negeri": ("Kabupaten Banyuwangi", None),
    }
    for url, (title, collected) in expected.items():
        page = client.get(url)
        assert page.status_code == 200
        head = HeadTags(page.text)
        assert title in (head.meta("og:title") or "")
        description = head.meta("og:description") or ""
        if collected:
            assert description.startswith(f"{collected} terkumpul dan Rp0 disalurkan")
            assert "tahun ajaran" in description and "0 siswa dibantu" in description
        else:
            assert description  # the search page says what it shows: no totals of its own
        assert head.meta("og:type") == "website"
        assert head.meta("og:site_name") == "SAS Ledger"
        assert head.meta("og:locale") == "id_ID"
        assert head.meta("twitter:card") == "summary"
        assert head.meta("og:url") == "http://localhost" + url.split("?")[0]
        image = head.meta("og:image") or ""
        assert image.startswith("http://localhost/static/icons/icon-512.")
        assert png(client, image.removeprefix("http://localhost")).size == (512, 512)
        assert "Siti Aminah" not in page.text and "Budi Santoso" not in page.text


def test_the_link_previews_speak_the_chosen_language(client, world):
    english(client)
    head = HeadTags(client.get("/sekolah/20525555").text)
    assert head.meta("og:locale") == "en_US"
    assert (head.meta("og:description") or "").startswith(f"{format_rupiah(100_000)} collected")


def test_the_public_page_has_a_preview_before_there_is_any_data(client, app):
    head = HeadTags(client.get("/").text)
    assert head.meta("og:title") == "Siswa Asuh Sebaya"
    assert head.meta("og:description")


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("komite_a", "/sekolah/20525555/beranda"),
        ("guru_a", "/sekolah/20525555/buku-kas"),
        ("dinas", "/beranda"),
        ("admin", "/beranda"),
    ],
)
def test_signed_in_pages_have_no_link_previews(client, world, who, url):
    login(client, who)
    page = client.get(url)
    assert page.status_code == 200
    assert 'property="og:' not in page.text
    assert "twitter:card" not in page.text
