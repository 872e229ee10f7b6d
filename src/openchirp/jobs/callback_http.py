"""Post a callback: signed, to a public address only, never following a redirect.

The host is resolved once and the address checked; the request then connects to that very
address (the URL's host stays in the Host header and in TLS's SNI and certificate check), so a
DNS answer that changes between the check and the connection cannot reach an internal service.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from functools import cache

import httpx

SIGNATURE_HEADER = "X-OpenChirp-Signature"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be called (bad scheme, unresolvable, or a non-public address)."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float
    refused: bool = False
    """The URL may not be called at all: trying again will not help."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def public(ip: IPAddress) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local and so
    the cloud metadata service, carrier NAT, multicast or reserved)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def ascii_host(url: httpx.URL) -> str:
    """The host as DNS and TLS know it (an international name in its xn-- form)."""
    return url.raw_host.decode("ascii")


def resolve(url: httpx.URL, allow_private: bool) -> IPAddress:
    """The address to connect to: the host's first, when every address it has is allowed."""
    if url.scheme not in ("http", "https") or not url.host:
        raise Refused(f"only http and https URLs are called, not {str(url)[:200]!r}")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        host = ascii_host(url)
    except UnicodeError as exc:
        raise Refused(f"not a host name: {url.host!r}") from exc
    # A failed lookup raises OSError: maybe passing, so the delivery is tried again.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not allow_private:
        blocked = sorted({str(a) for a in addresses if not public(a)})
        if blocked:
            raise Refused(
                f"{url.host} resolves to a non-public address ({', '.join(blocked)}); "
                "set OPENCHIRP_CALLBACK_ALLOW_PRIVATE=1 to allow it"
            )
    return addresses[0]


@cache
def _client() -> httpx.Client:
    """One client per process: its TLS context takes a while to build. No connection is kept
    for reuse: one made for another host name on the same address would carry this request
    under that name's TLS session. ``trust_env`` is off because a proxy from the environment
    would make its own DNS lookup."""
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def post(url: str, body: bytes, secret: str, *, timeout_s: float, allow_private: bool) -> Outcome:
    """Post ``body`` once; never raises for the receiver's faults (they are the outcome)."""
    started = time.monotonic()

    def outcome(status: int | None, error: str | None, refused: bool = False) -> Outcome:
        return Outcome(status, error, (time.monotonic() - started) * 1000, refused)

    try:
        target = httpx.URL(url)
        ip = resolve(target, allow_private)
    except (Refused, httpx.InvalidURL, ValueError) as exc:
        return outcome(None, f"refused: {exc}", refused=True)
    except OSError as exc:
        return outcome(None, f"cannot resolve {target.host}: {exc}")
    headers = {
        "Host": target.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": "OpenChirp-Callbacks/1",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
    }
    pinned = target.copy_with(host=str(ip))
    try:
        # Streamed and closed unread: only the status counts, and a receiver that trickles an
        # endless body must not hold the worker.
        with _client().stream(
            "POST",
            pinned,
            content=body,
            headers=headers,
            timeout=timeout_s,
            extensions={"sni_hostname": ascii_host(target)},
        ) as response:
            pass
    except httpx.TimeoutException:
        return outcome(None, f"timed out after {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}"[:500])
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    if response.is_redirect:
        error = f"HTTP {response.status_code}: redirects are not followed"
    return outcome(response.status_code, error)
