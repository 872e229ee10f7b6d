"""Mastering pieces on synthetic signals: the limiter, the reverb, the loudness meter."""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy import signal

from openchirp.engines.composer.mix import Limiter, Reverb, gated_loudness, impulse_response

SR = 44_100


def _limited(x: np.ndarray, block: int) -> np.ndarray:
    lim = Limiter()
    out = []
    for i in range(0, len(x), block):
        part = x[i : i + block]
        final = i + block >= len(x)
        out.append(lim.process([part, part * 0.25, part * 0.75], final=final))
    mix = np.concatenate([o[0] for o in out])
    stems = np.concatenate([o[1] for o in out]) + np.concatenate([o[2] for o in out])
    assert np.allclose(mix, stems, atol=1e-6)  # the gain is applied to the stems alike
    return mix


def test_limiter_holds_true_peak_and_ignores_block_size() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(SR * 2) / SR
    # hot signal with inter-sample overs (a 7 kHz sine whose samples miss its crests) and
    # bursts of noise; the limiter's half-sample estimate plus its 0.9 dB margin covers music
    # (content near a quarter of the sample rate at full scale would need true oversampling)
    x = 1.8 * np.sin(2 * np.pi * 7001 * t + 0.3)[:, None] * np.array([[1.0, 0.8]])
    x += rng.standard_normal(x.shape) * 0.3 * (np.sin(2 * np.pi * 3 * t) > 0.7)[:, None]
    x = x.astype(np.float32)
    a = _limited(x, 4096)
    b = _limited(x, 10_000)
    assert len(a) == len(x) == len(b)
    assert np.max(np.abs(a - b)) < 1e-5
    up = signal.resample_poly(a.astype(np.float64), 4, 1, axis=0)
    assert 20 * np.log10(np.max(np.abs(up))) <= -1.0


def test_limiter_leaves_quiet_audio_alone() -> None:
    t = np.arange(SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 440 * t))[:, None].repeat(2, axis=1).astype(np.float32)
    y = _limited(x, 5000)
    assert np.allclose(x, y, atol=1e-7)


def test_reverb_is_linear_and_chunked() -> None:
    ir = impulse_response(SR, 1.2)
    assert abs(float(np.sum(ir.astype(np.float64) ** 2)) - 1.0) < 1e-3
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3 * 8192)).astype(np.float32)
    rv = Reverb(ir, 8192, 2, SR)
    wet = np.concatenate([rv(x[:, i : i + 8192]) for i in range(0, x.shape[1], 8192)], axis=1)
    ref = signal.fftconvolve(x[0].astype(np.float64), ir.astype(np.float64))[: x.shape[1]]
    assert np.max(np.abs(wet[0, :, 0] - ref)) < 1e-3 * np.max(np.abs(ref))
    haas = int(0.011 * SR)
    assert np.allclose(wet[0, haas:, 1], wet[0, :-haas, 0], atol=1e-6)  # right: left, later


def test_bright_room_keeps_more_highs_for_longer() -> None:
    """``air`` (a film score's hall): more of the reverb's energy above 6 kHz, and its highs
    ringing longer (a larger share half a second in)."""

    def highs(ir: np.ndarray, a: float, b: float) -> float:
        seg = ir[int(a * SR) : int(b * SR)].astype(np.float64)
        p = np.abs(np.fft.rfft(seg)) ** 2
        f = np.fft.rfftfreq(len(seg), 1 / SR)
        return float(np.sum(p[f > 6000]) / np.sum(p))

    plain, bright = impulse_response(SR, 1.7), impulse_response(SR, 1.7, air=1.0)
    assert abs(float(np.sum(bright.astype(np.float64) ** 2)) - 1.0) < 1e-3
    assert highs(bright, 0, 1.3) > 1.8 * highs(plain, 0, 1.3)  # measured 2.08
    assert highs(bright, 0.5, 1.0) > 1.25 * highs(plain, 0.5, 1.0)  # measured 1.32


def test_gated_loudness_matches_pyloudnorm() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((SR * 5, 2)) * 0.1
    x[SR : 2 * SR] *= 0.01  # a quiet stretch the gate drops
    ours = gated_loudness(x, SR)
    ref = pyloudnorm.Meter(SR).integrated_loudness(x)
    assert abs(ours - ref) < 0.1
