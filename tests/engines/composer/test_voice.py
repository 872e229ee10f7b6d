"""The singing voice: pitch, timbre, determinism, timing, level and intelligibility."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from openchirp.engines.composer.voice.phonemes import words_of
from openchirp.engines.composer.voice.score import SungNote, VoiceSpec
from openchirp.engines.composer.voice.singer import harmonise, sing_phrase, voice_range
from tests.support.listening import f0_track, pitch_accuracy

SR = 44_100
MELODY = [0, 2, 4, 5, 7, 5, 4, 2, 0, 4, 7, 12]


def sung_line(line: str, base: float, start: float = 0.5, step: float = 0.4) -> list[SungNote]:
    """One note per syllable on a simple scale melody, ``step`` seconds apart (legato)."""
    notes: list[SungNote] = []
    t = start
    for wi, w in enumerate(words_of(line)):
        for syl in w.syllables:
            midi = base + MELODY[len(notes) % len(MELODY)]
            notes.append(SungNote(t, step * 0.95, midi, syl, wi))
            t += step
    return notes


@pytest.fixture(scope="module")
def phrase() -> list[SungNote]:
    return sung_line("shine on me tonight my love", base=57.0)


@pytest.mark.parametrize(("kind", "base"), [("female", 65.0), ("male", 50.0)])
def test_sung_pitch_follows_the_melody(kind: str, base: float) -> None:
    notes = sung_line("we sing along the river all night long", base=base, step=0.45)
    start, audio = sing_phrase(notes, VoiceSpec(kind=kind, seed=3), SR)
    accuracy, frames = pitch_accuracy(notes, start, audio)
    print(f"{kind}: {accuracy:.1%} of {frames} voiced frames within 50 cents")
    assert frames > 0.5 * sum(n.duration_s for n in notes) / 0.005  # mostly voiced
    assert accuracy >= 0.85


def test_vibrato_moves_the_pitch_on_long_notes() -> None:
    (syl,) = words_of("ah")[0].syllables
    note = SungNote(0.2, 2.0, 60.0, syl)
    start, audio = sing_phrase([note], VoiceSpec(kind="male", vibrato_cents=40.0), SR)
    t, f0 = f0_track(start, audio)
    late = f0[(t > 1.2) & (t < 2.0) & (f0 > 0)]
    early = f0[(t > 0.25) & (t < 0.4) & (f0 > 0)]
    cents = lambda x: 1200 * np.log2(x / 261.63)  # noqa: E731
    assert np.ptp(cents(late)) > 40.0  # +-40 cents swing once it has faded in
    assert np.ptp(cents(early)) < np.ptp(cents(late)) / 2


def spectral_centroid(audio: np.ndarray) -> float:
    spec = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    freqs = np.fft.rfftfreq(len(audio), 1.0 / SR)
    band = freqs < 5000
    return float(np.sum(freqs[band] * spec[band]) / np.sum(spec[band]))


def test_male_and_female_voices_differ() -> None:
    (syl,) = words_of("ah")[0].syllables
    note = SungNote(0.1, 1.0, 57.0, syl)  # same pitch: the difference must come from formants
    _, female = sing_phrase([note], VoiceSpec(kind="female", vibrato_cents=0.0), SR)
    _, male = sing_phrase([note], VoiceSpec(kind="male", vibrato_cents=0.0), SR)
    mid = slice(int(0.4 * SR), int(0.9 * SR))
    assert spectral_centroid(female[mid]) > 1.08 * spectral_centroid(male[mid])
    (f_lo, f_hi), (m_lo, m_hi) = voice_range("female"), voice_range("male")
    assert f_lo > m_lo + 5 and f_hi > m_hi + 5


def test_same_input_same_output_and_seed_matters(phrase: list[SungNote]) -> None:
    a = sing_phrase(phrase, VoiceSpec(kind="female", seed=7), SR)
    b = sing_phrase(phrase, VoiceSpec(kind="female", seed=7), SR)
    c = sing_phrase(phrase, VoiceSpec(kind="female", seed=8), SR)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("extra", [{}, {"double": True}])
def test_output_is_finite_bounded_and_as_long_as_the_notes(
    phrase: list[SungNote], extra: dict
) -> None:
    start, audio = sing_phrase(phrase, VoiceSpec(kind="male", extra=extra), SR)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) <= 1.0
    first, last = phrase[0], phrase[-1]
    end_s = last.start_s + last.duration_s
    # Pre-roll: the first onset consonant ("sh") is sung just before the first note.
    assert round(first.start_s * SR) - int(0.25 * SR) <= start <= round(first.start_s * SR)
    assert abs((start + len(audio)) / SR - end_s) < 0.15
    # Sound is present through the phrase, silence (release) only at the very end.
    t = (start + np.arange(len(audio))) / SR
    for n in phrase:
        mid = (t > n.start_s + 0.1) & (t < n.start_s + n.duration_s - 0.1)
        assert np.sqrt(np.mean(audio[mid] ** 2)) > 0.01


def test_a_rest_inside_a_phrase_is_silent() -> None:
    a, b = words_of("go now")
    notes = [
        SungNote(0.2, 0.5, 60.0, a.syllables[0], 0),
        SungNote(1.5, 0.5, 62.0, b.syllables[0], 1),
    ]
    start, audio = sing_phrase(notes, VoiceSpec(), SR)
    t = (start + np.arange(len(audio))) / SR
    gap = audio[(t > 0.9) & (t < 1.3)]
    assert np.max(np.abs(gap)) < 1e-3


def test_harmony_voice_sings_the_interval(phrase: list[SungNote]) -> None:
    start, audio = harmonise(phrase, VoiceSpec(kind="female", seed=2), 4.0, SR)
    moved = [
        SungNote(n.start_s, n.duration_s, n.midi + 4.0, n.syllable, n.word_index) for n in phrase
    ]
    accuracy, _ = pitch_accuracy(moved, start, audio)
    assert accuracy >= 0.85
    with pytest.raises(ValueError):
        harmonise(phrase, VoiceSpec(), [3.0], SR)


def test_melisma_and_odd_input_do_not_fail() -> None:
    (syl,) = words_of("oh")[0].syllables
    notes = [SungNote(0.0, 0.3, 64.0, syl), SungNote(0.3, 0.3, 62.0, None)]
    notes += [SungNote(0.6, 0.02, 60.0, words_of("strengths")[0].syllables[0])]
    start, audio = sing_phrase(notes, VoiceSpec(kind="robot"), SR)
    assert np.all(np.isfinite(audio)) and len(audio) > 0.5 * SR
    assert sing_phrase([], VoiceSpec(), SR)[1].size == 0
    s22, a22 = sing_phrase(notes, VoiceSpec(), 22_050)
    assert abs(len(a22) / 22_050 - len(audio) / SR) < 0.01


def test_synthesis_is_much_faster_than_real_time() -> None:
    notes = sung_line("the city lights are shining bright tonight " * 4, base=60.0, step=0.3)
    voice = VoiceSpec(kind="female")
    sing_phrase(notes[:4], voice, SR)  # warm-up
    start = time.process_time()
    _, audio = sing_phrase(notes, voice, SR)
    cpu = time.process_time() - start
    speed = len(audio) / SR / cpu
    print(f"voice: {speed:.0f}x real time on one core")
    assert speed > 50  # the engine budget needs ~100x; leave room for a loaded test machine


def test_same_words_same_bits_whatever_was_sung_before(phrase: list[SungNote]) -> None:
    """espeak-ng keeps state from one utterance to the next; the voice speaks every phrase from
    a fresh library, so what was sung before changes nothing."""
    voice = VoiceSpec(kind="male", seed=4)
    a = sing_phrase(phrase, voice, SR)
    sing_phrase(sung_line("a different line before it", base=52.0), voice, SR)
    b = sing_phrase(phrase, voice, SR)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_without_espeak_speech_the_formant_singer_sings(
    phrase: list[SungNote], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No espeak-ng library (or nowhere to copy it): the formant singer sings, in tune."""
    from openchirp.engines.composer.voice import singer

    spoken = sing_phrase(phrase, VoiceSpec(kind="female", seed=3), SR)[1]
    monkeypatch.setattr(singer.speech, "analyse", lambda text, shift=1.0: None)
    start, audio = sing_phrase(phrase, VoiceSpec(kind="female", seed=3), SR)
    accuracy, frames = pitch_accuracy(phrase, start, audio)
    assert frames > 0 and accuracy >= 0.85
    assert len(audio) != len(spoken) or not np.array_equal(audio, spoken)


def test_voice_reaches_the_consonant_band(phrase: list[SungNote]) -> None:
    """Consonants live at 2-8 kHz: the dry voice puts a real share of its energy there (the
    formant singer had ~0.05% above 4 kHz) without a hiss louder than its 1-2 kHz band."""
    _, audio = sing_phrase(sung_line("she sells such sweet fresh tea", base=60.0), VoiceSpec(), SR)
    power = np.abs(np.fft.rfft(audio.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(audio), 1.0 / SR)
    share = power[f > 4000].sum() / power.sum()
    print(f"energy above 4 kHz: {share:.2%}")
    assert share > 0.005
    assert power[f > 6000].sum() < power[(f > 1000) & (f < 2000)].sum()


def _voice_bench():  # type: ignore[no-untyped-def]
    """bench/voice.py as a module (the figures its voice test guards)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    import voice

    return voice


RATIO_BAR = 1.33
"""Sung WER over spoken WER, ballad and pop together: 1.50 with the formant singer, 1.41 with
the first vocoder, 1.27 since (consonants at spoken length, vowels drawn, a quieter double,
the female voice's higher formants)."""
ROLLOFF_BAR = 3500.0
"""95% rolloff of the vocal stem in Hz (the target): 1.7-1.8 kHz with the formant singer."""


@pytest.mark.slow  # ~1 min: two songs rendered, sung and spoken words recognised
def test_sung_words_are_understood_nearly_as_well_as_spoken_ones() -> None:
    """pocketsphinx on the vocal stem of two bench songs against pocketsphinx on espeak-ng
    speaking the same words (bench/voice.py, deterministic: fixed seeds, same bits every run;
    the spoken baseline from a freshly loaded espeak-ng, whatever this process spoke before).
    Measured: sung WER 1.21 against 0.80 spoken (ratio 1.50) with the formant singer, 1.13
    against 0.80 (1.41) with the first vocoder, 1.02 (1.27) now; the bar sits above: a
    regression guard (the target is 1.15)."""
    voice_bench = _voice_bench()
    from openchirp.engines.composer.engine import ComposerEngine

    rows = voice_bench.report(ComposerEngine(), ["ballad", "pop"], verbose=True)
    words = sum(r["words"] for r in rows)
    sung = sum(r["wer"] * r["words"] for r in rows) / words
    spoken = sum(r["baseline"] * r["words"] for r in rows) / words
    assert sung / spoken < RATIO_BAR
    assert all(r["pitch"] >= 0.95 for r in rows)
    assert all(r["rolloff"] >= ROLLOFF_BAR and r["harsh_db"] < 0 for r in rows)


def test_bench_timing_variants_press_flatten_shift_and_double_a_phrase(
    phrase: list[SungNote],
) -> None:
    """bench/voice.py --timing: ``press:X`` scales onsets (from the phrase's first) and lengths
    by X, ``mono`` sings every note at the phrase's median pitch, ``shift:N`` moves every note
    N semitones, ``octave:G`` adds the phrase an octave lower at gain G, ``base`` leaves it."""
    voice_bench = _voice_bench()
    t0 = phrase[0].start_s
    pressed = voice_bench.retimed(phrase, "press:0.5")
    for a, b in zip(phrase, pressed, strict=True):
        assert b.start_s - t0 == pytest.approx((a.start_s - t0) / 2)
        assert b.duration_s == pytest.approx(a.duration_s / 2)
        assert (b.midi, b.syllable) == (a.midi, a.syllable)
    flat = voice_bench.retimed(phrase, "mono")
    assert {n.midi for n in flat} == {float(np.median([n.midi for n in phrase]))}
    assert [n.start_s for n in flat] == [n.start_s for n in phrase]
    assert voice_bench.retimed(phrase, "base") == phrase
    shifted = voice_bench.retimed(phrase, "shift:-12")
    assert [n.midi for n in shifted] == [n.midi - 12 for n in phrase]
    assert [(n.start_s, n.duration_s) for n in shifted] == [
        (n.start_s, n.duration_s) for n in phrase
    ]
    # The octave double: the lead as composed plus the lower copy, sample for sample.
    voice = VoiceSpec()
    start, lead = sing_phrase(phrase, voice, 44_100)
    low_start, low = sing_phrase([replace(n, midi=n.midi - 12) for n in phrase], voice, 44_100)
    base_start, base = voice_bench.sung(phrase, voice, "base")
    assert base_start == start and np.array_equal(base, lead)
    doubled_start, doubled = voice_bench.sung(phrase, voice, "octave:0.5")
    assert doubled_start == start
    expected = voice_bench._laid([(0, lead), (low_start - start, 0.5 * low)])
    np.testing.assert_allclose(doubled, expected, atol=1e-6)
    assert np.sqrt(np.mean((doubled[: len(lead)] - lead) ** 2)) > 0.1 * np.sqrt(np.mean(lead**2))
    for bad in ("slow", "shift:x", "shift:25", "octave:0", "octave:1.5", "press:0"):
        with pytest.raises(ValueError, match="unknown variant"):
            voice_bench.retimed(phrase, bad)
