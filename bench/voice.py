"""How well the built-in engine's voice is understood and how well it sings in tune.

    .venv/bin/python bench/voice.py [--songs ballad,pop | wide | all] [--seeds 0,100]
        [--breakdown] [--timing base,mono,press:0.33,shift:-12,octave:0.5]
        [--base /path/to/other/checkout]

Renders the bench songs (lyrics, style, seed), and prints per song: pocketsphinx's word error
rate on the vocal stem (lead, backing voice and reverb, as the listener gets it), the same
recogniser on espeak-ng *speaking* the same words (the baseline, same run), their ratio, the
share of voiced frames of the dry lead within 50 cents of the planned notes, and the vocal
stem's 95% rolloff and loudest band above 6 kHz against 1-2 kHz (> 0 dB: harsh).
``--songs wide`` adds twelve songs (twelve more styles), ``all`` sings the sixteen;
``--seeds 0,100`` sings each again with its seed moved by 100 (another melody and take);
``--breakdown`` also recognises the dry lead alone and with the backing voice (the stem adds
the reverb), to see where the words are lost. ``--timing press:0.5,press:0.33,mono`` sings
the dry lead again with its notes changed (pressed to that share of their length, from each
phrase's start, or every note of a phrase at its median pitch): what the recogniser needs;
``shift:-12`` sings it lower, ``octave:0.5`` adds an octave-lower double (see
:func:`timing_variant`).
``--base`` runs the same measurement on another checkout (its ``src``) in a subprocess first:
figures before and after in one run. ``bench/engine.py`` calls :func:`report`.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))

BALLAD = (
    "[Verse]\nI walk along the river\nThe water running slow\nI hear your voice at evening\n"
    "And I will never go\n\n[Chorus]\nHold me in the morning\nHold me in the rain\n"
    "Sing to me of summer\nAnd I will love again"
)
POP = (
    "[Verse]\nWe drive into the city\nThe lights are shining bright\nYou take my hand and "
    "tell me\nWe dance until the night\n\n[Chorus]\nCall my name tonight\nCall me when you "
    "can\nTake me to the water\nAnd hold me in your hand"
)

SUMMER = (
    "[Verse]\nThe summer sun is fading\nThe children walking home\nMy father at the window\n"
    "He never feels alone\n\n[Chorus]\nCarry me over the mountain\nCarry me over the sea\n"
    "Tell me the story of Mary\nAnd bring her back to me"
)
STATION = (
    "[Verse]\nI saw you at the station\nYou wore a yellow coat\nWe talked about the weather\n"
    "And the letter that you wrote\n\n[Chorus]\nDon't let the music stop now\nDon't let "
    "the morning come\nStay with me a little longer\nUntil the night is done"
)

SONGS: dict[str, tuple[str, str, int]] = {
    "ballad": (BALLAD, "slow acoustic ballad, female vocals", 5),
    "pop": (POP, "upbeat pop, male vocals", 6),
    "folk": (BALLAD, "acoustic folk, male vocals", 7),
    "rnb": (POP, "smooth r&b, female vocals", 8),
}
"""The bench songs: label -> (lyrics, style tags, seed)."""

WIDE: dict[str, tuple[str, str, int]] = {
    "country ballad": (SUMMER, "country ballad, female vocals", 11),
    "indie rock": (SUMMER, "indie rock, male vocals", 12),
    "dream pop": (STATION, "dream pop, female vocals", 13),
    "soul": (STATION, "soul, male vocals", 14),
    "pop rock": (BALLAD, "pop rock, male vocals", 21),
    "country": (POP, "country, female vocals", 22),
    "synthpop": (SUMMER, "synthpop, female vocals", 23),
    "folk rock": (STATION, "folk rock, male vocals", 24),
    "jazz": (BALLAD, "jazz, female vocals", 25),
    "blues": (POP, "blues, male vocals", 26),
    "gospel": (SUMMER, "gospel, male vocals", 27),
    "acoustic pop": (STATION, "acoustic pop, female vocals", 28),
}
"""``--songs wide``: twelve more (four lyrics, twelve more styles, both voices); with only four
songs of 40 words a song's figure moves by +-0.1 with any change to the voice."""


def word_error_rate(ref: list[str], hyp: list[str]) -> float:
    """Levenshtein distance over words / number of reference words."""
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d[0] = d.copy(), i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return float(d[len(hyp)]) / max(1, len(ref))


def recognise(audio: np.ndarray, rate: int = 44_100) -> list[str]:
    """pocketsphinx (its English acoustic and language model) on mono or stereo audio."""
    from pocketsphinx import Decoder
    from scipy import signal

    mono = audio.astype(np.float64)
    if mono.ndim == 2:
        mono = mono.mean(axis=1)
    x = signal.resample_poly(mono, 16_000, rate)
    x = x / (np.max(np.abs(x)) + 1e-9) * 0.9
    pcm = (x * 32767).astype(np.int16).tobytes()
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return [w.lower() for w in (hyp.hypstr.split() if hyp else [])]


def speak(text: str) -> tuple[np.ndarray, int]:
    """espeak-ng *speaking* the text, as the singer has it speak a phrase (its voice, a freshly
    loaded library: the same words give the same bits whatever was spoken before; the shared
    library carries its pitch flutter from one utterance to the next, which moved this
    baseline by up to 0.1 a song with the order of the songs): (float audio, 22050)."""
    from openchirp.engines.composer.voice import speech

    spoken = speech.speak(text)
    if spoken is None:
        raise RuntimeError("espeak-ng is not available")
    return spoken[0], speech.RATE


def _laid(pieces: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """Phrases (start sample, audio) laid on one track, as the song places them."""
    out = np.zeros(max(s + len(a) for s, a in pieces), np.float32)
    for s, a in pieces:
        out[max(s, 0) : s + len(a)] += a[max(0, -s) :]
    return out


def _planned(engine, label: str):  # type: ignore[no-untyped-def]
    """The plan of a bench song ("pop", "pop+100": its seed moved by 100) and its words."""
    from openchirp.engines.base import PlanRequest

    name, _, offset = label.partition("+")
    lyrics, style, seed = {**SONGS, **WIDE}[name]
    render = engine.plan(PlanRequest(lyrics, style, seed=seed + int(offset or 0)))
    return render, [w.word.lower().strip(",.!?;:") for w in render.words]


def _weighted(rows: list[dict], key: str) -> float:
    """A figure over several songs: each song's weighted by its number of words."""
    return sum(r[key] * r["words"] for r in rows) / max(1, sum(r["words"] for r in rows))


def measure_song(engine, label: str, breakdown: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Render one bench song and measure its voice (see the module docstring)."""
    from openchirp.engines.composer.voice.singer import sing_phrase
    from tests.support.listening import pitch_accuracy, spectrum

    render, ref = _planned(engine, label)
    vocals = np.concatenate([b.stems["vocals"] for b in render.blocks()])
    hyp = recognise(vocals)
    spoken = recognise(*speak(" ".join(ref)))
    good = frames = 0
    dry: list[tuple[int, np.ndarray]] = []
    for phrase in render.song.phrases:
        if phrase.own and phrase.notes:
            start, audio = sing_phrase(phrase.notes, render.song.voice, 44_100)
            acc, n = pitch_accuracy(phrase.notes, start, audio)
            good, frames = good + acc * n, frames + n
            dry.append((start, audio))
    bright = spectrum(vocals)
    sung, base = word_error_rate(ref, hyp), word_error_rate(ref, spoken)
    parts = {}
    if breakdown:  # where the words are lost: the lead alone, then with the backing voice
        from openchirp.engines.composer.render import _sing

        backed = [_sing(p, render.song, 44_100) for p in render.song.phrases if p.own and p.notes]
        with_back = [(s, lead if b is None else lead + b) for s, lead, b in backed]
        for key, pieces in (("dry", dry), ("backed", with_back)):
            parts[key] = word_error_rate(ref, recognise(_laid(pieces)))
    return {
        **parts,
        "label": label,
        "words": len(ref),
        "wer": sung,
        "baseline": base,
        "ratio": sung / max(base, 1e-9),
        "pitch": good / max(frames, 1),
        "rolloff": bright["rolloff"],
        "harsh_db": bright["harsh_db"],
        "heard": " ".join(hyp),
        "heard_spoken": " ".join(spoken),
    }


def timing_variant(variant: str) -> tuple[str, float]:
    """``--timing``'s variants: ``base`` (as composed), ``mono`` (every note of a phrase at its
    median pitch), ``press:X`` (onsets from the phrase's first note and lengths times X, the
    phrase at 1/X its pace, 0 < X <= 4), ``shift:N`` (every note N semitones up, -24 <= N <=
    24) or ``octave:G`` (as composed, with the same phrase an octave lower added at gain G,
    0 < G <= 1, as pop productions double a lead): (kind, X)."""
    kind, _, arg = variant.partition(":")
    if variant in ("base", "mono"):
        return kind, 1.0
    try:
        x = float(arg)
    except ValueError:
        x = float("nan")  # fails every bound below
    if not {"press": 0 < x <= 4, "shift": -24 <= x <= 24, "octave": 0 < x <= 1}.get(kind, False):
        raise ValueError(
            f"--timing: unknown variant {variant!r} (base, mono, press:X with 0 < X <= 4, "
            "shift:N with -24 <= N <= 24, octave:G with 0 < G <= 1)"
        )
    return kind, x


def retimed(notes: list, variant: str) -> list:  # type: ignore[type-arg]
    """A phrase's notes (in time order) as ``variant`` sings them (see :func:`timing_variant`;
    ``octave:G`` leaves the notes: :func:`sung` adds the lower copy)."""
    from dataclasses import replace

    kind, x = timing_variant(variant)
    notes = sorted(notes, key=lambda n: n.start_s)
    if kind == "mono":
        median = float(np.median([n.midi for n in notes]))
        return [replace(n, midi=median) for n in notes]
    if kind == "press":
        t0 = notes[0].start_s
        return [
            replace(n, start_s=t0 + (n.start_s - t0) * x, duration_s=n.duration_s * x)
            for n in notes
        ]
    if kind == "shift":
        return [replace(n, midi=n.midi + x) for n in notes]
    return notes


def sung(notes: list, voice, variant: str) -> tuple[int, np.ndarray]:  # type: ignore[no-untyped-def, type-arg]
    """A phrase's dry lead from its notes as :func:`retimed` gives them for ``variant``, with
    ``octave:G``'s lower copy added: (start sample, audio at 44.1 kHz)."""
    from openchirp.engines.composer.voice.singer import sing_phrase

    start, lead = sing_phrase(notes, voice, 44_100)
    kind, gain = timing_variant(variant)
    if kind != "octave":
        return start, lead
    low_start, low = sing_phrase(retimed(notes, "shift:-12"), voice, 44_100)
    return start, _laid([(0, lead), (low_start - start, gain * low)])


def timing_report(engine, labels: list[str], variants: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The dry lead's WER with its notes re-timed or flattened (see :func:`retimed`), against
    the spoken baseline; the median length of a sung syllable under each."""
    print(f"{'song':18s} {'variant':10s} {'dry':>5s} {'spoken':>6s} {'ratio':>5s} {'syllable':>8s}")
    rows: dict[str, list[dict]] = {v: [] for v in variants}
    for label in labels:
        render, ref = _planned(engine, label)
        base = word_error_rate(ref, recognise(*speak(" ".join(ref))))
        phrases = [p.notes for p in render.song.phrases if p.own and p.notes]
        for v in variants:
            times = [retimed(notes, v) for notes in phrases]
            pieces = [sung(notes, render.song.voice, v) for notes in times]
            wer = word_error_rate(ref, recognise(_laid(pieces)))
            # a syllable lasts from its note's start to the next syllable's (the last: to the
            # phrase's end)
            lengths = []
            for notes in times:
                starts = [n.start_s for n in notes if n.syllable is not None]
                end = max(n.start_s + n.duration_s for n in notes)
                lengths += np.diff([*starts, end]).tolist()
            rows[v].append({"words": len(ref), "wer": wer, "baseline": base})
            print(
                f"{label:18s} {v:10s} {wer:5.2f} {base:6.2f} {wer / max(base, 1e-9):5.2f} "
                f"{float(np.median(lengths)):7.2f}s",
                flush=True,
            )
    for v, done in rows.items():
        wer, base = _weighted(done, "wer"), _weighted(done, "baseline")
        print(f"{'all':18s} {v:10s} {wer:5.2f} {base:6.2f} {wer / max(base, 1e-9):5.2f}")


def report(  # type: ignore[no-untyped-def]
    engine, labels: list[str], verbose: bool = True, breakdown: bool = False
) -> list[dict]:
    """Measure and print the voice figures of the bench songs ``labels``; ``breakdown``: also
    the WER of the dry lead alone and with the backing voice (the stem adds the reverb)."""
    rows = []
    extra = f" {'dry':>5s} {'+back':>5s}" if breakdown else ""
    print(
        f"{'song':18s} {'words':>5s} {'WER':>5s}{extra} {'spoken':>6s} {'ratio':>5s} "
        f"{'pitch':>6s} {'voc roll':>8s} {'top dB':>6s}"
    )
    for label in labels:
        r = measure_song(engine, label, breakdown)
        rows.append(r)
        extra = f" {r['dry']:5.2f} {r['backed']:5.2f}" if breakdown else ""
        print(
            f"{label:18s} {r['words']:5d} {r['wer']:5.2f}{extra} {r['baseline']:6.2f} "
            f"{r['ratio']:5.2f} {r['pitch']:6.1%} {r['rolloff']:8.0f} {r['harsh_db']:6.1f}",
            flush=True,
        )
        if verbose:
            print(f"  heard (sung):   {r['heard']}")
            print(f"  heard (spoken): {r['heard_spoken']}")

    wer, base = _weighted(rows, "wer"), _weighted(rows, "baseline")
    extra = f" {_weighted(rows, 'dry'):5.2f} {_weighted(rows, 'backed'):5.2f}" if breakdown else ""
    print(f"{'all':18s} {'':5s} {wer:5.2f}{extra} {base:6.2f} {wer / max(base, 1e-9):5.2f}")
    if breakdown:
        print(
            f"ratio of the dry lead {_weighted(rows, 'dry') / base:.2f}, with the backing voice "
            f"{_weighted(rows, 'backed') / base:.2f}, the stem (with the reverb) {wer / base:.2f}"
        )
    return rows


def song_labels(spec: str, offsets: str = "0") -> list[str]:
    """``--songs``: labels separated by commas; ``wide``: the twelve more; ``all``: sixteen.
    ``offsets`` (``--seeds``): each song again at its seed plus each offset ("pop+100": the
    same lyrics and style, another melody and take)."""
    named = {"bench": list(SONGS), "wide": list(WIDE), "all": [*SONGS, *WIDE]}
    labels = [x for part in spec.split(",") if part for x in named.get(part, [part])]
    steps = [int(o) for o in offsets.split(",") if o.strip()] or [0]
    return [label if k == 0 else f"{label}+{k}" for k in steps for label in labels]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", default="bench", help="labels, or bench / wide / all")
    ap.add_argument("--soundfont", default=None)
    ap.add_argument("--base", default=None, help="another checkout to measure first (before)")
    ap.add_argument("--quiet", action="store_true", help="no recognised text")
    ap.add_argument("--breakdown", action="store_true", help="also the dry lead, +backing")
    ap.add_argument("--seeds", default="0", help="seed offsets, e.g. 0,100: each song at each")
    ap.add_argument(
        "--timing", default=None, help="dry lead re-sung: base,mono,press:0.33,shift:-7,octave:0.5"
    )
    args = ap.parse_args()
    try:
        for v in args.timing.split(",") if args.timing else []:
            timing_variant(v)
    except ValueError as e:
        ap.error(str(e))
    if args.base:
        base = Path(args.base).resolve()
        print(f"before: {base}", flush=True)
        env = {**os.environ, "PYTHONPATH": f"{base / 'src'}:{base}"}
        cmd = [sys.executable, __file__, "--songs", args.songs, "--seeds", args.seeds]
        cmd += ["--_as-base"]
        cmd += ["--quiet"] if args.quiet else []
        cmd += ["--breakdown"] if args.breakdown else []
        cmd += ["--timing", args.timing] if args.timing else []
        subprocess.run(cmd, env=env, check=True)
        print(f"after: {ROOT}", flush=True)
    from openchirp.engines.composer.engine import ComposerEngine

    engine = ComposerEngine(args.soundfont)
    if args.timing:
        timing_report(engine, song_labels(args.songs, args.seeds), args.timing.split(","))
        return
    report(engine, song_labels(args.songs, args.seeds), not args.quiet, args.breakdown)


if __name__ == "__main__":
    if "--_as-base" in sys.argv:  # the other checkout's src comes first on the path
        sys.argv.remove("--_as-base")
        sys.path[:0] = os.environ["PYTHONPATH"].split(":")
    main()
