"""Outbox retries: when a failed email is tried next, and when a delivery claimed it

Revision ID: 0010_ops
Revises: 0010_payrace

"""

import sqlalchemy as sa
from alembic import op

import lep.db

# revision identifiers, used by Alembic.
revision = "0010_ops"
down_revision = "0010_payrace"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", lep.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("claimed_at", lep.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_outbox_message_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next_attempt")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("next_attempt_at")
