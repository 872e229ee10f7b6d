"""/docs and /redoc from assets this server serves itself, so they work offline.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (a blank page without network, and
code from elsewhere running next to the owner's key). The assets come from the pinned
``fastapi-offline`` package (Swagger UI: Apache-2.0, ReDoc: MIT).
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from openchirp.api.static import serve_static

router = APIRouter(include_in_schema=False)

ASSETS = Path(str(files("fastapi_offline") / "static"))
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
PREFIX = "/docs-static"
_INLINE = re.compile(r"<script>(.*?)</script>", re.S)


def csp_for(html: str) -> str:
    """The pages' policy: their own assets, and their inline scripts by hash only. Swagger UI and
    ReDoc set styles inline and ReDoc runs a worker from a blob."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def _with_csp(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = csp_for(bytes(page.body).decode())
    return page


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    app = request.app
    root = request.scope.get("root_path", "")
    return _with_csp(
        get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{root}{PREFIX}/favicon.png",
        )
    )


@router.get("/docs/oauth2-redirect")
def swagger_redirect() -> HTMLResponse:
    return _with_csp(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app = request.app
    root = request.scope.get("root_path", "")
    return _with_csp(
        get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{PREFIX}/favicon.png",
            with_google_fonts=False,
        )
    )


@router.get(PREFIX + "/{name}")
def asset(name: str) -> Response:
    return serve_static(ASSETS, name, ASSET_TYPES, "public, max-age=86400")
