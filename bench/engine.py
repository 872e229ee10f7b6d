"""Benchmark of the composer engine on one core: plan, first PCM block, whole render + mp3.

    .venv/bin/python bench/engine.py [--soundfont PATH] [--out DIR] [--runs N] [--no-wer]
        [--clips heavy_metal,folk_ballad] [--wer-songs ballad,pop]

Renders the "Starry night" lyrics (seed 000 of the reference) as heavy metal, plus three other
styles, encodes each to mp3 with PyAV while rendering (as the worker does), and prints per clip:
duration, plan time, time to first block, total wall and CPU time, real-time factor (audio
seconds per wall second, mp3 encoding included), loudness and true peak, then the long-term
spectrum of the mix and the vocal stem. Then the voice figures of ``bench/voice.py`` for the
``--wer-songs``: pocketsphinx's word error rate on the vocal stem next to pocketsphinx on
espeak-ng speaking the same words, sung pitch accuracy and the vocal stem's rolloff.
With ``--runs N`` the four clips are rendered N times (each run from an empty cache of notes,
as a fresh process would) and the median and range of each figure follow.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from openchirp.engines.base import PlanRequest  # noqa: E402
from openchirp.engines.composer import note_cache  # noqa: E402
from openchirp.engines.composer.engine import ComposerEngine  # noqa: E402
from openchirp.engines.composer.render import measure, voice_available  # noqa: E402
from openchirp.jobs.outputs import MP3_QUALITY  # noqa: E402 - imported before any timer
from openchirp.media.audio import Mp3StreamWriter  # noqa: E402
from tests.support.listening import spectrum  # noqa: E402 - the listener's spectrum meter
from tests.support.shapes import starry_lyrics  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import voice as voice_bench  # noqa: E402


def encode_mp3(path: Path):
    """The worker's own streaming mp3 writer and settings: returns (write(block), close())."""
    writer = Mp3StreamWriter(path, quality=MP3_QUALITY, title="bench", write_done_marker=False)
    return writer.write, writer.close


def run_clip(engine: ComposerEngine, label: str, request: PlanRequest, out: Path) -> dict:
    cpu0, t0 = time.process_time(), time.perf_counter()
    render = engine.plan(request)
    t_plan = time.perf_counter() - t0
    write, close = encode_mp3(out / f"{label}.mp3")
    t1 = time.perf_counter()
    first = None
    mixes, vocals = [], []
    enc_wall = enc_cpu = 0.0
    for block in render.blocks():
        if first is None:
            first = time.perf_counter() - t1
        e0, c0 = time.perf_counter(), time.process_time()
        write(block.mix)
        enc_wall += time.perf_counter() - e0
        enc_cpu += time.process_time() - c0
        mixes.append(block.mix)
        if "vocals" in block.stems:
            vocals.append(block.stems["vocals"])
    e0, c0 = time.perf_counter(), time.process_time()
    close()
    enc_wall += time.perf_counter() - e0
    enc_cpu += time.process_time() - c0
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    mix = np.concatenate(mixes)
    m = measure(mix)
    return {
        "label": label,
        "duration": render.duration_s,
        "plan": t_plan,
        "first": first or 0.0,
        "wall": wall,
        "cpu": cpu,
        "engine": wall - enc_wall,
        "rtf": render.duration_s / (wall - enc_wall),
        "rtf_cpu": render.duration_s / (cpu - enc_cpu),
        "rtf_mp3": render.duration_s / wall,
        "rtf_cpu_mp3": render.duration_s / cpu,
        "lufs": m["lufs"],
        "tp": m["true_peak_db"],
        "tempo": render.plan["tempo"],
        "key": f"{render.plan['key']} {render.plan['mode']}",
        "spectrum": spectrum(mix),
        "vocal_spectrum": spectrum(np.concatenate(vocals)) if vocals else None,
        "vocals": np.concatenate(vocals) if vocals else None,
        "render": render,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--soundfont", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-wer", action="store_true")
    ap.add_argument("--clips", default="", help="comma-separated labels to render (default all)")
    ap.add_argument("--wer-songs", default="bench", help="bench/voice.py songs")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    out = Path(args.out or tempfile.mkdtemp(prefix="openchirp-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    engine = ComposerEngine(args.soundfont)
    load = time.perf_counter() - t
    starry = starry_lyrics()
    clips = [
        ("heavy_metal", PlanRequest(starry, "heavy metal", seed=1)),
        ("synthwave", PlanRequest(starry, "synthwave, moody, electronic", seed=2)),
        ("folk_ballad", PlanRequest(starry, "acoustic folk ballad, female vocals", seed=3)),
        ("bass_solo", PlanRequest("", "instrumental, bass solo, groovy, funky", seed=4)),
    ]
    if args.clips:
        wanted = set(args.clips.split(","))
        clips = [c for c in clips if c[0] in wanted]
    print(
        f"soundfont {Path(engine.soundfont).name} (loaded in {load:.2f}s), voice "
        f"{'present' if voice_available() else 'absent'}, output in {out}"
    )
    print(
        "x rt: audio seconds per second of engine wall time (plan + all blocks); x cpu: the "
        "same per CPU second (robust when the machine is shared); +mp3: with mp3 encoding"
    )
    head = (
        f"{'clip':12s} {'dur s':>6s} {'plan s':>6s} {'1st blk':>7s} {'eng s':>6s} "
        f"{'x rt':>6s} {'x cpu':>6s} {'+mp3':>6s} {'LUFS':>6s} {'TP dB':>6s}  tempo key"
    )
    print(head)
    runs: list[list[dict]] = []
    for _ in range(max(1, args.runs)):
        note_cache.clear()  # every run renders its notes as a fresh process would
        rows = []
        for label, req in clips:
            r = run_clip(engine, label, req, out)
            rows.append(r)
            print(
                f"{label:12s} {r['duration']:6.1f} {r['plan']:6.3f} {r['first']:7.3f} "
                f"{r['engine']:6.2f} {r['rtf']:6.1f} {r['rtf_cpu']:6.1f} {r['rtf_mp3']:6.1f} "
                f"{r['lufs']:6.2f} {r['tp']:6.2f}  {r['tempo']:.0f} {r['key']}",
                flush=True,
            )
            del r["vocals"], r["render"]  # audio is not kept from run to run
        total_d = sum(r["duration"] for r in rows)
        total_e = sum(r["engine"] for r in rows)
        print(
            f"{'all':12s} {total_d:6.1f} {'':6s} {max(r['first'] for r in rows):7.3f} "
            f"{total_e:6.2f} {total_d / total_e:6.1f}"
        )
        runs.append(rows)
    print(
        "spectrum (last run): share of energy 2-6 kHz and above 6 kHz, 95% rolloff, loudest "
        "band above 6 kHz vs 1-2 kHz; x cpu+mp3: audio s per CPU s with the mp3"
    )
    print(
        f"{'clip':12s} {'2-6k':>6s} {'>6k':>6s} {'roll Hz':>7s} {'top dB':>6s} | "
        f"{'voc 2-6k':>8s} {'voc >6k':>7s} {'voc roll':>8s} | {'x cpu+mp3':>9s}"
    )
    for r in runs[-1]:
        sp, vs = r["spectrum"], r["vocal_spectrum"]
        voc = f"{vs['mid']:8.1%} {vs['air']:7.2%} {vs['rolloff']:8.0f}" if vs else f"{'-':>26s}"
        print(
            f"{r['label']:12s} {sp['mid']:6.1%} {sp['air']:6.2%} {sp['rolloff']:7.0f} "
            f"{sp['harsh_db']:6.1f} | {voc} | {r['rtf_cpu_mp3']:9.1f}"
        )
    if len(runs) > 1:
        print(f"median of {len(runs)} runs [range]:")
        print(f"{'clip':12s} {'1st blk':>14s} {'x rt':>18s} {'+mp3':>18s}")
        for i, (label, _) in enumerate(clips):
            cells = []
            for key in ("first", "rtf", "rtf_mp3"):
                v = [run[i][key] for run in runs]
                fmt = ".2f" if key == "first" else ".0f"
                cells.append(f"{np.median(v):{fmt}} [{min(v):{fmt}}-{max(v):{fmt}}]")
            print(f"{label:12s} {cells[0]:>14s} {cells[1]:>18s} {cells[2]:>18s}")
    if args.no_wer or not voice_available():
        print("WER: skipped" + ("" if voice_available() else " (voice module absent)"))
        return
    print("voice (bench/voice.py): WER on the vocal stem, espeak-ng speaking the same words")
    voice_bench.report(engine, voice_bench.song_labels(args.wer_songs), verbose=False)


if __name__ == "__main__":
    main()
