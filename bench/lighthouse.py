"""Lighthouse 12 (mobile) on the demo: performance of the public page, the login page and the
committee's main pages, and whether Chromium finds the app installable.

``make lighthouse`` serves this checkout as ``bench/phone.py`` does (gunicorn with
``gunicorn.conf.py``, ``SAS_ENV=production``, a throwaway ``SECRET_KEY``, session cookies not
``Secure`` for plain HTTP on loopback, a fresh SQLite file with the demo) and runs Lighthouse on
each page with its defaults: mobile emulation (Moto G Power, 412x823) and simulated throttling
(slow 4G, 4x CPU slowdown). Signed-in pages are the demo committee member's (``komite1``): the
script logs in with httpx (the login form's CSRF token) and hands Lighthouse the session cookie
through ``--extra-headers``.

Lighthouse 12.8.2 comes from the npm registry into ``.cache/lighthouse/`` when missing, and the
installed package must have the pinned sha512 (its ``package-lock.json`` entry, which npm
checked against the tarball it downloaded). Chromium is Debian's (``CHROME_PATH``); no browser is
downloaded (``PUPPETEER_SKIP_DOWNLOAD``, ``--ignore-scripts``).

Lighthouse 12 no longer has the PWA category nor its audits (``installable-manifest``,
``service-worker``, ...); the script checks that in the installed package and in every result.
Installability is asked of Chromium itself instead: DevTools' ``Page.getInstallabilityErrors``
(an empty list: installable) and ``Page.getAppManifest`` on each page, through Playwright, in a
persistent profile (Chromium refuses to install from an incognito one, which Playwright's
``new_context`` would be).

Figures are printed and written between ``<!-- lighthouse:start -->`` and
``<!-- lighthouse:end -->`` in ``bench/RESULTS.md``.
"""

# ruff: noqa: S603 - subprocesses of our own fixed commands

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from load import free_port, hidden, load_average, write_section  # bench/ is the script's folder
from phone import CHROMIUM, PASSWORD, USERNAME, describe_commit, gunicorn, prepare, server_env

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = REPO / ".venv" / "bin"

# The newest Lighthouse 12 release, and its tarball's sha512 (`npm view lighthouse@12.8.2
# dist.integrity`).
LIGHTHOUSE_VERSION = "12.8.2"
LIGHTHOUSE_INTEGRITY = (
    "sha512-+5SKYzVaTFj22MgoYDPNrP9tlD2/Ay7j3SxPSFD9FpPy"
    "VxGr4UtOQGKyrdZ7wCmcnBaFk0mCkPfARU3CsE0nvA=="
)
PREFIX = REPO / ".cache" / "lighthouse"
LIGHTHOUSE = PREFIX / "node_modules" / ".bin" / "lighthouse"
# Audits of the former PWA category (Lighthouse 11 and before): which the installed one still has.
PWA_AUDITS = (
    "installable-manifest",
    "service-worker",
    "splash-screen",
    "themed-omnibox",
    "maskable-icon",
    "content-width",
    "viewport",
)
START, END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Page:
    title: str
    path: str  # {npsn}: the committee member's school
    signed_in: bool


PAGES = [
    Page("public page", "/", signed_in=False),
    Page("login", "/masuk", signed_in=False),
    Page("dashboard", "/sekolah/{npsn}/beranda", signed_in=True),
    Page("one contribution (form)", "/sekolah/{npsn}/sumbangan/baru", signed_in=True),
    Page("class collections (form)", "/sekolah/{npsn}/sumbangan/kelas", signed_in=True),
    Page("cash book", "/sekolah/{npsn}/buku-kas", signed_in=True),
]


# --- Lighthouse from the npm registry -----------------------------------------------------------


def installed_integrity() -> str | None:
    """The integrity npm recorded for the installed lighthouse package (None: not installed)."""
    lock = PREFIX / "package-lock.json"
    if not LIGHTHOUSE.exists() or not lock.exists():
        return None
    package = json.loads(lock.read_text()).get("packages", {}).get("node_modules/lighthouse", {})
    if package.get("version") != LIGHTHOUSE_VERSION:
        return None
    return package.get("integrity")


def install_lighthouse() -> None:
    """``npm install --prefix .cache/lighthouse lighthouse@12.8.2`` unless it is there, then
    check the sha512 npm recorded against the pinned one."""
    if installed_integrity() == LIGHTHOUSE_INTEGRITY:
        return
    log(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {PREFIX}")
    shutil.rmtree(PREFIX, ignore_errors=True)
    PREFIX.mkdir(parents=True)
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    subprocess.run(
        [
            *("npm", "install", "--prefix", str(PREFIX), "--save-exact", "--ignore-scripts"),
            *("--no-audit", "--no-fund", f"lighthouse@{LIGHTHOUSE_VERSION}"),
        ],
        env=env,
        check=True,
    )
    got = installed_integrity()
    if got != LIGHTHOUSE_INTEGRITY:
        shutil.rmtree(PREFIX, ignore_errors=True)
        raise RuntimeError(f"lighthouse {LIGHTHOUSE_VERSION}: integrity {got}, pinned otherwise")


def lighthouse_env() -> dict[str, str]:
    return {**os.environ, "CHROME_PATH": str(CHROMIUM)}


def all_audits() -> list[str]:
    done = subprocess.run(
        [str(LIGHTHOUSE), "--list-all-audits"],
        env=lighthouse_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["audits"]


def chromium_version() -> str:
    done = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True)
    found = re.search(r"\d+(\.\d+)+", done.stdout)
    return found.group(0) if found else "(unknown version)"


def chrome_flags() -> str:
    flags = ["--headless=new", "--disable-component-update", "--disable-sync"]
    return " ".join(flags + (["--no-sandbox"] if os.geteuid() == 0 else []))


def run_lighthouse(url: str, cookie: str | None, output: Path) -> dict[str, Any]:
    """One Lighthouse run on ``url`` (mobile, simulated throttling: the defaults)."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={output}",
        f"--chrome-flags={chrome_flags()}",
        "--no-enable-error-reporting",
        "--quiet",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    subprocess.run(command, env=lighthouse_env(), check=True, timeout=300)
    return json.loads(output.read_text())


@dataclass
class Figures:
    performance: float  # 0-100
    fcp: float  # ms
    lcp: float  # ms
    tbt: float  # ms
    cls: float
    bytes: float
    accessibility: float
    best_practices: float
    seo: float


def figures(lhr: dict[str, Any]) -> Figures:
    audits, categories = lhr["audits"], lhr["categories"]

    def score(category: str) -> float:
        value = categories[category]["score"]
        return float("nan") if value is None else value * 100

    return Figures(
        performance=score("performance"),
        fcp=audits["first-contentful-paint"]["numericValue"],
        lcp=audits["largest-contentful-paint"]["numericValue"],
        tbt=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        bytes=audits["total-byte-weight"]["numericValue"],
        accessibility=score("accessibility"),
        best_practices=score("best-practices"),
        seo=score("seo"),
    )


def summary(f: Figures) -> str:
    return (
        f"performance {score_text(f.performance)}, FCP {f.fcp / 1000:.1f} s, "
        f"LCP {f.lcp / 1000:.1f} s, TBT {f.tbt:.0f} ms, CLS {f.cls:.3f}, {f.bytes / 1024:.1f} KB"
    )


def settings(lhr: dict[str, Any]) -> str:
    """What the run emulated, from its own settings (the defaults: mobile, simulated)."""
    config = lhr["configSettings"]
    screen, throttling = config["screenEmulation"], config["throttling"]
    return (
        f"{config['formFactor']} emulation ({screen['width']}x{screen['height']}, device scale "
        f"factor {screen['deviceScaleFactor']}) and {config['throttlingMethod']}d throttling "
        f"({throttling['rttMs']:.0f} ms RTT, {throttling['throughputKbps'] / 1000:.1f} Mbit/s "
        f"down, {throttling['cpuSlowdownMultiplier']:g}x CPU slowdown)"
    )


def check_page(lhr: dict[str, Any], url: str) -> None:
    """The run measured ``url`` itself (not an error page, nor the login it redirects to)."""
    if lhr.get("runtimeError"):
        raise RuntimeError(f"{url}: {lhr['runtimeError']}")
    if lhr["finalDisplayedUrl"] != url:
        raise RuntimeError(f"{url}: Lighthouse ended on {lhr['finalDisplayedUrl']}")
    requests = lhr["audits"]["network-requests"]["details"]["items"]
    document = next((r for r in requests if r["url"] == url), {"statusCode": None})
    if document["statusCode"] != 200:
        raise RuntimeError(f"{url}: answered {document['statusCode']}")


def audit_result(lhr: dict[str, Any], audit: str) -> str:
    """'pass', 'fail' or 'n/a' for an audit of the run, '(no such audit)' if it has none."""
    if audit not in lhr["audits"]:
        return "(no such audit)"
    score = lhr["audits"][audit]["score"]
    return "n/a" if score is None else ("pass" if score >= 0.9 else "fail")


def median_figures(runs: list[Figures]) -> Figures:
    fields = Figures.__dataclass_fields__
    return Figures(**{f: statistics.median(getattr(r, f) for r in runs) for f in fields})


# --- the committee member's session -------------------------------------------------------------


def log_in(base: str) -> tuple[str, str]:
    """Log ``komite1`` in through the login form: (the school's NPSN, the Cookie header)."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
        token = hidden(client.get("/masuk").text).get("csrf_token", "")
        data = {"csrf_token": token, "username": USERNAME, "password": PASSWORD, "next": ""}
        answer = client.post("/masuk", data=data)
        path = answer.url.path
        if answer.status_code != 200 or not path.startswith("/sekolah/"):
            raise RuntimeError(f"{USERNAME} could not log in: {answer.status_code} {answer.url}")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return path.split("/")[2], cookie


# --- Chromium's own installability check --------------------------------------------------------


@dataclass
class Installability:
    errors: list[str]  # Page.getInstallabilityErrors; empty: installable
    manifest: str  # the path of Page.getAppManifest's url ('' when the page links none)
    manifest_errors: list[str]  # what Chromium found wrong in the manifest itself


def error_text(error: dict[str, Any]) -> str:
    arguments = ", ".join(f"{a['name']}={a['value']}" for a in error.get("errorArguments", []))
    return error["errorId"] + (f" ({arguments})" if arguments else "")


def installability(base: str, npsn: str) -> dict[str, Installability]:
    """For each page: Chromium's installability errors and the manifest it found, in a persistent
    (not incognito) profile, logged in through the form before the first signed-in page."""
    from playwright.sync_api import sync_playwright

    found: dict[str, Installability] = {}
    profile = tempfile.mkdtemp(prefix="sas-lighthouse-profile-")
    flags = ["--disable-component-update", "--disable-sync"]
    flags += ["--no-sandbox"] if os.geteuid() == 0 else []
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=flags
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                cdp = context.new_cdp_session(page)
                signed_in = False
                for target in PAGES:
                    if target.signed_in and not signed_in:
                        log_in_browser(page, base)
                        signed_in = True
                    url = base + target.path.format(npsn=npsn)
                    page.goto(url, wait_until="load")
                    if page.url != url:
                        raise RuntimeError(f"{url}: the browser ended on {page.url}")
                    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
                    manifest = cdp.send("Page.getAppManifest")
                    found[target.title] = result = Installability(
                        errors=[error_text(e) for e in errors],
                        manifest=manifest.get("url", "").removeprefix(base),
                        manifest_errors=[e["message"] for e in manifest.get("errors", [])],
                    )
                    log(f"  {target.title}: errors {result.errors}, manifest {result.manifest!r}")
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return found


def log_in_browser(page: Any, base: str) -> None:
    page.goto(base + "/masuk", wait_until="load")
    page.locator("#username").fill(USERNAME)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Masuk").click()


# --- the report -----------------------------------------------------------------------------------


def score_text(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"  # NaN: no score


def render(
    results: dict[str, Figures],
    checks: dict[str, dict[str, str]],
    installable: dict[str, Installability],
    pwa_audits_left: list[str],
    meta: dict[str, str],
) -> str:
    gone = [a for a in PWA_AUDITS if a not in pwa_audits_left]
    out = [
        START,
        "# Lighthouse (mobile)",
        "",
        f"Written by `bench/lighthouse.py` (`make lighthouse`) on {meta['date']} UTC: Lighthouse "
        f"{meta['lighthouse']} (npm, pinned sha512), Debian Chromium {meta['chromium']} headless, "
        f"Lighthouse's defaults: {meta['settings']}. The app under "
        "gunicorn (`gunicorn.conf.py`, `SAS_ENV=production`) on the demo (fresh SQLite file); "
        "signed-in pages as `komite1`. Code "
        f"{meta['commit']}; {meta['machine']}. Each figure is the median of {meta['runs']} "
        f"run(s). Command: `{meta['command']}`.",
        "",
        "| page | performance | FCP s | LCP s | TBT ms | CLS | KB transferred "
        "| accessibility | best practices | SEO | is-on-https | viewport |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for title, f in results.items():
        out.append(
            f"| {title} | {score_text(f.performance)} | {f.fcp / 1000:.1f} | {f.lcp / 1000:.1f} "
            f"| {f.tbt:.0f} | {f.cls:.3f} | {f.bytes / 1024:.1f} | {score_text(f.accessibility)} "
            f"| {score_text(f.best_practices)} | {score_text(f.seo)} "
            f"| {checks[title]['is-on-https']} | {checks[title]['viewport']} |"
        )
    out += ["", "## Installability", ""]
    if "installable-manifest" in pwa_audits_left:
        out.append("Lighthouse still has the `installable-manifest` audit.")
    else:
        out.append(
            f"Lighthouse {meta['lighthouse']} has **no `installable-manifest` audit**: version 12 "
            "removed the PWA category with its audits (GoogleChrome/lighthouse#15535; of the "
            "former PWA audits, these are gone: "
            f"{', '.join(f'`{a}`' for a in gone)}; left: "
            f"{', '.join(f'`{a}`' for a in pwa_audits_left) or 'none'}; checked in "
            "`lighthouse --list-all-audits` and in every result). Installability is Chromium's "
            "own check instead: DevTools' `Page.getInstallabilityErrors` (none: installable) and "
            "`Page.getAppManifest` on each page, in a persistent profile (not incognito)."
        )
    out += [
        "",
        "| page | installable | Chromium's installability errors | manifest | manifest errors |",
        "|---|---|---|---|---|",
    ]
    for title, i in installable.items():
        errors = "; ".join(f"`{e}`" for e in i.errors) or "–"
        manifest = f"`{i.manifest}`" if i.manifest else "(none)"
        out.append(
            f"| {title} | {'no' if i.errors else 'yes'} | {errors} | {manifest} "
            f"| {'; '.join(i.manifest_errors) or '–'} |"
        )
    out.append(END)
    return "\n".join(out)


# --- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page (3)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 9:
        parser.error("--runs from 1 to 9")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not CHROMIUM.exists():
        log(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        return 2
    # A SIGTERM ends the run through the finally clauses: gunicorn is stopped, the folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    install_lighthouse()
    listed = all_audits()
    pwa_audits_left = {a for a in PWA_AUDITS if a in listed}
    log(f"Lighthouse {LIGHTHOUSE_VERSION}; of the PWA audits it has: {sorted(pwa_audits_left)}")
    started = datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix="sas-lighthouse-"))
    results: dict[str, Figures] = {}
    checks: dict[str, dict[str, str]] = {}
    try:
        env = server_env(tmp, free_port())
        prepare(BIN, REPO, env)
        with gunicorn(BIN, REPO, env) as base:
            npsn, cookie = log_in(base)
            log(f"gunicorn on {base}; {USERNAME} signed in (school {npsn})")
            for page in PAGES:
                url = base + page.path.format(npsn=npsn)
                runs = []
                for n in range(args.runs):
                    lhr = run_lighthouse(url, cookie if page.signed_in else None, tmp / "lhr.json")
                    check_page(lhr, url)
                    pwa_audits_left |= {a for a in PWA_AUDITS if a in lhr["audits"]}
                    runs.append(figures(lhr))
                    log(f"  {page.title}, run {n + 1}: {summary(runs[-1])}")
                results[page.title] = median_figures(runs)
                checks[page.title] = {a: audit_result(lhr, a) for a in ("is-on-https", "viewport")}
                emulated = settings(lhr)
            log("Chromium's installability check:")
            installable = installability(base, npsn)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {
        "date": f"{started:%Y-%m-%d %H:%M}",
        "lighthouse": LIGHTHOUSE_VERSION,
        "chromium": chromium_version(),
        "settings": emulated,
        "commit": describe_commit(REPO),
        "machine": f"{os.cpu_count()} cores, load at the end {load_average()}",
        "runs": str(args.runs),
        "command": " ".join([".venv/bin/python bench/lighthouse.py", *argv]),
    }
    section = render(results, checks, installable, sorted(pwa_audits_left), meta)
    log("\n" + section)
    write_section(args.output, section, START, END)
    log(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
