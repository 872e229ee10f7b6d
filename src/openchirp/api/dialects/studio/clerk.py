"""Clerk's routes as Suno's clients call them (clerk.suno.com): the client, and its tokens.

Clerk answers a caller without a session ``{response: null, client: null}`` (clients read that
as "log in again"), and errors as ``{errors: [{message, long_message, code}]}``.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from openchirp.api.dialects.studio.tokens import Sessions, clerk_user, sessions_of
from openchirp.core.errors import Unauthorized
from openchirp.db.records import User

router = APIRouter(tags=["Suno studio: Clerk"])

CLERK_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "The __client cookie names no usable key"},
    404: {"description": "No such session"},
}


def clerk_error(status: int, code: str, message: str, long_message: str) -> JSONResponse:
    body = {"errors": [{"message": message, "long_message": long_message, "code": code}]}
    return JSONResponse(body, status_code=status)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def session_object(sessions: Sessions, user: User, jwt: str, expires: int) -> dict[str, Any]:
    now = time.time()
    return {
        "object": "session",
        "id": sessions.session_id(user),
        "status": "active",
        "expire_at": _ms(now + 7 * 86400),
        "abandon_at": _ms(now + 30 * 86400),
        "last_active_at": _ms(now),
        "last_active_organization_id": None,
        "actor": None,
        "user": {
            "object": "user",
            "id": user.id,
            "username": user.handle,
            "first_name": user.display_name,
            "last_name": None,
            "image_url": "",
            "has_image": False,
        },
        "public_user_data": {"identifier": user.handle, "first_name": user.display_name},
        "last_active_token": {"object": "token", "jwt": jwt},
        "created_at": _ms(now),
        "updated_at": _ms(now),
    }


async def _user_or_error(request: Request) -> User | JSONResponse:
    try:
        return await clerk_user(request)
    except Unauthorized as exc:
        return clerk_error(401, "authentication_invalid", "Invalid authentication", exc.message)


@router.get("/v1/client", responses=CLERK_ERRORS)
@router.get("/v1/client/", include_in_schema=False)
async def client(request: Request) -> JSONResponse:
    """The signed-in client: its one session, whose id clients trade for tokens."""
    user = await _user_or_error(request)
    if isinstance(user, JSONResponse):
        # Clerk: no (valid) client cookie is not an error, just no client.
        return JSONResponse({"response": None, "client": None})
    sessions = sessions_of(request)
    jwt, expires = sessions.issue(user)
    session = session_object(sessions, user, jwt, expires)
    now = _ms(time.time())
    return JSONResponse(
        {
            "response": {
                "object": "client",
                "id": sessions.client_id(user),
                "sessions": [session],
                "sign_in": None,
                "sign_up": None,
                "last_active_session_id": session["id"],
                "created_at": now,
                "updated_at": now,
            },
            "client": None,
        }
    )


@router.post("/v1/client/sessions/{sid}/tokens", responses=CLERK_ERRORS)
@router.post("/v1/client/sessions/{sid}/tokens/api", responses=CLERK_ERRORS)
async def tokens(sid: str, request: Request) -> JSONResponse:
    """A fresh JWT for the studio routes (``studio_token_seconds`` long)."""
    user = await _user_or_error(request)
    if isinstance(user, JSONResponse):
        return user
    sessions = sessions_of(request)
    if sid != sessions.session_id(user):
        return clerk_error(
            404, "resource_not_found", "not found", f"No session was found with id {sid}"
        )
    jwt, _expires = sessions.issue(user)
    return JSONResponse({"object": "token", "jwt": jwt})
