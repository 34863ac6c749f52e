"""Inclusive routes: applications entered on someone's behalf (how, by whom, their agreement),
and the request to apply another way that led to one.

Revision ID: 0011_inclusive
Revises: 0011_support
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lep.db

revision = "0011_inclusive"
down_revision = "0011_support"
branch_labels = None
depends_on = None

WAYS = "assisted_how IS NULL OR assisted_how IN ('phone', 'paper', 'recording', 'helper', 'other')"


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assisted_how", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("entered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("consent_at", lep.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("consent_note", sa.Text(), server_default="", nullable=False))
        batch_op.create_foreign_key(
            op.f("fk_application_entered_by_id_user_account"),
            "user_account",
            ["entered_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(op.f("ck_application_assisted_how"), WAYS)
    with op.batch_alter_table("other_way_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_other_way_request_application_id_application"),
            "application",
            ["application_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("other_way_request", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_other_way_request_application_id_application"), type_="foreignkey"
        )
        batch_op.drop_column("application_id")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_application_assisted_how"), type_="check")
        batch_op.drop_constraint(
            op.f("fk_application_entered_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("consent_note")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("entered_by_id")
        batch_op.drop_column("assisted_how")
