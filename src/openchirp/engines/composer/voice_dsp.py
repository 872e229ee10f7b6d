"""Signal building blocks of the formant singer, all vectorised over whole phrases.

The vocal tract is a cascade of time-varying two-pole resonators (F1..F3 move with the
phonemes) followed by fixed ones (F4, F5). A time-varying recursion cannot go through
``scipy.signal.lfilter``, so :func:`tv_resonator` solves the complex one-pole recursion
``y[n] = p[n] y[n-1] + x[n]`` in closed form inside short blocks (cumulative sums of
``x / prod(p)``) and carries the state between blocks in a short Python loop: one loop step per
64 samples instead of per sample.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

BLOCK = 64
"""Samples per control block: formant tracks are given at this rate."""


def tv_resonator(x: np.ndarray, freq: np.ndarray, bw: np.ndarray, sr: float) -> np.ndarray:
    """Two-pole resonator whose centre ``freq`` and bandwidth ``bw`` (Hz) are given per block of
    :data:`BLOCK` samples (``len(freq) == ceil(len(x) / BLOCK)``), unity gain at DC (Klatt's
    normalisation) so that a cascade shapes the spectrum like a vocal tract.

    float32 is enough: with bandwidths under ~500 Hz the running pole product inside a block stays
    above ~0.01, so dividing by it loses no precision that matters."""
    n = len(x)
    m = -(-n // BLOCK)
    if n == 0:
        return np.zeros(0, np.float32)
    theta = (2.0 * np.pi / sr) * np.asarray(freq, np.float64)[:m]
    log_r = (-np.pi / sr) * np.asarray(bw, np.float64)[:m]
    j = np.arange(1, BLOCK + 1, dtype=np.float32)
    # Running product of the (constant) pole inside each block: p^(j+1), magnitude and angle.
    mag = np.exp(log_r.astype(np.float32)[:, None] * j)
    phi = theta.astype(np.float32)[:, None] * j
    c, s = np.cos(phi), np.sin(phi)
    u = np.zeros(m * BLOCK, np.float32)
    u[:n] = x
    u = u.reshape(m, BLOCK) / mag
    cr = np.cumsum(u * c, axis=1)
    ci = np.cumsum(u * s, axis=1)
    # y0 = P * (cr - i ci): the block's response from a zero state.
    y0_im = mag * (s * cr - c * ci)
    y0_re = mag[:, -1] * (c[:, -1] * cr[:, -1] + s[:, -1] * ci[:, -1])
    p_end = (mag[:, -1] * (c[:, -1] + 1j * s[:, -1])).tolist()
    y_end = (y0_re + 1j * y0_im[:, -1]).tolist()
    carry = [0j] * m
    state = 0j
    for b in range(m):
        carry[b] = state
        state = y_end[b] + p_end[b] * state
    carry_arr = np.asarray(carry)
    sr_ = carry_arr.real.astype(np.float32)[:, None]
    si_ = carry_arr.imag.astype(np.float32)[:, None]
    r = np.exp(log_r)
    gain = (1.0 - 2.0 * r * np.cos(theta) + r * r) / np.maximum(r * np.sin(theta), 1e-9)
    y = (y0_im + mag * (s * sr_ + c * si_)) * gain.astype(np.float32)[:, None]
    return y.ravel()[:n]


def resonator_ba(freq: float, bw: float, sr: float) -> tuple[np.ndarray, np.ndarray]:
    """Fixed two-pole resonator with unity DC gain, as lfilter coefficients."""
    r = np.exp(-np.pi * bw / sr)
    a1, a2 = -2.0 * r * np.cos(2.0 * np.pi * freq / sr), r * r
    return np.array([1.0 + a1 + a2]), np.array([1.0, a1, a2])


@lru_cache(maxsize=256)
def bandpass_sos(lo: float, hi: float, sr: float) -> np.ndarray:
    nyq = sr / 2.0
    lo = min(max(lo, 50.0), nyq * 0.9)
    hi = min(max(hi, lo * 1.2), nyq * 0.98)
    return signal.butter(2, [lo / nyq, hi / nyq], btype="bandpass", output="sos")


@lru_cache(maxsize=16)
def _sinc_taps(sub: int = 32, half: int = 4) -> np.ndarray:
    """Windowed-sinc fractional-delay kernels, ``sub`` fractional positions x 2*half taps."""
    frac = np.arange(sub) / sub
    n = np.arange(-half + 1, half + 1)
    x = n[None, :] - frac[:, None]
    win = np.cos(np.pi * x / (2 * half + 1)) ** 2
    taps = np.sinc(x) * win
    return taps / taps.sum(axis=1, keepdims=True)


def pulse_train(f0: np.ndarray, amp: np.ndarray, sr: float, phase0: float = 0.0) -> np.ndarray:
    """Band-limited impulse train (one impulse per glottal cycle at the exact fractional time).

    Impulses are scaled by ``amp`` at their time and by 1/sqrt(f0) so that loudness does not
    depend on pitch. Returns the impulses and the running glottal phase (cycles)."""
    n = len(f0)
    phase = phase0 + np.cumsum(f0 / sr)
    cyc = np.floor(phase)
    k = np.nonzero(np.diff(cyc))[0]  # a pulse falls between sample k and k+1
    out = np.zeros(n + 8)
    if len(k):
        frac = (phase[k + 1] - cyc[k + 1]) / np.maximum(phase[k + 1] - phase[k], 1e-12)
        pos = k + 1 - frac  # fractional sample position of the pulse
        base = np.floor(pos).astype(np.int64)
        taps = _sinc_taps()
        sub = np.minimum((pos - base) * taps.shape[0], taps.shape[0] - 1).astype(np.int64)
        a = amp[k] / np.sqrt(np.maximum(f0[k], 40.0) / 100.0)
        keep = a > 1e-5
        idx = base[keep, None] + np.arange(-3, 5)[None, :] + 4
        np.add.at(out, idx.ravel(), (taps[sub[keep]] * a[keep, None]).ravel())
    return out[4 : 4 + n], phase


@lru_cache(maxsize=16)
def glottal_filter(sr: float) -> tuple[np.ndarray, np.ndarray]:
    """Impulses -> glottal flow derivative: two real poles near 100 Hz (flow, -12 dB/oct)
    times lip radiation (first difference, +6 dB/oct)."""
    p = np.exp(-2.0 * np.pi * 100.0 / sr)
    # Scaled so that the source has an RMS of about 1 at 200 Hz with unit amplitude.
    b = np.array([1.0, -1.0]) * (1.0 - p) ** 2 * 7000.0
    a = np.array([1.0, -2.0 * p, p * p])
    return b, a
