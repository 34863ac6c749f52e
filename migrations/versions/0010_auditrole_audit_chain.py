"""Audit: a hash chain over audit events (prev_hash, hash) and its head row

Existing events are chained in id order as the migration runs (as the tables' owner, who alone may
set the append-only triggers aside for it).

Revision ID: 0010_auditrole
Revises: 0010_applicant

"""

import sqlalchemy as sa
from alembic import op

import lep.db
from lep.audit.chain import GENESIS, event_hash

# revision identifiers, used by Alembic.
revision = "0010_auditrole"
down_revision = "0010_applicant"
branch_labels = None
depends_on = None

SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END""",
]

events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", lep.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_label", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("ip_address", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _chain_existing(bind) -> tuple[int | None, str]:
    previous, last_id, after = GENESIS, None, 0
    while True:
        rows = (
            bind.execute(
                sa.select(events).where(events.c.id > after).order_by(events.c.id).limit(5000)
            )
            .mappings()
            .all()
        )
        if not rows:
            return last_id, previous
        links = []
        for row in rows:
            chained = {**row, "prev_hash": previous}
            previous = event_hash(chained)
            links.append({"b_id": row["id"], "b_prev": chained["prev_hash"], "b_hash": previous})
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("b_id"))
            .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")),
            links,
        )
        last_id = after = rows[-1]["id"]


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(length=64), nullable=True))

    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    last_id, last_hash = _chain_existing(bind)
    op.bulk_insert(
        sa.table(
            "audit_chain_head",
            sa.column("id", sa.Integer()),
            sa.column("last_event_id", sa.Integer()),
            sa.column("last_hash", sa.String()),
        ),
        [{"id": 1, "last_event_id": last_id, "last_hash": last_hash}],
    )

    if dialect == "sqlite":
        # SQLite sets NOT NULL by copying the table, which drops its triggers: made again after.
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        with op.batch_alter_table("audit_event", schema=None) as batch_op:
            batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
            batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)
    else:
        op.alter_column("audit_event", "prev_hash", nullable=False)
        op.alter_column("audit_event", "hash", nullable=False)
        if dialect == "postgresql":
            op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        with op.batch_alter_table("audit_event", schema=None) as batch_op:
            batch_op.drop_column("hash")
            batch_op.drop_column("prev_hash")
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)
    else:
        op.drop_column("audit_event", "hash")
        op.drop_column("audit_event", "prev_hash")
    op.drop_table("audit_chain_head")
