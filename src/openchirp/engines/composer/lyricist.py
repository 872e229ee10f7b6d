"""Lyricists: a one-line description -> title, style tags and sectioned lyrics.

:class:`OfflineLyricist` writes from the embedded word bank (:mod:`lyric_bank`): it picks a theme
from the description's words, takes its topic words (names, nouns, -ing verbs) into the lines,
ends each couplet on a rhyme that espeak-ng agrees is one, and fits every line of a section to
the same syllable count (counted with ``voice.phonemes.words_of``) so that the composer can set it.
:class:`LLMLyricist` asks an OpenAI-compatible chat endpoint instead and falls back on the
offline one on any error.
"""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import httpx

from openchirp.engines.base import WrittenSong
from openchirp.engines.composer.lyric_bank import (
    BRIDGE_LINES,
    CHORUS_LINES,
    CHORUS_TOPIC_LINES,
    DEFAULT_THEME,
    GENRES,
    MOODS,
    STOPWORDS,
    THEMES,
    VERSE_LINES,
    VERSE_TOPIC_LINES,
)
from openchirp.engines.composer.voice.phonemes import rhyme_tail, syllable_count, word

log = logging.getLogger(__name__)

_MAX_DESCRIPTION = 400
_TRIES = 80


@dataclass(frozen=True)
class _Brief:
    theme: str
    genres: tuple[str, ...]
    moods: tuple[str, ...]
    topics: tuple[str, ...]
    """Topic phrases for {T}: a name ("Max") or "the" + noun ("the dragons")."""
    topic_verbs: tuple[str, ...]
    """-ing words of the description ("driving"), sung in {V} slots."""
    topic_words: tuple[str, ...]
    """Every topic word, as it must appear in the lyrics."""


def _analyse(description: str) -> _Brief:
    text = description[:_MAX_DESCRIPTION]
    tokens = re.findall(r"[A-Za-z][A-Za-z'&-]*", text)
    lower = [t.lower().strip("'-") for t in tokens]
    genres = tuple(dict.fromkeys(GENRES[w] for w in lower if w in GENRES))
    moods = tuple(dict.fromkeys(MOODS[w] for w in lower if w in MOODS))
    scores = {name: 0 for name in THEMES}
    for w in lower:
        for name, theme in THEMES.items():
            cues = str(theme["cues"]).split()
            if w in cues or w.rstrip("s") in cues:
                scores[name] += 1
    theme = max(scores, key=lambda k: scores[k]) if any(scores.values()) else ""
    if not theme:
        mood_theme = {
            "sad": "sorrow",
            "melancholic": "sorrow",
            "epic": "epic",
            "happy": "celebration",
        }
        theme = next((mood_theme[m] for m in moods if m in mood_theme), DEFAULT_THEME)
    topics: list[str] = []
    verbs: list[str] = []
    words: list[str] = []
    for i, (tok, low) in enumerate(zip(tokens, lower, strict=True)):
        if low in STOPWORDS or low in GENRES or low in MOODS or len(low) < 3 or len(low) > 14:
            continue
        if low in words or tok in words:
            continue
        if low.endswith("ing") and len(low) > 5:
            verbs.append(low)
            words.append(low)
        elif tok[0].isupper() and i > 0:  # a name: sung as written, without "the"
            topics.append(tok)
            words.append(tok)
        else:
            topics.append(f"the {low}")
            words.append(low)
        if len(words) >= 3:
            break
    return _Brief(theme, genres, moods, tuple(topics), tuple(verbs), tuple(words))


@lru_cache(maxsize=16)
def _families(theme: str) -> tuple[tuple[str, ...], ...]:
    """The theme's end words regrouped by their real rhyme; families of two or more."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for family in THEMES[theme]["rhymes"]:  # type: ignore[union-attr]
        for w in str(family).split():
            tail = rhyme_tail(word(w))
            if tail and w not in groups.setdefault(tail, []):
                groups[tail].append(w)
    return tuple(tuple(ws) for ws in groups.values() if len(ws) >= 2)


def _fix_articles(line: str) -> str:
    line = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", lambda m: m.group(1) + "n ", line)
    return line[:1].upper() + line[1:]


class _Writer:
    """Writes one song's lines; all randomness comes from one seeded generator."""

    def __init__(self, brief: _Brief, rng: random.Random) -> None:
        self.brief = brief
        self.rng = rng
        theme = THEMES[brief.theme]
        self.adjectives = str(theme["adjectives"]).split()
        self.nouns = str(theme["nouns"]).split()
        self.verbs = list(brief.topic_verbs) + str(theme["verbs"]).split()
        self.families = list(_families(brief.theme))
        rng.shuffle(self.families)
        self.used_topic: set[str] = set()

    def _fill(self, template: str, end: str, topic: str | None) -> str:
        rng = self.rng
        verb = rng.choice(self.verbs)
        # Make sure the description's -ing word is sung at least once.
        unused_verbs = [v for v in self.brief.topic_verbs if v not in self.used_topic]
        if unused_verbs and "{V}" in template:
            verb = unused_verbs[0]
        line = template.replace("{R}", end).replace("{T}", topic or "the night")
        line = line.replace("{A}", rng.choice(self.adjectives)).replace(
            "{N}", rng.choice(self.nouns)
        )
        line = line.replace("{V}", verb)
        return _fix_articles(line)

    def line(self, templates: list[str], end: str, target: int, topic: str | None) -> str:
        best, best_gap = "", 99
        for attempt in range(_TRIES):
            line = self._fill(self.rng.choice(templates), end, topic)
            gap = abs(syllable_count(line) - target)
            if gap < best_gap:
                best, best_gap = line, gap
            if gap == 0 or (gap == 1 and attempt > _TRIES // 2):
                break
        for v in self.brief.topic_verbs:
            if v in best:
                self.used_topic.add(v)
        if topic:
            self.used_topic.add(topic)
        return best

    def next_family(self) -> tuple[str, ...]:
        family = self.families.pop(0) if self.families else ("night", "light")
        self.families.append(family)
        return family

    def topic(self) -> str | None:
        unused = [t for t in self.brief.topics if t not in self.used_topic]
        pool = unused or list(self.brief.topics)
        return self.rng.choice(pool) if pool else None

    def section(self, kind: str, target: int, n_lines: int = 4) -> list[str]:
        plain, with_topic = {
            "verse": (VERSE_LINES, VERSE_TOPIC_LINES),
            "chorus": (CHORUS_LINES, CHORUS_TOPIC_LINES),
            "bridge": (BRIDGE_LINES, VERSE_TOPIC_LINES),
        }[kind]
        scheme = "AABB" if kind != "verse" or self.rng.random() < 0.5 else "ABAB"
        fams = {"A": self.next_family(), "B": self.next_family()}
        ends: dict[str, list[str]] = {k: self.rng.sample(list(f), 2) for k, f in fams.items()}
        lines = []
        for i in range(n_lines):
            letter = scheme[i % 4]
            end = ends[letter].pop(0) if ends[letter] else self.rng.choice(fams[letter])
            # The chorus hook and one line per verse carry the description's topic.
            use_topic = self.brief.topics and (i == 0 if kind == "chorus" else i == 2)
            unused_verb = any(v not in self.used_topic for v in self.brief.topic_verbs)
            if use_topic:
                lines.append(self.line(with_topic, end, target, self.topic()))
            elif unused_verb:
                vlines = [t for t in plain if "{V}" in t] or plain
                lines.append(self.line(vlines, end, target, None))
            else:
                lines.append(self.line(plain, end, target, None))
        return lines


class OfflineLyricist:
    """Writes a title, tags and lyrics from the description alone, deterministically per seed."""

    def write(self, description: str, *, seed: int, instrumental: bool = False) -> WrittenSong:
        brief = _analyse(description or "")
        rng = random.Random(f"{seed}:{description}")
        writer = _Writer(brief, rng)
        title = self._title(brief, writer)
        tags = self._tags(brief, description or "", instrumental)
        if instrumental:
            return WrittenSong(title=title, tags=tags, lyrics="")
        verse_target = rng.choice([7, 8, 9])
        chorus_target = rng.choice([6, 7, 8])
        verse1 = writer.section("verse", verse_target)
        chorus = writer.section("chorus", chorus_target)
        verse2 = writer.section("verse", verse_target)
        bridge = writer.section("bridge", verse_target, n_lines=2)
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
    def _title(brief: _Brief, writer: _Writer) -> str:
        names = [t for t in brief.topics if not t.startswith("the ")]
        nouns = [t[4:] for t in brief.topics if t.startswith("the ")]
        rng = writer.rng
        if names and nouns:
            return f"{names[0]}'s {nouns[0].title()}"
        if nouns or names:
            head = (nouns or names)[0]
            return f"{rng.choice(writer.adjectives).title()} {head.title()}"
        if brief.topic_verbs:
            return f"{brief.topic_verbs[0].title()} {rng.choice(writer.nouns).title()}"
        fam = rng.choice(writer.families) if writer.families else ("night",)
        return f"{rng.choice(writer.adjectives).title()} {fam[0].title()}"

    @staticmethod
    def _tags(brief: _Brief, description: str, instrumental: bool) -> str:
        theme = THEMES[brief.theme]
        genre = ", ".join(brief.genres) or str(theme["genre"])
        mood = ", ".join(brief.moods) or str(theme["mood"])
        parts = [p.strip() for p in f"{genre}, {mood}".split(",") if p.strip()]
        low = description.lower()
        if not instrumental:
            if re.search(r"\b(male|man|boy)\b", low):
                parts.append("male vocals")
            elif re.search(r"\b(female|woman|girl)\b", low):
                parts.append("female vocals")
        else:
            parts.append("instrumental")
        return ", ".join(dict.fromkeys(parts))


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
            return self._ask(description, seed=seed, instrumental=instrumental)
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
