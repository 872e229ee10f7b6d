"""The whole API flow with OPENCHIRP_STORAGE_URL=s3://bucket/prefix, against moto's S3 on
loopback and a real `openchirp serve`: create, poll, stream, extend, concat, stems, downloads
(mp3, wav, covers, mp4, Range, HEAD, ETag 304), in both serve modes, on both databases."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.conftest import make_server
from tests.support.s3 import S3Server
from tests.support.server import Server, wait_for
from tests.test_artefacts import LYRICS, decode_bytes

BUCKET = "openchirp-flow"
SECONDS = 3.0

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server().start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["proxy", "redirect"])
def serve(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def s3_server(
    backend: str, serve: str, s3: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str]]:
    prefix = f"{backend}-{serve}"
    srv, pg = make_server(
        tmp_path_factory.mktemp(f"s3-{prefix}"),
        backend,
        OPENCHIRP_STORAGE_SERVE=serve,
        OPENCHIRP_MAKE_VIDEO="true",
        TONE_SECONDS=str(SECONDS),
        TONE_BLOCK_DELAY="0.1",
        **s3.env(BUCKET, prefix),
    )
    srv.start()
    yield srv, prefix
    srv.stop()
    if pg:
        pg.drop()  # type: ignore[attr-defined]


def download(client: httpx.Client, url: str, serve: str, **headers: str) -> httpx.Response:
    """GET a clip URL as a player would: following the redirect, which must be one in that
    mode (and never is in proxy mode)."""
    first = client.get(url, headers=headers)
    if serve == "redirect" and "/files/" in url:
        assert first.status_code == 307, first.text
    if first.status_code != 307:
        assert serve == "proxy" or "/files/" not in url
        return first
    return httpx.get(first.headers["location"], headers=headers, timeout=30)


def until(client: httpx.Client, clip_id: str, ready: Any, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        clip = client.get("/api/clip", params={"id": clip_id}).json()
        if ready(clip):
            return clip
        assert clip["status"] != "error", clip
        assert time.monotonic() < deadline, clip
        time.sleep(0.05)


def test_whole_flow_on_s3(s3_server: tuple[Server, str], s3: S3Server, serve: str) -> None:
    srv, prefix = s3_server
    with srv.client() as client:
        # Create, poll to streaming, and hear the growing mp3 from the worker's workspace.
        clips = client.post(
            "/api/custom_generate", json={"prompt": LYRICS, "tags": "pop", "title": "S3"}
        ).json()
        ids = [c["id"] for c in clips]
        first = until(client, ids[0], lambda c: c["status"] in ("streaming", "complete"))
        if first["status"] == "streaming":
            assert first["audio_url"] == f"{srv.url}/stream/{ids[0]}.mp3"
        streamed = client.get(f"/stream/{ids[0]}.mp3")
        assert streamed.status_code == 200 or streamed.status_code == 307
        if streamed.status_code == 307:  # it completed before we asked: the published object
            streamed = httpx.get(streamed.headers["location"])
        pcm, rate = decode_bytes(streamed.content)
        assert rate == 44100 and abs(pcm.shape[1] / rate - SECONDS) < 0.1

        done = wait_for(client, ids)
        assert [c["status"] for c in done] == ["complete", "complete"]
        clip = client.get("/api/clip", params={"id": ids[0]}).json()
        # Clip URLs stay the server's own, in both modes.
        assert clip["audio_url"] == f"{srv.url}/files/clips/{ids[0]}/{ids[0]}.mp3"
        assert clip["image_url"] == f"{srv.url}/files/clips/{ids[0]}/image.jpeg"

        mp3 = download(client, clip["audio_url"], serve)
        assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
        whole = mp3.content
        assert whole == s3.get(BUCKET, f"{prefix}/clips/{ids[0]}/{ids[0]}.mp3")
        # Once complete, /stream answers the published object too.
        assert download(client, f"/stream/{ids[0]}.mp3", serve).content == whole
        part = download(client, clip["audio_url"], serve, Range="bytes=100-199")
        assert part.status_code == 206 and part.content == whole[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
        head = client.head(clip["audio_url"])
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(whole)
        etag = head.headers["etag"]
        not_modified = client.get(clip["audio_url"], headers={"If-None-Match": etag})
        assert not_modified.status_code == 304
        assert client.get(f"/files/{prefix}/nope.mp3").status_code == 404
        assert client.get("/files/../../etc/passwd").status_code == 404

        wav_url = client.get("/api/get_wav", params={"id": ids[0]}).json()["wav_url"]
        wav = download(client, wav_url, serve)
        assert wav.headers["content-type"] == "audio/wav"
        mix, rate = decode_bytes(wav.content)
        assert abs(mix.shape[1] / rate - SECONDS) < 0.01
        for url, size in ((clip["image_url"], 512), (clip["image_large_url"], 1024)):
            image = Image.open(io.BytesIO(download(client, url, serve).content))
            assert image.format == "JPEG" and image.size == (size, size)
        peaks = client.get("/api/waveform", params={"id": ids[0]}).json()["peaks"]
        assert len(peaks) > 100 and max(peaks) == 1.0
        # The video job read the wav and cover back from S3 (or the worker's cache).
        video = until(client, ids[0], lambda c: c["video_url"])
        mp4 = download(client, video["video_url"], serve)
        assert mp4.headers["content-type"] == "video/mp4" and mp4.content[4:8] == b"ftyp"

        # Extend, then concat: the concat job decodes both parts' wavs from storage.
        ext = client.post(
            "/api/extend_audio",
            json={"audio_id": ids[0], "continue_at": 1.5, "prompt": "[Verse]\nOn and on"},
        ).json()[0]
        wait_for(client, [ext["id"]])
        whole_song = client.post("/api/concat", json={"clip_id": ext["id"]}).json()
        joined = wait_for(client, [whole_song["id"]])[0]
        assert joined["status"] == "complete"
        song_wav = client.get("/api/get_wav", params={"id": joined["id"]}).json()["wav_url"]
        song, rate = decode_bytes(download(client, song_wav, serve).content)
        assert abs(song.shape[1] / rate - (1.5 + SECONDS)) < 0.05

        # Stems: clips of their own whose wavs sum to the mix.
        stems = client.post("/api/generate_stems", json={"audio_id": ids[0]}).json()
        finished = wait_for(client, [s["id"] for s in stems])
        assert [s["status"] for s in finished] == ["complete", "complete"]
        parts = [
            decode_bytes(
                download(
                    client,
                    client.get("/api/get_wav", params={"id": s["id"]}).json()["wav_url"],
                    serve,
                ).content
            )[0]
            for s in stems
        ]
        residual = mix - parts[0] - parts[1]
        assert 20 * np.log10(np.sqrt(np.mean(residual**2)) / np.sqrt(np.mean(mix**2))) < -40
        # Let every clip's video finish: then no job has anything left in the workspace.
        for clip_id in [*ids, ext["id"], joined["id"], *(s["id"] for s in stems)]:
            until(client, clip_id, lambda c: c["video_url"])

    # Every file was published to the bucket; nothing was left on the server's local disk.
    keys = set(s3.keys(BUCKET, f"{prefix}/clips/{ids[0]}/"))
    base = f"{prefix}/clips/{ids[0]}/"
    for name in (
        f"{ids[0]}.mp3",
        f"{ids[0]}.wav",
        f"{ids[0]}.mp4",
        "image.jpeg",
        "image_large.jpeg",
        "peaks.json",
        "stems/vocals.wav",
        "stems/instrumental.wav",
    ):
        assert base + name in keys, sorted(keys)
    assert not (srv.data_dir / "files" / "clips").exists()
    scratch = [p for p in (srv.data_dir / "workspace").rglob("*") if p.is_file()]
    assert scratch == []
