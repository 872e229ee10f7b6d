"""Lyrics -> sections, and sections -> bars and melodies."""

from __future__ import annotations

import numpy as np

from openchirp.engines.base import PlanRequest
from openchirp.engines.composer.compose import compose
from openchirp.engines.composer.form import parse_lyrics, section_kind
from openchirp.engines.composer.harmony import parse_chord
from tests.support.shapes import starry_lyrics

STARRY = starry_lyrics()


def test_section_tags() -> None:
    cases = {
        "Intro": "intro",
        "VERSE 2": "verse",
        "Pre-Chorus": "prechorus",
        "pre chorus": "prechorus",
        "Chorus": "chorus",
        "Hook": "chorus",
        "Bridge": "bridge",
        "Outro": "outro",
        "Instrumental": "break",
        "Guitar Solo": "solo",
        "Break": "break",
        "Post-Chorus": "postchorus",
        "Interlude": "break",
        "Refrain": "chorus",
        "End": "outro",
    }
    for tag, kind in cases.items():
        assert section_kind(tag) == kind, tag
    assert section_kind("Male vocals") is None


def test_parse_sections_lines_and_notes() -> None:
    lyrics = (
        "[intro]\n\n[VERSE]\nOne line here\n[Whispered]\nTwo *softly* [echo]\n\n[chorus]\nHey\n"
    )
    lyrics += "\n[Instrumental]\n[Chorus]\n\n[Outro]\n(ooh ooh)\n"
    secs = parse_lyrics(lyrics)
    assert [s.kind for s in secs] == ["intro", "verse", "chorus", "break", "chorus", "outro"]
    assert secs[1].lines == ["One line here", "Two"]
    assert secs[4].lines == ["Hey"]  # an empty chorus repeats the last one
    assert secs[5].lines == ["ooh ooh"]


def test_untagged_lyrics_become_verses_and_a_chorus() -> None:
    text = "a b c\nd e f\n\nla la la\nla la\n\ng h i\nj k l\n\nla la la\nla la"
    kinds = [s.kind for s in parse_lyrics(text)]
    assert kinds == ["verse", "chorus", "verse", "chorus"]


def test_length_follows_lyrics_at_metal_tempo() -> None:
    for seed in range(4):
        for variant in (0, 1):
            song = compose(PlanRequest(STARRY, "heavy metal", seed=seed, variant=variant))
            assert 150.0 <= song.duration_s <= 191.0, (seed, variant, song.duration_s)
            kinds = [s.kind for s in song.sections]
            assert kinds[0] == "intro" and kinds[-1] == "outro"
            assert song.sections[-1].ending


def test_max_duration_caps_the_song() -> None:
    song = compose(PlanRequest(STARRY, "heavy metal", seed=1, max_duration_s=60.0))
    assert song.duration_s <= 60.0
    assert song.fade_out_s > 0 or song.sections[-1].ending


def test_repeated_chorus_reuses_its_melody() -> None:
    song = compose(PlanRequest(STARRY, "pop", seed=2))
    chorus = [p for p in song.phrases if song.sections[p.section].kind == "chorus"]
    first, second = chorus[:4], chorus[4:8]
    assert len(second) == 4
    for a, b in zip(first, second, strict=True):
        assert [n.midi for n in a.notes] == [n.midi for n in b.notes]
        shift = b.notes[0].start_s - a.notes[0].start_s
        assert all(
            abs(nb.start_s - na.start_s - shift) < 1e-6
            for na, nb in zip(a.notes, b.notes, strict=True)
        )


def test_melody_is_singable_and_follows_the_words() -> None:
    from openchirp.engines.composer.compose import voice_register

    for tags in ("heavy metal", "acoustic folk ballad, female vocals", "synthwave"):
        song = compose(PlanRequest(STARRY, tags, seed=4))
        lo, hi = voice_register(song.voice.kind)
        beat = song.style.beat_s
        on_beat = total = 0
        for p in song.phrases:
            n_syll = sum(1 for n in p.notes if n.syllable is not None)
            assert n_syll == sum(len(w) > 0 for w in p.words) or n_syll >= len(p.words)
            for a, b in zip(p.notes, p.notes[1:], strict=False):
                assert b.start_s >= a.start_s + a.duration_s - 1e-6  # monophonic
                assert abs(b.midi - a.midi) <= 9  # no unsingable leaps
            for n in p.notes:
                assert lo <= n.midi <= hi
                if n.syllable is not None and n.syllable.stressed:
                    total += 1
                    pos = n.start_s / beat
                    on_beat += abs(pos - round(pos)) < 0.02 or song.style.swing > 0
        assert on_beat / total >= 0.8, tags  # stressed syllables land on beats


def test_phrase_ends_on_chord_tones_and_chorus_is_lifted() -> None:
    song = compose(PlanRequest(STARRY, "pop", seed=5))
    st = song.style
    by_kind: dict[str, list[float]] = {}
    for p in song.phrases:
        sec = song.sections[p.section]
        last = [n for n in p.notes][-1]
        bar = int(last.start_s / song.bar_s + 1e-6)
        chord = parse_chord(sec.chords[(bar - sec.start_bar) % len(sec.chords)])
        pcs = set(chord.pitch_classes(st.tonic)) | {st.tonic % 12}
        assert int(last.midi) % 12 in pcs
        by_kind.setdefault(sec.kind, []).extend(n.midi for n in p.notes)
    mean = {k: sum(v) / len(v) for k, v in by_kind.items()}
    assert mean["chorus"] > mean["verse"]


def test_final_chorus_gets_a_backing_third() -> None:
    song = compose(PlanRequest(STARRY, "pop", seed=6))
    last = max(s.energy for s in song.sections if s.kind == "chorus")
    for p in song.phrases:
        sec = song.sections[p.section]
        if sec.kind == "chorus" and sec.energy == last:
            assert len(p.harmony) == len(p.notes)
            assert all(k in (3.0, 4.0) for k in p.harmony)
        else:
            assert p.harmony == []
    metal = compose(PlanRequest(STARRY, "heavy metal", seed=6))
    assert all(p.harmony == [] for p in metal.phrases)  # a lone voice, as the genre sings


def test_song_round_trips_through_the_plan() -> None:
    import json

    from openchirp.engines.composer.song import Song

    song = compose(PlanRequest(STARRY, "synthwave, moody, electronic", seed=2))
    again = Song.from_dict(json.loads(json.dumps(song.to_dict())))
    assert again.to_dict() == json.loads(json.dumps(song.to_dict()))
    assert [n.midi for p in again.phrases for n in p.notes] == [
        n.midi for p in song.phrases for n in p.notes
    ]


def test_hip_hop_verses_are_rapped_and_choruses_sung() -> None:
    song = compose(PlanRequest(STARRY, "hip hop", seed=3))
    assert song.style.flow == "rap"
    beat = song.style.beat_s

    def stats(kind: str) -> tuple[float, float]:
        notes = [n for p in song.phrases if song.sections[p.section].kind == kind for n in p.notes]
        return (max(n.duration_s for n in notes) / beat, float(np.ptp([n.midi for n in notes])))

    verse_longest, verse_range = stats("verse")
    chorus_longest, chorus_range = stats("chorus")
    assert verse_longest <= 1.0 < chorus_longest  # no held notes in rapped lines
    assert verse_range < chorus_range
    assert compose(PlanRequest(STARRY, "hip hop, singing", seed=3)).style.flow == "sung"
