"""Dialect C, sunoapi.org, against a real server on SQLite and PostgreSQL: the lifecycle over
HTTP, then two published clients run unchanged with only their base URL and key configured.

- ``suno-easy`` (PyPI, a typed SDK): its base URL is the class attribute ``SunoClient.BASE_URL``
  (``https://api.sunoapi.org``); the test sets it on the instance, and passes the upload host
  through the constructor's own ``upload_base_url``.
- ``suno-music-cli`` (PyPI, the ``suno`` command): configured through its own environment
  variables ``SUNO_BASE_URL`` and ``SUNO_API_KEY``, with ``HOME`` in a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import Server

pytestmark = pytest.mark.e2e

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"


@pytest.fixture(scope="module")
def key(server: Server) -> str:
    return server.cli("keys", "create", "sunoapi-org", "--user", "org").split()[0]


def data_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200, body
    return body["data"]


def wait_record(
    client: httpx.Client, path: str, task: str, done: Any, timeout: float = 60
) -> tuple[dict, list[str]]:
    """Poll a record-info until ``done(data)``; the data and every status seen on the way."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        data = data_of(client.get(path, params={"taskId": task}))
        status = data.get("status", data.get("successFlag"))
        if not seen or seen[-1] != status:
            seen.append(status)
        if done(data) or time.monotonic() > deadline:
            return data, seen
        time.sleep(0.05)


def test_lifecycle_over_http(server: Server, key: str) -> None:
    with server.client(key) as client:
        credits = data_of(client.get("/api/v1/generate/credit"))
        assert isinstance(credits, int)
        body = {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5PLUS",
            "prompt": LYRICS,
            "style": "dream pop",
            "title": "Starry",
            "vocalGender": "m",
            "callBackUrl": "https://example.com/callback",
        }
        task = data_of(client.post("/api/v1/generate", json=body))["taskId"]
        assert len(task) == 32 and task == task.lower() and "-" not in task
        info, seen = wait_record(
            client, "/api/v1/generate/record-info", task, lambda d: d["status"] == "SUCCESS"
        )
        assert seen[-1] == "SUCCESS" and set(seen) <= {
            "PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS",
        }  # fmt: skip
        songs = info["response"]["sunoData"]
        assert len(songs) == 2 and all(s["modelName"] == "V4_5PLUS" for s in songs)
        audio = httpx.get(songs[0]["audioUrl"])
        assert audio.status_code == 200 and len(audio.content) > 1000

        extend = {
            "defaultParamFlag": True,
            "audioId": songs[0]["id"],
            "model": "V4_5PLUS",
            "continueAt": 1,
            "prompt": "[Verse]\nOn we go",
            "style": "dream pop",
            "title": "Starry II",
        }
        ext = data_of(client.post("/api/v1/generate/extend", json=extend))["taskId"]
        info, _ = wait_record(
            client, "/api/v1/generate/record-info", ext, lambda d: d["status"] == "SUCCESS"
        )
        assert info["parentMusicId"] == songs[0]["id"]

        lyrics = data_of(client.post("/api/v1/lyrics", json={"prompt": "a night drive"}))
        info, _ = wait_record(
            client,
            "/api/v1/lyrics/record-info",
            lyrics["taskId"],
            lambda d: d["status"] == "SUCCESS",
        )
        assert info["response"]["data"][0]["text"]

        words = data_of(
            client.post(
                "/api/v1/generate/get-timestamped-lyrics",
                json={"taskId": task, "audioId": songs[0]["id"]},
            )
        )
        assert words["alignedWords"][0]["word"] == "Stars"

        for path, extra, field in (
            ("/api/v1/wav", {}, "audioWavUrl"),
            ("/api/v1/vocal-removal", {"type": "split_stem"}, "instrumentalUrl"),
        ):
            submit = {"taskId": task, "audioId": songs[1]["id"], **extra}
            sub = data_of(client.post(f"{path}/generate", json=submit))["taskId"]
            info, _ = wait_record(
                client, f"{path}/record-info", sub, lambda d: d["successFlag"] == "SUCCESS"
            )
            assert httpx.get(info["response"][field]).status_code == 200
        cover = data_of(client.post("/api/v1/suno/cover/generate", json={"taskId": task}))
        info, _ = wait_record(
            client, "/api/v1/suno/cover/record-info", cover["taskId"], lambda d: d["successFlag"]
        )
        assert len(info["response"]["images"]) == 2
        assert data_of(client.get("/api/v1/generate/credit")) <= credits

        too_long = client.post("/api/v1/generate", json={**body, "style": "x" * 1001})
        assert too_long.status_code == 413 and too_long.json()["code"] == 413
        assert too_long.json()["data"] is None
    with server.client("not-a-key") as stranger:
        response = stranger.get("/api/v1/generate/credit")
        assert response.status_code == 401 and response.json()["code"] == 401


def test_suno_easy_client(server: Server, key: str, tmp_path: Path) -> None:
    from suno_easy import SunoClient

    client = SunoClient(api_key=key, upload_base_url=server.url)
    client.BASE_URL = server.url  # its only setting for the host

    task = client.music.generate(
        prompt=LYRICS, style="synthwave", title="Neon", model="V4_5ALL", wait=False
    )
    songs = task.wait(timeout=90)
    assert len(songs) == 2 and all(s.audio_url for s in songs)
    songs[0].download(str(tmp_path / "neon.mp3"))
    assert (tmp_path / "neon.mp3").stat().st_size > 1000
    songs[0].download_image(str(tmp_path / "neon.jpg"))
    assert (tmp_path / "neon.jpg").read_bytes()[:2] == b"\xff\xd8"

    longer = client.music.extend(
        audio_id=songs[0].id,
        continue_at=1,
        prompt="[Verse]\nNeon glow",
        style="synthwave",
        title="Neon II",
        model="V4_5ALL",
        timeout=90,
    )
    assert [s.title for s in longer] == ["Neon II", "Neon II"]

    written = client.lyrics.generate(prompt="a song about the sea", timeout=60)
    assert written and written[0].text and written[0].title
    timed = client.lyrics.get_timestamped(task.task_id, songs[0].id)
    assert timed.aligned_words and timed.aligned_words[0].word == "Stars"

    wav = client.audio.convert_wav(task.task_id, songs[0].id, timeout=60)
    assert wav.wav_url and wav.wav_url.endswith(".wav")
    wav.download(str(tmp_path / "neon.wav"))
    assert (tmp_path / "neon.wav").read_bytes()[:4] == b"RIFF"
    stems = client.audio.separate_vocals(task.task_id, songs[0].id, timeout=60)
    assert stems.vocal_url and stems.instrumental_url
    assert client.account.get_credits().remaining >= 0

    upload = client.upload.upload_stream(str(tmp_path / "neon.mp3"), upload_path="mine")
    assert upload.download_url.startswith(server.url) and upload.file_size > 1000
    from suno_easy.exceptions import SunoAPIError

    with pytest.raises(SunoAPIError) as refused:
        client.audio.extend(upload.download_url, 1, "[Verse]\nMine", wait=False)
    assert refused.value.status_code == 400 and "upload-extend" in str(refused.value)


def suno(home: Path, server: Server, key: str, *args: str) -> str:
    """The published ``suno`` command, configured by its environment only."""
    env = {**os.environ, "HOME": str(home), "SUNO_BASE_URL": server.url, "SUNO_API_KEY": key}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "suno"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_suno_music_cli(server: Server, key: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    out = suno(
        home, server, key, "generate", "--custom", "-p", LYRICS, "-s", "lo-fi", "-t", "Rain",
        "-m", "V5", "--wait", "--interval", "0.5",
    )  # fmt: skip
    assert "status=SUCCESS" in out, out
    task = json.loads((home / ".suno" / "jobs.json").read_text())[-1]["task_id"]
    assert len(task) == 32

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    suno(home, server, key, "download", task, "-o", str(downloads))
    files = sorted(downloads.iterdir())
    assert len(files) == 2 and all(f.suffix == ".mp3" and f.stat().st_size > 1000 for f in files)

    out = suno(
        home, server, key, "extend", task, "--continue-at", "1", "-p", "[Verse]\nMore rain",
        "-s", "lo-fi", "-t", "Rain II", "--json",
    )  # fmt: skip
    extended = json.loads(out)["taskId"]
    out = suno(home, server, key, "status", extended, "--watch", "--interval", "0.5")
    assert "status=SUCCESS" in out, out

    out = suno(home, server, key, "lyrics", "-p", "city lights", "--json")
    lyrics_task = json.loads(out)["taskId"]
    assert len(lyrics_task) == 32

    out = suno(home, server, key, "credits")
    assert out.startswith("credits: ")
