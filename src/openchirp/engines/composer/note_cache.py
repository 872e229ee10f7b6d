"""Notes mixed from a cache instead of played voice by voice through the synth.

Synth voices are most of a song's render time: cymbals ring for seconds, guitars chug the same
chord all chorus. But a note is a one-shot: with its channel set up the same way, a (key, MIDI
velocity, held length) always sounds the same, and the velocity within one MIDI step is only a
gain. Across steps too, as long as the velocities pick the same regions of the preset and
release alike: velocities of a key are compared on a short excerpt (:func:`_layers`) and those
that match share one wave. So the notes that recur in a song (drum hits above all) are rendered
once through the synth (from a silent synth, on their own channel), kept in a per-process
cache, and mixed in with numpy at their sample, scaled to their velocity; the synth plays only
the rest. The most frequent are cached first, within a budget of wave seconds that bounds
the work done before the first block (the synth cannot render a note apart once the song is
playing).

What the synth does to overlapping notes is reproduced: a note-off releases the oldest sounding
note of its key on its channel (notes of one key never overlap before their release, see
``arrangement.to_samples``), and a channel cut (``events.SILENCE``) ends a note with the synth's
10 ms fast release, step for step. So does an exclusive class (closed, pedal and open hi-hat: a
note cuts the others sounding, on every channel that plays the same preset): which keys cut
which is measured on the SoundFont, since the binding does not expose it, and a class is cached
whole or left to the synth whole. Each channel renders as through the synth to 45-100 dB SNR.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import tinysoundfont._tinysoundfont as tsf
from scipy.linalg import blas

from openchirp.engines.composer.events import EventList

_PIECE = 4096
_MAX_S = 12.0
"""Longest a cached note may sound (a crash with its release lasts about 7.6 s)."""
_MAX_HELD_S = 8.0
"""Pitched notes held longer are left to the synth: they seldom recur and cost memory (a pad's
chord held a bar or two recurs often, and costs the synth more than anything else)."""
_QUIET = 1e-6
"""Trailing samples below this (-120 dBFS) are dropped from a cached note."""
_FAST_RELEASE_S = 0.01
"""tsf's fast release (TSF_FASTRELEASETIME): a -9.226 natural-log drop over it."""
_ENVELOPE_BLOCK = 64
"""tsf updates envelopes once per 64 samples (TSF_RENDER_EFFECTSAMPLEBLOCK)."""
_EXCERPT = 4096
"""Samples of a note (half of them held, half released) compared to tell its velocity layers
apart."""
_CACHE_BYTES = 64 << 20
"""Cached waves kept per process (least recently used go first): about one song's worth at
the renderer's budget of wave seconds (150 s of stereo float32 is ~53 MB)."""

_lock = threading.Lock()
_wave_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_wave_bytes = 0
_kill_cache: dict[tuple, bool] = {}
_layer_cache: dict[tuple, bool] = {}


def clear() -> None:
    """Empty this process's caches of note waves and of what was measured on the SoundFonts."""
    global _wave_bytes
    with _lock:
        _wave_cache.clear()
        _wave_bytes = 0
        _kill_cache.clear()
        _layer_cache.clear()


@dataclass
class _Note:
    start: int
    end: int  # where its sound ends (after a cut, if any)
    choke: int  # absolute sample where a fast release cuts it; -1: never
    gain: float
    wave: np.ndarray
    channel: int


@dataclass
class _Notes:
    """Every note of an event list (in note-on order), as columns."""

    on: np.ndarray  # index of the note-on event
    off: np.ndarray  # index of its note-off event; -1: none
    start: np.ndarray
    channel: np.ndarray
    key: np.ndarray
    velocity: np.ndarray
    midi_velocity: np.ndarray  # as tsf computes it: (short)(vel * 127) in float32
    held: np.ndarray  # samples until its note-off; -1: none
    layer: np.ndarray  # the MIDI velocity its wave is rendered at (see _layers)

    def __getitem__(self, sel: np.ndarray) -> _Notes:
        return _Notes(*(getattr(self, f)[sel] for f in self.__dataclass_fields__))


class CachedNotes:
    """The cached notes of ``events``, mixed block after block; ``synth`` masks the events the
    synth must still play. Notes that recur are cached, most frequent first, until their waves
    add up to ``budget_s`` seconds: they are rendered before the first block, so the budget
    bounds that delay (and the memory). Mixing starts at sample ``start``."""

    def __init__(
        self,
        sf: tsf.SoundFont,
        events: EventList,
        sr: int,
        start: int = 0,
        budget_s: float = 0.0,
        font: str = "",
    ) -> None:
        self.release = _fast_release(sr)
        font = font or f"synth {id(sf)}"  # the process-wide caches must tell fonts apart
        self.ids = {ch: (font, *_channel_id(sf, ch)) for ch in set(events.channel.tolist())}
        notes = _pair(events)
        notes.layer = _layers(sf, sr, self.ids, notes)
        notes.held = _snapped(notes)
        pairs = set(zip(notes.channel.tolist(), notes.key.tolist(), strict=True))
        # exclusive classes (hi-hats): which (channel, key) cut which; tsf cuts across
        # channels that share a preset, so drum channels are probed against each other
        classed = {k for k in pairs if _probe(sf, sr, self.ids, k, k)}
        killers = {a: {b for b in classed if _probe(sf, sr, self.ids, a, b)} for a in classed}
        group, ranked = _groups(notes, sr)
        waves = self._pick(sf, sr, notes, group, ranked, budget_s * sr)
        cached = _whole_classes(notes, np.isin(group, list(waves)), killers)
        chosen, group = notes[cached], group[cached]
        self.synth = np.ones(len(events), bool)
        self.synth[chosen.on] = False
        self.synth[chosen.off[chosen.off >= 0]] = False
        cut = _earliest(_cuts(chosen, events), _class_cuts(chosen, killers))
        near = chosen.start >= start - int(_MAX_S * sr)  # the rest has died away by start
        chosen, group, cut = chosen[near], group[near], cut[near]
        self.notes = self._load(chosen, [waves[g] for g in group.tolist()], cut)
        self.next = 0
        self.active: list[_Note] = []
        self.scratch = np.empty((0, 2), np.float32)
        self._skip_to(start)

    def _pick(
        self,
        sf: tsf.SoundFont,
        sr: int,
        notes: _Notes,
        group: np.ndarray,
        ranked: np.ndarray,
        budget: float,
    ) -> dict[int, np.ndarray]:
        """Waves of the ranked groups, in order, while their total length is within budget."""
        waves: dict[int, np.ndarray] = {}
        first = np.zeros(group.max(initial=-1) + 1, np.int64)  # a note of each group
        member = np.flatnonzero(group >= 0)
        first[group[member]] = member
        total = 0
        for g in ranked.tolist():
            i = int(first[g])
            what = (self.ids[int(notes.channel[i])], int(notes.key[i]))
            wave = _wave(sf, sr, *what, int(notes.layer[i]), int(notes.held[i]))
            total += len(wave)
            if total > budget:
                break
            if len(wave) < _MAX_S * sr - 2 * _PIECE:  # else it may still sound: the synth's
                waves[g] = wave
        return waves

    def _load(self, notes: _Notes, waves: list[np.ndarray], cut: np.ndarray) -> list[_Note]:
        """Each note with its wave and gain, by start; a cut ends a note still sounding."""
        out = []
        cols = (notes.start, notes.velocity, notes.layer, cut, notes.channel)
        rows = zip(*(c.tolist() for c in cols), waves, strict=True)
        for start, vel, mv, choke, ch, wave in rows:
            end = start + len(wave)
            if choke >= end:
                choke = -1
            elif choke >= 0:
                end = min(end, choke + len(self.release))
            out.append(_Note(start, end, choke, vel / ((mv + 0.5) / 127), wave, ch))
        out.sort(key=lambda m: m.start)
        return out

    def _skip_to(self, start: int) -> None:
        """Play from ``start`` on: notes that ended before it are dropped."""
        while self.next < len(self.notes) and self.notes[self.next].start < start:
            if self.notes[self.next].end > start:
                self.active.append(self.notes[self.next])
            self.next += 1

    def mix_into(
        self,
        out: np.ndarray,
        a: int,
        apart: np.ndarray | None = None,
        apart_channels: tuple[int, ...] = (),
    ) -> None:
        """Add the notes sounding in samples [a, a + len(out)) to ``out``; those on
        ``apart_channels`` to ``apart`` instead, when given (the drums, kept off a sidechain's
        ducking)."""
        b = a + len(out)
        notes = self.notes
        while self.next < len(notes) and notes[self.next].start < b:
            self.active.append(notes[self.next])
            self.next += 1
        if len(self.scratch) < len(out):  # products go to one reused buffer: no temporaries
            self.scratch = np.empty((len(out), 2), np.float32)
        assert out.flags.c_contiguous and out.dtype == np.float32  # axpy writes into it
        keep = []
        for m in self.active:
            lo, hi = max(m.start, a), min(m.end, b)
            if hi > lo:
                into = apart if apart is not None and m.channel in apart_channels else out
                self._add(into, a, m, lo, hi)
            if m.end > b:
                keep.append(m)
        self.active = keep

    def _add(self, out: np.ndarray, a: int, m: _Note, lo: int, hi: int) -> None:
        cut = hi if m.choke < 0 else min(max(m.choke, lo), hi)
        if cut > lo:  # out += gain * wave in one pass (BLAS axpy, in place on the view)
            wave = m.wave[lo - m.start : cut - m.start].reshape(-1)
            blas.saxpy(wave, out[lo - a : cut - a].reshape(-1), a=m.gain)
        if hi > cut:
            tmp = self.scratch[: hi - cut]
            fade = self.release[cut - m.choke : hi - m.choke, None] * np.float32(m.gain)
            np.multiply(m.wave[cut - m.start : hi - m.start], fade, out=tmp)
            out[cut - a : hi - a] += tmp


def _pair(events: EventList) -> _Notes:
    """Every note with its note-off: a note-off ends the oldest sounding note of its key on
    its channel, as the synth does, so the k-th off of a key pairs with its k-th on."""
    idx = np.flatnonzero(events.key >= 0)
    o = np.lexsort((idx, events.key[idx], events.channel[idx]))  # by (channel, key), in order
    idx = idx[o]
    ch, key, on = events.channel[idx], events.key[idx], events.on[idx]
    new_group = np.ones(len(idx), bool)
    new_group[1:] = (ch[1:] != ch[:-1]) | (key[1:] != key[:-1])
    group = np.cumsum(new_group) - 1
    firsts = np.flatnonzero(new_group)

    def rank(mask: np.ndarray) -> np.ndarray:  # k-th of its kind inside its group
        count = np.cumsum(mask) - mask
        return (count - count[firsts][group])[mask]

    big = len(idx) + 1
    on_id = group[on] * big + rank(on)
    off_id = group[~on] * big + rank(~on)
    at = np.minimum(np.searchsorted(off_id, on_id), max(len(off_id) - 1, 0))
    ons, offs = idx[on], idx[~on]
    off = np.full(len(ons), -1, np.int64)
    if len(offs):
        found = (off_id[at] == on_id) & (offs[at] > ons)
        off[found] = offs[at][found]
    order = np.argsort(ons, kind="stable")
    ons, off = ons[order], off[order]
    start = events.sample[ons]
    velocity = events.velocity[ons].astype(np.float32)
    midi_velocity = np.minimum(127, (velocity * np.float32(127)).astype(np.int64))
    return _Notes(
        on=ons,
        off=off,
        start=start,
        channel=events.channel[ons],
        key=events.key[ons],
        velocity=velocity,
        midi_velocity=midi_velocity,
        held=np.where(off >= 0, events.sample[np.maximum(off, 0)] - start, -1),
        layer=midi_velocity,
    )


def _layers(sf: tsf.SoundFont, sr: int, ids: dict[int, tuple], notes: _Notes) -> np.ndarray:
    """The MIDI velocity each note's wave is rendered at. tsf uses a note's velocity for two
    things only: which of the preset's regions sound (velocity layers) and a gain. So notes of
    one key whose velocities select the same regions are one wave at the loudest of them,
    scaled: the velocities used of each key are compared, loudest first, with the ones kept so
    far, on an excerpt of each rendered from a silent synth."""
    combos = np.stack([notes.channel, notes.key, notes.midi_velocity], axis=1)
    if not len(combos):
        return notes.midi_velocity.copy()
    uniq, inverse = np.unique(combos, axis=0, return_inverse=True)
    kept: dict[tuple[int, int], list[int]] = {}
    excerpts: dict[tuple, np.ndarray] = {}
    layer = uniq[:, 2].copy()
    for i in np.lexsort((-uniq[:, 2], uniq[:, 1], uniq[:, 0])).tolist():
        ch, key, mv = uniq[i].tolist()
        loud = kept.setdefault((ch, key), [])
        same = next((v for v in loud if _scaled(sf, sr, ids, excerpts, ch, key, v, mv)), None)
        if same is None:
            loud.append(mv)
        else:
            layer[i] = same
    return layer[inverse.ravel()]


def _snapped(notes: _Notes) -> np.ndarray:
    """Held lengths with pairs one sample apart made one (the more frequent of the two): beat
    times rounded to samples make a held length come out as n or n + 1 all over the song, and a
    release 23 us earlier or later is the same note (55-75 dB SNR per note)."""
    rows = np.stack([notes.channel, notes.key, notes.layer, notes.held], axis=1)
    if not len(rows):
        return notes.held
    uniq, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    held = uniq[:, 3].copy()
    near = np.all(uniq[1:, :3] == uniq[:-1, :3], axis=1) & (uniq[1:, 3] == uniq[:-1, 3] + 1)
    near &= uniq[:-1, 3] >= 0
    free = 0  # rows before this one are paired already
    for j in np.flatnonzero(near).tolist():
        if j >= free:
            held[j] = held[j + 1] = uniq[j if counts[j] >= counts[j + 1] else j + 1, 3]
            free = j + 2
    return held[inverse.ravel()]


def _scaled(
    sf: tsf.SoundFont,
    sr: int,
    ids: dict[int, tuple],
    excerpts: dict[tuple, np.ndarray],
    ch: int,
    key: int,
    a: int,
    b: int,
) -> bool:
    """Does velocity ``b`` of this key sound as velocity ``a`` times the ratio of the two?
    Cached per process (``excerpts``: the notes' first samples, per song)."""
    k = (ids[ch], key, a, b, sr)
    with _lock:
        v = _layer_cache.get(k)
    if v is None:
        for m in (a, b):
            if (ch, key, m) not in excerpts:  # from a silent synth, released half way:
                sf.channel_note_on(ch, key, (m + 0.5) / 127)  # some presets' releases differ
                held = _pcm(sf, _EXCERPT // 2)
                sf.channel_note_off(ch, key)
                released = _pcm(sf, _EXCERPT // 2)
                excerpts[ch, key, m] = np.concatenate([held, released]).astype(np.float64)
                _silence(sf, ch)
        x = excerpts[ch, key, a] * ((b + 0.5) / (a + 0.5))
        y = excerpts[ch, key, b]
        energy = float(np.sum(x * x))
        v = energy > 1e-12 and float(np.sum((y - x) ** 2)) <= 1e-9 * energy
        with _lock:
            _layer_cache[k] = v
    return v


def _groups(notes: _Notes, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Notes that sound alike: (group of each note, or -1 when it is not worth caching; the
    groups, most frequent first). Worth caching: recurring and released within _MAX_HELD_S."""
    rows = np.stack([notes.channel, notes.key, notes.layer, notes.held], axis=1)
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    uniq, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    held = uniq[:, 3]
    ok = (counts >= 2) & (held >= 0) & (held <= _MAX_HELD_S * sr)
    ranked = np.flatnonzero(ok)[np.argsort(-counts[ok], kind="stable")]
    return np.where(ok[inverse], inverse, -1), ranked


def _whole_classes(notes: _Notes, cached: np.ndarray, killers: dict) -> np.ndarray:
    """``cached`` with each exclusive class cached whole or not at all: a note the synth plays
    cannot cut a cached one, nor a cached note one the synth plays."""
    cached = cached.copy()
    pair = list(zip(notes.channel.tolist(), notes.key.tolist(), strict=True))
    left = set(killers)
    while left:  # one class: the pairs linked by cutting, either way
        members, todo = set(), [left.pop()]
        while todo:
            a = todo.pop()
            members.add(a)
            todo += [b for b in left if b in killers[a] or a in killers[b]]
            left -= set(todo)
        mask = np.array([p in members for p in pair], bool)
        if not cached[mask].all():
            cached[mask] = False
    return cached


def _class_cuts(notes: _Notes, killers: dict) -> np.ndarray:
    """For each note (in note-on order), the sample of the next note-on that cuts it through
    its exclusive class (-1: none)."""
    cut = np.full(len(notes.on), -1, np.int64)
    if not killers:
        return cut
    pair = list(zip(notes.channel.tolist(), notes.key.tolist(), strict=True))
    start = notes.start.tolist()
    following: dict[tuple[int, int], int] = {}  # pair -> start of its next note-on
    for i in range(len(pair) - 1, -1, -1):
        if pair[i] not in killers:
            continue
        later = [following[b] for b in killers[pair[i]] if b in following]
        if later:
            cut[i] = min(later)
        following[pair[i]] = start[i]
    return cut


def _earliest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise the earlier of two cut samples, where -1 means none."""
    big = np.iinfo(np.int64).max
    first = np.minimum(np.where(a < 0, big, a), np.where(b < 0, big, b))
    return np.where(first == big, -1, first)


def _cuts(notes: _Notes, events: EventList) -> np.ndarray:
    """For each note, the sample of the first channel cut on its channel after its note-on
    (-1: none). Whether it still sounds then is for the caller to see."""
    big = np.iinfo(np.int64).max
    cut = np.full(len(notes.on), big, np.int64)
    order = np.arange(len(events))
    for ch in np.unique(notes.channel).tolist():
        mask = (events.channel == ch) & (events.key < 0)
        idx, samples = order[mask], events.sample[mask]
        sel = np.flatnonzero(notes.channel == ch)
        i = np.searchsorted(idx, notes.on[sel], "right")
        hit = i < len(idx)
        cut[sel[hit]] = samples[i[hit]]
    return np.where(cut == big, -1, cut)


def _fast_release(sr: int) -> np.ndarray:
    """The gain of a note cut short, from the cut on: tsf's exponential fast release in steps
    of one envelope block (a cut starts a block), until the voice is freed."""
    n = int(_FAST_RELEASE_S * sr)
    steps = -(-n // _ENVELOPE_BLOCK)
    k = np.arange(steps * _ENVELOPE_BLOCK) // _ENVELOPE_BLOCK * _ENVELOPE_BLOCK
    return np.exp(-9.226 / n * k).astype(np.float32)


def _pcm(sf: tsf.SoundFont, n: int) -> np.ndarray:
    out = np.empty((n, 2), np.float32)
    sf.render(memoryview(out).cast("B"), False)
    return out


def _silence(sf: tsf.SoundFont, channel: int) -> None:
    """Quick-release whatever still sounds on ``channel`` and render it away."""
    sf.channel_sounds_off(channel)
    _pcm(sf, 1024)


def _channel_id(sf: tsf.SoundFont, channel: int) -> tuple:
    """What makes a note on this channel sound as it does (with the font: see CachedNotes)."""
    return (
        channel,
        sf.channel_get_preset_index(channel),
        round(sf.channel_get_volume(channel), 6),
        round(sf.channel_get_pan(channel), 6),
    )


def _render_note(
    sf: tsf.SoundFont, sr: int, channel: int, key: int, midi_vel: int, held: int
) -> np.ndarray:
    """One note at MIDI velocity ``midi_vel``, released after ``held`` samples (never when
    negative), rendered from a silent synth until it falls silent."""
    sf.channel_note_on(channel, key, (midi_vel + 0.5) / 127)
    pieces = []
    if held >= 0:
        pieces.append(_pcm(sf, held))
        sf.channel_note_off(channel, key)
    total = max(held, 0)
    while total < _MAX_S * sr:
        p = _pcm(sf, _PIECE)
        pieces.append(p)
        total += _PIECE
        if not p.any():
            break
    _silence(sf, channel)
    wave = np.concatenate(pieces) if pieces else np.zeros((0, 2), np.float32)
    # the voice has died by the last piece: look for the end of its sound near there only
    tail = 2 * _PIECE + 1
    loud = np.flatnonzero(np.abs(wave[-tail:].ravel()) > _QUIET)
    return wave[: max(len(wave) - tail, 0) + (loud[-1] // 2 + 1 if len(loud) else 0)]


def _wave(
    sf: tsf.SoundFont, sr: int, channel_id: tuple, key: int, midi_vel: int, held: int
) -> np.ndarray:
    """The note's wave from the cache (least recently used ones go first), rendered if new."""
    global _wave_bytes
    k = (channel_id, key, midi_vel, held, sr)
    with _lock:
        w = _wave_cache.get(k)
        if w is not None:
            _wave_cache.move_to_end(k)
            return w
    w = _render_note(sf, sr, channel_id[1], key, midi_vel, held)
    w.flags.writeable = False
    with _lock:
        _wave_cache[k] = w
        _wave_bytes += w.nbytes
        while _wave_bytes > _CACHE_BYTES and len(_wave_cache) > 1:
            _wave_bytes -= _wave_cache.popitem(last=False)[1].nbytes
    return w


def _probe(
    sf: tsf.SoundFont, sr: int, ids: dict[int, tuple], a: tuple[int, int], b: tuple[int, int]
) -> bool:
    """Does a note of ``b`` (channel, key) cut a sounding note of ``a`` short (an exclusive
    class)? Compares a, then b 2048 samples later, with the two rendered apart. Cached per
    process."""
    k = (ids[a[0]], a[1], ids[b[0]], b[1], sr)
    with _lock:
        v = _kill_cache.get(k)
    if v is None:
        v = _cuts_short(sf, a, b)
        with _lock:
            _kill_cache[k] = v
    return v


def _cuts_short(sf: tsf.SoundFont, a: tuple[int, int], b: tuple[int, int]) -> bool:
    half = 2048
    (ca, ka), (cb, kb) = a, b
    sf.channel_note_on(ca, ka, 0.8)
    alone = _pcm(sf, 2 * half)
    _silence(sf, ca)
    sf.channel_note_on(cb, kb, 0.8)
    other = _pcm(sf, half)
    _silence(sf, cb)
    sf.channel_note_on(ca, ka, 0.8)
    _pcm(sf, half)
    sf.channel_note_on(cb, kb, 0.8)
    both = _pcm(sf, half)
    _silence(sf, ca)
    _silence(sf, cb)
    skip = half // 4  # past the fast release
    ref = alone[half + skip :]
    diff = both[skip:] - other[skip:] - ref
    energy = float(np.sum(ref.astype(np.float64) ** 2))
    return energy > 1e-12 and float(np.sum(diff.astype(np.float64) ** 2)) > 0.5 * energy
