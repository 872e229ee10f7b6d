"""jobs: when a job was handed to the distributed queue, when its last attempt started and ended

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00

``dispatched_at``: the outbox mark of the Celery queue (jobs/celery_queue.py). A pending job not
dispatched since it last became pending is (re)published by a sweeper, so a crash between the
commit and the publish, or a lost broker message, loses nothing. ``started_at``/``finished_at``:
the last attempt's run time, for the render seconds that /metrics reports across all workers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("dispatched_at")
