"""Print a database URL with its user replaced: the app's role on the owner's server (make run).

    python3 scripts/app_database_url.py postgresql://owner:secret@host/lep lep_app
    -> postgresql://lep_app:secret@host/lep

Standard library only (make runs it before the virtualenv exists). The password is kept: `flask
lep grant-app-role --create` gives the new role the password its URL carries.
"""

from __future__ import annotations

import sys
from urllib.parse import quote, urlsplit, urlunsplit


def app_url(url: str, role: str) -> str:
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    _, colon, password = userinfo.partition(":")
    user = quote(role, safe="") + (f":{password}" if colon else "")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


if __name__ == "__main__":
    print(app_url(sys.argv[1], sys.argv[2]))
