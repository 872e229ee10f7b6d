"""The OpenAPI document is the contract: schemathesis fuzzes every operation of a live server.

No response may be a 5xx, every status code must be declared for its route, and declared bodies,
content types and headers must match what the server sends, with strings rich in lone surrogates
and NUL (tests/support/schemathesis_hooks.py). And the schema says what the server checks: a
request the schema allows is not refused as invalid. Run through the schemathesis CLI as a
subprocess, bounded in examples and time, so the test stays well under three minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import REPO, Server

pytestmark = pytest.mark.e2e

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
PHASES = "examples,coverage,fuzzing"  # stateful adds little here (no links) and is slow
MAX_EXAMPLES = int(os.environ.get("OPENCHIRP_SCHEMATHESIS_EXAMPLES", "30"))
SEED = os.environ.get("OPENCHIRP_SCHEMATHESIS_SEED", "20240722")
"""Fixed for reproducible runs; set another seed (or "random") to explore."""
RUN_TIMEOUT_S = 150.0
REQUEST_TIMEOUT_S = 30
"""gcui's wait_audio waits for a playable clip: the tone engine streams within a second or two."""


HOOKS = "tests.support.schemathesis_hooks"
FRESH_KEYS = "tests.support.schemathesis_fresh_keys"
NO_CAPTURED_VALUES = "".join(
    f"[phases.{phase}.extra-data-sources]\nresponses = false\n"
    for phase in ("examples", "coverage", "fuzzing")
)
"""With the hooks: schemathesis would reuse values captured from earlier requests, and its own
schema validation of a captured lone surrogate crashes (a UnicodeEncodeError inside it)."""


def schemathesis_command(
    server: Server, report_dir: Path, checks: tuple[str, ...] = CHECKS
) -> list[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    command = [
        str(cli),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        ",".join(checks),
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        # One worker: hypothesis parses lambda sources with ast, and on CPython 3.11 concurrent
        # ast.parse calls can fail ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        str(REQUEST_TIMEOUT_S),
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--no-color",
    ]
    if SEED != "random":
        command += ["--seed", SEED]
    return command


UNDESCRIBABLE = r"^/api/file-(base64|stream|url)-upload$"
"""sunoapi.org's uploads: whether a file is audio the server can read (or whether the server
fetches URLs at all, a setting) is nothing a schema can say."""


def run_schemathesis(command: list[str], cwd: Path, hooks: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env["SCHEMATHESIS_HOOKS"] = hooks
    if hooks == HOOKS:
        (cwd / "schemathesis.toml").write_text(NO_CAPTURED_VALUES)
    try:
        result = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        pytest.fail(f"schemathesis ran past {RUN_TIMEOUT_S:.0f} s:\n{(out or '')[-6000:]}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)}\n\n{output[-12000:]}"
    assert "Operations:" in output and " 0 selected" not in output, output[-3000:]
    return output


def test_openapi_contract_holds_under_fuzzing(server: Server, tmp_path: Path) -> None:
    """With surrogate- and NUL-rich strings: no 5xx, no undeclared status."""
    command = schemathesis_command(server, tmp_path / "report")
    run_schemathesis(command, tmp_path, hooks=HOOKS)


def test_the_schema_says_what_the_server_checks(
    server: Server, backend: str, tmp_path: Path
) -> None:
    """Every request the schema allows is accepted (or refused for a reason the schema cannot
    know: a missing clip, no credits), never as invalid input."""
    if backend != "sqlite":
        pytest.skip("the schema and its validation are the same on every database")
    command = schemathesis_command(
        server, tmp_path / "report", ("positive_data_acceptance", "not_a_server_error")
    )
    command += ["--exclude-path-regex", UNDESCRIBABLE]
    run_schemathesis(command, tmp_path, hooks=FRESH_KEYS)
