"""Compare a response with a sample from the seed documents: same keys, compatible value types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(expected: Any, actual: Any, path: str = "$") -> None:
    """Every key of ``expected`` is in ``actual`` with the same kind of value (null matches
    anything: the samples show fields that are null in some states and set in others)."""
    if expected is None or actual is None:
        return
    assert _kind(expected) == _kind(actual), (
        f"{path}: {_kind(actual)} where sample has {_kind(expected)}"
    )
    if isinstance(expected, dict):
        missing = set(expected) - set(actual)
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        for key, value in expected.items():
            assert_shape(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected and actual:
        for item in actual:
            assert_shape(expected[0], item, f"{path}[]")


def starry_lyrics() -> str:
    """The "Starry night" lyrics of seed 000: the reference song of the tests and benches."""
    return sample("seed_000_clips.json")["clips"][0]["metadata"]["prompt"]
