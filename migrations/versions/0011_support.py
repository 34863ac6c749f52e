"""Support: induction checklists and ticks, checks with expiry and their reminders, endings.

Revision ID: 0011_support
Revises: 0011_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lep.db import UTCDateTime

revision = "0011_support"
down_revision = "0011_review"
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "induction_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_type", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_induction_item")),
    )
    op.create_index(
        op.f("ix_induction_item_engagement_type"), "induction_item", ["engagement_type"]
    )
    op.create_table(
        "induction_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("ticked_by_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_induction_tick_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["induction_item.id"],
            name=op.f("fk_induction_tick_item_id_induction_item"),
        ),
        sa.ForeignKeyConstraint(
            ["ticked_by_id"],
            ["user_account.id"],
            name=op.f("fk_induction_tick_ticked_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_induction_tick")),
        sa.UniqueConstraint("appointment_id", "item_id", name="one_tick_per_item"),
    )
    op.create_index(op.f("ix_induction_tick_appointment_id"), "induction_tick", ["appointment_id"])
    op.create_table(
        "support_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        _created(),
        sa.CheckConstraint(
            "kind IN ('dbs', 'references', 'right_to_work', 'confidentiality')",
            name=op.f("ck_support_check_kind"),
        ),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= done_on",
            name=op.f("ck_support_check_expiry_after_done"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_support_check_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_support_check_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_check")),
    )
    op.create_index(op.f("ix_support_check_appointment_id"), "support_check", ["appointment_id"])
    op.create_index(op.f("ix_support_check_expires_on"), "support_check", ["expires_on"])
    op.create_table(
        "check_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(4), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "threshold IN ('30', '7', '0')", name=op.f("ck_check_reminder_threshold")
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["support_check.id"],
            name=op.f("fk_check_reminder_check_id_support_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_reminder")),
        sa.UniqueConstraint("check_id", "threshold", name="one_reminder_per_threshold"),
    )
    op.create_table(
        "appointment_ending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("exit_conversation_offered", sa.Boolean(), nullable=False),
        sa.Column("stay_in_pool", sa.Boolean(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=False),
        _created(),
        sa.CheckConstraint(
            "reason IN ('fixed_term', 'stepped_down', 'organisation')",
            name=op.f("ck_appointment_ending_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_ending_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_appointment_ending_ended_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_ending")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_appointment_ending_appointment_id")),
    )


def downgrade() -> None:
    op.drop_table("appointment_ending")
    op.drop_table("check_reminder")
    op.drop_index(op.f("ix_support_check_expires_on"), table_name="support_check")
    op.drop_index(op.f("ix_support_check_appointment_id"), table_name="support_check")
    op.drop_table("support_check")
    op.drop_index(op.f("ix_induction_tick_appointment_id"), table_name="induction_tick")
    op.drop_table("induction_tick")
    op.drop_index(op.f("ix_induction_item_engagement_type"), table_name="induction_item")
    op.drop_table("induction_item")
