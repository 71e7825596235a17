"""gzip for text responses, in the app, so ``make serve`` compresses with or without a proxy.

Flask-Compress does the work (``Accept-Encoding`` with its q-values, ``Vary``, bodies under
``COMPRESS_MIN_SIZE`` left alone, streamed bodies compressed chunk by chunk, a strong ETag given
a ``:gzip`` suffix so the two encodings never share one); this module only says which responses
it may touch. gzip only: every browser has it, the standard library does it, and nginx in front
needs no extra module to match it. PNG, JPEG, PDF and XLSX are compressed already and are
not in the list.

BREACH: a page compressed over HTTPS leaks, by its length, whether text the attacker put in the
request matches a secret elsewhere in the same body. Every page here carries the session's CSRF
token (the logout and language forms; Flask-WTF does not mask it per response), many show
children's names, and the language form echoes ``request.full_path``: a guess put in a link's
query string would sit beside them (masking the token would not do, the names are secrets too).
So an HTML page is compressed only when it answers a GET without a query string: then nothing in
it comes from the request (the path must name a page the user may see; 4xx and 5xx are never
compressed). Besides, the session cookie is ``SameSite=Lax`` and pages refuse framing, so only
top-level navigations, which the user sees, could carry the thousands of signed-in requests the
attack needs; the rule does not rely on that. Static files are public; CSV exports and API JSON
carry no CSRF token and echo back no free text (their parameters are parsed into dates, codes
and numbers), so they are compressed whatever the query.
"""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response  # what Flask-Compress takes
from flask_compress import Compress

TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "text/csv",
    "image/svg+xml",
    "text/plain",
]


def may_compress(response: Response) -> bool:
    """False for an HTML page that could echo the request next to the CSRF token (see above)."""
    if response.mimetype != "text/html":
        return True
    return request.method in ("GET", "HEAD") and not request.query_string


def init_app(app: Flask) -> None:
    """Register last-to-run compression (after_request functions run in reverse order)."""
    app.config.setdefault("COMPRESS_MIMETYPES", TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["gzip"])  # CSV exports, static files
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)  # a smaller body gains less than its header
    app.config["COMPRESS_REGISTER"] = False  # registered below, behind may_compress
    if not app.config.get("COMPRESS_RESPONSES", True):
        return
    compress = Compress(app)  # one per app: it keeps the app's settings on itself

    @app.after_request
    def compressed(response: Response) -> Response:
        if not may_compress(response):
            return response
        if request.accept_encodings["gzip"] <= 0:  # Flask-Compress 1.25 would send it at q=0
            response.vary.add("Accept-Encoding")  # a cache must not give this to a gzip client
            return response
        body = response.response
        response = compress.after_request(response)
        close = getattr(body, "close", None)
        if response.response is not body and close is not None:
            # a streamed body (a static file, an export) is wrapped in a compressing
            # generator, which would drop the file or cursor without closing it
            response.call_on_close(close)
        return response
