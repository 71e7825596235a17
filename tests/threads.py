"""Many writers at the same moment: each thread in its own app context and database session,
released together by a barrier, as concurrent requests would be."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from sas.extensions import db

THREADS = 20


def run_at_once(app: Flask, work: Callable[[int], object]) -> list:  # type: ignore[type-arg]
    """Run ``work(i)`` in THREADS threads, each in its own app context and session."""
    db.session.commit()  # the test's own session holds no lock while the threads run
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS  # type: ignore[type-arg]

    def target(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except Exception as error:
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results
