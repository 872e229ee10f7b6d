"""The web UI: library, clip page, sign-in, and live clip updates over server-sent events.

Pages are Jinja templates plus a little plain JavaScript that calls the same JSON API as any
client (same-origin fetch carries the session cookie that api/deps.py accepts as a key).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from openchirp import __version__
from openchirp.api.deps import SESSION_COOKIE, Auth, ServiceDep, UserDep, get_user
from openchirp.api.static import serve_static
from openchirp.core.clip import FINISHED, ClipStatus
from openchirp.core.errors import InvalidInput, NotFound, Unauthorized
from openchirp.core.models import DEFAULT_MODEL, MODELS
from openchirp.core.service import PAGE_SIZE
from openchirp.db import repo
from openchirp.db.records import User

router = APIRouter(include_in_schema=False)

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC = WEB / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
EVENT_POLL_S = 0.5
EVENT_LIFETIME_S = 600.0
"""An event stream ends after this; the browser's EventSource reconnects and resumes."""
KEEPALIVE_S = 15.0
MAX_WATCH = 40
SESSION_MAX_AGE = 30 * 24 * 3600

_env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape())
templates = Jinja2Templates(env=_env)


def mmss(seconds: object) -> str:
    if not isinstance(seconds, int | float | str) or seconds == "":
        return ""
    s = max(0, math.floor(float(seconds)))
    return f"{s // 60}:{s % 60:02d}"


_env.filters["mmss"] = mmss
_SECTION = re.compile(r"^\s*\[(.*)\]\s*$")


def lyric_lines(prompt: str | None) -> list[dict[str, Any]]:
    """Lyrics as section labels and lines of words (each word a span the player can light)."""
    lines: list[dict[str, Any]] = []
    for raw in (prompt or "").splitlines():
        if not raw.strip():
            if lines and lines[-1]["kind"] != "gap":
                lines.append({"kind": "gap"})
            continue
        section = _SECTION.match(raw)
        if section:
            lines.append({"kind": "section", "text": section.group(1)})
        else:
            lines.append({"kind": "line", "words": raw.split()})
    return lines


def _models() -> list[tuple[str, str]]:
    return [(m.key, f"{m.major_version} · {m.key}") for m in MODELS.values()]


# -- who is looking ------------------------------------------------------------------------


async def page_user(request: Request) -> tuple[User | None, str | None]:
    """The signed-in user (or the local owner), else None and why a sign-in is needed."""
    cookie = request.cookies.get(SESSION_COOKIE)
    try:
        return await get_user(request), None
    except Unauthorized:
        if cookie:
            return None, "Your saved API key is no longer valid. Sign in again."
        return None, None


def _render(
    request: Request, name: str, user: User | None, status: int = 200, **context: Any
) -> HTMLResponse:
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "signed_in": bool(request.cookies.get(SESSION_COOKIE)),
            "anonymous": settings.allow_anonymous,
            "version": __version__,
            **context,
        },
        status_code=status,
    )


def _sign_in(request: Request, message: str | None, status: int = 401) -> HTMLResponse:
    response = _render(
        request, "signin.html", None, status, error=message, next=_safe_next(str(request.url.path))
    )
    if message and request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a sign-in link must not bounce the browser to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# -- pages --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def library(
    request: Request, service: ServiceDep, page: int = Query(0, ge=0, le=100_000)
) -> HTMLResponse:
    user, why = await page_user(request)
    if user is None:
        return _sign_in(request, why)
    clips, total = await run_in_threadpool(service.library, user, page)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return _render(
        request,
        "library.html",
        user,
        clips=clips,
        total=total,
        page=page,
        pages=pages,
        models=_models(),
        default_model=DEFAULT_MODEL,
    )


@router.get("/clip/{clip_id}", response_class=HTMLResponse)
async def clip_page(clip_id: str, request: Request, service: ServiceDep) -> HTMLResponse:
    user, why = await page_user(request)
    if user is None:
        return _sign_in(request, why)
    try:
        clip = await run_in_threadpool(service.clip, user, clip_id)
    except NotFound:
        return _render(request, "missing.html", user, 404, clip_id=clip_id)
    meta = clip["metadata"]
    source = (meta.get("history") or [{}])[0].get("id")
    return _render(
        request,
        "clip.html",
        user,
        clip=clip,
        lines=lyric_lines(meta.get("prompt")),
        source_id=source,
        models=_models(),
    )


@router.get("/signin", response_class=HTMLResponse)
async def signin_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _render(request, "signin.html", None, error=None, next=_safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    target = _safe_next((form.get("next") or ["/"])[0])
    auth: Auth = request.app.state.auth
    error = "Enter your API key." if not key else None
    key_id = None
    if key:
        key_id = await run_in_threadpool(_key_id, request, key)
        if key_id is None:
            error = "That API key is not valid."
    if error or key_id is None:
        return _render(request, "signin.html", None, 401, error=error, next=target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        auth.session(key_id, SESSION_MAX_AGE),
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _key_id(request: Request, key: str) -> str | None:
    with request.app.state.db.read() as conn:
        return repo.active_key_id(conn, key)


@router.post("/signout")
async def signout() -> RedirectResponse:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/ui-static/{name}")
def static(name: str) -> Response:
    return serve_static(STATIC, name, STATIC_TYPES, "no-cache")


# -- live updates ---------------------------------------------------------------------------


def settled(clip: dict[str, Any], video: bool) -> bool:
    if clip["status"] not in FINISHED:
        return False
    return not video or clip["status"] == ClipStatus.ERROR or not clip["is_video_pending"]


async def clip_events(
    request: Request, service: Any, user: User, ids: list[str], video: bool
) -> AsyncIterator[str]:
    """Each clip's canonical JSON whenever it changes, until all are settled.

    Every poll is one short read in a thread: the stream holds no database session while it
    sleeps, so a thousand open pages cost a thousand small reads a second, not a connection each.
    """
    sent: dict[str, str] = {}
    deadline = time.monotonic() + EVENT_LIFETIME_S
    quiet_since = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        clips = await run_in_threadpool(service.clips, user, ids)
        for clip in clips:
            data = json.dumps(clip, separators=(",", ":"), sort_keys=True)
            if sent.get(clip["id"]) != data:
                sent[clip["id"]] = data
                quiet_since = time.monotonic()
                yield f"event: clip\ndata: {data}\n\n"
        if all(settled(c, video) for c in clips):
            yield "event: done\ndata: {}\n\n"
            return
        if time.monotonic() > deadline or await request.is_disconnected():
            return
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield ": keepalive\n\n"
        await asyncio.sleep(EVENT_POLL_S)


@router.get("/ui/events")
async def events(
    request: Request,
    service: ServiceDep,
    user: UserDep,
    ids: str = Query(description="Clip ids, comma-separated"),
    video: bool = Query(False, description="Also wait for each clip's mp4"),
) -> StreamingResponse:
    wanted = list(dict.fromkeys(i.strip() for i in ids.split(",") if i.strip()))
    if not wanted or len(wanted) > MAX_WATCH:
        raise InvalidInput(f"ids must list 1 to {MAX_WATCH} clips", field="ids")
    video = video and request.app.state.settings.make_video
    return StreamingResponse(
        clip_events(request, service, user, wanted, video),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
