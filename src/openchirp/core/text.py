"""Text that can be stored and sent: no NUL, no lone surrogates.

JSON can spell a lone surrogate (``"\\ud800"``) that no UTF-8 encoder accepts, and PostgreSQL
cannot store NUL in text; either, once stored, broke every later read of the row. Input is
refused before anything is written (:func:`check_text`); what comes back from storage is
repaired on the way out (:func:`repair`), so an old bad row can never make a read fail.
"""

from __future__ import annotations

import logging
from typing import Any

from openchirp.core.errors import InvalidInput

log = logging.getLogger("openchirp.text")

REPLACEMENT = "\ufffd"


def problem(value: str) -> str | None:
    """What makes ``value`` unstorable, or None when it is fine."""
    if "\x00" in value:
        return "a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (text that is not valid Unicode)"
    return None


def check_text(field: str, value: str | None) -> None:
    """Refuse a client's text that could not be stored or sent back."""
    if value is None or not isinstance(value, str):
        return
    found = problem(value)
    if found is not None:
        raise InvalidInput(f"{{field}} contains {found}", field=field)


def check_ids(field: str, ids: list[str]) -> None:
    for value in ids:
        check_text(field, value)


def repair(value: Any, where: str = "") -> Any:
    """``value`` with every unencodable string repaired (lone surrogates and NUL become
    U+FFFD); the same object when nothing needed it. Logs what it repaired."""
    fixed = _repair(value)
    if fixed is not value:
        log.warning("repaired text that cannot be encoded in %s", where or "a stored row")
    return fixed


def _repair(value: Any) -> Any:
    if isinstance(value, str):
        return _repair_str(value) if problem(value) else value
    if isinstance(value, dict):
        out = {k: _repair(v) for k, v in value.items()}
        changed = any(out[k] is not v for k, v in value.items())
        return out if changed else value
    if isinstance(value, list | tuple):
        items = [_repair(v) for v in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return type(value)(items) if isinstance(value, tuple) else items
        return value
    return value


def _repair_str(value: str) -> str:
    # "surrogatepass" then "replace": each lone surrogate becomes U+FFFD, valid pairs survive
    # (json.loads leaves a pair as two code points only when they were escaped separately).
    raw = value.encode("utf-16", "surrogatepass")
    return raw.decode("utf-16", "replace").replace("\x00", REPLACEMENT)
