"""The bare route of the load benchmark: a Flask app that answers "ok", no database.

Served by ``bench/load.py`` with the app's own ``gunicorn.conf.py``, alternating with the app's
routes in the same run: the ceiling of gunicorn and Flask on this machine, which the app's
routes are compared with ("share of bare Flask").
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def bare() -> str:
    return "ok"
