"""Development only: /dev/outbox, the emails this app has sent, to read in the browser.

Registered by create_app() only under the development config (DEV_OUTBOX_PAGE): with the default
outbox provider nothing leaves the machine, so this is where a newcomer reads the links the app
emailed. Never registered in production, where these are other people's messages.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from lep.access import public
from lep.extensions import db
from lep.notifications.models import OutboxMessage

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")

SHOWN = 100


@bp.route("/")
@public
def messages() -> ResponseReturnValue:
    rows = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(SHOWN)
    ).all()
    return render_template("notifications/dev_outbox.html", messages=rows, shown=SHOWN)


@bp.route("/<int:message_id>")
@public
def message(message_id: int) -> ResponseReturnValue:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    return render_template("notifications/dev_message.html", message=row)
