"""Singing with espeak-ng's articulation: a linear-prediction vocoder driven by the notes.

:mod:`speech` gives the spoken phrase as envelope frames and where each phoneme starts. Here
each sung phoneme (placed in time by :mod:`segments`) is matched to its spoken counterpart,
and a time map sends every instant of the song to an instant of the speech: consonants keep
their spoken shape (bursts, frication, formant transitions) at their spoken length, a vowel
keeps its way in and out (the transitions from and to the consonants) and draws its middle
third slowly over the note; a diphthong holds its first quality and glides at the note's
end, as singers do. The envelope at the mapped instant filters an excitation at the sung
pitch: band-limited pulses (the formant singer's glottal source) at the level of the speech's
residual where the sung phoneme is voiced, the speech's own residual where it is not.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np
from scipy import signal

from openchirp.engines.composer.voice.score import Syllable
from openchirp.engines.composer.voice.segments import Segment
from openchirp.engines.composer.voice.speech import HOP, Analysis

_DE_EMPHASIS = 0.9  # undoes the analysis pre-emphasis
_AIR = 1.0  # highs above ~3 kHz lifted by up to +6 dB: consonants, presence (espeak-ng is dull)
_CONSONANT_PACE = 1.0  # sung consonants as long as spoken (1.4: WER 1.09 -> 1.06, dry lead)
_H1 = 1.2  # the added fundamental, against the voiced sound's RMS
_BREATH = 0.03  # noise power left in fully voiced sounds
_TRANSITION = 0.3  # of a note, at most, for each of a vowel's way in and way out
_VOWEL_FIRST = set("aeiouAEIOUV03@")


def _base(p: str) -> str:
    return p.lstrip("',%=").rstrip("#-0123456789") or p


@numba.njit(cache=True, nogil=True)
def _edit_path(sub: np.ndarray) -> np.ndarray:
    """Edit-distance alignment with substitution costs ``sub`` (n, m) and gaps costing 1: for
    each row, the matched column (substitutions cheaper than 1 only), or -1."""
    n, m = sub.shape
    cost = np.zeros((n + 1, m + 1))
    for i in range(n + 1):
        cost[i, 0] = i
    for j in range(m + 1):
        cost[0, j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j - 1] + sub[i - 1, j - 1], cost[i - 1, j] + 1.0, cost[i, j - 1] + 1.0
            )
    out = np.full(n, -1, np.int64)
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + sub[i - 1, j - 1]:
            if sub[i - 1, j - 1] < 1.0:
                out[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1.0:
            i -= 1
        else:
            j -= 1
    return out


@lru_cache(maxsize=512)
def align(sung: tuple[str, ...], spoken: tuple[str, ...]) -> tuple[int, ...]:
    """For each sung phoneme, the index of the spoken phoneme it matches, or -1: an edit
    distance alignment (same phoneme: free; same base sound or both vowels: cheap)."""
    if not sung or not spoken:
        return (-1,) * len(sung)
    a, b = np.array(sung, object)[:, None], np.array(spoken, object)[None, :]
    base_a = np.array([_base(p) for p in sung], object)[:, None]
    base_b = np.array([_base(p) for p in spoken], object)[None, :]
    vowel_a = np.array([p[:1] in _VOWEL_FIRST for p in sung])[:, None]
    vowel_b = np.array([p[:1] in _VOWEL_FIRST for p in spoken])[None, :]
    sub = np.where(
        a == b, 0.0, np.where(base_a == base_b, 0.2, np.where(vowel_a & vowel_b, 0.6, 1.2))
    )
    return tuple(int(j) for j in _edit_path(sub.astype(np.float64)))


def spoken_lengths(syllables: list[Syllable], an: Analysis) -> list[tuple[float, ...]]:
    """Per syllable, how long speech says each of its phonemes (seconds; 0 where the speech
    has no counterpart): consonants are sung as long as they are spoken."""
    names = tuple(p for s in syllables for p in s.phonemes)
    match = align(names, an.phonemes)
    ends = an.ends
    lengths = [
        float(ends[j] - an.starts[j]) * an.frame_s * _CONSONANT_PACE if j >= 0 else 0.0
        for j in match
    ]
    out, at = [], 0
    for s in syllables:
        out.append(tuple(lengths[at : at + len(s.phonemes)]))
        at += len(s.phonemes)
    return out


def time_map(segs: list[Segment], an: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """Knots (sung time in s, spoken frame) of the map from the song to the speech."""
    match = align(tuple(s.phoneme.lstrip("',%=") for s in segs), an.phonemes)
    ends = an.ends
    fps_s = an.frame_s  # seconds per frame
    knots: list[tuple[float, float]] = []
    last = 0.0
    for seg, j in zip(segs, match, strict=True):
        t0, t1 = seg.t0, max(seg.t1, seg.t0 + 1e-4)
        if j < 0:  # said differently or not at all: hold the last frame
            knots += [(t0, last), (t1, last)]
            continue
        s0, s1 = float(an.starts[j]), float(max(ends[j], an.starts[j] + 1.0))
        if seg.role == "nucleus":
            # Speech moves through a vowel; a singer reaches its quality and holds it: the
            # spoken way in and out at speaking rate (up to 30% of the note each), the
            # vowel's middle third drawn slowly over the rest (a diphthong's first quality,
            # gliding at the end). A held single frame was a static buzz that the
            # recogniser heard as extra words (dry lead WER 1.06 -> 1.02).
            d, src = t1 - t0, s1 - s0
            glide = seg.art.glide_to is not None
            m0 = s0 + (0.2 if glide else 0.35) * src
            m1 = s0 + (0.4 if glide else 0.65) * src
            into = min((m0 - s0) * fps_s, _TRANSITION * d)
            out = min((s1 - m1) * fps_s, (_TRANSITION + 0.1 if glide else _TRANSITION) * d)
            if glide:
                out = max(out, min(0.15, 0.4 * d))
            knots += [(t0, s0), (t0 + into, m0), (t1 - out, m1), (t1, s1)]
        else:
            knots += [(t0, s0), (t1, s1)]
        last = s1
    if not knots:
        return np.zeros(1), np.zeros(1)
    kt = np.maximum.accumulate(np.array([k[0] for k in knots]))
    ks = np.maximum.accumulate(np.array([k[1] for k in knots]))
    return kt, ks


def _voicing_keys(segs: list[Segment]) -> list[tuple[float, float]]:
    keys: list[tuple[float, float]] = []
    for seg in segs:
        kind = seg.art.kind
        if kind in ("vowel", "nasal", "liquid"):
            v = 1.0
        elif kind in ("aspirate", "glottal"):
            v = 0.0
        else:
            v = min(1.0, seg.art.voiced)
        ramp = min(0.01, (seg.t1 - seg.t0) / 3)
        keys += [(seg.t0 + ramp, v), (seg.t1 - ramp, v)]
    return keys


def _amplitude_keys(segs: list[Segment]) -> list[tuple[float, float]]:
    """Sound on from the first phoneme to the last, off in rests between them."""
    keys: list[tuple[float, float]] = []
    prev_end: float | None = None
    for seg in segs:
        if prev_end is None:
            keys.append((seg.t0 - 0.005, 0.0))
        elif seg.t0 - prev_end > 0.04:
            keys += [(prev_end + 0.02, 0.0), (seg.t0 - 0.005, 0.0)]
        ramp = min(0.008, (seg.t1 - seg.t0) / 3)
        keys += [(seg.t0 + ramp, seg.loud), (seg.t1 - ramp, seg.loud)]
        prev_end = seg.t1 if prev_end is None else max(prev_end, seg.t1)
    if prev_end is not None:
        keys.append((prev_end + 0.03, 0.0))
    return keys


@lru_cache(maxsize=8)
def _air_sos(sr: float) -> np.ndarray:
    return signal.butter(1, 3000.0, "highpass", fs=sr, output="sos")


def _interp(t: np.ndarray, keys: list[tuple[float, float]]) -> np.ndarray:
    kt = np.maximum.accumulate(np.array([k[0] for k in keys]))
    return np.interp(t, kt, np.array([k[1] for k in keys]))


@numba.njit(cache=True, nogil=True)
def _sing(
    pulses: np.ndarray,
    noise: np.ndarray,
    residual: np.ndarray,
    k: np.ndarray,
    tracks: np.ndarray,
    block: int,
    hop: int,
    sr: float,
    air: np.ndarray,
) -> np.ndarray:
    """The vocoder's per-sample loop: excitation, the all-pole lattice (coefficients ``k`` per
    block), de-emphasis, the high lift (first-order high-pass ``air`` = b0, b1, a1, added)
    and the added fundamental. ``tracks`` (5, blocks + 1) at block starts, interpolated
    linearly: spoken level, spoken frame, voicing, loudness, sung pitch (Hz)."""
    n = pulses.shape[0]
    order = k.shape[1]
    st = np.zeros(order + 1)
    out = np.empty(n, np.float32)
    pulse_norm = np.sqrt(sr / 100.0)  # glottal_source's pulses: ~100 / sr power per sample
    smooth = np.exp(-1.0 / (0.01 * sr))
    last = residual.shape[0] - 1
    de = hp = prev = power = phase = 0.0
    for i in range(n):
        b = i // block
        f = (i - b * block) / block
        gain = tracks[0, b] + (tracks[0, b + 1] - tracks[0, b]) * f
        frame = tracks[1, b] + (tracks[1, b + 1] - tracks[1, b]) * f
        v = min(max(tracks[2, b] + (tracks[2, b + 1] - tracks[2, b]) * f, 0.0), 1.0)
        amp = tracks[3, b] + (tracks[3, b + 1] - tracks[3, b]) * f
        f0 = tracks[4, b] + (tracks[4, b + 1] - tracks[4, b]) * f
        # voiced: pulses, and breath; voiced frication as noise (the residual of a voiced
        # consonant carries espeak-ng's own pitch); unvoiced: the speech's own residual
        own = min(max(1.0 - v / 0.2, 0.0), 1.0)
        e = pulses[i] * np.sqrt(v) * pulse_norm
        e += noise[i] * np.sqrt(_BREATH * v + (1.0 - v) * (1.0 - own))
        e *= amp * gain
        at = min(max(int(frame * hop + 0.5), 0), last)
        e += residual[at] * amp * np.sqrt((1.0 - v) * own)
        for j in range(order - 1, -1, -1):
            kj = k[b, j]
            e -= kj * st[j]
            st[j + 1] = st[j] + kj * e
        st[0] = e
        de = e + _DE_EMPHASIS * de
        hp = air[0] * de + air[1] * prev - air[2] * hp
        prev = de
        y = de + _AIR * hp
        power = smooth * power + (1.0 - smooth) * y * y
        phase += f0 / sr
        phase -= np.floor(phase)
        y += _H1 * np.sqrt(v) * np.sqrt(power) * np.sin(2.0 * np.pi * phase)
        out[i] = y
    return out


def render(
    segs: list[Segment],
    an: Analysis,
    pulses: np.ndarray,
    noise: np.ndarray,
    t_start: float,
    sr: float,
    block: int,
    f0: np.ndarray,
) -> np.ndarray:
    """The phrase at the synthesis rate ``sr`` (samples from ``t_start``): ``pulses`` (the
    glottal source at the sung pitch, unit voicing) and ``noise`` (white, as long) through the
    spoken envelope re-timed onto ``segs``; ``f0``: the sung pitch at block centres (Hz).

    Speech spectra are weak at a sung low note's fundamental (speech sits higher), which
    pitch trackers and listeners then hear an octave up: the fundamental is added as a sine
    at a fixed share of the voiced level, as a singer's open glottis gives it."""
    n = len(pulses)
    m = -(-n // block)
    tb = t_start + np.arange(m + 1) * block / sr  # block starts (and the end)
    kt, kf = time_map(segs, an)
    frame = np.clip(np.interp(tb, kt, kf), 0.0, an.frames - 1.0)
    lo = np.floor(frame).astype(np.int64)
    hi = np.minimum(lo + 1, an.frames - 1)
    w = frame - lo
    k = (1.0 - w[:m, None]) * an.reflection[lo[:m]] + w[:m, None] * an.reflection[hi[:m]]
    tracks = np.stack(
        [
            (1.0 - w) * an.gain[lo] + w * an.gain[hi],
            frame,
            _interp(tb, _voicing_keys(segs)),
            _interp(tb, _amplitude_keys(segs)),
            np.interp(tb, tb[:m] + 0.5 * block / sr, f0),
        ]
    )
    air = _air_sos(sr)[0]
    return _sing(
        np.ascontiguousarray(pulses, np.float64),
        np.ascontiguousarray(noise, np.float32),
        an.residual,
        np.ascontiguousarray(k),
        tracks,
        block,
        HOP,
        sr,
        np.array([air[0], air[1], air[4]]),
    )
