"""`openchirp render` runs the built-in engine without a server and writes both clips."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from openchirp.engines.composer.soundfont import bundled_soundfont
from openchirp.media.audio import decode


def test_render_writes_both_clips(tmp_path) -> None:
    lyrics = tmp_path / "song.txt"
    lyrics.write_text("[Verse]\nStars they shine above me\n\n[Chorus]\nStarry night")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openchirp",
            "render",
            "--lyrics",
            str(lyrics),
            "--tags",
            "synthwave",
            "--title",
            "Starry",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "OPENCHIRP_SOUNDFONT": bundled_soundfont()},
    )
    assert result.returncode == 0, result.stderr
    for n in (1, 2):
        pcm, rate = decode(out / f"clip{n}.mp3")
        wav, _ = decode(out / f"clip{n}.wav")
        assert rate == 44100 and abs(len(pcm) - len(wav)) < rate * 0.1
        words = json.loads((out / f"clip{n}.words.json").read_text())
        assert [w["word"] for w in words][:3] == ["Stars", "they", "shine"]
        plan = json.loads((out / f"clip{n}.plan.json").read_text())
        assert plan["engine"] == "composer" and plan["seed"] == 3 and plan["variant"] == n - 1
    assert (out / "clip1.wav").read_bytes() != (out / "clip2.wav").read_bytes()


def test_render_needs_lyrics_or_instrumental(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openchirp", "render", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "--lyrics" in result.stderr


def test_worker_refuses_an_unknown_job_kind(tmp_path) -> None:
    from typer.testing import CliRunner

    from openchirp.cli import app

    result = CliRunner().invoke(
        app, ["worker", "--data-dir", str(tmp_path), "--kinds", "render,renders"]
    )
    assert result.exit_code == 2
    assert "unknown job kinds renders" in result.output


def test_worker_and_serve_run_blas_on_one_thread(tmp_path, monkeypatch) -> None:
    """Workers are processes, one core each: OpenBLAS's threads would spin against each other
    (4.9x the CPU of a render, bench/capacity.py). Both commands set it before anything loads
    numpy, so embedded, spawned and forked workers inherit it; an explicit setting stays."""
    from typer.testing import CliRunner

    from openchirp.cli import app

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    CliRunner().invoke(app, ["worker", "--data-dir", str(tmp_path), "--kinds", "nope"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), "--workers", "0"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
