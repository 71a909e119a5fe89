"""Safety flags that outlive withdrawal and erasure, and questions that remember their message.

- `safety_flags.person_id` may be NULL: an open emergency or self-harm flag is kept for the
  care team when the person withdraws consent or asks to be forgotten (vital interests).
  `kept_reason` says why it was kept; `patient_label` is the pseudonymous label the
  clinician knew the person by, since the person row itself is gone after an erasure.
- `safety_questions.category` is the danger the direct yes/no question asks about, and
  `pending_text` the message that raised it, kept only until the answer (or 30 minutes),
  so that "no" lets the message go on to the dialogue as if never stopped.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_flags") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("kept_reason", sa.String(32)))
        batch.add_column(sa.Column("patient_label", sa.String(16)))
    with op.batch_alter_table("safety_questions") as batch:
        batch.add_column(sa.Column("category", sa.String(16)))
        batch.add_column(sa.Column("pending_text", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("safety_questions") as batch:
        batch.drop_column("pending_text")
        batch.drop_column("category")
    op.execute("DELETE FROM safety_flags WHERE person_id IS NULL")
    with op.batch_alter_table("safety_flags") as batch:
        batch.drop_column("patient_label")
        batch.drop_column("kept_reason")
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
