"""One live payment per claim or fee; a sender's lease on a run; the frozen approval threshold

- payment_item.released_at: set when the item's payment fails or its run is cancelled. Two
  partial unique indexes hold each claim and each fee in at most one item not released, so no
  two payment runs can pay the same thing, however they race.
- payment_run.sender and sender_lease_until: who is sending a run and until when (a lapsed lease
  is a run that stopped part-way and can be resumed).
- payment_run.approval_over_pence: the second-approval threshold when the run was built (left
  empty for runs built before: the page then states no figure).

Items already in a failed payment or a cancelled run are released here. If a claim or fee is
already in two live payments (built by two runs at once before this fix), the first payment's item
stays live and the later ones are released so the index can be made; reconciliation still flags
every such pair (it reads payment and run statuses, not this column).

Revision ID: 0010_payrace
Revises: 0009

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

import lep.db

# revision identifiers, used by Alembic.
revision = "0010_payrace"
down_revision = "0009"
branch_labels = None
depends_on = None

LIVE_CLAIM = "claim_id IS NOT NULL AND released_at IS NULL"
LIVE_FEE = "involvement_id IS NOT NULL AND released_at IS NULL"


def upgrade():
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_over_pence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sender", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("sender_lease_until", lep.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("payment_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("released_at", lep.db.UTCDateTime(timezone=True), nullable=True)
        )

    item = sa.table(
        "payment_item",
        sa.column("id", sa.Integer),
        sa.column("payment_id", sa.Integer),
        sa.column("claim_id", sa.Integer),
        sa.column("involvement_id", sa.Integer),
        sa.column("released_at", lep.db.UTCDateTime(timezone=True)),
    )
    payment = sa.table(
        "payment", sa.column("id", sa.Integer), sa.column("run_id", sa.Integer), sa.column("status")
    )
    run = sa.table("payment_run", sa.column("id", sa.Integer), sa.column("status"))
    bind = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    not_live = (
        sa.select(payment.c.id)
        .join(run, run.c.id == payment.c.run_id)
        .where(sa.or_(payment.c.status == "failed", run.c.status == "cancelled"))
    )
    bind.execute(item.update().where(item.c.payment_id.in_(not_live)).values(released_at=now))
    doubled = 0
    for column in (item.c.claim_id, item.c.involvement_id):
        rows = bind.execute(
            sa.select(column, item.c.id)
            .where(column.is_not(None), item.c.released_at.is_(None))
            .order_by(column, item.c.payment_id, item.c.id)
        ).all()
        seen = set()
        later = []
        for thing, item_id in rows:
            if thing in seen:
                later.append(item_id)
            seen.add(thing)
        for start in range(0, len(later), 1_000):
            bind.execute(
                item.update()
                .where(item.c.id.in_(later[start : start + 1_000]))
                .values(released_at=now)
            )
        doubled += len(later)
    if doubled:
        print(
            f"WARNING: {doubled} payment items paid for a claim or fee already in another live "
            'payment; reconciliation lists them ("in two live payments").'
        )

    with op.batch_alter_table("payment_item", schema=None) as batch_op:
        batch_op.create_index(
            "uq_payment_item_live_claim",
            ["claim_id"],
            unique=True,
            postgresql_where=sa.text(LIVE_CLAIM),
            sqlite_where=sa.text(LIVE_CLAIM),
        )
        batch_op.create_index(
            "uq_payment_item_live_fee",
            ["involvement_id"],
            unique=True,
            postgresql_where=sa.text(LIVE_FEE),
            sqlite_where=sa.text(LIVE_FEE),
        )


def downgrade():
    with op.batch_alter_table("payment_item", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payment_item_live_fee",
            postgresql_where=sa.text(LIVE_FEE),
            sqlite_where=sa.text(LIVE_FEE),
        )
        batch_op.drop_index(
            "uq_payment_item_live_claim",
            postgresql_where=sa.text(LIVE_CLAIM),
            sqlite_where=sa.text(LIVE_CLAIM),
        )
        batch_op.drop_column("released_at")
    with op.batch_alter_table("payment_run", schema=None) as batch_op:
        batch_op.drop_column("sender_lease_until")
        batch_op.drop_column("sender")
        batch_op.drop_column("approval_over_pence")
