"""``POST /v1/chat/completions``: make a song from the last user message, answer like OpenAI.

gcui-art/suno-api answers plain text here; OpenAI client libraries expect the real
``chat.completion`` object (or ``chat.completion.chunk`` server-sent events with ``stream``),
and OpenAI's error shape, ``{error: {message, type, param, code}}``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from openchirp.api.deps import IdempotencyKey, ServiceDep, UserDep
from openchirp.api.dialects import spellings
from openchirp.api.dialects.base import (
    REQUIRED_TEXT,
    TEXT,
    Dialect,
    Responses,
    error_responses,
)
from openchirp.api.waiting import wait_for_audio
from openchirp.core.errors import InvalidInput
from openchirp.core.requests import GenerateRequest
from openchirp.core.text import check_text


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: int


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail


def error_body(status: int, message: str, field: str | None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": field,
            "code": status,
        }
    }


def responses(*statuses: int) -> Responses:
    return error_responses(OpenAIError, *statuses)


router = APIRouter(tags=["OpenAI-compatible"])
DIALECT = Dialect(
    name="chat",
    prefixes=("/v1/",),
    error_model=OpenAIError,
    error_body=error_body,
    routers=(router,),
    field_names={"description": "messages"},
    model_spellings=spellings.EVERY,
)


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


USER_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {"role": {"const": "user"}, "content": {"type": "string", **REQUIRED_TEXT}},
}


class ChatRequest(BaseModel):
    model: str = Field("chirp-v3-5", json_schema_extra=TEXT)
    messages: list[Message] = Field(
        min_length=1,
        description="The last user message with text describes the song",
        json_schema_extra={"contains": USER_MESSAGE},
    )
    stream: bool = False


def _text(message: Message) -> str:
    if isinstance(message.content, list):  # OpenAI's content parts
        return " ".join(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
    return message.content or ""


def describe(clips: list[dict[str, Any]]) -> str:
    lines = []
    for i, clip in enumerate(clips, 1):
        meta = clip["metadata"]
        lines.append(f"## Song {i}: {clip['title'] or 'Untitled'}")
        lines.append(f"- Style: {meta.get('tags') or '-'}")
        lines.append(f"- Status: {clip['status']}")
        if clip["audio_url"]:
            lines.append(f"- Audio: {clip['audio_url']}")
        if clip["image_url"]:
            lines.append(f"- Cover: {clip['image_url']}")
        if meta.get("error_message"):
            lines.append(f"- Error: {meta['error_message']}")
        if meta.get("prompt"):
            lines.append("")
            lines.append(meta["prompt"])
        lines.append("")
    return "\n".join(lines).strip()


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


@router.post("/v1/chat/completions", responses=responses(400, 401, 409, 413, 422, 429, 507))
async def chat_completions(
    body: ChatRequest, service: ServiceDep, user: UserDep, idempotency_key: IdempotencyKey = None
) -> Any:
    users = [m for m in body.messages if m.role == "user" and _text(m).strip()]
    if not users:
        raise InvalidInput("messages needs a user message describing the song", field="messages")
    description = _text(users[-1]).strip()
    check_text("model", body.model)  # echoed in the answer: it must be encodable
    # An unknown model (a client's "gpt-4o") makes a song on the default one, answered under
    # the name the client sent.
    model = DIALECT.resolve_model(body.model)
    batch = await run_in_threadpool(
        service.create,
        user,
        GenerateRequest(description=description, model=model.key if model else None),
        idempotency_key,
    )
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    ids = [c["id"] for c in batch.clips]
    wait = service.settings.wait_audio_timeout

    if not body.stream:
        clips = await wait_for_audio(service, user, ids, wait)
        content = describe(clips)
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": _tokens(description),
                    "completion_tokens": _tokens(content),
                    "total_tokens": _tokens(description) + _tokens(content),
                },
            }
        )

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        return (
            "data: "
            + json.dumps(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": body.model,
                    "choices": [
                        {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
                    ],
                }
            )
            + "\n\n"
        )

    async def events() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        yield chunk({"content": f"Making 2 songs for: {description}\n\n"})
        clips = await wait_for_audio(service, user, ids, wait)
        yield chunk({"content": describe(clips)})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
