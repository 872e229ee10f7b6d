"""Load a MusicGen model directory once: the tokenizer and the model, on the chosen device.

A directory in ``save_pretrained`` layout (a published checkpoint such as
``facebook/musicgen-small`` copied to disk, or ``openchirp models tiny musicgen DIR``). Nothing is
ever downloaded: transformers is asked for local files only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DTYPES = ("float32", "float16", "bfloat16")
REQUIRED_FILES = ("config.json", "tokenizer_config.json")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


class ModelDirError(RuntimeError):
    """The configured model directory or options cannot be used (raised when the engine is
    built). Not an EngineError: its text names server paths, for the operator's log only."""


def parse_device(device: str) -> str:
    """``cpu``, ``cuda`` or ``cuda:N``; anything else is refused by name."""
    text = str(device).strip().lower()
    if text == "cpu" or text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise ModelDirError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got {device!r}")


def parse_dtype(dtype: str) -> str:
    text = str(dtype).strip().lower()
    if text not in DTYPES:
        raise ModelDirError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return text


def read_config(directory: Path) -> dict[str, Any]:
    """The directory's config.json, checked to be a MusicGen one (not melody, not another model)."""
    path = directory / "config.json"
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelDirError(f"model_dir {directory}: no config.json") from exc
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"model_dir {directory}: config.json does not parse: {exc}") from exc
    if not isinstance(config, dict) or config.get("model_type") != "musicgen":
        kind = config.get("model_type") if isinstance(config, dict) else None
        raise ModelDirError(
            f"model_dir {directory}: config.json is not a MusicGen model (model_type {kind!r})"
        )
    return config


def missing_files(directory: Path) -> list[str]:
    """The files a MusicGen directory needs that are not there."""
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if not any((directory / name).is_file() for name in WEIGHT_FILES):
        missing.append("model.safetensors (or pytorch_model.bin)")
    return missing


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


def load(model_dir: str | Path, device: str, dtype: str) -> Loaded:
    """Load the directory, or raise :class:`ModelDirError` saying what is wrong."""
    import torch
    from transformers import AutoTokenizer, MusicgenForConditionalGeneration

    directory = Path(model_dir).expanduser()
    if not directory.is_dir():
        raise ModelDirError(f"model_dir {directory} is not a directory")
    missing = missing_files(directory)
    if missing:
        raise ModelDirError(f"model_dir {directory} lacks {', '.join(missing)}")
    read_config(directory)
    device, dtype = parse_device(device), parse_dtype(dtype)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelDirError(f"device {device!r}: torch sees no CUDA device here")
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = MusicgenForConditionalGeneration.from_pretrained(
            directory, local_files_only=True, dtype=getattr(torch, dtype)
        )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelDirError(f"model_dir {directory} does not load: {exc}") from exc
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
