"""What a new user meets in the first hour: error sentences, one-line CLI errors, admin commands
that never make an empty database to read, and credits shown as people read them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openchirp import instance
from openchirp.cli import app as cli
from openchirp.client.errors import InvalidRequest, NotFound, ServerError, error_for
from openchirp.client.models import UNLIMITED_CREDITS, Limits
from openchirp.config import Settings
from openchirp.core.service import UNLIMITED
from tests.support.inprocess import InProcessApp

CREATES = {
    "/api/custom_generate": lambda body: body["error"],
    "/api/v2/suno/v3.5/custom/create-lyrics-song": lambda body: body["message"],
    "/v1/chat/completions": lambda body: body["error"]["message"],
}


@pytest.mark.parametrize("path", CREATES)
def test_a_body_that_is_not_a_json_object_is_answered_with_a_sentence(
    app: InProcessApp, path: str
) -> None:
    expected = {
        "{bad": "The request body is not valid JSON (expecting property name enclosed in "
        "double quotes): send a JSON object.",
        "": "The request body is empty: send a JSON object.",
        "[1]": "The request body must be a JSON object, not an array, string, number or null.",
        "null": "The request body must be a JSON object, not an array, string, number or null.",
    }
    for sent, sentence in expected.items():
        answer = app.client.post(path, content=sent, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422
        assert CREATES[path](answer.json()) == sentence
    field = app.client.post("/api/custom_generate", content="{bad").json()["field"]
    assert field == "body"


def test_render_with_a_missing_lyrics_file_says_so_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openchirp", "render", "--lyrics", "nope.txt"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["openchirp: --lyrics nope.txt: no such file"]


def invoke(*args: str, **env: str | None) -> object:
    clean = {"OPENCHIRP_DATA_DIR": None, "OPENCHIRP_DATABASE_URL": None, "DATA_DIR": None}
    return CliRunner().invoke(cli, list(args), env={**clean, **env})


def test_a_read_only_admin_command_never_makes_a_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = invoke("keys", "list", "--data-dir", str(data))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"openchirp: no database at {data.resolve()}/openchirp.db: start the server first "
        "(make run) or pass --data-dir (or OPENCHIRP_DATABASE_URL)"
    ]
    assert not data.exists()
    made = invoke("keys", "create", "first", "--data-dir", str(data))
    assert made.exit_code == 0 and made.stdout.startswith("oc_")
    said = made.stderr.splitlines()
    assert said[0] == f"database: {data.resolve()}/openchirp.db (new)"
    assert [line.split(":")[0] for line in said[1:]] == ["callback signing secret"]
    listed = invoke("keys", "list", DATA_DIR=str(data))
    assert listed.exit_code == 0 and " first " in listed.stdout
    assert listed.stderr.splitlines() == [f"database: {data.resolve()}/openchirp.db"]


def test_admin_commands_use_the_database_the_server_wrote_down(tmp_path: Path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere.db"
    server = Settings(data_dir=data, database_url=f"sqlite:///{elsewhere}")
    assert invoke("db", "upgrade", OPENCHIRP_DATABASE_URL=server.database_url).exit_code == 0
    instance.write(server, owner_key_file=None)
    assert (data / instance.INSTANCE_FILE).stat().st_mode & 0o077 == 0
    made = invoke("keys", "create", "k", "--user", "ann", DATA_DIR=str(data))
    assert made.exit_code == 0 and made.stderr.splitlines()[0] == f"database: {elsewhere}"
    assert not (data / "openchirp.db").exists()
    # What the command is given outright wins over the file.
    other = tmp_path / "other.db"
    refused = invoke(
        "keys", "list", DATA_DIR=str(data), OPENCHIRP_DATABASE_URL=f"sqlite:///{other}"
    )
    assert refused.exit_code == 1 and f"no database at {other}" in refused.stderr


def test_unlimited_credits_read_as_unlimited() -> None:
    assert UNLIMITED_CREDITS == UNLIMITED  # the client's copy of the server's number
    unlimited = Limits.from_json(
        {"credits_left": UNLIMITED, "monthly_limit": UNLIMITED, "monthly_usage": 10}
    )
    assert unlimited.unlimited and unlimited.credits_left is None
    assert str(unlimited) == "unlimited credits (10 used this month)"
    limited = Limits.from_json({"credits_left": 20, "monthly_limit": 50, "monthly_usage": 30})
    assert not limited.unlimited and str(limited) == "20 of 50 credits left this month"


def test_every_dialects_error_shape_becomes_a_typed_error() -> None:
    gcui = error_for(422, {"error": "tags: at most 200 characters", "field": "tags"})
    assert isinstance(gcui, InvalidRequest) and gcui.field == "tags"
    suno = error_for(404, {"code": 404, "message": "clip x not found", "data": None})
    assert isinstance(suno, NotFound) and suno.message == "clip x not found"
    chat = error_for(422, {"error": {"message": "m", "param": "messages", "code": 422}})
    assert chat.field == "messages" and chat.message == "m"
    assert isinstance(error_for(502, None, "Bad Gateway"), ServerError)
    assert str(error_for(502, None, "Bad Gateway")) == "502: Bad Gateway"
