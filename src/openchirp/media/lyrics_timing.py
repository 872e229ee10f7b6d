"""From the engine's word timings to lyric lines (video, web page) and Suno's aligned words."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from openchirp.engines.base import WordTiming

_SECTION = re.compile(r"^\s*\[[^\]]*\]\s*$")
_LOOKAHEAD = 12
"""How far ahead in the lyrics a timed word may match: engines may drop or add a few words."""


def _norm(text: str) -> str:
    """Lower-case letters and digits only, accents removed: "Don't," -> "dont"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum())


def lyric_lines(lyrics: str) -> list[str]:
    """The sung lines: no blank lines, no ``[Section]`` tags."""
    return [
        line.strip() for line in lyrics.splitlines() if line.strip() and not _SECTION.match(line)
    ]


def lines_from_words(lyrics: str, words: list[WordTiming]) -> list[tuple[float, float, str]]:
    """(start_s, end_s, text) per lyric line, timed by the words the engine sang for it.

    Words are matched to the lyrics in order; a word may be a piece of a lyric word (syllables,
    "beau" + "ti" + "ful") and unmatched words stay with the line being sung. Lines that got no
    word are left out. With no lyrics, lines are made from pauses in the words.
    """
    lines = lyric_lines(lyrics)
    if not lines:
        return lines_from_gaps(words)
    tokens: list[tuple[int, str]] = [
        (i, n) for i, line in enumerate(lines) for t in line.split() if (n := _norm(t))
    ]
    spans: dict[int, list[float]] = {}
    pos = 0  # next unmatched lyric token
    partial = ""  # pieces of the current lyric token matched so far
    line_now = tokens[0][0] if tokens else 0
    for word in words:
        w = _norm(word.word)
        if w and pos < len(tokens):
            for ahead in range(pos, min(pos + _LOOKAHEAD, len(tokens))):
                token = tokens[ahead][1]
                have = (partial if ahead == pos else "") + w
                if token == have:
                    line_now, pos, partial = tokens[ahead][0], ahead + 1, ""
                    break
                if token.startswith(have):
                    line_now, pos, partial = tokens[ahead][0], ahead, have
                    break
        span = spans.setdefault(line_now, [word.start_s, word.end_s])
        span[0] = min(span[0], word.start_s)
        span[1] = max(span[1], word.end_s)
    return [(spans[i][0], spans[i][1], lines[i]) for i in sorted(spans)]


def lines_from_gaps(
    words: list[WordTiming], gap_s: float = 0.6, max_words: int = 8
) -> list[tuple[float, float, str]]:
    """Lines cut where the singer pauses, or every ``max_words`` words."""
    out: list[tuple[float, float, str]] = []
    current: list[WordTiming] = []
    for word in words:
        if current and (word.start_s - current[-1].end_s > gap_s or len(current) >= max_words):
            out.append((current[0].start_s, current[-1].end_s, " ".join(w.word for w in current)))
            current = []
        current.append(word)
    if current:
        out.append((current[0].start_s, current[-1].end_s, " ".join(w.word for w in current)))
    return out


def aligned_words(words: list[WordTiming]) -> list[dict[str, Any]]:
    """Suno's ``aligned_words`` entries: ``success`` and ``p_align`` 1.0 where the timings are
    the engine's own; an estimate (a model that reports none) says so with its lower p_align."""
    return [
        {
            "word": w.word,
            "start_s": round(w.start_s, 3),
            "end_s": round(w.end_s, 3),
            "success": w.p_align >= 1.0,
            "p_align": round(w.p_align, 3),
        }
        for w in words
    ]
