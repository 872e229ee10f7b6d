"""The composed song as data: style, sections on a bar grid, sung phrases, and the clip window.

A :class:`Song` is everything the renderer needs and nothing more, and it round-trips through the
JSON plan (``plan["song"]``), so a continuation rebuilds its source exactly from the stored plan.
Times are seconds on the *song* timeline; a clip plays ``[offset_s, offset_s + duration_s)`` of it
(``offset_s`` is 0 for a fresh clip and the join point for a continuation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openchirp.engines.composer.style import Style
from openchirp.engines.composer.voice.score import SungNote, Syllable, VoiceSpec

ENGINE_NAME = "composer"
ENGINE_VERSION = "1.0"


@dataclass
class Section:
    kind: str
    label: str
    start_bar: int
    n_bars: int
    lines: list[str]
    energy: int
    chords: list[str]
    """One chord symbol per bar."""
    slot_bars: int
    seed: int
    variant: int
    play_bars: int = -1
    """Bars actually played (a continuation cuts its source's section short); -1: all."""
    hook: list[list[float]] = field(default_factory=list)
    """Lead melody [beat from section start, beats, midi] for sections the lead carries."""
    ending: bool = False
    soloist: str = ""
    """Role playing a solo over this section ('lead', 'bass') or ''."""
    next_chord: str = ""
    """First chord of the section that followed this one when it was composed ('' if none):
    fixed then, so a continuation replays the approach notes and fills its source played."""

    @property
    def bars_played(self) -> int:
        return self.n_bars if self.play_bars < 0 else min(self.play_bars, self.n_bars)

    @property
    def end_bar(self) -> int:
        return self.start_bar + self.bars_played

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Section:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class Phrase:
    section: int
    line: str
    words: list[str]
    notes: list[SungNote]
    own: bool = True
    """False for a source phrase a continuation re-sings only to reproduce its run-in."""
    harmony: list[float] = field(default_factory=list)
    """Semitones from each note to a backing voice's note (diatonic thirds); empty: none."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "line": self.line,
            "words": self.words,
            "own": self.own,
            "notes": [_note_to_list(n) for n in self.notes],
            "harmony": list(self.harmony),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phrase:
        return cls(
            d["section"],
            d["line"],
            list(d["words"]),
            [_note_from_list(x) for x in d["notes"]],
            bool(d.get("own", True)),
            [float(x) for x in d.get("harmony", [])],
        )


def _note_to_list(n: SungNote) -> list[Any]:
    s = n.syllable
    syl = None if s is None else [s.text, list(s.phonemes), s.stressed, s.vowel_index]
    return [round(n.start_s, 6), round(n.duration_s, 6), n.midi, syl, n.word_index, n.velocity]


def _note_from_list(x: list[Any]) -> SungNote:
    start, dur, midi, syl, word_index, vel = x
    syllable = None if syl is None else Syllable(syl[0], tuple(syl[1]), bool(syl[2]), int(syl[3]))
    return SungNote(float(start), float(dur), float(midi), syllable, int(word_index), float(vel))


@dataclass
class Song:
    style: Style
    sections: list[Section]
    phrases: list[Phrase]
    voice: VoiceSpec
    seed: int
    variant: int
    offset_s: float
    """Song time at which this clip starts."""
    duration_s: float
    """Length of this clip."""
    fade_out_s: float = 0.0
    """Fade at the clip's end (when max_duration cut the song short)."""
    master_gain_db: float | None = None
    vocal_gain_db: float | None = None
    """Target loudness (LUFS before the master gain) every sung phrase is normalised to."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """Continuations this song went through: [{"continue_at", "offset_s"}, ...]."""
    gain_curve: list[list[float]] = field(default_factory=list)
    """Master gain breakpoints [[song time s, dB], ...], linear between, held beyond; empty:
    ``master_gain_db`` throughout. A continuation keeps its source's gain up to the join and
    glides to its own calibrated gain over the first bars of the new part."""
    ramp_from_s: float | None = None
    """Song time where a continuation's new material starts (where its gain glide begins)."""
    sung: dict[tuple[int, float], tuple[int, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Phrases rendered while calibrating, (index, vocal gain) -> (start, audio): the render
    takes them from here instead of singing them again."""

    def gain_db_at(self, t: np.ndarray) -> np.ndarray:
        if not self.gain_curve:
            return np.full(len(t), self.master_gain_db or 0.0)
        times = [p[0] for p in self.gain_curve]
        gains = [p[1] for p in self.gain_curve]
        return np.interp(t, times, gains)

    @property
    def bar_s(self) -> float:
        return self.style.bar_s

    @property
    def end_s(self) -> float:
        return self.offset_s + self.duration_s

    def beat_time(self, beat: float) -> float:
        """Song time of a beat, with swing on the off-beat eighths."""
        return float(self.beat_times(np.array([beat], np.float64))[0])

    def beat_times(self, beats: np.ndarray) -> np.ndarray:
        """Song times of many beats at once: one arithmetic for sung notes and the band, so
        the two can never drift apart."""
        sw = self.style.swing
        b = np.asarray(beats, np.float64)
        whole = np.floor(b)
        frac = b - whole
        if sw > 0:
            mid = 0.5 + sw / 2
            swung = np.where(frac <= 0.5, frac / 0.5 * mid, mid + (frac - 0.5) / 0.5 * (1 - mid))
            frac = np.where((frac > 0) & (frac < 1), swung, frac)
        return (whole + frac) * self.style.beat_s

    def last_bar(self) -> int:
        return max((s.end_bar for s in self.sections), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "style": self.style.to_dict(),
            "sections": [s.to_dict() for s in self.sections],
            "phrases": [p.to_dict() for p in self.phrases],
            "voice": {
                "kind": self.voice.kind,
                "seed": self.voice.seed,
                "vibrato_hz": self.voice.vibrato_hz,
                "vibrato_cents": self.voice.vibrato_cents,
                "breathiness": self.voice.breathiness,
                "extra": dict(self.voice.extra),
            },
            "seed": self.seed,
            "variant": self.variant,
            "offset_s": self.offset_s,
            "duration_s": self.duration_s,
            "fade_out_s": self.fade_out_s,
            "master_gain_db": self.master_gain_db,
            "vocal_gain_db": self.vocal_gain_db,
            "history": list(self.history),
            "gain_curve": [list(p) for p in self.gain_curve],
            "ramp_from_s": self.ramp_from_s,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Song:
        v = d["voice"]
        return cls(
            style=Style.from_dict(d["style"]),
            sections=[Section.from_dict(s) for s in d["sections"]],
            phrases=[Phrase.from_dict(p) for p in d["phrases"]],
            voice=VoiceSpec(
                v["kind"],
                int(v["seed"]),
                float(v["vibrato_hz"]),
                float(v["vibrato_cents"]),
                float(v["breathiness"]),
                dict(v.get("extra", {})),
            ),
            seed=int(d["seed"]),
            variant=int(d["variant"]),
            offset_s=float(d["offset_s"]),
            duration_s=float(d["duration_s"]),
            fade_out_s=float(d.get("fade_out_s", 0.0)),
            master_gain_db=d.get("master_gain_db"),
            vocal_gain_db=d.get("vocal_gain_db"),
            history=list(d.get("history", [])),
            gain_curve=[[float(a), float(b)] for a, b in d.get("gain_curve", [])],
            ramp_from_s=d.get("ramp_from_s"),
        )
