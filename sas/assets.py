"""Static files under content-hashed names, kept by browsers for a year.

A page names ``app.css`` as ``/static/app.3f2a9c1b2d.css``: the first 10 hex digits of the
file's SHA-256. A release changes the names of exactly the files it changed, so a phone that
used the app yesterday opens a page in one round trip, without asking whether its stylesheet
is still fresh (on Slow 3G each question costs two seconds). The plain name still answers, with
``no-cache``, as does an old digest (a page drawn before a release).

The digest is taken from the file itself and taken again when the file changes on disk, so a
stylesheet edited under ``make run`` shows at the next page view.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app, send_from_directory
from werkzeug.wrappers import Response

ONE_YEAR = 31_536_000
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")


class Assets:
    """The digest of each file of the static folder, by its plain name."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._digests: dict[str, tuple[int, int, str]] = {}  # name -> (mtime, size, digest)
        self._lock = threading.Lock()

    def digest(self, name: str) -> str | None:
        """The file's current digest; None when there is no such file."""
        path = self.folder / name
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        known = self._digests.get(name)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        if not path.is_file() or not path.resolve().is_relative_to(self.folder.resolve()):
            return None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        with self._lock:
            self._digests[name] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest

    def hashed_name(self, name: str) -> str:
        """``app.css`` -> ``app.3f2a9c1b2d.css`` (the plain name for a file that does not exist)."""
        digest = self.digest(name)
        if digest is None:
            return name
        stem, dot, suffix = name.rpartition(".")
        return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


def serve(filename: str) -> Response:
    """The static view: a current hashed name is kept for a year, anything else is revalidated."""
    assets: Assets = current_app.extensions["sas_assets"]
    match = HASHED.match(filename)
    if match is not None:
        plain = match["stem"] + match["suffix"]
        if assets.digest(plain) is not None:
            response = send_from_directory(assets.folder, plain, max_age=0)
            if assets.digest(plain) == match["digest"]:
                response.headers["Cache-Control"] = IMMUTABLE
            else:  # a page from before the file changed: today's file, asked about next time
                response.headers["Cache-Control"] = "no-cache"
            return response
    response = send_from_directory(assets.folder, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Build ``url_for('static', filename=...)`` with hashed names, and serve them."""
    assert app.static_folder is not None
    assets = Assets(app.static_folder)
    app.extensions["sas_assets"] = assets
    app.view_functions["static"] = serve

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = assets.hashed_name(values["filename"])
