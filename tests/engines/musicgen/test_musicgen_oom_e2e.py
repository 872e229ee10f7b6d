"""Out of memory on a MusicGen worker, over real processes: ``openchirp serve`` without embedded
workers and ``openchirp worker --engines musicgen`` beside it, on a tiny random MusicGen folder
with the ``simulate_oom_tag`` drill. A create whose batch runs out of memory is split by the
worker; the clips that do not fit alone end in ``error`` with ``out_of_memory``, and the worker
goes on serving the next create."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.neural import OOM_TAG, require_neural, server_and_worker
from tests.support.server import Server, wait_for

require_neural()

from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPTIONS = {"duration_s": 1.0, "window_s": 1.0, "prompt_s": 0.3, "block_s": 0.25}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    model = tmp_path_factory.mktemp("musicgen-model")
    write_tiny(model)
    data = tmp_path_factory.mktemp("musicgen-oom")
    options = {"musicgen": {"model_dir": str(model), "simulate_oom_tag": OOM_TAG, **OPTIONS}}
    env = {
        "OPENCHIRP_MODEL_ENGINES": json.dumps({"chirp-v3-5": "musicgen"}),
        "OPENCHIRP_ENGINE_OPTIONS": json.dumps(options),
    }
    with server_and_worker(data, env, "musicgen") as server:
        yield server


def test_out_of_memory_is_a_clip_error_and_the_worker_goes_on(stack: Server) -> None:
    body = {
        "prompt": "",
        "tags": f"synthwave, {OOM_TAG}",
        "make_instrumental": True,
        "model": "chirp-v3-5",
    }
    with stack.client() as client:
        ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
        assert {c["status"] for c in wait_for(client, ids, timeout=240)} == {"error"}
        for clip_id in ids:
            meta = client.get("/api/clip", params={"id": clip_id}).json()["metadata"]
            assert meta["error_type"] == "out_of_memory"
            assert "ran out of memory" in meta["error_message"]
        log = (Path(stack.data_dir) / "worker.log").read_text()
        assert "musicgen: out of memory with a batch of 2" in log
        assert "musicgen: out of memory with a batch of 1" in log
        body["tags"] = "synthwave"
        ids = [c["id"] for c in client.post("/api/custom_generate", json=body).json()]
        done = wait_for(client, ids, timeout=240)
        assert [c["status"] for c in done] == ["complete", "complete"], done
        assert all(abs(float(c["duration"]) - OPTIONS["duration_s"]) < 0.1 for c in done)
