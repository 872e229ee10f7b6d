"""Song -> streamed audio: band through the SoundFont, phrases through the voice, mix and master.

The song is rendered in fixed chunks of the absolute sample grid (``CHUNK``); each chunk goes
through the sidechain (genres that pump), EQ, reverb, the master gain and the look-ahead
limiter and is yielded at once, so the first block arrives after one chunk of work. Loudness
cannot be measured on a song that is not rendered yet, so :func:`calibrate` predicts it at plan
time: a bar or two of every texture (energy, sung or not, lead-carried or not) is rendered with
its room and measured as the meter's 400 ms blocks; the vocal phrases are levelled to a known
energy per sung second, and what their room adds (which differs from phrase to phrase) is
measured on a few phrases spread over the song, kept for the render; the gated integrated
loudness of that block population gives a master gain, and the excerpts run through the
limiter at that gain tell what it will take off the peaks, texture by texture. No constant
allowance: the bench's songs land within 0.4 LU of the target. A continuation reuses its
source's gains, so levels match across the join.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.fft as sfft
from scipy import signal

from openchirp.engines.base import SAMPLE_RATE, AudioBlock, WordTiming
from openchirp.engines.composer.arrangement import (
    band_gain,
    band_level_db,
    section_of,
    song_events,
    variant,
)
from openchirp.engines.composer.drums import DRUM_CHANNELS, KICK_CHANNEL, KIT
from openchirp.engines.composer.events import EventList
from openchirp.engines.composer.mix import (
    Limiter,
    Reverb,
    blocks_of_squares,
    duck_gain,
    gated_loudness,
    impulse_response,
    instrument_eq,
    k_blocks,
    k_power,
    k_squares,
    k_weighted,
    lufs_of_power,
    power_of_lufs,
    saturate,
    vocal_eq,
)
from openchirp.engines.composer.song import Phrase, Song
from openchirp.engines.composer.soundfont import Player, clear, loaded, setup_channels
from openchirp.engines.composer.style_data import PRODUCTION, Production

CHUNK = 131072
TARGET_LUFS = -14.0
GLIDE_MAX_DB = 4.0
HAAS_S = 0.011
"""The reverb's right channel is its left this much later (see :class:`mix.Reverb`)."""
RUN_IN_S = 3.5
"""A continuation re-renders at least this much of its source before the join."""
VOICE_PROBES = 3
"""Phrases sung at plan time to measure what the reverb adds to the voice (kept for the render,
so they cost latency, not throughput): the dry voice and its room add up differently from
phrase to phrase (0 to 1.6 dB with the espeak-ng voice: the early reflections reinforce some
pitches and cancel others), so one phrase can miss the song's average by half a dB."""
NOTE_CACHE_S = 150.0
"""Seconds of recurring notes a render may cache (rendered before its first block)."""
_FALLBACK_MELODY_PROGRAM = 53  # "voice oohs": the tune, when no singing voice is installed


def voice_available() -> bool:
    try:
        from openchirp.engines.composer.voice import singer  # noqa: F401
    except ImportError:
        return False
    return True


def _sing(phrase: Phrase, song: Song, sr: int) -> tuple[int, np.ndarray, np.ndarray | None]:
    """(start, lead, backing voice on the same samples or None)."""
    from openchirp.engines.composer.voice.singer import harmonise, sing_phrase

    start, lead = sing_phrase(phrase.notes, song.voice, sr)
    if not phrase.harmony or len(lead) == 0:
        return start, lead, None
    h_start, h = harmonise(phrase.notes, song.voice, phrase.harmony, sr)
    lo, hi = min(start, h_start), max(start + len(lead), h_start + len(h))
    lead_full = np.zeros(hi - lo, np.float32)
    back = np.zeros(hi - lo, np.float32)
    lead_full[start - lo : start - lo + len(lead)] = lead
    back[h_start - lo : h_start - lo + len(h)] = h
    return lo, lead_full, back


def production(song: Song) -> Production:
    return PRODUCTION.get(song.style.genre, Production())


def wet_levels(song: Song) -> tuple[float, float]:
    r = song.style.reverb
    return 0.18 + 0.55 * r, 0.12 + 0.3 * r  # vocals drier than the band: words stay clear


def rt60(song: Song) -> float:
    return 0.9 + 1.6 * song.style.reverb


def room(song: Song, sr: int) -> np.ndarray:
    """The reverb's impulse response: the style's size, the genre's brightness."""
    return impulse_response(sr, rt60(song), air=production(song).room_air)


def _rendered_phrase(phrase: Phrase, song: Song, sr: int) -> tuple[int, np.ndarray]:
    """Sing, EQ and level one phrase. Every phrase gets the same K-weighted energy per second
    of sung notes (``song.vocal_gain_db``), which keeps the vocal even and makes its share of
    a section's loudness known in advance (see :func:`calibrate`)."""
    start, audio, backing = _sing(phrase, song, sr)
    if len(audio) == 0:
        return start, audio.astype(np.float32)
    y = vocal_eq(sr)(audio[:, None])[:, 0]
    sung_s = max(sum(n.duration_s for n in phrase.notes), 1e-3)
    per_second = 2 * k_power(y, sr) * len(y) / sr / sung_s  # dual mono on two channels
    target = power_of_lufs(song.vocal_gain_db if song.vocal_gain_db is not None else -20.0)
    gain = math.sqrt(target / per_second) if per_second > 1e-12 else 0.0
    if backing is not None:  # levelled with the lead, so it stays the voice's "quieter" choir
        y = y + vocal_eq(sr)(backing[:, None])[:, 0]
    return start, (y * gain).astype(np.float32)


# ---------------------------------------------------------------- calibration


Texture = tuple[int, bool, bool, str]


def _texture(song: Song, si: int) -> Texture:
    """What sets a section's instrumental loudness: energy, sung or not, lead-carried or not,
    and the arrangement's variant (a bridge, a second verse)."""
    s = song.sections[si]
    return (s.energy, bool(s.lines), bool(s.hook) or bool(s.soloist), variant(song, si))


def _texture_bars(song: Song) -> dict[Texture, int]:
    """Texture -> a representative bar to measure (the second bar of its first section)."""
    out: dict[tuple[int, bool, bool], int] = {}
    skip = 1 if voice_available() else 0
    for si, s in enumerate(song.sections):
        if s.ending and s.bars_played <= 1 or s.bars_played == 0:
            continue
        if s.end_bar * song.bar_s <= song.offset_s:
            continue
        if s.lines and s.slot_bars >= 2 and s.bars_played >= max(s.slot_bars, 3):
            # the end of the first line's slot: the held note and the lead's answer are there
            # (not the section's first bar: its crash and downbeat are louder than the rest,
            # unless the synth plays the tune, whose line starts there)
            bar = s.start_bar + max(skip, s.slot_bars - 2)
        else:
            bar = s.start_bar + (1 if s.bars_played > 1 else 0)
        out.setdefault(_texture(song, si), bar)
    return out


def calibrate(song: Song, sf_path: str, sr: int = SAMPLE_RATE) -> None:
    """Predict the clip's integrated loudness and fix vocal and master gains."""
    if song.master_gain_db is not None and song.vocal_gain_db is not None:
        return
    bars = _texture_bars(song)
    needed = sorted({section_of(song.sections, b) for b in bars.values()} - {-1})
    events = song_events(song, sr, melody_fallback=not voice_available(), sections=needed)
    bar_n = int(round(song.bar_s * sr))
    # Two whole bars (parts alternate bar by bar) where that fits in ~16 s of excerpts (always
    # when the synth plays the tune: a line's two bars differ most, and no voice is sung),
    # else one, after a half-bar run-in so the synth is in its steady state when measuring.
    whole = 2 if 2 * song.bar_s * len(bars) <= 16.0 or not voice_available() else 1
    n = sfft.prev_fast_len(whole * bar_n, real=True)
    pre = bar_n // 2
    wet_i, wet_v = wet_levels(song)
    ir = room(song, sr).astype(np.float64)
    prod = production(song)
    excerpts: dict[Texture, np.ndarray] = {}  # the band with its room, (n, 2) float64
    with loaded(sf_path, sr) as sf:
        for texture, bar in sorted(bars.items()):
            start = int(round(bar * song.bar_s * sr))
            run_in = min(pre, start)
            audio = _excerpt(sf, song, events, start - run_in, run_in + n, sr)[run_in:]
            audio = saturate(np.ascontiguousarray(audio), prod.drive).astype(np.float64)
            audio = instrument_eq(sr, song.style.brightness, prod)(audio)
            wet = _looped_reverb((audio[:, 0] + audio[:, 1]) * (0.5 * wet_i), ir)
            audio[:, 0] += wet
            audio[:, 1] += np.roll(wet, int(HAAS_S * sr))  # the room's right: 11 ms later
            excerpts[texture] = audio
    blocks_of = {t: k_blocks(x, sr) for t, x in excerpts.items()}
    ref = max((float(np.mean(z)) for z in blocks_of.values()), default=power_of_lufs(-20.0))
    if song.vocal_gain_db is None:
        song.vocal_gain_db = lufs_of_power(ref) + song.style.vocal_level_db
    voice = _VoicePower()
    own = [p for p in song.phrases if p.own and p.notes]
    if own and voice_available():
        voice = _voice_power(song, own, wet_v, ir, sr)
    parts = _sections(song, blocks_of, voice, ref)
    lufs = _predicted(parts, {})
    # The limiter takes a little off the peaks, more in some textures (a funk kit's snare)
    # than in others: run the excerpts through it at the gain found and predict again.
    loss = _limiter_loss(parts, excerpts, voice, TARGET_LUFS - lufs, sr)
    lufs = _predicted(parts, loss)
    song.master_gain_db = float(TARGET_LUFS - lufs)
    if song.gain_curve and song.ramp_from_s is not None:
        # a continuation: hold the source's gain to the new part, then glide to this clip's
        # own gain over two bars (at most GLIDE_MAX_DB away: the song stays one song)
        held = song.gain_curve[-1][1]
        target = float(np.clip(song.master_gain_db, held - GLIDE_MAX_DB, held + GLIDE_MAX_DB))
        start = max(song.ramp_from_s, song.gain_curve[-1][0])
        song.gain_curve += [[start, held], [start + max(2 * song.bar_s, 3.0), target]]
        song.master_gain_db = target


@dataclass
class _VoicePower:
    """The voice as the meter sees it (see :func:`_voice_power`)."""

    plain: float = 0.0
    """K-weighted power per sung second, voice and its room, sung alone."""
    backed: float = 0.0
    """The same with the backing voice."""
    shape: np.ndarray = field(default_factory=lambda: np.ones(1))
    """How the sung level spreads over the meter's 400 ms blocks, relative to its mean."""
    probe: np.ndarray | None = None
    """One phrase with its room as the render lays it, (n, 2): what the limiter sees sung."""


@dataclass
class _Part:
    """A section as the prediction sees it: its texture's blocks at the section's band level,
    the voice's power while singing, the share of its time sung and under the fade."""

    texture: Texture
    seconds: float
    level: float
    """The band's gain in the section (amplitude)."""
    inst: np.ndarray
    voice: np.ndarray
    sung: float
    faded: float


def _sections(song: Song, blocks_of: dict[Texture, np.ndarray], voice: _VoicePower, ref: float):
    out = []
    t0, t1 = song.offset_s, song.end_s
    for si, s in enumerate(song.sections):
        a = max(t0, s.start_bar * song.bar_s)
        b = min(t1, s.end_bar * song.bar_s)
        if b <= a:
            continue
        here = [p for p in song.phrases if p.section == si]
        sung = sum(nt.duration_s for p in here for nt in p.notes)
        backed = sum(nt.duration_s for p in here if p.harmony for nt in p.notes)
        # the sung seconds with and without the backing voice, each at its measured power
        p_voc = (voice.backed * backed + voice.plain * (sung - backed)) / sung if sung else 0.0
        texture = _texture(song, si)
        if texture not in blocks_of:  # a texture not measured (cut short): the nearest energy's
            texture = min(blocks_of, key=lambda k: abs(k[0] - s.energy), default=texture)
        level = 10 ** (band_level_db(s) / 20)
        inst = blocks_of.get(texture, np.array([ref])) * level**2
        faded = 0.0
        if song.fade_out_s > 0:  # share of the section under the fade (squared ramp: 1/5 power)
            faded = max(0.0, b - max(a, t1 - song.fade_out_s)) / (b - a)
        frac = min(1.0, sung / (b - a))
        out.append(_Part(texture, b - a, level, inst, p_voc * voice.shape, frac, faded))
    return out


def _predicted(parts: list[_Part], loss: dict[tuple[Texture, bool], float]) -> float:
    """Integrated loudness of the sections' block populations: the meter's gate sees 400 ms
    blocks, so each section contributes its texture's measured block powers, with the voice's
    blocks added on the share of the time it sings; ``loss`` scales (texture, sung) blocks."""
    blocks: list[tuple[np.ndarray, np.ndarray]] = []  # (durations, powers) per population
    for pt in parts:
        for sung, share, extra in (
            (True, pt.sung, pt.voice),
            (False, 1.0 - pt.sung, np.zeros(1)),
        ):
            d = pt.seconds * share / (len(pt.inst) * len(extra))
            if d > 0:
                q = (pt.inst[:, None] + extra[None, :]).ravel() * loss.get((pt.texture, sung), 1.0)
                blocks.append((np.full(len(q), d * (1 - pt.faded)), q))
                blocks.append((np.full(len(q), d * pt.faded), q * 0.2))
    if not blocks:
        return -70.0
    return _gated(np.concatenate([d for d, _ in blocks]), np.concatenate([q for _, q in blocks]))


def _voice_power(
    song: Song, own: list[Phrase], wet_v: float, ir: np.ndarray, sr: int
) -> _VoicePower:
    """The voice with its reverb as the render lays it on two channels (dry on both, the room
    on the left and 11 ms later on the right), measured on a few phrases spread over the song
    (see ``VOICE_PROBES``) and on one with the backing voice if the song has any."""
    plain = [p for p in own if not p.harmony]
    backed = [p for p in own if p.harmony]
    picks = [plain[i] for i in _spread(len(plain), VOICE_PROBES)]
    picks += [backed[i] for i in _spread(len(backed), max(1, VOICE_PROBES // 2))]
    haas = int(HAAS_S * sr)
    energy = {False: 0.0, True: 0.0}  # with the room, per kind of phrase
    seconds = {False: 0.0, True: 0.0}
    spreads = []
    probe = None
    for p in picks:
        sung = _rendered_phrase(p, song, sr)
        song.sung[_index(song, p), song.vocal_gain_db] = sung
        dry = sung[1].astype(np.float64)
        if len(dry) == 0:
            continue
        wet = signal.fftconvolve(dry * wet_v, ir)
        full = np.zeros((len(wet) + haas, 2))
        full[: len(dry)] += dry[:, None]
        full[: len(wet), 0] += wet
        full[haas:, 1] += wet
        sq = k_squares(full, sr)
        energy[bool(p.harmony)] += float(np.sum(sq)) / sr
        seconds[bool(p.harmony)] += sum(n.duration_s for n in p.notes)
        spreads.append(blocks_of_squares(sq, sr))
        probe = full if probe is None else probe
    target = power_of_lufs(song.vocal_gain_db if song.vocal_gain_db is not None else -20.0)
    p_plain = energy[False] / seconds[False] if seconds[False] else target
    p_backed = energy[True] / seconds[True] if seconds[True] else p_plain
    shape = np.concatenate(spreads) if spreads else np.ones(1)
    shape = shape[shape > 1e-3 * shape.max()]
    return _VoicePower(p_plain, p_backed, shape / shape.mean(), probe)


def _limiter_loss(
    parts: list[_Part],
    excerpts: dict[Texture, np.ndarray],
    voice: _VoicePower,
    gain_db: float,
    sr: int,
) -> dict[tuple[Texture, bool], float]:
    """(texture, sung) -> the share of K-weighted power left after the master's limiter, from
    each texture's excerpt at its band level and the master gain, with the probe phrase laid
    over it where the texture is sung."""
    out: dict[tuple[Texture, bool], float] = {}
    g = 10 ** (gain_db / 20)
    limiter_ceiling = Limiter().ceiling
    for pt in parts:
        for sung in (False, True):
            key = (pt.texture, sung)
            if key in out or pt.texture not in excerpts or (sung and voice.probe is None):
                continue
            x = excerpts[pt.texture] * (g * pt.level)
            if sung:
                x = x + np.resize(voice.probe.T, (2, len(x))).T * g
            x = x.astype(np.float32)
            if float(np.max(np.abs(x))) < 0.7 * limiter_ceiling:  # far from it: nothing taken
                out[key] = 1.0
                continue
            # the K-weighted excerpt rides along as a stem: the limiter applies the mix's gain
            kx = k_weighted(x, sr).astype(np.float32)
            _, ky = Limiter().process([x, kx], final=True)
            out[key] = float(np.sum(ky * ky) / max(float(np.sum(kx * kx)), 1e-20))
    return out


def _spread(n: int, k: int) -> list[int]:
    """Up to k indices spread evenly over range(n), the first always among them."""
    if n <= k:
        return list(range(n))
    return sorted({int(round(i * (n - 1) / (k - 1))) for i in range(k)}) if k > 1 else [0]


def kick_samples(events: EventList) -> np.ndarray:
    """Onsets (samples, sorted) of the kicks: what a sidechain ducks the band to."""
    sel = events.on & (events.channel == KICK_CHANNEL) & (events.key == KIT["K"])
    return np.sort(events.sample[sel])


def _excerpt(sf: Any, song: Song, events: EventList, start: int, n: int, sr: int) -> np.ndarray:
    """n samples of the band from ``start``, through a fresh synth. With a sidechain the drums
    are played apart (no note cache here to keep them apart) and the rest is ducked."""
    prod = production(song)
    melody = None if voice_available() else _FALLBACK_MELODY_PROGRAM
    duck = duck_gain(kick_samples(events), start, n, sr, prod.duck_db) if prod.duck_db else None
    if duck is None:
        clear(sf)
        setup_channels(sf, song.style, melody)
        return Player(sf, events, start, sr).render(n)
    out = np.zeros((n, 2), np.float32)
    drums = np.isin(events.channel, DRUM_CHANNELS)
    for part in (drums, ~drums):
        clear(sf)
        setup_channels(sf, song.style, melody)
        sub = EventList(*(getattr(events, f)[part] for f in EventList.__dataclass_fields__))
        audio = Player(sf, sub, start, sr).render(n)
        out += audio if part is drums else audio * duck[:, None]
    return out


def _looped_reverb(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Reverb of an excerpt as if it had been looping for ever (steady state): circular
    convolution with the impulse response folded onto the excerpt's length."""
    n = len(x)
    folded = np.zeros(n)
    for i in range(0, len(ir), n):
        seg = ir[i : i + n]
        folded[: len(seg)] += seg
    return sfft.irfft(sfft.rfft(x) * sfft.rfft(folded), n)


def _gated(dur: np.ndarray, p: np.ndarray) -> float:
    """BS.1770 gating over a population of blocks (duration-weighted powers)."""
    keep = (p > power_of_lufs(-70)) & (dur > 0)
    if not keep.any():
        return -70.0
    rel = lufs_of_power(float(np.sum(dur[keep] * p[keep]) / np.sum(dur[keep]))) - 10
    keep &= p > power_of_lufs(rel)
    return lufs_of_power(float(np.sum(dur[keep] * p[keep]) / np.sum(dur[keep])))


# ---------------------------------------------------------------- the render


def clip_words(song: Song) -> list[WordTiming]:
    """Timing of every word this clip sings, from its notes, on the clip's timeline."""
    out = []
    for p in song.phrases:
        if not p.own:
            continue
        spans: dict[int, list[float]] = {}
        for n in p.notes:
            span = spans.setdefault(n.word_index, [n.start_s, n.start_s + n.duration_s])
            span[0] = min(span[0], n.start_s)
            span[1] = max(span[1], n.start_s + n.duration_s)
        last_end = p.notes[0].start_s if p.notes else 0.0
        for wi, text in enumerate(p.words):
            a, b = spans.get(wi, [last_end, last_end])
            out.append(WordTiming(text, round(a - song.offset_s, 4), round(b - song.offset_s, 4)))
            last_end = b
    return out


@dataclass
class SongRender:
    """A planned clip (engines.base.Render): metadata now, audio from :meth:`blocks`."""

    song: Song
    sf_path: str
    plan: dict[str, Any]
    words: list[WordTiming]
    sample_rate: int = SAMPLE_RATE
    has_vocal: bool = False
    duration_s: float = 0.0
    sung_notes: list[dict[str, Any]] = field(default_factory=list)

    def blocks(self) -> Iterator[AudioBlock]:
        yield from render_blocks(self.song, self.sf_path, self.sample_rate)


class _Vocals:
    """The sung phrases, rendered a little ahead of need and laid into chunks."""

    def __init__(self, song: Song, sr: int) -> None:
        self.song, self.sr = song, sr
        self.phrases = sorted(
            (p for p in song.phrases if p.notes), key=lambda p: p.notes[0].start_s
        )
        self.next = 0
        self.pending: list[tuple[int, np.ndarray]] = []

    def _sung(self, phrase: Phrase) -> tuple[int, np.ndarray]:
        """The phrase rendered, or as calibration left it."""
        done = self.song.sung.pop((_index(self.song, phrase), self.song.vocal_gain_db), None)
        return done if done is not None else _rendered_phrase(phrase, self.song, self.sr)

    def chunk(self, a: int, n: int) -> np.ndarray | None:
        """The dry vocal of samples [a, a + n), or None when nothing is sung there."""
        while (
            self.next < len(self.phrases)
            and (self.phrases[self.next].notes[0].start_s - 0.6) * self.sr < a + n
        ):
            self.pending.append(self._sung(self.phrases[self.next]))
            self.next += 1
        voc = None
        keep = []
        for s0, audio in self.pending:
            lo, hi = max(s0, a), min(s0 + len(audio), a + n)
            if hi > lo:
                if voc is None:
                    voc = np.zeros(n, np.float32)
                voc[lo - a : hi - a] += audio[lo - s0 : hi - s0]
            if s0 + len(audio) > a + n:
                keep.append((s0, audio))
        self.pending = keep
        return voc


def _index(song: Song, phrase: Phrase) -> int:
    return next(i for i, p in enumerate(song.phrases) if p is phrase)


def _master_gain(song: Song, a: int, n: int, sr: int) -> float | np.ndarray:
    """The master gain of samples [a, a + n): one number, or per sample along a gain curve."""
    if song.gain_curve:
        times = (a + np.arange(n)) / sr
        return (10 ** (song.gain_db_at(times) / 20)).astype(np.float32)
    return 10 ** ((song.master_gain_db or 0.0) / 20)


def render_blocks(song: Song, sf_path: str, sr: int = SAMPLE_RATE) -> Iterator[AudioBlock]:
    voice_ok = voice_available()
    singing = voice_ok and any(p.notes for p in song.phrases)
    first = int(round(song.offset_s * sr))
    total = int(round(song.duration_s * sr))
    last = first + total
    run_from = first
    if song.offset_s > 0:  # re-render the source's last seconds so state matches at the join
        run_bar = max(0, int(math.floor((song.offset_s - RUN_IN_S) / song.bar_s)))
        run_from = int(round(run_bar * song.bar_s * sr))
    chunk0 = run_from // CHUNK
    events: EventList = song_events(song, sr, melody_fallback=not voice_ok)
    wet_i, wet_v = wet_levels(song)
    ir = room(song, sr)
    reverb = Reverb(ir, CHUNK, 2 if singing else 1, sr)
    prod = production(song)
    inst_eq = instrument_eq(sr, song.style.brightness, prod)
    kicks = kick_samples(events)
    limiter = Limiter()
    fade_n = int(song.fade_out_s * sr)
    end_ramp = int(0.05 * sr)
    vocals = _Vocals(song, sr)
    emitted = first  # absolute sample of the next output sample we owe the caller
    out_pos = chunk0 * CHUNK  # absolute position of the limiter's next output sample
    with loaded(sf_path, sr) as sf:
        setup_channels(sf, song.style, None if voice_ok else _FALLBACK_MELODY_PROGRAM)
        player = Player(sf, events, chunk0 * CHUNK, sr, NOTE_CACHE_S, sf_path)
        k = chunk0
        while True:
            a = k * CHUNK
            final = a + CHUNK >= last
            # channel-major from here on: (2, CHUNK) float32
            inst = np.empty((2, CHUNK), np.float32)
            duck = duck_gain(kicks, a, CHUNK, sr, prod.duck_db) if prod.duck_db > 0 else None
            inst_eq(saturate(player.render(CHUNK, duck), prod.drive), out=inst.T)
            inst *= band_gain(song, a, CHUNK, sr)
            send = inst[0] + inst[1]
            send *= 0.5 * wet_i
            voc = vocals.chunk(a, CHUNK) if singing else None
            if singing:
                wet = reverb([send, voc * wet_v if voc is not None else np.zeros_like(send)])
            else:
                wet = reverb([send])
            wet = wet.transpose(0, 2, 1)  # (send, channel, sample), contiguous
            gain = _master_gain(song, a, CHUNK, sr)
            env = _envelope(a, CHUNK, last, fade_n, end_ramp)
            if env is not None:
                gain = (gain * env).astype(np.float32)
            inst_stem = np.add(inst, wet[0], out=inst)
            inst_stem *= gain
            if singing:
                voc_stem = wet[1] if voc is None else np.add(wet[1], voc)
                voc_stem *= gain
                mix, voc_out, inst_out = limiter.process(
                    [(inst_stem + voc_stem).T, voc_stem.T, inst_stem.T], final=final
                )
            else:
                (mix,) = limiter.process([inst_stem.T], final=final)
            n_out = len(mix)
            lo, hi = max(out_pos, emitted), min(out_pos + n_out, last)
            if hi > lo:
                sl = slice(lo - out_pos, hi - out_pos)
                if singing:
                    stems = {"instrumental": inst_out[sl], "vocals": voc_out[sl]}
                else:
                    stems = {"instrumental": mix[sl]}
                yield AudioBlock(mix=mix[sl], stems=stems)
                emitted = hi
            out_pos += n_out
            k += 1
            if final or emitted >= last:
                break
    if emitted < last:  # cannot happen with a well-formed song; pad rather than under-deliver
        pad = np.zeros((last - emitted, 2), np.float32)
        yield AudioBlock(pad, {"instrumental": pad, **({"vocals": pad} if singing else {})})


def _envelope(a: int, n: int, last: int, fade_n: int, ramp_n: int) -> np.ndarray | None:
    """Gain envelope for samples [a, a+n): the fade-out when the song was cut short, and a
    short ramp to silence at the very end so the clip never stops on a click."""
    fading = fade_n > 0 and a + n > last - fade_n
    if not fading and a + n <= last - ramp_n:
        return None
    idx = np.arange(a, a + n)
    env = np.ones(n)
    if fading:
        env *= np.clip((last - idx) / fade_n, 0.0, 1.0) ** 2
    if a + n > last - ramp_n:
        env *= np.clip((last - idx) / ramp_n, 0.0, 1.0)
    return env


def sung_notes(song: Song) -> list[dict[str, Any]]:
    """The notes this clip sings (clip timeline), for checking the voice's pitch."""
    out = []
    for p in song.phrases:
        if not p.own:
            continue
        for n in p.notes:
            out.append(
                {
                    "start_s": round(n.start_s - song.offset_s, 4),
                    "duration_s": round(n.duration_s, 4),
                    "midi": n.midi,
                    "syllable": None if n.syllable is None else n.syllable.text,
                }
            )
    return out


def measure(mix: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, float]:
    """Integrated loudness and 4x-oversampled true peak of a rendered clip (for tests/bench)."""
    tp = signal.resample_poly(mix, 4, 1, axis=0)
    peak = float(np.max(np.abs(tp))) if len(tp) else 0.0
    return {
        "lufs": gated_loudness(mix.astype(np.float64), sr),
        "true_peak_db": 20 * math.log10(peak + 1e-12),
    }
