"""Portal logins: failed attempts counted per email and client address.

`staff_login_throttles` holds, for each (SHA-256 of an attempted email, client address),
the failed logins in a row and the lock they led to. Unknown emails are counted like real
ones, so the answers do not tell which emails belong to staff; a lock holds only for the
address it came from, so a stranger cannot lock a nurse out. `staff_users.failed_logins`
and `locked_until` stay: the latter shows admins the most recent lock.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_login_throttles",
        sa.Column("email_digest", sa.String(64), primary_key=True),
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", TZ),
        sa.Column("last_attempt_at", TZ, nullable=False),
    )
    op.create_index(
        "ix_staff_login_throttles_last_attempt_at", "staff_login_throttles", ["last_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_staff_login_throttles_last_attempt_at", "staff_login_throttles")
    op.drop_table("staff_login_throttles")
