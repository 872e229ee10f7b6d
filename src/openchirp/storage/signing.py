"""Signed, expiring file URLs (``?exp=&sig=``) for private clips, the same in every process.

The signature is an HMAC of the path and the expiry with the server's secret. Expiries are
rounded to half the lifetime, so a URL rendered now stays the same for that half (caches and
the clip views keep them) and always has at least half its lifetime left when it is handed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def bucket(lifetime_s: int, now: float | None = None) -> int:
    """Which half-lifetime ``now`` falls in: a rendered URL is good while this stays the same."""
    return int((time.time() if now is None else now) // max(1, lifetime_s // 2))


def expiry(lifetime_s: int, now: float | None = None) -> int:
    """The expiry given to URLs signed now: between half and all of ``lifetime_s`` ahead."""
    half = max(1, lifetime_s // 2)
    return (bucket(lifetime_s, now) + 2) * half


def signature(secret: bytes, path: str, exp: int) -> str:
    mac = hmac.new(secret, f"{path}\n{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def sign(secret: bytes, url: str, path: str, exp: int) -> str:
    """``url`` (whose path is ``path``) with its expiry and signature."""
    return f"{url}?exp={exp}&sig={signature(secret, path, exp)}"


def verify(secret: bytes, path: str, exp: str | None, sig: str | None) -> bool:
    if not exp or not sig or not exp.isdigit() or len(exp) > 12:
        return False
    if int(exp) < time.time():
        return False
    return hmac.compare_digest(signature(secret, path, int(exp)), sig)
