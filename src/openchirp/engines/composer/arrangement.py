"""Song -> the band's note events on the song timeline (samples), section by section.

Every bar draws its random choices from an RNG keyed by (section seed, variant, bar, part), so
any bar renders the same whether the song is played from the start, excerpted for loudness
calibration, or re-rendered by a continuation.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain

import numpy as np

from openchirp.engines.composer.drums import DRUM_CHANNELS, drum_bar, final_hit
from openchirp.engines.composer.events import EventList, NoteEvent
from openchirp.engines.composer.harmony import close_voicing, parse_chord
from openchirp.engines.composer.parts import (
    CHANNELS,
    bass_bar,
    comp_bar,
    lead_fill,
    pad_bar,
    solo_bar,
)
from openchirp.engines.composer.song import Section, Song

_PAD_LED = {
    "ambient",
    "orchestral",
    "cinematic",
    "ballad",
    "synthwave",
    "trance",
    "edm",
    "classical",
    "gospel",
    "dnb",
    "trap",
    "doom",
}
_SUSTAINED_KEYS = {19, 52, 53, 54, 91}
# Seconds a drum hit may sound (GM key -> ring): crash/china/ride long, hats and kicks short.
_DRUM_RING_S = {
    36: 0.3,
    38: 0.4,
    37: 0.25,
    39: 0.4,
    42: 0.15,
    44: 0.15,
    46: 0.45,
    49: 1.6,
    51: 0.7,
    52: 1.1,
    54: 0.3,
    56: 0.25,
    70: 0.12,
    50: 0.5,
    47: 0.5,
    45: 0.6,
    41: 0.7,
    81: 1.2,
}


_BRIDGE_COMP = {
    "strum": "arp",
    "block": "arp",
    "stab": "pad",
    "rhythm16": "pad",
    "arp": "pad",
    "pad": "arp",
    "power8": "pad",
}
"""A bridge changes how the chords are played (strummed verses, an arpeggiated bridge)."""
BAND_LEVEL_DB = {0: -4.5, 1: -2.5, 2: -0.5, 3: 0.0}
"""The band's level per section energy: the chorus is the loudest part, verses sit lower and
quiet sections lower still (the voice keeps its level, so it leads the verses)."""
_RAMP_S = 0.04


def band_level_db(section: Section) -> float:
    return BAND_LEVEL_DB[int(np.clip(section.energy, 0, 3))]


def band_gain(song: Song, a: int, n: int, sr: int) -> float | np.ndarray:
    """Gain of the band for samples [a, a + n) of the song's timeline: each section's level,
    changing over the last 40 ms before its downbeat. One number when it is constant there."""
    secs = song.sections
    if not secs:
        return 1.0
    starts = song.beat_times(np.array([s.start_bar * song.style.meter for s in secs], float))
    levels = np.array([band_level_db(s) for s in secs])
    t0, t1 = a / sr, (a + n) / sr
    i = max(0, int(np.searchsorted(starts, t0, side="right")) - 1)
    j = int(np.searchsorted(starts + 0.0, t1 + _RAMP_S, side="right"))
    if all(levels[k] == levels[i] for k in range(i, min(j, len(secs)))):
        return float(10 ** (levels[i] / 20))
    xs = np.repeat(starts, 2)
    xs[0::2] -= _RAMP_S
    ys = np.column_stack([np.concatenate([[levels[0]], levels[:-1]]), levels]).ravel()
    t = (a + np.arange(n)) / sr
    return (10 ** (np.interp(t, xs, ys) / 20)).astype(np.float32)


def variant(song: Song, si: int) -> str:
    """How a section's band differs from its energy's usual texture: 'bridge' (sparse drums,
    held bass, chords played another way, pad up an octave), 'again' (a verse after a verse:
    the pad comes in, the drums take the chorus's pattern) or ''."""
    sec = song.sections[si]
    if sec.kind == "bridge" and not sec.soloist:
        return "bridge"
    if sec.kind == "verse" and si > 0 and song.sections[si - 1].kind == "verse":
        return "again"
    return ""


def section_beat_events(song: Song, si: int, melody_fallback: bool) -> list[NoteEvent]:
    """All events of one section, in beats. Sections differ in how the band plays, not only
    in how loud: a second verse adds the pad and the chorus's groove, a bridge drops the drums
    to a sparse pulse, holds the bass and plays the chords another way an octave up, a chorus
    brings everyone."""
    sec = song.sections[si]
    st = song.style
    m = st.meter
    bridge = variant(song, si) == "bridge"
    again = variant(song, si) == "again"
    band = st
    if bridge:
        band = replace(
            st,
            comp_style=_BRIDGE_COMP.get(st.comp_style, st.comp_style),
            bass_style="sustain" if st.bass_style != "808" else st.bass_style,
        )
    out: list[NoteEvent] = []
    played = sec.bars_played
    lead_prev = 72
    for b in range(played):
        bar_no = sec.start_bar + b
        bar = float(bar_no * m)
        chord = parse_chord(sec.chords[b % len(sec.chords)])
        nxt_sym = sec.chords[b + 1] if b + 1 < len(sec.chords) else _next_chord(song, si)
        nxt = parse_chord(nxt_sym)

        def rng(part: int, bar_no: int = bar_no) -> np.random.Generator:
            return np.random.default_rng([sec.seed, sec.variant, bar_no, part])

        if sec.ending and b == sec.n_bars - 1:
            out += _ending(song, chord, bar)
            continue
        energy = sec.energy
        if st.drums:
            fill = b == sec.n_bars - 1 and sec.n_bars >= 2 and bool(sec.next_chord)
            crash = b == 0 and energy >= 1 and si > 0
            d_energy = energy
            if bridge and b < played - 1:  # the last bar builds back
                d_energy = 0
            elif again:  # the second verse moves on: the chorus's groove, at the verse's level
                d_energy = max(energy, 2)
            out += drum_bar(st.groove, d_energy, m, bar, fill=fill, crash=crash, rng=rng(1))
        if sec.soloist == "bass":
            ev, lead_prev = solo_bar(
                st,
                chord,
                bar,
                max(2, energy),
                rng(2),
                lead_prev - 24 if lead_prev > 60 else lead_prev,
                (36, 60),
                CHANNELS["bass"],
            )
            out += ev
        else:
            out += bass_bar(band, chord, nxt, bar, energy, rng(2))
        out += comp_bar(band, chord, bar, energy, rng(3))
        if energy >= 2 or bridge or again or st.genre in _PAD_LED or "comp" not in st.instruments:
            out += pad_bar(st, chord, bar, energy, "pad", 72 if bridge else 60)
        if energy >= 2 and "keys" in st.instruments:
            out += _keys_bar(song, chord, bar, energy, rng(4))
        if sec.soloist == "lead" and "lead" in st.instruments:
            ev, lead_prev = solo_bar(
                st, chord, bar, max(2, energy), rng(5), lead_prev, (60, 86), CHANNELS["lead"]
            )
            out += ev
    base = sec.start_bar * m
    limit = base + played * m
    for beat, beats, midi in sec.hook:
        if base + beat < limit:
            out.append(
                NoteEvent(base + beat, beats * 0.97, CHANNELS["lead"], int(round(midi)), 0.7)
            )
    out += [e for e in _answers(song, si) if e.start_beat < limit]  # a cut section stops at its cut
    if melody_fallback:
        for p in song.phrases:
            if p.section == si:
                for n in p.notes:
                    b0 = n.start_s / st.beat_s
                    out.append(
                        NoteEvent(
                            b0,
                            n.duration_s / st.beat_s,
                            CHANNELS["melody"],
                            int(round(n.midi)),
                            n.velocity,
                        )
                    )
    return out


def _next_chord(song: Song, si: int) -> str:
    return song.sections[si].next_chord or song.sections[si].chords[0]


def _ending(song: Song, chord, bar: float) -> list[NoteEvent]:
    st = song.style
    ring = float(st.meter) + 2.0
    out: list[NoteEvent] = final_hit(bar) if st.drums else []
    if "bass" in st.instruments:
        root = 28 + ((st.tonic + chord.root) % 12 - 28) % 12
        out.append(NoteEvent(bar, ring, CHANNELS["bass"], root, 0.85))
    for role, center in (("comp", 60), ("pad", 64), ("keys", 72)):
        if role in st.instruments:
            for k in close_voicing(chord, st.tonic, center, 4):
                out.append(NoteEvent(bar, ring, CHANNELS[role], k, 0.75))
    return out


def _keys_bar(
    song: Song, chord, bar: float, energy: int, rng: np.random.Generator
) -> list[NoteEvent]:
    st = song.style
    if st.instruments["keys"] in _SUSTAINED_KEYS:
        return pad_bar(st, chord, bar, energy, "keys", 67)
    tones = close_voicing(chord, st.tonic, 76, 3)
    order = tones if rng.random() < 0.5 else tones[::-1]
    return [
        NoteEvent(bar + i, 0.9, CHANNELS["keys"], order[i % len(order)], 0.55)
        for i in range(st.meter)
    ]


def _answers(song: Song, si: int) -> list[NoteEvent]:
    """Lead answers in the breaths between sung lines (every other line, or every line in
    loud sections)."""
    sec = song.sections[si]
    st = song.style
    if sec.energy < 1 or "lead" not in st.instruments or not sec.lines:
        return []
    out: list[NoteEvent] = []
    beat_s = st.beat_s
    slot_beats = sec.slot_bars * st.meter
    phrases = [p for p in song.phrases if p.section == si]
    for li, p in enumerate(phrases):
        if not p.notes or (li % 2 == 0 and sec.energy < 2):
            continue
        slot_start = (sec.start_bar + li * sec.slot_bars) * st.meter
        slot_end = slot_start + slot_beats
        if slot_end > (sec.start_bar + sec.n_bars) * st.meter:
            continue
        sung_end = max(n.start_s + n.duration_s for n in p.notes) / beat_s
        start = float(np.ceil((sung_end + 0.25) * 2) / 2)
        beats = slot_end - 2.0 - start
        if beats < 1.5:
            continue
        bar_no = int(start // st.meter)
        chord = parse_chord(sec.chords[(bar_no - sec.start_bar) % len(sec.chords)])
        rng = np.random.default_rng([sec.seed, sec.variant, bar_no, 9])
        out += lead_fill(st, chord, start, beats, rng)
    return out


def song_events(
    song: Song, sample_rate: int, melody_fallback: bool = False, sections: list[int] | None = None
) -> EventList:
    """Events of the whole song (or some sections) in samples, ready to play."""
    beats: list[NoteEvent] = []
    for si in sections if sections is not None else range(len(song.sections)):
        beats += section_beat_events(song, si, melody_fallback)
    return to_samples(song, beats, sample_rate)


def to_samples(song: Song, events: list[NoteEvent], sample_rate: int) -> EventList:
    if not events:
        z = np.zeros(0, np.int64)
        return EventList(z, z.astype(bool), z, z, z.astype(np.float32))
    # one flat pass over the fields: numpy's array() takes a slow path for tuple subclasses
    flat = np.fromiter(chain.from_iterable(events), np.float64, count=5 * len(events))
    arr = flat.reshape(-1, 5)
    start_b, dur_b = arr[:, 0], arr[:, 1]
    t0 = song.beat_times(start_b)
    t1 = song.beat_times(start_b + dur_b)
    s0 = np.round(t0 * sample_rate).astype(np.int64)
    s1 = np.maximum(np.round(t1 * sample_rate).astype(np.int64), s0 + 1)
    ch = arr[:, 2].astype(np.int64)
    key = np.clip(arr[:, 3].astype(np.int64), -1, 127)  # -1: events.SILENCE
    vel = np.clip(arr[:, 4], 0.05, 1.0).astype(np.float32)
    # A re-struck key must not be cut by the earlier note's off: end it at the new onset.
    order = np.lexsort((s0, key, ch))
    s0o, s1o, cho, keyo = s0[order], s1[order], ch[order], key[order]
    same = (cho[1:] == cho[:-1]) & (keyo[1:] == keyo[:-1])
    clash = same & (s1o[:-1] > s0o[1:])
    s1o[:-1][clash] = s0o[1:][clash]
    s1 = np.empty_like(s1)
    s1[order] = s1o
    # Drum hits end after their natural length, not the written one: cymbals ring, hats are
    # short. Ending them at all keeps the synth's voice count (and render time) bounded.
    drums = np.isin(ch, DRUM_CHANNELS)
    ring = np.vectorize(lambda k: _DRUM_RING_S.get(int(k), 0.5))(key[drums]) if drums.any() else 0
    s1[drums] = s0[drums] + np.round(ring * sample_rate).astype(np.int64)
    silence = key < 0  # a channel cut is one "off" event, played before onsets at its sample
    sample = np.concatenate([s0[~silence], s1[~silence], s0[silence]])
    on = np.concatenate(
        [
            np.ones(int((~silence).sum()) * 1, bool),
            np.zeros(int((~silence).sum()) + int(silence.sum()), bool),
        ]
    )
    chan = np.concatenate([ch[~silence], ch[~silence], ch[silence]])
    keys = np.concatenate([key[~silence], key[~silence], key[silence]])
    vels = np.concatenate([vel[~silence], vel[~silence], vel[silence]])
    idx = np.lexsort((keys, chan, on, sample))
    return EventList(sample[idx], on[idx], chan[idx], keys[idx], vels[idx])


def section_of(sections: list[Section], bar: int) -> int:
    for i, s in enumerate(sections):
        if s.start_bar <= bar < s.end_bar:
            return i
    return -1
