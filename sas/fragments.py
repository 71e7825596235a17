"""Parts of pages kept rendered, per process, under a key that names everything they show.

A part is drawn again when its key changes (the data behind it did) and at least every
``PAGE_CACHE_SECONDS``, so that what a key leaves out (a corrected name) shows within that
time; 0 turns the cache off. Each gunicorn worker keeps its own parts, at most ``SIZE``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache
from flask import Flask, current_app
from markupsafe import Markup

SIZE = 2000  # parts per process; a dashboard's is about 5 KB


class Fragments:
    def __init__(
        self, seconds: float, size: int = SIZE, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._parts: TTLCache[Hashable, Markup] | None = (
            TTLCache(maxsize=size, ttl=seconds, timer=timer) if seconds > 0 else None
        )
        self._lock = threading.Lock()  # the development server answers in threads

    def get(self, key: Hashable | None, draw: Callable[[], str]) -> Markup:
        """The part kept under ``key``, else ``draw()`` (a rendered template: HTML, escaped
        by Jinja) kept under it; a key of None is never kept (drawn for this view only)."""
        if key is None or self._parts is None:
            return _html(draw())
        with self._lock:
            part = self._parts.get(key)
        if part is None:
            part = _html(draw())
            with self._lock:
                self._parts[key] = part
        return part

    def clear(self) -> None:
        if self._parts is not None:
            with self._lock:
                self._parts.clear()


def _html(rendered: str) -> Markup:
    return Markup(rendered)  # noqa: S704 - the output of render_template, already escaped


def init_app(app: Flask) -> None:
    app.extensions["sas_fragments"] = Fragments(app.config["PAGE_CACHE_SECONDS"])


def fragment(key: Hashable | None, draw: Callable[[], str]) -> Markup:
    fragments: Fragments = current_app.extensions["sas_fragments"]
    return fragments.get(key, draw)
