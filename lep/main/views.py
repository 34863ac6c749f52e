"""Home, the signed-in dashboard, the accessibility statement and the NHS.UK assets."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import public, signed_in
from lep.applications.models import CONTACT_METHODS, OTHER_WAYS
from lep.applications.services import applications_for, other_way_requests_for, role_is_open

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index() -> ResponseReturnValue:
    return render_template("main/index.html")


@bp.route("/dashboard")
@signed_in
def dashboard() -> ResponseReturnValue:
    return render_template(
        "main/dashboard.html",
        applications=applications_for(current_user.id),
        other_way_requests=other_way_requests_for(current_user.id),
        other_ways=OTHER_WAYS,
        contact_methods=CONTACT_METHODS,
        role_is_open=role_is_open,
    )


@bp.route("/accessibility")
@public
def accessibility() -> ResponseReturnValue:
    return render_template("main/accessibility.html")


@bp.route("/assets/<path:filename>")
@public
def assets(filename: str) -> ResponseReturnValue:
    # nhsuk-frontend's CSS refers to its images at /assets/...; `make assets` copies them here.
    folder = os.path.join(current_app.static_folder or "", "assets")
    return send_from_directory(folder, filename, max_age=86400)
