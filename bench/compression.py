"""Bytes on the wire with and without gzip (sas.compression), and what compressing costs.

Through Flask's test client with the production configuration, on the demo kabupaten (built into
a temporary SQLite file unless DATABASE_URL names a database that already holds it, as in
``bench/pages.py``): each response is fetched once plainly and once with
``Accept-Encoding: gzip``; the table shows both sizes, the bytes saved, and the median CPU ms that
gzip itself takes on that body (``gzip.compress`` at the app's level, timed apart from the page).

    .venv/bin/python bench/compression.py [--repeat 50]

Figures on a shared machine are provisional.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import url_for  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.demo_app import client_as, demo_app  # noqa: E402
from sas.extensions import db  # noqa: E402
from sas.models import Region, RegionLevel, User  # noqa: E402


def gzip_ms(body: bytes, level: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        gzip.compress(body, level)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    app, folder = demo_app(os.environ.get("DATABASE_URL"))
    with app.app_context():
        committee = db.session.scalar(select(User).where(User.username == "komite1"))
        assert committee is not None and committee.school is not None
        npsn = committee.school.npsn
        kabupaten = db.session.scalar(
            select(Region.code).where(Region.level == RegionLevel.KABUPATEN)
        )
    with app.test_request_context():
        static = {name: url_for("static", filename=name) for name in ("app.css", "app.js")}
        static["offline.js"] = url_for("static", filename="offline.js")
    rows = [
        ("cash book page 1", "komite1", f"/sekolah/{npsn}/buku-kas"),
        ("cash book CSV (streamed)", "komite1", f"/sekolah/{npsn}/buku-kas.csv"),
        ("district report", "dinas", f"/kabupaten/{kabupaten}"),
        ("district CSV", "dinas", f"/kabupaten/{kabupaten}/unduh.csv"),
        ("API summary JSON", "dinas", "/api/v1/summary"),
        ("API regions JSON", "dinas", "/api/v1/regions"),
        ("public page /", None, "/"),
        ("app.css", None, static["app.css"]),
        ("app.js", None, static["app.js"]),
        ("offline.js", None, static["offline.js"]),
        ("/sw.js", None, "/sw.js"),
    ]
    level = app.config["COMPRESS_LEVEL"]
    load = os.getloadavg()
    print(f"bench/compression.py: gzip level {level}, demo kabupaten, test client")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    print("| response | plain bytes | gzip bytes | saved | gzip CPU ms |")
    print("|---|---:|---:|---:|---:|")
    clients: dict[str | None, FlaskClient] = {}
    for name, who, path in rows:
        client = clients.setdefault(who, client_as(app, who))
        # buffered: a streamed body is read before the next request starts
        plain = client.get(path, buffered=True)
        packed = client.get(path, headers={"Accept-Encoding": "gzip"}, buffered=True)
        assert plain.status_code == packed.status_code == 200, (path, plain.status_code)
        if packed.headers.get("Content-Encoding") != "gzip":  # under COMPRESS_MIN_SIZE
            print(f"| {name} | {len(plain.data):,} | not compressed | 0 | |")
            continue
        saved = len(plain.data) - len(packed.data)
        print(
            f"| {name} | {len(plain.data):,} | {len(packed.data):,} | {saved:,} "
            f"({saved / len(plain.data):.0%}) | {gzip_ms(plain.data, level, args.repeat):.2f} |"
        )
    load = os.getloadavg()
    print()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
