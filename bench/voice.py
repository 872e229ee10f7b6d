"""How well the built-in engine's voice is understood and how well it sings in tune.

    .venv/bin/python bench/voice.py [--songs ballad,pop] [--base /path/to/other/checkout]

Renders the bench songs (lyrics, style, seed), and prints per song: pocketsphinx's word error
rate on the vocal stem (lead, backing voice and reverb, as the listener gets it), the same
recogniser on espeak-ng *speaking* the same words (the baseline, same run), their ratio, the
share of voiced frames of the dry lead within 50 cents of the planned notes, and the vocal
stem's 95% rolloff and loudest band above 6 kHz against 1-2 kHz (> 0 dB: harsh).
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

SONGS: dict[str, tuple[str, str, int]] = {
    "ballad": (BALLAD, "slow acoustic ballad, female vocals", 5),
    "pop": (POP, "upbeat pop, male vocals", 6),
    "folk": (BALLAD, "acoustic folk, male vocals", 7),
    "rnb": (POP, "smooth r&b, female vocals", 8),
}
"""The bench songs: label -> (lyrics, style tags, seed)."""


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
    """espeak-ng *speaking* the text (the library the singer takes its phonemes from):
    (float audio, 22050)."""
    import ctypes

    from openchirp.engines.composer.voice import phonemes

    lib = phonemes._espeak()
    if lib is None:
        raise RuntimeError("espeak-ng is not available")
    chunks: list[np.ndarray] = []
    callback_type = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
    )

    def collect(wav, count, _events):  # type: ignore[no-untyped-def]
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = callback_type(collect)
    lib.espeak_SetSynthCallback(callback)
    data = text.encode() + b"\0"
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int]
    lib.espeak_Synth.argtypes += [ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    with phonemes._lock:  # espeak-ng is not thread safe; the engine shares this lock
        lib.espeak_Synth(data, len(data), 0, 0, 0, 1, None, None)  # 1: espeakCHARS_UTF8
        lib.espeak_Synchronize()
    return np.concatenate(chunks).astype(np.float64) / 32768, 22_050


def measure_song(engine, label: str) -> dict:  # type: ignore[no-untyped-def]
    """Render one bench song and measure its voice (see the module docstring)."""
    from openchirp.engines.base import PlanRequest
    from openchirp.engines.composer.voice.singer import sing_phrase
    from tests.support.listening import pitch_accuracy, spectrum

    lyrics, style, seed = SONGS[label]
    render = engine.plan(PlanRequest(lyrics, style, seed=seed))
    vocals = np.concatenate([b.stems["vocals"] for b in render.blocks()])
    ref = [w.word.lower().strip(",.!?;:") for w in render.words]
    hyp = recognise(vocals)
    spoken = recognise(*speak(" ".join(ref)))
    good = frames = 0
    for phrase in render.song.phrases:
        if phrase.own and phrase.notes:
            start, audio = sing_phrase(phrase.notes, render.song.voice, 44_100)
            acc, n = pitch_accuracy(phrase.notes, start, audio)
            good, frames = good + acc * n, frames + n
    bright = spectrum(vocals)
    sung, base = word_error_rate(ref, hyp), word_error_rate(ref, spoken)
    return {
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


def report(engine, labels: list[str], verbose: bool = True) -> list[dict]:  # type: ignore[no-untyped-def]
    """Measure and print the voice figures of the bench songs ``labels``."""
    rows = []
    print(
        f"{'song':8s} {'words':>5s} {'WER':>5s} {'spoken':>6s} {'ratio':>5s} "
        f"{'pitch':>6s} {'voc roll':>8s} {'top dB':>6s}"
    )
    for label in labels:
        r = measure_song(engine, label)
        rows.append(r)
        print(
            f"{label:8s} {r['words']:5d} {r['wer']:5.2f} {r['baseline']:6.2f} {r['ratio']:5.2f} "
            f"{r['pitch']:6.1%} {r['rolloff']:8.0f} {r['harsh_db']:6.1f}",
            flush=True,
        )
        if verbose:
            print(f"  heard (sung):   {r['heard']}")
            print(f"  heard (spoken): {r['heard_spoken']}")
    wer = sum(r["wer"] * r["words"] for r in rows) / max(1, sum(r["words"] for r in rows))
    base = sum(r["baseline"] * r["words"] for r in rows) / max(1, sum(r["words"] for r in rows))
    print(f"{'all':8s} {'':5s} {wer:5.2f} {base:6.2f} {wer / max(base, 1e-9):5.2f}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", default=",".join(SONGS))
    ap.add_argument("--soundfont", default=None)
    ap.add_argument("--base", default=None, help="another checkout to measure first (before)")
    ap.add_argument("--quiet", action="store_true", help="no recognised text")
    args = ap.parse_args()
    if args.base:
        base = Path(args.base).resolve()
        print(f"before: {base}", flush=True)
        env = {**os.environ, "PYTHONPATH": f"{base / 'src'}:{base}"}
        cmd = [sys.executable, __file__, "--songs", args.songs, "--_as-base"]
        cmd += ["--quiet"] if args.quiet else []
        subprocess.run(cmd, env=env, check=True)
        print(f"after: {ROOT}", flush=True)
    from openchirp.engines.composer.engine import ComposerEngine

    engine = ComposerEngine(args.soundfont)
    report(engine, [s for s in args.songs.split(",") if s], verbose=not args.quiet)


if __name__ == "__main__":
    if "--_as-base" in sys.argv:  # the other checkout's src comes first on the path
        sys.argv.remove("--_as-base")
        sys.path[:0] = os.environ["PYTHONPATH"].split(":")
    main()
