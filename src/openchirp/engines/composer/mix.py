"""Mixing and mastering that streams: EQ, convolution reverb, loudness measure, peak limiter.

Everything here works block by block on an absolute sample grid with state carried between
blocks, so the output does not depend on how the caller slices the song. Linear processing
(EQ, reverb) runs per stem; the limiter's gain is computed on the mix and applied to every stem,
so stems always sum to the mix.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy.fft as sfft
from scipy import ndimage, signal

from openchirp.engines.composer.kernels import peaks, sos_filter
from openchirp.engines.composer.style_data import Production

# ---------------------------------------------------------------- loudness (ITU-R BS.1770)


@lru_cache(maxsize=4)
def k_weighting_sos(sample_rate: int) -> np.ndarray:
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    rows = []
    gain = 1.0
    for stage in meter._filters.values():
        b = np.asarray(stage.b, float)
        a = np.asarray(stage.a, float)
        rows.append(np.concatenate([b / a[0], a / a[0]]))
        gain *= float(stage.passband_gain)
    sos = np.array(rows)
    sos[0, :3] *= gain
    return sos


def k_weighted(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """x (n,) or (n, ch) through the meter's K-weighting, as (n, ch) float64."""
    if x.ndim == 1:
        x = x[:, None]
    return EQ(k_weighting_sos(sample_rate), x.shape[1])(x.astype(np.float64, copy=False))


def k_power(x: np.ndarray, sample_rate: int) -> float:
    """Mean-square K-weighted power summed over channels (ungated); x is (n,) or (n, ch)."""
    if len(x) == 0:
        return 0.0
    y = k_weighted(x, sample_rate)
    return float(np.sum(np.mean(y * y, axis=0)))


def k_blocks(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """K-weighted power (summed over channels) of the meter's 400 ms blocks, 100 ms apart."""
    return blocks_of_squares(k_squares(x, sample_rate), sample_rate)


def k_squares(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """The K-weighted signal's square per sample, summed over channels."""
    y = k_weighted(x, sample_rate)
    return np.einsum("ij,ij->i", y, y)


def blocks_of_squares(sq: np.ndarray, sample_rate: int) -> np.ndarray:
    """The meter's 400 ms block powers, 100 ms apart, of per-sample squares."""
    block, hop = int(0.4 * sample_rate), int(0.1 * sample_rate)
    if len(sq) < block:
        return np.array([float(np.mean(sq))]) if len(sq) else np.zeros(1)
    c = np.concatenate([[0.0], np.cumsum(sq)])
    starts = np.arange(0, len(sq) - block + 1, hop)
    return (c[starts + block] - c[starts]) / block


def gated_loudness(x: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (LUFS) with the 400 ms / 75 % overlap blocks and both gates."""
    z = k_blocks(x, sample_rate)
    if len(x) < int(0.4 * sample_rate):  # shorter than one block: its plain power, ungated
        return lufs_of_power(float(z[0]))
    lz = -0.691 + 10 * np.log10(np.maximum(z, 1e-30))
    z = z[lz > -70]
    if len(z) == 0:
        return -120.0
    rel = -0.691 + 10 * math.log10(float(np.mean(z))) - 10
    z = z[-0.691 + 10 * np.log10(np.maximum(z, 1e-30)) > rel]
    return -0.691 + 10 * math.log10(float(np.mean(z)))


def lufs_of_power(p: float) -> float:
    return -0.691 + 10 * math.log10(p) if p > 0 else -120.0


def power_of_lufs(lufs: float) -> float:
    return 10 ** ((lufs + 0.691) / 10)


# ---------------------------------------------------------------- EQ


def _biquad(kind: str, f0: float, sr: int, gain_db: float = 0.0, q: float = 0.707) -> np.ndarray:
    """RBJ cookbook biquad as one SOS row."""
    a_ = 10 ** (gain_db / 40)
    w = 2 * math.pi * f0 / sr
    cw, sw = math.cos(w), math.sin(w)
    alpha = sw / (2 * q)
    if kind == "hp":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * a_, -2 * cw, 1 - alpha * a_]
        a = [1 + alpha / a_, -2 * cw, 1 - alpha / a_]
    elif kind == "highshelf":
        s = 2 * math.sqrt(a_) * alpha
        b = [
            a_ * ((a_ + 1) + (a_ - 1) * cw + s),
            -2 * a_ * ((a_ - 1) + (a_ + 1) * cw),
            a_ * ((a_ + 1) + (a_ - 1) * cw - s),
        ]
        a = [
            (a_ + 1) - (a_ - 1) * cw + s,
            2 * ((a_ - 1) - (a_ + 1) * cw),
            (a_ + 1) - (a_ - 1) * cw - s,
        ]
    else:  # lowshelf
        s = 2 * math.sqrt(a_) * alpha
        b = [
            a_ * ((a_ + 1) - (a_ - 1) * cw + s),
            2 * a_ * ((a_ - 1) - (a_ + 1) * cw),
            a_ * ((a_ + 1) - (a_ - 1) * cw - s),
        ]
        a = [
            (a_ + 1) + (a_ - 1) * cw + s,
            -2 * ((a_ - 1) + (a_ + 1) * cw),
            (a_ + 1) + (a_ - 1) * cw - s,
        ]
    return np.array([*(np.array(b) / a[0]), 1.0, a[1] / a[0], a[2] / a[0]])


class EQ:
    """A fixed chain of biquads with state, for one bus of ``channels``."""

    def __init__(self, sos: np.ndarray, channels: int = 2) -> None:
        self.sos = np.ascontiguousarray(sos, np.float64)
        self.zi = np.zeros((len(sos), 2, channels))

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """x (samples, channels) filtered, into ``out`` if given (same shape, any layout: the
        transpose of a channel-major buffer saves the caller a copy), else a new array of x's
        dtype."""
        if out is None:
            out = np.empty(x.shape, x.dtype)
        sos_filter(self.sos, x, self.zi, out)
        return out


INSTRUMENT_PRESENCE_DB = 7.0
"""Broad lift around 4.5 kHz: General MIDI SoundFonts leave 2-6 kHz at 1-3.5% of the energy
and put 95% of it below 1.5-1.8 kHz; produced records have 6% or more there and roll off
above 4 kHz."""
INSTRUMENT_AIR_DB = 6.0
"""High shelf from 6 kHz (plus the style's brightness): air, kept below the 1-2 kHz band even
for hi-hat-heavy styles (the funk instrumental: -1.8 dB)."""


class EQChain:
    """EQs one after the other (the compiled filter takes three biquads at a time)."""

    def __init__(self, *eqs: EQ) -> None:
        self.eqs = eqs

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        y = self.eqs[0](x, out)
        for eq in self.eqs[1:]:
            eq(y, y)  # in place: each sample is read before it is written
        return y


INSTRUMENT_MID_DB = 3.0
"""A broad lift around 2.5 kHz under the presence peak: pick attack, snare crack, the upper
harmonics of keys and pads, so that 2-6 kHz holds its share in bass-heavy genres too."""


def instrument_eq(sr: int, brightness: float, prod: Production | None = None) -> EQChain:
    """Rumble cut, presence and a high shelf, then the genre's low shelf: General MIDI
    SoundFonts sound dull next to produced records, so it lifts 2-6 kHz, then the air, by 6-7
    dB, by the style's brightness (+-3 dB) and by the genre's production (metal's bite, the
    weight of reggae's and hip hop's lows)."""
    prod = prod or Production()
    air = INSTRUMENT_AIR_DB + 3.0 * brightness + prod.air_db
    return EQChain(
        EQ(
            np.array(
                [
                    _biquad("hp", 32.0, sr),
                    _biquad("peak", 4500.0, sr, INSTRUMENT_PRESENCE_DB + prod.presence_db, 0.7),
                    _biquad("highshelf", 6000.0, sr, air),
                ]
            )
        ),
        EQ(
            np.array(
                [
                    _biquad("peak", 2500.0, sr, INSTRUMENT_MID_DB, 1.0),
                    _biquad("lowshelf", 110.0, sr, prod.low_db),
                ]
            )
        ),
    )


def saturate(x: np.ndarray, drive: float) -> np.ndarray:
    """The band bus through a soft clipper (tanh), in place: the synth's guitars and drums get
    the density and odd harmonics of an amp pushed hard. Unity gain for small signals; the
    synth's bus runs near 0.2 RMS, where drive 1 (k = 5) squashes peaks by about 10 dB."""
    if drive <= 0:
        return x
    k = np.float32(1.0 + 4.0 * drive)
    np.multiply(x, k, out=x)
    np.tanh(x, out=x)
    x *= np.float32(1.0 / k)
    return x


def vocal_eq(sr: int) -> EQ:
    """Low cut, presence where consonants and the singer's formant live, and air."""
    return EQ(
        np.array(
            [
                _biquad("hp", 120.0, sr),
                _biquad("peak", 3500.0, sr, 5.0, 0.7),
                _biquad("highshelf", 4500.0, sr, 9.0),
            ]
        ),
        channels=1,
    )


# ---------------------------------------------------------------- sidechain

SIDECHAIN_ATTACK_S = 0.004
"""The duck falls to its depth over this, ending at the kick: the kicks are known ahead, so it
does not chop the start of the notes it ducks against the kick's own attack."""
SIDECHAIN_HOLD_S = 0.03
SIDECHAIN_RELEASE_S = 0.22
"""Back to full level over this (raised cosine): the "pumping" of house and EDM, about an
eighth note at 120-130 bpm."""


@lru_cache(maxsize=8)
def _duck_shape(sr: int, depth_db: float) -> np.ndarray:
    """One kick's duck as a gain per sample, from the start of its attack (float32)."""
    att = max(int(SIDECHAIN_ATTACK_S * sr), 1)
    hold = int(SIDECHAIN_HOLD_S * sr)
    rel = int(SIDECHAIN_RELEASE_S * sr)
    env = np.concatenate(
        [
            np.arange(att) / att,
            np.ones(hold),
            0.5 * (1 + np.cos(np.pi * np.arange(rel) / rel)),
        ]
    )
    return (10 ** (-depth_db * env / 20)).astype(np.float32)


def duck_gain(kicks: np.ndarray, a: int, n: int, sr: int, depth_db: float) -> np.ndarray | None:
    """The sidechain's gain (n,) float32 for samples [a, a + n), ducked ``depth_db`` at each
    kick (sorted absolute samples of the kicks' onsets); None where no kick touches them.
    Overlapping ducks take the deeper of the two."""
    shape = _duck_shape(sr, float(depth_db))
    starts = kicks - int(SIDECHAIN_ATTACK_S * sr)  # where each duck begins
    lo = int(np.searchsorted(starts, a - len(shape), side="right"))
    hi = int(np.searchsorted(starts, a + n, side="left"))
    if hi <= lo:
        return None
    g = np.ones(n, np.float32)
    for s0 in starts[lo:hi].tolist():
        i, j = max(s0, a), min(s0 + len(shape), a + n)
        np.minimum(g[i - a : j - a], shape[i - s0 : j - s0], out=g[i - a : j - a])
    return g


# ---------------------------------------------------------------- reverb


@lru_cache(maxsize=8)
def impulse_response(sr: int, rt60: float, seed: int = 7, air: float = 0.0) -> np.ndarray:
    """A mono room: 12 ms pre-delay, sparse early reflections, then exponentially decaying
    noise whose highs die faster than its lows; unit energy. ``air`` (0..1) keeps more of the
    highs and lets them ring longer: a bright hall, the shimmer of a scoring stage."""
    n = int(min(0.8 * rt60, 1.4) * sr)  # the rest of the tail lies below -45 dB
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    dark = signal.lfilter([0.15], [1, -0.85], noise) * 2.5
    decay = np.exp(-6.9 * t / rt60)
    bright = (0.5 + air) * noise * np.exp(-6.9 * t / (rt60 * (0.45 + 0.35 * air)))
    ir = (bright + dark) * decay
    pre = int(0.012 * sr)
    ir[:pre] = 0
    for d, g in ((0.017, 0.6), (0.023, -0.5), (0.031, 0.45), (0.041, -0.35), (0.053, 0.3)):
        ir[int(d * sr)] += g * 4
    fade = min(n, int(0.05 * sr))
    ir[-fade:] *= np.linspace(1, 0, fade)
    return (ir / np.sqrt(np.sum(ir * ir))).astype(np.float32)


def fft_size(n: int) -> int:
    """The smallest length >= n that is a power of two times 1, 3, 5, 9, 15 or 45: pocketfft
    is quickest on long runs of radix-2 passes (next_fast_len's 2**5 * 3**2 * 5**4 runs
    ~15% slower than 2**12 * 45 just above it)."""
    best = 1 << max(n - 1, 1).bit_length()
    for odd in (3, 5, 9, 15, 45):
        size = odd
        while size < n:
            size *= 2
        best = min(best, size)
    return best


class Reverb:
    """Overlap-add FFT convolution of a mono send with one impulse response; the right channel
    is the left delayed 11 ms (Haas), which widens it at half the cost of a true stereo IR.
    Works on fixed-size chunks of the absolute sample grid.

    pocketfft transforms four rows of a batch at once (SIMD across rows) for about the price of
    two, so a chunk is cut into parts until the sends that are not silent give four rows: two
    halves of each of two sends, or four quarters of one (shorter transforms, same result)."""

    def __init__(self, ir: np.ndarray, chunk: int, sends: int, sr: int) -> None:
        self.chunk = chunk
        self.ir = ir.astype(np.float32)
        self.keep = len(ir) - 1
        self.spectra: dict[int, np.ndarray] = {}  # FFT size -> spectrum of the IR
        self.tail = np.zeros((sends, self.keep), np.float32)
        self.haas = int(0.011 * sr)
        self.prev = np.zeros((sends, self.haas), np.float32)

    def __call__(self, x: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """x: (sends, chunk) mono sends -> (sends, chunk, 2) wet stereo (a view of channel-major
        memory: ``out.transpose(0, 2, 1)`` is contiguous)."""
        n = len(x[0])
        out = np.empty((len(x), 2, n), np.float32)
        live = [i for i, send in enumerate(x) if send.any()]  # a silent send costs no FFT
        wet = self._convolve([x[i] for i in live]) if live else None
        for i in range(len(x)):
            y = wet[live.index(i)] if i in live else None
            tail = self.tail[i]
            if y is None:  # only the tail of earlier chunks sounds
                k = min(n, self.keep)
                out[i, 0, :k] = tail[:k]
                out[i, 0, k:] = 0.0
                rest = tail[k:]
                tail[: len(rest)] = rest
                tail[len(rest) :] = 0.0
            else:
                y[: self.keep] += tail
                out[i, 0] = y[:n]
                tail[:] = y[n : n + self.keep]
            # right: the left 11 ms later
            out[i, 1, : self.haas] = self.prev[i]
            out[i, 1, self.haas :] = out[i, 0, : n - self.haas]
            self.prev[i] = out[i, 0, n - self.haas :]
        return out.transpose(0, 2, 1)

    def _convolve(self, sends: list[np.ndarray]) -> np.ndarray:
        """Each send convolved with the IR: (sends, n + len(ir) - 1) float32."""
        n, m = len(sends[0]), len(self.ir)
        parts = 4 // len(sends) if len(sends) <= 2 else 1
        while parts > 1 and n % parts:
            parts //= 2
        b = n // parts
        n_fft = fft_size(b + m - 1)
        h = self.spectra.get(n_fft)
        if h is None:
            h = self.spectra[n_fft] = sfft.rfft(self.ir, n_fft)
        rows = np.stack([s.astype(np.float32, copy=False) for s in sends]).reshape(-1, b)
        spec = sfft.rfft(rows, n_fft, axis=1)
        spec *= h
        z = sfft.irfft(spec, n_fft, axis=1)
        y = np.zeros((len(sends), n + m - 1), np.float32)
        span = b + m - 1
        for k, row in enumerate(z):
            i, j = divmod(k, parts)
            y[i, j * b : j * b + span] += row[:span]
        return y


# ---------------------------------------------------------------- limiter


class Limiter:
    """Look-ahead brick-wall limiter. The gain at a sample is a moving average (radius R) of the
    minimum (radius R) of the needed gain, so it never exceeds the needed gain anywhere, has no
    state beyond 2R samples either side, and does not depend on block sizes. Peaks include a
    half-sample interpolation so inter-sample overs are caught too.

    Works channel-major inside (``part.T`` of what it is given, a free view when the caller's
    audio is channel-major already) and hands back contiguous (samples, channels) float32."""

    def __init__(self, ceiling_db: float = -1.9, radius: int = 256) -> None:
        self.ceiling = 10 ** (ceiling_db / 20)
        self.r = radius
        self.hist: np.ndarray | None = None  # the mix's last 2R samples already given out
        self.pending: list[np.ndarray] = []  # every part's samples held back (2R of them)
        self.max_reduction_db = 0.0

    def process(self, parts: list[np.ndarray], final: bool = False) -> list[np.ndarray]:
        """parts[0] is the mix, the rest are stems, each (samples, channels); returns the same,
        limited and delayed by 2R samples (the first call returns 2R fewer samples, the final
        call flushes them). The mix returned is the sum of the limited stems."""
        r2 = 2 * self.r
        planar = [p.T for p in parts]
        if final:
            planar = [
                np.concatenate([p, np.zeros((p.shape[0], r2), p.dtype)], axis=1) for p in planar
            ]
        if self.hist is None:
            self.hist = np.zeros((planar[0].shape[0], r2), np.float32)
            self.pending = [np.zeros((p.shape[0], 0), np.float32) for p in planar]
        x = np.concatenate([self.hist, self.pending[0], planar[0]], axis=1)
        n_out = x.shape[1] - 2 * r2
        if n_out <= 0:  # not enough yet to give anything out
            held = zip(self.pending, planar, strict=True)
            self.pending = [np.concatenate([q, p], axis=1).astype(np.float32) for q, p in held]
            return [np.zeros((0, p.shape[0]), np.float32) for p in planar]
        peak = peaks(x)
        gain = None  # no peak over the ceiling anywhere near: the gain is exactly 1
        if float(peak.max()) > np.float32(self.ceiling):
            need = np.minimum(1.0, self.ceiling / np.maximum(peak, 1e-9))
            w = 2 * self.r + 1
            g = ndimage.uniform_filter1d(
                ndimage.minimum_filter1d(need, w, mode="nearest"), w, mode="nearest"
            )
            g = np.minimum(g, need)  # float rounding in the average must not lift a peak
            gain = g[r2 : r2 + n_out].astype(np.float32)
            self.max_reduction_db = min(
                self.max_reduction_db, 20 * math.log10(float(gain.min()) + 1e-12)
            )
        stems = list(range(1, len(planar))) or [0]
        outs = [self._apply(self.pending[k], planar[k], gain, n_out) for k in stems]
        mix = outs[0] if len(outs) == 1 else np.add(outs[0], outs[1])
        for o in outs[2:]:
            mix += o
        self.hist = x[:, r2 + n_out - r2 : r2 + n_out].copy()
        self.pending = [_last(q, p, r2) for q, p in zip(self.pending, planar, strict=True)]
        return [mix, *outs] if len(planar) > 1 else [mix]

    @staticmethod
    def _apply(
        pending: np.ndarray, part: np.ndarray, gain: np.ndarray | None, n_out: int
    ) -> np.ndarray:
        """The first n_out samples of pending + part, times gain (None: 1), as (samples,
        channels)."""
        held = pending.shape[1]
        out = np.empty((n_out, part.shape[0]), np.float32)
        k = min(held, n_out)
        for c in range(part.shape[0]):  # a row at a time: numpy interleaves rows far faster
            if gain is None:
                out[:k, c] = pending[c, :k]
                out[k:, c] = part[c, : n_out - k]
            else:
                out[:k, c] = pending[c, :k] * gain[:k]
                out[k:, c] = part[c, : n_out - k] * gain[k:]
        return out


def _last(held: np.ndarray, new: np.ndarray, n: int) -> np.ndarray:
    """The last n samples of held followed by new (channel-major), as a new array."""
    if new.shape[1] >= n:
        return np.array(new[:, new.shape[1] - n :], np.float32)
    return np.concatenate([held, new], axis=1)[:, -n:].astype(np.float32)
