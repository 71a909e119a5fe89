"""Kept messages remember the turn id they were first sent with, and when they may be sent
again, so a turn the engine took before its answer was lost is not sent twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kept_messages") as batch:
        batch.add_column(sa.Column("turn_id", sa.String(32)))
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("kept_messages") as batch:
        batch.drop_column("not_before")
        batch.drop_column("turn_id")
