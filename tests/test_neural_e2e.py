"""Issue 12 over real processes: ``openchirp serve`` (no embedded workers) and a GPU-style worker
``openchirp worker --engines acestep`` beside it, configured as a user would (two environment
variables), on the tiny random ACE-Step folder written by ``openchirp models tiny``. Both
dialects create; the two clips of each come from one batched pipeline call, stream, and end as
complete 48 kHz mp3s; extend and concat; a simulated out-of-memory; a missing or broken folder
stops the server and the worker at start-up with the reason. Random weights: noise, not music."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openchirp.media.audio import decode
from tests.support.neural import (
    ACESTEP_MODEL,
    OOM_TAG,
    acestep_env,
    require_neural,
    server_and_worker,
)
from tests.support.server import Server, wait_for

require_neural()
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LYRICS = "[Verse]\nneon rain on the avenue\nhold on tight"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Written by the command a user would run, which says that its output is noise."""
    directory = tmp_path_factory.mktemp("models") / "acestep-tiny"
    out = subprocess.run(
        [sys.executable, "-m", "openchirp", "models", "tiny", "acestep", str(directory)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout
    assert "noise" in out
    checked = subprocess.run(
        [sys.executable, "-m", "openchirp", "models", "check", str(directory)],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert checked.returncode == 0 and "usable acestep model folder" in checked.stdout
    return directory


def _env(**extra: str) -> dict[str, str]:
    from tests.support.server import REPO

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), **extra}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("neural")
    with server_and_worker(
        data, acestep_env(model_dir, simulate_oom_tag=OOM_TAG), "acestep"
    ) as srv:
        yield srv


def plans(server: Server, ids: list[str]) -> list[dict[str, Any]]:
    import json

    with sqlite3.connect(server.data_dir / "oc.db") as conn:
        rows = dict(conn.execute("SELECT id, plan FROM clips").fetchall())
    return [json.loads(rows[i]) for i in ids]


def mp3_of(client: httpx.Client, url: str, tmp: Path) -> tuple[Any, int]:
    path = tmp / f"{abs(hash(url))}.mp3"
    path.write_bytes(client.get(url).content)
    return decode(path)


def wait_streaming_or_done(client: httpx.Client, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        seen |= {c["status"] for c in clips}
        if all(c["status"] in ("complete", "error") for c in clips):
            break
        time.sleep(0.02)
    return seen


def test_both_dialects_batched_streamed_extended_concatenated(
    stack: Server, tmp_path: Path
) -> None:
    with stack.client() as client:
        body = {"prompt": LYRICS, "tags": "synthwave", "title": "Neon", "model": ACESTEP_MODEL}
        ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
        seen = wait_streaming_or_done(client, ids)
        clips = wait_for(client, ids, timeout=120)
        assert [c["status"] for c in clips] == ["complete", "complete"], clips
        assert seen & {"queued", "streaming"}  # it went through the lifecycle, not at once
        made = plans(stack, ids)
        assert made[0]["call"] == made[1]["call"] and made[0]["batch_size"] == 2
        log = (stack.data_dir / "worker.log").read_text()
        assert "acestep loaded from" in log and "peak_rss_mib" in log  # its memory, reported
        assert "acestep: 2 clip(s) planned in one batch" in log
        for clip in clips:
            pcm, rate = mp3_of(client, clip["audio_url"], tmp_path)
            assert rate == 48_000 and pcm.shape[1] == 2 and abs(len(pcm) / rate - 1.0) < 0.06

        key = stack.cli("keys", "create", "org").split()[0]
        org = {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5",
            "prompt": LYRICS,
            "style": "dream pop",
            "title": "Neon II",
        }
        with stack.client(key) as keyed:
            task = keyed.post("/api/v1/generate", json=org).json()["data"]["taskId"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                info = keyed.get("/api/v1/generate/record-info", params={"taskId": task})
                data = info.json()["data"]
                if data["status"] in ("SUCCESS", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED"):
                    break
                time.sleep(0.1)
        assert data["status"] == "SUCCESS", data
        songs = data["response"]["sunoData"]
        org_plans = plans(stack, [s["id"] for s in songs])
        assert org_plans[0]["call"] == org_plans[1]["call"]

        extend = {"audio_id": ids[0], "continue_at": 0.5, "prompt": "[Verse]\non and on"}
        ext_ids = [
            c["id"]
            for c in client.post(
                "/api/extend_audio", json={**extend, "model": ACESTEP_MODEL}
            ).json()
        ]
        ext = wait_for(client, ext_ids, timeout=120)
        assert {c["status"] for c in ext} == {"complete"}
        assert all(p["continued"] for p in plans(stack, ext_ids))
        whole = client.post("/api/concat", json={"clip_id": ext_ids[0]}).json()
        (done,) = wait_for(client, [whole["id"]], timeout=120)
        assert done["status"] == "complete"
        pcm, rate = mp3_of(client, done["audio_url"], tmp_path)
        assert rate == 48_000 and abs(len(pcm) / rate - (0.5 + float(ext[0]["duration"]))) < 0.1


def test_out_of_memory_is_a_clip_error_and_the_worker_goes_on(stack: Server) -> None:
    with stack.client() as client:
        body = {"prompt": LYRICS, "tags": f"rock, {OOM_TAG}", "model": ACESTEP_MODEL}
        ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
        assert {c["status"] for c in wait_for(client, ids, timeout=120)} == {"error"}
        for clip_id in ids:
            meta = client.get("/api/clip", params={"id": clip_id}).json()["metadata"]
            assert meta["error_type"] == "out_of_memory"
            assert "ran out of memory" in meta["error_message"]
        body["tags"] = "rock"
        ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
        assert {c["status"] for c in wait_for(client, ids, timeout=120)} == {"complete"}


def test_a_missing_or_broken_folder_stops_the_start(tmp_path: Path, model_dir: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "model_index.json").unlink()
    for folder, reason in (
        (tmp_path / "absent", "no such folder"),
        (broken, "model_index.json: missing"),
    ):
        env = {**acestep_env(folder), "OPENCHIRP_DEFAULT_ENGINE": ""}
        server = Server(tmp_path / f"data-{folder.name}", f"sqlite:///{tmp_path / 'x.db'}", **env)
        with pytest.raises(RuntimeError, match="server exited") as caught:
            server.start(timeout=60)
        assert "cannot start" in str(caught.value) and reason in str(caught.value)
        worker = subprocess.run(
            [sys.executable, "-m", "openchirp", "worker", "--engines", "acestep"],
            env=server.env,
            cwd=server.data_dir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert worker.returncode == 1 and reason in worker.stderr


def test_upload_extend_cover_and_concat_on_acestep(stack: Server, tmp_path: Path) -> None:
    """sunoapi.org's upload routes on the acestep model key: a 44.1 kHz wav uploaded as base64,
    continued (two clips, each the new part) and covered (two clips of the upload's length),
    each polled through record-info to SUCCESS, then the extension concatenated onto it."""
    import base64

    from tests.support.wav import tone_wav

    wav = tone_wav(1.5, 44_100, hz=262, level=8000, phase=0.3)
    key = stack.cli("keys", "create", "uploads").split()[0]
    with stack.client(key) as keyed:
        up = keyed.post(
            "/api/file-base64-upload",
            json={"base64Data": base64.b64encode(wav).decode(), "fileName": "a.wav"},
        ).json()["data"]
        common = {
            "uploadUrl": up["downloadUrl"],
            "model": "V4_5",
            "customMode": True,
            "style": "folk",
            "title": "Mine",
            "prompt": LYRICS,
        }
        extend = keyed.post("/api/v1/generate/upload-extend", json={**common, "continueAt": 1.0})
        cover = keyed.post("/api/v1/generate/upload-cover", json=common)
        songs = {}
        for name, answer in (("extend", extend), ("cover", cover)):
            assert answer.status_code == 200, answer.text
            songs[name] = polled(keyed, answer.json()["data"]["taskId"])
        for name, length in (("extend", 1.0), ("cover", 1.48)):  # the cover: whole frames
            assert len(songs[name]) == 2
            for song in songs[name]:
                pcm48, got = mp3_of(keyed, song["audioUrl"], tmp_path)
                assert got == 48_000 and abs(len(pcm48) / got - length) < 0.06, (name, song)
        made = plans(stack, [s["id"] for s in songs["extend"] + songs["cover"]])
        assert all(p["continued"] for p in made[:2]) and all(p["cover"] for p in made[2:])
        assert made[0]["call"] == made[1]["call"] and made[2]["call"] == made[3]["call"]

    with stack.client() as client:
        whole = client.post("/api/concat", json={"clip_id": songs["extend"][0]["id"]}).json()
        (done,) = wait_for(client, [whole["id"]], timeout=120)
        assert done["status"] == "complete"
        song, got = mp3_of(client, done["audio_url"], tmp_path)
        assert got == 48_000 and abs(len(song) / got - 2.0) < 0.1  # 1.0 s of upload + 1.0 s


def polled(client: httpx.Client, task: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        data = client.get("/api/v1/generate/record-info", params={"taskId": task}).json()["data"]
        if data["status"] in ("SUCCESS", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED"):
            break
        time.sleep(0.1)
    assert data["status"] == "SUCCESS", data
    return data["response"]["sunoData"]
