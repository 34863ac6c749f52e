"""Indexes for the staff pages at scale: the shortlisting matrix, the claims queue

Revision ID: 0009
Revises: 0008

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scorecard_role_status_scorer", ["role_id", "status", "scorer_id"], unique=False
        )

    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_score_criterion_card_value",
            ["criterion_id", "scorecard_id", "value"],
            unique=False,
        )

    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_sent_status",
            ["status"],
            unique=False,
            postgresql_where=sa.text("submitted_at IS NOT NULL"),
            sqlite_where=sa.text("submitted_at IS NOT NULL"),
        )
        batch_op.create_index("ix_claim_submitted_at_id", ["submitted_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_submitted_at_id")
        batch_op.drop_index(
            "ix_claim_sent_status",
            postgresql_where=sa.text("submitted_at IS NOT NULL"),
            sqlite_where=sa.text("submitted_at IS NOT NULL"),
        )

    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_index("ix_score_criterion_card_value")

    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_index("ix_scorecard_role_status_scorer")
