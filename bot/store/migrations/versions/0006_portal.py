"""Portal: staff users and their sessions, invites, and each patient's clinician.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _staff(name: str, ondelete: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), sa.ForeignKey("staff_users.id", ondelete=ondelete))


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TZ),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        _staff("clinician_id", "SET NULL"),
        sa.Column("cohort_id", sa.Integer()),
        sa.Column("label", sa.String(64)),
        _staff("created_by", "SET NULL"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
        sa.Column(
            "used_by_person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL")
        ),
    )
    op.create_index("ix_invites_clinician_id", "invites", ["clinician_id"])
    op.create_index("ix_invites_cohort_id", "invites", ["cohort_id"])
    # Inline REFERENCES: SQLite can add a column with a foreign key, not a constraint later
    # (and would not reflect an ON DELETE on it, so there is none).
    op.add_column(
        "people",
        sa.Column("clinician_id", sa.Integer(), sa.ForeignKey("staff_users.id")),
        inline_references=True,
    )
    op.create_index("ix_people_clinician_id", "people", ["clinician_id"])


def downgrade() -> None:
    op.drop_index("ix_people_clinician_id", table_name="people")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("people", "clinician_id")
    else:
        op.execute("ALTER TABLE people DROP COLUMN clinician_id")
    op.drop_index("ix_invites_cohort_id", table_name="invites")
    op.drop_index("ix_invites_clinician_id", table_name="invites")
    op.drop_table("invites")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
