"""The style tables: what the words of a style tag mean in music.

General MIDI program names, modes, the genre templates (tempo range, modes, progressions,
grooves, instruments, mix) and the words for moods, instruments, solos and voices. Data only:
:mod:`style` reads the tags against these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


POP_MAJOR = {
    "verse": ("vi IV I V", "I V vi IV", "I vi IV V", "IV I V vi"),
    "chorus": ("I V vi IV", "IV I V vi", "vi IV I V", "I IV vi V"),
    "bridge": ("ii IV vi V", "IV V iii vi", "vi V IV V"),
}
POP_MINOR = {
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
        POP_MAJOR,
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
        POP_MINOR,
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
        POP_MINOR,
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
        POP_MINOR,
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
        POP_MINOR,
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
        POP_MINOR,
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
        POP_MINOR,
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
        POP_MAJOR,
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
        POP_MAJOR,
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
        vocal_level_db=-2.0,  # the voice sits inside the orchestra's hall
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
        POP_MINOR,
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
        POP_MAJOR,
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
        vocal_level_db=-2.0,  # the voice sits inside the orchestra's hall
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
SOLO_ROLE = {
    "bass": "bass",
    "guitar": "lead",
    "piano": "lead",
    "sax": "lead",
    "synth": "lead",
    "drum": "drums",
    "violin": "lead",
    "trumpet": "lead",
}
SOLO_PROGRAM = {
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
class Production:
    """How a genre's records are made, beyond the notes: the drum kit, the balance of drums and
    bass against the band, the band bus's EQ and saturation. Genres sharing patterns still sound
    apart (a boom-bap 808 under a dark, dry band; a bright, driven metal wall)."""

    kit: int = 0
    """GM drum kit (bank 128 preset): 0 standard, 8 room, 16 power, 24 electronic, 25 TR-808,
    32 jazz, 40 brush, 48 orchestra. (Metal keeps the standard kit: the note cache renders the
    power kit's kick, struck in sixteenths, at only ~30 dB SNR against the synth, and the room
    kit's kick turns a beat tracker to two thirds of the tempo.)"""
    drums_db: float = 0.0
    """Drums against the band (the band's channels go down when > 0)."""
    bass_db: float = 0.0
    """The bass channel against the band."""
    low_db: float = 0.0
    """Low shelf at 110 Hz on the band bus (weight of kick and bass)."""
    presence_db: float = 0.0
    """Added to the band bus's presence lift around 4.5 kHz."""
    air_db: float = 0.0
    """Added to the band bus's air shelf."""
    drive: float = 0.0
    """0..1: saturation of the band bus (odd harmonics: grit and density)."""
    room_air: float = 0.0
    """0..1: a brighter reverb whose highs ring longer (mix.impulse_response)."""
    duck_db: float = 0.0
    """Sidechain: how far the kick ducks the rest of the band (bass, chords, pads, lead; not
    the drums, not the voice), released over an eighth (mix.duck_gain)."""


# A film score: a bright hall (its highs ring), the strings' and horns' presence lifted well
# over their dull General MIDI samples, less low shelf (timpani and cellos are weight enough),
# the orchestra kit's triangle and suspended-cymbal swells (drums.py), the voice inside the
# orchestra (the genre's vocal_level_db).
PRODUCTION: dict[str, Production] = {
    "metal": Production(kit=0, drums_db=1.0, low_db=-1.0, presence_db=2.5, air_db=2.0, drive=0.8),
    "punk": Production(kit=16, drums_db=1.0, presence_db=2.0, air_db=1.5, drive=0.6),
    "grunge": Production(kit=16, low_db=1.0, presence_db=1.0, drive=0.6),
    "emo": Production(kit=16, presence_db=1.5, air_db=1.0, drive=0.5),
    "doom": Production(kit=16, low_db=2.0, drive=0.7),
    "rock": Production(kit=8, drums_db=0.5, presence_db=1.5, air_db=1.0, drive=0.35),
    "synthwave": Production(
        kit=24, drums_db=4.0, bass_db=2.0, low_db=2.5, presence_db=6.0, air_db=3.5, drive=0.5
    ),
    "electronic": Production(
        kit=24, drums_db=1.0, bass_db=1.0, presence_db=1.5, air_db=2.0, duck_db=3.0
    ),
    "edm": Production(
        kit=24, drums_db=2.0, low_db=2.0, presence_db=2.0, air_db=3.0, drive=0.2, duck_db=6.0
    ),
    "trance": Production(
        kit=24, drums_db=1.0, low_db=1.0, presence_db=2.0, air_db=3.0, duck_db=5.0
    ),
    "techno": Production(
        kit=25, drums_db=3.0, low_db=2.0, presence_db=1.0, air_db=2.0, drive=0.3, duck_db=4.0
    ),
    "house": Production(
        kit=25, drums_db=3.0, bass_db=1.0, low_db=2.0, presence_db=9.0, air_db=-7.5, duck_db=5.0
    ),
    "dubstep": Production(
        kit=25, drums_db=2.0, low_db=3.0, presence_db=2.0, drive=0.5, duck_db=4.0
    ),
    "dnb": Production(kit=24, drums_db=3.0, low_db=2.0, presence_db=1.5, air_db=2.0),
    "hiphop": Production(kit=8, drums_db=5.0, bass_db=3.0, low_db=2.0, presence_db=4.0, air_db=2.0),
    "trap": Production(kit=25, drums_db=3.0, bass_db=3.0, low_db=4.0, air_db=2.0),
    "lofi": Production(kit=40, drums_db=2.0, bass_db=1.0, low_db=1.0, presence_db=-2.0),
    "jazz": Production(kit=32, drums_db=-3.0, bass_db=1.0, low_db=1.0, presence_db=8.0, air_db=4.5),
    "bossa": Production(kit=40, drums_db=-2.0, bass_db=1.0),
    "blues": Production(kit=8, bass_db=1.0, presence_db=0.5, drive=0.2),
    "soul": Production(kit=8, bass_db=1.5, low_db=1.0),
    "rnb": Production(kit=25, drums_db=1.0, bass_db=2.0, low_db=2.0, air_db=1.5),
    "funk": Production(kit=0, drums_db=1.0, bass_db=2.0, presence_db=1.0),
    "disco": Production(kit=0, drums_db=1.5, bass_db=1.5, presence_db=1.0, air_db=1.5),
    "reggae": Production(kit=8, bass_db=6.0, low_db=3.5, presence_db=7.0, air_db=4.0),
    "ska": Production(kit=8, presence_db=1.0, air_db=1.0),
    "folk": Production(kit=40, drums_db=-4.0, presence_db=1.0, air_db=1.5),
    "acoustic": Production(kit=40, drums_db=-4.0, low_db=-1.5, presence_db=1.5, air_db=2.0),
    "country": Production(kit=8, drums_db=1.5, low_db=-2.0, presence_db=2.5, air_db=2.0),
    "ballad": Production(kit=40, drums_db=-3.0, presence_db=0.5, air_db=1.5),
    "orchestral": Production(
        kit=48, drums_db=-4.0, low_db=-2.0, presence_db=10.0, air_db=9.0, room_air=1.0
    ),
    "cinematic": Production(
        kit=48, drums_db=-4.0, low_db=-2.0, presence_db=10.0, air_db=9.0, room_air=1.0
    ),
    "classical": Production(kit=48, presence_db=1.0, air_db=1.5),
    "ambient": Production(low_db=1.0, presence_db=-1.0, air_db=2.0),
    "chillwave": Production(kit=24, low_db=1.0, presence_db=-2.0, air_db=1.0),
    "latin": Production(kit=8, presence_db=1.0, air_db=1.0),
    "afrobeat": Production(kit=8, bass_db=1.0, presence_db=1.0, air_db=1.0),
    "kpop": Production(kit=24, drums_db=1.5, low_db=1.5, presence_db=2.0, air_db=2.5),
    "jpop": Production(kit=16, presence_db=2.0, air_db=2.0, drive=0.2),
    "gospel": Production(kit=8, bass_db=1.0, low_db=1.0),
    "waltz": Production(kit=40, drums_db=-3.0, presence_db=0.5, air_db=1.0),
}
"""Genre -> production; a genre absent here gets the plain Production()."""
