"""Run a document's shell blocks for real, each on the "machines" its ``<!-- on: ... -->`` line
names: here a machine is a folder, an environment and the processes started in it.

A block runs one command (a line, with ``\\`` continuations) at a time in bash, in the
repository's root, with the machine's environment; what a command exports stays in that
machine's environment for the commands after it. ``openchirp serve`` and ``openchirp worker``
start in the background and are waited for (``/healthz``; Celery's "ready."). Values only the
site can know (its host names, passwords, bucket) are set by the caller and win over the
document's examples of them, and must be exported by the document under the same names.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.server import REPO, check_marked_e2e

BLOCK = re.compile(r"<!-- on: ([^>]*?) -->\n```sh\n(.*?)```", re.S)
LONG_RUNNING = ("openchirp serve", "openchirp worker")


@dataclass(frozen=True)
class Block:
    machines: tuple[str, ...]
    commands: tuple[str, ...]
    section: str


def read_blocks(doc: Path) -> list[Block]:
    """Every ``sh`` block of the document with the machines it runs on; a block without its
    ``on:`` line is an error (every command runs somewhere)."""
    text = doc.read_text()
    found: list[Block] = []
    for match in BLOCK.finditer(text):
        headings = re.findall(r"^## (.+)$", text[: match.start()], flags=re.M)
        lines = match.group(2).replace("\\\n", " ").splitlines()
        commands = tuple(line for line in lines if line.strip() and not line.startswith("#"))
        found.append(
            Block(tuple(match.group(1).split()), commands, headings[-1] if headings else "")
        )
    assert len(found) == text.count("```sh"), f"a sh block of {doc.name} names no machine"
    return found


def exported_names(blocks: list[Block]) -> set[str]:
    names: set[str] = set()
    for block in blocks:
        for command in block.commands:
            words = shlex.split(command, comments=True)
            if words and words[0] == "export":
                names |= {w.split("=", 1)[0] for w in words[1:]}
    return names


@dataclass
class Machine:
    name: str
    folder: Path
    env: dict[str, str]
    site: dict[str, str] = field(default_factory=dict)
    """The site's values: applied over whatever the document exported."""
    outputs: dict[str, str] = field(default_factory=dict)
    """Each foreground command's standard output, by command."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    """The background commands, by command."""

    def run(self, command: str, timeout: float = 300) -> None:
        if command.startswith(LONG_RUNNING):
            self.start(command)
            return
        env_file = self.folder / ".env-after"
        script = f"set -eo pipefail\n{command}\nenv -0 > {shlex.quote(str(env_file))}\n"
        done = subprocess.run(
            ["bash", "-c", script],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"{self.name}: {command}\n{done.stdout}\n{done.stderr}"
        self.outputs[command] = done.stdout
        after = env_file.read_text().split("\0")
        self.env = dict(v.split("=", 1) for v in after if "=" in v) | self.site

    def start(self, command: str, timeout: float = 120) -> None:
        check_marked_e2e()
        log = self.folder / f"{command.split()[1]}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                ["bash", "-c", f"exec {command}"],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes[command] = proc
        deadline = time.monotonic() + timeout
        while not self._up(command, log):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {command} did not start:\n{self.log_tail()}")
            time.sleep(0.2)

    def _up(self, command: str, log: Path) -> bool:
        if command.startswith("openchirp worker"):
            queue = self.env.get("OPENCHIRP_QUEUE_URL")
            return not queue or b" ready." in log.read_bytes()
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('OPENCHIRP_PORT', '3000')}"

    def stop(self, timeout: float = 40) -> dict[str, int]:
        """SIGTERM to each background command; their exit codes."""
        codes: dict[str, int] = {}
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for command, proc in self.processes.items():
            try:
                codes[command] = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[command] = proc.wait(5)
        return codes

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {self.name} {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )


def run_blocks(blocks: list[Block], machines: dict[str, Machine]) -> None:
    for block in blocks:
        for name in block.machines:
            for command in block.commands:
                machines[name].run(command)


def base_env(folder: Path, **extra: str) -> dict[str, str]:
    """A machine's environment before the document: this checkout's code and tools first, no
    OpenChirp settings from the caller's environment, installs resolved but not performed."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCHIRP_", "AWS_"))}
    venv_bin = str(Path(sys.executable).parent)
    return {
        **inherited,
        "PATH": os.pathsep.join([venv_bin, inherited.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "OPENCHIRP_DATA_DIR": str(folder / "data"),
        # `pip install` resolves against what is installed and changes nothing: the test must
        # not reinstall the environment it runs in. (pip reads NO_BUILD_ISOLATION=0 as "off".)
        "PIP_DRY_RUN": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **extra,
    }
