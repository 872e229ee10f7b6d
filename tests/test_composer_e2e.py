"""The server with its default engine (the built-in composer), as `make run` starts it."""

from __future__ import annotations

import io
import re

import av
import numpy as np
import pytest

from tests.conftest import make_server
from tests.support.server import wait_for

pytestmark = pytest.mark.e2e

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"


@pytest.fixture(scope="module")
def composer_server(tmp_path_factory):
    srv, _ = make_server(tmp_path_factory.mktemp("composer"), "sqlite")
    srv.env.pop("OPENCHIRP_DEFAULT_ENGINE")
    srv.start()
    yield srv
    srv.stop()


def decode(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=stream.rate)
        return np.concatenate(
            [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)],
            axis=1,
        )


def test_a_song_is_composed_sung_extended_and_joined(composer_server) -> None:
    with composer_server.client() as client:
        clips = client.post(
            "/api/custom_generate",
            json={
                "prompt": LYRICS,
                "tags": "synthwave, female vocals",
                "title": "Starry",
                "model": "chirp-v3-5",
            },
        ).json()
        done = wait_for(client, [c["id"] for c in clips], timeout=120)
        assert [c["status"] for c in done] == ["complete", "complete"], done
        audio = [decode(client.get(c["audio_url"]).content) for c in done]
        for pcm, clip in zip(audio, done, strict=True):
            assert abs(pcm.shape[1] / 44100 - float(clip["duration"])) < 0.1
            assert np.sqrt(np.mean(pcm**2)) > 0.05  # a real, normalised song, not silence
        assert float(done[0]["duration"]) != float(done[1]["duration"]) or not np.array_equal(
            audio[0], audio[1]
        )
        words = client.get("/api/get_aligned_lyrics", params={"song_id": done[0]["id"]}).json()
        sung = [re.sub(r"[^\w']", "", w["word"]).lower() for w in words]
        assert sung == re.findall(
            r"[\w']+", LYRICS.split("]", 1)[1].replace("[Chorus]", "").lower()
        )
        at = round(float(done[0]["duration"]) / 2, 1)
        ext = client.post(
            "/api/extend_audio",
            json={
                "audio_id": done[0]["id"],
                "continue_at": at,
                "prompt": "[Verse]\nOn and on we go",
            },
        ).json()
        ext_done = wait_for(client, [e["id"] for e in ext], timeout=120)
        assert all(e["status"] == "complete" for e in ext_done), ext_done
        whole = client.post("/api/concat", json={"clip_id": ext_done[0]["id"]}).json()
        whole = wait_for(client, [whole["id"]], timeout=60)[0]
        assert abs(float(whole["duration"]) - (at + float(ext_done[0]["duration"]))) < 0.1
