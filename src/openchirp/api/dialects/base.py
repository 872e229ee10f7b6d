"""What a dialect is: one client API's routes, error shape, field spellings and model names.

A dialect parses its clients' requests into the domain's requests and renders the service's
answers in its own shape; it knows no music and no SQL. The app includes every registered
dialect's routers, and the error handlers ask the dialect that owns a request for the body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from openchirp.core.models import MODELS, ModelInfo, resolve_model

ErrorBody = Callable[[int, str, str | None], dict[str, Any]]
"""(HTTP status, message, field as the client spells it) -> the JSON body of an error."""

Responses = dict[int | str, dict[str, Any]]

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON (or not UTF-8)",
    401: "Missing or invalid API key",
    404: "Not found",
    409: "The clip is not in a state that allows this",
    422: "Invalid input: the message names the field and the limit",
    413: "The request body is larger than the server accepts",
    429: "Out of credits for this month",
    503: "Not ready",
    507: "The server's disk is full: nothing was created",
}


NO_NUL = r"^[^\u0000]*$"
"""OpenAPI pattern of every text the server stores or looks up: no NUL (nor lone surrogates,
which no JSON Schema pattern can name portably; they are refused the same way)."""
NOT_BLANK = r"^[^\u0000]*[^\u0000\s][^\u0000]*$"
"""Text that must say something: not empty, not only spaces."""
TEXT: dict[str, Any] = {"pattern": NO_NUL}
REQUIRED_TEXT: dict[str, Any] = {"pattern": NOT_BLANK}
OPTIONAL_TEXT: dict[str, Any] = {"pattern": r"^([^\u0000]*[^\u0000\s][^\u0000]*)?$"}

CallbackUrl = Annotated[
    str | None,
    Field(
        description="Where to post the signed stages",
        json_schema_extra={"anyOf": [{"type": "string", **TEXT}, {"type": "null"}]},
    ),
]
"""The ``callback_url`` field the older dialects' create and extend bodies take."""
"""Empty, or text that says something: never only spaces (a field the server reads as absent
when empty but refuses when blank)."""


def nul_free(schema: dict[str, Any]) -> None:
    """A body model's ``json_schema_extra``: every text is checked for NUL (core/text.py), so
    each string property that declares no pattern (nor enum) gets ``NO_NUL``."""
    for prop in schema.get("properties", {}).values():
        for option in prop.get("anyOf", [prop]):
            for text in (option, option.get("items", {})):
                if text.get("type") == "string" and not {"pattern", "enum", "const"} & set(text):
                    text["pattern"] = NO_NUL


def body_schema(**extra: Any) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` of a body model: ``nul_free`` and the rules in ``extra`` (anyOf ...)
    that tie its fields together."""

    def apply(schema: dict[str, Any]) -> None:
        schema.update(extra)
        nul_free(schema)

    return apply


LIMIT_WORDS = {"lyrics": "lyrics", "tags": "style", "description": "description", "title": "title"}


def limited(kind: str, description: str = "", *, required: bool = False) -> dict[str, Any]:
    """OpenAPI of a text field whose length limit depends on the model (``ModelInfo``'s
    ``<kind>_limit``): the smallest limit is declared, the larger ones described, so every
    request the schema allows is one every model accepts."""
    limits = sorted({getattr(m, f"{kind}_limit") for m in MODELS.values()})
    words = f"at most {limits[0]} characters"
    if len(limits) > 1:
        words += f" ({limits[-1]} on the larger models: v4.5 and later)"
    text = f"{description} ({words})" if description else words[0].upper() + words[1:]
    return {**(REQUIRED_TEXT if required else TEXT), "maxLength": limits[0], "description": text}


def one_of_names(names: list[str], nullable: bool = False) -> dict[str, Any]:
    """OpenAPI of a name the server resolves (a model): the names it documents."""
    schema: dict[str, Any] = {"type": "string", "enum": names}
    return {"anyOf": [schema, {"type": "null"}]} if nullable else schema


def error_responses(model: type[BaseModel], *statuses: int) -> Responses:
    """OpenAPI declarations of a route's error statuses, each answered with ``model``."""
    return {s: {"model": model, "description": ERROR_DESCRIPTIONS[s]} for s in statuses}


def model_key(name: str | None, spellings: Mapping[str, str]) -> str | None:
    """What the service gets for a client's model name: its key when known, else the name as
    sent, so that the service's refusal names what the client wrote."""
    model = resolve_model(name, spellings) if name else None
    return model.key if model is not None else name


@dataclass(frozen=True, eq=False)
class Dialect:
    name: str
    prefixes: tuple[str, ...]
    """URL prefixes it answers for: an error under one (a 404 too) comes in this dialect's
    shape. The longest prefix of all registered dialects wins."""
    error_model: type[BaseModel]
    """The OpenAPI model of ``error_body``'s result."""
    error_body: ErrorBody
    routers: tuple[APIRouter, ...]
    polls: tuple[APIRouter, ...] = ()
    """Routes clients call every few seconds. The app matches them before every other route;
    they read the request by hand (``api/deps.py``: ``caller``, ``query_int``, ``parameters``)."""
    field_names: Mapping[str, str] = field(default_factory=dict)
    """Domain field -> the client's name for it; a field not listed keeps its name."""
    route_field_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Route path as declared -> names that differ there (gcui's /api/clip takes ``id``)."""
    model_spellings: Mapping[str, str] = field(default_factory=dict)
    """Model names its clients send (lower case) -> model key (``core.models.MODELS``)."""
    error_status: Callable[[int, Exception], int] | None = None
    """(the domain's HTTP status, the error) -> the status this dialect answers with (sunoapi.org
    says 400 for invalid input and 413 for too long); None keeps the domain's."""

    def status_of(self, status: int, exc: Exception) -> int:
        return status if self.error_status is None else self.error_status(status, exc)

    def field_name(self, name: str | None, route_path: str) -> str | None:
        if name is None:
            return None
        spelled = self.route_field_names.get(route_path, {}).get(name)
        return spelled if spelled is not None else self.field_names.get(name, name)

    def resolve_model(self, name: str | None) -> ModelInfo | None:
        """The model a client means (the default for none), or None when nothing matches."""
        return resolve_model(name, self.model_spellings)

    def model_key(self, name: str | None) -> str | None:
        return model_key(name, self.model_spellings)

    def all_routers(self) -> tuple[APIRouter, ...]:
        return (*self.polls, *self.routers)
