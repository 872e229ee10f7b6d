"""Load a MusicGen model directory once: the tokenizer and the model, on the chosen device.

A directory in ``save_pretrained`` layout (a published checkpoint such as
``facebook/musicgen-small`` copied to disk, or ``openchirp models tiny musicgen DIR``). Nothing is
ever downloaded: transformers is asked for local files only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openchirp.engines.neural import modeldir, runtime
from openchirp.engines.neural.runtime import ModelDirError

ENGINE = "musicgen"


def folder_problems(directory: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The directory's config.json (None if unusable) and what is wrong with its files, one line
    each, in the words every neural engine uses (``engines/neural/modeldir``)."""
    found: list[str] = []
    if not (directory / "tokenizer_config.json").is_file():
        found.append(f"{directory / 'tokenizer_config.json'}: missing")
    modeldir.has_weights(directory, found)
    config = modeldir.read_json(directory / "config.json", found)
    if config is not None and config.get("model_type") != "musicgen":
        found.append(
            f"{directory / 'config.json'}: a {config.get('model_type')!r} model, not MusicGen "
            "(model_type 'musicgen'; MusicGen-melody is another model)"
        )
        config = None
    return config, found


@dataclass
class Loaded:
    """A loaded model and the facts of its codec every clip needs."""

    model: Any
    tokenizer: Any
    device: str
    sampling_rate: int
    frame_rate: int
    hop_length: int
    num_codebooks: int
    codebook_size: int
    audio_channels: int
    max_positions: int
    generation: dict[str, Any]
    """The directory's sampling defaults (guidance_scale, temperature, top_k, top_p)."""

    @property
    def codec(self) -> dict[str, int]:
        """What a plan's codes mean: a continuation must be made by a model with the same."""
        return {
            "sampling_rate": self.sampling_rate,
            "frame_rate": self.frame_rate,
            "num_codebooks": self.num_codebooks,
            "codebook_size": self.codebook_size,
            "audio_channels": self.audio_channels,
        }


def load(directory: Path, device: str, dtype: str) -> Loaded:
    """Load a directory already checked (``check.problems``) on a device and dtype already
    resolved (``runtime.device_name``, ``runtime.dtype_name``); what still fails to load is a
    :class:`ModelDirError`."""
    from transformers import AutoTokenizer, MusicgenForConditionalGeneration

    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = MusicgenForConditionalGeneration.from_pretrained(
            directory, local_files_only=True, dtype=runtime.torch_dtype(dtype)
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelDirError(ENGINE, directory, [f"does not load: {first}"]) from exc
    model = model.to(device).eval()
    codec = model.config.audio_encoder
    decoder = model.config.decoder
    gen = model.generation_config
    return Loaded(
        model=model,
        tokenizer=tokenizer,
        device=device,
        sampling_rate=int(codec.sampling_rate),
        frame_rate=int(codec.frame_rate),
        hop_length=int(codec.hop_length),
        num_codebooks=int(decoder.num_codebooks),
        codebook_size=int(decoder.vocab_size),
        audio_channels=int(decoder.audio_channels),
        max_positions=int(decoder.max_position_embeddings),
        generation={
            "guidance_scale": float(gen.guidance_scale or 1.0),
            "temperature": float(gen.temperature or 1.0),
            "top_k": int(gen.top_k or 0),
            "top_p": float(gen.top_p or 1.0),
        },
    )
