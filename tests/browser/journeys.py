"""The browser tests' pieces: the app served over real HTTP with its seeded data, and one journey
on one viewport (``Journey``), whose every step is weighed, checked with axe-core and pictured.

The fixtures that put them together are in conftest.py; the steps' page weights travel in each
test's report (so they reach the summary from a pytest-xdist worker too): print_weights.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from sas.dates import today_wib
from sas.entries import services as entries
from sas.extensions import db
from sas.models import Jenjang, Role
from tests.factories import (
    PASSWORD,
    contribute,
    disburse,
    make_classes,
    make_kecamatan,
    make_recipient,
    make_school,
    make_user,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / os.environ.get("SAS_SCREENSHOTS", ".cache/screenshots")
WEIGHT_LIMIT = 100 * 1024  # bytes, uncompressed, every resource of one page
VIEWPORTS = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
HEAVY = ("serious", "critical")


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium, Playwright and axe are in."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-browser.txt)"
    if not AXE.exists():
        return f"axe-core is missing at {AXE.relative_to(ROOT)} (make {AXE.relative_to(ROOT)})"
    return None


# --- what every page measured -----------------------------------------------------------------

PAGE_WEIGHTS = "page weights"  # the name of a journey's weights among a report's user_properties


def print_weights(terminalreporter, weights: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    tr = terminalreporter
    tr.section("browser page weights (cold cache, uncompressed)")
    for name, size in weights.items():
        tr.write_line(f"{size / 1024:7.1f} KB  {name}")
    sizes = weights.values()
    tr.write_line(
        f"{len(weights)} pages: min {min(sizes) / 1024:.1f} KB, max {max(sizes) / 1024:.1f} KB "
        f"(limit {WEIGHT_LIMIT // 1024} KB)"
    )


# --- the app over HTTP --------------------------------------------------------------------------


@dataclass
class Server:
    app: Flask
    url: str
    world: dict


def seed(app: Flask) -> dict:
    """Two schools in two kecamatan, the four roles, recipients, class lists, and entries this
    school year and the one before (so the district report's year switch changes the figures)."""
    with app.app_context():
        make_kecamatan("35.10.09", "Genteng")
        a = make_school("20525555", "35.10.16", name="SMP Negeri 1 Banyuwangi")
        b = make_school("20526666", "35.10.09", name="SD Negeri 2 Genteng", jenjang=Jenjang.SD)
        users = {
            "komite_a": make_user("komite_a", Role.COMMITTEE, a),
            "guru_a": make_user("guru_a", Role.TEACHER, a),
            "komite_b": make_user("komite_b", Role.COMMITTEE, b),
            "dinas": make_user("dinas", Role.DISTRICT),
            "admin": make_user("admin", Role.ADMIN),
        }
        recipient = make_recipient(a)
        make_recipient(a, name="Agus Salim", class_label="9A")
        make_recipient(b, name="Budi Santoso")
        make_classes(a, "7A", "7B", "8A", "8B", "9A", "9B")
        make_classes(b, "1A", "2A")
        today = today_wib()
        last_year = date(today.year - 1 if today.month >= 7 else today.year - 2, 9, 15)
        contribute(a, 400_000, users["komite_a"], on=last_year)
        disburse(a, 150_000, users["komite_a"], recipient, on=last_year + timedelta(days=7))
        contribute(a, 100_000, users["komite_a"])
        shoes = disburse(a, 30_000, users["komite_a"], recipient)
        entries.void_entry(
            a,
            shoes,
            reason="Sepatu dikembalikan ke toko",
            recorded_by=users["komite_a"],
            form_key=uuid.uuid4().hex,
            today=today,
        )
        db.session.commit()
        contribute(b, 50_000, users["komite_b"])
        return {
            "a": a.npsn,
            "b": b.npsn,
            "a_name": a.name,
            "recipient": recipient.name,
            "void_reason": "Sepatu dikembalikan ke toko",
            "last_year": last_year,
        }


def buffered(app: Flask):  # type: ignore[no-untyped-def]
    """Each answer read whole (and its file closed) before it is sent: a browser that drops the
    connection mid-answer (a page closed while its icon loads) leaves no file open."""

    def wsgi(environ, start_response):  # type: ignore[no-untyped-def]
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            getattr(answer, "close", lambda: None)()

    return wsgi


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        pass  # one line per request would bury a failure's output


# --- one journey on one viewport -----------------------------------------------------------------


@dataclass
class Journey:
    """A page in a fresh browser context, and the record of every step it went through."""

    name: str
    viewport: str
    base: str
    page: object
    responses: list = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    heavy: list[str] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)  # "journey-viewport-NN-step" -> bytes
    steps: int = 0

    def __post_init__(self) -> None:
        page = self.page
        # A cold cache for every page: the weight counts the CSS and icon each time.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("response", self._on_response)

    def _on_response(self, response) -> None:  # type: ignore[no-untyped-def]
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.responses.clear()  # a new document: what came before belongs to another page
        self.responses.append(response)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def step(self, label: str, axe: bool = True) -> None:
        """The page now shown is one step: weigh it, check it with axe, take its picture."""
        page = self.page
        page.wait_for_load_state("load")
        self.steps += 1
        key = f"{self.name}-{self.viewport}-{self.steps:02d}-{label}"
        size = 0
        for response in list(self.responses):
            if 300 <= response.status < 400:
                continue
            size += len(response.body())
        self.weights[key] = size
        if size > WEIGHT_LIMIT:
            self.heavy.append(f"{key}: {size} bytes")
        if axe:
            page.add_script_tag(path=str(AXE))
            found = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ['violations']}))
                    .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
            )
            for v in found:
                if v["impact"] in HEAVY:
                    self.violations.append(
                        f"{key}: [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}"
                    )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{key}.png"))

    def heading(self) -> str:
        return self.page.locator("h1").first.inner_text()

    def switch_language(self, label: str, id_heading: str, en_heading: str) -> None:
        """English and back: the heading and the page's language change, then return."""
        page = self.page
        assert id_heading in self.heading()
        assert page.locator("html").get_attribute("lang") == "id"
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state("load")
        assert en_heading in self.heading()
        assert page.locator("html").get_attribute("lang") == "en"
        self.step(f"{label}-en", axe=self.viewport == "phone")  # same markup as in Indonesian
        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_load_state("load")
        assert id_heading in self.heading()
        assert page.locator("html").get_attribute("lang") == "id"

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/masuk")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="Masuk").click()
        self.page.wait_for_load_state("load")

    def menu(self, name: str) -> None:
        """Open the header's menu (a <details>) and follow its link or button ``name``."""
        page = self.page
        page.locator("details.menu > summary").click()
        panel = page.locator(".menu-panel")
        link = panel.get_by_role("link", name=name, exact=True)
        link.or_(panel.get_by_role("button", name=name, exact=True)).first.click()
        page.wait_for_load_state("load")

    def logout(self) -> None:
        self.menu("Keluar")

    def csrf_token(self) -> str:
        return self.page.locator("input[name=csrf_token]").first.input_value()

    def finish(self) -> None:
        """Fail with everything found, not just the first: every violation and heavy page."""
        problems = [*self.violations, *self.heavy]
        assert not problems, "\n".join(["accessibility or weight problems:", *problems])


def open_journey(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest, browser, server: Server, viewport: str, worker: bool
):
    """A fresh browser context on ``viewport`` for the requesting test; its page weights go into
    the test's report, for the summary at the end of the run (print_weights)."""
    name = re.sub(r"^test_", "", request.function.__name__).replace("_", "-")
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        bypass_csp=True,  # for the injected axe-core only; the app's CSP is tested elsewhere
        accept_downloads=True,
        locale="id-ID",
        service_workers="allow" if worker else "block",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    journey = Journey(name, viewport, server.url, page)
    yield journey
    request.node.user_properties.append((PAGE_WEIGHTS, journey.weights))
    context.close()
