"""Ask 3 Questions: question lists, appointment follow-ups and rehearsals.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _person() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "ask3_lists",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("q_options", sa.Text(), nullable=False),
        sa.Column("q_benefits_risks", sa.Text(), nullable=False),
        sa.Column("q_likelihood", sa.Text(), nullable=False),
        sa.Column("own_questions", sa.JSON(), nullable=False),
        sa.Column("matters", sa.Text(), nullable=False),
        sa.Column("grid_id", sa.String(64)),
        sa.Column("appointment_on", sa.Date()),
        sa.Column("follow_up_due_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ask3_lists_person_id", "ask3_lists", ["person_id"])
    op.create_table(
        "ask3_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column(
            "list_id",
            sa.Integer(),
            sa.ForeignKey("ask3_lists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("got_answers", sa.String(16), nullable=False),
        sa.Column("decided", sa.Text(), nullable=False),
        sa.Column("involvement", sa.Integer(), nullable=False),
        sa.Column("answered_at", TZ, nullable=False),
    )
    op.create_index("ix_ask3_follow_ups_person_id", "ask3_follow_ups", ["person_id"])
    op.create_index("ix_ask3_follow_ups_list_id", "ask3_follow_ups", ["list_id"])
    op.create_table(
        "ask3_rehearsals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_ask3_rehearsals_person_id", "ask3_rehearsals", ["person_id"])


def downgrade() -> None:
    op.drop_table("ask3_rehearsals")
    op.drop_table("ask3_follow_ups")
    op.drop_table("ask3_lists")
