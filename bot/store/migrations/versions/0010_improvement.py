"""Co-evaluation and continuous improvement: clarity feedback, patient stories, nudge
state, and the content version each check-in answer and Ask 3 grid was given with.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _person(primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "person_id",
        sa.Integer(),
        sa.ForeignKey("people.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "content_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("item_kind", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("chunk_id", sa.String(64)),
        sa.Column("content_version", sa.Integer(), nullable=False),
        sa.Column("clarity", sa.Integer()),
        sa.Column("suggestion", sa.Text()),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_content_feedback_person_id", "content_feedback", ["person_id"])
    op.create_index("ix_content_feedback_item", "content_feedback", ["item_kind", "item_id"])
    op.create_table(
        "patient_stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("share_consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_patient_stories_person_id", "patient_stories", ["person_id"])
    op.create_table(
        "nudge_states",
        _person(primary_key=True),
        sa.Column("nudges_off", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("unanswered", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_nudged_at", TZ),
    )
    with op.batch_alter_table("checkin_results") as batch:
        batch.add_column(sa.Column("content_version", sa.Integer()))
    with op.batch_alter_table("ask3_lists") as batch:
        batch.add_column(sa.Column("grid_version", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("ask3_lists") as batch:
        batch.drop_column("grid_version")
    with op.batch_alter_table("checkin_results") as batch:
        batch.drop_column("content_version")
    op.drop_table("nudge_states")
    op.drop_table("patient_stories")
    op.drop_table("content_feedback")
