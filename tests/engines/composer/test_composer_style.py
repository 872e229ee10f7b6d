"""Style tags -> Style: genres and their spellings, moods, instruments, explicit settings,
negative tags, unknown words, determinism."""

from __future__ import annotations

import json

import pytest

from openchirp.engines.composer.harmony import parse_chord
from openchirp.engines.composer.style import parse_style
from openchirp.engines.composer.style_data import GENRES, GM, MINOR_LIKE

SPELLINGS = {
    "heavy metal": "metal",
    "Hip Hop": "hiphop",
    "hip-hop": "hiphop",
    "rap": "hiphop",
    "R&B": "rnb",
    "rnb": "rnb",
    "EDM": "edm",
    "lo-fi": "lofi",
    "lofi": "lofi",
    "K-Pop": "kpop",
    "kpop": "kpop",
    "drum and bass": "dnb",
    "dnb": "dnb",
    "drum & bass": "dnb",
    "synthwave, moody, electronic": "synthwave",
    "epic reggae": "reggae",
    "bossa nova": "bossa",
    "country": "country",
    "jazz": "jazz",
    "gospel": "gospel",
    "punk rock": "punk",
    "deep house": "house",
    "trap": "trap",
    "techno": "techno",
    "orchestral": "orchestral",
    "ambient": "ambient",
    "funk": "funk",
    "disco": "disco",
    "blues": "blues",
    "j-pop": "jpop",
    "afrobeats": "afrobeat",
    "ska": "ska",
    "trance": "trance",
    "dubstep": "dubstep",
    "grunge": "grunge",
    "acoustic folk ballad": "acoustic",
}


def test_at_least_thirty_genres() -> None:
    assert len(GENRES) >= 30


@pytest.mark.parametrize("tags,genre", sorted(SPELLINGS.items()))
def test_genre_spellings(tags: str, genre: str) -> None:
    assert parse_style(tags).genre == genre


def test_unknown_words_never_fail_and_default_sensibly() -> None:
    s = parse_style("zxqv florbish, 🎸🎸, [weird] ((tags)) ~~~")
    assert s.genre == "pop"
    assert 50 <= s.tempo <= 200
    s = parse_style("")
    assert s.instruments


def test_deterministic_and_variants_differ() -> None:
    a = parse_style("pop", seed=7, variant=0)
    assert a == parse_style("pop", seed=7, variant=0)
    others = [parse_style("pop", seed=7, variant=1), parse_style("pop", seed=8, variant=0)]
    assert any(
        (o.tempo, o.tonic, o.mode, o.progressions) != (a.tempo, a.tonic, a.mode, a.progressions)
        for o in others
    )


def test_explicit_tempo_key_and_meter() -> None:
    s = parse_style("pop, 120 bpm, in D minor, 3/4")
    assert s.tempo == 120
    assert s.tonic == 2 and s.mode == "minor"
    assert s.meter == 3
    assert parse_style("waltz").meter == 3


def test_slow_and_fast_words_move_the_tempo() -> None:
    base = [parse_style("pop", seed=i).tempo for i in range(8)]
    slow = [parse_style("pop, slow", seed=i).tempo for i in range(8)]
    fast = [parse_style("pop, fast", seed=i).tempo for i in range(8)]
    assert all(s < b < f for s, b, f in zip(slow, base, fast, strict=True))


def test_moods_pick_the_mode() -> None:
    assert all(parse_style("pop, sad", seed=i).mode in MINOR_LIKE for i in range(6))
    assert all(parse_style("rock, happy", seed=i).mode not in MINOR_LIKE for i in range(6))
    epic = parse_style("epic reggae")
    assert epic.instruments.get("pad") == GM["strings"]


def test_instrument_words_and_vocal_type() -> None:
    s = parse_style("lofi, piano, female vocals")
    assert s.instruments["comp"] == GM["piano"]
    assert s.vocal_kind == "female"
    s = parse_style("trap, 808s, male vocals")
    assert s.bass_style == "808" and s.vocal_kind == "male"
    s = parse_style("folk, acoustic guitar, strings")
    assert s.instruments["comp"] == GM["steel_guitar"] and s.comp_style == "strum"
    assert s.instruments["pad"] == GM["strings"]


def test_instrumental_bass_solo() -> None:
    s = parse_style("instrumental, bass solo, groovy, funky")
    assert s.instrumental and s.solo == "bass" and s.genre == "funk"


def test_negative_tags_remove_what_they_name() -> None:
    s = parse_style("rock, piano", "piano, drums")
    assert s.instruments.get("comp") != GM["piano"]
    assert not s.drums
    assert parse_style("pop, male vocals", "male vocals").vocal_kind == "female"
    assert parse_style("metal", "metal").genre != "metal"
    assert parse_style("country", "sad").mode not in MINOR_LIKE


def test_style_is_json_serialisable_and_round_trips() -> None:
    from openchirp.engines.composer.style import Style

    s = parse_style("synthwave, moody, electronic", seed=3)
    d = json.loads(json.dumps(s.to_dict()))
    assert Style.from_dict(d) == s


def test_progressions_parse_to_chords_in_the_mode() -> None:
    for name in GENRES:
        for seed in range(3):
            s = parse_style(name, seed=seed)
            for kind, prog in s.progressions.items():
                chords = [parse_chord(c) for c in prog]
                assert chords, (name, kind)
                tonic_chords = [c for c in chords if c.root == 0]
                if tonic_chords and s.mode in ("major", "minor"):
                    assert tonic_chords[0].minor == (s.mode == "minor"), (name, kind, prog)


def test_symphonic_metal_is_metal_with_strings() -> None:
    s = parse_style("symphonic metal")
    assert s.genre == "metal" and s.instruments.get("pad") == GM["strings"]
    assert "pad" not in parse_style("heavy metal").instruments
