"""Signal building blocks of the formant singer, all vectorised over whole phrases.

The vocal tract is a cascade of time-varying two-pole resonators (F1..F3 move with the
phonemes) followed by fixed ones (F4, F5). A time-varying recursion cannot go through
``scipy.signal.lfilter``, so :func:`tv_resonator` solves the complex one-pole recursion
``y[n] = p[n] y[n-1] + x[n]`` in closed form inside short blocks (running sums of
``x / p**k``) and carries the state between blocks in a short Python loop: one loop step per
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
    normalisation) so that a cascade shapes the spectrum like a vocal tract."""
    return tv_cascade(x, [(freq, bw)], sr)


def tv_cascade(x: np.ndarray, stages: list[tuple[np.ndarray, np.ndarray]], sr: float) -> np.ndarray:
    """:func:`tv_resonator` for each (freq, bw) of ``stages`` in turn, the signal kept in block
    layout (sample in block, block) from the first stage to the last."""
    n = len(x)
    m = -(-n // BLOCK)
    if n == 0:
        return np.zeros(0, np.float32)
    u = np.zeros(m * BLOCK, np.float32)
    u[:n] = x
    v = np.ascontiguousarray(u.reshape(m, BLOCK).T)
    for freq, bw in stages:
        v = _resonate(v, freq, bw, sr)
    return v.T.ravel()[:n]


def _resonate(v: np.ndarray, freq: np.ndarray, bw: np.ndarray, sr: float) -> np.ndarray:
    """One resonator on a signal in block layout (BLOCK, m).

    Inside a block the complex one-pole recursion ``w[k] = p w[k-1] + x[k]`` is
    ``w[k] = p**k (W + sum_{i<=k} x[i] / p**i)``, a running sum; the output is ``Im(w)`` times
    the gain. In this layout every step is a long vector operation. float32 is enough: with
    bandwidths under ~500 Hz the pole's powers inside a block stay above ~0.01, so dividing by
    them loses no precision that matters."""
    m = v.shape[1]
    theta = (2.0 * np.pi / sr) * np.asarray(freq, np.float64)[:m]
    log_r = (-np.pi / sr) * np.asarray(bw, np.float64)[:m]
    p1 = np.exp(log_r + 1j * theta)
    pr, pi = _powers(p1)
    v = v * _real_powers(np.exp(-2.0 * log_r))  # x / |p**k|**2
    # x / p**k = x conj(p**k) / |p**k|**2: z[:, 0] its real part, z[:, 1] minus its imaginary
    z = np.empty((BLOCK, 2, m), np.float32)
    np.multiply(v, pr, out=z[:, 0])
    np.multiply(v, pi, out=z[:, 1])
    for k in range(1, BLOCK):  # the running sum, one long vector add per sample of a block
        z[k] += z[k - 1]
    p_end = p1**BLOCK
    carry = _carry(p_end, p_end * (z[-1, 0] - 1j * z[-1, 1]))
    z[:, 0] += carry.real.astype(np.float32)
    z[:, 1] -= carry.imag.astype(np.float32)
    r = np.exp(log_r)
    gain = (1.0 - 2.0 * r * np.cos(theta) + r * r) / np.maximum(r * np.sin(theta), 1e-9)
    return (pi * z[:, 0] - pr * z[:, 1]) * gain.astype(np.float32)


def _powers(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts (float32, shape (BLOCK, len(p))) of ``p**k`` for k = 1..BLOCK:
    eight coarse steps times eight fine ones, each a short run of products in float64."""
    fine = np.empty((8, len(p)), np.complex128)
    fine[0] = p
    for k in range(1, 8):
        fine[k] = fine[k - 1] * p
    coarse = np.empty((BLOCK // 8, len(p)), np.complex128)
    coarse[0] = 1.0
    for k in range(1, BLOCK // 8):
        coarse[k] = coarse[k - 1] * fine[7]
    cr, ci = (np.ascontiguousarray(a, np.float32)[:, None] for a in (coarse.real, coarse.imag))
    fr, fi = (np.ascontiguousarray(a, np.float32)[None] for a in (fine.real, fine.imag))
    re = cr * fr - ci * fi
    im = cr * fi + ci * fr
    return re.reshape(BLOCK, len(p)), im.reshape(BLOCK, len(p))


def _real_powers(p: np.ndarray) -> np.ndarray:
    """``p**k`` for k = 1..BLOCK of a real ``p`` (float32, shape (BLOCK, len(p)))."""
    fine = np.empty((8, len(p)))
    fine[0] = p
    for k in range(1, 8):
        fine[k] = fine[k - 1] * p
    coarse = np.empty((BLOCK // 8, len(p)))
    coarse[0] = 1.0
    for k in range(1, BLOCK // 8):
        coarse[k] = coarse[k - 1] * fine[7]
    out = coarse.astype(np.float32)[:, None] * fine.astype(np.float32)[None]
    return out.reshape(BLOCK, len(p))


def _carry(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """State entering each block: ``s[0] = 0``, ``s[b+1] = a[b] s[b] + w[b]``.

    Solved a group of blocks at a time in closed form (``s`` inside a group is its entering
    state times the running product of ``a``, plus running sums of ``w`` divided by it), with
    a short Python loop only from group to group. Groups are short enough that the running
    product (squared, by complex division) stays far above float64's smallest number: 16
    blocks for formant bandwidths."""
    m = len(a)
    decay = float(-np.log(max(float(np.abs(a).min(initial=1.0)), 1e-300)))
    group = int(min(16, 300 // max(decay, 1e-9)))
    if group < 2:
        return _carry_steps(a, w)
    g = -(-m // group)
    aa = np.ones(g * group, np.complex128)
    ww = np.zeros(g * group, np.complex128)
    aa[:m], ww[:m] = a, w
    aa, ww = aa.reshape(g, group).T, ww.reshape(g, group).T  # (block in group, group)
    prod = np.cumprod(aa, axis=0)
    local = prod * np.cumsum(ww / prod, axis=0)  # state after each block, from a zero entry
    entry = _carry_steps(prod[-1], local[-1])
    s = np.empty((group, g), np.complex128)
    s[0] = entry
    s[1:] = local[:-1] + prod[:-1] * entry
    return s.T.ravel()[:m]


def _carry_steps(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`_carry` one step at a time."""
    out = [0j] * len(a)
    state = 0j
    for b, (ab, wb) in enumerate(zip(a.tolist(), w.tolist(), strict=True)):
        out[b] = state
        state = wb + ab * state
    return np.asarray(out, np.complex128)


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
        w = (taps[sub[keep]] * a[keep, None]).ravel()
        out = np.bincount(idx.ravel(), weights=w, minlength=n + 8)  # overlapping taps add up
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
