"""Media layer speed on one core, for a 3-minute synthetic song.

    .venv/bin/python bench/media.py [--seconds 180]

Prints: mp3 / wav encoding speed (x real time), time to the first decodable mp3 frame on disk
when fed 0.25 s blocks, cover making time, video speed and video_time / duration (target < 0.25).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import av  # noqa: E402
import numpy as np  # noqa: E402

from openchirp.engines.base import WordTiming  # noqa: E402
from openchirp.jobs.outputs import MP3_QUALITY  # noqa: E402
from openchirp.media.audio import Mp3StreamWriter, decode, encode_mp3, write_wav  # noqa: E402
from openchirp.media.cover import make_cover  # noqa: E402
from openchirp.media.lyrics_timing import lines_from_words  # noqa: E402
from openchirp.media.video import make_video  # noqa: E402
from openchirp.media.waveform import PeakAccumulator  # noqa: E402

SR = 44_100
BLOCK = SR // 4


def synth_song(seconds: float, seed: int = 0) -> np.ndarray:
    """A I-V-vi-IV chord progression of sines (2 s per chord) with a noise burst every 4 s."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n, dtype=np.float32) / SR
    chords = np.array([[261.6, 329.6, 392.0], [392.0, 493.9, 587.3], [220.0, 261.6, 329.6],
                       [349.2, 440.0, 523.3]], dtype=np.float32)  # fmt: skip
    which = (t // 2).astype(np.int64) % len(chords)
    env = np.exp(-3 * (t % 2)).astype(np.float32)
    left = np.zeros(n, dtype=np.float32)
    right = np.zeros(n, dtype=np.float32)
    for k in range(3):
        freq = chords[which, k]
        # phase stays continuous within a chord; a jump at chord changes is masked by the attack
        tone = np.sin(2 * np.pi * freq * t) * env * 0.15
        left += tone * (1.0 - 0.3 * k)
        right += tone * (0.4 + 0.3 * k)
    burst = (t % 4) < 0.1
    left[burst] += rng.normal(0, 0.2, int(burst.sum())).astype(np.float32)
    right[burst] += rng.normal(0, 0.2, int(burst.sum())).astype(np.float32)
    return np.stack([left, right], axis=1)


def synth_lyrics(seconds: float) -> tuple[str, list[WordTiming]]:
    line = "we are singing in the city lights tonight"
    lyrics, words, t = [], [], 8.0
    while t < seconds - 4:
        lyrics.append(line)
        for w in line.split():
            words.append(WordTiming(w, t, t + 0.3))
            t += 0.4
        t += 1.2
    return "[Verse]\n" + "\n".join(lyrics), words


def pyav_lame(pcm: np.ndarray, path: Path, quality: int) -> None:
    """The baseline: the same mp3 through PyAV's libmp3lame, in 0.25 s frames."""
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream(
            "libmp3lame", rate=SR, layout="stereo", options={"compression_level": str(quality)}
        )
        stream.bit_rate = 192_000
        for start in range(0, len(pcm), BLOCK):
            planar = np.ascontiguousarray(pcm[start : start + BLOCK].T)
            frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
            frame.sample_rate = SR
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def can_decode(path: Path) -> bool:
    try:
        with av.open(str(path)) as c:
            for _frame in c.decode(audio=0):
                return True
    except (av.FFmpegError, StopIteration):
        return False
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument(
        "--no-server", action="store_true", help="skip time to first audio through a real server"
    )
    args = parser.parse_args()
    if not args.no_server:
        # Before pinning this process to one core: the server gets its workers' cores.
        from first_audio import measure

        first = measure()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    dur = args.seconds
    rows: list[tuple[str, str]] = []

    t0 = time.perf_counter()
    pcm = synth_song(dur)
    rows.append(("synth song", f"{time.perf_counter() - t0:.2f} s for {dur:.0f} s of audio"))

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cover_ms = []
        for size in (512, 1024):
            make_cover("warm up", "pop", "warm", size)
            times = []
            for i, tags in enumerate(("synthwave", "heavy metal, dark", "lo-fi, chill", "jazz")):
                t0 = time.perf_counter()
                cover = make_cover("City Lights Tonight", tags, f"clip-{i}", size)
                times.append(time.perf_counter() - t0)
            cover_ms.append(
                f"{size}px {1000 * np.mean(times):.0f} ms (max {1000 * max(times):.0f})"
            )
        rows.append(("cover", ", ".join(cover_ms)))

        # Streaming mp3: time to the first decodable frame on disk, 0.25 s blocks.
        path = d / "stream.mp3"
        t_open = time.perf_counter()
        writer = Mp3StreamWriter(path, title="Bench", cover_jpeg=cover)
        t_first = time.perf_counter()
        blocks_needed = 0
        first_write_s = 0.0
        decodable_at = None
        for start in range(0, len(pcm), BLOCK):
            w0 = time.perf_counter()
            writer.write(pcm[start : start + BLOCK])
            if blocks_needed == 0:
                first_write_s = time.perf_counter() - w0
            blocks_needed += 1
            if can_decode(path):
                decodable_at = time.perf_counter() - t_first
                break
        writer.close()
        rows.append(("mp3 writer open", f"{1000 * (t_first - t_open):.1f} ms (tag + cover + lame)"))
        rows.append(
            (
                "mp3 first frame",
                f"decodable on disk {1000 * (decodable_at or float('nan')):.1f} ms after the first "
                f"block ({blocks_needed} block(s)); baseline write() of block 1: "
                f"{1000 * first_write_s:.1f} ms",
            )
        )

        # Streaming mp3 encode of the whole song in 0.25 s blocks, with peaks alongside.
        t0 = time.perf_counter()
        acc = PeakAccumulator()
        with Mp3StreamWriter(d / "song.mp3", title="Bench", cover_jpeg=cover) as w:
            for start in range(0, len(pcm), BLOCK):
                w.write(pcm[start : start + BLOCK])
                acc.add(pcm[start : start + BLOCK])
        el = time.perf_counter() - t0
        peaks = acc.result(1000)
        rows.append(("mp3 encode (blocks)", f"{el:.2f} s = {dur / el:.0f}x real time (192k CBR)"))

        t0 = time.perf_counter()
        encode_mp3(pcm, d / "oneshot.mp3")
        el = time.perf_counter() - t0
        rows.append(("mp3 encode (one shot)", f"{el:.2f} s = {dur / el:.0f}x real time"))

        # The worker's setting, against the encoder it replaced (the libmp3lame inside PyAV's
        # wheels, the same LAME 3.100 built slower), on the same PCM in the same run.
        t0 = time.perf_counter()
        encode_mp3(pcm, d / "worker.mp3", quality=MP3_QUALITY)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        pyav_lame(pcm, d / "pyav.mp3", quality=MP3_QUALITY)
        base = time.perf_counter() - t0
        rows.append(
            (
                f"mp3 encode q{MP3_QUALITY}",
                f"{dur / ours:.0f}x real time (the worker's setting); libmp3lame in PyAV "
                f"{dur / base:.0f}x: {base / ours:.1f}x faster",
            )
        )

        t0 = time.perf_counter()
        write_wav(d / "song.wav", pcm)
        el = time.perf_counter() - t0
        rows.append(("wav write", f"{el:.3f} s = {dur / el:.0f}x real time"))

        t0 = time.perf_counter()
        decode(d / "song.mp3")
        el = time.perf_counter() - t0
        rows.append(("mp3 decode", f"{el:.2f} s = {dur / el:.0f}x real time"))

        lyrics, words = synth_lyrics(dur)
        lines = lines_from_words(lyrics, words)
        t0 = time.perf_counter()
        make_video(
            d / "song.mp3",
            d / "song.mp4",
            cover_jpeg=make_cover("City Lights Tonight", "synthwave", "clip-0", 1024),
            title="City Lights Tonight",
            lyrics_lines=lines,
            words=words,
            peaks=peaks,
            duration_s=dur,
        )
        el = time.perf_counter() - t0
        size_mb = (d / "song.mp4").stat().st_size / 1e6
        rows.append(
            (
                "video 720p 10fps",
                f"{el:.2f} s = {dur / el:.1f}x real time; video_time/duration = {el / dur:.3f} "
                f"(target < 0.25); {size_mb:.1f} MB",
            )
        )

    if not args.no_server:
        rows.insert(
            0,
            (
                "time to first audio",
                f"{first['first_audio_s']:.2f} s median, "
                f"{first['worst_first_audio_s']:.2f} s worst, create request to first "
                f"decodable mp3 frame at audio_url (target < 1.5 s; the create itself "
                f"{first['create_ms']:.0f} ms)",
            ),
        )
    width = max(len(name) for name, _ in rows)
    print(f"media bench: {dur:.0f} s stereo 44.1 kHz, one core, av {av.__version__}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


if __name__ == "__main__":
    main()
