"""``GET /api/v1/callbacks?taskId=``: every delivery attempt of a task's callbacks, in
sunoapi.org's envelope, so a client can see why its receiver heard nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openchirp.api.deps import ServiceDep, UserDep, read
from openchirp.api.dialects.base import TEXT, error_responses
from openchirp.api.dialects.sunoapi_org.shape import SunoApiOrgError
from openchirp.core.callbacks import attempts_of_task
from openchirp.core.clip import iso
from openchirp.core.service import Service
from openchirp.db.records import CallbackAttempt


class Attempt(BaseModel):
    taskId: str
    callbackType: str = Field(description="text, first, complete or error")
    callbackUrl: str
    attempt: int = Field(description="1 to 5")
    statusCode: int | None = Field(description="The receiver's HTTP status; null: no answer")
    error: str | None = Field(description="Why it did not count as delivered")
    durationMs: float
    delivered: bool
    createTime: str


class Attempts(BaseModel):
    code: int = 200
    msg: str = "success"
    data: list[Attempt]


router = APIRouter(tags=["sunoapi.org"])


def _attempts(service: Service, user_id: str, task: str) -> list[CallbackAttempt]:
    with service.db.read() as conn:
        return attempts_of_task(conn, user_id, task)


@router.get(
    "/api/v1/callbacks",
    response_model=Attempts,
    summary="Callback delivery attempts",
    responses=error_responses(SunoApiOrgError, 400, 401, 404),
)
async def callback_attempts(
    service: ServiceDep,
    user: UserDep,
    taskId: str = Query(  # noqa: N803
        description="The task's id, as the create returned it", json_schema_extra=TEXT
    ),
) -> dict[str, Any]:
    rows = await read(service, _attempts, service, user.id, taskId)
    return {
        "code": 200,
        "msg": "success",
        "data": [
            {
                "taskId": taskId,
                "callbackType": a.stage,
                "callbackUrl": a.url,
                "attempt": a.attempt,
                "statusCode": a.status_code,
                "error": a.error,
                "durationMs": a.duration_ms,
                "delivered": a.delivered,
                "createTime": iso(a.created_at),
            }
            for a in rows
        ],
    }
