"""Who may reach the API from a browser: Host check, CORS, Private Network Access, page headers.

A server on loopback serves requests without a key as the local owner, so any web page the owner
visits could otherwise read the library and create songs (with ``Access-Control-Allow-Origin: *``,
or by DNS rebinding a name of its own to 127.0.0.1). Hence:

- ``Host`` must be one of the server's names when bound to loopback (localhost, 127.0.0.1, [::1]
  with the port, the base URL's host, ``OPENCHIRP_ALLOWED_HOSTS``), or, bound elsewhere, one of
  ``OPENCHIRP_ALLOWED_HOSTS`` when that is set.
- Origins in ``OPENCHIRP_CORS_ORIGINS`` get full CORS with credentials. Any other origin may call
  the API only with an ``Authorization`` key (like gcui's open CORS, which server-side and
  key-holding clients rely on): its answers carry ``Access-Control-Allow-Origin: *`` only then,
  and its writes without a key are refused before they run (a form post or a no-cors fetch would
  otherwise act as the local owner, or with the session cookie, unseen).
- A Private Network Access preflight is allowed for configured origins only.
- Files (``/files``, ``/stream``, ``/static``) stay readable from anywhere, like a CDN.
- HTML answers carry a Content-Security-Policy, ``frame-ancestors``, ``nosniff`` and
  ``Referrer-Policy``; every answer carries ``nosniff``.

A pure ASGI middleware: the clip polls pass through it, so it does no more than look at headers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from openchirp.api.dialects.registry import FALLBACK
from openchirp.config import Settings, is_loopback
from openchirp.core.urls import request_base

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: http: https:; media-src 'self' blob: http: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""The web page's policy: its own scripts and styles only (the templates have no inline script
or style); covers and audio may come from the files' base URL or a storage redirect."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PREFIXES = ("/files/", "/stream/", "/static/")
EXPOSE = "Content-Range, Accept-Ranges, Content-Length, ETag"
PREFLIGHT_MAX_AGE = "600"


class Security:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.origins = frozenset(o.rstrip("/") for o in settings.cors_origins)
        self.hosts = allowed_hosts(settings)
        # The clip URLs follow the request's host only when nothing else names the server.
        self.base_from_request = not settings.base_url and not is_loopback(settings.host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k: v for k, v in scope["headers"] if k in _WANTED}
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if self.hosts is not None and not host_allowed(host, self.hosts):
            await _refuse(
                send, 421, f"this server does not answer to the host {host[:100]!r}", "Host"
            )
            return
        origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/")
        method = scope["method"]
        path: str = scope["path"]
        keyed = b"authorization" in headers
        cross = bool(origin) and not same_origin(origin, host)
        trusted = origin in self.origins
        if cross and method == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(send, origin, headers, trusted, path)
            return
        if cross and not trusted and method not in SAFE_METHODS and not keyed:
            await _refuse(send, 403, f"requests from {origin[:100]!r} need an API key")
            return
        extra: list[tuple[bytes, bytes]] = [(b"x-content-type-options", b"nosniff")]
        if cross or origin:
            extra.append((b"vary", b"Origin"))
        if cross and trusted:
            extra += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-expose-headers", EXPOSE.encode()),
            ]
        elif cross and (keyed or path.startswith(OPEN_PREFIXES)):
            extra += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", EXPOSE.encode()),
            ]
        token = None
        if self.base_from_request and host:
            scheme = scope.get("scheme", "http")
            token = request_base.set(f"{scheme}://{host}{scope.get('root_path', '')}")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", ()))
                out += extra
                if _is_html(out):
                    out += PAGE_HEADERS
                    if not any(k == b"content-security-policy" for k, _ in out):
                        out.append((b"content-security-policy", PAGE_CSP.encode()))
                message["headers"] = out
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if token is not None:
                request_base.reset(token)

    async def _preflight(
        self, send: Send, origin: str, headers: dict[bytes, bytes], trusted: bool, path: str
    ) -> None:
        asked = headers.get(b"access-control-request-headers", b"").decode("latin-1").lower()
        private = headers.get(b"access-control-request-private-network", b"") == b"true"
        wants_key = "authorization" in {h.strip() for h in asked.split(",")}
        if private and not trusted:
            await _refuse(send, 403, f"{origin[:100]!r} may not reach this private server")
            return
        if not (trusted or wants_key or path.startswith(OPEN_PREFIXES)):
            await _refuse(send, 403, f"{origin[:100]!r} is not an allowed origin")
            return
        out = [
            (b"access-control-allow-origin", origin.encode("latin-1") if trusted else b"*"),
            (b"access-control-allow-methods", b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        if asked:
            out.append((b"access-control-allow-headers", asked.encode("latin-1")))
        if trusted:
            out.append((b"access-control-allow-credentials", b"true"))
            if private:
                out.append((b"access-control-allow-private-network", b"true"))
        await send({"type": "http.response.start", "status": 204, "headers": out})
        await send({"type": "http.response.body", "body": b""})


_WANTED = frozenset(
    {
        b"host",
        b"origin",
        b"authorization",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
    }
)
PAGE_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers)


async def _refuse(send: Send, status: int, message: str, field: str = "Origin") -> None:
    body = json.dumps(FALLBACK.error_body(status, message, field)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The ``Host`` values accepted (``name`` alone: any port); None: no check."""
    configured = {h.strip().lower() for h in settings.allowed_hosts if h.strip()}
    if not is_loopback(settings.host):
        return frozenset(configured) if configured else None
    port = settings.port
    names = {"localhost", "127.0.0.1", "[::1]"}
    hosts = {f"{name}:{port}" for name in names} | configured
    if port == 80:
        hosts |= names
    if settings.base_url:
        hosts.add(urlsplit(settings.base_url).netloc.lower())
    return frozenset(hosts)


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    if host in allowed:
        return True
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in allowed


def same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) is this server as the browser reached it."""
    return bool(host) and urlsplit(origin).netloc.lower() == host


def install(app: Any, settings: Settings) -> None:
    app.add_middleware(Security, settings=settings)
