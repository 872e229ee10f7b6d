"""Continuing audio that has no MusicGen codes (an upload, another engine's clip): the source's
last stretch is encoded with the model's own codec into the audio prompt. Tiny random models
loaded by the engine's loader: shapes, lengths, the join and finiteness, not the sound."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.neural import require_neural

require_neural()

from openchirp.engines.base import Continuation, PlanRequest  # noqa: E402
from openchirp.engines.musicgen.codec import decode_codes  # noqa: E402
from openchirp.engines.musicgen.engine import MusicgenEngine  # noqa: E402
from openchirp.engines.musicgen.prompt import text_prompt  # noqa: E402
from openchirp.engines.musicgen.tiny import write_tiny  # noqa: E402

RATE = 32_000
OPTIONS = {"duration_s": 0.8, "window_s": 1.0, "prompt_s": 0.3, "block_s": 0.2}
UPLOAD_RATE = 44_100


def tone(seconds: float, rate: int) -> np.ndarray:
    """A stereo upload: two sines, so the source's value at any time is known exactly."""
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([tone_at(t, 0), tone_at(t, 1)], axis=1).astype(np.float32)


def tone_at(t: np.ndarray | float, channel: int) -> np.ndarray:
    return (0.5, 0.3)[channel] * np.sin(2 * np.pi * (220.0, 330.0)[channel] * np.asarray(t))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> MusicgenEngine:
    directory = tmp_path_factory.mktemp("musicgen-upload")
    write_tiny(directory)
    return MusicgenEngine(str(directory), **OPTIONS)


@pytest.fixture(scope="module")
def stereo(tmp_path_factory: pytest.TempPathFactory) -> MusicgenEngine:
    directory = tmp_path_factory.mktemp("musicgen-upload-stereo")
    write_tiny(directory, stereo=True)
    return MusicgenEngine(str(directory), **OPTIONS)


def request(continuation: Continuation | None = None, **fields: object) -> PlanRequest:
    base: dict[str, object] = {"lyrics": "", "tags": "lofi, warm", "instrumental": True, "seed": 4}
    return PlanRequest(**{**base, **fields}, continuation=continuation)  # type: ignore[arg-type]


def pcm_of(render) -> np.ndarray:
    return np.concatenate([b.mix for b in render.blocks()])


def upload(at: float, audio: np.ndarray | None = None, rate: int = UPLOAD_RATE) -> Continuation:
    """What sunoapi.org's upload-extend hands the engine: no plan, the decoded file."""
    audio = tone(3.0, UPLOAD_RATE) if audio is None else audio
    return Continuation(source_plan={}, continue_at=at, source_audio=audio, source_sample_rate=rate)


def test_an_upload_is_continued_from_its_encoded_audio(engine: MusicgenEngine) -> None:
    assert "upload_extend" in engine.capabilities and engine.wants_source_audio
    ext, fresh = engine.plan_batch([request(upload(2.0)), request(variant=1)])
    assert ext.batch is fresh.batch  # an audio prompt shares a batch with a new clip
    assert ext.plan["continued_from"] == {"continue_at": 2.0, "from": "audio"}
    assert ext.plan["prompt"] == text_prompt("lofi, warm")  # nothing else describes an upload
    pcm, new = pcm_of(ext), pcm_of(fresh)
    assert pcm.shape == (round(ext.duration_s * RATE), 2) == (round(0.8 * RATE), 2)
    assert np.isfinite(pcm).all() and np.abs(pcm).max() <= 1.0 and np.abs(pcm).max() > 0
    assert len(new) == round(0.8 * RATE)
    # the codec's encoding of the last stretch is the prompt: max(prompt_s, 1 s) of frames
    assert ext.job.context.shape == (4, 50) and ext.job.source_pcm is None
    assert decode_codes(ext.plan["codes"]).shape == (4, 40)
    # the join: the new audio starts on the source's last sample before continue_at
    last = np.array([tone_at((2.0 * RATE - 1) / RATE, c) for c in (0, 1)])
    assert np.abs(pcm[0] - last).max() < 2e-3


def test_inside_a_frame_past_the_end_and_again_from_its_codes(engine: MusicgenEngine) -> None:
    odd = engine.plan(request(upload(1.01)))
    assert odd.plan["codes_skip"] == round(0.01 * RATE)
    assert len(pcm_of(odd)) == round(odd.duration_s * RATE) == round(0.8 * RATE) - 320
    # continue_at past the upload's end: it goes on from the end
    late = engine.plan(request(upload(9.0)))
    pcm = pcm_of(late)
    assert late.duration_s == pytest.approx(0.8) and np.isfinite(pcm).all()
    end = np.array([tone_at((3.0 * RATE - 1) / RATE, c) for c in (0, 1)])
    assert np.abs(pcm[0] - end).max() < 2e-3
    # at 0 there is nothing to hear: a new clip from the text alone, in the upload's timeline
    assert len(pcm_of(engine.plan(request(upload(0.0))))) == round(0.8 * RATE)
    # its extension has codes of this model: continued from them, not re-encoded
    again = engine.plan(request(Continuation(odd.plan, 0.5, source_audio=tone(1.0, RATE))))
    assert again.plan["continued_from"] == {"continue_at": 0.5}
    assert again.job.source_pcm is None and again.job.context.shape[1] > 0
    assert np.isfinite(pcm_of(again)).all()


def test_codes_are_preferred_to_audio_and_a_foreign_codec_is_re_encoded(
    engine: MusicgenEngine,
) -> None:
    source = engine.plan(request(seed=12))
    pcm_of(source)
    plain = pcm_of(engine.plan(request(Continuation(source.plan, 0.5))))
    noise = np.random.default_rng(1).uniform(-1, 1, (RATE, 2)).astype(np.float32)
    with_audio = engine.plan(request(Continuation(source.plan, 0.5, noise, RATE)))
    assert np.array_equal(pcm_of(with_audio), plain)  # the codes: exact, the audio unused
    foreign = {**source.plan, "codec": {**source.plan["codec"], "codebook_size": 2048}}
    other = engine.plan(request(Continuation(foreign, 0.5, noise, RATE)))
    assert other.plan["continued_from"]["from"] == "audio"
    assert other.plan["prompt"] == source.plan["prompt"]  # a MusicGen description still holds
    assert np.isfinite(pcm_of(other)).all()


def test_a_stereo_model_continues_a_mono_upload_at_another_rate(stereo: MusicgenEngine) -> None:
    mono = tone(2.0, 48_000)[:, 0]
    render = stereo.plan(request(upload(1.5, mono, 48_000)))
    pcm = pcm_of(render)
    assert pcm.shape == (round(0.8 * RATE), 2) and np.isfinite(pcm).all()
    assert render.job.context.shape == (8, 50)  # left and right codebooks interleaved
    last = tone_at((1.5 * RATE - 1) / RATE, 0)
    assert np.abs(pcm[0] - last).max() < 2e-3  # both channels start on the mono source


@pytest.mark.parametrize("fixture", ["engine", "stereo"])
def test_the_encoding_is_the_audio_prompt_generate_makes(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    import torch

    engine: MusicgenEngine = request.getfixturevalue(fixture)
    loaded = engine.loaded
    pcm = tone(0.5, RATE)
    render = engine.plan_batch([PlanRequest(lyrics="", tags="x", instrumental=True)])[0]
    ours = render.batch._encode(pcm)
    channels = loaded.audio_channels
    values = torch.as_tensor(pcm.T.copy())[None]  # (1, 2, samples)
    if channels == 1:
        values = values.mean(1, keepdim=True)
    with torch.inference_mode():
        kwargs = loaded.model._prepare_audio_encoder_kwargs_for_generation(values, {})
    theirs = kwargs["decoder_input_ids"].numpy()
    assert ours.shape == theirs.shape == (loaded.num_codebooks, 25)
    assert np.array_equal(ours, theirs)
