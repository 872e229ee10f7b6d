"""The engine's per-sample recursions, compiled with numba.

A recursion (an IIR filter, a resonator whose pole moves) cannot be vectorised over samples;
scipy's ``sosfilt``/``lfilter`` run one channel and one section after another, each sample
waiting on the last. These loops keep every state in a register and interleave the
independent recursions (channels, sections), so the CPU works on one while another waits:
2-3x scipy for the EQs, 5x the block-wise numpy resonators the voice had before. They
compute in float64 whatever the input's type. Compiled once per machine (``cache=True``
writes next to this file, or to numba's user cache where that is read-only) and loaded in a
fraction of a second by later processes; the engine loads them when it starts
(:func:`warm_up`).
"""

from __future__ import annotations

import numba
import numpy as np

# "contract" lets LLVM fuse a multiply and an add (FMA): shorter recursions, same results
# run after run on one machine (what the engine's "same seed, same bits" promise covers).
_JIT = {"cache": True, "nogil": True, "fastmath": {"contract"}}

_THROUGH = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
"""A biquad that passes its input through: pads a cascade to the kernels' three sections."""


@numba.njit(inline="always", **_JIT)
def _biquad(
    b0: float, b1: float, b2: float, a1: float, a2: float, z0: float, z1: float, v: float
) -> tuple[float, float, float]:
    """One sample through a biquad in transposed direct form II (scipy's): (out, z0, z1)."""
    y = b0 * v + z0
    return y, b1 * v - a1 * y + z1, b2 * v - a2 * y


def sos_filter(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, out: np.ndarray) -> None:
    """Up to three biquads along axis 0 of ``x`` (samples, 1 or 2 channels) into ``out`` (same
    shape, any layout: a transposed view of channel-major memory works). ``sos`` is scipy's
    layout (sections, 6) with ``a0 == 1``; ``zi`` (sections, 2, channels) is scipy's
    transposed direct form II state, carried in place from one call to the next: the result
    is ``scipy.signal.sosfilt(sos, x, axis=0, zi=zi)``."""
    sections, channels = len(sos), x.shape[1]
    if sections > 3 or channels not in (1, 2) or zi.shape != (sections, 2, channels):
        raise ValueError("sos_filter: up to 3 sections, 1 or 2 channels, zi (sections, 2, ch)")
    if out.shape != x.shape or sos.shape[1:] != (6,):
        raise ValueError("sos_filter: sos rows of 6, out shaped like x")
    # a mono signal runs as both lanes (the same state and samples): as fast as one alone,
    # since the lanes' recursions overlap
    padded = np.zeros((3, 2, 2))
    padded[:sections] = zi[:, :, [0, channels - 1]]
    sos3 = np.array([*sos, *[_THROUGH] * (3 - sections)], np.float64)
    _sos3(sos3, x, padded, out, channels - 1)
    zi[:] = padded[:sections, :, :channels]


@numba.njit(**_JIT)
def _sos3(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, out: np.ndarray, right: int) -> None:
    """Three biquads on two lanes at once: channel 0 and channel ``right`` of x."""
    b00, b01, b02, a01, a02 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    b10, b11, b12, a11, a12 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    b20, b21, b22, a21, a22 = sos[2, 0], sos[2, 1], sos[2, 2], sos[2, 4], sos[2, 5]
    p0, p1, P0, P1 = zi[0, 0, 0], zi[0, 1, 0], zi[0, 0, 1], zi[0, 1, 1]
    q0, q1, Q0, Q1 = zi[1, 0, 0], zi[1, 1, 0], zi[1, 0, 1], zi[1, 1, 1]
    r0, r1, R0, R1 = zi[2, 0, 0], zi[2, 1, 0], zi[2, 0, 1], zi[2, 1, 1]
    for i in range(x.shape[0]):
        v, V = np.float64(x[i, 0]), np.float64(x[i, right])
        v, p0, p1 = _biquad(b00, b01, b02, a01, a02, p0, p1, v)
        V, P0, P1 = _biquad(b00, b01, b02, a01, a02, P0, P1, V)
        v, q0, q1 = _biquad(b10, b11, b12, a11, a12, q0, q1, v)
        V, Q0, Q1 = _biquad(b10, b11, b12, a11, a12, Q0, Q1, V)
        v, r0, r1 = _biquad(b20, b21, b22, a21, a22, r0, r1, v)
        V, R0, R1 = _biquad(b20, b21, b22, a21, a22, R0, R1, V)
        out[i, 0], out[i, right] = v, V
    zi[0, 0, 0], zi[0, 1, 0], zi[0, 0, 1], zi[0, 1, 1] = p0, p1, P0, P1
    zi[1, 0, 0], zi[1, 1, 0], zi[1, 0, 1], zi[1, 1, 1] = q0, q1, Q0, Q1
    zi[2, 0, 0], zi[2, 1, 0], zi[2, 0, 1], zi[2, 1, 1] = r0, r1, R0, R1


@numba.njit(**_JIT)
def vocal_tract(
    pulses: np.ndarray,
    noise: np.ndarray,
    source_sos: np.ndarray,
    pole_re: np.ndarray,
    pole_im: np.ndarray,
    gain: np.ndarray,
    block: int,
    fixed_sos: np.ndarray,
) -> np.ndarray:
    """The formant singer's filter chain in one pass: glottal pulses through the biquad
    ``source_sos`` (1, 6) (glottal flow, lip radiation), plus ``noise`` (aspiration, breath),
    through three time-varying resonators in cascade (F1..F3), then through the two biquads of
    ``fixed_sos`` (2, 6) (F4, F5). Returns float32.

    Resonator s is ``w[n] = p[n] w[n-1] + v[n]`` with a complex pole ``p`` and output
    ``Im(w[n]) * gain[n]``; poles and gains are given per block of ``block`` samples, shape
    (3, blocks). The complex (coupled) form keeps a moving formant's amplitude steady where a
    direct-form biquad whose coefficients jump would click."""
    n = pulses.shape[0]
    out = np.empty(n, np.float32)
    g0, g1, g2 = source_sos[0, 0], source_sos[0, 1], source_sos[0, 2]
    ga1, ga2 = source_sos[0, 4], source_sos[0, 5]
    f00, f01, f02 = fixed_sos[0, 0], fixed_sos[0, 1], fixed_sos[0, 2]
    fa01, fa02 = fixed_sos[0, 4], fixed_sos[0, 5]
    f10, f11, f12 = fixed_sos[1, 0], fixed_sos[1, 1], fixed_sos[1, 2]
    fa11, fa12 = fixed_sos[1, 4], fixed_sos[1, 5]
    s0 = s1 = u0 = u1 = t0 = t1 = 0.0  # biquad states: source, F4, F5
    w1r = w1i = w2r = w2i = w3r = w3i = 0.0  # resonator states
    a1 = c1 = k1 = a2 = c2 = k2 = a3 = c3 = k3 = 0.0
    for i in range(n):
        if i % block == 0:
            b = i // block
            a1, c1, k1 = pole_re[0, b], pole_im[0, b], gain[0, b]
            a2, c2, k2 = pole_re[1, b], pole_im[1, b], gain[1, b]
            a3, c3, k3 = pole_re[2, b], pole_im[2, b], gain[2, b]
        v, s0, s1 = _biquad(g0, g1, g2, ga1, ga2, s0, s1, np.float64(pulses[i]))
        v += np.float64(noise[i])
        w1r, w1i = a1 * w1r - c1 * w1i + v, a1 * w1i + c1 * w1r
        v = w1i * k1
        w2r, w2i = a2 * w2r - c2 * w2i + v, a2 * w2i + c2 * w2r
        v = w2i * k2
        w3r, w3i = a3 * w3r - c3 * w3i + v, a3 * w3i + c3 * w3r
        v = w3i * k3
        v, u0, u1 = _biquad(f00, f01, f02, fa01, fa02, u0, u1, v)
        v, t0, t1 = _biquad(f10, f11, f12, fa11, fa12, t0, t1, v)
        out[i] = v
    return out


@numba.njit(**_JIT)
def peaks(x: np.ndarray) -> np.ndarray:
    """Per-sample peak over the channels of ``x`` (channels, samples), float32, with each
    half-sample point between two samples (4-tap interpolation, 9/16 and -1/16) counted at
    both: the limiter's cheap stand-in for true peak. Channel by channel in float32, loops
    the compiler turns into SIMD."""
    channels, n = x.shape
    out = np.zeros(n, np.float32)
    mid = np.zeros(n, np.float32)  # mid[i]: the point between samples i and i + 1
    nine, sixteenth = np.float32(9.0), np.float32(1.0 / 16.0)
    for c in range(channels):
        row = x[c].astype(np.float32)
        for i in range(n):
            out[i] = max(out[i], abs(row[i]))
        for i in range(1, n - 2):
            v = abs(nine * (row[i] + row[i + 1]) - row[i - 1] - row[i + 2]) * sixteenth
            mid[i] = max(mid[i], v)
    for i in range(1, n - 1):
        out[i] = max(out[i], max(mid[i], mid[i - 1]))
    return out


@numba.njit(**_JIT)
def _slopes(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Slope of each keyframe segment (0 where two keyframes share a time)."""
    out = np.zeros(times.shape[0])
    for j in range(times.shape[0] - 1):
        if times[j + 1] > times[j]:
            out[j] = (values[j + 1] - values[j]) / (times[j + 1] - times[j])
    return out


@numba.njit(**_JIT)
def _track_at(
    t: float, times: np.ndarray, values: np.ndarray, slopes: np.ndarray, j: int
) -> tuple[float, int]:
    """``np.interp(t, times, values)`` for a ``t`` no earlier than the last call's, resuming
    the search at ``j``: (value, the new j)."""
    last = times.shape[0] - 1
    while j < last and times[j + 1] <= t:
        j += 1
    if t <= times[0]:
        return values[0], j
    if j >= last:
        return values[last], j
    return slopes[j] * (t - times[j]) + values[j], j


@numba.njit(**_JIT)
def _cos_cycle(x: float) -> float:
    """cos(2 pi x) for x in [0, 1), to ~3e-5: a Taylor polynomial on the quarter cycle nearest
    zero (np.cos per sample would cost more than the rest of the source together)."""
    y = x if x < 0.5 else 1.0 - x  # cos is even about 0 and 1
    sign = 1.0
    if y > 0.25:  # cos(2 pi y) = -cos(2 pi (0.5 - y))
        y, sign = 0.5 - y, -1.0
    z = (2.0 * np.pi * y) ** 2
    return sign * (1.0 - z * (0.5 - z * (1.0 / 24.0 - z * (1.0 / 720.0 - z * (1.0 / 40320.0)))))


@numba.njit(**_JIT)
def glottal_source(
    n: int,
    t_start: float,
    sr: float,
    f0_times: np.ndarray,
    f0: np.ndarray,
    av_times: np.ndarray,
    av: np.ndarray,
    ah_times: np.ndarray,
    ah: np.ndarray,
    taps: np.ndarray,
    noise: np.ndarray,
    breathiness: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The singer's excitation for samples at ``t_start + i / sr``: (pulses, noise).

    Pitch (``f0``) and the voicing and aspiration amplitudes (``av``, ``ah``) are keyframes,
    interpolated linearly per sample. Pulses: one band-limited impulse per glottal cycle, at
    the exact fractional time the running phase crosses a whole cycle, drawn from ``taps``
    (fractional positions x 8 taps of a windowed sinc, centred on tap 3), scaled by the
    voicing and by ``1/sqrt(f0)`` so loudness does not follow pitch. Noise: ``noise`` times
    the aspiration plus breath, which swells at each cycle's opening as a real glottis
    leaks."""
    pulses = np.zeros(n + 8)
    out = np.empty(n)
    sub = taps.shape[0]
    jf = ja = jh = 0
    phase = 0.0  # within the current cycle, [0, 1)
    prev_f0 = prev_av = 0.0
    step = 1.0 / sr
    f0_slopes = _slopes(f0_times, f0)
    av_slopes = _slopes(av_times, av)
    ah_slopes = _slopes(ah_times, ah)
    for i in range(n):
        t = t_start + i * step
        f, jf = _track_at(t, f0_times, f0, f0_slopes, jf)
        a, ja = _track_at(t, av_times, av, av_slopes, ja)
        h, jh = _track_at(t, ah_times, ah, ah_slopes, jh)
        advance = f * step
        phase += advance
        if phase >= 1.0:
            phase -= 1.0
            if i > 0:  # the cycle began between samples i - 1 and i: a pulse there
                pos = i - phase / max(advance, 1e-12)
                base = int(np.floor(pos))
                k = min(int((pos - base) * sub), sub - 1)
                g = prev_av / np.sqrt(max(prev_f0, 40.0) / 100.0)
                if g > 1e-5:
                    for tap in range(8):
                        pulses[base + tap + 1] += taps[k, tap] * g
        breath = breathiness * a * (0.55 + 0.45 * _cos_cycle(phase))
        out[i] = noise[i] * (0.3 * h + 0.12 * breath)
        prev_f0, prev_av = f, a
    return pulses[4 : 4 + n], out


def warm_up() -> None:
    """Compile (or load from numba's cache) the specialisations the engine uses, so that its
    first clip does not pay for them."""
    sos = np.array([_THROUGH])
    for dtype in (np.float32, np.float64):
        x = np.zeros((4, 2), dtype)
        sos_filter(sos, x, np.zeros((1, 2, 2)), np.empty_like(x))
        sos_filter(sos, x, np.zeros((1, 2, 2)), np.empty((2, 4), dtype).T)
        sos_filter(sos, x[:, :1].copy(), np.zeros((1, 2, 1)), np.empty((4, 1), dtype))
    for dtype in (np.float32, np.float64):
        peaks(np.zeros((2, 8), dtype))
    one = np.ones(1)
    noise = np.zeros(4, np.float32)  # the voice reads its noise from a float32 table
    glottal_source(4, 0.0, 100.0, one, one, one, one, one, one, np.ones((2, 8)), noise, 0.1)
    poles = np.zeros((3, 1))
    vocal_tract(np.zeros(4), np.zeros(4), sos, poles, poles, poles, 64, np.concatenate([sos, sos]))
