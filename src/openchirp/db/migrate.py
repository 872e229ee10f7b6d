"""Schema migrations with Alembic, run programmatically (`openchirp db upgrade`, start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from openchirp.db.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config(db)
    # Writer connection: on SQLite the BEGIN IMMEDIATE keeps two processes from migrating at once.
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()
