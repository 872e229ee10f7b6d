"""The engine's shortcuts sound like the long way round: cached notes like the synth's voices,
the compiled filters like the recursions written out in Python (or scipy's), the limiter's
bookkeeping like one pass."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from openchirp.engines.base import PlanRequest
from openchirp.engines.composer import note_cache
from openchirp.engines.composer.arrangement import song_events
from openchirp.engines.composer.compose import compose
from openchirp.engines.composer.events import EventList
from openchirp.engines.composer.kernels import glottal_source, peaks
from openchirp.engines.composer.mix import EQ, _biquad, fft_size
from openchirp.engines.composer.song import Song
from openchirp.engines.composer.soundfont import (
    Player,
    bundled_soundfont,
    clear,
    find_soundfont,
    loaded,
    setup_channels,
)
from openchirp.engines.composer.voice.dsp import (
    BLOCK,
    glottal_sos,
    resonator_sos,
    sinc_taps,
    tract,
)

SR = 44_100


def _snr_db(ref: np.ndarray, x: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    err = ref - x.astype(np.float64)
    return float(10 * np.log10(np.sum(ref * ref) / max(float(np.sum(err * err)), 1e-30)))


def _through_both(
    song: Song, events: EventList, seconds: int
) -> tuple[np.ndarray, np.ndarray, Player]:
    """The events played by the synth alone, then with the note cache: (synth, cached, the
    cached player)."""
    with loaded(bundled_soundfont(), SR) as sf:
        outs = []
        for cache_s in (0.0, 60.0):
            clear(sf)
            setup_channels(sf, song.style, None)
            player = Player(sf, events, 0, SR, cache_s)
            outs.append(np.concatenate([player.render(SR) for _ in range(seconds)]))
    return outs[0], outs[1], player


def test_cached_notes_sound_like_the_synth() -> None:
    song = compose(PlanRequest("Stars above\nShine on me", "heavy metal", seed=3))
    synth, cached, player = _through_both(song, song_events(song, SR), 8)
    assert player.cached is not None and not player.cached.synth.all()  # some are cached
    assert np.abs(synth).max() > 0.01
    assert _snr_db(synth, cached) > 35.0


def test_hi_hats_cut_each_other_from_the_cache_as_in_the_synth() -> None:
    """Closed, pedal and open hi-hat are an exclusive class (a note cuts the others): cached,
    each is cut at the next one's note-on, and they sound as the synth plays them; so does a
    class spread over two drum channels that share the drum kit."""
    song = compose(PlanRequest("Stars above", "synthwave, moody", seed=2))
    step = SR // 8
    pattern = [(9, 46), (9, 42), (10, 42), (9, 44), (9, 46), (10, 46), (9, 42), (9, 36)]
    rows = []  # (sample, on, channel, key, velocity): every note held half a step
    for i, (ch, key) in enumerate(pattern * 6):
        rows += [(i * step, True, ch, key, 0.8), (i * step + step // 2, False, ch, key, 0.0)]
    rows.sort(key=lambda r: r[0])
    cols = list(zip(*rows, strict=True))
    events = EventList(
        sample=np.array(cols[0]),
        on=np.array(cols[1]),
        channel=np.array(cols[2]),
        key=np.array(cols[3]),
        velocity=np.array(cols[4], np.float32),
    )
    synth, cached, player = _through_both(song, events, 7)
    assert player.cached is not None and not player.cached.synth.any()  # all cached
    assert sum(m.choke >= 0 for m in player.cached.notes) >= 12  # open hats cut short
    assert np.abs(synth).max() > 0.01
    assert _snr_db(synth, cached) > 50.0


def test_exclusive_classes_are_cached_whole_and_cut_by_the_next_note() -> None:
    from openchirp.engines.composer.note_cache import _class_cuts, _Notes, _whole_classes

    closed, pedal, open_, kick = (9, 42), (9, 44), (9, 46), (9, 36)
    order = [closed, kick, open_, closed, pedal, kick, open_]
    start = np.array([0, 0, 10, 20, 20, 30, 40])
    cols = {f: np.zeros(len(order), np.int64) for f in _Notes.__dataclass_fields__}
    cols.update(
        on=np.arange(len(order)),
        start=start,
        channel=np.array([c for c, _ in order]),
        key=np.array([k for _, k in order]),
    )
    notes = _Notes(**cols)
    hats = {closed, pedal, open_}
    killers = {a: hats for a in hats}
    assert _class_cuts(notes, killers).tolist() == [10, -1, 20, 20, 40, -1, -1]
    assert _class_cuts(notes, {}).tolist() == [-1] * len(order)
    all_but_one = np.array([True, True, True, True, False, True, True])
    whole = _whole_classes(notes, all_but_one, killers)
    assert whole.tolist() == [False, True, False, False, False, True, False]
    assert _whole_classes(notes, np.ones(len(order), bool), killers).all()


def test_velocity_layers_are_one_wave_scaled() -> None:
    """Velocities that select the same regions share a wave (the loudest, scaled), and a note
    at any of them sounds as the synth plays it; velocities of other layers keep their own."""

    with loaded(find_soundfont(None), SR) as sf:  # FluidR3's piano has velocity layers
        clear(sf)
        sf.channel_set_preset_number(0, 0, False)
        n = 50_000
        for key in (48, 60, 72):
            vels = [(mv + 0.5) / 127 for mv in (30, 31, 64, 90, 91, 120, 127)]
            ev = EventList(
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


def test_compiled_vocal_tract_matches_the_recursion() -> None:
    """The voice's compiled filter chain against the same recursions written out sample by
    sample in Python: a glottal biquad, three moving resonators, two fixed biquads."""
    sr = 22_050.0
    rng = np.random.default_rng(4)
    n = 5000
    pulses, noise = rng.standard_normal(n), 0.1 * rng.standard_normal(n).astype(np.float32)
    m = -(-n // BLOCK)
    stages = [
        (500 + 300 * np.sin(np.arange(m) / 9.0), np.where(np.arange(m) % 5 == 0, 250.0, 90.0)),
        (1500 + 400 * np.cos(np.arange(m) / 7.0), np.full(m, 120.0)),
        (np.linspace(2400, 2800, m), np.full(m, 180.0)),
    ]
    source = glottal_sos(sr)
    fixed = np.stack([resonator_sos(3500, 250, sr), resonator_sos(4500, 300, sr)])
    y = tract(pulses, noise, source, stages, sr, fixed)

    def biquad(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
        b0, b1, b2, _, a1, a2 = sos
        out, z0, z1 = np.empty(len(x)), 0.0, 0.0
        for i, v in enumerate(x):
            out[i] = b0 * v + z0
            z0, z1 = b1 * v - a1 * out[i] + z1, b2 * v - a2 * out[i]
        return out

    # y[n] = Im(w[n]) * gain, w[n] = p w[n-1] + x[n], per sample in float64
    ref = biquad(source[0], pulses) + noise
    for freq, bw in stages:
        th = np.repeat(2 * np.pi * freq / sr, BLOCK)[:n]
        r = np.repeat(np.exp(-np.pi * bw / sr), BLOCK)[:n]
        p = r * np.exp(1j * th)
        gain = (1 - 2 * r * np.cos(th) + r * r) / (r * np.sin(th))
        w, out = 0j, np.empty(n)
        for i in range(n):
            w = p[i] * w + ref[i]
            out[i] = w.imag * gain[i]
        ref = out
    ref = biquad(fixed[1], biquad(fixed[0], ref))
    assert y.dtype == np.float32 and len(y) == n
    assert _snr_db(ref, y) > 100.0
    with pytest.raises(ValueError):
        tract(pulses, noise, source, stages[:2], sr, fixed)


def test_compiled_glottal_source_matches_numpy() -> None:
    """The voice's compiled excitation against the same written with numpy: tracks
    interpolated per sample, a band-limited pulse at each cycle's fractional start, and
    aspiration plus breath noise."""
    sr, n = 22_050.0, 30_000
    rng = np.random.default_rng(8)
    tc = (np.arange(-(-n // BLOCK)) + 0.5) * BLOCK / sr
    f0_c = 180 + 60 * np.sin(tc * 7) + 10 * np.sin(tc * 40)
    av_t, ah_t = np.sort(rng.uniform(0, n / sr, 40)), np.sort(rng.uniform(0, n / sr, 30))
    av_v, ah_v = rng.uniform(0, 1, 40), rng.uniform(0, 1, 30)
    noise = rng.standard_normal(n).astype(np.float32)
    taps = sinc_taps()
    pulses, asp = glottal_source(n, 0.0, sr, tc, f0_c, av_t, av_v, ah_t, ah_v, taps, noise, 0.15)

    ts = np.arange(n) / sr
    f0, av, ah = np.interp(ts, tc, f0_c), np.interp(ts, av_t, av_v), np.interp(ts, ah_t, ah_v)
    phase = np.cumsum(f0 / sr)
    cyc = np.floor(phase)
    k = np.nonzero(np.diff(cyc))[0]  # a cycle starts between samples k and k + 1
    pos = k + 1 - (phase[k + 1] - cyc[k + 1]) / (phase[k + 1] - phase[k])
    base = np.floor(pos).astype(np.int64)
    sub = np.minimum((pos - base) * len(taps), len(taps) - 1).astype(np.int64)
    gain = av[k] / np.sqrt(np.maximum(f0[k], 40.0) / 100.0)
    idx = base[:, None] + np.arange(8)[None, :] + 1
    ref = np.bincount(idx.ravel(), (taps[sub] * gain[:, None]).ravel(), n + 8)[4 : 4 + n]
    breath = 0.15 * av * (0.55 + 0.45 * np.cos(2 * np.pi * (phase - cyc)))
    assert len(k) > 100
    assert _snr_db(ref, pulses) > 100.0
    assert _snr_db(noise * (0.3 * ah + 0.12 * breath), asp) > 80.0


def test_compiled_biquads_match_scipy_across_calls() -> None:
    """The EQs' compiled filter is scipy's sosfilt, state carried from block to block, for
    mono and stereo, float32 and float64, into a channel-major buffer too."""
    rng = np.random.default_rng(6)
    sos = np.array(
        [
            _biquad("hp", 32.0, SR),
            _biquad("highshelf", 6000.0, SR, 4.0),
            _biquad("peak", 900.0, SR, -3.0, 1.2),
        ]
    )
    for channels, dtype, sections in ((2, np.float32, 2), (1, np.float64, 3), (2, np.float64, 1)):
        x = rng.standard_normal((20_000, channels)).astype(dtype)
        ref = signal.sosfilt(sos[:sections], x, axis=0)
        eq = EQ(sos[:sections], channels)
        parts = []
        for a, b in ((0, 7), (7, 12_345), (12_345, 20_000)):  # any cut gives the same output
            out = np.empty((channels, b - a), dtype)
            parts.append(eq(x[a:b], out=out.T))
        y = np.concatenate(parts)
        assert y.dtype == dtype
        assert _snr_db(ref, y) > (130.0 if dtype == np.float64 else 120.0)
    with pytest.raises(ValueError):
        EQ(np.concatenate([sos, sos]), 2)(np.zeros((4, 2)))


def test_compiled_limiter_peaks_match_numpy() -> None:
    """The limiter's compiled peak (channels' maximum, with half-sample points) against numpy
    written plainly."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((2, 30_000)) * np.linspace(0.2, 1.6, 30_000)).astype(np.float32)
    ref = np.abs(x).max(axis=0)
    mid = np.abs(9 * (x[:, 1:-2] + x[:, 2:-1]) - x[:, :-3] - x[:, 3:]).max(axis=0) / 16
    ref[1:-2] = np.maximum(ref[1:-2], mid)
    ref[2:-1] = np.maximum(ref[2:-1], mid)
    peak = peaks(x)
    assert peak.dtype == np.float32 and len(peak) == x.shape[1]
    assert np.allclose(peak, ref, rtol=1e-6)
    assert peaks(x[:, :2]).tolist() == np.abs(x[:, :2]).max(axis=0).tolist()


def test_warm_up_compiles_what_a_render_uses() -> None:
    """Every compiled loop a sung clip calls (calibration and render) was compiled, or loaded,
    by the engine's warm-up, so no clip pays for it: a clip adds no type specialisation."""
    from openchirp.engines.composer import kernels
    from openchirp.engines.composer.engine import ComposerEngine

    engine = ComposerEngine(bundled_soundfont())  # warms up
    loops = [kernels._sos3, kernels.vocal_tract, kernels.glottal_source, kernels.peaks]
    before = [set(f.signatures) for f in loops]
    render = engine.plan(PlanRequest("Stars above\nShine on me", "heavy metal", seed=1))
    assert render.has_vocal
    for block in render.blocks():
        assert len(block.mix)
    for f, known in zip(loops, before, strict=True):
        assert set(f.signatures) == known, f.__name__


def test_fft_sizes_cover_and_stay_close() -> None:
    for n in (1, 100, 8192 + 52_919, 131_072 + 48_686, 131_072 + 61_739):
        size = fft_size(n)
        assert n <= size <= max(2, 1.34 * n)
