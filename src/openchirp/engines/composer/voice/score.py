"""The contract between the composer (which writes melodies) and the voice (which sings them).

The composer turns each lyric line into :class:`Word` s (via ``phonemes.words_of``), puts
every syllable on one or more :class:`SungNote` s, and asks ``singer.sing_phrase`` for the audio
of each phrase. Times are seconds from the start of the clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Syllable:
    text: str
    """The spelling of this piece of the word, for display ("star", "ry")."""
    phonemes: tuple[str, ...]
    """espeak-ng phoneme symbols of the syllable, in order (onset consonants, vowel, coda)."""
    stressed: bool
    vowel_index: int
    """Index into ``phonemes`` of the nucleus: the sound held for the length of the note."""


@dataclass(frozen=True)
class Word:
    text: str
    """The word as written in the lyrics (punctuation stripped), as it appears in word timings."""
    syllables: tuple[Syllable, ...]


@dataclass(frozen=True)
class SungNote:
    start_s: float
    duration_s: float
    midi: float
    """Pitch as a MIDI note number (60 = middle C); fractional values allowed."""
    syllable: Syllable | None
    """The syllable that starts on this note, or None to hold the previous one (melisma)."""
    word_index: int = -1
    """Index of the word this note belongs to inside its phrase."""
    velocity: float = 0.8


@dataclass(frozen=True)
class VoiceSpec:
    kind: str = "female"
    """'male' or 'female': sets the formant scale and the timbre."""
    seed: int = 0
    vibrato_hz: float = 5.5
    vibrato_cents: float = 35.0
    breathiness: float = 0.15
    extra: dict = field(default_factory=dict)
