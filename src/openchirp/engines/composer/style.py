"""Free-text style tags -> a Style: tempo, meter, key, harmony, grooves, instruments, voice, mix.

Tags are read as :mod:`openchirp.vocabulary` reads them (the genre words and the reading rules
the cover art shares) and matched against the tables of :mod:`style_data`: genres, moods,
instrument words, and a few explicit settings ("120 bpm", "in D minor", "3/4", "male vocals"),
each by a pass of its own. Unknown words are ignored; ``negative_tags`` remove what they name.
The choices left open by the tags (exact tempo inside the genre's range, key, which progression)
are drawn from an RNG seeded by (seed, variant), so the same request always yields the same
Style and the two clips of a request differ.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from openchirp.engines.composer.style_data import (
    FEMALE_WORDS,
    GENRES,
    GM,
    INSTRUMENT_WORDS,
    MALE_WORDS,
    MINOR_LIKE,
    MODES,
    MOODS,
    NOTE_NAMES,
    POP_MAJOR,
    POP_MINOR,
    SOLO_PROGRAM,
    SOLO_ROLE,
    Genre,
)
from openchirp.vocabulary import GENRE_ALIASES, contains, find_all, phrases, tag_text

_PITCH = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


@dataclass(frozen=True)
class Style:
    """Every musical decision the tags settle, JSON-serialisable through :meth:`to_dict`."""

    genre: str
    tempo: float
    meter: int
    tonic: int
    """Pitch class of the key (0 = C)."""
    mode: str
    progressions: dict[str, list[str]]
    groove: str
    bass_style: str
    comp_style: str
    instruments: dict[str, int]
    """Role -> GM program; a role absent from the dict does not play."""
    swing: float
    reverb: float
    brightness: float
    vocal_kind: str
    vocal_level_db: float
    energy_bias: int
    drums: bool
    instrumental: bool
    solo: str
    """Role that takes the solo sections ('' for the lead, 'bass' for a bass solo)."""
    chord_rate: int
    tags: list[str] = field(default_factory=list)
    flow: str = "sung"
    """'sung', or 'rap' for genres whose verses are rapped (the choruses stay sung)."""

    @property
    def key_name(self) -> str:
        return NOTE_NAMES[self.tonic]

    @property
    def scale(self) -> tuple[int, ...]:
        return MODES[self.mode]

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo

    @property
    def bar_s(self) -> float:
        return self.meter * 60.0 / self.tempo

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Style:
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        fields["instruments"] = {k: int(v) for k, v in fields["instruments"].items()}
        return cls(**fields)


@dataclass(frozen=True)
class _Tags:
    """The tags and the negative tags as every pass reads them: normalised phrases joined by
    " , " (so that no match runs across two phrases)."""

    text: str
    neg: str


@dataclass(frozen=True)
class _Mood:
    """What the mood words add up to."""

    tempo_factor: float
    mode: str
    """'minor', 'major', a mode's name, or '' (the genre's)."""
    extra: dict[str, Any]
    """Summed numeric effects (reverb, brightness, swing, energy) and named instruments or a
    bass style (pad, keys, bass)."""


@dataclass
class _Band:
    """Who plays and how, built up pass by pass."""

    instruments: dict[str, int]
    bass_style: str
    comp_style: str


def parse_style(
    tags: str,
    negative_tags: str = "",
    *,
    seed: int = 0,
    variant: int = 0,
    instrumental: bool = False,
) -> Style:
    """Build the Style for a request. Never fails on unknown words.

    The passes run in a fixed order: the RNG draws (tempo, mode, tonic, progressions) must come
    in the same sequence for the same request to give the same Style."""
    rng = np.random.default_rng([abs(int(seed)) % (2**63), int(variant), 0x57_71E])
    t = _Tags(tag_text(tags), tag_text(negative_tags))
    genre_key = _genre(t)
    g = GENRES[genre_key]
    mood = _moods(t, genre_key)
    tempo = _tempo(t, g, mood.tempo_factor, rng)
    mode, tonic = _key(t, g, mood.mode, rng)
    progressions = _progressions_for(g, mode, rng)
    band = _band(t, g, mood.extra)
    solo = _solo(t, band)
    drums = _drums(t, g)
    _remove_negated(t, band)
    if (
        "bass" not in band.instruments
        and band.comp_style == "power8"
        and "comp" not in band.instruments
    ):
        band.comp_style = "pad"  # nobody left to chug: hold the chords instead
    extra = mood.extra
    return Style(
        genre=genre_key,
        tempo=tempo,
        meter=_meter(t, g),
        tonic=tonic,
        mode=mode,
        progressions=progressions,
        groove=g.groove if drums else "none",
        bass_style=band.bass_style,
        comp_style=band.comp_style,
        instruments=band.instruments,
        swing=float(np.clip(g.swing + extra.get("swing", 0.0), 0.0, 0.35)),
        reverb=float(np.clip(g.reverb + extra.get("reverb", 0.0), 0.05, 0.8)),
        brightness=float(np.clip(g.brightness + extra.get("brightness", 0.0), -1.0, 1.0)),
        vocal_kind=_vocal_kind(t.text, t.neg, g.vocal, variant),
        vocal_level_db=g.vocal_level_db,
        energy_bias=int(np.clip(round(extra.get("energy", 0)), -1, 1)),
        drums=drums and g.groove != "none",
        instrumental=instrumental or contains(t.text, "instrumental") or contains(t.neg, "vocals"),
        solo=solo,
        chord_rate=g.chord_rate,
        tags=phrases(tags),
        flow=_flow(t, genre_key),
    )


def _genre(t: _Tags) -> str:
    """The genre named first and not banned by the negative tags; pop (or rock) when none."""
    hits = [GENRE_ALIASES[k] for _, k in find_all(t.text, GENRE_ALIASES)]
    banned = {GENRE_ALIASES[k] for _, k in find_all(t.neg, GENRE_ALIASES)}
    hits = [g for g in hits if g not in banned]
    genre = hits[0] if hits else ("pop" if "pop" not in banned else "rock")
    if genre == "cinematic" and len(hits) > 1:
        genre = hits[1]  # "epic reggae" is reggae made epic, not a film score
    return genre


def _moods(t: _Tags, genre: str) -> _Mood:
    """Every mood word not negated: tempo factors multiply, the last mode wins, effects add."""
    moods = [k for _, k in find_all(t.text, MOODS) if not contains(t.neg, k)]
    if genre != "ballad" and contains(t.text, "ballad"):
        moods.append("ballad")  # "folk ballad": folk, played as a ballad
    factor = 1.0
    mode_pref = ""
    extra: dict[str, Any] = {}
    for m in moods:
        f, mode, fx = MOODS[m]
        factor *= f
        mode_pref = mode or mode_pref
        for k, v in fx.items():
            extra[k] = extra.get(k, 0) + v if isinstance(v, int | float) else v
    return _Mood(float(np.clip(factor, 0.7, 1.35)), mode_pref, extra)


def _tempo(t: _Tags, g: Genre, factor: float, rng: np.random.Generator) -> float:
    """Drawn inside the genre's range and scaled by the moods, unless "<n> bpm" says it."""
    lo, hi = g.tempo
    tempo = float(rng.uniform(lo, hi)) * factor  # drawn even when the tags give it: RNG order
    if m := re.search(r"(\d{2,3})\s*bpm", t.text):
        tempo = float(m.group(1))
    return float(np.clip(round(tempo), 50, 200))


def _meter(t: _Tags, g: Genre) -> int:
    if re.search(r"\b(3/4|6/8|waltz)\b", t.text):
        return 3
    if re.search(r"\b4/4\b", t.text):
        return 4
    return g.meter


def _key(t: _Tags, g: Genre, mode_pref: str, rng: np.random.Generator) -> tuple[str, int]:
    """(mode, tonic): one of the genre's modes that fits the moods, on one of its keys, unless
    the tags name a key ("in D minor", "F# maj")."""
    modes = list(g.modes)
    if mode_pref == "minor":
        modes = [m for m in modes if m in MINOR_LIKE] or ["minor"]
    elif mode_pref == "major":
        modes = [m for m in modes if m not in MINOR_LIKE] or ["major"]
    elif mode_pref:
        modes = [mode_pref]
    mode = modes[int(rng.integers(len(modes)))]
    tonic = int(g.keys[int(rng.integers(len(g.keys)))]) if g.keys else int(rng.integers(12))
    if m := re.search(r"\b([a-g])\s?(#|b|sharp|flat)?\s?(major|minor|maj|min|m)\b", t.text):
        accidental = {"#": 1, "sharp": 1, "b": -1, "flat": -1}.get(m.group(2) or "", 0)
        tonic = (_PITCH[m.group(1)] + accidental) % 12
        mode = "major" if m.group(3) in ("major", "maj") else "minor"
    return mode, tonic


def _band(t: _Tags, g: Genre, extra: dict[str, Any]) -> _Band:
    """The genre's band, changed by the moods (a pad, colour keys, a bass style) and then by
    the instrument words of the tags."""
    band = _Band({r: GM[n] for r, n in g.instruments.items() if n}, g.bass, g.comp)
    for role in ("pad", "keys"):
        if isinstance(extra.get(role), str):
            band.instruments[role] = GM[extra[role]]
    if isinstance(extra.get("bass"), str):
        band.bass_style = extra["bass"]
    for _, word in find_all(t.text, INSTRUMENT_WORDS):
        role, prog, style_hint = INSTRUMENT_WORDS[word]
        if contains(t.neg, word) or re.search(r"\bno " + re.escape(word), t.text):
            continue
        if not prog:  # a bare "guitar"/"bass": keep the genre's, or pick a sensible one
            prog = {"comp": "steel_guitar", "bass": "finger_bass"}[role]
            if role in band.instruments and band.instruments[role] in _GUITARS_AND_BASSES:
                prog = ""
        if prog:
            band.instruments[role] = GM[prog]
        if style_hint and role == "comp":
            band.comp_style = style_hint
        elif style_hint and role == "bass":
            band.bass_style = style_hint
    return band


def _solo(t: _Tags, band: _Band) -> str:
    """The role of "<instrument> solo" ('' for none); a lead solo brings its instrument."""
    m = re.search(r"\b(bass|guitar|piano|sax|synth|drum|violin|trumpet)\s+solo\b", t.text)
    if not m:
        return ""
    if m.group(1) in SOLO_PROGRAM:
        band.instruments["lead"] = GM[SOLO_PROGRAM[m.group(1)]]
    return SOLO_ROLE[m.group(1)]


def _drums(t: _Tags, g: Genre) -> bool:
    drums = g.drums
    if re.search(r"\b(drums|beat|percussion|drum kit)\b", t.text) and not contains(t.neg, "drums"):
        drums = True
    if re.search(r"\bno (drums|percussion|beat)\b", t.text) or re.search(
        r"\b(drums|percussion|drum)\b", t.neg
    ):
        drums = False
    return drums


def _remove_negated(t: _Tags, band: _Band) -> None:
    """Remove every role whose instrument the negative tags (or a "no <instrument>") name."""
    instruments = band.instruments
    for _, word in find_all(t.neg, INSTRUMENT_WORDS):
        role, prog, _hint = INSTRUMENT_WORDS[word]
        if role in instruments and (not prog or instruments[role] == GM[prog]):
            del instruments[role]
    for word in re.findall(r"\bno ([a-z0-9 ]+)", t.text):
        for key, (role, prog, _hint) in INSTRUMENT_WORDS.items():
            if (
                word.strip() == key
                and role in instruments
                and (not prog or instruments[role] == GM[prog])
            ):
                del instruments[role]


_RAP_GENRES = {"hiphop", "trap"}


def _flow(t: _Tags, genre: str) -> str:
    if genre in _RAP_GENRES and not re.search(r"\b(sung|singing)\b", t.text):
        return "rap"
    return "sung"


_GUITARS_AND_BASSES = {GM[n] for n in GM if "guitar" in n or "bass" in n}


def _vocal_kind(text: str, neg: str, default: str, variant: int) -> str:
    def said(words: tuple[str, ...], where: str) -> bool:
        return any(contains(where, w) for w in words)

    male, female = said(MALE_WORDS, text), said(FEMALE_WORDS, text)
    if said(MALE_WORDS, neg):
        male, female = False, True
    if said(FEMALE_WORDS, neg):
        male, female = True, False
    if male and female:  # a duet: one clip each
        return "male" if variant % 2 == 0 else "female"
    if male or female:
        return "male" if male else "female"
    return default or ("female" if variant % 2 else "male")


def _tonality_of(progression: str) -> str:
    chords = progression.split()
    if any(re.fullmatch(r"i(m?7|maj7)?", c) for c in chords):
        return "minor"
    if any(re.fullmatch(r"I(7|maj7)?", c) for c in chords):
        return "major"
    return ""


def _progressions_for(g: Genre, mode: str, rng: np.random.Generator) -> dict[str, list[str]]:
    """One progression per section kind, in the tonality of the mode: a minor mode borrows the
    minor tables for major-only genres, so 'sad country' gets minor chords."""
    want = "minor" if mode in MINOR_LIKE else "major"
    fallback = POP_MINOR if want == "minor" else POP_MAJOR
    out = {}
    for kind, options in g.progressions.items():
        fit = [p for p in options if _tonality_of(p) in (want, "")]
        if not fit or not any(_tonality_of(p) == want for p in g.progressions["verse"]):
            fit = list(fallback.get(kind, fallback["verse"]))
        out[kind] = fit[int(rng.integers(len(fit)))].split()
    return out
