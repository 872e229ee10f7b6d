from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
from media_helpers import SR

from openchirp.media import id3
from openchirp.media.audio import Mp3StreamWriter, decode
from openchirp.media.streaming import done_path, is_done, mark_done, tail_file


async def collect(path: Path, **kwargs: object) -> list[bytes]:
    return [chunk async for chunk in tail_file(path, poll_s=0.01, **kwargs)]  # type: ignore[arg-type]


def test_tail_a_growing_mp3(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "live.mp3"
    first_chunk_seen = threading.Event()
    waited: list[bool] = []

    def produce() -> None:
        with Mp3StreamWriter(path, title="Live") as writer:
            block = SR // 4
            for i, start in enumerate(range(0, len(song), block)):
                writer.write(song[start : start + block])
                if i == 1:  # hold the rest back until the reader has seen the start
                    waited.append(first_chunk_seen.wait(10))

    async def read() -> list[bytes]:
        chunks = []
        async for chunk in tail_file(path, poll_s=0.01, chunk_size=4096):
            chunks.append(chunk)
            first_chunk_seen.set()
        return chunks

    producer = threading.Thread(target=produce)
    producer.start()
    chunks = asyncio.run(read())
    producer.join()

    assert waited == [True]  # bytes reached the reader while the writer was mid-song
    assert len(chunks) > 2
    streamed, final = b"".join(chunks), path.read_bytes()
    assert len(streamed) == len(final)
    # Everything but the Info header frame, which the writer fills in at close, is identical.
    info = final.index(b"\xff\xfb", len(id3.build_tag(title="Live")))
    info_end = info + 144 * 192_000 // SR
    assert streamed[:info] == final[:info] and streamed[info_end:] == final[info_end:]

    copy = tmp_path / "streamed.mp3"
    copy.write_bytes(streamed)
    pcm, rate = decode(copy)
    # Without the final Info header the decoder keeps the encoder delay: up to ~2 frames more.
    assert rate == SR and len(song) <= len(pcm) <= len(song) + 2 * 1152 + 1105


def test_tail_with_start_and_end(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 40
    path.write_bytes(data)
    mark_done(path)
    assert b"".join(asyncio.run(collect(path, start=100, end=300, chunk_size=64))) == data[100:300]
    assert b"".join(asyncio.run(collect(path, start=5000))) == data[5000:]
    assert b"".join(asyncio.run(collect(path, start=len(data) + 10))) == b""


def test_tail_from_an_offset_of_a_file_still_growing(tmp_path: Path) -> None:
    path = tmp_path / "g.bin"
    path.write_bytes(b"a" * 1000)
    finished = threading.Event()

    def grow() -> None:
        with open(path, "ab") as f:
            for i in range(20):
                f.write(bytes([i]) * 500)
                f.flush()
                time.sleep(0.005)
        finished.set()

    writer = threading.Thread(target=grow)
    writer.start()
    got = b"".join(asyncio.run(collect(path, is_finished=finished.is_set, start=900)))
    writer.join()
    assert got == path.read_bytes()[900:]
    assert len(got) == 100 + 20 * 500


def test_tail_waits_for_the_file_and_gives_up_on_a_dead_producer(tmp_path: Path) -> None:
    path = tmp_path / "late.bin"
    assert asyncio.run(collect(path, is_finished=lambda: True)) == []

    def create_late() -> None:
        time.sleep(0.05)
        path.write_bytes(b"hello")

    threading.Thread(target=create_late).start()
    assert b"".join(asyncio.run(collect(path, stall_timeout_s=0.5))) == b"hello"
    assert not is_done(path)  # it stopped because nothing more came, not because of a marker


def test_writer_clears_a_stale_done_marker(tmp_path: Path) -> None:
    path = tmp_path / "again.mp3"
    mark_done(path)
    writer = Mp3StreamWriter(path)
    assert not done_path(path).exists()
    writer.close()
    assert done_path(path).exists()
