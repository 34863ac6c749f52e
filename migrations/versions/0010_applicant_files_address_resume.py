"""Applications: answers saved to finish later, a postal address for letters, file names cleaned

Revision ID: 0010_applicant
Revises: 0010_passwords

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_applicant"
down_revision = "0010_passwords"
branch_labels = None
depends_on = None

ADDRESS = (
    ("address_line_1", 100),
    ("address_line_2", 100),
    ("address_town", 100),
    ("address_postcode", 10),
)
# Bidirectional and zero-width controls (lep.requests.INVISIBLE): a name shown to staff must
# read as it is stored.
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def upgrade():
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("draft", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    for table in ("application", "other_way_request"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in ADDRESS:
                batch_op.add_column(
                    sa.Column(name, sa.String(length), server_default="", nullable=False)
                )
    connection = op.get_bind()
    for table in ("supporting_file", "claim_receipt"):
        # The table names are the two above, never input.
        rows = connection.execute(sa.text(f"SELECT id, original_name FROM {table}")).all()  # noqa: S608
        for row_id, name in rows:
            cleaned = INVISIBLE.sub("", name).strip() or "file"
            if cleaned != name:
                connection.execute(
                    sa.text(f"UPDATE {table} SET original_name = :name WHERE id = :id"),  # noqa: S608
                    {"name": cleaned, "id": row_id},
                )


def downgrade():
    for table in ("other_way_request", "application"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _length in reversed(ADDRESS):
                batch_op.drop_column(name)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("draft")
