"""Tutors: cohorts, their members, assignments, each participant's assignment task, and the
cohort an invite joins.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _ref(column: str, table: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tutor_id", sa.Integer(), sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_cohorts_tutor_id", "cohorts", ["tutor_id"])
    op.create_table(
        "cohort_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("cohort_id", "cohorts"),
        _ref("person_id", "people"),
        sa.Column("joined_at", TZ, nullable=False),
        sa.UniqueConstraint("cohort_id", "person_id"),
    )
    op.create_index("ix_cohort_members_cohort_id", "cohort_members", ["cohort_id"])
    op.create_index("ix_cohort_members_person_id", "cohort_members", ["person_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("cohort_id", "cohorts"),
        _ref("person_id", "people", nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item", sa.String(64)),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("assigned_by", sa.Integer()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_assignments_cohort_id", "assignments", ["cohort_id"])
    op.create_table(
        "assignment_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("assignment_id", "assignments"),
        _ref("person_id", "people"),
        sa.Column("completed_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("assignment_id", "person_id"),
    )
    op.create_index("ix_assignment_tasks_assignment_id", "assignment_tasks", ["assignment_id"])
    op.create_index("ix_assignment_tasks_person_id", "assignment_tasks", ["person_id"])
    # SQLite cannot add a constraint to a table: batch mode copies the table with it.
    with op.batch_alter_table("invites") as batch:
        batch.create_foreign_key(
            "fk_invites_cohort_id", "cohorts", ["cohort_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint("fk_invites_cohort_id", type_="foreignkey")
    op.drop_table("assignment_tasks")
    op.drop_table("assignments")
    op.drop_table("cohort_members")
    op.drop_table("cohorts")
