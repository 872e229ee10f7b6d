"""Time to first audio through a real server with the built-in engine.

    .venv/bin/python bench/first_audio.py [--runs 3] [--no-queue]

From the create request (POST /api/custom_generate) to the first decodable mp3 frame read from
the clip's ``audio_url`` while it streams. Baseline in the same run: the create request's own
round trip. Target: under 1.5 s.

Then the embedded default (2 workers): time from a create to both its clips ``streaming``, on
idle workers and with 6 mp4 jobs already queued (both workers mid-video). Baseline in the same
run: the same with preemption off (``OPENCHIRP_PREEMPT=false``), where the song waits for the
videos ahead of it. Target: both clips streaming within 1.5 s behind the videos.
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
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]  # this checkout's code, also in a worktree
from openchirp.db import queue  # noqa: E402
from openchirp.db.database import Database  # noqa: E402
from openchirp.db.tables import jobs  # noqa: E402
from tests.support.server import Server  # noqa: E402
from tests.support.shapes import starry_lyrics  # noqa: E402

QUEUED_VIDEOS = 6


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


def create(client: httpx.Client, lyrics: str, title: str) -> list[str]:
    clips = client.post(
        "/api/custom_generate", json={"prompt": lyrics, "tags": "heavy metal", "title": title}
    ).json()
    return [c["id"] for c in clips]


def both_streaming(client: httpx.Client, lyrics: str) -> tuple[float, list[str]]:
    """Seconds from a create to both its clips streaming (or further)."""
    t0 = time.perf_counter()
    ids = create(client, lyrics, "Starry")
    while True:
        clips = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        if all(c["status"] in ("streaming", "complete") for c in clips):
            return time.perf_counter() - t0, ids
        time.sleep(0.01)


def running_videos(db: Database) -> int:
    with db.read() as conn:
        query = select(func.count()).where(jobs.c.kind == "video", jobs.c.state == "running")
        return conn.execute(query).scalar_one()


def behind_videos(preempt: bool, runs: int) -> dict[str, float]:
    """Both-streaming times on idle workers, then with QUEUED_VIDEOS mp4 jobs queued."""
    lyrics = starry_lyrics()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/oc.db"
        server = Server(
            Path(tmp), url, OPENCHIRP_MAKE_VIDEO="false", OPENCHIRP_PREEMPT=str(preempt).lower()
        )
        server.env.pop("OPENCHIRP_DEFAULT_ENGINE")  # the built-in composer
        server.start()
        db = Database(url)
        try:
            with server.client() as client:
                wait_idle(client, create(client, "[Verse]\nwarm up", "Warm"))
                idle, behind = [], []
                songs: list[str] = []
                for _ in range(runs):
                    seconds, ids = both_streaming(client, lyrics)
                    idle.append(seconds)
                    wait_idle(client, ids)
                    songs += ids
                while len(songs) < QUEUED_VIDEOS:  # finished clips to make videos of
                    ids = create(client, lyrics, "Filler")
                    wait_idle(client, ids)
                    songs += ids
                for _ in range(runs):
                    with db.write() as conn:
                        for clip_id in songs[:QUEUED_VIDEOS]:
                            queue.enqueue(conn, "video", clip_id)
                    while running_videos(db) < 2:  # both workers mid-video
                        time.sleep(0.01)
                    time.sleep(0.5)
                    seconds, ids = both_streaming(client, lyrics)
                    behind.append(seconds)
                    wait_idle(client, ids)
                    while not _videos_done(db):
                        time.sleep(0.1)
        finally:
            db.engine.dispose()
            server.stop()
    return {
        "idle_s": statistics.median(idle),
        "behind_s": statistics.median(behind),
        "behind_worst_s": max(behind),
    }


def _videos_done(db: Database) -> bool:
    with db.read() as conn:
        query = select(func.count()).where(
            jobs.c.kind == "video", jobs.c.state.in_(("pending", "running"))
        )
        return conn.execute(query).scalar_one() == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queue-runs", type=int, default=1, help="creates behind the videos")
    parser.add_argument("--no-queue", action="store_true", help="skip the queued-videos part")
    args = parser.parse_args()
    print_first_audio(measure(args.runs))
    if args.no_queue:
        return
    print(
        f"create -> both clips streaming (2 workers, built-in engine; {QUEUED_VIDEOS} mp4 queued)"
    )
    for preempt, label in ((False, "preemption off (baseline)"), (True, "preemption on")):
        f = behind_videos(preempt, args.queue_runs)
        print(
            f"  {label:26} idle {f['idle_s']:.2f} s   behind videos {f['behind_s']:.2f} s "
            f"median, {f['behind_worst_s']:.2f} s worst  (target < 1.5 s)"
        )


def print_first_audio(figures: dict[str, float]) -> None:
    print("time to first audio (real server, built-in engine, heavy metal 'Starry night')")
    print(f"  create request round trip (baseline)  {figures['create_ms']:.0f} ms")
    print(
        f"  create -> first decodable mp3 frame   {figures['first_audio_s']:.2f} s median, "
        f"{figures['worst_first_audio_s']:.2f} s worst  (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
