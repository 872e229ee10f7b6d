"""Every ``openchirp`` command in docs/deploy.md names a real command and real options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import typer

from openchirp.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"


def commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    lines = [line for block in blocks for line in block.splitlines()]
    return [shlex.split(line, comments=True)[1:] for line in lines if line.startswith("openchirp ")]


def test_the_deploy_doc_commands_parse() -> None:
    found = commands()
    assert len(found) >= 5
    root = typer.main.get_command(app)
    for args in found:
        with click.Context(root) as ctx:
            name, command, rest = root.resolve_command(ctx, args)
            assert command is not None, args
            if isinstance(command, click.Group):
                name, command, rest = command.resolve_command(ctx, rest)
            command.make_context(name, list(rest))  # raises on an unknown option or bad value
