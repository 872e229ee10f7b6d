"""Time to first audio through a real server with the built-in engine.

    .venv/bin/python bench/first_audio.py [--runs 3]

From the create request (POST /api/custom_generate) to the first decodable mp3 frame read from
the clip's ``audio_url`` while it streams. Baseline in the same run: the create request's own
round trip. Target: under 1.5 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.server import Server  # noqa: E402
from tests.support.shapes import starry_lyrics  # noqa: E402


def first_frame_decodes(data: bytes) -> bool:
    try:
        with av.open(io.BytesIO(data), format="mp3") as container:
            for _ in container.decode(audio=0):
                return True
    except (av.error.FFmpegError, StopIteration, ValueError):
        return False
    return False


def wait_idle(client: httpx.Client, ids: list[str]) -> None:
    """Runs must not queue behind each other: wait until the clips of the last one are done."""
    while any(
        c["status"] not in ("complete", "error")
        for c in client.get("/api/get", params={"ids": ",".join(ids)}).json()
    ):
        time.sleep(0.1)


def one_run(client: httpx.Client, lyrics: str) -> tuple[float, float, list[str]]:
    t0 = time.perf_counter()
    clips = client.post(
        "/api/custom_generate", json={"prompt": lyrics, "tags": "heavy metal", "title": "Starry"}
    ).json()
    created = time.perf_counter() - t0
    clip_id = clips[0]["id"]
    ids = [c["id"] for c in clips]
    while True:
        clip = client.get("/api/clip", params={"id": clip_id}).json()
        if clip["audio_url"]:
            break
        time.sleep(0.01)
    data = b""
    with client.stream("GET", clip["audio_url"]) as response:
        for chunk in response.iter_bytes():
            data += chunk
            if first_frame_decodes(data):
                return created, time.perf_counter() - t0, ids
    raise RuntimeError("the stream ended without a decodable frame")


def measure(runs: int = 3) -> dict[str, float]:
    lyrics = starry_lyrics()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), f"sqlite:///{tmp}/oc.db", OPENCHIRP_MAKE_VIDEO="false")
        server.env.pop("OPENCHIRP_DEFAULT_ENGINE")  # the built-in composer
        server.start()
        try:
            with server.client() as client:
                # Warm-up: workers load the SoundFont and espeak-ng on their first job.
                wait_idle(
                    client,
                    [
                        c["id"]
                        for c in client.post(
                            "/api/custom_generate",
                            json={"prompt": "[Verse]\nwarm up", "tags": "pop"},
                        ).json()
                    ],
                )
                results = []
                for _ in range(runs):
                    created, first, ids = one_run(client, lyrics)
                    results.append((created, first))
                    wait_idle(client, ids)
        finally:
            server.stop()
    return {
        "create_ms": statistics.median(r[0] for r in results) * 1000,
        "first_audio_s": statistics.median(r[1] for r in results),
        "worst_first_audio_s": max(r[1] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    figures = measure(parser.parse_args().runs)
    print("time to first audio (real server, built-in engine, heavy metal 'Starry night')")
    print(f"  create request round trip (baseline)  {figures['create_ms']:.0f} ms")
    print(
        f"  create -> first decodable mp3 frame   {figures['first_audio_s']:.2f} s median, "
        f"{figures['worst_first_audio_s']:.2f} s worst  (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
