from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from media_helpers import SR, tone
from PIL import Image

from openchirp.engines.base import WordTiming
from openchirp.media.audio import decode, encode_mp3
from openchirp.media.video import _layout, accent_color, make_video

LINES = [(1.0, 2.4, "first line of the song"), (2.6, 3.8, "and then another")]
WORDS = [
    WordTiming(w, 1.0 + 0.3 * i, 1.25 + 0.3 * i)
    for i, w in enumerate(["first", "line", "of", "the", "song"])
] + [WordTiming(w, 2.6 + 0.4 * i, 2.9 + 0.4 * i) for i, w in enumerate(["and", "then", "another"])]


@pytest.fixture
def clip_mp3(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp3"
    pcm = tone(4.0, freq=330) * np.linspace(0.2, 1, int(4.0 * SR))[:, None].astype(np.float32)
    encode_mp3(pcm, path)
    return path


def frames_at(path: Path, times: list[float]) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        decoded = [
            (float(f.pts * stream.time_base), f.to_ndarray(format="rgb24"))
            for f in c.decode(stream)
        ]
    for t in times:
        out.append(min(decoded, key=lambda item: abs(item[0] - t))[1])
    return out


def test_video_streams_size_and_duration(tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes) -> None:
    out = tmp_path / "clip.mp4"
    make_video(
        clip_mp3,
        out,
        cover_jpeg=cover_jpeg,
        title="Test Song",
        lyrics_lines=LINES,
        words=WORDS,
        duration_s=4.0,
    )
    with av.open(str(out)) as c:
        assert c.format.name.startswith("mov,mp4")
        video, audio = c.streams.video[0], c.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.width, video.height) == (720, 720)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert video.average_rate == 10
        assert (audio.rate, audio.channels) == (SR, 2)
        assert float(video.duration * video.time_base) == pytest.approx(4.0, abs=0.15)
        assert c.duration / 1e6 == pytest.approx(4.0, abs=0.15)
    # moov before mdat: browsers can start playing before the whole file is there
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")

    sound, rate = decode(out)
    source, _ = decode(clip_mp3)
    assert rate == SR and abs(len(sound) - len(source)) < 2048 + 1024
    assert np.sqrt((sound**2).mean()) == pytest.approx(np.sqrt((source**2).mean()), rel=0.1)


def test_video_shows_lyrics_and_progress(tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes) -> None:
    out = tmp_path / "clip.mp4"
    make_video(
        clip_mp3,
        out,
        cover_jpeg=cover_jpeg,
        title="T",
        lyrics_lines=LINES,
        words=WORDS,
        width=360,
        height=360,
        fps=5,
    )
    lay = _layout(360, 360)
    top, h = lay.band
    wx, wy, ww, wh = lay.wave
    early, first_word, third_word, second_line, end = frames_at(out, [0.0, 1.2, 1.8, 3.2, 3.8])

    def band(f: np.ndarray) -> np.ndarray:
        return f[top : top + h].astype(np.int16)

    def diff(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b).mean())

    assert diff(band(early), band(first_word)) > 3  # the first line appears
    assert diff(band(first_word), band(third_word)) > 0.3  # the highlight moves along the words
    assert diff(band(third_word), band(second_line)) > 3  # the next line replaces it
    # the waveform fills: at the end the strip is mostly the accent colour, at the start not
    accent = np.array(accent_color(Image.open(io.BytesIO(cover_jpeg))))

    def accent_share(f: np.ndarray) -> float:
        strip = f[wy : wy + wh, wx : wx + ww].astype(np.int16)
        return float((np.abs(strip - accent).sum(axis=2) < 90).mean())

    assert accent_share(end) > accent_share(early) + 0.05


def test_video_without_lyrics_or_words(tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes) -> None:
    out = tmp_path / "plain.mp4"
    make_video(
        clip_mp3,
        out,
        cover_jpeg=cover_jpeg,
        title="",
        peaks=[0.5] * 10,
        width=240,
        height=240,
        fps=4,
    )
    with av.open(str(out)) as c:
        assert c.streams.video[0].width == 240
        assert c.duration / 1e6 == pytest.approx(4.0, abs=0.3)


def test_odd_size_is_refused(tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes) -> None:
    with pytest.raises(ValueError):
        make_video(clip_mp3, tmp_path / "x.mp4", cover_jpeg=cover_jpeg, title="t", width=721)


def test_words_alone_make_the_lines(tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes) -> None:
    by_words = tmp_path / "words.mp4"
    by_lines = tmp_path / "lines.mp4"
    common = {"cover_jpeg": cover_jpeg, "title": "T", "width": 240, "height": 240, "fps": 4}
    make_video(clip_mp3, by_words, lyrics_lines=WORDS, **common)  # type: ignore[arg-type]
    make_video(clip_mp3, by_lines, words=WORDS, **common)  # type: ignore[arg-type]
    a, b = frames_at(by_words, [1.5]), frames_at(by_lines, [1.5])
    assert np.array_equal(a[0], b[0])
    lay = _layout(240, 240)
    top, h = lay.band
    blank = frames_at(by_words, [0.0])[0]
    assert np.abs(a[0][top : top + h].astype(int) - blank[top : top + h]).mean() > 3


def test_a_checkpoint_runs_before_each_frame_and_may_stop_it(
    tmp_path: Path, clip_mp3: Path, cover_jpeg: bytes
) -> None:
    calls: list[int] = []

    class Stop(Exception):
        pass

    def checkpoint() -> None:
        calls.append(1)
        if len(calls) == 5:
            raise Stop

    with pytest.raises(Stop):
        make_video(
            clip_mp3, tmp_path / "v.mp4", cover_jpeg=cover_jpeg, title="t", checkpoint=checkpoint
        )
    assert len(calls) == 5
