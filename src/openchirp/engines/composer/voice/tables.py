"""How each espeak-ng phoneme is articulated, as targets for the formant singer in ``singer.py``.

Values are for an adult male voice (Hillenbrand et al. 1995 vowel formants, Klatt 1980 consonant
loci); the female voice scales them. A vowel may glide to a second target (diphthongs and
r-coloured vowels), reached over the last part of the note as singers do ("ni-ight").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

Formants = tuple[float, float, float]


@dataclass(frozen=True)
class Articulation:
    kind: str
    """vowel | stop | fricative | affricate | nasal | liquid | aspirate | glottal"""
    formants: Formants
    """F1..F3 in Hz (the locus for consonants: where the vowel's formants glide from/to)."""
    voiced: float = 1.0
    """Amplitude of voicing during the sound (0 for voiceless)."""
    glide_to: Formants | None = None
    """Second target of a diphthong."""
    noise_band: tuple[float, float] | None = None
    """Frication / burst noise band (Hz) for obstruents."""
    noise_gain: float = 0.0
    duration_s: float = 0.06
    """Natural duration of a consonant (vowels last as long as their note)."""


def _v(f1: float, f2: float, f3: float, to: Formants | None = None) -> Articulation:
    return Articulation("vowel", (f1, f2, f3), 1.0, to)


_R: Formants = (420.0, 1250.0, 1650.0)  # r-colouring target: low F3
_I: Formants = (400.0, 2000.0, 2650.0)
_U: Formants = (400.0, 950.0, 2300.0)
_SCHWA: Formants = (500.0, 1450.0, 2500.0)

VOWELS: dict[str, Articulation] = {
    "i:": _v(320, 2300, 3000),
    "i": _v(330, 2200, 2900),
    "I": _v(427, 2034, 2684),
    "I2": _v(420, 1950, 2620),
    "I#": _v(430, 1850, 2600),
    "E": _v(580, 1800, 2605),
    "e": _v(480, 2000, 2650),
    "a": _v(680, 1750, 2550),
    "a#": _v(620, 1400, 2500),
    "A:": _v(768, 1200, 2522),
    "A": _v(740, 1200, 2500),
    "0": _v(650, 1000, 2500),
    "O:": _v(620, 980, 2540),
    "O": _v(620, 980, 2540),
    "V": _v(640, 1200, 2550),
    "U": _v(469, 1122, 2434),
    "u:": _v(350, 950, 2343),
    "u": _v(370, 1000, 2350),
    "@": _v(*_SCHWA),
    "@2": _v(*_SCHWA),
    "@5": _v(*_SCHWA),
    "@-": _v(*_SCHWA),
    "3": _v(480, 1350, 1690),
    "3:": _v(474, 1379, 1710),
    "@L": _v(480, 1300, 2500, (380, 950, 2600)),
    "eI": _v(500, 1950, 2650, _I),
    "aI": _v(720, 1250, 2500, _I),
    "aU": _v(720, 1300, 2500, _U),
    "OI": _v(560, 900, 2500, _I),
    "oU": _v(520, 950, 2450, _U),
    "o": _v(500, 900, 2450),
    "A@": _v(740, 1200, 2400, _R),
    "O@": _v(600, 950, 2400, _R),
    "o@": _v(580, 950, 2400, _R),
    "e@": _v(580, 1800, 2500, _R),
    "i@": _v(400, 2050, 2700, _R),
    "i@3": _v(400, 2050, 2700, _R),
    "U@": _v(460, 1100, 2350, _R),
    "aI@": _v(720, 1250, 2500, _SCHWA),
    "aI3": _v(720, 1250, 2500, _R),
    "aU@": _v(720, 1300, 2500, _SCHWA),
    "n-": Articulation("nasal", (280, 1500, 2500), 0.6),
    "l-": Articulation("liquid", (380, 950, 2600), 0.8),
    "m-": Articulation("nasal", (280, 1000, 2200), 0.6),
    "r-": Articulation("liquid", _R, 0.8),
}


def _stop(locus: Formants, voiced: float, band: tuple[float, float], gain: float) -> Articulation:
    return Articulation("stop", locus, voiced, None, band, gain, 0.075 if voiced else 0.09)


def _fric(locus: Formants, voiced: float, band: tuple[float, float], gain: float) -> Articulation:
    return Articulation("fricative", locus, voiced, None, band, gain, 0.08 if voiced else 0.1)


_LABIAL: Formants = (250.0, 850.0, 2200.0)
_ALVEOLAR: Formants = (280.0, 1700.0, 2600.0)
_VELAR: Formants = (280.0, 2000.0, 2300.0)
_DENTAL: Formants = (300.0, 1450.0, 2600.0)
_POSTALV: Formants = (280.0, 2000.0, 2700.0)

CONSONANTS: dict[str, Articulation] = {
    "p": _stop(_LABIAL, 0.0, (500, 3000), 0.5),
    "b": _stop(_LABIAL, 0.35, (400, 2500), 0.35),
    "t": _stop(_ALVEOLAR, 0.0, (3000, 7500), 0.7),
    "d": _stop(_ALVEOLAR, 0.35, (2500, 6000), 0.5),
    "k": _stop(_VELAR, 0.0, (1500, 3500), 0.7),
    "g": _stop(_VELAR, 0.35, (1400, 3000), 0.5),
    "f": _fric(_LABIAL, 0.0, (1500, 8000), 0.4),
    "v": _fric(_LABIAL, 0.5, (1200, 6000), 0.15),
    "T": _fric(_DENTAL, 0.0, (1800, 8000), 0.35),
    "D": _fric(_DENTAL, 0.55, (1500, 6000), 0.12),
    "s": _fric(_ALVEOLAR, 0.0, (4200, 9500), 0.9),
    "z": _fric(_ALVEOLAR, 0.5, (4000, 9000), 0.5),
    "S": _fric(_POSTALV, 0.0, (2000, 6500), 0.9),
    "Z": _fric(_POSTALV, 0.5, (1900, 6000), 0.5),
    "x": _fric(_VELAR, 0.0, (1200, 4000), 0.5),
    # Flaps ("butter", "little"): a quick voiced tap, no burst to speak of.
    "t#": Articulation("stop", _ALVEOLAR, 0.6, None, (2500, 6000), 0.12, 0.035),
    "d#": Articulation("stop", _ALVEOLAR, 0.6, None, (2500, 6000), 0.12, 0.035),
    "tS": Articulation("affricate", _POSTALV, 0.0, None, (2000, 6500), 0.9, 0.12),
    "dZ": Articulation("affricate", _POSTALV, 0.35, None, (1900, 6000), 0.6, 0.1),
    "h": Articulation("aspirate", _SCHWA, 0.0, None, None, 0.0, 0.07),
    "m": Articulation("nasal", (280, 1000, 2200), 0.4, duration_s=0.07),
    "n": Articulation("nasal", (280, 1500, 2500), 0.4, duration_s=0.065),
    "N": Articulation("nasal", (280, 2000, 2600), 0.4, duration_s=0.07),
    "l": Articulation("liquid", (360, 1000, 2650), 0.75, duration_s=0.06),
    "r": Articulation("liquid", (380, 1150, 1550), 0.75, duration_s=0.06),
    "w": Articulation("liquid", (300, 700, 2200), 0.75, duration_s=0.055),
    "j": Articulation("liquid", (280, 2200, 2950), 0.75, duration_s=0.05),
    "?": Articulation("glottal", _SCHWA, 0.0, duration_s=0.03),
}


@lru_cache(maxsize=1024)
def articulation(phoneme: str) -> Articulation:
    """Articulation of an espeak-ng phoneme; unknown names fall back on their base sound, so
    variants ("t#", "I#") and other languages' phonemes never fail."""
    p = phoneme.lstrip("',%=")
    if p in VOWELS:
        return VOWELS[p]
    if p in CONSONANTS:
        return CONSONANTS[p]
    for n in (3, 2, 1):
        head = p[:n]
        if head in VOWELS:
            return VOWELS[head]
        if head in CONSONANTS:
            return CONSONANTS[head]
    if p[:1].lower() in "aeiouy@03":
        return VOWELS["@"]
    return CONSONANTS["?"] if not p else CONSONANTS.get(p[:1].lower(), CONSONANTS["?"])
