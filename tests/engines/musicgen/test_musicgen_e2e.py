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
