"""Lyric text -> words -> syllables with espeak-ng phonemes and stress.

espeak-ng (the library shipped by ``espeakng-loader``) is called through ctypes for the letter to
sound rules; the phoneme string it returns is split into syllables here (one vowel nucleus each,
consonants between nuclei go to the next syllable as far as English onsets allow) and every
syllable is mapped back onto a slice of the spelling, so that ``"".join(s.text for s in
word.syllables) == word.text`` always holds.

espeak-ng is not thread safe: every call goes through one lock, and results are cached per word,
so a song's lyrics cost a few dictionary look-ups once the words have been seen.
"""

from __future__ import annotations

import ctypes
import re
import threading
import unicodedata
from functools import lru_cache

from openchirp.engines.composer.voice.score import Syllable, Word

# espeak-ng mnemonic phonemes whose first character marks a vowel (en-us: a a# A: A@ aI aI3 aU @ @2
# @L 3 3: E e@ eI i i: i@ I I2 I# 0 O: O@ o@ oU U u: U@ V ...).
_VOWEL_FIRST = set("aeiouAEIOUV03@")
# Syllabic consonants espeak writes with a trailing "-" ("button" -> b 'V ? n-).
_SYLLABIC = {"n-", "l-", "m-", "r-"}
_STRESS_MARKS = "',%="

_ONSET_SINGLE_BAD = {"N", "?"}
_LIQUID_OK = {
    "r": {"p", "b", "t", "d", "k", "g", "f", "T", "S", "v"},
    "l": {"p", "b", "k", "g", "f", "s", "S", "v"},
    "w": {"t", "d", "k", "g", "s", "T", "h", "S"},
}
_S_CLUSTER = {"p", "t", "k", "m", "n", "f", "l", "w"}


def is_vowel(phoneme: str) -> bool:
    """True for a phoneme that can be a syllable nucleus (vowels and syllabic consonants)."""
    p = phoneme.lstrip(_STRESS_MARKS)
    return bool(p) and (p[0] in _VOWEL_FIRST or p in _SYLLABIC)


def _base(ph: str) -> str:
    """Phoneme name without variant markers, for onset legality ("t#" is a flapped t)."""
    return ph.rstrip("#-0123456789") or ph


def _legal_onset(cluster: list[str]) -> bool:
    c = [_base(p) for p in cluster]
    if not c:
        return True
    if len(c) == 1:
        return c[0] not in _ONSET_SINGLE_BAD
    if c[0] == "s" and len(c) >= 2:
        rest = c[1:]
        if len(rest) == 1:
            return rest[0] in _S_CLUSTER
        if len(rest) == 2 and rest[0] in {"p", "t", "k"}:
            return rest[1] in {"r", "l", "w", "j"}
        return False
    if len(c) == 2:
        first, second = c
        if second == "j":
            return first not in {"j", "w", "r", "N", "?"}
        allowed = _LIQUID_OK.get(second)
        return allowed is not None and first in allowed
    return False


# --- espeak-ng -------------------------------------------------------------------------------

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_lib_failed = False


def _espeak() -> ctypes.CDLL | None:
    """Load and initialise espeak-ng once per process; None when it cannot be loaded."""
    global _lib, _lib_failed
    if _lib is not None or _lib_failed:
        return _lib
    try:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        # AUDIO_OUTPUT_SYNCHRONOUS (2): no audio thread is started, we only want phonemes.
        if lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0) <= 0:
            raise OSError("espeak_Initialize failed")
        if lib.espeak_SetVoiceByName(b"en-us") != 0:
            raise OSError("espeak-ng has no en-us voice")
        _lib = lib
    except Exception:  # no library or data: fall back to spelling rules, never fail
        _lib_failed = True
    return _lib


_PHONEME_SEP = ord("_") << 8  # mnemonic names, "_" between phonemes, stress marks kept
_TEXT_UTF8 = 1


def _espeak_phonemes(text: str) -> list[list[str]] | None:
    """Phoneme tokens per espeak word chunk ("42" -> forty, two), stress marks still attached."""
    with _lock:
        lib = _espeak()
        if lib is None:
            return None
        buf = ctypes.c_char_p(text.encode("utf-8"))
        ptr = ctypes.pointer(buf)
        out: list[str] = []
        while ptr.contents.value:
            res = lib.espeak_TextToPhonemes(ptr, _TEXT_UTF8, _PHONEME_SEP)
            if not res:
                break
            out.append(res.decode("utf-8", "replace"))
    chunks: list[list[str]] = []
    for clause in out:
        for chunk in clause.split():
            toks = [t for t in chunk.replace("|", "_").replace(";", "_").split("_") if t]
            toks = [t for t in toks if t.strip(_STRESS_MARKS)]
            if toks:
                chunks.append(toks)
    return chunks


# Crude letter-to-sound rules, only used when espeak-ng cannot be loaded.
_FALLBACK_VOWEL = {"a": "a", "e": "E", "i": "I", "o": "0", "u": "V", "y": "i"}


def _fallback_phonemes(text: str) -> list[list[str]]:
    toks: list[str] = []
    for ch in text.lower():
        if ch in _FALLBACK_VOWEL:
            if not toks or not is_vowel(toks[-1]):
                toks.append(_FALLBACK_VOWEL[ch])
        elif ch.isalpha():
            toks.append(ch if ch in "pbtdkgfvszhmnlrwj" else "t")
    return [toks] if toks else []


# --- syllabification -------------------------------------------------------------------------


def _syllabify(tokens: list[str]) -> list[tuple[tuple[str, ...], bool, int]]:
    """Split one espeak word chunk into (phonemes, stressed, vowel_index) per syllable."""
    phs: list[str] = []
    marks: list[str] = []
    for tok in tokens:
        mark = ""
        while tok and tok[0] in _STRESS_MARKS:
            mark, tok = tok[0], tok[1:]
        if tok:
            phs.append(tok)
            marks.append(mark)
    nuclei = [i for i, p in enumerate(phs) if is_vowel(p)]
    # "power" / "hour": espeak gives diphthong + r-coloured schwa; sung as one syllable.
    merged: list[int] = []
    for i in nuclei:
        if merged and i == merged[-1] + 1 and phs[i] == "3" and phs[merged[-1]] in {"aU", "aI"}:
            continue
        merged.append(i)
    nuclei = merged
    if not phs:
        return []
    if not nuclei:  # "hmm", "psst": the most sonorant consonant carries the note, else a schwa
        son = [i for i, p in enumerate(phs) if _base(p) in {"m", "n", "l", "r"}]
        if son:
            nuclei = [son[0]]
        else:
            phs.append("@")
            marks.append("")
            nuclei = [len(phs) - 1]
    bounds = [0]
    for a, b in zip(nuclei, nuclei[1:], strict=False):
        cluster = phs[a + 1 : b]
        # Onset maximisation: the longest legal tail of the cluster starts the next syllable.
        split = len(cluster)
        for k in range(len(cluster) + 1):
            if _legal_onset(cluster[k:]):
                split = k
                break
        bounds.append(a + 1 + split)
    bounds.append(len(phs))
    any_mark = any(m in "'," and m for m in marks)
    out = []
    for n, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
        nucleus = nuclei[n]
        stressed = marks[nucleus] in ("'", ",") if any_mark else (n == 0 and len(nuclei) > 1)
        out.append((tuple(phs[lo:hi]), stressed, nucleus - lo))
    return out


# --- spelling ------------------------------------------------------------------------------

_VOWEL_LETTERS = set("aeiouy")
_DIGRAPHS = ("tch", "th", "sh", "ch", "ph", "wh", "ck", "gh", "qu", "dg")


def _base_letter(ch: str) -> str:
    return unicodedata.normalize("NFKD", ch)[:1].lower()


def _vowel_groups(spelling: str) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(spelling):
        b = _base_letter(ch)
        vowel = b in _VOWEL_LETTERS and not (
            b == "y"
            and (
                i == 0
                or start is None
                and i + 1 < len(spelling)
                and _base_letter(spelling[i + 1]) in "aeiou"
            )
        )
        if vowel and start is None:
            start = i
        elif not vowel and start is not None:
            groups.append((start, i))
            start = None
    if start is not None:
        groups.append((start, len(spelling)))
    # Silent final e ("fire", "make"), but not consonant + "le" ("little").
    if len(groups) > 1:
        s, e = groups[-1]
        low = spelling.lower()
        if e == len(spelling) and e - s == 1 and low[s] == "e" and not low.endswith("le"):
            groups.pop()
    return groups


def _units(cluster: str) -> list[int]:
    """Lengths of the consonant letter units of a cluster, digraphs kept whole."""
    out: list[int] = []
    i = 0
    low = cluster.lower()
    while i < len(low):
        for d in _DIGRAPHS:
            if low.startswith(d, i):
                out.append(len(d))
                i += len(d)
                break
        else:
            out.append(1)
            i += 1
    return out


def _proportional(spelling: str, n: int) -> list[str]:
    cuts = [round(k * len(spelling) / n) for k in range(n + 1)]
    return [spelling[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def _spell_slices(spelling: str, onsets: list[int]) -> list[str]:
    """Cut ``spelling`` into len(onsets) pieces; onsets[k] = onset consonants of syllable k."""
    n = len(onsets)
    if n <= 1:
        return [spelling]
    groups = _vowel_groups(spelling)
    if not groups:
        return _proportional(spelling, n)
    while len(groups) > n:
        # Merge where the written vowels are closest: a swallowed vowel ("every", "evening").
        gaps = [groups[k + 1][0] - groups[k][1] for k in range(len(groups) - 1)]
        k = min(
            range(len(gaps)), key=lambda j: (spelling[groups[j + 1][0]].lower() != "e", gaps[j])
        )
        groups[k : k + 2] = [(groups[k][0], groups[k + 1][1])]
    while len(groups) < n:
        k = max(range(len(groups)), key=lambda j: groups[j][1] - groups[j][0])
        s, e = groups[k]
        if e - s < 2:
            return _proportional(spelling, n)
        groups[k : k + 1] = [(s, s + 1), (s + 1, e)]
    cuts = [0]
    for k in range(n - 1):
        a, b = groups[k][1], groups[k + 1][0]
        units = _units(spelling[a:b])
        take = min(onsets[k + 1], len(units))
        cuts.append(b - sum(units[len(units) - take :]))
    cuts.append(len(spelling))
    return [spelling[x:y] for x, y in zip(cuts, cuts[1:], strict=False)]


# --- words -----------------------------------------------------------------------------------


def is_latin(text: str) -> bool:
    """True when every letter of ``text`` is a (possibly accented) Latin one."""
    return all(_base_letter(ch).isascii() for ch in text if ch.isalpha())


def _scat(spelling: str) -> list[Syllable]:
    """A word espeak's English voice cannot read (another script): sung on "la"s, one per
    character for wide (CJK) scripts, one per three letters otherwise."""
    wide = any(unicodedata.east_asian_width(ch) == "W" for ch in spelling)
    n = max(1, min(8, len(spelling) if wide else -(-len(spelling) // 3)))
    return [
        Syllable(text=t, phonemes=("l", "a"), stressed=i == 0, vowel_index=1)
        for i, t in enumerate(_proportional(spelling, n))
    ]


def _part_syllables(part: str) -> list[Syllable]:
    """Syllables of one hyphen-free piece of a word."""
    spoken = part.replace("'", "")
    if not any(ch.isalnum() for ch in spoken):
        return []
    if not is_latin(spoken):
        ascii_only = "".join(ch for ch in spoken if _base_letter(ch).isascii() and ch.isalnum())
        if not ascii_only:
            return _scat(part)
        spoken = ascii_only
    chunks = _espeak_phonemes(spoken.lower() if spoken.isupper() and len(spoken) > 1 else spoken)
    if chunks is None:
        chunks = _fallback_phonemes(spoken)
    sylls = [s for chunk in chunks for s in _syllabify(chunk)]
    if not sylls:
        return _scat(part)
    onsets = [vi for _, _, vi in sylls]
    texts = _spell_slices(part, onsets)
    return [
        Syllable(text=t, phonemes=p, stressed=st, vowel_index=vi)
        for t, (p, st, vi) in zip(texts, sylls, strict=True)
    ]


@lru_cache(maxsize=50_000)
def word(text: str) -> Word:
    """One written word (apostrophes and hyphens allowed) as a :class:`Word`; cached."""
    parts = text.split("-")
    syllables: list[Syllable] = []
    for i, part in enumerate(parts):
        sylls = _part_syllables(part)
        if not sylls:
            continue
        if i < len(parts) - 1:  # keep the hyphen on display: "twen" "ty-" "one"
            last = sylls[-1]
            sylls[-1] = Syllable(last.text + "-", last.phonemes, last.stressed, last.vowel_index)
        syllables.extend(sylls)
    if not syllables:
        syllables = _scat(text)
    # Make the spelling invariant hold whatever the pieces did (stray hyphens, skipped parts).
    joined = "".join(s.text for s in syllables)
    if joined != text:
        texts = _proportional(text, len(syllables))
        syllables = [
            Syllable(t, s.phonemes, s.stressed, s.vowel_index)
            for t, s in zip(texts, syllables, strict=True)
        ]
    return Word(text=text, syllables=tuple(syllables))


_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W_]+)*'?|'[^\W_]+")
_LEADING_ELISIONS = {"'cause", "'til", "'till", "'em", "'round", "'bout", "'n", "'tis", "'twas"}
_BRACKETED = re.compile(r"\[[^\]]*\]")


def _clean_token(tok: str) -> str:
    if tok.startswith("'") and tok.lower() not in _LEADING_ELISIONS:
        tok = tok[1:]
    if tok.endswith("'") and not tok.lower().endswith("in'"):  # keep "singin'"
        tok = tok[:-1]
    return tok


@lru_cache(maxsize=4096)
def _line_words(line: str) -> tuple[Word, ...]:
    text = _BRACKETED.sub(" ", line.replace("\u2019", "'").replace("\u2018", "'"))
    tokens = (_clean_token(t) for t in _TOKEN.findall(text))
    return tuple(word(t) for t in tokens if t and any(ch.isalnum() for ch in t))


def words_of(line: str) -> list[Word]:
    """Words of a lyric line with their syllables; punctuation, emoji and ``[Tags]`` dropped.

    "He's", "don't" and "singin'" keep their apostrophes, "twenty-one" is one word whose syllable
    texts carry the hyphen, numbers are read out ("42" -> forty two), words in other scripts are
    sung on "la". Never raises.
    """
    try:
        return list(_line_words(line))
    except Exception:  # defensive: lyrics are user input, a weird line must not sink a render
        return []


def syllable_count(line: str) -> int:
    """Number of sung syllables in a line."""
    return sum(len(w.syllables) for w in words_of(line))


def rhyme_tail(w: Word) -> tuple[str, ...]:
    """Phonemes from the vowel of the last stressed syllable to the end: equal tails rhyme."""
    sylls = w.syllables
    if not sylls:
        return ()
    last = max((i for i, s in enumerate(sylls) if s.stressed), default=len(sylls) - 1)
    first = sylls[last]
    tail = list(first.phonemes[first.vowel_index :])
    for s in sylls[last + 1 :]:
        tail.extend(s.phonemes)
    return tuple(_base(p) if p.endswith("#") else p for p in tail)
