"""The coordinator role: the person who runs the involvement pool, calls and sessions.

Revision ID: 0011_coordinator
Revises: 0010_auditrole
"""

from __future__ import annotations

from alembic import op

revision = "0011_coordinator"
down_revision = "0010_auditrole"
branch_labels = None
depends_on = None

OLD = "role IN ('applicant', 'partner', 'panel', 'hr', 'finance', 'admin')"
NEW = "role IN ('applicant', 'partner', 'panel', 'coordinator', 'hr', 'finance', 'admin')"


def _check(condition: str) -> None:
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_role_known_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_role_known_role"), condition)


def upgrade() -> None:
    _check(NEW)


def downgrade() -> None:
    op.execute("DELETE FROM user_role WHERE role = 'coordinator'")
    _check(OLD)
