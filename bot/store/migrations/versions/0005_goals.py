"""Goals: action plans, confidence ratings, check-in schedules, scheduled messages, check-in
results, problem-solving choices and measures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _person() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
    )


def _plan(nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "plan_id",
        sa.Integer(),
        sa.ForeignKey("action_plans.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("activity", sa.String(200), nullable=False),
        sa.Column("amount", sa.String(120), nullable=False),
        sa.Column("timing", sa.String(120), nullable=False),
        sa.Column("days_per_week", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("replaces_id", sa.Integer()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("renewed_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
    )
    op.create_index("ix_action_plans_person_status", "action_plans", ["person_id", "status"])
    op.create_table(
        "confidence_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        _plan(nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("barrier", sa.Text()),
        sa.Column("rated_at", TZ, nullable=False),
    )
    op.create_index("ix_confidence_ratings_person_id", "confidence_ratings", ["person_id"])
    op.create_index("ix_confidence_ratings_plan_id", "confidence_ratings", ["plan_id"])
    op.create_table(
        "checkin_schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        _plan(nullable=False),
        sa.Column("weekdays", sa.String(16), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_checkin_schedules_person_id", "checkin_schedules", ["person_id"])
    op.create_index("ix_checkin_schedules_plan_id", "checkin_schedules", ["plan_id"])
    op.create_table(
        "scheduled_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        _plan(nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("quiet_ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_at", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("skip_reason", sa.String(32)),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("kind", "ref_id", "due_at"),
    )
    op.create_index("ix_scheduled_messages_due", "scheduled_messages", ["status", "due_at"])
    op.create_index("ix_scheduled_messages_person_id", "scheduled_messages", ["person_id"])
    op.create_index("ix_scheduled_messages_plan_id", "scheduled_messages", ["plan_id"])
    op.create_table(
        "checkin_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        _plan(nullable=False),
        sa.Column(
            "scheduled_message_id",
            sa.Integer(),
            sa.ForeignKey("scheduled_messages.id", ondelete="SET NULL"),
        ),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("answered_at", TZ, nullable=False),
    )
    op.create_index("ix_checkin_results_person_id", "checkin_results", ["person_id"])
    op.create_index("ix_checkin_results_plan_id", "checkin_results", ["plan_id"])
    op.create_table(
        "problem_solving_choices",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        _plan(nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("ideas", sa.Text(), nullable=False),
        sa.Column("chosen", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reviewed_at", TZ),
    )
    op.create_index(
        "ix_problem_solving_choices_person_id", "problem_solving_choices", ["person_id"]
    )
    op.create_index("ix_problem_solving_choices_plan_id", "problem_solving_choices", ["plan_id"])
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), primary_key=True),
        _person(),
        sa.Column("instrument", sa.String(16), nullable=False),
        sa.Column("item", sa.String(32), nullable=False),
        sa.Column("item_version", sa.String(16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    op.create_index("ix_measures_person_instrument", "measures", ["person_id", "instrument"])


def downgrade() -> None:
    op.drop_index("ix_measures_person_instrument", table_name="measures")
    op.drop_table("measures")
    op.drop_index("ix_problem_solving_choices_plan_id", table_name="problem_solving_choices")
    op.drop_index("ix_problem_solving_choices_person_id", table_name="problem_solving_choices")
    op.drop_table("problem_solving_choices")
    op.drop_index("ix_checkin_results_plan_id", table_name="checkin_results")
    op.drop_index("ix_checkin_results_person_id", table_name="checkin_results")
    op.drop_table("checkin_results")
    op.drop_index("ix_scheduled_messages_plan_id", table_name="scheduled_messages")
    op.drop_index("ix_scheduled_messages_person_id", table_name="scheduled_messages")
    op.drop_index("ix_scheduled_messages_due", table_name="scheduled_messages")
    op.drop_table("scheduled_messages")
    op.drop_index("ix_checkin_schedules_plan_id", table_name="checkin_schedules")
    op.drop_index("ix_checkin_schedules_person_id", table_name="checkin_schedules")
    op.drop_table("checkin_schedules")
    op.drop_index("ix_confidence_ratings_plan_id", table_name="confidence_ratings")
    op.drop_index("ix_confidence_ratings_person_id", table_name="confidence_ratings")
    op.drop_table("confidence_ratings")
    op.drop_index("ix_action_plans_person_status", table_name="action_plans")
    op.drop_table("action_plans")
