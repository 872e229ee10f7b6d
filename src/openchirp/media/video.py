"""The clip's mp4: cover art, title, the lyric line being sung, a waveform that fills as it plays.

Built for speed on one core: the static picture (blurred cover backdrop, the cover, the title)
is drawn once; per frame only two strips are rewritten, the lyric band (redrawn only when the
line or the sung word changes) and the waveform (two pre-drawn strips spliced at the playhead).
x264 runs at ``ultrafast`` with ``tune=stillimage`` at a low frame rate; unchanged areas cost it
next to nothing. The audio is the clip's own, decoded once and encoded to AAC.
"""

from __future__ import annotations

import colorsys
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from openchirp.engines.base import WordTiming
from openchirp.media.audio import decode
from openchirp.media.cover import fit_title, wrap_text
from openchirp.media.lyrics_timing import lines_from_gaps
from openchirp.media.waveform import _bucket_max
from openchirp.media.waveform import peaks as compute_peaks

Line = tuple[float, float, str]
_DEFAULT_ACCENT = (255, 214, 90)
_TEXT = (255, 255, 255)
_DIM = (200, 200, 210)
_AAC_CHUNK = 4096


@dataclass
class _Layout:
    width: int
    height: int
    cover_box: tuple[int, int, int]  # x, y, side
    title_y: int
    band: tuple[int, int]  # lyric band top, height
    wave: tuple[int, int, int, int]  # waveform x, y, width, height


def _layout(width: int, height: int) -> _Layout:
    side = int(min(width * 0.62, height * 0.5))
    top = int(height * 0.06)
    title_y = top + side + int(height * 0.025)
    band_top = title_y + int(height * 0.075)
    wave_h = int(height * 0.075)
    wave_y = height - wave_h - int(height * 0.04)
    margin = int(width * 0.06)
    return _Layout(
        width,
        height,
        ((width - side) // 2, top, side),
        title_y,
        (band_top, max(1, wave_y - band_top - int(height * 0.015))),
        (margin, wave_y, width - 2 * margin, wave_h),
    )


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=px)


def accent_color(cover: Image.Image) -> tuple[int, int, int]:
    """The cover's most vivid colour, lifted to full brightness; yellow if the cover is grey."""
    small = np.asarray(cover.convert("RGB").resize((24, 24)), dtype=np.float32) / 255
    mx, mn = small.max(axis=2), small.min(axis=2)
    vivid = (mx - mn) * mx  # saturation x value, without a full HSV conversion
    y, x = np.unravel_index(int(vivid.argmax()), vivid.shape)
    if vivid[y, x] < 0.25:
        return _DEFAULT_ACCENT
    h, s, _ = colorsys.rgb_to_hsv(*small[y, x])
    r, g, b = colorsys.hsv_to_rgb(h, min(1.0, max(s, 0.55)), 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def _static_frame(cover: Image.Image, title: str, lay: _Layout) -> Image.Image:
    # Backdrop: the cover blurred at low resolution (cheap) and darkened under the text.
    back = cover.convert("RGB").resize((48, 48)).filter(ImageFilter.GaussianBlur(4))
    back = back.resize((lay.width, lay.height), Image.Resampling.BILINEAR)
    back = Image.blend(back, Image.new("RGB", back.size, (0, 0, 0)), 0.55)
    x, y, side = lay.cover_box
    back.paste(cover.convert("RGB").resize((side, side), Image.Resampling.LANCZOS), (x, y))
    font, lines = fit_title(title or "Untitled", lay.width * 0.9, int(lay.height * 0.05), 14, 1)
    d = ImageDraw.Draw(back)
    tw = font.getlength(lines[0])
    d.text(
        ((lay.width - tw) / 2, lay.title_y),
        lines[0],
        font=font,
        fill=_TEXT,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    return back


def _wave_strips(
    back: Image.Image, peak_values: Sequence[float], lay: _Layout, accent: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(unplayed, played) RGB arrays of the waveform area: mirrored bars on the backdrop."""
    x0, y0, w, h = lay.wave
    bar, gap = 3, 1
    count = max(1, w // (bar + gap))
    values = _bucket_max(np.asarray(peak_values, dtype=np.float32), count)
    region = back.crop((x0, y0, x0 + w, y0 + h))
    strips = []
    for color in ((150, 150, 160), accent):
        img = region.copy()
        d = ImageDraw.Draw(img)
        for i, v in enumerate(values.tolist()):
            half = max(1.0, v * (h / 2 - 1))
            left = i * (bar + gap)
            d.rectangle((left, h / 2 - half, left + bar - 1, h / 2 + half), fill=color)
        strips.append(np.asarray(img).copy())
    return strips[0], strips[1]


@dataclass
class _TimedLine:
    start_s: float
    end_s: float
    text: str
    words: list[WordTiming]


def _timed_lines(lines: Sequence[Line], words: Sequence[WordTiming]) -> list[_TimedLine]:
    """Lines with the words whose middle falls inside them (for the word highlight)."""
    timed = [_TimedLine(s, e, t, []) for s, e, t in sorted(lines)]
    i = 0
    for word in sorted(words, key=lambda w: w.start_s):
        mid = (word.start_s + word.end_s) / 2
        while i + 1 < len(timed) and mid >= timed[i + 1].start_s:
            i += 1
        if timed and timed[i].start_s - 0.5 <= mid <= timed[i].end_s + 0.5:
            timed[i].words.append(word)
    return timed


class _LyricBand:
    """Draws the lyric band for a moment: current line (sung word in the accent colour) and,
    dimmer, the next one. Remembers the last drawing, since it changes a few times a second."""

    LEAD_IN_S = 3.0  # show an upcoming first line this long before it is sung
    HOLD_S = 1.5  # keep a line this long after its last word if nothing follows

    def __init__(
        self, back: Image.Image, lines: list[_TimedLine], lay: _Layout, accent: tuple[int, int, int]
    ) -> None:
        top, height = lay.band
        self.region = back.crop((0, top, lay.width, top + height))
        self.lines = lines
        self.width = lay.width
        self.height = height
        self.accent = accent
        self.font = _font(max(12, int(lay.height * 0.045)))
        self.next_font = _font(max(10, int(lay.height * 0.032)))
        self._key: tuple[int, int, int] | None = None
        self._band = np.asarray(self.region).copy()
        self._index = 0

    def _state(self, t: float) -> tuple[int, int, int]:
        """(current line, highlighted token, next line); -1 where there is none."""
        lines = self.lines
        while self._index + 1 < len(lines) and lines[self._index + 1].start_s - 0.15 <= t:
            self._index += 1
        current, upcoming = -1, -1
        if lines:
            line = lines[self._index]
            if line.start_s - 0.15 <= t:
                nxt = lines[self._index + 1].start_s if self._index + 1 < len(lines) else math.inf
                if t < max(line.end_s + self.HOLD_S, min(nxt, line.end_s + 4.0)):
                    current = self._index
                upcoming = self._index + 1 if self._index + 1 < len(lines) else -1
            else:
                upcoming = self._index
        if upcoming >= 0 and current < 0 and lines[upcoming].start_s - t > self.LEAD_IN_S:
            upcoming = -1
        token = -1
        if current >= 0:
            line = lines[current]
            sung = sum(1 for w in line.words if w.start_s <= t)
            ntok = len(line.text.split())
            if sung and line.words and ntok:
                token = min(ntok - 1, (sung - 1) * ntok // len(line.words))
        return current, token, upcoming

    def at(self, t: float) -> np.ndarray:
        key = self._state(t)
        if key != self._key:
            self._key = key
            self._band = self._draw(*key)
        return self._band

    def _draw(self, current: int, token: int, upcoming: int) -> np.ndarray:
        img = self.region.copy()
        d = ImageDraw.Draw(img)
        margin = self.width * 0.06
        y = 0.0
        if current >= 0:
            rows = wrap_text(self.lines[current].text, self.font, self.width - 2 * margin)[:2]
            asc, desc = self.font.getmetrics()
            space = self.font.getlength(" ")
            k = 0
            for row in rows:
                x = (self.width - self.font.getlength(row)) / 2
                for piece in row.split():
                    color = self.accent if k == token else _TEXT
                    d.text(
                        (x, y),
                        piece,
                        font=self.font,
                        fill=color,
                        stroke_width=2,
                        stroke_fill=(0, 0, 0),
                    )
                    x += self.font.getlength(piece) + space
                    k += 1
                y += (asc + desc) * 1.1
        if upcoming >= 0:
            y = max(y, self.height * 0.25) + self.height * 0.05
            row = wrap_text(self.lines[upcoming].text, self.next_font, self.width - 2 * margin)[:1]
            if row and y + sum(self.next_font.getmetrics()) <= self.height:
                x = (self.width - self.next_font.getlength(row[0])) / 2
                d.text((x, y), row[0], font=self.next_font, fill=_DIM)
        return np.asarray(img)


def _audio_frames(pcm: np.ndarray, rate: int) -> Iterator[av.AudioFrame]:
    for start in range(0, len(pcm), _AAC_CHUNK):
        chunk = np.ascontiguousarray(pcm[start : start + _AAC_CHUNK].T)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = rate
        frame.pts = start
        yield frame


def make_video(
    audio_path: Path,
    out_path: Path,
    *,
    cover_jpeg: bytes,
    title: str,
    duration_s: float | None = None,
    lyrics_lines: Sequence[Line] | Sequence[WordTiming] | None = None,
    words: Sequence[WordTiming] | None = None,
    peaks: Sequence[float] | None = None,
    width: int = 720,
    height: int = 720,
    fps: int = 10,
    crf: int = 26,
    audio_bitrate: int = 128_000,
    threads: int = 1,
    checkpoint: Callable[[], None] | None = None,
) -> None:
    """Render the clip video to ``out_path`` (mp4: H.264 yuv420p + AAC, moov atom up front).

    ``checkpoint`` is called before each frame: the caller may raise there to stop (a worker
    hands a video back when more urgent work waits); the partial file is then the caller's.

    ``lyrics_lines`` are (start_s, end_s, text), see
    :func:`openchirp.media.lyrics_timing.lines_from_words`; with only ``words``, lines are cut
    at pauses. ``words`` also drive the highlight of the sung word. ``duration_s`` defaults to
    the audio's length; ``peaks`` are computed from the audio when not given.
    """
    if width % 2 or height % 2:
        raise ValueError("yuv420p needs an even width and height")
    pcm, rate = decode(audio_path)
    duration = duration_s if duration_s is not None else len(pcm) / rate
    pcm = pcm[: int(round(duration * rate))]
    words = list(words or [])
    given = list(lyrics_lines or [])
    if given and all(isinstance(item, WordTiming) for item in given):
        words, given = words or given, []  # word timings passed where lines were expected
    lines = given or lines_from_gaps(words)

    lay = _layout(width, height)
    cover = Image.open(io.BytesIO(cover_jpeg)).convert("RGB")
    accent = accent_color(cover)
    back = _static_frame(cover, title, lay)
    unplayed, played = _wave_strips(
        back, peaks if peaks is not None else compute_peaks(pcm, 1000), lay, accent
    )
    band = _LyricBand(back, _timed_lines(lines, words), lay, accent)
    frame_rgb = np.asarray(back).copy()
    band_top, band_h = lay.band
    wx, wy, ww, wh = lay.wave

    with av.open(str(out_path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream(
            "libx264",
            rate=fps,
            options={"preset": "ultrafast", "tune": "stillimage", "crf": str(crf)},
        )
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = fps * 4  # a keyframe every 4 s: quick seeking
        video.codec_context.thread_count = threads
        audio = out.add_stream("aac", rate=rate, layout="stereo")
        audio.bit_rate = audio_bitrate
        audio.codec_context.thread_count = threads

        audio_iter = _audio_frames(pcm, rate)
        audio_done_s = 0.0
        n_frames = max(1, math.ceil(duration * fps))
        for i in range(n_frames):
            if checkpoint is not None:
                checkpoint()
            t = i / fps
            # Keep the audio ~1 s ahead of the video so the muxer interleaves without piling up.
            while audio_done_s < t + 1.0:
                chunk = next(audio_iter, None)
                if chunk is None:
                    audio_done_s = math.inf
                    break
                out.mux(audio.encode(chunk))
                audio_done_s = (chunk.pts + chunk.samples) / rate
            frame_rgb[band_top : band_top + band_h] = band.at(t)
            x = int(ww * min(1.0, t / duration)) if duration > 0 else 0
            frame_rgb[wy : wy + wh, wx : wx + x] = played[:, :x]
            frame_rgb[wy : wy + wh, wx + x : wx + ww] = unplayed[:, x:]
            frame = av.VideoFrame.from_ndarray(frame_rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        for chunk in audio_iter:
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))
        out.mux(video.encode(None))
