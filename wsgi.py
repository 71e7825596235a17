"""Entry point for WSGI servers and the ``flask`` command (``SAS_ENV`` picks the configuration)."""

import os

from sas import create_app

app = create_app(os.environ.get("SAS_ENV", "production"))
