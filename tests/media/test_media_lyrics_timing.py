from __future__ import annotations

from openchirp.engines.base import WordTiming
from openchirp.media.lyrics_timing import (
    aligned_words,
    lines_from_gaps,
    lines_from_words,
    lyric_lines,
)

LYRICS = """[Verse 1]
Hello, world! It's me

[Chorus]
Beautiful day
  (oh yeah)
"""


def timed(*items: str, start: float = 0.0, step: float = 0.5) -> list[WordTiming]:
    return [WordTiming(w, start + i * step, start + i * step + 0.4) for i, w in enumerate(items)]


def test_lyric_lines_skip_sections_and_blanks() -> None:
    assert lyric_lines(LYRICS) == ["Hello, world! It's me", "Beautiful day", "(oh yeah)"]


def test_words_matched_to_lines() -> None:
    words = timed("hello", "world", "its", "me", "beautiful", "day", "oh", "yeah")
    assert lines_from_words(LYRICS, words) == [
        (0.0, 1.9, "Hello, world! It's me"),
        (2.0, 2.9, "Beautiful day"),
        (3.0, 3.9, "(oh yeah)"),
    ]


def test_syllables_and_skipped_words() -> None:
    # The engine sings syllables and drops "It's"; the line break still falls in the right place.
    words = timed("Hel", "lo", "world", "me", "beau", "ti", "ful", "day", "oh", "yeah")
    lines = lines_from_words(LYRICS, words)
    assert [line[2] for line in lines] == ["Hello, world! It's me", "Beautiful day", "(oh yeah)"]
    assert lines[0][:2] == (0.0, 1.9) and lines[1][:2] == (2.0, 3.9)


def test_extra_words_stay_on_the_current_line() -> None:
    words = timed("hello", "world", "its", "me", "la", "la", "beautiful", "day")
    lines = lines_from_words(LYRICS, words)
    assert lines[0] == (0.0, 2.9, "Hello, world! It's me")
    assert lines[1] == (3.0, 3.9, "Beautiful day")
    assert len(lines) == 2  # "(oh yeah)" was never sung


def test_no_lyrics_cuts_at_pauses() -> None:
    words = timed("a", "b", "c") + timed("d", "e", start=5.0)
    assert lines_from_words("", words) == [(0.0, 1.4, "a b c"), (5.0, 5.9, "d e")]
    assert len(lines_from_gaps(timed(*"abcdefghij"), max_words=4)) == 3
    assert lines_from_words(LYRICS, []) == []


def test_aligned_words() -> None:
    out = aligned_words([WordTiming("Hi", 0.12345, 0.5)])
    assert out == [{"word": "Hi", "start_s": 0.123, "end_s": 0.5, "success": True, "p_align": 1.0}]
