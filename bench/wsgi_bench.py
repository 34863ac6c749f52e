"""gunicorn entry point for the bench: the production config, with cookies usable over http.

The bench serves on http://127.0.0.1 (no TLS proxy on the machine), where a browser or load tool
would never send a Secure cookie back, so these two settings, and only these, differ from
production. Everything else (SECRET_KEY, BANK_DETAILS_KEY, DATABASE_URL, LOGIN_RATE_LIMIT) comes
from the environment the driver sets.

    LEP_CONFIG=production gunicorn --workers 2 --bind 127.0.0.1:8000 bench.wsgi_bench:app
"""

from lep import create_app

OVERRIDES = {"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False}

app = create_app("production", **OVERRIDES)
