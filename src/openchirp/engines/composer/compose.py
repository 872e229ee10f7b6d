"""Request -> Song: lay the sections out on bars, give them chords, and write the melodies.

Length follows the lyrics: every line gets a slot of 1, 2 or 4 bars (about six seconds, more if
the line is long), a section is its lines' slots, and an instrumental intro and an outro with an
ending frame the song. A continuation keeps its source's bars up to the join and adds new ones.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import replace

import numpy as np

from openchirp.engines.base import PlanRequest
from openchirp.engines.composer.form import VOCAL_KINDS, LyricSection, parse_lyrics
from openchirp.engines.composer.harmony import parse_chord
from openchirp.engines.composer.melody import LineContext, compose_line, pseudo_stresses
from openchirp.engines.composer.song import Phrase, Section, Song
from openchirp.engines.composer.style import Style, parse_style
from openchirp.engines.composer.style_data import MINOR_LIKE
from openchirp.engines.composer.voice.score import SungNote, Syllable, VoiceSpec, Word

JOIN_MARGIN_S = 0.35
"""New material in a continuation starts at a bar at least this long after continue_at, so
nothing new (a sung consonant before the beat, a reverb onset) sounds before the join."""
TAIL_S = 2.5
"""Ring-out after the last bar (final chord and reverb)."""
LOUD_INTROS = {
    "rock",
    "metal",
    "punk",
    "grunge",
    "emo",
    "edm",
    "house",
    "techno",
    "trance",
    "dubstep",
    "dnb",
    "disco",
    "funk",
    "kpop",
    "jpop",
    "synthwave",
    "electronic",
}
_ENERGY = {
    "intro": 1,
    "verse": 1,
    "prechorus": 1,
    "chorus": 2,
    "postchorus": 2,
    "bridge": 1,
    "solo": 2,
    "break": 0,
    "outro": 1,
}

_LIFTED = {"intro", "chorus", "postchorus", "solo", "outro"}
"""Section kinds that a mood's extra energy lifts (verses, pre-choruses and bridges stay)."""


def stable_seed(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode()) & 0x7FFFFFFF


# ---------------------------------------------------------------- syllables and voice range


def words_of(line: str) -> list[Word]:
    """Syllabified words of a lyric line (espeak-ng through the phonemes module when present;
    otherwise a spelling-based split so melodies and word timings still work)."""
    try:
        from openchirp.engines.composer.voice.phonemes import words_of as espeak_words
    except ImportError:
        return _spelling_words(line)
    return espeak_words(line)


def _spelling_words(line: str) -> list[Word]:
    out = []
    for tok in re.findall(r"[\w']+", line):
        groups = re.findall(r"[^aeiouy]*[aeiouy]+(?:[^aeiouy]*$)?", tok.lower()) or [tok]
        sylls = tuple(Syllable(g, tuple(g), i == 0, 0) for i, g in enumerate(groups))
        out.append(Word(tok, sylls))
    return out


def voice_register(kind: str) -> tuple[int, int]:
    try:
        from openchirp.engines.composer.voice.singer import voice_range
    except ImportError:
        return (45, 69) if kind == "male" else (55, 79)
    return voice_range(kind)


# ---------------------------------------------------------------- form layout


def _slot_bars(style: Style, lines: list[str], syllables: list[int]) -> int:
    """Bars per line: the slot closest to ~6 s, doubled while the longest line is too dense."""
    bar_s = style.bar_s
    slot = min((1, 2, 4), key=lambda b: (abs(b * bar_s - 6.2), -b))
    most = max(syllables, default=0)
    while most * 0.5 > slot * style.meter * 0.8 and slot < 8:
        slot *= 2
    return slot


def _progression(style: Style, kind: str) -> list[str]:
    key = {
        "chorus": "chorus",
        "postchorus": "chorus",
        "solo": "chorus",
        "bridge": "bridge",
        "prechorus": "bridge",
    }.get(kind, "verse")
    return style.progressions.get(key) or style.progressions["verse"]


def _chords_for(style: Style, kind: str, n_bars: int, ending: bool) -> list[str]:
    prog = _progression(style, kind)
    chords = [prog[i % len(prog)] for i in range(n_bars)]
    if ending and chords:
        chords[-1] = "i" if style.mode in MINOR_LIKE else "I"
    return chords


def _short(style: Style, bars: int) -> int:
    """Instrumental section lengths shrink at slow tempos so they last about the same time."""
    return max(2, bars // 2) if style.bar_s >= 2.6 else bars


def layout(
    style: Style,
    lyric: list[LyricSection],
    syllables: list[list[int]],
    start_bar: int,
    seed: int,
    variant: int,
    with_intro: bool,
) -> list[Section]:
    sections: list[Section] = []
    bar = start_bar

    def add(
        kind: str,
        label: str,
        n: int,
        lines: list[str],
        slot: int,
        ending: bool = False,
        soloist: str = "",
    ) -> None:
        nonlocal bar
        # Moods lift or calm the whole song, but a lift stays out of the verses and the bridge:
        # the chorus must still stand above them (an "energetic" song that starts at full tilt
        # has nowhere to go).
        bias = style.energy_bias if kind in _LIFTED else min(0, style.energy_bias)
        energy = int(np.clip(_ENERGY.get(kind, 1) + bias, 0, 3))
        if kind == "intro" and style.genre not in LOUD_INTROS and not lines:
            energy = 0
        sections.append(
            Section(
                kind,
                label,
                bar,
                n,
                lines,
                energy,
                _chords_for(style, kind, n, ending),
                slot,
                seed,
                variant,
                ending=ending,
                soloist=soloist,
            )
        )
        bar += n

    intro_bars = 8 if style.genre in ("edm", "house", "techno", "trance") else 4
    if with_intro and (not lyric or lyric[0].kind != "intro" or lyric[0].lines):
        add("intro", "Intro", _short(style, intro_bars), [], 1)
    for ls, syl in zip(lyric, syllables, strict=True):
        if ls.lines:
            slot = _slot_bars(style, ls.lines, syl)
            kind = ls.kind if ls.kind in VOCAL_KINDS else "verse"
            add(kind, ls.label, slot * len(ls.lines), ls.lines, slot)
        else:
            n = {"intro": intro_bars, "solo": 8, "break": 4, "outro": 4}.get(ls.kind, 4)
            add(
                ls.kind,
                ls.label,
                _short(style, n),
                [],
                1,
                soloist=("bass" if style.solo == "bass" else "lead") if ls.kind == "solo" else "",
            )
    # The last chorus lifts; the song ends on an outro with a final chord.
    choruses = [s for s in sections if s.kind == "chorus"]
    if choruses:
        choruses[-1].energy = min(3, choruses[-1].energy + 1)
    if sections and sections[-1].kind == "outro" and not sections[-1].lines:
        last = sections[-1]
        last.ending = True
        last.chords = _chords_for(style, "outro", last.n_bars, True)
    else:
        add("outro", "Outro", _short(style, 4), [], 1, ending=True)
    return sections


def instrumental_form(
    style: Style, start_bar: int, seed: int, variant: int, with_intro: bool
) -> list[Section]:
    """A-B form for songs with no words: the lead (or the soloist) carries the tunes."""
    plan: list[tuple[str, str]] = [
        ("verse", "A"),
        ("chorus", "B"),
        ("verse", "A2"),
        ("chorus", "B2"),
        ("solo", "Solo"),
        ("chorus", "B3"),
    ]
    target_s = 135.0
    lyric = []
    bars8 = 8 if style.bar_s < 2.6 else 4
    for kind, label in plan:
        if kind == "solo":
            lyric.append(LyricSection("solo", label, []))
        else:
            lyric.append(LyricSection(kind, label, []))
    sections = layout(style, lyric, [[] for _ in lyric], start_bar, seed, variant, with_intro)
    for s in sections:
        if s.kind in ("verse", "chorus"):
            s.n_bars = bars8
            s.chords = _chords_for(style, s.kind, bars8, False)
    # re-flow bars and stretch the solo so the piece lasts about target_s
    bar = start_bar
    total = sum(s.n_bars for s in sections) * style.bar_s
    for s in sections:
        if s.kind == "solo" and total < target_s:
            extra = int((target_s - total) / style.bar_s) // 4 * 4
            s.n_bars += max(0, min(extra, 16))
            s.chords = _chords_for(style, "solo", s.n_bars, False)
        s.start_bar = bar
        bar += s.n_bars
    return sections


# ---------------------------------------------------------------- melodies


def _center(kind: str, lo: int, hi: int) -> int:
    frac = {"verse": 0.38, "prechorus": 0.48, "chorus": 0.6, "postchorus": 0.6, "bridge": 0.52}
    return int(round(lo + frac.get(kind, 0.42) * (hi - lo)))


def _chord_lookup(song: Song):
    bars: dict[int, str] = {}
    for s in song.sections:
        for i, c in enumerate(s.chords):
            bars[s.start_bar + i] = c
    meter = song.style.meter

    def chord_at(beat: float):
        b = int(math.floor(beat / meter + 1e-9))
        return parse_chord(bars.get(b, bars.get(max(0, b - 1), "I")))

    return chord_at


_SOLO_VOICE_GENRES = {"metal", "punk", "hiphop", "trap", "doom", "grunge", "emo"}


def _third_above(midi: float, style: Style) -> float:
    """Semitones to the scale tone a third above (diatonic harmony for a backing voice)."""
    pcs = sorted({(style.tonic + d) % 12 for d in style.scale})
    note = int(round(midi))
    above = [n for n in range(note + 1, note + 6) if n % 12 in pcs]
    return float(above[1] - note) if len(above) >= 2 else 4.0


def sing_sections(song: Song, first: int, syllabified: dict[int, list[list[Word]]]) -> None:
    """Write the vocal phrases of sections[first:] (the lines of each vocal section)."""
    style = song.style
    lo, hi = voice_register(song.voice.kind)
    lo, hi = lo + 2, hi - 3
    chord_at = _chord_lookup(song)
    cache: dict[str, list] = {}
    for si in range(first, len(song.sections)):
        sec = song.sections[si]
        if not sec.lines or si not in syllabified:
            continue
        center = _center(sec.kind, lo, hi)
        tonic_ref = center + ((style.tonic - center) % 12)
        if tonic_ref - center > 6:
            tonic_ref -= 12
        center = int(round((center + tonic_ref) / 2))
        for li, (line, words) in enumerate(zip(sec.lines, syllabified[si], strict=True)):
            if (li + 1) * sec.slot_bars > sec.bars_played:
                break
            stresses = [s.stressed for w in words for s in w.syllables]
            if not stresses:
                continue
            flat = [(wi, s) for wi, w in enumerate(words) for s in w.syllables]
            start_beat = (sec.start_bar + li * sec.slot_bars) * style.meter
            cadence = "close" if li == len(sec.lines) - 1 or li % 2 == 1 else "open"
            kind = "chorus" if sec.kind in ("chorus", "postchorus") else sec.kind
            key = f"{kind}|{line.lower()}|{li % 4}" if kind == "chorus" else ""
            if key and key in cache:  # a repeated chorus line sings its first melody again
                rel = cache[key]
                mel = [replace(n, beat=n.beat - rel[0] + start_beat) for n in rel[2]]
            else:
                ctx = LineContext(
                    start_beat=start_beat,
                    slot_beats=sec.slot_bars * style.meter,
                    meter=style.meter,
                    tempo=style.tempo,
                    register=(lo, hi),
                    center=center,
                    tonic=style.tonic,
                    scale=style.scale,
                    cadence=cadence,
                    template_seed=stable_seed(
                        song.seed, song.variant, sec.seed, kind, li % 4, len(stresses) > 8
                    ),
                    pickup_allowed=li > 0,
                    rap=style.flow == "rap" and kind in ("verse", "bridge"),
                )
                mel = compose_line(stresses, ctx, chord_at)
                if key:
                    cache[key] = (start_beat, mel[0].beat - start_beat, mel)
            notes: list[SungNote] = []
            for n in mel:
                t0 = song.beat_time(n.beat)
                t1 = song.beat_time(n.beat + n.beats)
                if n.syllable >= 0:
                    wi, syl = flat[n.syllable]
                    vel = 0.85 if syl.stressed else 0.72
                else:
                    syl, vel = None, 0.7
                notes.append(SungNote(t0, max(0.08, (t1 - t0) * 0.97), float(n.midi), syl, wi, vel))
            harmony = []
            if sec.energy >= 3 and kind == "chorus" and style.genre not in _SOLO_VOICE_GENRES:
                harmony = [_third_above(n.midi, style) for n in notes]
            song.phrases.append(Phrase(si, line, [w.text for w in words], notes, True, harmony))


def write_hooks(song: Song, first: int) -> None:
    """Lead melodies for the sections the lead carries: intros quote the chorus, instrumental
    songs get composed tunes in their A and B sections."""
    style = song.style
    chord_at = _chord_lookup(song)
    chorus = next((p for p in song.phrases if song.sections[p.section].kind == "chorus"), None)
    lead_lo, lead_hi = 62, 84  # a bass soloist takes the solo sections, not the tunes
    for si in range(first, len(song.sections)):
        sec = song.sections[si]
        if sec.lines or sec.soloist or sec.ending and sec.kind == "outro" and sec.n_bars < 4:
            continue
        base = sec.start_bar * style.meter
        if sec.kind in ("intro", "outro") and chorus is not None:
            shift = 12 if chorus.notes[0].midi < 60 else 0
            first_t = chorus.notes[0].start_s
            beat_s = style.beat_s
            hook = []
            for n in chorus.notes:
                rel = (n.start_s - first_t) / beat_s
                if rel + n.duration_s / beat_s > sec.n_bars * style.meter - 1:
                    break
                hook.append([round(rel, 4), round(n.duration_s / beat_s, 4), n.midi + shift])
            sec.hook = hook
            continue
        if sec.kind not in ("verse", "chorus", "intro", "bridge"):
            continue
        rng = np.random.default_rng([sec.seed, sec.variant, si, 5])
        center = int((lead_lo + lead_hi) / 2 + (3 if sec.kind == "chorus" else -2))
        slot = 2 if style.bar_s >= 2.0 else 4
        hook = []
        for li in range(sec.n_bars // slot):
            stresses = pseudo_stresses(
                np.random.default_rng([sec.seed, sec.kind == "chorus", li % 4, song.variant])
            )
            ctx = LineContext(
                base + li * slot * style.meter,
                slot * style.meter,
                style.meter,
                style.tempo,
                (lead_lo, lead_hi),
                center,
                style.tonic,
                style.scale,
                "close" if li % 2 else "open",
                stable_seed(song.seed, song.variant, sec.kind, li % 4),
            )
            for n in compose_line(stresses, ctx, chord_at):
                hook.append([round(n.beat - base, 4), n.beats, float(n.midi)])
        del rng
        sec.hook = hook


# ---------------------------------------------------------------- public entry points


def _voice_for(style: Style, seed: int, variant: int) -> VoiceSpec:
    return VoiceSpec(
        kind=style.vocal_kind,
        seed=stable_seed(seed, variant, "voice") % 100_000,
        extra={"double": style.genre in ("pop", "kpop", "rock", "metal", "edm")},
    )


def _syllabify(lyric: list[LyricSection]) -> list[list[list[Word]]]:
    return [[words_of(line) for line in ls.lines] for ls in lyric]


def link_sections(sections: list[Section], first: int = 0) -> None:
    """Record each section's following chord (see Section.next_chord) from ``first`` on."""
    for i in range(first, len(sections)):
        nxt = sections[i + 1] if i + 1 < len(sections) else None
        sections[i].next_chord = nxt.chords[0] if nxt is not None and nxt.chords else ""


def _trim_to(song: Song, max_s: float) -> None:
    """Drop trailing sections (keeping the outro) and then bars until the song fits max_s."""
    secs = song.sections
    limit = song.offset_s + max_s

    def end_s() -> float:
        return song.last_bar() * song.bar_s + TAIL_S

    while end_s() > limit and len(secs) > 2 and secs[-2].start_bar * song.bar_s > song.offset_s:
        last = secs[-2]
        over = int(math.ceil((end_s() - limit) / song.bar_s - 1e-9))
        unit = last.slot_bars if last.lines else 1
        keep = (last.n_bars - over) // unit * unit
        if keep >= max(2, unit) and keep * song.bar_s >= 6.0:
            # shorten the section (whole lines) rather than lose it: the song still ends
            # with its outro, close to the length asked for
            last.n_bars = keep
            last.chords = last.chords[:keep]
            last.lines = last.lines[: keep // unit] if last.lines else []
            secs[-1].start_bar = last.start_bar + keep
            break
        gone = secs.pop(-2)
        secs[-1].start_bar = gone.start_bar
    if end_s() > limit:
        song.fade_out_s = min(4.0, max_s / 4)
        cut_bar = int((limit - TAIL_S * 0) / song.bar_s) + 1
        for s in secs:
            if s.end_bar > cut_bar:
                s.play_bars = max(0, cut_bar - s.start_bar)
        song.sections = [s for s in secs if s.bars_played > 0 or s.start_bar < cut_bar]
    song.duration_s = float(min(max_s, end_s() - song.offset_s))


def compose(request: PlanRequest) -> Song:
    if request.continuation is not None:
        return continue_song(request)
    style = parse_style(
        request.tags,
        request.negative_tags,
        seed=request.seed,
        variant=request.variant,
        instrumental=request.instrumental,
    )
    lyric = [] if style.instrumental else parse_lyrics(request.lyrics)
    syll = _syllabify(lyric)
    counts = [[sum(len(w.syllables) for w in line) for line in ls] for ls in syll]
    if any(ls.lines for ls in lyric):
        sections = layout(style, lyric, counts, 0, request.seed, request.variant, True)
    else:
        style = replace(style, instrumental=True)
        sections = instrumental_form(style, 0, request.seed, request.variant, True)
    song = Song(
        style,
        sections,
        [],
        _voice_for(style, request.seed, request.variant),
        request.seed,
        request.variant,
        0.0,
        0.0,
    )
    _trim_to(song, request.max_duration_s)
    link_sections(song.sections)
    by_section = _map_syllables(song.sections, lyric, syll)
    sing_sections(song, 0, by_section)
    write_hooks(song, 0)
    return song


def _map_syllables(
    sections: list[Section], lyric: list[LyricSection], syll: list[list[list[Word]]]
) -> dict[int, list[list[Word]]]:
    """Section index -> syllabified lines, matching sections to the lyric sections in order."""
    out: dict[int, list[list[Word]]] = {}
    queue = [(ls, sy) for ls, sy in zip(lyric, syll, strict=True) if ls.lines]
    qi = 0
    for si, s in enumerate(sections):
        if not s.lines:
            continue
        hit = next((j for j in range(qi, len(queue)) if queue[j][0].lines == s.lines), None)
        if hit is not None:  # sections dropped by the length cap are skipped over
            out[si] = queue[hit][1]
            qi = hit + 1
    return out


def _curve_until(src: Song, t: float) -> list[list[float]]:
    """The source's master gain up to song time t, then held."""
    g = float(src.gain_db_at(np.array([t]))[0])
    return [list(p) for p in src.gain_curve if p[0] < t] + [[t, g]]


def continue_song(request: PlanRequest) -> Song:
    cont = request.continuation
    assert cont is not None
    src = Song.from_dict(cont.source_plan["song"])
    style = src.style
    join_t = src.offset_s + float(cont.continue_at)
    bar_s = style.bar_s
    join_bar = int(math.floor(join_t / bar_s + 1e-9)) + 1
    while join_bar * bar_s < join_t + JOIN_MARGIN_S:  # room for the singer's pre-beat onsets
        join_bar += 1
    kept = [p for p in src.phrases if p.notes and p.notes[0].start_s < join_t]
    for p in kept:
        end = max(n.start_s + n.duration_s for n in p.notes)
        join_bar = max(join_bar, int(math.ceil(end / bar_s - 1e-9)))
    sections = []
    for s in src.sections:
        if s.start_bar >= join_bar:
            continue
        s.play_bars = min(s.bars_played, join_bar - s.start_bar)
        sections.append(s)
    phrases = [replace(p, own=False) for p in kept]
    lyric = [] if request.instrumental else parse_lyrics(request.lyrics)
    syll = _syllabify(lyric)
    counts = [[sum(len(w.syllables) for w in line) for line in ls] for ls in syll]
    if any(ls.lines for ls in lyric):
        new = layout(style, lyric, counts, join_bar, request.seed, request.variant, False)
    else:
        new = instrumental_form(style, join_bar, request.seed, request.variant, False)
    song = Song(
        style,
        sections + new,
        phrases,
        src.voice,
        src.seed,
        src.variant,
        join_t,
        0.0,
        master_gain_db=None,  # calibrated for the new part; the curve glides there
        vocal_gain_db=src.vocal_gain_db,
        gain_curve=_curve_until(src, join_t),
        ramp_from_s=join_bar * bar_s,
        history=[
            *src.history,
            {
                "continue_at": float(cont.continue_at),
                "source_offset_s": src.offset_s,
                "offset_s": join_t,
            },
        ],
    )
    _trim_to(song, request.max_duration_s)
    first_new = len(sections)
    link_sections(song.sections, first_new)
    by_section = {
        first_new + k: v for k, v in _map_syllables(song.sections[first_new:], lyric, syll).items()
    }
    sing_sections(song, first_new, by_section)
    write_hooks(song, first_new)
    return song
