"""What a signed-in page costs the server: CPU milliseconds and SQL statements per request.

Through Flask's test client (no network, no gunicorn), with the production configuration, on
the demo kabupaten (``flask sas demo``, built into a temporary SQLite file unless DATABASE_URL
names a database that already holds it), as the committee member ``komite1``:

- ``/akun``, the smallest signed-in page;
- the committee dashboard ``/sekolah/<npsn>/beranda``;
- the cash book, page 1 (50 lines) ``/sekolah/<npsn>/buku-kas``;

and, for scale, a bare Flask route (``return "ok"``) through the same test client. Each page is
requested ``--repeat`` times after a warm-up; the median CPU time (``time.process_time``: the
database's work is in this process too with SQLite), the fastest, and the statements of one
request are printed. ``--profile PATH`` prints cProfile's top functions for one page instead.

    .venv/bin/python bench/pages.py [--repeat 200] [--profile /sekolah/<npsn>/buku-kas]

Figures on a shared machine are provisional; compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from bench.demo_app import client_as, demo_app  # noqa: E402
from sas.extensions import db  # noqa: E402
from sas.models import User  # noqa: E402

USERNAME = "komite1"


def signed_in(app: Flask) -> tuple[FlaskClient, str]:
    """A client with komite1's session and their school's NPSN."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == USERNAME))
        assert user is not None and user.school is not None
        npsn = user.school.npsn
    return client_as(app, USERNAME), npsn


def statement_counter(app: Flask) -> list[int]:
    count = [0]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        count[0] += 1

    return count


def measure(
    client: FlaskClient, path: str, repeat: int, count: list[int]
) -> tuple[float, float, int]:
    """Median and fastest CPU ms of ``repeat`` requests (on a busy machine the fastest moves
    least), and the statements of the last one."""
    for _ in range(5):  # warm-up: templates compiled, caches filled
        assert client.get(path).status_code == 200, path
    times = []
    statements = 0
    for _ in range(repeat):
        count[0] = 0
        start = time.process_time()
        response = client.get(path)
        times.append((time.process_time() - start) * 1000)
        statements = count[0]
        assert response.status_code == 200, path
    return statistics.median(times), min(times), statements


def bare_client() -> FlaskClient:
    bare = Flask("bare")
    bare.add_url_rule("/", "bare", lambda: "ok")
    return bare.test_client()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", metavar="PATH", help="cProfile one page ({npsn} expands)")
    args = parser.parse_args()

    app, folder = demo_app(os.environ.get("DATABASE_URL"))
    client, npsn = signed_in(app)
    count = statement_counter(app)
    pages = {
        "/akun": "/akun",
        "dashboard": f"/sekolah/{npsn}/beranda",
        "cash book p1 (50 lines)": f"/sekolah/{npsn}/buku-kas",
    }
    if args.profile:
        path = args.profile.format(npsn=npsn)
        measure(client, path, 5, count)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            client.get(path)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return

    load = os.getloadavg()
    print(f"bench/pages.py: {args.repeat} requests per page, median CPU ms (test client)")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    bare_ms, bare_min, _ = measure(bare_client(), "/", args.repeat, [0])
    print(f"{'page':<26} {'CPU ms':>8} {'x bare':>8} {'fastest':>8} {'SQL':>5}")
    print(f"{'bare Flask':<26} {bare_ms:>8.2f} {1:>8.1f} {bare_min:>8.2f} {0:>5}")
    for name, path in pages.items():
        ms, fastest, statements = measure(client, path, args.repeat, count)
        print(f"{name:<26} {ms:>8.2f} {ms / bare_ms:>8.1f} {fastest:>8.2f} {statements:>5}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
