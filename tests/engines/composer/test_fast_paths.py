"""The engine's shortcuts sound like the long way round: cached notes like the synth's voices,
the block-wise resonator like the per-sample recursion, the limiter's bookkeeping like one pass."""

from __future__ import annotations

import numpy as np

from openchirp.engines.base import PlanRequest
from openchirp.engines.composer.arrangement import song_events
from openchirp.engines.composer.compose import compose
from openchirp.engines.composer.mix import fft_size
from openchirp.engines.composer.soundfont import (
    Player,
    bundled_soundfont,
    clear,
    find_soundfont,
    loaded,
    setup_channels,
)
from openchirp.engines.composer.voice_dsp import BLOCK, _carry, tv_resonator

SR = 44_100


def _snr_db(ref: np.ndarray, x: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    err = ref - x.astype(np.float64)
    return float(10 * np.log10(np.sum(ref * ref) / max(float(np.sum(err * err)), 1e-30)))


def test_cached_notes_sound_like_the_synth() -> None:
    song = compose(PlanRequest("Stars above\nShine on me", "heavy metal", seed=3))
    events = song_events(song, SR)
    n = 8 * SR
    with loaded(bundled_soundfont(), SR) as sf:
        outs = []
        for cache_s in (0.0, 60.0):
            clear(sf)
            setup_channels(sf, song.style, None)
            player = Player(sf, events, 0, SR, cache_s)
            outs.append(np.concatenate([player.render(SR) for _ in range(n // SR)]))
        assert player.cached is not None and not player.cached.synth.all()  # some are cached
    synth, cached = outs
    assert np.abs(synth).max() > 0.01
    assert _snr_db(synth, cached) > 35.0


def test_velocity_layers_are_one_wave_scaled() -> None:
    """Velocities that select the same regions share a wave (the loudest, scaled), and a note
    at any of them sounds as the synth plays it; velocities of other layers keep their own."""
    from openchirp.engines.composer import note_cache

    with loaded(find_soundfont(None), SR) as sf:  # FluidR3's piano has velocity layers
        clear(sf)
        sf.channel_set_preset_number(0, 0, False)
        n = 50_000
        for key in (48, 60, 72):
            vels = [(mv + 0.5) / 127 for mv in (30, 31, 64, 90, 91, 120, 127)]
            ev = note_cache.EventList(
                sample=np.array([0, 20_000] * len(vels)),
                on=np.array([True, False] * len(vels)),
                channel=np.zeros(2 * len(vels), np.int64),
                key=np.full(2 * len(vels), key),
                velocity=np.repeat(np.array(vels, np.float32), 2),
            )
            notes = note_cache._pair(ev)
            ids = {0: ("test", *note_cache._channel_id(sf, 0))}
            layer = note_cache._layers(sf, SR, ids, notes)
            assert set(layer.tolist()) <= set(notes.midi_velocity.tolist())
            assert len(set(layer.tolist())) < len(vels)  # some share a wave
            for mv, v, lay in zip(notes.midi_velocity, notes.velocity, layer, strict=True):
                own = note_cache._render_note(sf, SR, 0, key, int(mv), 20_000)[:n]
                wave = note_cache._render_note(sf, SR, 0, key, int(lay), 20_000)[:n]
                scaled = wave * np.float32(v / ((lay + 0.5) / 127))
                m = min(len(own), len(scaled))
                assert _snr_db(own[:m], scaled[:m]) > 90.0


def test_block_resonator_matches_the_recursion() -> None:
    sr = 22_050.0
    rng = np.random.default_rng(4)
    x = rng.standard_normal(5000).astype(np.float32)
    m = -(-len(x) // BLOCK)
    freq = 500 + 300 * np.sin(np.arange(m) / 9.0)
    bw = np.where(np.arange(m) % 5 == 0, 250.0, 90.0)
    y = tv_resonator(x, freq, bw, sr)
    # reference: y[n] = Im(w[n]) * gain, w[n] = p w[n-1] + x[n], per sample in float64
    th = np.repeat(2 * np.pi * freq / sr, BLOCK)[: len(x)]
    r = np.repeat(np.exp(-np.pi * bw / sr), BLOCK)[: len(x)]
    p = r * np.exp(1j * th)
    gain = (1 - 2 * r * np.cos(th) + r * r) / (r * np.sin(th))
    w, ref = 0j, np.empty(len(x))
    for i in range(len(x)):
        w = p[i] * w + x[i]
        ref[i] = w.imag * gain[i]
    assert len(y) == len(x)
    assert _snr_db(ref, y) > 100.0


def test_block_carries_match_step_by_step() -> None:
    rng = np.random.default_rng(5)
    for lo, hi in ((0.3, 5.7), (30.0, 60.0), (200.0, 400.0)):
        a = np.exp(-rng.uniform(lo, hi, 300) + 1j * rng.uniform(0, 3, 300))
        w = rng.standard_normal(300) + 1j * rng.standard_normal(300)
        ref, state = [], 0j
        for ab, wb in zip(a, w, strict=True):
            ref.append(state)
            state = wb + ab * state
        assert np.allclose(_carry(a, w), ref, rtol=1e-9, atol=1e-12)
    assert len(_carry(np.zeros(0, complex), np.zeros(0, complex))) == 0


def test_fft_sizes_cover_and_stay_close() -> None:
    for n in (1, 100, 8192 + 52_919, 131_072 + 48_686, 131_072 + 61_739):
        size = fft_size(n)
        assert n <= size <= max(2, 1.34 * n)
