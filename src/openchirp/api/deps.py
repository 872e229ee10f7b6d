"""What every route needs: the service, and the caller (Bearer API key, or the local owner)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool

from openchirp.config import Settings
from openchirp.core.errors import InvalidInput, Unauthorized
from openchirp.core.service import Service
from openchirp.db import repo
from openchirp.db.records import User
from openchirp.storage.signing import signature, verify

KEY_CACHE_S = 1.0
"""How long a key's owner is remembered; a revoked key stops working within this time. A poll
costs one indexed key lookup a second per client at most, and nothing in between."""
SESSION_PREFIX = "s1."
"""Web session cookies: ``s1.<key id>.<expiry>.<signature>``. The cookie names the key the user
signed in with by its id, signed with the server's secret: a stolen cookie is not the API key,
revoking the key ends its sessions, and no session table is needed."""


class Auth:
    def __init__(self, settings: Settings, service: Service) -> None:
        self.settings = settings
        self.service = service
        self._cache: dict[str, tuple[float, User]] = {}
        self._unknown: dict[str, float] = {}
        """Tokens no key ever had, until when: what lenient routes take for anonymous."""
        self._local: User | None = None

    def local_owner(self) -> User:
        if self._local is None:
            with self.service.db.write() as conn:
                self._local = repo.ensure_user(conn, repo.LOCAL_HANDLE, "Local owner")
        return self._local

    def token(self, authorization: str | None, session: str | None = None) -> str | None:
        """The caller's key, or session cookie; None for the local owner. Raises when neither
        is acceptable."""
        token = None
        if authorization:
            scheme, _, token = authorization.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized(
                    "the Authorization header must be 'Bearer <api key>'", field="Authorization"
                )
        if not token and session is not None:
            if not session.startswith(SESSION_PREFIX):  # an old cookie that held the key itself
                raise Unauthorized("the session has ended: sign in again", field="Authorization")
            token = session
        if token is None and not self.settings.allow_anonymous:
            raise Unauthorized(
                "an API key is required: send 'Authorization: Bearer <key>'", field="Authorization"
            )
        return token

    def cached(self, token: str | None, lenient: bool = False) -> User | None:
        """The caller when known without a database read (on the event loop, so no I/O)."""
        if token is None:
            return self._local
        cached = self._cache.get(token)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        if lenient and self._unknown.get(token, 0.0) > now and self.settings.allow_anonymous:
            return self._local
        return None

    def session(self, key_id: str, max_age_s: int) -> str:
        """A session cookie's value for the key ``key_id``."""
        exp = int(time.time()) + max_age_s
        sig = signature(self.settings.secret, _SESSION + key_id, exp)
        return f"{SESSION_PREFIX}{key_id}.{exp}.{sig}"

    def session_key_id(self, value: str) -> str | None:
        """The key a session cookie names, when its signature holds and it has not expired."""
        key_id, _, rest = value.removeprefix(SESSION_PREFIX).partition(".")
        exp, _, sig = rest.partition(".")
        if verify(self.settings.secret, _SESSION + key_id, exp, sig):
            return key_id
        return None

    def lookup(self, token: str | None, lenient: bool = False) -> User:
        """``lenient``: when anonymous access is on, a token no key ever had is the anonymous
        caller (clients of keyless APIs send made-up ones); a revoked key is still refused."""
        if token is None:
            return self.local_owner()
        now = time.monotonic()
        with self.service.db.read() as conn:
            if token.startswith(SESSION_PREFIX):
                key_id = self.session_key_id(token)
                user = repo.user_for_key_id(conn, key_id) if key_id else None
            else:
                user = repo.user_for_key(conn, token)
            unknown = (
                user is None
                and lenient
                and not token.startswith(SESSION_PREFIX)
                and not repo.key_is_known(conn, token)
            )
        if unknown and self.settings.allow_anonymous:
            if len(self._unknown) > 10_000:
                self._unknown.clear()
            self._unknown[token] = now + KEY_CACHE_S
            return self.local_owner()
        if user is None:
            raise Unauthorized("invalid API key", field="Authorization")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + KEY_CACHE_S, user)
        return user


SESSION_COOKIE = "openchirp_session"
_SESSION = "session:"
MAX_IDS = 100


def split_ids(ids: str) -> list[str]:
    """The clip ids of an ``ids=a,b`` parameter, each once, at most MAX_IDS of them."""
    wanted = list(dict.fromkeys(i.strip() for i in ids.split(",") if i.strip()))
    if len(wanted) > MAX_IDS:
        raise InvalidInput(f"ids lists {len(wanted)} clips; at most {MAX_IDS}", field="ids")
    return wanted


T = TypeVar("T")


async def read(service: Service, fn: Callable[..., T], *args: Any) -> T:
    """Run a short database read from an async route. SQLite: inline, since a WAL read neither
    waits for writers nor leaves the machine, and costs less than the hop to a thread (and the
    GIL contention of 40 of them). PostgreSQL: in the thread pool, off the event loop."""
    if service.db.is_sqlite:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


async def get_service(request: Request) -> Service:
    return request.app.state.service


async def get_user(request: Request) -> User:
    """Async so it runs on the event loop: only a cache miss goes to a thread for the database."""
    return await find_user(request, lenient=False)


async def find_user(request: Request, lenient: bool) -> User:
    """The caller; ``lenient``: see :meth:`Auth.lookup`."""
    auth: Auth = request.app.state.auth
    token = auth.token(request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE))
    return auth.cached(token, lenient) or await run_in_threadpool(auth.lookup, token, lenient)


async def get_lenient_user(request: Request) -> User:
    """The caller for routes of keyless client APIs (gcui-art): an unknown token is anonymous
    where anonymous access is on."""
    return await find_user(request, lenient=True)


# -- the clip polls ----------------------------------------------------------------------------
# Clients poll their clips every few seconds: most of a server's requests. Once a poll's own work
# was one small query and cached JSON, FastAPI's per-request resolution of dependencies and
# declared query parameters was over half of its time (~40 us each), so a dialect's poll routes
# take the request itself and read it with these; their parameters are documented through
# ``openapi_extra`` instead of their signatures. Each dialect keeps them in its ``polls``
# routers, which the app matches before any other route.


async def caller(request: Request, lenient: bool = False) -> tuple[Service, User]:
    """The service and the user making the request."""
    return request.app.state.service, await find_user(request, lenient)


def query_int(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise InvalidInput(
            f"{name} must be a whole number from {minimum} to {maximum}, got {raw!r}", field=name
        )
    return value


def parameters(*params: tuple[str, str, dict[str, Any], bool, str]) -> dict[str, Any]:
    """OpenAPI for parameters read by hand: (name, where, schema, required, description)."""
    keys = ("name", "in", "schema", "required", "description")
    return {"parameters": [dict(zip(keys, param, strict=True)) for param in params]}


ServiceDep = Annotated[Service, Depends(get_service)]
UserDep = Annotated[User, Depends(get_user)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"\S",
        description="Retrying a create with the same key and body returns the first answer's "
        "batch instead of making (and charging) another; the same key with another body is a 409.",
    ),
]
LenientUserDep = Annotated[User, Depends(get_lenient_user)]
