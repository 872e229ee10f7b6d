"""Signal building blocks of the formant singer.

The source (glottal pulses at the sung pitch, aspiration and breath noise) and the vocal tract
(a cascade of time-varying two-pole resonators, F1..F3 moving with the phonemes, then fixed
ones, F4 and F5) are recursions over samples, which numpy cannot vectorise: they run as
compiled loops (:mod:`kernels`, ``glottal_source`` and ``vocal_tract``). This module designs
their filters and tables and hands them over (:func:`tract`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal

from openchirp.engines.composer.kernels import vocal_tract

BLOCK = 64
"""Samples per control block: formant tracks are given at this rate."""


def tract(
    pulses: np.ndarray,
    noise: np.ndarray,
    source_sos: np.ndarray,
    stages: list[tuple[np.ndarray, np.ndarray]],
    sr: float,
    fixed_sos: np.ndarray,
) -> np.ndarray:
    """Pulses through the glottal ``source_sos`` (one biquad), plus ``noise`` (same length),
    through three moving resonators and the two fixed biquads of ``fixed_sos``: one compiled
    pass (:func:`kernels.vocal_tract`), float32 out.

    ``stages``: (centre, bandwidth) in Hz of F1, F2 and F3 per block of :data:`BLOCK` samples
    (``ceil(len(pulses) / BLOCK)`` values each). Each resonator has unity gain at DC (Klatt's
    normalisation), so the cascade shapes the spectrum like a vocal tract."""
    n = len(pulses)
    source_sos, fixed_sos = np.asarray(source_sos), np.asarray(fixed_sos)
    if len(stages) != 3 or len(noise) != n or source_sos.shape != (1, 6):
        raise ValueError("tract: three stages, noise as long as the pulses, one source biquad")
    if fixed_sos.shape != (2, 6):
        raise ValueError("tract: two fixed biquads")
    if n == 0:
        return np.zeros(0, np.float32)
    m = -(-n // BLOCK)
    poles = np.empty((len(stages), m), np.complex128)
    gain = np.empty((len(stages), m))
    for s, (freq, bw) in enumerate(stages):
        theta = (2.0 * np.pi / sr) * np.asarray(freq, np.float64)[:m]
        r = np.exp((-np.pi / sr) * np.asarray(bw, np.float64)[:m])
        poles[s] = r * np.exp(1j * theta)
        gain[s] = (1.0 - 2.0 * r * np.cos(theta) + r * r) / np.maximum(r * np.sin(theta), 1e-9)
    return vocal_tract(
        pulses,
        noise,
        np.ascontiguousarray(source_sos, np.float64),
        np.ascontiguousarray(poles.real),
        np.ascontiguousarray(poles.imag),
        gain,
        BLOCK,
        np.ascontiguousarray(fixed_sos, np.float64),
    )


def resonator_sos(freq: float, bw: float, sr: float) -> np.ndarray:
    """:func:`resonator_ba` as one SOS row."""
    b, a = resonator_ba(freq, bw, sr)
    return np.array([b[0], 0.0, 0.0, *a])


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
def sinc_taps(sub: int = 32, half: int = 4) -> np.ndarray:
    """Windowed-sinc fractional-delay kernels, ``sub`` fractional positions x 2*half taps."""
    frac = np.arange(sub) / sub
    n = np.arange(-half + 1, half + 1)
    x = n[None, :] - frac[:, None]
    win = np.cos(np.pi * x / (2 * half + 1)) ** 2
    taps = np.sinc(x) * win
    return taps / taps.sum(axis=1, keepdims=True)


@lru_cache(maxsize=16)
def glottal_sos(sr: float) -> np.ndarray:
    """Impulses -> glottal flow derivative, as one SOS row: two real poles near 100 Hz (flow,
    -12 dB/oct) times lip radiation (first difference, +6 dB/oct)."""
    p = np.exp(-2.0 * np.pi * 100.0 / sr)
    # Scaled so that the source has an RMS of about 1 at 200 Hz with unit amplitude.
    k = (1.0 - p) ** 2 * 7000.0
    return np.array([[k, -k, 0.0, 1.0, -2.0 * p, p * p]])
