"""Phone benchmark (issue 14): what recording money costs a committee member on a cheap phone.

``make phone-bench`` serves a checkout as ``make serve`` does (gunicorn with ``gunicorn.conf.py``,
``SAS_ENV=production``, a fresh SQLite file with the demo) and drives Debian's Chromium through
Playwright as an Android phone (360x640, touch, device scale factor 2, locale id-ID) on "Slow 3G":
Chrome DevTools' ``Network.emulateNetworkConditions`` with 2,000 ms of latency and 50,000 bytes/s
(400 kbit/s) each way. The browser cache stays on; the login is not measured, and every flow
starts on the dashboard, loaded once just before without throttling (its stylesheet and icon are
in the cache, as on a phone that used the app yesterday).

Every flow goes through ``Phone``, which counts what the thumb and the network cost:

- a tap: each touch on the page, including the one that focuses a text field before typing
  (unless it has focus already), 2 for a ``<select>`` (open it, pick the option), 1 for a
  checkbox or radio button;
- a typed field: each field filled;
- a scroll: the element about to be touched is not wholly inside the 360x640 screen (it is then
  scrolled to the middle of the screen; a fixed or sticky element on screen needs none);
- waiting: the wall time from a tap that navigates (a link, a submit) to the new page's ``load``
  event, redirects included, summed; with the requests that went to the network and the bytes
  received (headers and bodies) in that time (a file taken from the browser's cache, 0 bytes, is
  not counted and is listed as "cache"). Requests the browser makes after ``load`` (the favicon)
  are listed apart.

Each flow checks what it recorded: the new entry's page or the confirmation, then (outside the
measurement) the new rows of ``entries``, the fund's balance and the balance the dashboard shows.

The app's service worker (``/sw.js``) is blocked in flows (a)-(c), which measure the network path
(as before the worker, and comparable with the "before" figures). Flow (d) opens the contribution
form a second time with the worker installed and the form kept on the phone, and again with the
worker blocked. DevTools throttles each target apart: the page's conditions do not reach what the
worker fetches, so the worker gets the same Slow 3G through its own DevTools session
(``WorkerDevTools``). The run also weighs the scripts a signed-in page loads, and ``/sw.js``.

The flows are small functions over ``Phone``, one per flow, grouped per interface
(``FLOWS_TODAY``; ``--ui``). ``--label before|after`` keeps each label's figures in
``bench/phone-<label>.json`` and writes both, beside the issue's targets, between the
``<!-- phone:start -->`` and ``<!-- phone:end -->`` markers of ``bench/RESULTS.md``.
"""

# ruff: noqa: S603, S607 - subprocesses of our own fixed commands

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from load import free_port, load_average, write_section  # bench/ is the script's folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREEN = {"width": 360, "height": 640}
# Chrome's reduced user agent on Android; the major version is the Chromium that runs.
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.0.0 Mobile Safari/537.36"
)
SLOW_3G = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}
UNTHROTTLED = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
USERNAME, PASSWORD = "komite1", "sas-demo-2026"  # the demo's committee member (README)
START, END = "<!-- phone:start -->", "<!-- phone:end -->"
LABELS = ("before", "after")
TIMEOUT_MS = 90_000  # one navigation on Slow 3G; a page that takes longer is a failure


def log(message: str) -> None:
    print(message, flush=True)


# --- the phone: every touch and every wait goes through it ------------------------------------


@dataclass
class Request:
    method: str
    path: str  # ids and NPSN replaced by {id}, {npsn}
    status: int | None
    received: int  # bytes from the network: response headers and body (0 from a cache)
    after_load: bool  # after the page's load event (not part of the wait; see _request)
    from_worker: bool = False  # the page's request, answered by the service worker
    by_worker: bool = False  # the service worker's own request to the network


@dataclass
class Navigation:
    label: str
    seconds: float  # the tap to the new page's load event, wall clock
    browser_seconds: float  # the browser's own navigation start to load event
    requests: list[Request]

    @property
    def waited(self) -> list[Request]:
        return [r for r in self.requests if not r.after_load]


@dataclass
class Tally:
    taps: int = 0
    typed: int = 0
    scrolls: int = 0
    navigations: list[Navigation] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(n.seconds for n in self.navigations)

    @property
    def requests(self) -> int:
        return sum(1 for n in self.navigations for r in n.waited if r.received)

    @property
    def received(self) -> int:
        return sum(r.received for n in self.navigations for r in n.waited)


INSIDE_SCREEN = """el => {
  const r = el.getBoundingClientRect(), v = window.visualViewport;
  return r.top >= v.offsetTop && r.bottom <= v.offsetTop + v.height
      && r.left >= v.offsetLeft && r.right <= v.offsetLeft + v.width;
}"""
NAVIGATION_TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {origin: performance.timeOrigin, load: n.loadEventStart, start: n.startTime};
}"""


class WorkerDevTools:
    """A DevTools session on the service worker that controls ``page``, to throttle its network.

    Chromium throttles per DevTools target: ``Network.emulateNetworkConditions`` on the page does
    not reach the requests the worker makes itself (its race of the network against the kept
    form, the outbox). Playwright has no session for a worker, so this one goes through the
    browser's: ``Target.attachToTarget`` without ``flatten``, messages by
    ``Target.sendMessageToTarget``."""

    def __init__(self, browser: Any, page: Any, cdp: Any) -> None:
        self.page = page
        self.session = browser.new_browser_cdp_session()
        self.answers: dict[int, dict[str, Any]] = {}
        self.session.on("Target.receivedMessageFromTarget", self._received)
        context_id = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
        worker_url = urljoin(page.url, "/sw.js")
        targets = [
            t
            for t in self.session.send("Target.getTargets")["targetInfos"]
            if t["type"] == "service_worker"
            and t["browserContextId"] == context_id
            and t["url"] == worker_url
        ]
        if len(targets) != 1:
            raise RuntimeError(f"{len(targets)} service workers at {worker_url}, expected 1")
        self.session_id = self.session.send(
            "Target.attachToTarget", {"targetId": targets[0]["targetId"], "flatten": False}
        )["sessionId"]
        self.sent = 0
        self.send("Network.enable")

    def _received(self, event: dict[str, Any]) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.answers[message["id"]] = message

    def send(self, method: str, params: dict[str, Any] | None = None) -> None:
        self.sent += 1
        message = {"id": self.sent, "method": method, "params": params or {}}
        self.session.send(
            "Target.sendMessageToTarget",
            {"sessionId": self.session_id, "message": json.dumps(message)},
        )
        deadline = time.monotonic() + 10
        while self.sent not in self.answers:  # the answer comes as an event
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service worker did not answer {method}")
            self.page.wait_for_timeout(20)
        if "error" in self.answers[self.sent]:
            raise RuntimeError(f"{method} on the service worker: {self.answers[self.sent]}")


class Phone:
    """A page driven as a thumb would, counting taps, typed fields, scrolls and waits.

    Flows touch the page only through ``tap``, ``go``, ``open``, ``type`` and ``choose``; reading
    the page (``page.locator(...).inner_text()``) is free."""

    def __init__(self, page: Any, cdp: Any) -> None:
        self.page = page
        self.cdp = cdp
        self.worker: WorkerDevTools | None = None  # set once a service worker controls the page
        self.tally = Tally()
        self._seen: list[Any] = []  # every request of the page and of its worker, in order
        self._open: set[Any] = set()  # requests not finished yet
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        # the worker's own requests are the context's, not the page's
        page.context.on("request", lambda r: r.service_worker and self._started(r))
        page.context.on("requestfinished", lambda r: r.service_worker and self._ended(r))
        page.context.on("requestfailed", lambda r: r.service_worker and self._ended(r))

    def _started(self, request: Any) -> None:
        self._seen.append(request)
        self._open.add(request)

    def _ended(self, request: Any) -> None:
        self._open.discard(request)

    def throttle(self, on: bool) -> None:
        self.cdp.send("Network.emulateNetworkConditions", SLOW_3G if on else UNTHROTTLED)
        if self.worker:
            self.worker.send("Network.emulateNetworkConditions", SLOW_3G if on else UNTHROTTLED)

    def _reach(self, target: Any) -> None:
        """Scroll ``target`` onto the screen if any of it is off the screen (1 scroll)."""
        target.wait_for(state="visible")
        if not target.evaluate(INSIDE_SCREEN):
            self.tally.scrolls += 1
            target.evaluate("el => el.scrollIntoView({block: 'center', inline: 'nearest'})")

    def tap(self, target: Any) -> None:
        """A tap that stays on the page (a checkbox, a radio button, a field)."""
        self._reach(target)
        self.tally.taps += 1
        target.tap()

    def type(self, target: Any, text: str) -> None:
        """Tap the field unless it has focus, then type ``text`` into it."""
        if not target.evaluate("el => el === document.activeElement"):
            self.tap(target)
        self.tally.typed += 1
        target.fill(text)

    def choose(self, target: Any, *, label: str | None = None, index: int | None = None) -> str:
        """A ``<select>``: 2 taps, one to open the list and one to pick. Returns the label."""
        self._reach(target)
        self.tally.taps += 2
        if index is not None:
            label = target.locator("option").nth(index).inner_text().strip()
        target.select_option(label=label)
        return str(label)

    def go(self, target: Any, label: str) -> Navigation:
        """A tap that navigates (a link, a submit): wait for the new page's load event."""
        self._reach(target)
        self.tally.taps += 1
        first = len(self._seen)
        started = time.perf_counter()
        with self.page.expect_navigation(wait_until="load", timeout=TIMEOUT_MS):
            target.tap()
        seconds = time.perf_counter() - started
        self.settle()
        return self._record(label, seconds, first)

    def open(self, url: str, label: str, ready: str) -> Navigation:
        """A page opened from outside it (the browser's history, a home-screen shortcut:
        ``page.goto``, no tap counted): wait until ``ready`` (a function, run in the new page)
        returns true, the page is usable; its load event is awaited after, outside the wait."""
        first = len(self._seen)
        started = time.perf_counter()
        self.page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        self.page.wait_for_function(ready, polling="raf", timeout=TIMEOUT_MS)
        seconds = time.perf_counter() - started
        self.page.wait_for_load_state("load", timeout=TIMEOUT_MS)
        self.settle()
        return self._record(label, seconds, first)

    def _record(self, label: str, seconds: float, first: int) -> Navigation:
        timing = self.page.evaluate(NAVIGATION_TIMING)
        loaded_at = timing["origin"] + timing["load"]  # epoch ms, as Request.timing
        requests = [_request(r, loaded_at) for r in self._seen[first:]]
        navigation = Navigation(label, seconds, (timing["load"] - timing["start"]) / 1000, requests)
        self.tally.navigations.append(navigation)
        return navigation

    def settle(self) -> None:
        """Let what the page asks for after load (the favicon) finish, outside the wait: the
        thumb takes longer than that to reach the next field."""
        self.page.wait_for_timeout(150)
        deadline = time.monotonic() + 15
        while self._open and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)


def _request(request: Any, loaded_at: float) -> Request:
    """A page's request is after load when it started after it; the worker's own (the network
    side of its race, which the page does not wait for) when its answer ended after it."""
    response = request.response()
    from_worker = bool(response and response.from_service_worker)
    try:
        sizes = request.sizes()
        received = 0 if from_worker else sizes["responseHeadersSize"] + sizes["responseBodySize"]
    except Exception:  # a failed request has no sizes
        received = 0
    timing = request.timing
    start = timing.get("startTime", -1)
    end = start + max(timing.get("responseEnd", -1), 0)
    return Request(
        method=request.method,
        path=short_path(request.url),
        status=response.status if response else None,
        received=max(received, 0),
        after_load=(end if request.service_worker else start) > loaded_at + 1,
        from_worker=from_worker,
        by_worker=request.service_worker is not None,
    )


def short_path(url: str) -> str:
    path = urlsplit(url).path
    path = re.sub(r"/sekolah/\w{8}", "/sekolah/{npsn}", path)
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def rupiah_text(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def rupiah(text: str) -> int:
    """'Rp18.764.000' -> 18764000 (the page's own figure, read back)."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        raise ValueError(f"no amount in {text!r}")
    return int(digits)


# --- the flows ----------------------------------------------------------------------------------


@dataclass
class Expected:
    """An entry a flow recorded: what the new row of ``entries`` must hold."""

    kind: str  # "contribution" or "disbursement"
    amount: int
    fields: dict[str, str] = field(default_factory=dict)  # column -> value


@dataclass
class Flow:
    title: str
    run: Callable[[Phone], list[Expected]]
    worker: bool = False  # with the app's service worker (blocked otherwise)


def today_entry_page(phone: Phone, heading: str, shown: str) -> str:
    """The entry page after a save: its heading names the kind and the No Bukti."""
    page = phone.page
    title = page.locator("h1").first.inner_text()
    if heading not in title or shown not in page.locator("dl.details").inner_text():
        raise AssertionError(f"not the new entry's page: {page.url}: {title!r}")
    return title


def today_contribution(
    phone: Phone, amount: int = 25_000, class_label: str = "8B"
) -> list[Expected]:
    """(a) From the dashboard: '+ Catat pemasukan', the amount, the class (source stays 'Iuran
    kelas'), 'Simpan', the entry page."""
    page = phone.page
    phone.go(page.get_by_role("link", name="Catat pemasukan"), "+ Catat pemasukan: the form")
    phone.type(page.locator("#amount"), str(amount))
    phone.type(page.locator("#class_label"), class_label)
    phone.go(page.get_by_role("button", name="Simpan"), "Simpan: POST, 303, the entry page")
    today_entry_page(phone, "Pemasukan", "+" + rupiah_text(amount))
    return [Expected("contribution", amount, {"source": "class", "class_label": class_label})]


FRIDAY = [
    ("7A", 12_000),
    ("7B", 15_000),
    ("7C", 17_500),
    ("7D", 20_000),
    ("8A", 22_000),
    ("8B", 25_000),
    ("8C", 27_500),
    ("9A", 30_000),
    ("9B", 32_000),
    ("9C", 35_000),
]


def today_friday(phone: Phone) -> list[Expected]:
    """(b) A Friday's 10 class collections: (a) ten times, back to the dashboard in between
    through the school menu's 'Dasbor', as the app is used today."""
    page = phone.page
    balance = rupiah(page.locator("#balance").inner_text())
    expected: list[Expected] = []
    for i, (class_label, amount) in enumerate(FRIDAY):
        if i:
            menu = page.get_by_role("navigation", name="Menu sekolah")
            phone.go(menu.get_by_role("link", name="Dasbor", exact=True), "Dasbor: the dashboard")
            shown = rupiah(page.locator("#balance").inner_text())
            if shown != balance:
                raise AssertionError(f"dashboard balance {shown}, expected {balance}")
        expected += today_contribution(phone, amount, class_label)
        balance += amount
    return expected


def today_disbursement(phone: Phone) -> list[Expected]:
    """(c) From the dashboard: '− Catat penyaluran', the amount, a recipient and a need (a
    select each), 'Simpan', the entry page."""
    page = phone.page
    phone.go(page.get_by_role("link", name="Catat penyaluran"), "− Catat penyaluran: the form")
    phone.type(page.locator("#amount"), "50000")
    phone.choose(page.locator("#recipient_id"), index=2)
    phone.choose(page.locator("#category"), label="Sepatu")
    phone.go(page.get_by_role("button", name="Simpan"), "Simpan: POST, 303, the entry page")
    today_entry_page(phone, "Penyaluran", "−Rp50.000")
    return [Expected("disbursement", 50_000, {"category": "sepatu"})]


FLOWS_TODAY = {
    "a": Flow("(a) one contribution, dashboard to its page", today_contribution),
    "b": Flow("(b) a Friday: 10 class collections", today_friday),
    "c": Flow("(c) one disbursement, dashboard to its page", today_disbursement),
}


# --- the flows of the phone-first interface (issue 14) ----------------------------------------


def confirmation(phone: Phone, *shown: str) -> None:
    """The answer to a save is its confirmation: each line recorded and the new balance."""
    page = phone.page
    title = page.locator("h1").first.inner_text()
    lines = page.locator("#saved-lines").inner_text()
    if "Tersimpan" not in title or not all(text in lines for text in shown):
        raise AssertionError(f"not the confirmation of {shown}: {page.url}: {title!r} {lines!r}")


def new_contribution(phone: Phone, amount: int = 25_000, class_label: str = "8B") -> list[Expected]:
    """(a) From the dashboard: 'Catat uang masuk' opens the day's class collections; the
    class's row, 'Simpan' (on screen wherever the rows are), the confirmation."""
    page = phone.page
    phone.go(page.locator("#record-in"), "Catat uang masuk: the class collections form")
    row = page.locator(".row", has=page.locator("label", has_text=re.compile(f"^{class_label}$")))
    phone.type(row.locator("input"), f"{amount // 1000}rb")
    phone.go(page.get_by_role("button", name="Simpan"), "Simpan: POST, the confirmation")
    confirmation(phone, "+" + rupiah_text(amount), f"Iuran kelas {class_label}")
    return [Expected("contribution", amount, {"source": "class", "class_label": class_label})]


def new_friday(phone: Phone) -> list[Expected]:
    """(b) A Friday's 10 class collections: one form, a row per class, one 'Simpan'."""
    page = phone.page
    phone.go(page.locator("#record-in"), "Catat uang masuk: the class collections form")
    for class_label, amount in FRIDAY:
        label = page.locator("label", has_text=re.compile(f"^{class_label}$"))
        phone.type(page.locator(".row", has=label).locator("input"), str(amount))
    phone.go(page.get_by_role("button", name="Simpan"), "Simpan: POST, the confirmation")
    confirmation(phone, *(f"Iuran kelas {label}" for label, _ in FRIDAY))
    return [
        Expected("contribution", amount, {"source": "class", "class_label": label})
        for label, amount in FRIDAY
    ]


def unique_start(name: str, names: list[str]) -> str:
    """The fewest first letters of ``name`` that no other of ``names`` contains (the search
    keeps every name containing what is typed, and chooses the one left)."""
    for n in range(1, len(name) + 1):
        if sum(name[:n].lower() in other.lower() for other in names) == 1:
            return name[:n]
    return name


def new_disbursement(phone: Phone) -> list[Expected]:
    """(c) From the dashboard: 'Catat uang keluar'; the recipient found by typing the start of
    the name until one is left (nothing is preselected); a need; the amount; 'Simpan'."""
    page = phone.page
    phone.go(page.locator("#record-out"), "Catat uang keluar: the form")
    names = [o.strip() for o in page.locator("#recipient_id option").all_inner_texts()[1:]]
    name = names[2]  # the third child of the list, as the flow of ead0800 chose
    typed = unique_start(name, names)
    phone.type(page.locator("#recipient_id-search"), typed)
    if page.locator("#recipient_id option:checked").inner_text().strip() != name:
        raise AssertionError(f"typing {typed!r} did not choose {name!r}")
    phone.choose(page.locator("#category"), label="Sepatu")
    phone.type(page.locator("#amount"), "50rb")
    phone.go(page.get_by_role("button", name="Simpan"), "Simpan: POST, the confirmation")
    confirmation(phone, "−Rp50.000", "Sepatu untuk")
    return [Expected("disbursement", 50_000, {"category": "sepatu"})]


# The contribution form is usable: the amount field shown and enabled, and app.js has run (it
# shows the quick amounts, hidden in the HTML).
FORM_READY = """() => {
  const amount = document.getElementById('amount');
  const quick = document.querySelector('.quick[data-for="amount"]');
  return !!amount && !amount.disabled && amount.getClientRects().length > 0
      && !!quick && !quick.hidden;
}"""
# When the copy of a page kept in the worker's cache "sas-pages" was drawn (its form's
# data-drawn, Unix seconds), or null when none is kept.
KEPT_DRAWN = """async path => {
  const kept = await caches.match(path, {cacheName: 'sas-pages'});
  const found = kept && (await kept.text()).match(/data-drawn="(\\d+)"/);
  return found ? Number(found[1]) : null;
}"""


def second_visit(phone: Phone) -> list[Expected]:
    """(d) The contribution form ('Satu sumbangan') opened again from the dashboard, by
    ``page.goto`` (from the browser's history or a shortcut: no link of the dashboard leads to
    it, 'Catat uang masuk' opens the class collections), until it is usable. The navigation's
    label says which copy showed: the one the worker kept, or the network's (told apart by
    when each was drawn)."""
    page = phone.page
    form = page.url.removesuffix("/beranda") + "/sumbangan/baru"
    kept = page.evaluate(KEPT_DRAWN, urlsplit(form).path)
    if phone.worker and kept is None:
        raise AssertionError("the worker controls the page but keeps no contribution form")
    if kept is not None:  # two copies drawn in the same second could not be told apart
        page.wait_for_timeout(max(0, kept + 2 - time.time()) * 1000)
    navigation = phone.open(form, "the contribution form", FORM_READY)
    if urlsplit(page.url).path != urlsplit(form).path:
        raise AssertionError(f"not the contribution form: {page.url}")
    drawn = int(page.locator("form[data-offline]").get_attribute("data-drawn") or 0)
    navigation.label += ", the kept copy" if drawn == kept else ", from the network"
    return []


FLOWS_NEW = {
    "a": Flow("(a) one contribution, dashboard to its confirmation", new_contribution),
    "b": Flow("(b) a Friday: 10 class collections in one form", new_friday),
    "c": Flow("(c) one disbursement, dashboard to its confirmation", new_disbursement),
    "d": Flow(
        "(d) second visit to the contribution form, worker installed (until usable)",
        second_visit,
        worker=True,
    ),
    "d0": Flow("(d) the same without the worker (service workers blocked)", second_visit),
}
# "today" is the interface before issue 14 (commit ead0800: measure it with --root on a checkout
# of that commit); "new" the phone-first one.
UIS: dict[str, dict[str, Flow]] = {"today": FLOWS_TODAY, "new": FLOWS_NEW}
# How each interface shows the fund's balance on the dashboard (read back after each flow).
BALANCE = {"today": "#balance", "new": "#balance"}
TARGETS = {  # issues 14 and 15
    "a": {"taps": 3, "seconds": 6.0},
    "b": {"taps": 25, "seconds": 20.0},
    "c": {"seconds": 8.0},
    "d": {"seconds": 1.0},
}
TODAY_IN_ISSUE = {"a": "about 15.7 s, 4 taps, 2 typed, 2 scrolls", "b": "about 157 s, 60 taps"}


# --- the server ---------------------------------------------------------------------------------


def server_env(folder: Path, port: int) -> dict[str, str]:
    """``make serve``'s configuration on loopback over plain HTTP, with a throwaway secret."""
    env = dict(os.environ)
    env.update(
        SAS_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{folder / 'phone.sqlite3'}",
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback: no TLS proxy in front
        RATELIMIT_STORAGE_URI="memory://",
        SAS_EVIDENCE_FOLDER=str(folder / "evidence"),
        SAS_SCHOOL_IMPORT_FOLDER=str(folder / "imports"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG="off",
        PYTHONUNBUFFERED="1",
    )
    return env


def run(bin_dir: Path, root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def prepare(bin_dir: Path, root: Path, env: dict[str, str]) -> None:
    """Schema by ``flask db upgrade``; the demo (which refuses the production configuration,
    so it is loaded with the development one into the same file)."""
    served = run(bin_dir, root, env, "python", "-c", "import sas; print(sas.__file__)")
    if not Path(served).resolve().is_relative_to(root):
        raise RuntimeError(f"the app would come from {served}, not from {root}")
    run(bin_dir, root, env, "flask", "--app", "wsgi", "db", "upgrade")
    log(
        "  "
        + run(
            bin_dir,
            root,
            {**env, "SAS_ENV": "development"},
            "flask",
            "--app",
            "wsgi",
            "sas",
            "demo",
        )
    )


@contextmanager
def gunicorn(bin_dir: Path, root: Path, env: dict[str, str]) -> Iterator[str]:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` in ``root``, in its own process group; stopped
    (SIGTERM, then SIGKILL) whatever happens."""
    base = "http://" + env["GUNICORN_BIND"]
    out = tempfile.NamedTemporaryFile(prefix="sas-phone-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{Path(out.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not answer:\n{Path(out.name).read_text()[-3000:]}"
                )
            time.sleep(0.3)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.close()
        Path(out.name).unlink(missing_ok=True)


# --- the checks outside the measurement ---------------------------------------------------------


class Ledger:
    """The served SQLite file, read only: the new entries and the fund's balance."""

    def __init__(self, path: Path, username: str) -> None:
        self.path = path
        with self._connect() as conn:
            row = conn.execute(
                "SELECT school_id FROM users WHERE username = ?", (username,)
            ).fetchone()
        self.school_id = row[0]

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def state(self) -> tuple[int, int]:
        """(the last entry id, the fund's balance)."""
        with self._connect() as conn:
            last = conn.execute(
                "SELECT coalesce(max(id), 0) FROM entries WHERE school_id = ?", (self.school_id,)
            ).fetchone()[0]
            balance = conn.execute(
                "SELECT balance FROM funds WHERE school_id = ?", (self.school_id,)
            ).fetchone()[0]
        return last, balance

    def check(self, before: tuple[int, int], expected: list[Expected]) -> int:
        """The entries after ``before`` are exactly ``expected``, and the balance moved by them.
        Returns the balance."""
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT * FROM entries WHERE school_id = ? AND id > ? ORDER BY id",
                (self.school_id, before[0]),
            ).fetchall()
        got = [
            (r["kind"], r["amount"], {k: str(r[k]) for k in e.fields})
            for r, e in zip(rows, expected, strict=False)
        ]
        wanted = [(e.kind, e.amount, e.fields) for e in expected]
        if len(rows) != len(expected) or got != wanted:
            raise AssertionError(f"new entries {got} ({len(rows)} rows), expected {wanted}")
        moved = sum(e.amount if e.kind == "contribution" else -e.amount for e in expected)
        balance = self.state()[1]
        if balance != before[1] + moved:
            raise AssertionError(f"fund balance {balance}, expected {before[1] + moved}")
        return balance


# --- one run --------------------------------------------------------------------------------------


def phone_context(browser: Any, worker: bool = False) -> Any:
    """A fresh phone; the app's service worker allowed only when ``worker``."""
    major = browser.version.split(".")[0]
    context = browser.new_context(
        viewport=SCREEN,
        screen=SCREEN,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        user_agent=USER_AGENT.format(major=major),
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        service_workers="allow" if worker else "block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(page: Any, base: str) -> str:
    """The demo committee member's login through the form; returns the dashboard's URL."""
    page.goto(base + "/masuk")
    page.locator("#username").fill(USERNAME)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Masuk").click()
    if not re.search(r"/sekolah/\w{8}/beranda$", page.url):
        raise RuntimeError(f"after login: {page.url}, not a school's dashboard")
    return page.url


WORKER_WAIT_SECONDS = 30
CONTROLLED = "() => navigator.serviceWorker.controller !== null"
# The pages the signed-in page asks the worker to keep (offline.js, 1.5 s after load) that the
# cache "sas-pages" does not hold yet.
NOT_KEPT = """async () => {
  const wanted = (document.body.dataset.offlinePages || '').split(' ').filter(Boolean);
  const held = (await (await caches.open('sas-pages')).keys()).map(r => new URL(r.url).pathname);
  return wanted.filter(path => !held.includes(path));
}"""


def wait_for_worker(phone: Phone) -> None:
    """Until the service worker controls the page and keeps every page the page asks it to
    (the entry forms and /offline); then the worker gets its own DevTools session."""
    page = phone.page
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    missing = ["the page is not controlled"]
    while time.monotonic() < deadline:
        missing = page.evaluate(NOT_KEPT) if page.evaluate(CONTROLLED) else missing
        if not missing:
            break
        page.wait_for_timeout(100)
    else:
        raise RuntimeError(f"service worker after {WORKER_WAIT_SECONDS} s: missing {missing}")
    if phone.worker is None:
        phone.worker = WorkerDevTools(page.context.browser, page, phone.cdp)


def measure(browser: Any, base: str, ledger: Ledger, ui: str, keys: list[str]) -> dict[str, Tally]:
    """One run: the flows without the service worker on one fresh phone, then those with it on
    another."""
    tallies: dict[str, Tally] = {}
    for worker in (False, True):
        chosen = [key for key in keys if UIS[ui][key].worker is worker]
        if chosen:
            tallies.update(measure_phone(browser, base, ledger, ui, chosen, worker))
    return {key: tallies[key] for key in keys}


def measure_phone(
    browser: Any, base: str, ledger: Ledger, ui: str, keys: list[str], worker: bool
) -> dict[str, Tally]:
    """A fresh phone (empty cache), the login and a first dashboard unthrottled, then each flow
    from the dashboard under Slow 3G, each checked."""
    context = phone_context(browser, worker)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        phone = Phone(page, cdp)
        phone.throttle(False)
        dashboard = log_in(page, base)
        tallies: dict[str, Tally] = {}
        for key in keys:
            page.goto(dashboard, wait_until="load")  # the flow's start, unthrottled, not counted
            phone.settle()
            if worker:
                wait_for_worker(phone)
            before = ledger.state()
            shown = rupiah(page.locator(BALANCE[ui]).inner_text())
            if shown != before[1]:
                raise AssertionError(f"dashboard shows {shown}, the fund holds {before[1]}")
            phone.tally = Tally()
            phone.throttle(True)
            try:
                expected = UIS[ui][key].run(phone)
            finally:
                phone.throttle(False)
            balance = ledger.check(before, expected)
            page.goto(dashboard, wait_until="load")
            shown = rupiah(page.locator(BALANCE[ui]).inner_text())
            if shown != balance:
                raise AssertionError(f"after ({key}) the dashboard shows {shown}, not {balance}")
            tallies[key] = phone.tally
            t = phone.tally
            log(
                f"    ({key}) {t.taps} taps, {t.typed} typed, {t.scrolls} scrolls, "
                f"{t.seconds:.1f} s waiting, {t.requests} requests, {t.received / 1024:.1f} KB; "
                f"{len(expected)} entries checked, balance {rupiah_text(balance)}"
            )
        return tallies
    finally:
        context.close()


def weigh_scripts(browser: Any, base: str) -> dict[str, Any]:
    """The bytes of each script a signed-in page (the dashboard) loads, as served, and of the
    worker as served at /sw.js; with the Content-Encoding they came with."""
    context = phone_context(browser)
    try:
        page = context.new_page()
        log_in(page, base)
        urls = page.evaluate("() => [...document.scripts].filter(s => s.src).map(s => s.src)")
        scripts: dict[str, int] = {}
        encodings = set()
        for url in [*urls, base + "/sw.js"]:
            answer = page.request.get(url)
            if not answer.ok:
                raise RuntimeError(f"{url}: {answer.status}")
            scripts[re.sub(r"\.[0-9a-f]{10}\.js$", ".js", urlsplit(url).path)] = len(answer.body())
            encodings.add(answer.headers.get("content-encoding", "none"))
        return {"bytes": scripts, "encoding": ", ".join(sorted(encodings))}
    finally:
        context.close()


# --- figures --------------------------------------------------------------------------------------


def summarise(runs: list[dict[str, Tally]], keys: list[str], ui: str) -> dict[str, Any]:
    """Per flow: the counts (the same every run, else each is listed), waiting seconds per run,
    and per kind of navigation: how many, seconds each, the requests of one of them."""
    flows: dict[str, Any] = {}
    for key in keys:
        tallies = [r[key] for r in runs]
        navs: dict[str, dict[str, Any]] = {}
        for t in tallies:
            for n in t.navigations:
                entry = navs.setdefault(
                    n.label,
                    {
                        "label": n.label,
                        "seconds": [],
                        "browser_seconds": [],
                        "requests": [asdict(r) for r in n.requests],
                    },
                )
                entry["seconds"].append(round(n.seconds, 3))
                entry["browser_seconds"].append(round(n.browser_seconds, 3))
        for entry in navs.values():
            entry["per_run"] = len(entry["seconds"]) // len(tallies)

        def same(values: list[int]) -> int | list[int]:
            return values[0] if len(set(values)) == 1 else values

        flows[key] = {
            "title": UIS[ui][key].title,
            "taps": same([t.taps for t in tallies]),
            "typed": same([t.typed for t in tallies]),
            "scrolls": same([t.scrolls for t in tallies]),
            "seconds": [round(t.seconds, 2) for t in tallies],
            "requests": same([t.requests for t in tallies]),
            "received": same([t.received for t in tallies]),
            "navigations": list(navs.values()),
        }
    return flows


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "--no-optional-locks", "-C", str(root), *args], capture_output=True, text=True
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def describe_commit(root: Path) -> str:
    commit = git(root, "rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git(root, "status", "--porcelain") else "")


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(seconds: list[float]) -> str:
    if len(seconds) == 1:
        return f"{seconds[0]:.1f}"
    return f"{median(seconds):.1f} ({min(seconds):.1f}–{max(seconds):.1f})"


def count(value: int | list[int]) -> str:
    return str(value) if isinstance(value, int) else "/".join(map(str, value))


def kb(value: int | list[int]) -> str:
    values = [value] if isinstance(value, int) else value
    return f"{median(values) / 1024:.1f}"


def verdicts(key: str, flow: dict[str, Any]) -> list[str]:
    out = []
    target = TARGETS.get(key, {})
    if "taps" in target:
        taps = flow["taps"] if isinstance(flow["taps"], int) else max(flow["taps"])
        out.append(f"taps {'met' if taps <= target['taps'] else 'NOT met'}")
    if "seconds" in target:
        out.append(
            f"waiting {'met' if median(flow['seconds']) <= target['seconds'] else 'NOT met'}"
        )
    return out


def render(figures: dict[str, dict[str, Any]]) -> str:
    """The section of RESULTS.md: both labels' figures beside the targets, then per label where
    the seconds go."""
    any_figures = next(iter(figures.values()))
    out = [
        START,
        "# Phone benchmark (Slow 3G, 360x640)",
        "",
        "Written by `bench/phone.py` (`make phone-bench`; what it measures and how it counts: "
        "`bench/README.md`); one line of figures per label, each label's kept in "
        "`bench/phone-<label>.json`.",
        "",
        f"Phone: Debian Chromium {any_figures['chromium']} (headless) as an Android phone, "
        "360x640 CSS px, device scale factor 2, touch, Android Chrome user agent, locale id-ID. "
        "Network: DevTools `Network.emulateNetworkConditions`, 2,000 ms latency, 50,000 bytes/s "
        "(400 kbit/s) down and up. Browser cache on; the login is not measured; each flow starts "
        "on the dashboard, loaded once just before without throttling (its stylesheet and icon "
        "are in the cache, as on a phone that used the app yesterday). The app under "
        "`make serve`'s gunicorn (`gunicorn.conf.py`, `SAS_ENV=production`), the demo on a "
        "fresh SQLite file.",
        "",
        "| figures | code | UI flows | measured (UTC) | runs | machine | command |",
        "|---|---|---|---|---:|---|---|",
    ]
    for label, f in figures.items():
        out.append(
            f"| {label} | {f['commit']} | {f['ui']} | {f['date']} | {f['runs']} | {f['machine']} "
            f"| `{f['command']}` |"
        )
    out += [
        "",
        "Waiting is the sum, over the flow's navigations, of the tap to the new page's `load` "
        "event: the median over the runs (min–max). Requests and KB received are those of the "
        "waits (headers and bodies).",
        "",
        "| flow | figures | taps | typed fields | scrolls | waiting s | requests | KB received | |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    keys = sorted({k for f in figures.values() for k in f["flows"]})
    for key in keys:
        title = next(f["flows"][key]["title"] for f in figures.values() if key in f["flows"])
        target = TARGETS.get(key, {})
        out.append(
            f"| {title} | {'target' if target else ''} "
            f"| {'≤ ' + str(target['taps']) if 'taps' in target else ''} | | "
            f"| {'≤ ' + format(target['seconds'], 'g') if 'seconds' in target else ''} | | | "
            f"{TODAY_IN_ISSUE.get(key, '') and 'issue: ' + TODAY_IN_ISSUE[key]} |"
        )
        for label, f in figures.items():
            if key not in f["flows"]:
                continue
            flow = f["flows"][key]
            out.append(
                f"| | {label} | {count(flow['taps'])} | {count(flow['typed'])} | "
                f"{count(flow['scrolls'])} | {spread(flow['seconds'])} | {count(flow['requests'])} "
                f"| {kb(flow['received'])} | {', '.join(verdicts(key, flow))} |"
            )
    out += [
        "",
        "(d) opens the contribution form by `page.goto`, as from the browser's history or a "
        'home-screen shortcut (no link of the dashboard leads to it; "Catat uang masuk" opens '
        "the class collections), and its waiting ends when the form is usable: the amount field "
        "shown and enabled, and app.js has run (the quick amounts shown), not at `load`. With "
        "the worker: the page is controlled, and the cache `sas-pages` holds the pages it keeps "
        "(the three entry forms and `/offline`) before the measurement; the worker's own "
        "requests are throttled as the page's. Without: the same in a phone with service "
        'workers blocked, as are (a)–(c) (their network path). "Where the seconds go" says '
        "which copy of the form showed.",
    ]
    for label, f in figures.items():
        if "scripts" not in f:
            continue
        out += [
            "",
            f"## Page scripts: {label} ({f['commit']})",
            "",
            "The scripts a signed-in page (the dashboard) loads, and the service worker, in bytes "
            f"as served (Content-Encoding: {f['scripts']['encoding']}).",
            "",
            *script_lines(f["scripts"]),
        ]
    for label, f in figures.items():
        out += [
            "",
            f"## Where the seconds go: {label} ({f['commit']})",
            "",
            "Per kind of navigation: how many per run, seconds each (median over all of them; "
            "the browser's own navigation start to load in brackets), and one of them's "
            "requests until `load` (after it: what the browser fetched once the page had loaded; "
            '"worker:" marks the service worker\'s own requests, after load when their answer '
            'came after it; "(the worker)" an answer the worker gave).',
            "",
            "| flow | navigation | per run | s each | requests until load | after load |",
            "|---|---|---:|---:|---|---|",
        ]
        for key, flow in f["flows"].items():
            for nav in flow["navigations"]:
                until = [r for r in nav["requests"] if not r["after_load"]]
                after = [r for r in nav["requests"] if r["after_load"]]
                out.append(
                    f"| ({key}) | {nav['label']} | {nav['per_run']} | "
                    f"{median(nav['seconds']):.2f} ({median(nav['browser_seconds']):.2f}) | "
                    f"{describe(until)} | {describe(after) or '–'} |"
                )
    out.append(END)
    return "\n".join(out)


def describe(requests: list[dict[str, Any]]) -> str:
    def source(r: dict[str, Any]) -> str:
        if r.get("from_worker"):
            return f"{r['status']} (the worker)"
        return f"{r['status']} ({r['received'] / 1024:.1f} KB)" if r["received"] else "(cache)"

    return ", ".join(
        ("worker: " if r.get("by_worker") else "") + f"{r['method']} {r['path']} {source(r)}"
        for r in requests
    )


def script_lines(scripts: dict[str, Any]) -> list[str]:
    """The scripts' weight: each, the page's together, and the worker's."""
    weights = scripts["bytes"]
    page = {path: size for path, size in weights.items() if path != "/sw.js"}
    out = ["| script | bytes |", "|---|---:|"]
    out += [f"| `{path}` | {size:,} |" for path, size in page.items()]
    out.append(f"| the page's {len(page)} scripts together | {sum(page.values()):,} |")
    out.append(f"| `/sw.js` as served (the worker) | {weights.get('/sw.js', 0):,} |")
    return out


def read_figures(folder: Path) -> dict[str, dict[str, Any]]:
    figures = {}
    for label in LABELS:
        path = folder / f"phone-{label}.json"
        if path.exists():
            figures[label] = json.loads(path.read_text(encoding="utf-8"))
    return figures


def print_table(flows: dict[str, Any]) -> None:
    log("\n| flow | taps | typed | scrolls | waiting s | requests | KB received | target |")
    for key, flow in flows.items():
        log(
            f"| {flow['title']} | {count(flow['taps'])} | {count(flow['typed'])} | "
            f"{count(flow['scrolls'])} | {spread(flow['seconds'])} | {count(flow['requests'])} | "
            f"{kb(flow['received'])} | {', '.join(verdicts(key, flow))} |"
        )


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="the checkout to serve (this one)")
    parser.add_argument("--venv", type=Path, default=REPO / ".venv", help="its virtualenv")
    parser.add_argument(
        "--ui", choices=sorted(UIS), default="new", help="which flows: new, or today for ead0800"
    )
    parser.add_argument("--label", choices=LABELS, default="after", help="whose figures (after)")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with a fresh phone (3)")
    parser.add_argument("--flows", help="which flows (all of the interface's: a,b,c,d,d0)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite the section from the JSON files"
    )
    args = parser.parse_args(argv)
    args.root = args.root.resolve()
    flows = args.flows or ",".join(UIS[args.ui])
    args.keys = [k.strip() for k in flows.split(",") if k.strip()]
    unknown = [k for k in args.keys if k not in UIS[args.ui]]
    if unknown:
        parser.error(f"unknown flows {unknown}; {args.ui!r} has {sorted(UIS[args.ui])}")
    if not 1 <= args.runs <= 10:
        parser.error("--runs from 1 to 10")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/phone.py", *argv])
    folder = args.output.parent
    if args.render_only:
        write_section(args.output, render(read_figures(folder)), START, END)
        log(f"written to {args.output}")
        return 0
    if not CHROMIUM.exists():
        log(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        return 2
    catalog = args.root / "sas" / "translations" / "en" / "LC_MESSAGES" / "messages.mo"
    if not catalog.exists():
        log(f"{catalog} is missing: run `pybabel compile -d sas/translations -D messages` there")
        return 2
    # A SIGTERM ends the run through the finally clauses: gunicorn is stopped, the folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from playwright.sync_api import sync_playwright

    bin_dir = args.venv / "bin"
    tmp = Path(tempfile.mkdtemp(prefix="sas-phone-"))
    started = datetime.now(UTC)
    log(
        f"== {args.root} ({describe_commit(args.root)}), flows {args.ui!r}, label {args.label!r} =="
    )
    try:
        env = server_env(tmp, free_port())
        prepare(bin_dir, args.root, env)
        ledger = Ledger(tmp / "phone.sqlite3", USERNAME)
        with gunicorn(bin_dir, args.root, env) as base, sync_playwright() as p:
            flags = [*CHROMIUM_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)
            try:
                log(f"  gunicorn on {base}; Chromium {browser.version}")
                runs = []
                for n in range(args.runs):
                    log(f"  run {n + 1} of {args.runs}")
                    runs.append(measure(browser, base, ledger, args.ui, args.keys))
                scripts = weigh_scripts(browser, base)
                chromium = browser.version
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    flows = summarise(runs, args.keys, args.ui)
    print_table(flows)
    log("")
    log("\n".join(script_lines(scripts)))
    figures = {
        "label": args.label,
        "root": str(args.root),
        "commit": describe_commit(args.root),
        "ui": args.ui,
        "date": f"{started:%Y-%m-%d %H:%M}",
        "runs": args.runs,
        "chromium": chromium,
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, load at the end "
        + load_average(),
        "command": command,
        "flows": flows,
        "scripts": scripts,
    }
    (folder / f"phone-{args.label}.json").write_text(
        json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_section(args.output, render(read_figures(folder)), START, END)
    log(f"\nwritten to {args.output} and {folder / f'phone-{args.label}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
