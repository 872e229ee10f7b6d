"""A model key mapped to the acestep engine (the tiny random folder, loaded as a user's): the app
in this process, the worker driven by the test. Clips of several creates share one batched
pipeline call; extend and concat work as with every engine; stems are refused by name; out of
memory ends the clip with ``out_of_memory`` and the worker serves the next song."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openchirp.jobs.concat import decode
from tests.support.inprocess import InProcessApp, inprocess_settings
from tests.support.neural import (
    ACESTEP_MODEL,
    ACESTEP_OPTIONS,
    OOM_TAG,
    require_neural,
    tiny_acestep,
)

require_neural()

LYRICS = "[Verse]\nneon rain on the avenue\nhold on"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_acestep(tmp_path_factory)


@pytest.fixture
def neural(tmp_path: Path, model_dir: Path) -> Any:
    options = {**ACESTEP_OPTIONS, "model_dir": str(model_dir), "simulate_oom_tag": OOM_TAG}
    settings = inprocess_settings(
        tmp_path / "data",
        default_engine=None,
        model_engines={ACESTEP_MODEL: "acestep"},
        engine_options={"acestep": options},
    )
    with InProcessApp(settings) as app:
        yield app


def create(app: InProcessApp, tags: str = "synthwave") -> list[str]:
    body = {"prompt": LYRICS, "tags": tags, "title": "Neon", "model": ACESTEP_MODEL}
    response = app.client.post("/api/custom_generate", json=body)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()]


def clips(app: InProcessApp, ids: list[str]) -> list[dict[str, Any]]:
    return app.client.get("/api/get", params={"ids": ",".join(ids)}).json()


def plans(app: InProcessApp, ids: list[str]) -> list[dict[str, Any]]:
    from openchirp.db import repo

    with app.worker.db.read() as conn:
        return [repo.get_clip(conn, i).plan for i in ids]


def test_two_creates_render_in_one_batched_call(neural: InProcessApp) -> None:
    ids = create(neural) + create(neural, "dream pop")
    assert neural.drive() == 1  # one job took the other three: max_batch 4
    done = clips(neural, ids)
    assert [c["status"] for c in done] == ["complete"] * 4
    made = plans(neural, ids)
    assert len({p["call"] for p in made}) == 1 and made[0]["batch_size"] == 4
    assert len({p["seed"] for p in made}) == 4
    pcm, rate = decode_url(neural, done[0]["audio_url"])
    assert rate == 48_000 and abs(len(pcm) / rate - 1.0) < 0.06 and pcm.shape[1] == 2
    words = neural.client.get("/api/get_aligned_lyrics", params={"song_id": ids[0]}).json()
    assert [w["word"] for w in words][:3] == ["neon", "rain", "on"]
    assert all(w["success"] is False and w["p_align"] == 0.0 for w in words)  # estimated

    stems = neural.client.post("/api/generate_stems", json={"audio_id": ids[0]})
    assert stems.status_code == 409
    assert "the engine 'acestep' that made it cannot separate them" in stems.text


def test_extend_and_concat(neural: InProcessApp) -> None:
    source = create(neural)[0]
    neural.drive()
    body = {"audio_id": source, "continue_at": 0.5, "prompt": "[Verse]\non and on"}
    extension = neural.client.post("/api/extend_audio", json={**body, "model": ACESTEP_MODEL})
    assert extension.status_code == 200, extension.text
    ext_ids = [c["id"] for c in extension.json()]
    neural.drive()
    ext = clips(neural, ext_ids)
    assert [c["status"] for c in ext] == ["complete"] * len(ext_ids)
    assert all(p["continued"] for p in plans(neural, ext_ids))
    whole = neural.client.post("/api/concat", json={"clip_id": ext_ids[0]}).json()
    neural.drive()
    (done,) = clips(neural, [whole["id"]])
    assert done["status"] == "complete"
    assert abs(float(done["duration"]) - (0.5 + float(ext[0]["duration"]))) < 0.06
    pcm, rate = decode_url(neural, done["audio_url"])
    assert rate == 48_000


def test_out_of_memory_ends_the_clips_and_the_worker_goes_on(neural: InProcessApp) -> None:
    failed = create(neural, f"rock, {OOM_TAG}")
    neural.drive()
    gone = clips(neural, failed)
    assert [c["status"] for c in gone] == ["error", "error"]
    for clip_id in failed:
        clip = neural.client.get("/api/clip", params={"id": clip_id}).json()
        assert clip["metadata"]["error_type"] == "out_of_memory"
        assert "ran out of memory" in clip["metadata"]["error_message"]
    fine = create(neural)
    neural.drive()
    assert [c["status"] for c in clips(neural, fine)] == ["complete", "complete"]


def decode_url(app: InProcessApp, url: str) -> tuple[Any, int]:
    path = app.settings.data_dir / "dl.mp3"
    path.write_bytes(app.client.get(url).content)
    return decode(path)
