"""The tag vocabulary the engine and the cover art share: a cover looks like what the engine
plays."""

from __future__ import annotations

import pytest

from openchirp.engines.composer.style import parse_style
from openchirp.media.cover import palette_for
from openchirp.vocabulary import (
    GENRE_ALIASES,
    GENRE_LOOKS,
    LOOK_WORDS,
    SCENE_WORDS,
    find_all,
    look_of,
    shade_of,
    tag_text,
)


@pytest.mark.parametrize("word", sorted(GENRE_ALIASES))
def test_a_genre_word_looks_like_the_genre_the_engine_plays(word: str) -> None:
    genre = parse_style(word, seed=1).genre
    assert GENRE_ALIASES[word] == genre
    assert look_of(word) == GENRE_LOOKS.get(genre, "")
    assert palette_for(word).name == (GENRE_LOOKS.get(genre) or "generic")


def test_every_word_that_sets_a_look_gets_its_palette() -> None:
    assert not set(SCENE_WORDS) & set(GENRE_ALIASES)  # no word has two meanings
    for word, look in LOOK_WORDS.items():
        assert palette_for(word).name == look, word


def test_the_style_named_first_sets_the_look() -> None:
    assert look_of("dark heavy metal, male vocals") == "metal"
    assert look_of("jazz, metal") == "jazz" and look_of("metal, jazz") == "metal"
    assert look_of("symphonic metal") == "metal"  # one genre word, not "symphonic" + "metal"
    assert look_of("pop punk") == "rock"  # the engine plays punk
    assert look_of("epic reggae") == "reggae"  # "epic" (cinematic) has no look of its own
    assert look_of("trapeze music") == ""  # "rap" inside "trapeze" is no match


def test_compounds_no_table_knows_are_read_by_their_parts() -> None:
    assert look_of("post-rock") == "rock"
    assert look_of("nu-metal, atmospheric") == "ambient"  # a known word wins over a guess
    assert look_of("rock&roll") == "rock"
    assert look_of("k-pop") == "pop" and find_all(tag_text("k-pop"), {"pop": 1}) == []


def test_shades() -> None:
    assert shade_of("Dark Techno") == -1 and shade_of("happy, dark") == -1
    assert shade_of("summer-time pop") == 1
    assert shade_of("jazz") == 0
