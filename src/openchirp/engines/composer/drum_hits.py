"""Drum hits mixed from a cache instead of played voice by voice through the synth.

A cymbal rings for seconds, so a busy groove keeps dozens of drum voices alive in the synth,
where they cost more than the whole band. But a drum hit is a one-shot: with the channel set up
the same way, a (key, MIDI velocity, ring length) always sounds the same, and the velocity
within one MIDI step is only a gain. So each distinct hit is rendered once through the synth (on
the channel it plays on, from a silent synth), kept per process, and mixed in with numpy at its
sample, scaled to its velocity.

What the synth does to overlapping hits is reproduced: a note-off releases the oldest sounding
hit of that key on that channel; a channel cut (``parts.SILENCE``) and a hit of the same
exclusive class (open/closed hi-hat) end a hit with the synth's 10 ms fast release. Which keys
silence which is measured on the SoundFont itself, since the binding does not expose it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import tinysoundfont._tinysoundfont as tsf

from openchirp.engines.composer.arrangement import EventList

_PIECE = 4096
_MAX_S = 12.0
"""Longest a cached hit may ring (a crash with its release lasts about 7.6 s)."""
_QUIET = 1e-6
"""Trailing samples below this (-120 dBFS) are dropped from a cached hit."""
_FAST_RELEASE_S = 0.01
"""tsf's fast release (TSF_FASTRELEASETIME) and its -9.226 natural-log drop over it."""
_CACHE_BYTES = 96 << 20

_lock = threading.Lock()
_wave_cache: dict[tuple, np.ndarray] = {}
_wave_bytes = 0
_kill_cache: dict[tuple, bool] = {}


def _pcm(sf: tsf.SoundFont, n: int) -> np.ndarray:
    out = np.empty((n, 2), np.float32)
    sf.render(memoryview(out).cast("B"), False)
    return out


def _silence(sf: tsf.SoundFont, channel: int) -> None:
    """Quick-release whatever still sounds on ``channel`` and render it away."""
    sf.channel_sounds_off(channel)
    _pcm(sf, 1024)


def _channel_id(sf: tsf.SoundFont, channel: int) -> tuple:
    """What makes a hit on this channel sound as it does."""
    return (
        channel,
        sf.channel_get_preset_index(channel),
        round(sf.channel_get_volume(channel), 6),
        round(sf.channel_get_pan(channel), 6),
    )


def _render_hit(
    sf: tsf.SoundFont, sr: int, channel: int, key: int, midi_vel: int, ring: int
) -> np.ndarray:
    """One hit at MIDI velocity ``midi_vel``, released after ``ring`` samples (never when
    negative), rendered from a silent synth until it falls silent."""
    sf.channel_note_on(channel, key, (midi_vel + 0.5) / 127)
    pieces = []
    if ring >= 0:
        pieces.append(_pcm(sf, ring))
        sf.channel_note_off(channel, key)
    total = ring if ring > 0 else 0
    while total < _MAX_S * sr:
        p = _pcm(sf, _PIECE)
        pieces.append(p)
        total += _PIECE
        if not p.any():
            break
    _silence(sf, channel)
    wave = np.concatenate(pieces) if pieces else np.zeros((0, 2), np.float32)
    loud = np.flatnonzero(np.abs(wave.ravel()) > _QUIET)
    return wave[: loud[-1] // 2 + 1 if len(loud) else 0].copy()


def _kills_probe(sf: tsf.SoundFont, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Does a hit of ``b`` (channel, key) cut a sounding hit of ``a`` short (exclusive class)?
    Compares a, then b 2048 samples later, with the two rendered apart."""
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


@dataclass
class _Hit:
    order: int  # index of its note-on in the event list
    start: int
    channel: int
    key: int
    velocity: float
    ring: int = -1  # samples until its note-off; -1: none
    choke: int = -1  # absolute sample where a fast release cuts it; -1: never
    gain: float = 0.0
    wave: np.ndarray | None = None
    end: int = 0


class DrumBus:
    """The hits of ``events`` on ``channels``, mixed block after block from the cache."""

    def __init__(self, sf: tsf.SoundFont, events: EventList, channels: tuple[int, ...], sr: int):
        n = int(_FAST_RELEASE_S * sr)
        self.release = np.exp(-9.226 / n * np.arange(n, dtype=np.float64)).astype(np.float32)
        sel = np.nonzero(np.isin(events.channel, channels))[0]
        self.hits = _pair(events, sel)
        self._load(sf, sr)
        self._cut(events, sel, sr)
        self.hits.sort(key=lambda h: h.start)
        self.next = 0
        self.active: list[_Hit] = []
        self.scratch = np.empty((0, 2), np.float32)

    def _load(self, sf: tsf.SoundFont, sr: int) -> None:
        """Each hit's wave (cached) and gain; which hits silence which."""
        ids = {ch: _channel_id(sf, ch) for ch in {h.channel for h in self.hits}}
        for h in self.hits:
            mv = min(127, int(h.velocity * 127))
            h.wave = _wave(sf, sr, ids[h.channel], h.key, mv, h.ring)
            h.gain = h.velocity / ((mv + 0.5) / 127)
            h.end = h.start + len(h.wave)
        pairs = {(h.channel, h.key) for h in self.hits}
        self.kills = {(a, b): _kills(sf, sr, ids, a, b) for a in pairs for b in pairs}

    def _cut(self, events: EventList, sel: np.ndarray, sr: int) -> None:
        """Where channel cuts and exclusive classes end each hit (in event order, as played)."""
        by_order = {h.order: h for h in self.hits}
        sounding: list[_Hit] = []
        for j in sel.tolist():
            s = int(events.sample[j])
            sounding = [h for h in sounding if h.end > s and h.choke < 0]
            ch = int(events.channel[j])
            if events.on[j]:
                new = (ch, int(events.key[j]))
                for h in sounding:
                    if self.kills[(h.channel, h.key), new]:
                        h.choke = s
                sounding.append(by_order[j])
            elif events.key[j] < 0:
                for h in sounding:
                    if h.channel == ch:
                        h.choke = s
        for h in self.hits:
            if h.choke >= 0:
                h.end = min(h.end, h.choke + len(self.release))

    def skip_to(self, start: int) -> None:
        """Play from ``start`` on: hits that ended before it are dropped."""
        while self.next < len(self.hits) and self.hits[self.next].start < start:
            if self.hits[self.next].end > start:
                self.active.append(self.hits[self.next])
            self.next += 1

    def mix_into(self, out: np.ndarray, a: int) -> None:
        """Add the hits sounding in samples [a, a + len(out)) to ``out``."""
        b = a + len(out)
        while self.next < len(self.hits) and self.hits[self.next].start < b:
            self.active.append(self.hits[self.next])
            self.next += 1
        keep = []
        for h in self.active:
            lo, hi = max(h.start, a), min(h.end, b)
            if hi > lo:
                self._add(out, a, h, lo, hi)
            if h.end > b:
                keep.append(h)
        self.active = keep

    def _add(self, out: np.ndarray, a: int, h: _Hit, lo: int, hi: int) -> None:
        assert h.wave is not None
        if len(self.scratch) < hi - lo:  # products go to one reused buffer: no big temporaries
            self.scratch = np.empty((len(out), 2), np.float32)
        cut = hi if h.choke < 0 else min(max(h.choke, lo), hi)
        if cut > lo:
            tmp = self.scratch[: cut - lo]
            np.multiply(h.wave[lo - h.start : cut - h.start], np.float32(h.gain), out=tmp)
            out[lo - a : cut - a] += tmp
        if hi > cut:
            tmp = self.scratch[: hi - cut]
            fade = self.release[cut - h.choke : hi - h.choke, None] * np.float32(h.gain)
            np.multiply(h.wave[cut - h.start : hi - h.start], fade, out=tmp)
            out[cut - a : hi - a] += tmp


def _pair(events: EventList, sel: np.ndarray) -> list[_Hit]:
    """Hits in event order, each with its ring: a note-off ends the oldest sounding hit of its
    key on its channel, as the synth does."""
    hits: list[_Hit] = []
    open_: dict[tuple[int, int], list[_Hit]] = defaultdict(list)
    for j in sel.tolist():
        ch, key, s = int(events.channel[j]), int(events.key[j]), int(events.sample[j])
        if key < 0:
            continue
        if events.on[j]:
            h = _Hit(j, s, ch, key, float(events.velocity[j]))
            hits.append(h)
            open_[ch, key].append(h)
        elif open_[ch, key]:
            h = open_[ch, key].pop(0)
            h.ring = s - h.start
    return hits


def _wave(
    sf: tsf.SoundFont, sr: int, channel_id: tuple, key: int, midi_vel: int, ring: int
) -> np.ndarray:
    global _wave_bytes
    k = (channel_id, key, midi_vel, ring, sr)
    with _lock:
        w = _wave_cache.get(k)
    if w is None:
        w = _render_hit(sf, sr, channel_id[0], key, midi_vel, ring)
        w.flags.writeable = False
        with _lock:
            if _wave_bytes + w.nbytes > _CACHE_BYTES:  # crude, and never reached by one song
                _wave_cache.clear()
                _wave_bytes = 0
            _wave_cache[k] = w
            _wave_bytes += w.nbytes
    return w


def _kills(
    sf: tsf.SoundFont, sr: int, ids: dict[int, tuple], a: tuple[int, int], b: tuple[int, int]
) -> bool:
    k = (ids[a[0]], a[1], ids[b[0]], b[1], sr)
    with _lock:
        v = _kill_cache.get(k)
    if v is None:
        v = _kills_probe(sf, a, b)
        with _lock:
            _kill_cache[k] = v
    return v
