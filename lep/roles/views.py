"""Public role pages: the list of open roles and each role's page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from lep import pagecache
from lep.access import public
from lep.db import utcnow
from lep.extensions import db
from lep.money import format_pounds
from lep.roles import listing
from lep.roles.models import Role
from lep.roles.services import next_london_midnight, today_in_london

bp = Blueprint("roles", __name__, url_prefix="/roles")

PAGE_SIZE = 20
MAX_PAGE = 100_000  # far past any real list; keeps OFFSET inside a database integer


def _choices(name: str, allowed: dict[str, str]) -> list[str]:
    """The known values ticked for a filter, in the order the form shows them."""
    given = set(request.args.getlist(name))
    return [value for value in allowed if value in given]


@bp.route("")
@public
@pagecache.for_signed_out
def index() -> ResponseReturnValue:
    types = _choices("type", listing.TYPE_FILTERS)
    where = _choices("where", listing.WHERE_FILTERS)
    page = request.args.get("page", 1, type=int) or 1
    roles = db.paginate(
        listing.open_roles_query(types, where),
        page=min(max(page, 1), MAX_PAGE),
        per_page=PAGE_SIZE,
        error_out=False,
        max_per_page=PAGE_SIZE,
    )
    listed = listing.with_pay(roles.items, today_in_london())
    # Soonest closing first: the first role on the first page closes before any other changes
    # the list. Later pages are not kept (their counts change with roles on earlier pages).
    if roles.page > 1:
        pagecache.valid_until(utcnow())
    elif listed:
        pagecache.valid_until(listed[0].closes_at)
    pagecache.valid_until(next_london_midnight())
    return render_template(
        "roles/index.html",
        roles=roles,
        listed=listed,
        types=types,
        where=where,
        filters={"type": types, "where": where},
        type_filters=listing.TYPE_FILTERS,
        where_filters=listing.WHERE_FILTERS,
        time_text=listing.time_text,
        where_text=listing.where_text,
    )


@bp.route("/<int:role_id>")
@public
@pagecache.for_signed_out
def show(role_id: int) -> ResponseReturnValue:
    role = db.session.get(Role, role_id, options=[selectinload(Role.criteria)])
    if role is None or role.status == "draft":
        abort(404)
    role_pay = listing.pay_for([role], today_in_london())[role.id]
    pagecache.valid_until(role.closes_at if listing.is_open(role) else None)
    pagecache.valid_until(next_london_midnight())
    hourly = role_pay.lowest_hourly_pence
    essential = [c for c in role.criteria if c.essential]
    desirable = [c for c in role.criteria if not c.essential]
    return render_template(
        "roles/show.html",
        role=role,
        pay=role_pay,
        lowest_hourly=format_pounds(hourly, always_pence=True) if hourly is not None else "",
        contact=role.contact_name or "the recruitment team",
        paragraphs=listing.paragraphs(role.description),
        is_open=listing.is_open(role),
        essential=essential,
        desirable=desirable,
        time_text=listing.time_text(role),
        where_text=listing.where_text(role),
        selection_text=listing.selection_text(role),
    )
