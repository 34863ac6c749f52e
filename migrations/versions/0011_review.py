"""Interview scorecards: a scorecard has a stage ("application" or "interview"), and a scorer
has one card per application per stage.

Revision ID: 0011_review
Revises: 0011_coordinator
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_review"
down_revision = "0011_coordinator"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=12), server_default="application", nullable=False)
        )
        batch_op.drop_constraint("one_card_per_scorer", type_="unique")
        batch_op.create_unique_constraint(
            "one_card_per_stage", ["application_id", "scorer_id", "stage"]
        )
        batch_op.create_check_constraint(
            op.f("ck_scorecard_stage"), "stage IN ('application', 'interview')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM scorecard WHERE stage = 'interview'")
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scorecard_stage"), type_="check")
        batch_op.drop_constraint("one_card_per_stage", type_="unique")
        batch_op.create_unique_constraint("one_card_per_scorer", ["application_id", "scorer_id"])
        batch_op.drop_column("stage")
