"""What an independent listener measures on the engine's songs, before and after a change.

    .venv/bin/python bench/listen.py [--base /path/to/other/checkout] [--out DIR]

Renders the Starry night lyrics in nine genres (and the funk bass-solo instrumental), then
prints per song: loudness and true peak, the long-term spectrum of the mix and the vocal stem
(2-6 kHz and > 6 kHz shares, 95% rolloff, loudest band above 6 kHz against 1-2 kHz), the
chorus's level over the verses', the F1 of a novelty segmenter's boundaries against the planned
ones (within 3 s), the speed; then the genre fingerprint of each song (tempo, centroid, onset
rate, percussive share, low/high balance, flatness) and each genre's nearest other genre after
standardising the features. With ``--base`` the same is measured on another checkout (the
starting commit, say) in a subprocess first, and each figure is printed as before -> after.
Figures to read, never asserted (tests/engines/composer/test_listening.py guards them).
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.listening: always this checkout's

from tests.support.listening import INSTRUMENTAL, SONGS  # noqa: E402 - the bench's songs


def measure_all(src: str, out: Path, only: set[str] | None = None) -> dict:
    """Render and measure every song with the engine under ``src`` (this process's path)."""
    sys.path.insert(0, src)
    from openchirp.engines.base import PlanRequest
    from openchirp.engines.composer.engine import ComposerEngine
    from openchirp.engines.composer.render import measure
    from tests.support import listening as L
    from tests.support.shapes import starry_lyrics

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    engine = ComposerEngine()
    lyrics = starry_lyrics()
    rows = {}
    for label, tags, seed in [*SONGS, INSTRUMENTAL]:
        if only and label not in only:
            continue
        text = "" if label == INSTRUMENTAL[0] else lyrics
        c0, t0 = time.process_time(), time.perf_counter()
        render = engine.plan(PlanRequest(text, tags, seed=seed))
        first = None
        mixes, vocals, bands = [], [], []
        for block in render.blocks():
            if first is None:
                first = time.perf_counter() - t0
            mixes.append(block.mix)
            bands.append(block.stems["instrumental"])
            if "vocals" in block.stems:
                vocals.append(block.stems["vocals"])
        cpu = time.process_time() - c0
        mix = np.concatenate(mixes)
        m = measure(mix)
        planned = L.planned_boundaries(render.plan)
        found = L.boundaries(mix)
        levels = L.section_loudness(mix, render.plan)
        verse = levels.get("verse")
        rows[label] = {
            "genre": render.plan["genre"],
            "duration": render.duration_s,
            "x_cpu": render.duration_s / cpu,
            "first": first or 0.0,
            "lufs": m["lufs"],
            "tp": m["true_peak_db"],
            "spectrum": L.spectrum(mix),
            "vocal": L.spectrum(np.concatenate(vocals)) if vocals else None,
            "band": L.spectrum(np.concatenate(bands)),
            "features": L.features(mix, render.plan["tempo"]),
            "f1": L.boundary_f1(found, planned),
            "chorus_db": levels["chorus"] - verse
            if verse is not None and "chorus" in levels
            else None,
            "bridge_db": levels["bridge"] - verse
            if verse is not None and "bridge" in levels
            else None,
        }
        print(f"  {label}: {rows[label]['x_cpu']:.0f}x cpu", file=sys.stderr, flush=True)
    return rows


def _fmt(before: float | None, after: float | None, spec: str) -> str:
    a = "-" if after is None else format(after, spec)
    if before is None and after is None:
        return "-"
    if before is None:
        return a
    return f"{format(before, spec)} -> {a}"


def report(rows: dict, base: dict | None) -> None:
    def b(label: str, *keys: str):
        if base is None or label not in base:
            return None
        v = base[label]
        for k in keys:
            if v is None:
                return None
            v = v[k]
        return v

    print("spectrum of the mix (before -> after): 2-6 kHz, > 6 kHz, 95% rolloff Hz, loudest")
    print("band > 6 kHz vs 1-2 kHz dB; LUFS; true peak dBTP")
    for label, r in rows.items():
        s = r["spectrum"]
        print(
            f"{label:12s} 2-6k {_fmt(b(label, 'spectrum', 'mid'), s['mid'], '.1%'):>15s} "
            f" >6k {_fmt(b(label, 'spectrum', 'air'), s['air'], '.2%'):>15s} "
            f" roll {_fmt(b(label, 'spectrum', 'rolloff'), s['rolloff'], '.0f'):>12s} "
            f" top {_fmt(b(label, 'spectrum', 'harsh_db'), s['harsh_db'], '.1f'):>13s} "
            f" LUFS {_fmt(b(label, 'lufs'), r['lufs'], '.2f'):>15s} "
            f" TP {_fmt(b(label, 'tp'), r['tp'], '.2f'):>13s}"
        )
    print("spectrum of the vocal stem and of the band's (after): 2-6 kHz, > 6 kHz, 95% rolloff")
    for label, r in rows.items():
        v, w = r["vocal"], r["band"]
        if v is None:
            continue
        print(
            f"{label:12s} vocal {v['mid']:6.1%} {v['air']:6.2%} {v['rolloff']:6.0f}  "
            f" band {w['mid']:6.1%} {w['air']:6.2%} {w['rolloff']:6.0f}"
        )
    print("spectrum of the vocal stem (before -> after): 2-6 kHz, > 6 kHz, 95% rolloff Hz")
    for label, r in rows.items():
        v = r["vocal"]
        if v is None:
            continue
        print(
            f"{label:12s} 2-6k {_fmt(b(label, 'vocal', 'mid'), v['mid'], '.1%'):>15s} "
            f" >6k {_fmt(b(label, 'vocal', 'air'), v['air'], '.2%'):>15s} "
            f" roll {_fmt(b(label, 'vocal', 'rolloff'), v['rolloff'], '.0f'):>12s}"
        )
    print("sections (before -> after): segmenter F1 within 3 s; chorus and bridge level over")
    print("the verses (dB RMS); speed: audio s per CPU s (no mp3), first block s")
    for label, r in rows.items():
        print(
            f"{label:12s} F1 {_fmt(b(label, 'f1'), r['f1'], '.2f'):>13s} "
            f" chorus {_fmt(b(label, 'chorus_db'), r['chorus_db'], '+.1f'):>13s} "
            f" bridge {_fmt(b(label, 'bridge_db'), r['bridge_db'], '+.1f'):>13s} "
            f" x cpu {_fmt(b(label, 'x_cpu'), r['x_cpu'], '.0f'):>10s} "
            f" 1st {_fmt(b(label, 'first'), r['first'], '.2f'):>12s}"
        )
    from tests.support import listening as L

    print("genre fingerprints (after): " + ", ".join(L.FEATURES))
    for label, r in rows.items():
        f = r["features"]
        print(f"{label:12s} " + " ".join(f"{f[k]:8.2f}" for k in L.FEATURES))
    genres = [k for k in rows if k != INSTRUMENTAL[0]]
    after = L.distance_table({k: rows[k]["features"] for k in genres})
    before = (
        L.distance_table({k: base[k]["features"] for k in genres})
        if base is not None and all(k in base for k in genres)
        else None
    )
    print("nearest other genre (standardised features, Euclidean):")
    print(f"{'genre':12s} {'before':>22s} {'after':>22s}")
    for k in genres:
        bt = f"{before[k][0]} {before[k][1]:.2f}" if before else "-"
        print(f"{k:12s} {bt:>22s} {after[k][0] + ' ' + format(after[k][1], '.2f'):>22s}")
    vals = [v[1] for v in after.values()]
    line = f"min {min(vals):.2f}, median {np.median(vals):.2f}"
    if before:
        bv = [v[1] for v in before.values()]
        line = f"min {min(bv):.2f} -> {min(vals):.2f}, median {np.median(bv):.2f} -> " + (
            f"{np.median(vals):.2f}"
        )
    print("nearest-genre distance: " + line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=None, help="another checkout to measure first")
    ap.add_argument("--base-json", default=None, help="the other checkout's figures, saved")
    ap.add_argument("--json", default=None, help="write this checkout's figures here, no table")
    ap.add_argument("--src", default=str(ROOT / "src"))
    ap.add_argument("--only", default="", help="comma-separated labels (default: all)")
    ap.add_argument("--out", default="/tmp/openchirp-listen")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.json:
        only = set(args.only.split(",")) if args.only else None
        Path(args.json).write_text(json.dumps(measure_all(args.src, out, only)))
        return
    base = json.loads(Path(args.base_json).read_text()) if args.base_json else None
    if args.base:
        path = out / "base.json"
        cmd = [sys.executable, __file__, "--json", str(path), "--src", f"{args.base}/src"]
        cmd += ["--only", args.only] if args.only else []
        subprocess.run(cmd, check=True)
        base = json.loads(path.read_text())
    rows = measure_all(args.src, out, set(args.only.split(",")) if args.only else None)
    report(rows, base)


if __name__ == "__main__":
    main()
