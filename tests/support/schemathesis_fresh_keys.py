"""Schemathesis hooks for the acceptance run: sunoapi.org's Idempotency-Keys are made unique.
A key reused with another body is refused by design: 409 elsewhere (a status the check expects),
but 400 in sunoapi.org's codes, and no schema can know which keys earlier requests used. Other
dialects keep the keys as generated: a replay is cheap, and fresh work would only queue up."""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

SENT = itertools.count()
FRESH_KEYS_FOR = "sunoapi.org"
"""The tag of the operations whose keys are made unique."""


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if FRESH_KEYS_FOR not in (case.operation.tags or []):
        return
    for name, value in list((case.headers or {}).items()):
        if name.lower() == "idempotency-key" and isinstance(value, str):
            case.headers[name] = f"{value[:200]}#{next(SENT)}"
