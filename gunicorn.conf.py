"""Gunicorn settings for ``make serve`` and the load benchmark (``bench/load.py``).

Every value can be overridden from the environment, so one file serves a laptop, the benchmark
and a production host behind a reverse proxy.
"""

import multiprocessing
import os

# Where to listen: loopback by default; behind a reverse proxy (nginx...) keep it that way.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Synchronous workers, the usual 2 x cores + 1, capped: every worker holds its own database
# pool, and PostgreSQL's connections are the scarcer resource.
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "sync"

# A request that runs longer than this is killed and its worker replaced (the database rolls
# back what it had not committed). The app's own waits are shorter: SQLite's busy timeout is
# 10 s and PostgreSQL's lock timeout 10 s and statement timeout 30 s (config.engine_options).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM or a reload, workers finish the requests they are serving for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# A worker is replaced after this many requests (with jitter, so they do not all restart at
# once): a slow leak cannot grow without bound. 0 turns it off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))

# Access log and errors to stdout/stderr, for the process manager or container to collect.
# The load benchmark turns the access log off (GUNICORN_ACCESS_LOG=off): it measures the app.
_access = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access == "off" else _access
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# gunicorn's control socket (``gunicornc``) is off: it is one fixed path per user, which several
# servers on one machine (the app and the load benchmark's bare route) would share.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"

# Not preloaded: each worker builds its own app and database engine after the fork, so no
# connection is shared between processes.
preload_app = False
