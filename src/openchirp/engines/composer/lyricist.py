"""Lyricists: a one-line description -> title, style tags and sectioned lyrics.

:class:`OfflineLyricist` reads the description (:mod:`description`: genres, moods, instruments,
tempo, voice, subject), writes tags the engine reads back as the named genre, and writes the
lyrics from the subject's word bank (:mod:`lyric_bank`): verse, chorus, verse, chorus, bridge,
chorus; a chorus whose first and last lines (the hook) sing the subject; every line ending on a
rhyme of the CMU dictionary that espeak-ng agrees with (:mod:`rhyme_data`), in AABB or ABAB; and
every line of a section fitted to one syllable count (counted as the composer counts them, one
note per syllable) so that parallel lines sing the same tune. :class:`LLMLyricist` asks an
OpenAI-compatible chat endpoint instead and falls back on the offline one on any error.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import httpx

from openchirp.engines.base import WrittenSong
from openchirp.engines.composer.description import MAX_DESCRIPTION, Reading, read
from openchirp.engines.composer.lyric_bank import (
    BRIDGE,
    CHORUS,
    GENERIC,
    HOOK,
    SAD,
    THEMES,
    VERSE,
    VERSE_SUBJECT,
    word_set,
)
from openchirp.engines.composer.rhyme_table import family_of
from openchirp.engines.composer.voice.phonemes import syllable_count, words_of
from openchirp.vocabulary import GENRE_ALIASES, find_all, tag_text

log = logging.getLogger(__name__)

_MAX_DESCRIPTION = MAX_DESCRIPTION
_SMALL = {"a", "an", "the", "and", "of", "in", "at", "on", "to", "for", "by", "or", "from", "with"}
_OPTIONAL = re.compile(r"\(([^()]*)\)")
_RAP = {"hiphop", "trap"}
_SAD = {"sad", "melancholic", "dark"}
_PADS = {"": 0, "Oh, ": 6, "Yeah, ": 8, "Oh, oh, ": 16}
"""Sung before a line short of its section's count, at a cost (10 = a syllable off)."""
_ING_NOUNS = word_set(
    "morning evening spring string king ring thing wedding building ceiling feeling"
)


@lru_cache(maxsize=8192)
def _chunk_syllables(chunk: str) -> int:
    return syllable_count(chunk)


@lru_cache(maxsize=8192)
def _chunk_stresses(chunk: str) -> tuple[bool, ...]:
    return tuple(s.stressed for w in words_of(chunk) for s in w.syllables)


def _stresses(line: str) -> tuple[bool, ...]:
    return tuple(x for c in line.split() for x in _chunk_stresses(c))


def _off_meter(line: str, meter: tuple[bool, ...]) -> int:
    """Syllables whose stress differs from the section's first line, aligned from the end
    (where the rhyme and the held note are)."""
    if not meter:
        return 0
    return sum(a != b for a, b in zip(reversed(_stresses(line)), reversed(meter), strict=False))


def _syllables(line: str) -> int:
    """``syllable_count(line)``, summed over its space-separated chunks (no word spans a space),
    each counted once per process."""
    return sum(_chunk_syllables(c) for c in line.split())


@dataclass
class _Bank:
    """One song's words: the theme's, plus the generic line endings their rhymes need."""

    families: list[tuple[str, ...]]
    scenes: set[str]
    nouns: list[str]
    adjectives: list[str]
    verbs: list[str]
    used: set[str] = field(default_factory=set)
    """Templates and end words already sung (a song never repeats a line outside its chorus)."""


def _bank(reading: Reading, rng: random.Random) -> _Bank:
    theme = THEMES[reading.theme]
    own = theme["ends"].split()
    # No line ends on (or pairs with) the subject's own words ("a lost friend and the friend").
    subject = set(reading.subject.lower().split())
    allowed = {
        w
        for w in set(own) | set(GENERIC["ends"].split())
        if not any(s == w or (len(w) >= 4 and s.startswith(w[:4])) for s in subject)
    }
    table = family_of()
    families: dict[tuple[str, ...], int] = {}
    for w in sorted(allowed):
        if w in table:
            fam = tuple(x for x in table[w] if x in allowed)
            if len(fam) >= 2:
                families[fam] = sum(x in own for x in fam)
    themed = [f for f, n in families.items() if n]
    plain = [f for f, n in families.items() if not n]
    rng.shuffle(themed)
    rng.shuffle(plain)
    themed.sort(key=lambda f: -min(families[f], 2))  # stable: both-themed families first
    unrhymed = [w for w in own if w not in table]
    return _Bank(
        families=themed + plain,
        scenes=set(theme["scenes"].split()) | set(GENERIC["scenes"].split()),
        nouns=[n for n in theme["nouns"].split() + unrhymed if n not in subject] or ["heartbeat"],
        adjectives=theme["adjectives"].split(),
        verbs=theme["verbs"].split(),
    )


def _variants(template: str) -> list[tuple[str, int]]:
    """The template with each optional "(...)" part in and out, and how many are in."""
    parts = _OPTIONAL.findall(template)
    out = []
    for mask in range(2 ** len(parts)):
        line = template
        for k, part in enumerate(parts):
            line = line.replace(f"({part})", part if mask >> k & 1 else "", 1)
        out.append((line, bin(mask).count("1")))
    return out


def _finish(line: str) -> str:
    line = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", lambda m: m.group(1) + "n ", line)
    line = re.sub(r"\s+", " ", line).strip()
    return line[:1].upper() + line[1:]


class _Writer:
    """Writes one song's lines; all randomness comes from one seeded generator."""

    def __init__(self, reading: Reading, rng: random.Random) -> None:
        self.reading = reading
        self.rng = rng
        self.bank = _bank(reading, rng)
        self.extra = [w for w in reading.extra if w.lower() not in reading.subject.lower()]
        self.sad = any(m in _SAD for m in reading.moods) or reading.theme == "sorrow"
        self.own = set(THEMES[reading.theme]["ends"].split())
        self.theme_lines = [t for t in THEMES[reading.theme].get("lines", "").split("|") if t]
        self.meter: tuple[bool, ...] = ()
        """Stresses of the current section's first line: the others follow its meter."""
        first = reading.subject.split()[0].lower() if reading.subject.split() else ""
        self.gerund = first.endswith("ing") and first not in _ING_NOUNS
        self.short = _short(reading.subject)
        # The hook comes back with a long subject's head only ("a girl from Ipanema" -> "a girl").
        self.hook2 = reading.subject if _syllables(reading.subject) <= 5 else self.short

    def pair(self) -> list[str]:
        """Two different end words that rhyme, the theme's own first."""
        bank = self.bank
        fam = bank.families.pop(0)
        bank.families.append(fam)
        own = set(THEMES[self.reading.theme]["ends"].split())
        fresh = [w for w in fam if w not in bank.used] or list(fam)
        self.rng.shuffle(fresh)
        fresh.sort(key=lambda w: w not in own)
        words = fresh[:2] if len(fresh) >= 2 else [fresh[0], next(w for w in fam if w != fresh[0])]
        bank.used.update(words)
        self.rng.shuffle(words)
        return words

    def line(
        self, templates: list[str], end: str, target: int, subject: str = "", repeat: bool = False
    ) -> str:
        """The filled template whose syllable count is nearest ``target`` (a short line may take
        an "Oh," before it). ``repeat``: a template sung already may come back (the hook)."""
        bank, rng = self.bank, self.rng
        if self.gerund:
            templates = [t for t in templates if not t.startswith("!")] or templates
        pool = templates if repeat else [t for t in templates if t not in bank.used] or templates
        pool = [t for t in pool if "@" not in t[:2] or end in bank.scenes] or [
            t for t in templates if "@" not in t[:2]
        ]
        order = rng.sample(pool, len(pool))
        best, best_score, best_t = "", 10**6, order[0]
        for tried, template in enumerate(order, 1):
            noun = self.extra[0] if self.extra else rng.choice(bank.nouns)
            if noun == end:
                noun = next((n for n in bank.nouns if n != end), noun)
            # Adjectives colour the theme's own images only ("the bitter cup", not "the slow end").
            shape = template if end in self.own else template.replace("{A} ", "")
            if noun[:1].isupper():
                shape = shape.replace("the {N}", "{N}")  # a name: "give me Max", not "the Max"
            # The description's own words get sung: worth up to a syllable off the count.
            bonus = 15 if self.extra and "{N}" in template else 0
            bonus += 4 if template in self.theme_lines else 0  # the subject's own images first
            filled = (
                shape.lstrip("@!")
                .replace("{S}", subject)
                .replace("{R}", end)
                .replace("{N}", noun)
                .replace(
                    "{A}",
                    rng.choice([a for a in bank.adjectives if a[:3] != end[:3]] or ["golden"]),
                )
                .replace("{V}", rng.choice(bank.verbs))
            )
            penalty = 5 if template in bank.used else 0
            if _echoes(filled, end) and tried < len(order):
                continue  # "dreaming of the dream" (the last one is sung whatever it says)
            for variant, extras in _variants(filled):
                body = _finish(variant)
                pads = ("",) if body.startswith(("Oh", "Hey", "Yeah")) else _PADS
                for pad in pads:
                    text = pad + _lowered(body, subject) if pad else body
                    gap = abs(_syllables(text) - target)
                    score = gap * 10 + _PADS[pad] + 2 * extras + penalty - bonus
                    score += min(9, 2 * _off_meter(text, self.meter))  # under a syllable
                    if score < best_score:
                        best, best_score, best_t = text, score, template
            if best_score < 10 - 15 * bool(self.extra):
                break
        bank.used.add(best_t)
        self.meter = self.meter or _stresses(best)
        if self.extra and self.extra[0] in best:
            self.extra.pop(0)
        return best

    def verse(self, target: int) -> list[str]:
        self.meter = ()
        a, b = self.pair(), self.pair()
        ends = [a[0], a[1], b[0], b[1]] if self.rng.random() < 0.5 else [a[0], b[0], a[1], b[1]]
        with_subject = self.rng.choice([1, 2, 3])
        plain = VERSE + self.theme_lines + (SAD if self.sad else [])
        return [
            self.line(VERSE_SUBJECT, end, target, self.short)
            if i == with_subject
            else self.line(plain, end, target)
            for i, end in enumerate(ends)
        ]

    def chorus(self, target: int) -> list[str]:
        """Hook, two lines, hook: the hook sings the whole subject and sets the count."""
        self.meter = ()
        a, b = self.pair(), self.pair()
        hook = self.line(HOOK, a[0], target, self.reading.subject)
        target = _syllables(hook)
        return [
            hook,
            self.line(CHORUS, a[1], target),
            self.line(CHORUS, b[0], target),
            self.line(HOOK, b[1], target, self.hook2, repeat=True),
        ]

    def bridge(self, target: int) -> list[str]:
        self.meter = ()
        a = self.pair()
        plain = BRIDGE + self.theme_lines + (SAD if self.sad else [])
        return [self.line(plain, a[0], target), self.line(plain, a[1], target)]


def _short(subject: str) -> str:
    """A long subject cut to its head for the verses: "studying in the rain" -> "studying",
    "my sister Anna" -> "Anna", "a broken-down truck" -> "a truck"."""
    if _syllables(subject) <= 4:
        return subject
    words = subject.split()
    names = [w for w in words[1:] if w[:1].isupper()]
    if names:
        return names[-1]
    for i, w in enumerate(words[1:], 1):
        if w.lower() in {"in", "at", "on", "from", "of", "with", "and", "for", "to", "by"}:
            return " ".join(words[:i])
    det = words[0] if words[0].lower() in {"a", "an", "the", "my", "your", "our"} else ""
    return " ".join(([det] if det else []) + words[-1:])


def _echoes(line: str, end: str) -> bool:
    """Whether a word before the end word shares its stem ("dreaming ... dream")."""
    stem = end.lower()[:4]
    before = re.findall(r"[\w']+", line.lower())[:-1]
    return any(w == end or (len(stem) >= 4 and w.startswith(stem)) for w in before)


def _lowered(body: str, subject: str) -> str:
    """A line's first letter in lower case, to follow an "Oh," (not "I", nor a name)."""
    first = body.split(" ", 1)[0].rstrip(",")
    if first in {"I", "I'm", "I've", "I'll", "I'd"} or (
        subject[:1].isupper() and body.startswith(subject)
    ):
        return body
    return body[:1].lower() + body[1:]


def title_case(phrase: str) -> str:
    words = phrase.split()
    if words and words[0].lower() in {"a", "an", "the"} and len(words) > 1:
        words = words[1:]
    out = []
    for i, w in enumerate(words):
        if w[:1].isupper() or (i and w in _SMALL):
            out.append(w)
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


class OfflineLyricist:
    """Writes a title, tags and lyrics from the description alone, deterministically per seed."""

    def write(self, description: str, *, seed: int, instrumental: bool = False) -> WrittenSong:
        reading = read(description or "")
        rng = random.Random(f"{seed}:{description}")
        instrumental = instrumental or reading.instrumental
        title = self._title(reading, rng)
        tags = self._tags(reading, instrumental)
        if instrumental:
            return WrittenSong(title=title, tags=tags, lyrics="")
        writer = _Writer(reading, rng)
        rap = bool(reading.genre_keys) and reading.genre_keys[0] in _RAP
        short = _syllables(writer.short)
        verse_target = min(11, max(rng.choice([9, 10] if rap else [7, 8, 9]), short + 5))
        chorus_target = min(12, max(rng.choice([6, 7, 8]), _syllables(reading.subject) + 4))
        chorus = writer.chorus(chorus_target)  # first: it takes the theme's best rhymes
        verse1 = writer.verse(verse_target)
        verse2 = writer.verse(verse_target)
        bridge = writer.bridge(verse_target)
        parts = [
            ("Verse", verse1),
            ("Chorus", chorus),
            ("Verse 2", verse2),
            ("Chorus", chorus),
            ("Bridge", bridge),
            ("Chorus", chorus),
        ]
        lyrics = "\n\n".join(f"[{name}]\n" + "\n".join(lines) for name, lines in parts)
        return WrittenSong(title=title, tags=tags, lyrics=lyrics)

    @staticmethod
    def _title(reading: Reading, rng: random.Random) -> str:
        if reading.subject_named:
            return title_case(reading.subject)
        return rng.choice(THEMES[reading.theme]["titles"].split("|"))

    @staticmethod
    def _tags(reading: Reading, instrumental: bool) -> str:
        theme = THEMES[reading.theme]
        genres = list(reading.genres) or theme["genre"].split(", ")
        moods = list(reading.moods)
        if not moods and not reading.genres and reading.theme_matched:
            moods = theme["mood"].split(", ")  # the subject's mood, when nothing else is said
        parts = [*genres, *moods, *reading.instruments, *reading.tempo]
        if instrumental:
            parts.append("instrumental")
        elif reading.vocal:
            parts.append(reading.vocal)
        return ", ".join(dict.fromkeys(p.strip() for p in parts if p.strip()))


def make_lyrics(description: str, seed: int) -> WrittenSong:
    """Title, tags and lyrics for a description, written offline."""
    return OfflineLyricist().write(description, seed=seed)


_SYSTEM_PROMPT = (
    "You write song lyrics. Answer with one JSON object and nothing else: "
    '{"title": string, "tags": string of comma-separated genre and mood words, '
    '"lyrics": string}. Lyrics use section tags on their own lines: [Verse], [Chorus], '
    "[Verse 2], [Chorus], [Bridge], [Chorus]; 4 lines per section, lines of 6 to 9 syllables "
    "that rhyme in couplets."
)
_SECTION = re.compile(r"^\s*\[[^\]\n]{1,40}\]\s*$", re.MULTILINE)


class LLMLyricist:
    """Asks an OpenAI-compatible ``/v1/chat/completions`` endpoint for a song and checks the
    answer; any error, timeout or malformed answer falls back on :class:`OfflineLyricist`."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        fallback: OfflineLyricist | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.fallback = fallback or OfflineLyricist()

    def write(self, description: str, *, seed: int, instrumental: bool = False) -> WrittenSong:
        try:
            return _keep_genre(
                self._ask(description, seed=seed, instrumental=instrumental), description
            )
        except Exception as exc:  # network, HTTP status, JSON, validation: all fall back
            log.warning("LLM lyricist failed (%s), writing offline", exc)
            return self.fallback.write(description, seed=seed, instrumental=instrumental)

    def _url(self) -> str:
        base = self.base_url if self.base_url.endswith("/v1") else self.base_url + "/v1"
        return base + "/chat/completions"

    def _ask(self, description: str, *, seed: int, instrumental: bool) -> WrittenSong:
        ask = f"Song description: {description[:_MAX_DESCRIPTION]}"
        if instrumental:
            ask += "\nThis is an instrumental: give an empty lyrics string."
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        payload = {
            "model": self.model,
            "seed": seed,
            "temperature": 0.9,
            "messages": [
                {"role": "system", "content": _SYSTEM_PROMPT},
                {"role": "user", "content": ask},
            ],
        }
        resp = httpx.post(self._url(), json=payload, headers=headers, timeout=self.timeout)
        resp.raise_for_status()
        content = resp.json()["choices"][0]["message"]["content"]
        return _parse_song(content, instrumental)


def _keep_genre(song: WrittenSong, description: str) -> WrittenSong:
    """The model's tags, led by the genre the description named when the engine would read
    another one first (a model that answers "dream pop" to "a jazzy song")."""
    reading = read(description)
    if not reading.genre_keys:
        return song
    named = [GENRE_ALIASES[k] for _, k in find_all(tag_text(song.tags), GENRE_ALIASES)]
    if named[:1] == [reading.genre_keys[0]]:
        return song
    tags = ", ".join(dict.fromkeys([*reading.genres, *(t.strip() for t in song.tags.split(","))]))
    return replace(song, tags=tags.strip(", "))


def _parse_song(content: str, instrumental: bool) -> WrittenSong:
    """The JSON object inside a chat answer (code fences and chatter around it tolerated)."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    data = json.loads(content[start : end + 1])
    title, tags, lyrics = data.get("title"), data.get("tags"), data.get("lyrics", "")
    if isinstance(tags, list):
        tags = ", ".join(str(t) for t in tags)
    if not isinstance(title, str) or not title.strip() or len(title) > 120:
        raise ValueError("bad title")
    if not isinstance(tags, str) or len(tags) > 300:
        raise ValueError("bad tags")
    if not isinstance(lyrics, str) or len(lyrics) > 5000:
        raise ValueError("bad lyrics")
    if instrumental:
        lyrics = ""
    elif not _SECTION.search(lyrics) or len(_SECTION.sub("", lyrics).strip()) < 20:
        raise ValueError("lyrics without sections")
    return WrittenSong(title=title.strip(), tags=tags.strip(), lyrics=lyrics.strip())
