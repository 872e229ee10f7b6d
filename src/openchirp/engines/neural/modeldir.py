"""Checks of a local model folder that every neural engine makes the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WEIGHT_SUFFIXES = (".safetensors", ".bin")


def read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """A JSON file's object, or None with a problem recorded (missing, unreadable, not JSON)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        problems.append(f"{path}: missing")
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: not a JSON object")
        return None
    return data


def has_weights(folder: Path, problems: list[str]) -> int:
    """The size of the weights in ``folder`` (recorded as a problem when there are none)."""
    files = (
        [p for p in folder.glob("*") if p.name.endswith(WEIGHT_SUFFIXES)] if folder.is_dir() else []
    )
    if not files:
        problems.append(f"{folder}: no weights (*.safetensors or *.bin)")
        return 0
    empty = [p.name for p in files if p.stat().st_size == 0]
    if empty:
        problems.append(f"{folder}: empty weight files {', '.join(sorted(empty))}")
    return sum(p.stat().st_size for p in files)


def folder_problem(directory: Path | str | None) -> str | None:
    if directory in (None, ""):
        return (
            "no model_dir option: set it in OPENCHIRP_ENGINE_OPTIONS (weights are never downloaded)"
        )
    path = Path(directory)
    if not path.exists():
        return f"{path}: no such folder (weights are never downloaded: put them there first)"
    if not path.is_dir():
        return f"{path}: not a folder"
    return None
