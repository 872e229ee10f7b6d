"""openchirp.client and the song commands against a real server (tone engine), and the README's
sunoapi.com example (docs/examples/sunoapi_com.sh) run as it is written."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openchirp.client import (
    AsyncClient,
    Client,
    Clip,
    ClipFailed,
    InvalidRequest,
    NotFound,
    OpenChirpError,
)
from openchirp.media.audio import decode
from tests.support.server import REPO, Server

pytestmark = pytest.mark.e2e

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows"
EXAMPLE = REPO / "docs" / "examples" / "sunoapi_com.sh"


def check_files(paths: list[Path], clip: Clip) -> None:
    by_suffix = {p.suffix: p for p in paths}
    assert set(by_suffix) == {".mp3", ".wav", ".jpeg"} or set(by_suffix) == {
        ".mp3",
        ".wav",
        ".jpg",
    }, paths
    pcm, rate = decode(by_suffix[".mp3"])
    assert rate == 44100 and abs(len(pcm) / rate - (clip.duration or 0)) < 0.5
    assert by_suffix[".wav"].read_bytes()[:4] == b"RIFF"
    cover = by_suffix.get(".jpeg") or by_suffix[".jpg"]
    assert cover.read_bytes()[:3] == b"\xff\xd8\xff"
    assert all(p.name.startswith(clip.id) for p in paths)
    assert not list(paths[0].parent.glob("*.part"))


def test_create_wait_download(server: Server, tmp_path: Path) -> None:
    with Client(server.url) as client:
        clips = client.create(LYRICS, tags="synthwave", title="Starry")
        assert len(clips) == 2 and all(isinstance(c, Clip) for c in clips)
        assert {c.status for c in clips} <= {"submitted", "queued", "streaming"}
        seen: list[str] = []
        done = client.wait(
            clips, timeout=60, on_update=lambda cs: seen.extend(c.status for c in cs)
        )
        assert [c.id for c in done] == [c.id for c in clips]
        assert all(c.complete and c.duration and c.lyrics == LYRICS for c in done)
        assert seen[-2:] == ["complete", "complete"]
        check_files(client.download(done[0], tmp_path), done[0])
        assert client.limits().unlimited and "unlimited" in str(client.limits())


def test_extend_then_concat(server: Server, tmp_path: Path) -> None:
    with Client(server.url) as client:
        first = client.wait(client.create(LYRICS, tags="pop", title="Two"), timeout=60)[0]
        assert first.duration
        at = round(first.duration / 2, 2)
        more = client.wait(client.extend(first.id, continue_at=at, lyrics="[Verse]\nAgain"))
        whole = client.wait([client.concat(more[0].id)], timeout=60)[0]
        assert whole.type == "concat" and whole.duration
        assert abs(whole.duration - (at + (more[0].duration or 0))) < 0.5
        paths = client.download(whole, tmp_path, ["mp3"])
        assert [p.name for p in paths] == [f"{whole.id}.mp3"]


def test_errors_are_typed_and_name_the_field(server: Server) -> None:
    with Client(server.url) as client:
        with pytest.raises(InvalidRequest) as too_long:
            client.create(LYRICS, tags="x" * 5000)
        assert too_long.value.status == 422 and too_long.value.field == "tags"
        assert "200" in too_long.value.message
        with pytest.raises(NotFound) as missing:
            client.extend("no-such-clip", continue_at=1.0)
        assert missing.value.field == "audio_id"
        with pytest.raises(NotFound):
            client.get(["no-such-clip"])


def test_a_failed_clip_raises_from_wait(server: Server) -> None:
    with Client(server.url) as client:
        clips = client.create(LYRICS, tags="fail-always", title="Doomed")
        with pytest.raises(OpenChirpError, match="only a complete clip"):
            client.download(clips[0], "never")
        with pytest.raises(ClipFailed) as failed:
            client.wait(clips, timeout=60)
        assert failed.value.clip.status == "error" and failed.value.clip.error_message
        assert {c.status for c in client.wait(clips, raise_on_error=False)} == {"error"}


def test_async_client(server: Server, tmp_path: Path) -> None:
    async def song() -> tuple[Clip, list[Path]]:
        async with AsyncClient(server.url) as client:
            clips = await client.create(LYRICS, tags="folk", title="Async")
            done = await client.wait(clips, timeout=60)
            return done[1], await client.download(done[1].id, tmp_path)

    clip, paths = asyncio.run(song())
    check_files(paths, clip)


def openchirp(
    server: Server, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openchirp", *args],
        env={**server.env, **env},
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        cwd=server.data_dir,
    )


def test_cli_create_wait_out_then_get(server: Server, tmp_path: Path) -> None:
    lyrics = tmp_path / "song.txt"
    lyrics.write_text(LYRICS)
    out = tmp_path / "out"
    made = openchirp(
        server,
        "create",
        "--tags",
        "synthwave",
        "--title",
        "Cli",
        "--lyrics",
        str(lyrics),
        "--wait",
        "--out",
        str(out),
        OPENCHIRP_URL=server.url,
    )
    assert made.returncode == 0, made.stderr
    lines = made.stdout.split()
    files, ids = [Path(p) for p in lines if "/" in p], [p for p in lines if "/" not in p]
    assert len(ids) == 2 and len(files) == 6 and all(f.parent == out for f in files)
    assert lines[:2] == ids  # the ids at once, the files as they download
    as_json = openchirp(server, "get", *ids, "--json", OPENCHIRP_URL=server.url)
    assert [c["id"] for c in json.loads(as_json.stdout)] == ids
    listed = openchirp(server, "get", *ids, OPENCHIRP_URL=server.url)
    assert listed.returncode == 0 and listed.stdout.count(" complete ") == 2, listed.stdout
    # No URL given: the server that runs from the data folder, as its server.json says.
    assert server.cli("credits").startswith("unlimited credits")


def test_cli_extend_concat_download(server: Server, tmp_path: Path) -> None:
    url = {"OPENCHIRP_URL": server.url}
    made = openchirp(
        server, "create", "--tags", "pop", "--lyrics", "-", "--wait", stdin=LYRICS, **url
    )
    first = made.stdout.split()[0]
    extended = openchirp(
        server, "extend", first, "--at", "1", "--lyrics", "-", "--wait", stdin="[Verse]\nOn", **url
    )
    assert extended.returncode == 0, extended.stderr
    part = extended.stdout.split()[0]
    joined = openchirp(
        server, "concat", part, "--out", str(tmp_path / "whole"), "--files", "mp3", **url
    )
    assert joined.returncode == 0, joined.stderr
    whole, path = joined.stdout.split()
    pcm, rate = decode(Path(path))
    assert Path(path).name == f"{whole}.mp3" and len(pcm) / rate > 1.5
    saved = openchirp(
        server, "download", first, part, "--out", str(tmp_path / "parts"), "--files", "cover", **url
    )
    assert saved.returncode == 0, saved.stderr
    assert [Path(p).stem for p in saved.stdout.split()] == [first, part]


def test_cli_errors_are_one_line(server: Server, tmp_path: Path) -> None:
    missing = openchirp(server, "create", "--lyrics", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"openchirp: --lyrics {tmp_path}/nope.txt: no such file"
    ]
    refused = openchirp(server, "create", "--tags", "x" * 5000, "--lyrics", "-", stdin=LYRICS)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "[tags]" in refused.stderr and "Traceback" not in refused.stderr
    nobody = openchirp(server, "get", "x", OPENCHIRP_URL="http://127.0.0.1:9")
    assert nobody.returncode == 1 and "cannot reach a server" in nobody.stderr


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_the_readme_sunoapi_example_runs(server: Server, tmp_path: Path) -> None:
    (tmp_path / "data").symlink_to(server.data_dir)  # as in the project folder: ./data
    result = subprocess.run(
        ["sh", str(EXAMPLE)],
        env={**os.environ, "BASE": server.url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    clips = result.stdout.splitlines()[:2]
    assert len(clips) == 2 and all(" complete http" in line for line in clips), result.stdout
    pcm, rate = decode(tmp_path / "starry.mp3")
    assert rate == 44100 and len(pcm) > rate


def test_the_python_example_runs(server: Server, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "docs" / "examples" / "client.py")],
        env={**server.env, "OPENCHIRP_URL": server.url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("saved out/") for line in lines) == 3
    assert any(line.startswith("the whole song: ") for line in lines)
    assert any(line.startswith("refused: tags: ") for line in lines)
    assert lines[-1].startswith("unlimited credits")
