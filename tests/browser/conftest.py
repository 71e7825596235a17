"""Browser journeys: the app served over real HTTP, driven by Debian's Chromium through Playwright.

The server is werkzeug's, in a background thread on 127.0.0.1 and a free port, over a fresh SQLite
file with CSRF on (as in production) and the login rate limit off. Each journey step goes through
``Journey.step``: it measures the page's weight on a cold cache, runs axe-core in the page and
takes a screenshot. The browser context bypasses the app's CSP (tests only): axe is injected as an
inline script, which the CSP rightly forbids.

Without Chromium (or Playwright, or axe-core, which ``make`` fetches) these tests are skipped
with the reason shown; under CI (``CI`` set) they fail instead, since .ci/run installs them.
They share one server and one browser, so pytest-xdist keeps them together on one worker
(tests/scheduling.py). The pieces are in journeys.py.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from sas import create_app
from sas.extensions import db
from tests.browser.journeys import (
    CHROMIUM,
    VIEWPORTS,
    Journey,
    QuietHandler,
    Server,
    buffered,
    missing_tools,
    open_journey,
    seed,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_tools()
    if reason is None or os.environ.get("CI"):
        return  # CI installs all three: there a missing one fails the tests
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# --- the app over HTTP and the browser --------------------------------------------------------


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.sqlite3'}",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "EVIDENCE_FOLDER": str(folder / "evidence"),
            "SCHOOL_IMPORT_FOLDER": str(folder / "imports"),
        },
    )
    with app.app_context():
        db.create_all()
    world = seed(app)
    httpd = make_server("127.0.0.1", 0, buffered(app), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Server(app, f"http://127.0.0.1:{httpd.server_port}", world)
    httpd.shutdown()
    thread.join(5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator:  # type: ignore[type-arg]
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield chromium
        chromium.close()


# --- one journey on one viewport -----------------------------------------------------------------


@pytest.fixture(params=list(VIEWPORTS))
def journey(request: pytest.FixtureRequest, browser, server: Server) -> Iterator[Journey]:  # type: ignore[no-untyped-def]
    """The pages as the server draws them, with the page scripts and without the service
    worker (sw.js), which could answer a form from its copy: test_phone_offline.py has it."""
    yield from open_journey(request, browser, server, request.param, worker=False)


@pytest.fixture
def worker_journey(request: pytest.FixtureRequest, browser, server: Server) -> Iterator[Journey]:  # type: ignore[no-untyped-def]
    """A phone with the service worker, as a committee member's phone has it."""
    yield from open_journey(request, browser, server, "phone", worker=True)
