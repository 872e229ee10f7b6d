from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest
from media_helpers import SR, tone

from openchirp.media import id3
from openchirp.media.audio import Mp3StreamWriter, WavWriter, decode, encode_mp3, write_wav
from openchirp.media.streaming import done_path

_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]


def mp3_frames(data: bytes) -> list[tuple[int, int, int]]:
    """(bitrate kbps, sample rate, channel mode) of every MPEG-1 layer III frame after the tag."""
    pos = 0
    if data[:3] == b"ID3":
        size = 0
        for b in data[6:10]:
            size = (size << 7) | b
        pos = 10 + size
    frames = []
    while pos + 4 <= len(data):
        h = int.from_bytes(data[pos : pos + 4], "big")
        assert h >> 21 == 0x7FF, f"lost frame sync at byte {pos}"
        assert (h >> 19) & 3 == 3 and (h >> 17) & 3 == 1, "not MPEG-1 layer III"
        kbps = _BITRATES_V1_L3[(h >> 12) & 0xF]
        rate = [44100, 48000, 32000][(h >> 10) & 3]
        padding = (h >> 9) & 1
        frames.append((kbps, rate, (h >> 6) & 3))
        pos += 144 * kbps * 1000 // rate + padding
    assert pos == len(data), "trailing bytes after the last frame"
    return frames


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n].ravel(), b[:n].ravel())[0, 1])


def test_mp3_stream_writer_file(tmp_path: Path, song: np.ndarray, cover_jpeg: bytes) -> None:
    path = tmp_path / "a.mp3"
    with Mp3StreamWriter(path, title="Neon ☃ Dreams", artist="Tester", cover_jpeg=cover_jpeg) as w:
        for start in range(0, len(song), 11_025):
            w.write(song[start : start + 11_025])
        assert not done_path(path).exists()
    assert done_path(path).exists()
    assert w.frames_written == len(song)

    frames = mp3_frames(path.read_bytes())
    assert {f[:2] for f in frames} == {(192, SR)}  # constant bit rate, 44.1 kHz
    assert all(mode != 3 for _, _, mode in frames)  # not mono
    with av.open(str(path)) as c:
        audio = c.streams.audio[0]
        assert (audio.codec_context.name, audio.rate, audio.channels) == ("mp3float", SR, 2)
        assert c.metadata["title"] == "Neon ☃ Dreams"
        assert c.metadata["artist"] == "Tester"
        pictures = [
            s for s in c.streams.video if s.disposition & av.stream.Disposition.attached_pic
        ]
        assert len(pictures) == 1
        assert bytes(next(c.demux(pictures[0]))) == cover_jpeg
        assert c.duration / 1e6 == pytest.approx(3.0, abs=0.03)

    pcm, rate = decode(path)
    assert rate == SR and pcm.dtype == np.float32 and pcm.shape[1] == 2
    # Encoder delay and padding are undone (LAME/Info header): the exact length comes back.
    assert len(pcm) == len(song)
    assert correlation(pcm, song) > 0.98
    rms = np.sqrt((pcm[: SR // 2] ** 2).mean(axis=0))
    assert rms[1] == pytest.approx(0.5 * rms[0], rel=0.05)  # channels kept apart, not swapped


def test_cover_is_readable_from_the_tag(tmp_path: Path, cover_jpeg: bytes) -> None:
    path = tmp_path / "b.mp3"
    encode_mp3(tone(0.5), path, title="T", album="A", cover_jpeg=cover_jpeg)
    frames = id3.read_tag(path.read_bytes())
    assert id3.apic_image(frames["APIC"][0]) == ("image/jpeg", 3, cover_jpeg)
    assert frames["TALB"] == [b"\x00A"]
    assert not done_path(path).exists()  # one-shot files are not streamed


def test_growing_mp3_decodes_mid_write(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "grow.mp3"
    writer = Mp3StreamWriter(path, title="Growing")
    block = SR // 4
    writer.write(song[:block])
    first = path.read_bytes()
    assert len(first) > 1000  # the first 0.25 s already left the writer
    for start in range(block, 2 * SR, block):
        writer.write(song[start : start + block])
    partial_pcm, rate = decode(path)  # while the writer is still open
    assert rate == SR
    assert 1.5 * SR < len(partial_pcm) <= 2 * SR
    # The placeholder Info header already carries the encoder delay, so a reader of the growing
    # file hears it in place: the probe (spanning the start of the noise burst) matches at lag 0.
    a, b = int(0.9 * SR), int(1.3 * SR)
    probe = partial_pcm[a:b]
    best = max(range(3000), key=lambda lag: correlation(probe, song[a - lag : b - lag]))
    assert best == 0
    assert correlation(probe, song[a:b]) > 0.98
    writer.write(song[2 * SR :])
    writer.close()
    final = path.read_bytes()
    # Only the Info header (frame count) is rewritten at close; the rest of the stream stands.
    first_frame = final.index(b"\xff\xfb", len(id3.build_tag(title="Growing")))
    frame_len = 144 * 192_000 // SR
    assert final[first_frame + frame_len : len(first)] == first[first_frame + frame_len :]
    assert len(decode(path)[0]) == len(song)


def test_writer_rejects_bad_blocks_and_closes_on_error(tmp_path: Path) -> None:
    path = tmp_path / "c.mp3"
    with pytest.raises(ValueError), Mp3StreamWriter(path) as w:
        w.write(np.zeros(100, dtype=np.float32))
    assert done_path(path).exists()  # tailing readers are released even after a failure
    with pytest.raises(ValueError):
        w.write(np.zeros((10, 2), dtype=np.float32))


def test_clipping_is_safe(tmp_path: Path) -> None:
    loud = tone(0.5, amp=3.0)
    encode_mp3(loud, tmp_path / "loud.mp3")
    pcm, _ = decode(tmp_path / "loud.mp3")
    assert np.abs(pcm).max() < 1.3 and np.isfinite(pcm).all()


def test_write_wav_round_trip(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "a.wav"
    write_wav(path, song)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, SR)
        assert w.getnframes() == len(song)
    pcm, rate = decode(path)
    assert rate == SR and pcm.shape == song.shape
    assert np.abs(pcm - song).max() <= 0.5 / 32768 + 1e-7
    with av.open(str(path)) as c:
        assert c.streams.audio[0].codec_context.name == "pcm_s16le"


def test_wav_writer_in_blocks_equals_one_shot(tmp_path: Path, song: np.ndarray) -> None:
    with WavWriter(tmp_path / "blocks.wav") as w:
        for start in range(0, len(song), 10_000):
            w.write(song[start : start + 10_000])
    write_wav(tmp_path / "whole.wav", song)
    assert (tmp_path / "blocks.wav").read_bytes() == (tmp_path / "whole.wav").read_bytes()


def test_decode_other_rate(tmp_path: Path) -> None:
    path = tmp_path / "48k.wav"
    write_wav(path, tone(1.0, sr=48_000), sample_rate=48_000)
    pcm, rate = decode(path)
    assert rate == 48_000 and pcm.shape == (48_000, 2)


def test_fast_quality_setting_still_cbr(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "fast.mp3"
    encode_mp3(song, path, quality=9, bitrate=128_000)
    assert {f[:2] for f in mp3_frames(path.read_bytes())} == {(128, SR)}
    pcm, _ = decode(path)
    assert len(pcm) == len(song) and correlation(pcm, song) > 0.95
