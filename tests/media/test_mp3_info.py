"""The Info frame: exact duration and gapless decoding, read back by FFmpeg (PyAV)."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest
from media_helpers import SR

from openchirp.media.audio import Mp3StreamWriter, decode, encode_mp3
from openchirp.media.mp3_info import (
    ENCODER_DELAY,
    SAMPLES_PER_FRAME,
    FrameIndex,
    crc16,
    frame_header,
    frame_length,
    info_frame,
)


def noise(frames: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((frames, 2)) * 0.1).astype(np.float32)


def test_crc16_is_the_arc_variant() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the published check value of CRC-16/ARC
    assert crc16(b"") == 0


def test_frame_lengths_follow_bitrate_and_padding() -> None:
    header = frame_header(192_000, 44_100)
    assert frame_length(header) == 626
    padded = bytes((header[0], header[1], header[2] | 0x02, header[3]))
    assert frame_length(padded) == 627
    assert frame_length(frame_header(128_000, 48_000)) == 384
    with pytest.raises(ValueError, match="bitrate"):
        frame_header(100_000, 44_100)
    with pytest.raises(ValueError, match="sample rate"):
        frame_header(192_000, 22_050)
    with pytest.raises(ValueError, match="frame header"):
        frame_length(b"ID3\x04")


def test_frame_index_finds_headers_split_across_chunks() -> None:
    header = frame_header(192_000, 44_100)
    frames = [header + bytes(622), bytes((0xFF, 0xFB, header[2] | 0x02, 0x44)) + bytes(623)] * 3
    stream = b"".join(frames)
    whole, pieces = FrameIndex(), FrameIndex()
    whole.feed(stream)
    for cut in range(0, len(stream), 5):  # every frame header lands split somewhere
        pieces.feed(stream[cut : cut + 5])
    expected = list(np.cumsum([0] + [len(f) for f in frames[:-1]]))
    assert whole.offsets == pieces.offsets == expected
    assert whole.size == pieces.size == len(stream)


def test_info_frame_fields_and_tag_crc() -> None:
    index = FrameIndex()
    index.feed(b"".join(frame_header(192_000, 44_100) + bytes(622) for _ in range(10)))
    frame = info_frame(bitrate=192_000, sample_rate=44_100, samples=10_000, index=index)
    assert len(frame) == 626
    at = frame.index(b"Info")
    assert at == 4 + 32
    flags, count, size = struct.unpack(">III", frame[at + 4 : at + 16])
    assert (flags, count, size) == (0x0F, 10, 11 * 626)
    toc = frame[at + 16 : at + 116]  # where each percent of the song starts, in 1/256 of size
    assert toc[0] == 256 * 626 // (11 * 626) and toc[50] == 256 * 6 * 626 // (11 * 626)
    assert list(toc) == sorted(toc)
    lame = frame.index(b"LAME")
    delay_padding = int.from_bytes(frame[lame + 21 : lame + 24], "big")
    assert delay_padding >> 12 == ENCODER_DELAY
    assert delay_padding & 0xFFF == 10 * SAMPLES_PER_FRAME - 10_000 - ENCODER_DELAY
    assert struct.unpack(">H", frame[190:192])[0] == crc16(frame[:190])


@pytest.mark.parametrize("frames", [1, 1151, 1152, 4_410, SR * 2 + 17])
def test_decoded_length_is_exactly_what_went_in(tmp_path: Path, frames: int) -> None:
    pcm = noise(frames)
    path = tmp_path / "exact.mp3"
    encode_mp3(pcm, path, quality=7)
    decoded, rate = decode(path)
    assert rate == SR
    assert len(decoded) == frames
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None
        assert float(stream.duration * stream.time_base) == pytest.approx(frames / SR, abs=1e-6)


def test_audio_is_in_place_after_the_delay_is_trimmed(tmp_path: Path) -> None:
    t = np.arange(SR) / SR
    click = np.zeros((SR, 2), dtype=np.float32)
    click[:, 0] = 0.3 * np.sin(2 * np.pi * 300 * t) * (t > 0.5)  # starts at exactly 0.5 s
    click[:, 1] = click[:, 0]
    path = tmp_path / "onset.mp3"
    encode_mp3(click, path)
    decoded, _ = decode(path)
    onset = int(np.argmax(np.abs(decoded[:, 0]) > 0.05))
    assert abs(onset - SR // 2) < 64  # an mp3 smears an onset by a few samples, not a frame


def test_a_writer_closed_unused_still_leaves_consistent_counts(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    Mp3StreamWriter(path, write_done_marker=False).close()  # e.g. a render that failed at once
    data = path.read_bytes()
    at = data.index(b"Info")
    _flags, count, size = struct.unpack(">III", data[at + 4 : at + 16])
    start = at - 36
    assert size == len(data) - start  # the Info frame and LAME's flushed frames, nothing else
    assert count == (size - 626) // 626 >= 1
