"""Lyric lines -> words -> syllables with espeak-ng phonemes."""

from __future__ import annotations

import time

import pytest

from openchirp.engines.composer.voice.phonemes import (
    is_vowel,
    rhyme_tail,
    syllable_count,
    word,
    words_of,
)


def texts(line: str) -> list[str]:
    return [w.text for w in words_of(line)]


def test_words_keep_apostrophes_and_drop_punctuation() -> None:
    assert texts("He's gone, don't cry!") == ["He's", "gone", "don't", "cry"]
    assert texts("singin' 'cause \u2018quoted\u2019 words...") == [
        "singin'",
        "'cause",
        "quoted",
        "words",
    ]


def test_section_tags_and_emoji_are_not_words() -> None:
    assert texts("[Chorus] la 🙂 la") == ["la", "la"]


def test_hyphenated_word_is_one_word_with_hyphen_on_display() -> None:
    (w,) = words_of("twenty-one")
    assert [s.text for s in w.syllables] == ["twen", "ty-", "one"]


@pytest.mark.parametrize(
    ("text", "count"),
    [("night", 1), ("starry", 2), ("beautiful", 3), ("tomorrow", 3), ("strengths", 1), ("fire", 1)],
)
def test_syllable_counts(text: str, count: int) -> None:
    assert len(word(text).syllables) == count


def test_syllables_have_one_vowel_nucleus_and_onset_maximisation() -> None:
    w = word("starry")
    assert [s.text for s in w.syllables] == ["star", "ry"]
    first, second = w.syllables
    assert first.phonemes == ("s", "t", "A:")
    assert second.phonemes[0] == "r"  # the r starts the second syllable
    for s in word("extraordinary").syllables:
        assert is_vowel(s.phonemes[s.vowel_index])
        assert sum(is_vowel(p) for p in s.phonemes) == 1


def test_stress_follows_the_dictionary() -> None:
    assert [s.stressed for s in word("tomorrow").syllables] == [False, True, False]
    assert [s.stressed for s in word("beautiful").syllables] == [True, False, False]


@pytest.mark.parametrize(
    "line",
    ["", "   ", "42 3am", "🙂🙂", "東京 Привет café", "x" * 500, "--- ''' ___", "a-", "l'été"],
)
def test_odd_input_never_fails_and_spelling_is_preserved(line: str) -> None:
    for w in words_of(line):
        assert w.syllables
        assert "".join(s.text for s in w.syllables) == w.text
        for s in w.syllables:
            assert 0 <= s.vowel_index < len(s.phonemes)


def test_numbers_are_read_out() -> None:
    (w,) = words_of("42")
    assert len(w.syllables) == 3  # for-ty-two


def test_rhyme_tails() -> None:
    assert rhyme_tail(word("night")) == rhyme_tail(word("light")) == rhyme_tail(word("bright"))
    assert rhyme_tail(word("heart")) == rhyme_tail(word("apart"))
    assert rhyme_tail(word("night")) != rhyme_tail(word("heart"))


def test_syllable_count_of_a_line() -> None:
    assert syllable_count("Twinkle twinkle little star") == 7


def test_fast_after_warm_up() -> None:
    lyrics = [
        "We are driving through the city lights tonight",
        "Every heartbeat is a promise that we keep",
        "Hold me closer till the morning breaks the dark",
        "Singing louder than the thunder in the sky",
    ] * 12
    for line in lyrics:
        words_of(line)
    start = time.perf_counter()
    for _ in range(3):  # ~150 lines: more than a three-minute song
        for line in lyrics:
            words_of(line + " ")
    assert time.perf_counter() - start < 0.1
