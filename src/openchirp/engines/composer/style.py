"""Free-text style tags -> a Style: tempo, meter, key, harmony, grooves, instruments, voice, mix.

Tags are matched against tables of genres (with their common spellings), moods, instrument words
and a few explicit settings ("120 bpm", "in D minor", "3/4", "male vocals"). Unknown words are
ignored; ``negative_tags`` remove what they name. The choices left open by the tags (exact tempo
inside the genre's range, key, which progression) are drawn from an RNG seeded by (seed, variant),
so the same request always yields the same Style and the two clips of a request differ.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

# General MIDI programs (0-based) used below, by name, so the tables read as music.
GM = {
    "piano": 0,
    "bright_piano": 1,
    "epiano": 4,
    "epiano2": 5,
    "harpsichord": 6,
    "glockenspiel": 9,
    "music_box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "bells": 14,
    "organ": 16,
    "perc_organ": 17,
    "rock_organ": 18,
    "church_organ": 19,
    "accordion": 21,
    "harmonica": 22,
    "nylon_guitar": 24,
    "steel_guitar": 25,
    "jazz_guitar": 26,
    "clean_guitar": 27,
    "muted_guitar": 28,
    "overdrive_guitar": 29,
    "distortion_guitar": 30,
    "acoustic_bass": 32,
    "finger_bass": 33,
    "pick_bass": 34,
    "fretless_bass": 35,
    "slap_bass": 36,
    "synth_bass": 38,
    "synth_bass2": 39,
    "violin": 40,
    "cello": 42,
    "tremolo_strings": 44,
    "pizzicato": 45,
    "harp": 46,
    "timpani": 47,
    "strings": 48,
    "slow_strings": 49,
    "synth_strings": 50,
    "choir": 52,
    "voice_oohs": 53,
    "synth_voice": 54,
    "trumpet": 56,
    "trombone": 57,
    "french_horn": 60,
    "brass": 61,
    "synth_brass": 62,
    "alto_sax": 65,
    "tenor_sax": 66,
    "clarinet": 71,
    "flute": 73,
    "pan_flute": 75,
    "square_lead": 80,
    "saw_lead": 81,
    "chiff_lead": 83,
    "charang": 84,
    "fifths_lead": 86,
    "bass_lead": 87,
    "new_age_pad": 88,
    "warm_pad": 89,
    "poly_pad": 90,
    "choir_pad": 91,
    "halo_pad": 94,
    "sweep_pad": 95,
    "sitar": 104,
    "banjo": 105,
    "kalimba": 108,
    "fiddle": 110,
    "steel_drums": 114,
}

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
}
MINOR_LIKE = {"minor", "dorian", "phrygian", "harmonic_minor"}

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_PITCH = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


@dataclass(frozen=True)
class Genre:
    """A genre template: ranges and vocabularies the Style is drawn from."""

    tempo: tuple[int, int]
    modes: tuple[str, ...]
    progressions: dict[str, tuple[str, ...]]
    """Section kind ('verse', 'chorus', 'bridge') -> progressions (roman numerals, one per bar)."""
    groove: str
    bass: str
    comp: str
    instruments: dict[str, str]
    """Role -> GM name. Roles: bass, comp, pad, lead, keys."""
    meter: int = 4
    swing: float = 0.0
    reverb: float = 0.25
    brightness: float = 0.0
    """-1 dark .. +1 bright: a shelf on the instrumental bus."""
    vocal: str = ""
    vocal_level_db: float = 0.0
    keys: tuple[int, ...] = ()
    """Preferred tonic pitch classes (guitar-friendly keys for rock and metal)."""
    drums: bool = True
    chord_rate: int = 1
    """Chords per bar (2 at slow tempos in some genres)."""


_POP_MAJ = {
    "verse": ("vi IV I V", "I V vi IV", "I vi IV V", "IV I V vi"),
    "chorus": ("I V vi IV", "IV I V vi", "vi IV I V", "I IV vi V"),
    "bridge": ("ii IV vi V", "IV V iii vi", "vi V IV V"),
}
_POP_MIN = {
    "verse": ("i bVI bIII bVII", "i iv bVI bVII", "i bVII bVI bVII"),
    "chorus": ("bVI bVII i i", "bIII bVII i bVI", "i bVI bIII bVII"),
    "bridge": ("iv bVI bVII v", "bVI bIII bVII iv"),
}
_METAL = {
    "verse": ("i i bVI bVII", "i bII i bVII", "i bVII bVI bVII", "i i iv bVI"),
    "chorus": ("bVI bVII i i", "i bVI bIII bVII", "bVI bVII bIII bVI"),
    "bridge": ("iv bVI bVII v", "bII bII i i", "bVI bVI bVII bVII"),
}
_ROCK = {
    "verse": ("I bVII IV I", "I IV V IV", "I V IV IV", "vi IV I V"),
    "chorus": ("IV I V vi", "I V vi IV", "I IV V V", "bVI bVII I I"),
    "bridge": ("vi IV V V", "IV IV V V", "ii IV V V"),
}
_JAZZ = {
    "verse": ("ii7 V7 Imaj7 vi7", "Imaj7 vi7 ii7 V7", "iii7 vi7 ii7 V7"),
    "chorus": ("IVmaj7 iii7 ii7 V7", "Imaj7 IVmaj7 ii7 V7", "ii7 V7 Imaj7 Imaj7"),
    "bridge": ("iv7 bVII7 Imaj7 vi7", "ii7 V7 iii7 VI7"),
}
_BLUES = {
    "verse": ("I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7",),
    "chorus": ("IV7 IV7 I7 I7 V7 IV7 I7 V7",),
    "bridge": ("IV7 IV7 I7 I7",),
}
_FUNK = {
    "verse": ("i7 i7 IV7 i7", "i7 iv7 i7 bVII", "i7 i7 i7 IV7"),
    "chorus": ("bIII bVII IV7 i7", "iv7 bVII7 i7 i7", "i7 IV7 i7 IV7"),
    "bridge": ("bVI7 bVII7 i7 i7", "iv7 iv7 bVII7 bVII7"),
}
_REGGAE = {
    "verse": ("I IV I V", "I V vi IV", "I I IV IV", "i iv i iv"),
    "chorus": ("IV V I vi", "I IV V IV", "ii V I I"),
    "bridge": ("vi IV I V", "IV IV V V"),
}
_FOLK = {
    "verse": ("I IV I V", "I V IV I", "I vi IV V", "vi IV I V"),
    "chorus": ("IV I V I", "I V vi IV", "IV V I I"),
    "bridge": ("vi IV V V", "ii V I vi"),
}
_EPIC = {
    "verse": ("i bVI bIII bVII", "i iv bVI V", "i bVI bVII i"),
    "chorus": ("bVI bVII i i", "bVI bIII bVII i", "i bVI bIII bVII"),
    "bridge": ("iv bVI bVII V", "bVI bVI bVII bVII"),
}
_AMBIENT = {
    "verse": ("Imaj7 IVmaj7", "Imaj7 vi7 IVmaj7 IVmaj7", "i7 bVImaj7"),
    "chorus": ("IVmaj7 Imaj7 vi7 V", "vi7 IVmaj7 Imaj7 V"),
    "bridge": ("ii7 IVmaj7", "vi7 V"),
}
_LOFI = {
    "verse": ("ii7 V7 Imaj7 vi7", "IVmaj7 iii7 vi7 V7", "Imaj7 vi7 ii7 V7"),
    "chorus": ("IVmaj7 V7 iii7 vi7", "ii7 iii7 IVmaj7 V7"),
    "bridge": ("vi7 ii7 V7 Imaj7",),
}
_GOSPEL = {
    "verse": ("I IV I V", "I iii IV V", "I vi ii V"),
    "chorus": ("IV V iii vi", "IV I V vi", "I IV I V"),
    "bridge": ("ii V I vi", "IV V I I"),
}
_LATIN = {
    "verse": ("i iv V i", "i bVII bVI V", "Imaj7 ii7 V7 Imaj7"),
    "chorus": ("i iv bVII bIII", "iv V i i", "ii7 V7 Imaj7 vi7"),
    "bridge": ("bVI bVII i i",),
}

GENRES: dict[str, Genre] = {
    "pop": Genre(
        (96, 124),
        ("major", "minor"),
        _POP_MAJ,
        "pop",
        "follow",
        "block",
        {"bass": "finger_bass", "comp": "piano", "pad": "warm_pad", "lead": "saw_lead"},
        reverb=0.25,
        brightness=0.3,
    ),
    "rock": Genre(
        (108, 140),
        ("major", "mixolydian"),
        _ROCK,
        "rock",
        "root8",
        "power8",
        {
            "bass": "pick_bass",
            "comp": "overdrive_guitar",
            "pad": "rock_organ",
            "lead": "overdrive_guitar",
        },
        reverb=0.2,
        brightness=0.2,
        vocal="male",
        keys=(4, 9, 2, 7),
    ),
    "metal": Genre(
        (140, 164),
        ("minor", "phrygian"),
        _METAL,
        "metal",
        "root8",
        "power8",
        {
            "bass": "pick_bass",
            "comp": "distortion_guitar",
            "pad": "",  # strings come with "epic"/"symphonic"
            "lead": "distortion_guitar",
        },
        reverb=0.2,
        brightness=0.1,
        vocal="male",
        vocal_level_db=-1.0,
        keys=(4, 2, 1, 9),
    ),
    "punk": Genre(
        (160, 190),
        ("major",),
        _ROCK,
        "punk",
        "root8",
        "power8",
        {"bass": "pick_bass", "comp": "distortion_guitar", "pad": "", "lead": "overdrive_guitar"},
        reverb=0.12,
        brightness=0.3,
        vocal="male",
        keys=(4, 9, 2, 7),
    ),
    "grunge": Genre(
        (100, 128),
        ("minor", "dorian"),
        _METAL,
        "rock",
        "root8",
        "power8",
        {"bass": "pick_bass", "comp": "distortion_guitar", "pad": "", "lead": "overdrive_guitar"},
        reverb=0.2,
        vocal="male",
        keys=(4, 2),
    ),
    "indie": Genre(
        (100, 130),
        ("major", "minor"),
        _FOLK,
        "rock",
        "follow",
        "strum",
        {"bass": "finger_bass", "comp": "clean_guitar", "pad": "warm_pad", "lead": "clean_guitar"},
        reverb=0.3,
        brightness=0.2,
    ),
    "folk": Genre(
        (84, 112),
        ("major",),
        _FOLK,
        "folk",
        "rootfifth",
        "strum",
        {
            "bass": "acoustic_bass",
            "comp": "steel_guitar",
            "pad": "",
            "lead": "fiddle",
            "keys": "harmonica",
        },
        reverb=0.25,
        brightness=0.1,
        keys=(7, 2, 9, 0, 4),
    ),
    "country": Genre(
        (96, 124),
        ("major",),
        _FOLK,
        "country",
        "rootfifth",
        "strum",
        {
            "bass": "acoustic_bass",
            "comp": "steel_guitar",
            "pad": "",
            "lead": "fiddle",
            "keys": "banjo",
        },
        reverb=0.2,
        brightness=0.2,
        keys=(7, 2, 9, 4),
    ),
    "blues": Genre(
        (72, 100),
        ("mixolydian",),
        _BLUES,
        "shuffle",
        "walking",
        "block",
        {"bass": "acoustic_bass", "comp": "piano", "pad": "organ", "lead": "overdrive_guitar"},
        swing=0.3,
        reverb=0.25,
        keys=(4, 9, 7),
    ),
    "jazz": Genre(
        (100, 160),
        ("major",),
        _JAZZ,
        "swing",
        "walking",
        "jazz",
        {"bass": "acoustic_bass", "comp": "piano", "pad": "", "lead": "tenor_sax"},
        swing=0.33,
        reverb=0.3,
        brightness=-0.1,
    ),
    "soul": Genre(
        (70, 100),
        ("major", "dorian"),
        _GOSPEL,
        "soul",
        "follow",
        "block",
        {"bass": "finger_bass", "comp": "epiano", "pad": "organ", "lead": "brass"},
        swing=0.12,
        reverb=0.3,
    ),
    "rnb": Genre(
        (64, 96),
        ("minor", "dorian"),
        _LOFI,
        "rnb",
        "follow",
        "block",
        {"bass": "synth_bass2", "comp": "epiano", "pad": "warm_pad", "lead": "synth_voice"},
        swing=0.15,
        reverb=0.3,
        vocal="female",
    ),
    "hiphop": Genre(
        (84, 98),
        ("minor", "dorian"),
        _POP_MIN,
        "boombap",
        "follow",
        "block",
        {"bass": "synth_bass", "comp": "epiano", "pad": "warm_pad", "lead": "square_lead"},
        swing=0.18,
        reverb=0.15,
        vocal="male",
        vocal_level_db=1.0,
    ),
    "trap": Genre(
        (130, 150),
        ("minor", "harmonic_minor"),
        _POP_MIN,
        "trap",
        "808",
        "pad",
        {"bass": "synth_bass", "comp": "", "pad": "warm_pad", "lead": "bells"},
        reverb=0.2,
        vocal="male",
        vocal_level_db=1.0,
    ),
    "lofi": Genre(
        (70, 88),
        ("major",),
        _LOFI,
        "lofi",
        "follow",
        "block",
        {"bass": "finger_bass", "comp": "epiano", "pad": "warm_pad", "lead": "vibraphone"},
        swing=0.22,
        reverb=0.35,
        brightness=-0.6,
    ),
    "edm": Genre(
        (122, 130),
        ("minor", "major"),
        _POP_MIN,
        "four",
        "octave",
        "stab",
        {"bass": "synth_bass2", "comp": "poly_pad", "pad": "sweep_pad", "lead": "saw_lead"},
        reverb=0.3,
        brightness=0.4,
    ),
    "house": Genre(
        (120, 126),
        ("minor", "dorian"),
        _LOFI,
        "house",
        "octave",
        "stab",
        {"bass": "synth_bass", "comp": "piano", "pad": "warm_pad", "lead": "square_lead"},
        reverb=0.25,
        brightness=0.3,
    ),
    "techno": Genre(
        (126, 136),
        ("minor", "phrygian"),
        _METAL,
        "techno",
        "synth16",
        "stab",
        {"bass": "synth_bass2", "comp": "poly_pad", "pad": "halo_pad", "lead": "square_lead"},
        reverb=0.3,
        brightness=0.2,
    ),
    "trance": Genre(
        (132, 140),
        ("minor",),
        _EPIC,
        "four",
        "synth16",
        "arp",
        {"bass": "synth_bass2", "comp": "saw_lead", "pad": "sweep_pad", "lead": "saw_lead"},
        reverb=0.4,
        brightness=0.4,
    ),
    "dubstep": Genre(
        (138, 142),
        ("minor", "phrygian"),
        _METAL,
        "halftime",
        "808",
        "stab",
        {"bass": "synth_bass2", "comp": "synth_brass", "pad": "halo_pad", "lead": "saw_lead"},
        reverb=0.25,
        brightness=0.2,
    ),
    "dnb": Genre(
        (168, 176),
        ("minor",),
        _POP_MIN,
        "dnb",
        "sustain",
        "pad",
        {"bass": "synth_bass2", "comp": "", "pad": "warm_pad", "lead": "saw_lead"},
        reverb=0.3,
        brightness=0.3,
    ),
    "synthwave": Genre(
        (96, 118),
        ("minor",),
        _POP_MIN,
        "synthwave",
        "octave",
        "arp",
        {"bass": "synth_bass", "comp": "poly_pad", "pad": "warm_pad", "lead": "saw_lead"},
        reverb=0.45,
        brightness=0.2,
    ),
    "disco": Genre(
        (114, 124),
        ("minor", "dorian"),
        _FUNK,
        "disco",
        "octave",
        "rhythm16",
        {"bass": "finger_bass", "comp": "muted_guitar", "pad": "strings", "lead": "brass"},
        reverb=0.25,
        brightness=0.3,
    ),
    "funk": Genre(
        (96, 112),
        ("dorian", "mixolydian"),
        _FUNK,
        "funk",
        "funk",
        "rhythm16",
        {"bass": "slap_bass", "comp": "muted_guitar", "pad": "epiano", "lead": "brass"},
        swing=0.08,
        reverb=0.18,
        brightness=0.3,
    ),
    "reggae": Genre(
        (70, 84),
        ("major", "minor"),
        _REGGAE,
        "onedrop",
        "reggae",
        "skank",
        {"bass": "finger_bass", "comp": "clean_guitar", "pad": "organ", "lead": "brass"},
        swing=0.15,
        reverb=0.3,
        vocal="male",
    ),
    "ska": Genre(
        (140, 170),
        ("major",),
        _REGGAE,
        "ska",
        "walking",
        "skank",
        {"bass": "finger_bass", "comp": "clean_guitar", "pad": "organ", "lead": "trumpet"},
        reverb=0.2,
        brightness=0.3,
    ),
    "latin": Genre(
        (88, 104),
        ("minor",),
        _LATIN,
        "dembow",
        "tumbao",
        "strum",
        {"bass": "finger_bass", "comp": "nylon_guitar", "pad": "", "lead": "trumpet"},
        reverb=0.25,
    ),
    "bossa": Genre(
        (120, 140),
        ("major",),
        _JAZZ,
        "bossa",
        "rootfifth",
        "jazz",
        {"bass": "acoustic_bass", "comp": "nylon_guitar", "pad": "", "lead": "flute"},
        reverb=0.3,
        brightness=-0.2,
    ),
    "kpop": Genre(
        (112, 128),
        ("minor", "major"),
        _POP_MIN,
        "pop",
        "octave",
        "stab",
        {"bass": "synth_bass2", "comp": "piano", "pad": "poly_pad", "lead": "saw_lead"},
        reverb=0.25,
        brightness=0.5,
        vocal="female",
    ),
    "jpop": Genre(
        (128, 150),
        ("major",),
        _POP_MAJ,
        "rock",
        "root8",
        "block",
        {"bass": "pick_bass", "comp": "piano", "pad": "strings", "lead": "overdrive_guitar"},
        reverb=0.25,
        brightness=0.4,
        vocal="female",
    ),
    "gospel": Genre(
        (68, 96),
        ("major",),
        _GOSPEL,
        "soul",
        "follow",
        "block",
        {"bass": "finger_bass", "comp": "piano", "pad": "church_organ", "lead": "choir"},
        swing=0.15,
        reverb=0.4,
    ),
    "ballad": Genre(
        (62, 80),
        ("major", "minor"),
        _POP_MAJ,
        "ballad",
        "sustain",
        "arp",
        {"bass": "fretless_bass", "comp": "piano", "pad": "slow_strings", "lead": "strings"},
        reverb=0.4,
        brightness=-0.1,
    ),
    "acoustic": Genre(
        (80, 110),
        ("major",),
        _FOLK,
        "folk",
        "rootfifth",
        "strum",
        {"bass": "acoustic_bass", "comp": "steel_guitar", "pad": "", "lead": "nylon_guitar"},
        reverb=0.3,
    ),
    "orchestral": Genre(
        (70, 100),
        ("minor", "major"),
        _EPIC,
        "orchestral",
        "sustain",
        "pad",
        {
            "bass": "cello",
            "comp": "tremolo_strings",
            "pad": "strings",
            "lead": "french_horn",
            "keys": "choir",
        },
        reverb=0.5,
        brightness=0.0,
    ),
    "ambient": Genre(
        (60, 80),
        ("major", "dorian"),
        _AMBIENT,
        "none",
        "sustain",
        "arp",
        {"bass": "fretless_bass", "comp": "epiano", "pad": "halo_pad", "lead": "new_age_pad"},
        reverb=0.6,
        brightness=-0.2,
        drums=False,
    ),
    "classical": Genre(
        (72, 110),
        ("major", "minor"),
        _FOLK,
        "none",
        "sustain",
        "arp",
        {"bass": "cello", "comp": "piano", "pad": "strings", "lead": "violin"},
        reverb=0.45,
        drums=False,
    ),
    "waltz": Genre(
        (84, 112),
        ("major",),
        _FOLK,
        "waltz",
        "rootfifth",
        "block",
        {"bass": "acoustic_bass", "comp": "piano", "pad": "strings", "lead": "violin"},
        meter=3,
        reverb=0.35,
    ),
    "afrobeat": Genre(
        (100, 116),
        ("dorian", "mixolydian"),
        _FUNK,
        "afro",
        "funk",
        "rhythm16",
        {"bass": "finger_bass", "comp": "clean_guitar", "pad": "organ", "lead": "brass"},
        reverb=0.2,
        brightness=0.2,
    ),
    "electronic": Genre(
        (110, 128),
        ("minor",),
        _POP_MIN,
        "electro",
        "octave",
        "arp",
        {"bass": "synth_bass", "comp": "poly_pad", "pad": "warm_pad", "lead": "square_lead"},
        reverb=0.35,
        brightness=0.2,
    ),
    "emo": Genre(
        (140, 170),
        ("major", "minor"),
        _POP_MAJ,
        "punk",
        "root8",
        "power8",
        {"bass": "pick_bass", "comp": "distortion_guitar", "pad": "", "lead": "clean_guitar"},
        reverb=0.2,
        vocal="male",
    ),
    "doom": Genre(
        (60, 76),
        ("minor", "phrygian"),
        _METAL,
        "halftime",
        "sustain",
        "power8",
        {
            "bass": "pick_bass",
            "comp": "distortion_guitar",
            "pad": "choir",
            "lead": "distortion_guitar",
        },
        reverb=0.4,
        vocal="male",
        keys=(4, 2, 0),
    ),
    "cinematic": Genre(
        (80, 100),
        ("minor",),
        _EPIC,
        "orchestral",
        "sustain",
        "pad",
        {
            "bass": "cello",
            "comp": "tremolo_strings",
            "pad": "strings",
            "lead": "french_horn",
            "keys": "choir",
        },
        reverb=0.55,
    ),
    "chillwave": Genre(
        (84, 100),
        ("major",),
        _AMBIENT,
        "lofi",
        "follow",
        "arp",
        {"bass": "synth_bass", "comp": "epiano", "pad": "warm_pad", "lead": "chiff_lead"},
        swing=0.1,
        reverb=0.5,
        brightness=-0.3,
    ),
}

# Spellings -> genre key. Multi-word names are matched before single words.
GENRE_ALIASES: dict[str, str] = {
    "pop": "pop",
    "dance pop": "pop",
    "synthpop": "electronic",
    "synth pop": "electronic",
    "electropop": "electronic",
    "rock": "rock",
    "hard rock": "rock",
    "classic rock": "rock",
    "alternative": "indie",
    "alt rock": "indie",
    "alternative rock": "indie",
    "indie": "indie",
    "indie rock": "indie",
    "indie pop": "indie",
    "heavy metal": "metal",
    "metal": "metal",
    "thrash": "metal",
    "thrash metal": "metal",
    "power metal": "metal",
    "metalcore": "metal",
    "death metal": "metal",
    "nu metal": "metal",
    "doom": "doom",
    "doom metal": "doom",
    "punk": "punk",
    "pop punk": "punk",
    "punk rock": "punk",
    "grunge": "grunge",
    "emo": "emo",
    "folk": "folk",
    "indie folk": "folk",
    "country": "country",
    "bluegrass": "country",
    "americana": "country",
    "blues": "blues",
    "jazz": "jazz",
    "swing": "jazz",
    "bebop": "jazz",
    "smooth jazz": "jazz",
    "soul": "soul",
    "neo soul": "soul",
    "motown": "soul",
    "r&b": "rnb",
    "rnb": "rnb",
    "r n b": "rnb",
    "rhythm and blues": "rnb",
    "hip hop": "hiphop",
    "hip-hop": "hiphop",
    "hiphop": "hiphop",
    "rap": "hiphop",
    "boom bap": "hiphop",
    "trap": "trap",
    "drill": "trap",
    "lo-fi": "lofi",
    "lofi": "lofi",
    "lo fi": "lofi",
    "chillhop": "lofi",
    "edm": "edm",
    "electro": "electronic",
    "electronic": "electronic",
    "electronica": "electronic",
    "dance": "edm",
    "house": "house",
    "deep house": "house",
    "techno": "techno",
    "trance": "trance",
    "dubstep": "dubstep",
    "drum and bass": "dnb",
    "drum & bass": "dnb",
    "drum n bass": "dnb",
    "drum'n'bass": "dnb",
    "dnb": "dnb",
    "d&b": "dnb",
    "jungle": "dnb",
    "synthwave": "synthwave",
    "synth wave": "synthwave",
    "retrowave": "synthwave",
    "outrun": "synthwave",
    "vaporwave": "chillwave",
    "chillwave": "chillwave",
    "disco": "disco",
    "nu disco": "disco",
    "funk": "funk",
    "funky": "funk",
    "reggae": "reggae",
    "dub": "reggae",
    "ska": "ska",
    "latin": "latin",
    "reggaeton": "latin",
    "salsa": "latin",
    "bossa nova": "bossa",
    "bossa": "bossa",
    "samba": "bossa",
    "k-pop": "kpop",
    "kpop": "kpop",
    "k pop": "kpop",
    "j-pop": "jpop",
    "jpop": "jpop",
    "j pop": "jpop",
    "anime": "jpop",
    "j-rock": "jpop",
    "gospel": "gospel",
    "worship": "gospel",
    "ballad": "ballad",
    "power ballad": "ballad",
    "acoustic": "acoustic",
    "singer-songwriter": "acoustic",
    "singer songwriter": "acoustic",
    "orchestral": "orchestral",
    "symphonic": "orchestral",
    "symphonic metal": "metal",
    "orchestra": "orchestral",
    "cinematic": "cinematic",
    "soundtrack": "cinematic",
    "film score": "cinematic",
    "epic": "cinematic",
    "ambient": "ambient",
    "new age": "ambient",
    "meditation": "ambient",
    "classical": "classical",
    "baroque": "classical",
    "waltz": "waltz",
    "afrobeat": "afrobeat",
    "afrobeats": "afrobeat",
    "afro": "afrobeat",
    "amapiano": "afrobeat",
    "grime": "hiphop",
    "phonk": "trap",
    "shoegaze": "indie",
    "dream pop": "chillwave",
    "city pop": "disco",
    "europop": "edm",
    "eurodance": "edm",
    "big room": "edm",
    "future bass": "edm",
}

# Mood words: (tempo factor, mode family or "", extra effects).
MOODS: dict[str, tuple[float, str, dict[str, Any]]] = {
    "sad": (0.9, "minor", {"reverb": 0.1}),
    "melancholic": (0.9, "minor", {"reverb": 0.1}),
    "melancholy": (0.9, "minor", {"reverb": 0.1}),
    "somber": (0.88, "minor", {}),
    "dark": (0.97, "minor", {"brightness": -0.3}),
    "moody": (0.97, "minor", {"brightness": -0.2, "reverb": 0.1}),
    "haunting": (0.92, "minor", {"reverb": 0.2}),
    "mysterious": (0.95, "dorian", {"reverb": 0.15}),
    "happy": (1.06, "major", {"brightness": 0.2}),
    "upbeat": (1.08, "major", {"brightness": 0.2}),
    "uplifting": (1.04, "major", {"reverb": 0.1}),
    "cheerful": (1.06, "major", {"brightness": 0.2}),
    "joyful": (1.06, "major", {"brightness": 0.2}),
    "bright": (1.02, "major", {"brightness": 0.3}),
    "hopeful": (1.0, "major", {}),
    "romantic": (0.94, "major", {"pad": "strings"}),
    "epic": (1.0, "", {"pad": "strings", "keys": "choir", "reverb": 0.15}),
    "symphonic": (1.0, "", {"pad": "strings", "keys": "choir", "reverb": 0.1}),
    "anthemic": (1.0, "", {"pad": "strings", "reverb": 0.1}),
    "chill": (0.9, "", {"reverb": 0.1, "energy": -1}),
    "relaxed": (0.88, "", {"energy": -1}),
    "relaxing": (0.88, "", {"energy": -1}),
    "mellow": (0.9, "", {"brightness": -0.2, "energy": -1}),
    "calm": (0.86, "", {"energy": -1}),
    "dreamy": (0.92, "", {"reverb": 0.25, "brightness": -0.1}),
    "soft": (0.92, "", {"energy": -1, "brightness": -0.2}),
    "gentle": (0.9, "", {"energy": -1}),
    "aggressive": (1.06, "minor", {"brightness": 0.2, "energy": 1}),
    "angry": (1.06, "minor", {"energy": 1}),
    "heavy": (1.0, "minor", {"energy": 1}),
    "energetic": (1.1, "", {"energy": 1}),
    "powerful": (1.02, "", {"energy": 1}),
    "intense": (1.05, "", {"energy": 1}),
    "groovy": (1.0, "", {"swing": 0.08}),
    "funky": (1.0, "dorian", {"bass": "funk"}),
    "fast": (1.2, "", {}),
    "slow": (0.8, "", {}),
    "ballad": (0.78, "", {"reverb": 0.1, "energy": -1}),
    "nostalgic": (0.95, "", {"reverb": 0.1}),
    "emotional": (0.93, "", {"reverb": 0.1}),
}

# Instrument words -> (role, GM name, optional comp/bass style).
INSTRUMENT_WORDS: dict[str, tuple[str, str, str]] = {
    "piano": ("comp", "piano", "block"),
    "grand piano": ("comp", "piano", "block"),
    "electric piano": ("comp", "epiano", "block"),
    "rhodes": ("comp", "epiano", "block"),
    "keys": ("comp", "epiano", "block"),
    "organ": ("pad", "organ", ""),
    "hammond": ("pad", "rock_organ", ""),
    "church organ": ("pad", "church_organ", ""),
    "acoustic guitar": ("comp", "steel_guitar", "strum"),
    "nylon guitar": ("comp", "nylon_guitar", "strum"),
    "classical guitar": ("comp", "nylon_guitar", "strum"),
    "electric guitar": ("comp", "overdrive_guitar", "power8"),
    "distorted guitar": ("comp", "distortion_guitar", "power8"),
    "guitar": ("comp", "", ""),
    "guitars": ("comp", "", ""),
    "clean guitar": ("comp", "clean_guitar", "strum"),
    "strings": ("pad", "strings", ""),
    "string": ("pad", "strings", ""),
    "violin": ("lead", "violin", ""),
    "cello": ("lead", "cello", ""),
    "fiddle": ("lead", "fiddle", ""),
    "synth": ("pad", "poly_pad", ""),
    "synths": ("pad", "poly_pad", ""),
    "synthesizer": ("pad", "poly_pad", ""),
    "pad": ("pad", "warm_pad", ""),
    "pads": ("pad", "warm_pad", ""),
    "808": ("bass", "synth_bass", "808"),
    "808s": ("bass", "synth_bass", "808"),
    "bass": ("bass", "", ""),
    "bass guitar": ("bass", "finger_bass", ""),
    "slap bass": ("bass", "slap_bass", "funk"),
    "synth bass": ("bass", "synth_bass2", ""),
    "upright bass": ("bass", "acoustic_bass", "walking"),
    "double bass": ("bass", "acoustic_bass", "walking"),
    "sax": ("lead", "tenor_sax", ""),
    "saxophone": ("lead", "tenor_sax", ""),
    "trumpet": ("lead", "trumpet", ""),
    "horns": ("lead", "brass", ""),
    "brass": ("lead", "brass", ""),
    "flute": ("lead", "flute", ""),
    "pan flute": ("lead", "pan_flute", ""),
    "harp": ("keys", "harp", ""),
    "choir": ("keys", "choir", ""),
    "bells": ("keys", "bells", ""),
    "glockenspiel": ("keys", "glockenspiel", ""),
    "music box": ("keys", "music_box", ""),
    "ukulele": ("comp", "nylon_guitar", "strum"),
    "banjo": ("keys", "banjo", ""),
    "harmonica": ("lead", "harmonica", ""),
    "accordion": ("pad", "accordion", ""),
    "sitar": ("lead", "sitar", ""),
    "marimba": ("keys", "marimba", ""),
    "vibraphone": ("keys", "vibraphone", ""),
    "kalimba": ("keys", "kalimba", ""),
    "steel drums": ("keys", "steel_drums", ""),
    "harpsichord": ("comp", "harpsichord", "arp"),
    "arpeggio": ("comp", "", "arp"),
    "arpeggios": ("comp", "", "arp"),
    "lead synth": ("lead", "saw_lead", ""),
    "synth lead": ("lead", "saw_lead", ""),
}
ROLES = ("bass", "comp", "pad", "lead", "keys")
_SOLO_ROLE = {
    "bass": "bass",
    "guitar": "lead",
    "piano": "lead",
    "sax": "lead",
    "synth": "lead",
    "drum": "drums",
    "violin": "lead",
    "trumpet": "lead",
}
_SOLO_PROGRAM = {
    "guitar": "overdrive_guitar",
    "piano": "piano",
    "sax": "tenor_sax",
    "synth": "saw_lead",
    "violin": "violin",
    "trumpet": "trumpet",
}

MALE_WORDS = (
    "male vocals",
    "male vocal",
    "male voice",
    "male singer",
    "man",
    "baritone",
    "tenor",
    "boy",
    "male",
)
FEMALE_WORDS = (
    "female vocals",
    "female vocal",
    "female voice",
    "female singer",
    "woman",
    "soprano",
    "alto",
    "girl",
    "female",
    "diva",
)


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


def _normalise(text: str) -> str:
    text = text.lower().replace("_", " ")
    text = re.sub(r"[^\w&'#/+\-\s,.;|]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _phrases(text: str) -> list[str]:
    """Comma/semicolon separated phrases, each normalised."""
    return [p.strip() for p in re.split(r"[,;|\n.]+", _normalise(text)) if p.strip()]


def _contains(haystack: str, needle: str) -> bool:
    return re.search(r"(?<![\w&-])" + re.escape(needle) + r"(?![\w&-])", haystack) is not None


def _find_all(text: str, table: dict[str, Any]) -> list[tuple[int, str]]:
    """(position, key) of every table key in text, longest keys first, without overlaps."""
    found: list[tuple[int, str]] = []
    taken = [False] * (len(text) + 1)
    for key in sorted(table, key=len, reverse=True):
        for m in re.finditer(r"(?<![\w&-])" + re.escape(key) + r"(?![\w&-])", text):
            if any(taken[m.start() : m.end()]):
                continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append((m.start(), key))
    return sorted(found)


def parse_style(
    tags: str,
    negative_tags: str = "",
    *,
    seed: int = 0,
    variant: int = 0,
    instrumental: bool = False,
) -> Style:
    """Build the Style for a request. Never fails on unknown words."""
    rng = np.random.default_rng([abs(int(seed)) % (2**63), int(variant), 0x57_71E])
    text = " , ".join(_phrases(tags))
    neg = " , ".join(_phrases(negative_tags))

    genre_hits = [GENRE_ALIASES[k] for _, k in _find_all(text, GENRE_ALIASES)]
    banned_genres = {GENRE_ALIASES[k] for _, k in _find_all(neg, GENRE_ALIASES)}
    genre_hits = [g for g in genre_hits if g not in banned_genres]
    genre_key = genre_hits[0] if genre_hits else ("pop" if "pop" not in banned_genres else "rock")
    if genre_key == "cinematic" and len(genre_hits) > 1:
        genre_key = genre_hits[1]  # "epic reggae" is reggae made epic, not a film score
    g = GENRES[genre_key]

    moods = [k for _, k in _find_all(text, MOODS) if not _contains(neg, k)]
    if genre_key != "ballad" and _contains(text, "ballad"):
        moods.append("ballad")  # "folk ballad": folk, played as a ballad
    tempo_factor = 1.0
    mode_pref = ""
    extra: dict[str, Any] = {}
    for m in moods:
        f, mode, fx = MOODS[m]
        tempo_factor *= f
        mode_pref = mode or mode_pref
        for k, v in fx.items():
            extra[k] = extra.get(k, 0) + v if isinstance(v, int | float) else v
    tempo_factor = float(np.clip(tempo_factor, 0.7, 1.35))

    lo, hi = g.tempo
    tempo = float(rng.uniform(lo, hi)) * tempo_factor
    if m := re.search(r"(\d{2,3})\s*bpm", text):
        tempo = float(m.group(1))
    tempo = float(np.clip(round(tempo), 50, 200))

    meter = g.meter
    if re.search(r"\b(3/4|6/8|waltz)\b", text):
        meter = 3
    elif re.search(r"\b4/4\b", text):
        meter = 4

    modes = list(g.modes)
    if mode_pref == "minor":
        modes = [m for m in modes if m in MINOR_LIKE] or ["minor"]
    elif mode_pref == "major":
        modes = [m for m in modes if m not in MINOR_LIKE] or ["major"]
    elif mode_pref:
        modes = [mode_pref]
    mode = modes[int(rng.integers(len(modes)))]
    tonic = int(g.keys[int(rng.integers(len(g.keys)))]) if g.keys else int(rng.integers(12))
    if m := re.search(r"\b([a-g])\s?(#|b|sharp|flat)?\s?(major|minor|maj|min|m)\b", text):
        tonic = (
            _PITCH[m.group(1)] + {"#": 1, "sharp": 1, "b": -1, "flat": -1}.get(m.group(2) or "", 0)
        ) % 12
        mode = "major" if m.group(3) in ("major", "maj") else "minor"

    progs = _progressions_for(g, mode, rng)
    instruments = {r: GM[n] for r, n in g.instruments.items() if n}
    bass_style, comp_style = g.bass, g.comp
    for k in ("pad", "keys"):
        if isinstance(extra.get(k), str):
            instruments[k] = GM[extra[k]]
    if isinstance(extra.get("bass"), str):
        bass_style = extra["bass"]

    for _, word in _find_all(text, INSTRUMENT_WORDS):
        role, prog, style_hint = INSTRUMENT_WORDS[word]
        if _contains(neg, word) or re.search(r"\bno " + re.escape(word), text):
            continue
        if not prog:  # a bare "guitar"/"bass": keep the genre's, or pick a sensible one
            prog = {"comp": "steel_guitar", "bass": "finger_bass"}[role]
            if role in instruments and instruments[role] in _GUITARS_AND_BASSES:
                prog = ""
        if prog:
            instruments[role] = GM[prog]
        if style_hint and role == "comp":
            comp_style = style_hint
        elif style_hint and role == "bass":
            bass_style = style_hint

    solo = ""
    if m := re.search(r"\b(bass|guitar|piano|sax|synth|drum|violin|trumpet)\s+solo\b", text):
        solo = _SOLO_ROLE[m.group(1)]
        if m.group(1) in _SOLO_PROGRAM:
            instruments["lead"] = GM[_SOLO_PROGRAM[m.group(1)]]

    drums = g.drums
    if re.search(r"\b(drums|beat|percussion|drum kit)\b", text) and not _contains(neg, "drums"):
        drums = True
    if re.search(r"\bno (drums|percussion|beat)\b", text) or re.search(
        r"\b(drums|percussion|drum)\b", neg
    ):
        drums = False

    # Negative tags: remove every role whose instrument they name.
    for _, word in _find_all(neg, INSTRUMENT_WORDS):
        role, prog, _hint = INSTRUMENT_WORDS[word]
        if role in instruments and (not prog or instruments[role] == GM[prog]):
            del instruments[role]
    for word in re.findall(r"\bno ([a-z0-9 ]+)", text):
        for key, (role, prog, _hint) in INSTRUMENT_WORDS.items():
            if (
                word.strip() == key
                and role in instruments
                and (not prog or instruments[role] == GM[prog])
            ):
                del instruments[role]
    if "bass" not in instruments and comp_style == "power8" and "comp" not in instruments:
        comp_style = "pad"

    vocal_kind = _vocal_kind(text, neg, g.vocal, variant)
    is_instrumental = instrumental or _contains(text, "instrumental") or _contains(neg, "vocals")

    energy = int(np.clip(round(extra.get("energy", 0)), -1, 1))
    return Style(
        genre=genre_key,
        tempo=tempo,
        meter=meter,
        tonic=tonic,
        mode=mode,
        progressions=progs,
        groove=g.groove if drums else "none",
        bass_style=bass_style,
        comp_style=comp_style,
        instruments=instruments,
        swing=float(np.clip(g.swing + extra.get("swing", 0.0), 0.0, 0.35)),
        reverb=float(np.clip(g.reverb + extra.get("reverb", 0.0), 0.05, 0.8)),
        brightness=float(np.clip(g.brightness + extra.get("brightness", 0.0), -1.0, 1.0)),
        vocal_kind=vocal_kind,
        vocal_level_db=g.vocal_level_db,
        energy_bias=energy,
        drums=drums and g.groove != "none",
        instrumental=is_instrumental,
        solo=solo,
        chord_rate=g.chord_rate,
        tags=_phrases(tags),
        flow="rap"
        if genre_key in _RAP_GENRES and not re.search(r"\b(sung|singing)\b", text)
        else "sung",
    )


_RAP_GENRES = {"hiphop", "trap"}


_GUITARS_AND_BASSES = {GM[n] for n in GM if "guitar" in n or "bass" in n}


def _vocal_kind(text: str, neg: str, default: str, variant: int) -> str:
    def said(words: tuple[str, ...], where: str) -> bool:
        return any(_contains(where, w) for w in words)

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
    fallback = _POP_MIN if want == "minor" else _POP_MAJ
    out = {}
    for kind, options in g.progressions.items():
        fit = [p for p in options if _tonality_of(p) in (want, "")]
        if not fit or not any(_tonality_of(p) == want for p in g.progressions["verse"]):
            fit = list(fallback.get(kind, fallback["verse"]))
        out[kind] = fit[int(rng.integers(len(fit)))].split()
    return out


def with_tempo(style: Style, tempo: float) -> Style:
    return replace(style, tempo=tempo)
