"""callbacks: the batch's callback URL, signing secrets, deliveries and their attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00

A batch remembers where its stages are posted (``callback_url``), which key created it (whose
secret signs them) and how its client was given its id (``task_id_form``: sunoapi.org's clients
know it as 32 hex digits). Keys get a signing secret; existing keys get one here. The local owner
(anonymous on loopback, no key) signs with ``users.signing_secret``, made when first needed.
``callbacks`` holds one delivery per batch and stage (the body, fixed when the stage happens);
``callback_attempts`` records every try.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

api_keys = sa.table("api_keys", sa.column("id", sa.String), sa.column("signing_secret", sa.String))


def new_secret() -> str:
    # Copied from db/callbacks.py on purpose: a migration must not change when the code does.
    return "whsec_" + secrets.token_hex(32)


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callback_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("api_key_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("task_id_form", sa.String(length=8), nullable=True))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_secret", sa.String(length=80), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_secret", sa.String(length=80), nullable=True))
    conn = op.get_bind()
    for (key_id,) in conn.execute(sa.select(api_keys.c.id)).all():
        conn.execute(
            sa.update(api_keys).where(api_keys.c.id == key_id).values(signing_secret=new_secret())
        )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_callbacks_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("batch_id", "stage", name=op.f("uq_callbacks_batch_id_stage")),
    )
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("callback_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_attempts_callback_id_callbacks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
    )
    op.create_index(
        "ix_callback_attempts_batch", "callback_attempts", ["batch_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_callback_attempts_batch", table_name="callback_attempts")
    op.drop_table("callback_attempts")
    op.drop_table("callbacks")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of these tables would break the foreign
    # keys that point at them.
    op.drop_column("users", "signing_secret")
    op.drop_column("api_keys", "signing_secret")
    for column in ("task_id_form", "api_key_id", "callback_url"):
        op.drop_column("batches", column)
