"""Report pages kept rendered until the figures they show change.

Every kabupaten has a version; a page's key names the version of its kabupaten, so a page is
drawn again as soon as a write changes what it shows. The version moves after every commit that
inserted, changed or deleted a row the report pages read (entries, funds, month closings,
transfers, requests for help, evidence, schools, regions): one SQLAlchemy session hook
(``register_hooks``), so a new feature cannot forget it. Bulk statements (``Loader``, a rebuild
of the totals) move every kabupaten's version at once.

Where the app has Redis (``PAGE_VERSIONS_URI``, else the rate limiter's
``RATELIMIT_STORAGE_URI``), the versions live there, shared by every worker, and no database row
is updated by every write of a kabupaten. Without Redis they are kept per process: exact for one
process; with several, a page drawn by another process may be out of date until its copy
expires (``PAGE_CACHE_SECONDS``, as every kept part does). When Redis does not answer, pages are
drawn for every view (never kept, never a 500) and Redis is tried again after a few seconds.

Only anonymous public pages are answered with ``Cache-Control: public`` and an ``ETag`` made
from the key, so that ``If-None-Match`` is answered 304 before anything is drawn.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.attributes import get_history
from werkzeug.wrappers import Response

from sas.fragments import Fragments
from sas.models import (
    Attachment,
    Entry,
    Fund,
    HelpRequest,
    MonthClosing,
    Region,
    RegionLevel,
    School,
    Transfer,
)
from sas.models.totals import (
    CategoryTotal,
    MonthTotal,
    RecipientMonth,
    YearCategoryTotal,
    YearTotal,
)

log = logging.getLogger(__name__)

ALL = 0  # the version every kabupaten's key also names: moved by a bulk write
PAGES = 300  # pages kept per process; a district page at 40 schools is about 60 KB
REDIS_RETRY_SECONDS = 5.0  # after Redis failed, pages are drawn uncached this long
PUBLIC_MAX_AGE = 60  # seconds a browser or a CDN may keep an anonymous public page
PENDING = "sas_pagecache_kabupaten"  # session.info: kabupaten whose pages this transaction changed

# Rows a report page reads, written one by one through the session (add, change, delete)...
SCHOOL_ROWS = (Entry, Fund, MonthClosing, HelpRequest, Attachment)
# ...and tables whose bulk statements (insert/update/delete without objects) move every version.
BULK_TABLES = frozenset(
    model.__table__.name  # type: ignore[attr-defined]
    for model in (Entry, Fund, MonthClosing, Transfer, HelpRequest, School, Region)
)
# The totals are updated in bulk with every entry (and the entry moves its kabupaten): only a
# delete (a rebuild) moves every version.
TOTALS_TABLES = frozenset(
    model.__table__.name  # type: ignore[attr-defined]
    for model in (MonthTotal, YearTotal, CategoryTotal, YearCategoryTotal, RecipientMonth)
)


# --- the versions --------------------------------------------------------------------------------


class Versions:
    """A counter per kabupaten (and ``ALL``), in this process."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    def get(self, kabupaten_id: int) -> str | None:
        """The version of the kabupaten's pages; None when it cannot be known (keep nothing)."""
        with self._lock:
            return f"{self._counts.get(ALL, 0)}.{self._counts.get(kabupaten_id, 0)}"

    def bump(self, kabupaten_ids: Iterable[int]) -> None:
        with self._lock:
            for kabupaten_id in kabupaten_ids:
                self._counts[kabupaten_id] = self._counts.get(kabupaten_id, 0) + 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisVersions(Versions):
    """The counters in Redis, shared by every worker: INCR on a write, one MGET per page.

    ``ALL`` starts at a random number, so that counters lost with a Redis restart never name
    a page kept from before. Any Redis error: the page is not kept (None) and Redis is left
    alone for ``REDIS_RETRY_SECONDS``; a move that failed is made up for by moving ``ALL``
    at the next success.
    """

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__()
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._down_until = 0.0
        self._missed = False  # a move was lost while Redis was down

    def _key(self, kabupaten_id: int) -> str:
        return f"{self._prefix}{kabupaten_id}"

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, action: str) -> None:
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        log.warning("page versions: Redis did not answer (%s); pages drawn uncached", action)

    def get(self, kabupaten_id: int) -> str | None:
        if not self._usable():
            return None
        try:
            if self._missed:
                self._bump_redis([ALL])
                self._missed = False
            everything, own = self._redis.mget([self._key(ALL), self._key(kabupaten_id)])
            if everything is None:
                self._start()
                everything, own = self._redis.mget([self._key(ALL), self._key(kabupaten_id)])
        except self._errors:
            self._failed("read")
            return None
        return f"{_text(everything)}.{_text(own)}"

    def bump(self, kabupaten_ids: Iterable[int]) -> None:
        ids = list(kabupaten_ids)
        if not ids:
            return
        try:
            self._bump_redis(ids)
        except self._errors:
            self._missed = True
            self._failed("write")

    def _start(self) -> None:
        self._redis.set(self._key(ALL), secrets.randbelow(2**62), nx=True)

    def _bump_redis(self, ids: list[int]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        if ALL in ids:
            pipe.set(self._key(ALL), secrets.randbelow(2**62), nx=True)
        for kabupaten_id in ids:
            pipe.incr(self._key(kabupaten_id))
        pipe.execute()

    def clear(self) -> None:
        self.bump([ALL])  # tests: every page kept before is forgotten


def _text(value: bytes | str | None) -> str:
    if value is None:
        return "0"
    return value.decode() if isinstance(value, bytes) else value


def versions() -> Versions:
    found: Versions = current_app.extensions["sas_page_versions"]
    return found


def version(kabupaten_id: int) -> str | None:
    """The current version of a kabupaten's pages (None: Redis is down, keep nothing)."""
    return versions().get(kabupaten_id)


# --- the hook: which kabupaten a transaction changed ----------------------------------------------

# school id -> kabupaten id, per process: a school almost never leaves its kabupaten, and an
# edit of its kecamatan (or of a region) empties this map in the process that made it.
_school_kabupaten: TTLCache[int, int] = TTLCache(maxsize=100_000, ttl=600)
_map_lock = threading.Lock()


def _noted(session: Session) -> set[int]:
    pending: set[int] = session.info.setdefault(PENDING, set())
    return pending


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    schools: set[int] = set()
    kecamatan: set[int] = set()
    kabupaten = _noted(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SCHOOL_ROWS):
            schools.add(obj.school_id)
        elif isinstance(obj, Transfer):
            schools.update((obj.from_school_id, obj.to_school_id))
        elif isinstance(obj, School):
            kecamatan.update(_all_values(obj, "kecamatan_id"))
            with _map_lock:
                _school_kabupaten.pop(obj.id, None)
        elif isinstance(obj, Region):
            if obj.level == RegionLevel.KABUPATEN:
                kabupaten.add(obj.id)
            kabupaten.update(_all_values(obj, "parent_id"))
            with _map_lock:
                _school_kabupaten.clear()
    if schools or kecamatan:
        kabupaten.update(_kabupaten_of(session, schools, kecamatan))


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """The kabupaten a changed school or kecamatan belonged to until now, read before the
    change is written (its old value is not loaded when the row had expired): a school moved
    to another kabupaten changes both."""
    schools = {obj.id for obj in (*session.dirty, *session.deleted) if isinstance(obj, School)}
    regions = {obj.id for obj in (*session.dirty, *session.deleted) if isinstance(obj, Region)}
    if not (schools or regions):
        return
    connection = session.connection()
    kabupaten = _noted(session)
    if schools:
        parents = connection.execute(
            select(Region.parent_id)
            .join(School, School.kecamatan_id == Region.id)
            .where(School.id.in_(schools))
        )
        kabupaten.update(parent for parent in parents.scalars() if parent is not None)
    if regions:
        rows = connection.execute(select(Region.id, Region.parent_id).where(Region.id.in_(regions)))
        kabupaten.update(parent if parent is not None else own for own, parent in rows)


def _all_values(obj: object, attribute: str) -> set[int]:
    """The attribute's value now (and before, when it was loaded)."""
    history = get_history(obj, attribute)
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _kabupaten_of(session: Session, schools: set[int], kecamatan: set[int]) -> set[int]:
    """The kabupaten of these schools and kecamatan: from the map, else one query in the
    flush's transaction."""
    found: set[int] = set()
    with _map_lock:
        missing = set()
        for school_id in schools:
            kabupaten_id = _school_kabupaten.get(school_id)
            if kabupaten_id is None:
                missing.add(school_id)
            else:
                found.add(kabupaten_id)
    connection = session.connection()
    if missing:
        rows = connection.execute(
            select(School.id, Region.parent_id)
            .join(Region, Region.id == School.kecamatan_id)
            .where(School.id.in_(missing))
        ).all()
        with _map_lock:
            for school_id, kabupaten_id in rows:
                _school_kabupaten[school_id] = kabupaten_id
        found.update(kabupaten_id for _school, kabupaten_id in rows)
    if kecamatan:
        parents = connection.execute(select(Region.parent_id).where(Region.id.in_(kecamatan)))
        found.update(parent for parent in parents.scalars() if parent is not None)
    return found


def _bulk(state: Any) -> None:
    """A bulk statement on a table the pages read: every version moves (rare: loads, rebuilds)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in BULK_TABLES or (state.is_delete and name in TOTALS_TABLES):
        _noted(state.session).add(ALL)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        # outside an app (a script's own session) no page is kept: nothing to move
        with contextlib.suppress(RuntimeError):
            versions().bump(pending)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rollback of the whole transaction: nothing was written
        session.info.pop(PENDING, None)


def register_hooks() -> None:
    """The session events that move the versions; once per process (every app shares the
    session class)."""
    if event.contains(Session, "after_commit", _after_commit):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _bulk)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)


def init_app(app: Flask) -> None:
    url = app.config.get("PAGE_VERSIONS_URI") or app.config.get("RATELIMIT_STORAGE_URI") or ""
    shared = url.startswith(("redis://", "rediss://", "unix://"))
    prefix = f"{app.config.get('RATELIMIT_KEY_PREFIX') or 'sas'}:pagever:"  # one app's keys
    app.extensions["sas_page_versions"] = RedisVersions(url, prefix) if shared else Versions()
    app.extensions["sas_pages"] = Fragments(app.config["PAGE_CACHE_SECONDS"], size=PAGES)
    app.extensions["sas_page_ids"] = _ids(app.config["PAGE_CACHE_SECONDS"])
    register_hooks()


def _ids(seconds: float) -> TTLCache[Hashable, int] | None:
    return TTLCache(maxsize=64, ttl=seconds) if seconds > 0 else None


def remembered(key: Hashable, find: Callable[[], int | None]) -> int | None:
    """An id a kept page is found by (the public kabupaten's), remembered per process for
    ``PAGE_CACHE_SECONDS``, so that a kept page is answered without a query; None (not found)
    is not remembered."""
    ids: TTLCache[Hashable, int] | None = current_app.extensions["sas_page_ids"]
    if ids is None:
        return find()
    found = ids.get(key)
    if found is None:
        found = find()
        if found is not None:
            ids[key] = found
    return found


# --- pages ---------------------------------------------------------------------------------------


def kept(kabupaten_id: int, key: Hashable | None, draw: Callable[[], str]) -> Markup:
    """A part of a kabupaten's pages, kept under ``key`` (the validated filter and whatever
    else changes it), the language and the kabupaten's version; drawn for this view only when
    the key or the version is None."""
    current = None if key is None else version(kabupaten_id)
    full = None if current is None else (key, str(get_locale()), kabupaten_id, current)
    pages: Fragments = current_app.extensions["sas_pages"]
    return pages.get(full, draw)


def anonymous() -> bool:
    """A visitor whose page is the same as any other's: not signed in, nothing flashed."""
    return not current_user.is_authenticated and "_flashes" not in session


def public_page(kabupaten_id: int, key: Hashable, draw: Callable[[], str]) -> Response | str:
    """An anonymous public page: kept, with ``Cache-Control: public`` and an ``ETag``, a 304
    for a matching ``If-None-Match`` without drawing. Anyone else: drawn, ``no-store``."""
    if not anonymous():
        return draw()
    current = version(kabupaten_id)
    if current is None:
        return draw()
    # the host too: a page's links (og:url) name it, and a forged Host must not reach others
    full = (key, request.host_url, str(get_locale()), kabupaten_id, current)
    tag = hashlib.sha256(repr(full).encode()).hexdigest()[:32]
    # sas.compression gives a gzipped body's ETag a ":gzip" suffix: a 304 names the one asked
    matched = next((t for t in (tag, f"{tag}:gzip") if t in request.if_none_match), None)
    if matched is not None:
        response = current_app.response_class(status=304)
        response.set_etag(matched)
    else:
        pages: Fragments = current_app.extensions["sas_pages"]
        response = current_app.response_class(pages.get(full, draw), mimetype="text/html")
        response.set_etag(tag)
    _public(response)
    return response


def public_response(html: str) -> Response | str:
    """A public page that is cheap to draw (not kept): for a visitor, ``Cache-Control: public``
    and an ``ETag`` of its bytes, answered 304 when it matches."""
    if not anonymous():
        return html
    response = current_app.response_class(html, mimetype="text/html")
    response.add_etag()
    _public(response)
    return response.make_conditional(request)


def _public(response: Response) -> None:
    """Kept by browsers and shared caches for a minute (the app's headers leave it so)."""
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    response.vary.add("Cookie")  # the language is chosen in the session cookie
    g.public_page = True


def clear(app: Flask) -> None:
    """Forget every kept page and version (tests: tables emptied under the same ids)."""
    app.extensions["sas_pages"].clear()
    app.extensions["sas_page_ids"] = _ids(app.config["PAGE_CACHE_SECONDS"])
    app.extensions["sas_page_versions"].clear()
