"""Studio sessions: who a Clerk cookie is, and the short-lived JWT the studio routes take.

Suno's clients log in at Clerk with a ``__client`` cookie, trade it for a JWT that lives about a
minute, and send that as ``Authorization: Bearer`` to the studio; on a 401 they fetch a new one.
Here the cookie carries an OpenChirp API key, and the JWT is signed (HS256) with the server's
secret, so any API process that shares the secret accepts it without a database read.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from openchirp.api.deps import KEY_CACHE_S, Auth
from openchirp.config import Settings
from openchirp.core.errors import Unauthorized
from openchirp.db import repo
from openchirp.db.records import User

ALGORITHM = "HS256"
ISSUER = "openchirp"
CLIENT_COOKIE = "__client"


class Sessions:
    """Issues and checks the studio's JWTs; one per app (``sessions_of``)."""

    def __init__(self, settings: Settings, auth: Auth) -> None:
        self.settings = settings
        self.auth = auth
        # The server's one secret, which also signs file URLs and session cookies.
        self.secret = settings.secret
        self.ttl = settings.studio_token_seconds
        self._users: dict[str, tuple[float, User]] = {}

    def session_id(self, user: User) -> str:
        """One Clerk session per user, stable across processes (derived with the secret)."""
        digest = hmac.new(self.secret, f"session:{user.id}".encode(), hashlib.sha256)
        return "sess_" + digest.hexdigest()[:27]

    def client_id(self, user: User) -> str:
        digest = hmac.new(self.secret, f"client:{user.id}".encode(), hashlib.sha256)
        return "client_" + digest.hexdigest()[:27]

    def issue(self, user: User) -> tuple[str, int]:
        """A JWT for the user, and when it expires (unix seconds)."""
        now = int(time.time())
        expires = now + max(1, int(self.ttl))
        claims = {
            "sub": user.id,
            "sid": self.session_id(user),
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": expires,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), expires

    def user_id_of(self, token: str) -> str:
        """The user a JWT was issued to; Unauthorized when it is expired, forged or malformed."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid session token: {exc}", field="Authorization") from exc
        return str(claims["sub"])

    def cached_user(self, user_id: str) -> User | None:
        found = self._users.get(user_id)
        return found[1] if found and found[0] > time.monotonic() else None

    def load_user(self, user_id: str) -> User:
        with self.auth.service.db.read() as conn:
            user = repo.get_user(conn, user_id)
        if user is None:
            raise Unauthorized("the session's user no longer exists", field="Authorization")
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[user_id] = (time.monotonic() + KEY_CACHE_S, user)
        return user


def sessions_of(request: Request) -> Sessions:
    """The app's sessions, made on first use (then the secret file exists)."""
    state = request.app.state
    found: Sessions | None = getattr(state, "studio_sessions", None)
    if found is None:
        found = state.studio_sessions = Sessions(state.settings, state.auth)
    return found


async def clerk_user(request: Request) -> User:
    """Who the ``__client`` cookie says: an API key (an unknown token is anonymous where
    anonymous access is on, as gcui-art's; a revoked key is refused)."""
    auth: Auth = request.app.state.auth
    token = request.cookies.get(CLIENT_COOKIE) or None
    if token is None and not auth.settings.allow_anonymous:
        raise Unauthorized("sign in: send the cookie __client=<api key>", field=CLIENT_COOKIE)
    return auth.cached(token, True) or await run_in_threadpool(auth.lookup, token, True)


async def studio_user(request: Request) -> User:
    """The caller of a studio route: ``Bearer <jwt>`` from Clerk (an OpenChirp API key works
    too); nothing at all is the local owner where anonymous access is on. A Clerk client (it
    sends its ``__client`` cookie) without a token is told to fetch one, as Suno does: a 401."""
    auth: Auth = request.app.state.auth
    header = request.headers.get("authorization")
    if not header:
        if not auth.settings.allow_anonymous or CLIENT_COOKIE in request.cookies:
            raise Unauthorized("a session token is required", field="Authorization")
        return auth.cached(None) or await run_in_threadpool(auth.local_owner)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <jwt>'", field="Authorization")
    if token.count(".") != 2:  # not a JWT: an API key
        return auth.cached(token) or await run_in_threadpool(auth.lookup, token)
    sessions = sessions_of(request)
    user_id = sessions.user_id_of(token)
    return sessions.cached_user(user_id) or await run_in_threadpool(sessions.load_user, user_id)
