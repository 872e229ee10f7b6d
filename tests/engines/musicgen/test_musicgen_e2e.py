"""A real server process whose chirp-v3-5 runs on the musicgen engine (a tiny random MusicGen
on disk): an instrumental create gives two complete mp3s, then extend and concat."""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402
from tests.conftest import make_server  # noqa: E402
from tests.support.server import wait_for  # noqa: E402

pytestmark = pytest.mark.e2e

OPTIONS = {"duration_s": 2.0, "window_s": 1.0, "prompt_s": 0.3, "block_s": 0.25}


@pytest.fixture(scope="module")
def musicgen_server(tmp_path_factory: pytest.TempPathFactory):
    model = tmp_path_factory.mktemp("musicgen-model")
    write_tiny(model)
    srv, _ = make_server(
        tmp_path_factory.mktemp("musicgen"),
        "sqlite",
        OPENCHIRP_MODEL_ENGINES=json.dumps({"chirp-v3-5": "musicgen"}),
        OPENCHIRP_ENGINE_OPTIONS=json.dumps({"musicgen": {"model_dir": str(model), **OPTIONS}}),
    )
    srv.env.pop("OPENCHIRP_DEFAULT_ENGINE")
    srv.start()
    yield srv
    srv.stop()


def decode(data: bytes) -> tuple[np.ndarray, int]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=stream.rate)
        frames = [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)]
        return np.concatenate(frames, axis=1), stream.rate


def test_an_instrumental_is_made_extended_and_joined(musicgen_server, tmp_path: Path) -> None:
    with musicgen_server.client() as client:
        clips = client.post(
            "/api/custom_generate",
            json={
                "prompt": "",
                "tags": "synthwave, dreamy",
                "title": "Tiny",
                "make_instrumental": True,
                "model": "chirp-v3-5",
            },
        ).json()
        done = wait_for(client, [c["id"] for c in clips], timeout=240)
        assert [c["status"] for c in done] == ["complete", "complete"], done
        audio = []
        for clip in done:
            pcm, rate = decode(client.get(clip["audio_url"]).content)
            assert rate == 32_000  # MusicGen's own rate, kept through the mp3
            assert abs(pcm.shape[1] / rate - float(clip["duration"])) < 0.1
            assert abs(float(clip["duration"]) - OPTIONS["duration_s"]) < 0.1
            assert np.isfinite(pcm).all() and np.abs(pcm).max() > 0
            audio.append(pcm)
        assert not np.array_equal(audio[0], audio[1])
        ext = client.post(
            "/api/extend_audio",
            json={"audio_id": done[0]["id"], "continue_at": 1.0, "prompt": ""},
        ).json()
        ext_done = wait_for(client, [e["id"] for e in ext], timeout=240)
        assert all(e["status"] == "complete" for e in ext_done), ext_done
        whole = client.post("/api/concat", json={"clip_id": ext_done[0]["id"]}).json()
        whole = wait_for(client, [whole["id"]], timeout=120)[0]
        assert whole["status"] == "complete", whole
        assert abs(float(whole["duration"]) - (1.0 + float(ext_done[0]["duration"]))) < 0.1


def test_an_upload_is_extended_through_sunoapi_org(musicgen_server, tmp_path: Path) -> None:
    """sunoapi.org's upload-extend on the model key musicgen runs: a 22.05 kHz mono wav the
    model never made (no codes in any plan) is continued from its audio, both clips polled to
    SUCCESS through record-info, each the new part at MusicGen's rate; then the first is joined
    onto the upload by concat."""
    import base64
    import time

    from tests.support.wav import tone_wav

    wav = tone_wav(1.5, 22_050, hz=220, level=8000)
    key = musicgen_server.cli("keys", "create", "uploads").split()[0]
    with musicgen_server.client(key) as keyed:
        up = keyed.post(
            "/api/file-base64-upload",
            json={"base64Data": base64.b64encode(wav).decode(), "fileName": "a.wav"},
        )
        assert up.status_code == 200, up.text
        body = {
            "uploadUrl": up.json()["data"]["downloadUrl"],
            "model": "V3_5",
            "customMode": True,
            "instrumental": True,
            "style": "synthwave",
            "title": "Onwards",
            "continueAt": 1.0,
        }
        answer = keyed.post("/api/v1/generate/upload-extend", json=body)
        assert answer.status_code == 200, answer.text
        task = answer.json()["data"]["taskId"]
        # A cover is not something musicgen declares: refused by name.
        cover = keyed.post("/api/v1/generate/upload-cover", json=body)
        assert cover.status_code == 400 and "'musicgen'" in cover.text, cover.text
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            info = keyed.get("/api/v1/generate/record-info", params={"taskId": task}).json()
            if info["data"]["status"] in ("SUCCESS", "GENERATE_AUDIO_FAILED"):
                break
            time.sleep(0.2)
        assert info["data"]["status"] == "SUCCESS", info
        songs = info["data"]["response"]["sunoData"]
        assert len(songs) == 2
        for song in songs:
            got, got_rate = decode(keyed.get(song["audioUrl"]).content)
            assert got_rate == 32_000 and np.isfinite(got).all() and np.abs(got).max() > 0
            assert abs(got.shape[1] / got_rate - OPTIONS["duration_s"]) < 0.1
    with musicgen_server.client() as client:
        whole = client.post("/api/concat", json={"clip_id": songs[0]["id"]}).json()
        whole = wait_for(client, [whole["id"]], timeout=120)[0]
        assert whole["status"] == "complete", whole
        assert abs(float(whole["duration"]) - (1.0 + OPTIONS["duration_s"])) < 0.1
