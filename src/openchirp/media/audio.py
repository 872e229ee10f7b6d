"""Audio files from PCM blocks: a streaming mp3 writer (LAME), wav writers, a decoder (PyAV).

PCM everywhere is float32 shaped (frames, 2) in [-1, 1] at 44.1 kHz, as engines produce it.

The mp3 is written once and served while it grows: the ID3 tag (title, artist, cover) goes in
first, so the cover must exist before rendering starts; it depends only on title, tags and the
clip id, and takes a few tens of milliseconds (see :mod:`openchirp.media.cover`). Each encoded
mp3 frame reaches the disk at once, and ``<path>.done`` is written on close
(:mod:`openchirp.media.streaming`), so readers tailing the file know when to stop.
"""

from __future__ import annotations

import wave
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import av
import lameenc
import numpy as np

from openchirp.media import id3
from openchirp.media.mp3_info import FrameIndex, info_frame
from openchirp.media.streaming import clear_done, mark_done

SAMPLE_RATE = 44_100
LAME_DEFAULT_QUALITY = 3


def as_stereo_block(block: np.ndarray) -> np.ndarray:
    """Check a PCM block is (frames, 2) and give it back as float32."""
    if block.ndim != 2 or block.shape[1] != 2:
        raise ValueError(f"PCM block must be shaped (frames, 2), got {block.shape}")
    return np.asarray(block, dtype=np.float32)


class Mp3StreamWriter:
    """Encode PCM blocks to a constant-bit-rate mp3 file that is readable while it grows.

    Open it before the render, ``write`` each block as it comes, ``close`` at the end (or use
    it as a context manager). The ``.done`` marker is written on close, also after an error,
    so that tailing readers never wait for a producer that is gone.

    ``cover_jpeg`` goes whole into the ID3 tag at the head of the file: pass the 512 px cover
    (~50-300 KB), not the large one. ``quality`` is LAME's algorithm quality, 2 (best, slowest)
    to 7 (fastest); None keeps LAME's default 3 (~70x real time on one core; 7 is ~170x).
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = SAMPLE_RATE,
        bitrate: int = 192_000,
        title: str = "",
        artist: str = "OpenChirp",
        album: str | None = None,
        cover_jpeg: bytes | None = None,
        write_done_marker: bool = True,
        quality: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.frames_written = 0
        self._write_done_marker = write_done_marker
        self._closed = False
        if write_done_marker:
            clear_done(self.path)
        self._bitrate = bitrate
        self._index = FrameIndex()
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(bitrate // 1000)
        self._encoder.set_in_sample_rate(sample_rate)
        self._encoder.set_channels(2)
        self._encoder.set_quality(LAME_DEFAULT_QUALITY if quality is None else quality)
        self._encoder.encode(b"")  # starts the stream: LAME flushes only a started one
        placeholder = info_frame(bitrate=bitrate, sample_rate=sample_rate)  # checks both
        # Unbuffered: every chunk of mp3 frames reaches the OS at once, for readers tailing it.
        self._raw: BinaryIO = open(self.path, "wb", buffering=0)  # noqa: SIM115 - closed in close()
        try:
            self._raw.write(
                id3.build_tag(title=title, artist=artist, album=album, cover_jpeg=cover_jpeg)
            )
            self._info_at = self._raw.tell()
            self._raw.write(placeholder)
        except BaseException:
            self._raw.close()
            raise

    @property
    def duration_s(self) -> float:
        return self.frames_written / self.sample_rate

    def write(self, block: np.ndarray) -> None:
        if self._closed:
            raise ValueError("write to a closed Mp3StreamWriter")
        pcm = as_stereo_block(block)
        if not len(pcm):
            return
        self.frames_written += len(pcm)
        self._emit(self._encoder.encode(to_int16(pcm).tobytes()))

    def _emit(self, mp3: bytes) -> None:
        if mp3:
            self._index.feed(mp3)
            self._raw.write(mp3)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._emit(self._encoder.flush())
            self._raw.seek(self._info_at)
            self._raw.write(
                info_frame(
                    bitrate=self._bitrate,
                    sample_rate=self.sample_rate,
                    samples=self.frames_written,
                    index=self._index,
                )
            )
        finally:
            self._raw.close()
            if self._write_done_marker:
                mark_done(self.path)

    def __enter__(self) -> Mp3StreamWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def encode_mp3(
    pcm: np.ndarray,
    path: Path,
    *,
    sample_rate: int = SAMPLE_RATE,
    bitrate: int = 192_000,
    title: str = "",
    artist: str = "OpenChirp",
    album: str | None = None,
    cover_jpeg: bytes | None = None,
    quality: int | None = None,
) -> None:
    """Whole PCM to an mp3 file in one call (no ``.done`` marker: nobody tails it)."""
    with Mp3StreamWriter(
        path,
        sample_rate=sample_rate,
        bitrate=bitrate,
        title=title,
        artist=artist,
        album=album,
        cover_jpeg=cover_jpeg,
        write_done_marker=False,
        quality=quality,
    ) as writer:
        writer.write(pcm)


def to_int16(pcm: np.ndarray) -> np.ndarray:
    # Scale by 32768 like FFmpeg's s16 -> float (x / 32768), so a round trip is exact.
    return np.clip(np.round(pcm * 32768.0), -32768, 32767).astype("<i2")


class WavWriter:
    """16-bit PCM stereo wav written block by block (stems are rendered alongside the mix).

    The RIFF sizes are filled in on close, so the file is only complete after ``close``.
    """

    def __init__(self, path: Path, *, sample_rate: int = SAMPLE_RATE) -> None:
        self.path = Path(path)
        self.frames_written = 0
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate)
        self._closed = False

    def write(self, block: np.ndarray) -> None:
        pcm = as_stereo_block(block)
        self._wav.writeframesraw(to_int16(pcm).tobytes())
        self.frames_written += len(pcm)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wav.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_wav(path: Path, pcm: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    with WavWriter(path, sample_rate=sample_rate) as writer:
        writer.write(pcm)


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Any audio file (or the audio of a video) to float32 (frames, 2) and its sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray() for f in resampler.resample(None))
    if not chunks:
        return np.zeros((0, 2), dtype=np.float32), rate
    return np.ascontiguousarray(np.concatenate(chunks, axis=1).T, dtype=np.float32), rate


def resample(pcm: np.ndarray, rate: int, to: int) -> np.ndarray:
    """float32 (frames, channels) from ``rate`` to ``to`` (polyphase, band-limited); the same
    array when the rates agree."""
    if rate == to or not len(pcm):
        return pcm
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, to)
    return resample_poly(pcm, to // g, rate // g, axis=0).astype(np.float32)
