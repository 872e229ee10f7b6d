"""What ``openchirp serve`` writes down for the commands run beside it.

The server resolves its settings (environment, options, defaults) and writes the ones the other
commands need into ``server.json`` in its data folder: the admin commands then open the database
the server uses, and the client commands find its URL, whatever environment they run in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from openchirp.config import Settings

INSTANCE_FILE = "server.json"
SHARED = ("database_url", "storage_url", "default_monthly_credits", "credits_per_clip")
"""Settings the admin commands and ``openchirp worker`` take from the server's file."""


def write(settings: Settings, owner_key_file: Path | None = None) -> Path:
    """Record the settings the server runs with (mode 600: a database URL may hold a password),
    and where the local owner's key is kept (the client commands use it when given none)."""
    record: dict[str, Any] = {
        "data_dir": str(settings.data_dir.resolve()),
        "database_url": settings.resolved_database_url,
        "storage_url": settings.resolved_storage_url,
        "default_monthly_credits": settings.default_monthly_credits,
        "credits_per_clip": settings.credits_per_clip,
        "base_url": settings.public_base_url,
        "owner_key_file": str(owner_key_file.resolve()) if owner_key_file else None,
        "pid": os.getpid(),
    }
    path = settings.data_dir / INSTANCE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{INSTANCE_FILE}.{os.getpid()}")
    partial.touch(mode=0o600)
    partial.write_text(json.dumps(record, indent=1) + "\n")
    partial.replace(path)
    return path


def read(data_dir: Path) -> dict[str, Any] | None:
    """The record a server wrote into ``data_dir``; None when none did (or it is unreadable)."""
    try:
        record = json.loads((data_dir / INSTANCE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def data_dir(option: Path | None = None) -> Path:
    """The data folder every command uses: the option (or ``$DATA_DIR``, which ``serve`` takes
    too), else ``$OPENCHIRP_DATA_DIR``, else ./data."""
    return option if option is not None else Settings().data_dir


def settings(**overrides: object) -> Settings:
    """Settings for a command beside the server: options first, then the environment, then what
    the server in the same data folder wrote down, then the defaults."""
    given = {k: v for k, v in overrides.items() if v is not None}
    from_env = Settings(**given)
    record = read(from_env.data_dir) or {}
    shared = {k: record[k] for k in SHARED if k in record}
    explicit = {k: getattr(from_env, k) for k in from_env.model_fields_set}
    if not shared:
        return from_env
    return Settings(**{**shared, **explicit})
