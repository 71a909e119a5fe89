"""Teach-back: sessions (for resuming), graded attempts, point results, follow-ups.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _person() -> sa.Column[int]:
    return sa.Column(
        "person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "teachback_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("module_id", sa.String(64), nullable=False),
        sa.Column("module_version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
    )
    op.create_index(
        "ix_teachback_sessions_person_status", "teachback_sessions", ["person_id", "status"]
    )
    op.create_table(
        "teachback_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("teachback_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _person(),
        sa.Column("module_id", sa.String(64), nullable=False),
        sa.Column("module_version", sa.Integer(), nullable=False),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("answer_text", sa.Text()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_teachback_attempts_session_id", "teachback_attempts", ["session_id"])
    op.create_table(
        "teachback_point_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "attempt_id",
            sa.Integer(),
            sa.ForeignKey("teachback_attempts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key_point_id", sa.String(64), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_teachback_point_results_attempt_id", "teachback_point_results", ["attempt_id"]
    )
    op.create_table(
        "teachback_follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("teachback_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _person(),
        sa.Column("module_id", sa.String(64), nullable=False),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("missed_key_points", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ),
    )
    op.create_index("ix_teachback_follow_ups_session_id", "teachback_follow_ups", ["session_id"])
    op.create_table(
        "teachback_text_consents",
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("keep_answer_text", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("teachback_text_consents")
    op.drop_index("ix_teachback_follow_ups_session_id", "teachback_follow_ups")
    op.drop_table("teachback_follow_ups")
    op.drop_index("ix_teachback_point_results_attempt_id", "teachback_point_results")
    op.drop_table("teachback_point_results")
    op.drop_index("ix_teachback_attempts_session_id", "teachback_attempts")
    op.drop_table("teachback_attempts")
    op.drop_index("ix_teachback_sessions_person_status", "teachback_sessions")
    op.drop_table("teachback_sessions")
