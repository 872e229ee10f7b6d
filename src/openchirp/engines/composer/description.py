"""A one-line song description -> what the user named: genres, moods, instruments, tempo, voice,
and the subject the lyrics are about.

Genres are read as the engine reads tags (:mod:`openchirp.vocabulary`), after adjectival and
suffixed forms are brought back to the genre word ("jazzy", "country-ish", "reggae-inspired");
moods and instruments are the words the engine's style tables know (:mod:`style_data`). The
subject is the phrase after "about" (else "of", "for", "on"), or, when there is none, the first
run of words that name no style. Genre, instrument and voice words inside the subject are part of
the subject ("a song about my house" is not house music).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from openchirp.engines.composer.lyric_bank import (
    DEFAULT_THEME,
    FILLER,
    GENRE_FORMS,
    GENRE_TAG,
    GENRE_THEMES,
    MOOD_SYNONYMS,
    MOOD_THEMES,
    NOT_GENRE,
    TEMPO_WORDS,
    THEMES,
    word_set,
)
from openchirp.engines.composer.style_data import FEMALE_WORDS, INSTRUMENT_WORDS, MALE_WORDS
from openchirp.engines.composer.style_data import MOODS as ENGINE_MOODS
from openchirp.engines.composer.voice.phonemes import syllable_count
from openchirp.vocabulary import GENRE_ALIASES, contains, normalise

MAX_DESCRIPTION = 400
_TOKEN = re.compile(r"[^\W_][\w'&-]*|[,.;:!?()]")
_SUFFIX = re.compile(
    r"(.+?)-?(ish|inspired|style|styled|flavou?red|tinged|infused|esque|like|influenced|vibes?)"
)
_PREPOSITIONS = ("about", "of", "for", "on")
_STYLE_OF = {"style", "kind", "type", "sort", "vein", "spirit", "manner"}
_ROCK_AND_ROLL = re.compile(r"\brock\s*(?:and|n|'n'?|&)\s*roll\b", re.IGNORECASE)
_CUT = word_set(
    "with featuring feat using played sung that which who where while like but so because by "
    "in the style"
) - {"in", "the"}
_TRAIL = word_set(
    "song songs track tune music piece and in at on of a an the with style vibe vibes beat beats "
    "please type kind"
)
_HEAD_ENDS = {"and", "who", "in", "at", "on", "for", "from", "to", "with", "under", "over"}
_DETERMINERS = {"my", "your", "our", "his", "her", "their", "this", "that", "me", "it", "you"}
_MASS = word_set(
    """love coffee tea rain snow summer winter spring autumn music money time freedom home life
    christmas water fire gold sunshine pizza chocolate whiskey beer wine school work heartbreak
    nature space history friendship happiness sadness hope peace war paris london tokyo"""
)
_GENRE_NAMES = {k: v for k, v in GENRE_ALIASES.items() if k not in NOT_GENRE}
_KNOWN_NOUNS = {
    w
    for theme in THEMES.values()
    for field in ("cues", "nouns", "ends")
    for w in theme[field].split()
}
_INSTRUMENTAL = re.compile(
    r"\binstrumental\b|\b(no|without)\s+(vocals?|lyrics|singing|words|voice)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Reading:
    genres: tuple[str, ...]
    """Genre tags as the engine reads them, in the order named."""
    genre_keys: tuple[str, ...]
    moods: tuple[str, ...]
    instruments: tuple[str, ...]
    tempo: tuple[str, ...]
    vocal: str
    """"male vocals", "female vocals" or ""."""
    instrumental: bool
    subject: str
    """The phrase the lyrics are about ("coffee", "driving at night", "my dog Max"); the theme's
    own subject when the description names none."""
    subject_named: bool
    extra: tuple[str, ...]
    """Other content words of the description, to be sung somewhere ("birthday")."""
    theme: str
    theme_matched: bool
    """Whether the description's own words chose the theme (not a mood or the default)."""


def read(description: str) -> Reading:
    text = _ROCK_AND_ROLL.sub("rock", (description or "")[:MAX_DESCRIPTION])
    tokens = _TOKEN.findall(text)
    lower = [t.lower() for t in tokens]
    names_ok = sum(t[:1].isupper() for t in tokens) * 2 <= max(1, sum(t.isalpha() for t in tokens))
    span = _subject_span(lower)
    outside = " ".join(t for i, t in enumerate(lower) if not (span[0] <= i < span[1]))
    inside = lower[span[0] : span[1]]
    style_text = normalise(" ".join(_canon(t) for t in outside.split()))
    keys, genre_words = _genres(style_text)
    if not keys and len(inside) == 1:  # "a song about jazz"
        keys, genre_words = _genres(_canon(inside[0]))
    whole = normalise(" ".join(_canon(t) for t in lower))
    moods = _moods(_without(whole, _GENRE_NAMES))  # "heavy metal" names no mood
    instruments = tuple(dict.fromkeys(k for _, k in _find(style_text, INSTRUMENT_WORDS)))
    tempo = tuple(dict.fromkeys(TEMPO_WORDS[w] for w in whole.split() if w in TEMPO_WORDS))
    if m := re.search(r"\b(\d{2,3})\s*bpm\b", whole):
        tempo += (f"{m.group(1)} bpm",)
    vocal = ""
    if any(contains(style_text, w) for w in FEMALE_WORDS):
        vocal = "female vocals"
    elif any(contains(style_text, w) for w in MALE_WORDS):
        vocal = "male vocals"
    styled = _styled_words(style_text) | _styled_words(whole)
    content = [
        (i, tokens[i] if names_ok and tokens[i][:1].isupper() and i > 0 else lower[i])
        for i in range(len(tokens))
        if _is_content(lower[i], styled)
    ]
    subject_words = [w for i, w in content if span[0] <= i < span[1]]
    if span[1] > span[0]:
        subject_words = subject_words or lower[span[0] : span[1]]
        subject = _subject_phrase(tokens[span[0] : span[1]], lower[span[0] : span[1]], names_ok)
    else:
        subject = _bare_subject(content)
        subject_words = subject.split()[-3:] if subject else []
    # Other words are sung when they are nouns the banks know ("birthday") or names.
    extra = tuple(
        dict.fromkeys(
            w
            for _, w in content
            if w not in subject.split() and (w in _KNOWN_NOUNS or w[:1].isupper())
        )
    )[:2]
    theme, matched = _theme(subject_words, [w for _, w in content], moods, keys)
    named = bool(subject)
    return Reading(
        genres=genre_words,
        genre_keys=keys,
        moods=moods,
        instruments=instruments,
        tempo=tempo,
        vocal=vocal,
        instrumental=bool(_INSTRUMENTAL.search(text)),
        subject=subject or THEMES[theme]["subject"],
        subject_named=named,
        extra=extra,
        theme=theme,
        theme_matched=matched,
    )


_PATTERNS: dict[int, re.Pattern[str]] = {}


def _find(text: str, table: Mapping[str, object]) -> list[tuple[int, str]]:
    """(position, key) of the table's keys in text as whole words, leftmost and then longest
    first: what ``vocabulary.find_all`` finds in a description, with one compiled pattern per
    table (a description is read against a dozen tables)."""
    pattern = _PATTERNS.get(id(table))
    if pattern is None:
        keys = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
        pattern = _PATTERNS[id(table)] = re.compile(rf"(?<![\w&-])(?:{keys})(?![\w&-])")
    return [(m.start(), m.group(0)) for m in pattern.finditer(text)]


def _canon(tok: str) -> str:
    """A token as a genre word when it is an adjectival or suffixed form of one."""
    tok = tok.strip("'")
    if tok in GENRE_FORMS:
        return GENRE_FORMS[tok] or tok
    if tok not in GENRE_ALIASES and (m := _SUFFIX.fullmatch(tok)):
        stem = m.group(1).rstrip("-")
        if stem in GENRE_ALIASES:
            return stem
    return tok


def _genres(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    hits = [k for _, k in _find(text, _GENRE_NAMES)]
    keys: list[str] = []
    words: list[str] = []
    for word in hits:
        key = GENRE_ALIASES[word]
        if key in keys:
            continue
        keys.append(key)
        words.append(word)
        plain = GENRE_TAG.get(key, key)
        same = re.sub(r"[\s-]", "", plain) == re.sub(r"[\s-]", "", word) or plain in word.split()
        if not same and plain in GENRE_ALIASES:
            words.append(plain)  # "bebop" -> "bebop, jazz": the genre's plain name as well
    return tuple(keys), tuple(dict.fromkeys(words))


def _without(text: str, table: dict[str, str]) -> str:
    for _, key in _find(text, table):
        text = re.sub(rf"(?<![\w&-]){re.escape(key)}(?![\w&-])", " ", text)
    return text


def _moods(text: str) -> tuple[str, ...]:
    found = [k for _, k in _find(text, ENGINE_MOODS) if k not in TEMPO_WORDS]
    found = [k for k in found if k not in ("ballad", "funky", "symphonic")]  # genres here
    found += [MOOD_SYNONYMS[w] for w in text.split() if w in MOOD_SYNONYMS]
    return tuple(dict.fromkeys(found))


def _styled_words(text: str) -> set[str]:
    """Every word that is part of a genre, mood, instrument or tempo phrase."""
    out: set[str] = set()
    for table in (GENRE_ALIASES, ENGINE_MOODS, INSTRUMENT_WORDS, MOOD_SYNONYMS, TEMPO_WORDS):
        for _, key in _find(text, table):
            out.update(key.split())
    return out


def _is_content(low: str, styled: set[str]) -> bool:
    if not low[:1].isalpha() or low in FILLER or len(low) > 16:
        return False
    return low not in styled and _canon(low) not in styled and _canon(low) not in GENRE_ALIASES


def _subject_span(lower: list[str]) -> tuple[int, int]:
    """Token range of the phrase after the first "about" (else "of", "for", "on") that holds a
    content word; (0, 0) when there is none."""
    for prep in _PREPOSITIONS:
        for i, tok in enumerate(lower):
            if tok != prep or (prep == "of" and i and lower[i - 1] in _STYLE_OF):
                continue  # "in the style of the Beatles" names a style, not a subject
            end = i + 1
            while end < len(lower) and lower[end] not in _CUT and lower[end][:1].isalnum():
                end += 1
            words = lower[i + 1 : end]
            while words and words[-1] in _TRAIL:
                words.pop()
            styled = _styled_words(normalise(" ".join(_canon(w) for w in words)))
            named = prep == "about" and any(w not in _TRAIL | _DETERMINERS for w in words)
            if named or any(_is_content(w, styled) for w in words):
                return i + 1, i + 1 + len(words)
    return 0, 0


def _subject_phrase(tokens: list[str], lower: list[str], names_ok: bool) -> str:
    """The subject as it will be sung: as written, shortened to its head when long."""
    words = [t if names_ok and t[:1].isupper() and t.lower() != t else t.lower() for t in tokens]
    while words and lower[len(words) - 1] in _TRAIL:
        words.pop()
        lower = lower[: len(words)]
    if len(words) <= 5 and syllable_count(" ".join(words)) <= 7:
        return " ".join(words)
    # Long: the determiner and the last two words of the first noun phrase.
    stop = next((i for i, w in enumerate(lower) if i and w in _HEAD_ENDS), None)
    head = words[:stop]
    det = head[0] if lower[0] in {"a", "an", "the", "my", "your", "our", "his", "her"} else ""
    core = [w for w in head if w.lower() not in _TRAIL | _DETERMINERS][-2:]
    if syllable_count(" ".join(core)) > 5:
        core = core[-1:]
    return " ".join(([det] if det else []) + core) or " ".join(words[:2])


def _bare_subject(content: list[tuple[int, str]]) -> str:
    """The first run of adjacent content words (up to three), with "the" where English wants it."""
    if not content:
        return ""
    run = [content[0]]
    for i, w in content[1:]:
        if i != run[-1][0] + 1 or len(run) == 3:
            break
        run.append((i, w))
    words = [w for _, w in run]
    last = words[-1]
    bare = last[:1].isupper() or last.endswith("s") or last.endswith("ing") or last in _MASS
    return " ".join(words) if bare else "the " + " ".join(words)


def _theme(
    subject: list[str], content: list[str], moods: tuple[str, ...], genres: tuple[str, ...]
) -> tuple[str, bool]:
    """The theme the subject's (then the other) words cue; else one the moods, then the genre
    suggest; and whether the words chose it."""
    scores = dict.fromkeys(THEMES, 0)
    for weight, words in ((3, subject), (1, content)):
        for w in words:
            low = w.lower()
            forms = {low, low.rstrip("s"), low[:-2] if low.endswith("es") else low}
            for name, theme in THEMES.items():
                if forms & set(theme["cues"].split()):
                    scores[name] += weight
    best = max(scores, key=lambda k: scores[k])
    if scores[best]:
        return best, True
    by_mood = [MOOD_THEMES[m] for m in moods if m in MOOD_THEMES]
    by_genre = [GENRE_THEMES[g] for g in genres if g in GENRE_THEMES]
    return (by_mood + by_genre + [DEFAULT_THEME])[0], False
