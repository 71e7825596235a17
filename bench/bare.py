"""The bare route of the load benchmark: a constant string, no Flask, no database.

Served by ``bench/load.py`` with the app's own ``gunicorn.conf.py`` to show what the server and
the client cost on their own, the ceiling the app's routes are compared with.
"""

from collections.abc import Callable, Iterable

BODY = b"ok"
HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def app(_environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
