"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks``): every string
schemathesis generates may become one rich in what text cannot hold: lone surrogates (JSON can
spell them: ``"\\ud800"``) and NUL. Bodies get both; query and path parameters get NUL (a URL
cannot carry a lone surrogate). The contract stays: no 5xx, no undeclared status."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

SURROGATES = ["\ud800", "\udfff", "x\ud800y", "\ud83d", "\ude00\ud83d", "ok\udc80"]
NULS = ["\x00", "a\x00b", "\x00\x00", "end\x00"]


def nasty(value: Any, extras: list[str]) -> st.SearchStrategy[Any]:
    """``value`` as generated, or with any of its strings replaced by or suffixed with one of
    ``extras``."""
    if isinstance(value, str):
        picked = st.sampled_from(extras)
        return st.one_of(st.just(value), picked, picked.map(lambda bad: value + bad))
    if isinstance(value, dict):
        return st.fixed_dictionaries({k: nasty(v, extras) for k, v in value.items()})
    if isinstance(value, list):
        return st.tuples(*(nasty(v, extras) for v in value)).map(list)
    return st.just(value)


def json_only(context: Any) -> bool:
    """Whether the operation's bodies are all JSON (a multipart form cannot carry a lone
    surrogate: the client could not even send it)."""
    bodies = list(getattr(context.operation, "body", None) or [])
    return all("json" in getattr(b, "media_type", "") for b in bodies)


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    return nasty(body, SURROGATES + NULS if json_only(context) else NULS)


@schemathesis.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    return nasty(query, NULS) if query else st.just(query)


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    return nasty(path_parameters, NULS) if path_parameters else st.just(path_parameters)
