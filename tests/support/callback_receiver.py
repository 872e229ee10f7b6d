"""A callback receiver on loopback: a small threaded HTTP server that checks each post's
signature with the snippet in docs/callbacks.md and records what came, in order."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "callbacks.md"


def doc_verify() -> Any:
    """The ``verify`` function of docs/callbacks.md's Python snippet, run as written there."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, "docs/callbacks.md should hold exactly one Python snippet"
    scope: dict[str, Any] = {}
    exec(compile(blocks[0], str(DOC), "exec"), scope)  # noqa: S102 - our own document
    return scope["verify"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def stage(self) -> str:
        return self.json["data"]["callbackType"]


@dataclass
class Receiver:
    """``fail_first``: answer 500 to that many posts first; ``hang_s``: answer that late."""

    secret: str | None = None
    fail_first: int = 0
    hang_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stages(self) -> list[str]:
        with self._lock:
            return [r.stage for r in self.received if r.verified]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} callbacks came, not {count}")

    def __enter__(self) -> Receiver:
        verify = doc_verify()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                header = self.headers.get("X-OpenChirp-Signature", "")
                ok = receiver.secret is not None and verify(receiver.secret, body, header)
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body, ok))
                    failing = len(receiver.received) <= receiver.fail_first
                if receiver.hang_s:
                    time.sleep(receiver.hang_s)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
