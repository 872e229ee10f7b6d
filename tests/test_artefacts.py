"""Every URL and route a clip advertises works: stream, mp3, wav, covers, mp4, words, stems."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import av
import numpy as np
import pytest

from tests.conftest import make_server
from tests.support.server import Server, wait_for
from tests.support.tone_engine import lyric_words

pytestmark = pytest.mark.e2e

LYRICS = "[Verse]\nStars they shine above me\nMoonlight softly glows\n\n[Chorus]\nStarry night"


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv, _ = make_server(
        tmp_path_factory.mktemp("media"),
        "sqlite",
        OPENCHIRP_MAKE_VIDEO="true",
        TONE_SECONDS="3",
        TONE_BLOCK_DELAY="0.15",
    )
    srv.start()
    yield srv
    srv.stop()


def decode_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Float planar (2, n) samples of an audio file's bytes."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=stream.rate)
        frames = [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)]
        return np.concatenate(frames, axis=1), stream.rate


def test_streaming_url_plays_the_whole_song_while_rendering(media_server: Server) -> None:
    with media_server.client() as client:
        clips = client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "pop", "title": "Stream"}
        ).json()
        clip_id = clips[0]["id"]
        deadline = time.monotonic() + 30
        while True:
            clip = client.get("/api/clip", params={"id": clip_id}).json()
            if clip["status"] == "streaming":
                break
            assert clip["status"] in ("submitted", "queued"), clip["status"]
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert clip["audio_url"].endswith(f"/stream/{clip_id}.mp3")
        assert clip["metadata"]["duration"] == 3
        body = client.get(clip["audio_url"]).content  # returns when the render ends
        still = client.get("/api/clip", params={"id": clip_id}).json()["status"]
        pcm, rate = decode_bytes(body)
        assert rate == 44100 and pcm.shape[0] == 2
        assert abs(pcm.shape[1] / rate - 3.0) < 0.1
        assert still in ("streaming", "complete")


def test_every_artefact_decodes(media_server: Server) -> None:
    with media_server.client() as client:
        clips = client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "synthwave", "title": "Files"}
        ).json()
        ids = [c["id"] for c in clips]
        wait_for(client, ids)
        deadline = time.monotonic() + 60
        while True:
            full = [client.get("/api/clip", params={"id": i}).json() for i in ids]
            if all(c["video_url"] for c in full) or time.monotonic() > deadline:
                break
            assert all(c["is_video_pending"] for c in full if not c["video_url"])
            time.sleep(0.2)
        for clip in full:
            assert clip["is_video_pending"] is False and clip["video_url"].endswith(".mp4")
            mp3 = client.get(clip["audio_url"])
            assert mp3.headers["content-type"] == "audio/mpeg" and "etag" in mp3.headers
            assert "max-age" in mp3.headers["cache-control"]
            with av.open(io.BytesIO(mp3.content)) as container:
                audio = container.streams.audio[0]
                assert audio.codec_context.name.startswith("mp3") and audio.rate == 44100
                assert audio.codec_context.layout.name == "stereo"
                assert container.metadata.get("title") == "Files"
            wav_url = client.get("/api/get_wav", params={"id": clip["id"]}).json()["wav_url"]
            wav = client.get(wav_url)
            assert wav.headers["content-type"] == "audio/wav"
            pcm, rate = decode_bytes(wav.content)
            assert rate == 44100 and abs(pcm.shape[1] / rate - 3.0) < 0.01
            for url, size in ((clip["image_url"], 512), (clip["image_large_url"], 1024)):
                from PIL import Image

                image = Image.open(io.BytesIO(client.get(url).content))
                assert image.format == "JPEG" and image.size == (size, size)
            video = client.get(clip["video_url"])
            assert video.headers["content-type"] == "video/mp4"
            with av.open(io.BytesIO(video.content)) as container:
                names = {s.type: s.codec_context.name for s in container.streams}
                assert names == {"video": "h264", "audio": "aac"}
                assert abs(float(container.duration) / 1e6 - 3.0) < 0.3
            peaks = client.get("/api/waveform", params={"id": clip["id"]}).json()
            assert len(peaks["peaks"]) > 100 and max(peaks["peaks"]) == 1.0


def test_range_and_head_on_final_files(media_server: Server) -> None:
    with media_server.client() as client:
        clip = client.post("/api/custom_generate", json={"prompt": LYRICS, "tags": "pop"}).json()[0]
        done = wait_for(client, [clip["id"]])[0]
        whole = client.get(done["audio_url"]).content
        part = client.get(done["audio_url"], headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
        head = client.head(done["audio_url"])
        assert head.status_code == 200 and int(head.headers["content-length"]) == len(whole)
        assert head.content == b""
        etag = client.get(done["audio_url"]).headers["etag"]
        assert client.get(done["audio_url"], headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/files/clips/nope.mp3").status_code == 404
        assert client.get("/files/../../etc/passwd").status_code == 404


def test_aligned_lyrics_are_the_engines_words(media_server: Server) -> None:
    with media_server.client() as client:
        clip = client.post("/api/custom_generate", json={"prompt": LYRICS, "tags": "pop"}).json()[0]
        done = wait_for(client, [clip["id"]])[0]
        words = client.get("/api/get_aligned_lyrics", params={"song_id": clip["id"]}).json()
        assert [w["word"] for w in words] == lyric_words(LYRICS)
        starts = [w["start_s"] for w in words]
        assert starts == sorted(starts) and all(w["end_s"] > w["start_s"] for w in words)
        assert words[-1]["end_s"] <= float(done["duration"])
        assert all(w["success"] is True and w["p_align"] == 1.0 for w in words)
        # An extension and its concatenation have words too, on the whole song's timeline.
        ext = client.post(
            "/api/extend_audio",
            json={"audio_id": clip["id"], "continue_at": 1.5, "prompt": "[Verse]\nOn and on"},
        ).json()[0]
        wait_for(client, [ext["id"]])
        whole = client.post("/api/concat", json={"clip_id": ext["id"]}).json()
        wait_for(client, [whole["id"]])
        joined = client.get("/api/get_aligned_lyrics", params={"song_id": whole["id"]}).json()
        before = [w["word"] for w in words if w["start_s"] < 1.5]
        assert [w["word"] for w in joined] == before + ["On", "and", "on"]
        assert joined[len(before)]["start_s"] >= 1.5
        pending = client.post("/api/custom_generate", json={"prompt": LYRICS, "tags": "pop"}).json()
        response = client.get("/api/get_aligned_lyrics", params={"song_id": pending[0]["id"]})
        assert response.status_code == 409 and "song_id" in response.json()["error"]


def test_stems_are_clips_that_sum_to_the_mix(media_server: Server) -> None:
    with media_server.client() as client:
        clip = client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "pop", "title": "Parts"}
        ).json()[0]
        wait_for(client, [clip["id"]])
        response = client.post("/api/generate_stems", json={"audio_id": clip["id"]})
        assert response.status_code == 200, response.text
        stems = response.json()
        assert [set(s) for s in stems] == [
            {"id", "status", "created_at", "title", "stem_from_id", "duration"}
        ] * 2
        assert {s["stem_from_id"] for s in stems} == {clip["id"]}
        assert [s["title"] for s in stems] == ["Parts (Vocals)", "Parts (Instrumental)"]
        done = wait_for(client, [s["id"] for s in stems])
        assert [d["status"] for d in done] == ["complete", "complete"]
        mix, _ = decode_bytes(
            client.get(
                client.get("/api/get_wav", params={"id": clip["id"]}).json()["wav_url"]
            ).content
        )
        parts = [
            decode_bytes(
                client.get(
                    client.get("/api/get_wav", params={"id": s["id"]}).json()["wav_url"]
                ).content
            )[0]
            for s in stems
        ]
        residual = mix - parts[0] - parts[1]
        ratio_db = 20 * np.log10(np.sqrt(np.mean(residual**2)) / np.sqrt(np.mean(mix**2)))
        assert ratio_db < -40
        meta = client.get("/api/clip", params={"id": stems[0]["id"]}).json()["metadata"]
        assert meta["stem_from_id"] == clip["id"]
        # An instrumental gives an instrumental stem only.
        inst = client.post(
            "/api/custom_generate", json={"tags": "ambient", "make_instrumental": True}
        ).json()[0]
        wait_for(client, [inst["id"]])
        only = client.post("/api/generate_stems", json={"audio_id": inst["id"]}).json()
        assert [re.sub(r".*\((\w+)\)$", r"\1", s["title"]) for s in only] == ["Instrumental"]
