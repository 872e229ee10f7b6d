"""The musicgen engine on a tiny randomly initialised MusicGen written in the real layout and
loaded by the engine's own loader: shapes, lengths, streaming, batching, seeds, windows, extend.
Random weights make noise, so nothing here is about how it sounds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.base import (  # noqa: E402
    Continuation,
    Engine,
    EngineError,
    PlanRequest,
    Render,
)
from openchirp.engines.musicgen.codec import ChunkDecoder, decode_codes, encode_codes  # noqa: E402
from openchirp.engines.musicgen.engine import ContinuationError, MusicgenEngine  # noqa: E402
from openchirp.engines.musicgen.prompt import negative_prompt, text_prompt  # noqa: E402
from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402
from openchirp.engines.neural.runtime import ModelDirError  # noqa: E402

RATE = 32_000
OPTIONS = {"duration_s": 1.6, "window_s": 1.0, "prompt_s": 0.3, "block_s": 0.2}


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("musicgen-tiny")
    write_tiny(directory)
    return directory


@pytest.fixture(scope="session")
def engine(tiny_dir: Path) -> MusicgenEngine:
    return MusicgenEngine(str(tiny_dir), **OPTIONS)


def request(**fields: object) -> PlanRequest:
    base: dict[str, object] = {"lyrics": "", "tags": "synthwave, dark", "instrumental": True}
    return PlanRequest(**{**base, **fields})  # type: ignore[arg-type]


def pcm_of(render) -> tuple[np.ndarray, int]:
    blocks = [b.mix for b in render.blocks()]
    return np.concatenate(blocks), len(blocks)


def test_a_batch_of_two_streams_two_different_clips(engine: MusicgenEngine) -> None:
    renders = engine.plan_batch([request(seed=7, variant=0), request(seed=7, variant=1)])
    assert isinstance(engine, Engine) and all(isinstance(r, Render) for r in renders)
    assert renders[0].batch is renders[1].batch  # one generate call for both
    streams = [r.blocks() for r in renders]
    first = next(streams[0])  # the first block comes while the rest is still being made
    assert first.mix.shape[1] == 2 and first.mix.dtype == np.float32
    assert len(first.mix) < round(renders[0].duration_s * RATE)
    audio = [np.concatenate([first.mix, *(b.mix for b in streams[0])])]
    blocks = [b.mix for b in streams[1]]
    audio.append(np.concatenate(blocks))
    assert len(blocks) >= 4  # several blocks, not one at the end
    for render, pcm in zip(renders, audio, strict=True):
        assert render.sample_rate == RATE and render.has_vocal is False and render.words == []
        assert pcm.shape == (round(render.duration_s * RATE), 2)
        assert abs(render.duration_s - OPTIONS["duration_s"]) < 0.05
        assert np.isfinite(pcm).all() and np.abs(pcm).max() <= 1.0
        assert np.abs(pcm).max() > 0  # not silence
    assert not np.array_equal(audio[0], audio[1])
    plans = [r.plan for r in renders]
    assert plans[0]["clip_seed"] != plans[1]["clip_seed"]
    codes = decode_codes(plans[0]["codes"])
    assert codes.shape == (4, round(OPTIONS["duration_s"] * 50))


def test_same_seed_and_request_give_the_same_audio(engine: MusicgenEngine) -> None:
    one = [pcm_of(r)[0] for r in engine.plan_batch([request(seed=3), request(seed=3, variant=1)])]
    two = [pcm_of(r)[0] for r in engine.plan_batch([request(seed=3), request(seed=3, variant=1)])]
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    other = pcm_of(engine.plan_batch([request(seed=4)])[0])[0]
    assert not np.array_equal(one[0], other)


def test_a_clip_longer_than_a_window_goes_on_in_windows(engine: MusicgenEngine) -> None:
    # 1.6 s in windows of 1 s: a second window prompted with the first one's last 0.3 s
    render = engine.plan(request(seed=11))
    pcm, blocks = pcm_of(render)
    assert render.duration_s > engine.settings.window_frames / 50
    assert len(pcm) == round(render.duration_s * RATE) and blocks >= 4
    # the stream is the codec's decoding of the clip's codes: no seam at the window
    whole = render.batch._decode(decode_codes(render.plan["codes"]))
    assert np.abs(whole - pcm).max() < 1e-3


def test_negative_tags_steer_the_guidance(engine: MusicgenEngine) -> None:
    plain, negative = engine.plan_batch([request(seed=5), request(seed=5, negative_tags="rock")])
    assert negative.plan["negative"] == "rock" and plain.plan["negative"] == ""
    assert not np.array_equal(pcm_of(plain)[0], pcm_of(negative)[0])


def test_lyrics_are_not_sung_and_the_plan_says_so(engine: MusicgenEngine) -> None:
    render = engine.plan(request(lyrics="[Verse]\nla la", instrumental=False, seed=1))
    assert render.has_vocal is False and render.words == []
    assert "not sung" in render.plan["lyrics_ignored"]
    assert not any(b.stems for b in render.blocks())  # one mix: no stems


def test_plan_batch_is_the_one_way_into_a_batch(tiny_dir: Path) -> None:
    # max_batch 2: three requests are two generate calls; plan is a batch of one
    engine = MusicgenEngine(str(tiny_dir), **{**OPTIONS, "duration_s": 0.4, "max_batch": 2})
    renders = engine.plan_batch([request(seed=s) for s in (1, 2, 3)])
    assert renders[0].batch is renders[1].batch is not renders[2].batch
    assert [len(r.batch.clips) for r in renders] == [2, 2, 1]
    alone = engine.plan(request(seed=1))
    assert alone.batch is not None and alone.batch.clips == [alone.job]
    assert not hasattr(engine, "_waiting")  # no second, lazy batching beside plan_batch
    audio = [pcm_of(r)[0] for r in renders]
    # each clip samples with its own generator: the same audio alone as beside others
    assert np.array_equal(audio[0], pcm_of(alone)[0])
    assert not np.array_equal(audio[0], audio[1])


def test_an_extension_continues_from_the_source_codes(engine: MusicgenEngine) -> None:
    source = engine.plan(request(seed=9))
    pcm_of(source)
    plan = source.plan
    ext = engine.plan(
        request(tags="opera", seed=9, continuation=Continuation(source_plan=plan, continue_at=0.8))
    )
    assert ext.plan["prompt"] == plan["prompt"]  # the source's sound, not the request's tags
    assert ext.plan["continued_from"] == {"continue_at": 0.8}  # from the codes
    pcm, _ = pcm_of(ext)
    assert pcm.shape == (round(ext.duration_s * RATE), 2) and np.isfinite(pcm).all()
    assert decode_codes(ext.plan["codes"]).shape[1] == round(ext.duration_s * 50)
    # starting inside a frame: the audio starts at the very sample asked for
    odd = engine.plan(request(seed=9, continuation=Continuation(plan, continue_at=0.81)))
    assert odd.plan["codes_skip"] == round(0.01 * RATE)
    assert len(pcm_of(odd)[0]) == round(odd.duration_s * RATE) == 1.6 * RATE - 320
    # an extension of an extension
    again = engine.plan(request(seed=9, continuation=Continuation(odd.plan, continue_at=0.5)))
    assert np.isfinite(pcm_of(again)[0]).all()
    # a plan of another engine, or of a model with another codec, without the source's audio
    # cannot be continued
    with pytest.raises(EngineError, match="neither this engine's codes nor audio"):
        engine.plan(request(continuation=Continuation({"engine": "composer"}, 1.0)))
    foreign = {**plan, "codec": {**plan["codec"], "codebook_size": 2048}}
    with pytest.raises(EngineError, match="another codec"):
        engine.plan(request(continuation=Continuation(foreign, 1.0)))


def test_a_clip_that_cannot_be_planned_fails_alone(engine: MusicgenEngine) -> None:
    bad = request(continuation=Continuation({"engine": "composer"}, 1.0))
    failed, good = engine.plan_batch([bad, request(seed=8)])
    with pytest.raises(ContinuationError) as caught:
        list(failed.blocks())
    assert caught.value.retry is False  # the queue does not try it again
    assert len(pcm_of(good)[0]) == round(good.duration_s * RATE)


def test_the_default_length_is_a_quarter_of_the_model_key_maximum(tiny_dir: Path) -> None:
    default = MusicgenEngine(str(tiny_dir), block_s=0.5)
    render = default.plan(request(max_duration_s=2.4))
    assert render.duration_s == pytest.approx(0.6)
    assert len(pcm_of(render)[0]) == round(0.6 * RATE)


def test_start_up_problems_come_from_the_directory(tiny_dir: Path, tmp_path: Path) -> None:
    assert MusicgenEngine.problems({"model_dir": str(tiny_dir)}) == []
    # the same lines as every neural engine's (engines/neural/modeldir)
    assert MusicgenEngine.problems({}) == [
        "no model_dir option: set it in OPENCHIRP_ENGINE_OPTIONS (weights are never downloaded)"
    ]
    assert MusicgenEngine.problems({"model_dir": str(tmp_path / "x")}) == [
        f"{tmp_path / 'x'}: no such folder (weights are never downloaded: put them there first)"
    ]


def test_an_abandoned_render_stops_its_generation(engine: MusicgenEngine) -> None:
    render = engine.plan_batch([request(seed=21)])[0]
    stream = render.blocks()
    next(stream)
    stream.close()
    thread = render.batch._thread
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive() and render.job.cancelled
    assert render.job.produced < render.job.total_frames
    assert not engine._lock.locked()  # the model is free for the next batch


def test_a_generation_failure_reaches_the_consumer(engine: MusicgenEngine, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(engine.loaded.model, "generate", broken)
    render = engine.plan_batch([request(seed=1)])[0]
    with pytest.raises(RuntimeError, match="out of memory"):
        pcm_of(render)


def test_a_missing_or_broken_model_dir_fails_when_the_engine_is_built(
    tmp_path: Path, tiny_dir: Path
) -> None:
    with pytest.raises(ModelDirError, match="no such folder"):
        MusicgenEngine(str(tmp_path / "nowhere"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "t5"}')
    with pytest.raises(ModelDirError, match="no weights") as caught:
        MusicgenEngine(str(broken))
    assert "tokenizer_config.json: missing" in str(caught.value)
    assert str(caught.value).startswith(f"engine musicgen: the model folder {broken} cannot be")
    for name in ("tokenizer_config.json", "model.safetensors"):
        (broken / name).write_bytes((tiny_dir / name).read_bytes())
    with pytest.raises(ModelDirError, match="'t5' model, not MusicGen"):
        MusicgenEngine(str(broken))
    with pytest.raises(ModelDirError, match="device 'tpu': use auto, cpu, cuda, cuda:N or mps"):
        MusicgenEngine(str(tiny_dir), device="tpu")
    with pytest.raises(ModelDirError, match="dtype 'int8': use one of auto, bf16"):
        MusicgenEngine(str(tiny_dir), dtype="int8")
    with pytest.raises(ValueError, match="window_s"):
        MusicgenEngine(str(tiny_dir), window_s=40)


def test_capabilities_are_read_without_loading_torch() -> None:
    code = (
        "import sys; from openchirp.config import Settings; "
        "from openchirp.engines.registry import engine_capabilities as c; "
        "print(sorted(c('musicgen', Settings())), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "['concat', 'extend', 'generate', 'upload_extend'] False"


def test_the_text_prompt_names_the_genres_first() -> None:
    text = text_prompt("dark, synth pop, 80s", "Night Drive")
    assert text.startswith("electronic track, dark") and "instrumental" in text
    assert '"Night Drive"' in text
    assert text_prompt("") == "music track, instrumental"
    assert negative_prompt("Rock; heavy  drums") == "rock, heavy drums"


def test_codes_survive_the_plan_and_the_chunk_decoder_matches_a_whole_decode(
    engine: MusicgenEngine,
) -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 64, size=(4, 120))
    assert np.array_equal(decode_codes(encode_codes(codes)), codes)
    render = engine.plan_batch([request()])[0]
    decode = render.batch._decode
    whole = decode(codes)
    import torch

    ids = torch.as_tensor(codes)[None, None]
    with torch.inference_mode():  # the codec's own decode, as generate calls it
        own = engine.loaded.model.audio_encoder.decode(ids, audio_scales=[None]).audio_values
    assert np.allclose(whole[:, 0], np.clip(own[0, 0].numpy(), -1, 1), atol=1e-6)
    chunker = ChunkDecoder(decode, 640, 50, codes[:, :0], 2)
    out = []
    for start in range(0, 120, 7):
        chunker.add(codes[:, start : start + 7])
        if chunker.ready(10):
            out.append(chunker.step())
    out.append(chunker.step(final=True))
    streamed = np.concatenate(out)
    assert streamed.shape == whole.shape
    assert np.abs(streamed - whole).max() < 1e-3


def test_a_stereo_model_gives_two_channels(tmp_path: Path) -> None:
    write_tiny(tmp_path, stereo=True)
    stereo = MusicgenEngine(str(tmp_path), **{**OPTIONS, "duration_s": 0.6})
    assert stereo.loaded.audio_channels == 2 and stereo.loaded.num_codebooks == 8
    render = stereo.plan_batch([request(seed=1)])[0]
    pcm, _ = pcm_of(render)
    assert pcm.shape == (round(0.6 * RATE), 2) and np.isfinite(pcm).all()
    assert not np.array_equal(pcm[:, 0], pcm[:, 1])  # left and right codebooks differ
    assert decode_codes(render.plan["codes"]).shape == (8, 30)
