"""A GPU-style worker pipelines its batches: while one batch's files are written, the next
waiting renders are claimed and their model call runs. Each clip still completes in its own
job; with ``render_pipeline`` off a job runs one batch. The tiny ACE-Step model, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from openchirp.db.tables import clips, jobs
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.neural import ACESTEP_MODEL, ACESTEP_OPTIONS, require_neural, tiny_acestep

require_neural()

SONG = {"prompt": "[Verse]\nla la", "tags": "pop", "model": ACESTEP_MODEL}


@pytest.mark.parametrize("pipeline", [True, False])
def test_batches_run_back_to_back_each_clip_in_its_own_job(
    pipeline: bool, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tiny_acestep(tmp_path_factory)
    settings = inprocess_settings(
        tmp_path / "data",
        default_engine=None,
        model_engines={ACESTEP_MODEL: "acestep"},
        engine_options={"acestep": {**ACESTEP_OPTIONS, "model_dir": str(folder), "max_batch": 2}},
        render_pipeline=pipeline,
    )
    with InProcessApp(settings) as app:
        for _ in range(3):
            assert app.client.post("/api/custom_generate", json=SONG).status_code == 200
        ran = app.drive()
        assert ran == (1 if pipeline else 3)  # one job chained the three batches
        made = app.client.get("/api/get").json()
        assert len(made) == 6 and {c["status"] for c in made} == {"complete"}
        with app.worker.db.read() as conn:
            rows = conn.execute(
                select(
                    clips.c.plan,
                    jobs.c.state,
                    jobs.c.attempts,
                    jobs.c.started_at,
                    jobs.c.finished_at,
                ).select_from(jobs.join(clips, clips.c.id == jobs.c.subject_id))
            ).all()
        plans = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
        assert sorted(p["batch_size"] for p in plans) == [2] * 6
        assert {(r[1], r[2]) for r in rows} == {("done", 1)}  # every clip's own job, done once
        calls: dict[str, list[tuple[object, object]]] = {}
        for plan, row in zip(plans, rows, strict=True):
            calls.setdefault(plan["call"], []).append((row[3], row[4]))
        assert len(calls) == 3  # three model calls of two clips
        spans = sorted((min(s for s, _ in c), max(f for _, f in c)) for c in calls.values())
        for (_, done), (claimed, _) in zip(spans, spans[1:], strict=False):
            # pipelined: the next batch was claimed (its model call begun) before this one's
            # clips were all written; one at a time: only after
            assert (claimed < done) is pipeline
