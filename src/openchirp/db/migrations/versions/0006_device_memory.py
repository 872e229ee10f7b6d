"""device_memory: each GPU worker's device memory per engine, for /metrics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:00:00

A worker reports its neural engines' device memory (allocated, reserved, peak, ...) after
loading them, after each render job and every few seconds while idle; any API process reads
the rows at scrape time, as it reads the job figures.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_memory",
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("engine", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bytes", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", "engine", "kind", name=op.f("pk_device_memory")),
    )


def downgrade() -> None:
    op.drop_table("device_memory")
