from __future__ import annotations

import numpy as np
import pytest

from openchirp.media.waveform import PeakAccumulator, peaks


def test_peaks_shape_range_and_shape_of_the_signal() -> None:
    pcm = np.zeros((44_100, 2), dtype=np.float32)
    pcm[:22_050, 0] = 0.2
    pcm[22_050:, 1] = -0.8  # the louder half, on the other channel
    out = peaks(pcm, 100)
    assert len(out) == 100
    assert all(0.0 <= v <= 1.0 for v in out)
    assert out[:50] == [0.25] * 50 and out[50:] == [1.0] * 50


def test_peaks_rounding_silence_and_short_input() -> None:
    rng = np.random.default_rng(1)
    out = peaks(rng.normal(0, 0.1, (10_000, 2)).astype(np.float32), 1000)
    assert max(out) == 1.0 and all(round(v, 3) == v for v in out)
    assert peaks(np.zeros((5000, 2), dtype=np.float32), 10) == [0.0] * 10
    assert peaks(np.zeros((0, 2), dtype=np.float32), 10) == [0.0] * 10
    short = peaks(np.array([[0.5, 0], [1.0, 0], [0.25, 0]], dtype=np.float32), 6)
    assert short == [0.5, 0.5, 1.0, 1.0, 0.25, 0.25]
    with pytest.raises(ValueError):
        peaks(np.zeros((10, 2)), 0)


def test_accumulator_matches_peaks_when_buckets_align() -> None:
    rng = np.random.default_rng(2)
    pcm = (rng.normal(0, 0.2, (441 * 2000, 2)) * np.linspace(0, 1, 441 * 2000)[:, None]).astype(
        np.float32
    )
    acc = PeakAccumulator(hop=441)
    for start in range(0, len(pcm), 11_025):  # block edges do not fall on hop edges
        acc.add(pcm[start : start + 11_025])
    assert acc.frames == len(pcm)
    assert acc.result(1000) == peaks(pcm, 1000)


def test_accumulator_close_to_peaks_otherwise() -> None:
    rng = np.random.default_rng(3)
    pcm = rng.uniform(-1, 1, (123_457, 2)).astype(np.float32) * np.hanning(123_457)[:, None]
    acc = PeakAccumulator()
    for start in range(0, len(pcm), 7000):
        acc.add(pcm[start : start + 7000])
    assert np.abs(np.array(acc.result(300)) - np.array(peaks(pcm, 300))).max() < 0.05
