"""Whether a folder holds an ACE-Step 1.5 pipeline this machine can run: files, configuration,
dtype, device and free memory, one line per problem (``openchirp models check``, and every
engine before it loads, so a bad folder stops the server at start-up, not at the first song)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openchirp.engines.neural import modeldir, runtime

PIPELINE = "AceStepPipeline"
MODELS = ("transformer", "condition_encoder", "vae", "text_encoder")
COVER_MODULES = ("audio_tokenizer", "audio_token_detokenizer")
"""Optional: what covering audio needs (without them every other operation still works)."""
HEADROOM = 1.3
"""Weights times this: what loading and a batch of a few minutes of audio need, roughly."""


def problems(directory: Path | str | None, options: dict[str, Any] | None = None) -> list[str]:
    options = options or {}
    found = modeldir.folder_problem(directory)
    if found:
        return [found]
    root = Path(str(directory))
    out: list[str] = []
    index = modeldir.read_json(root / "model_index.json", out)
    if index is not None and index.get("_class_name") != PIPELINE:
        out.append(
            f"{root / 'model_index.json'}: a {index.get('_class_name')!r} pipeline, not {PIPELINE}"
        )
    configs = {name: modeldir.read_json(root / name / "config.json", out) for name in MODELS}
    weights = sum(modeldir.has_weights(root / name, out) for name in MODELS)
    modeldir.read_json(root / "scheduler" / "scheduler_config.json", out)
    if not any((root / "tokenizer" / f).is_file() for f in ("tokenizer.json", "vocab.json")):
        out.append(f"{root / 'tokenizer'}: no tokenizer.json")
    out += _config_problems(configs)
    # device, dtype and memory: the same checks and lines as every neural engine's
    out += runtime.problems(options, lambda dtype: int(weights * HEADROOM))
    return out


def cover_problems(directory: Path | str | None) -> list[str]:
    """Why this folder cannot cover audio (upload-cover): the pipeline turns the audio's melody
    into semantic tokens with its optional ``audio_tokenizer`` and ``audio_token_detokenizer``,
    which not every converted checkpoint has. A folder that cannot load at all is
    ``problems``'s business, not this."""
    if modeldir.folder_problem(directory):
        return []
    root = Path(str(directory))
    ignored: list[str] = []
    index = modeldir.read_json(root / "model_index.json", ignored) or {}
    out = []
    for name in COVER_MODULES:
        found: list[str] = []
        listed = (index.get(name) or [None])[0] is not None
        if not listed or not modeldir.has_weights(root / name, found):
            out.append(
                f"{root}: no {name} (the model folder needs {' and '.join(COVER_MODULES)} "
                "to cover audio)"
            )
    return out


def _config_problems(configs: dict[str, dict[str, Any] | None]) -> list[str]:
    dit, cond, vae, text = (configs[n] or {} for n in MODELS)
    out = []
    acoustic = dit.get("audio_acoustic_hidden_dim")
    if dit and cond and cond.get("timbre_hidden_dim") != acoustic:
        out.append(
            f"condition_encoder/config.json: timbre_hidden_dim {cond.get('timbre_hidden_dim')} "
            f"is not the transformer's audio_acoustic_hidden_dim {acoustic}"
        )
    if dit and vae and vae.get("decoder_input_channels") != acoustic:
        out.append(
            f"vae/config.json: decoder_input_channels {vae.get('decoder_input_channels')} is "
            f"not the transformer's audio_acoustic_hidden_dim {acoustic}"
        )
    if vae and vae.get("encoder_hidden_size") != 2 * (vae.get("decoder_input_channels") or 0):
        out.append(
            f"vae/config.json: encoder_hidden_size {vae.get('encoder_hidden_size')} is not twice "
            f"decoder_input_channels {vae.get('decoder_input_channels')}"
        )
    if cond and text and cond.get("text_hidden_dim") != text.get("hidden_size"):
        out.append(
            f"condition_encoder/config.json: text_hidden_dim {cond.get('text_hidden_dim')} is "
            f"not the text encoder's hidden_size {text.get('hidden_size')}"
        )
    if vae and vae.get("sampling_rate") != 48000:
        out.append(f"vae/config.json: sampling_rate {vae.get('sampling_rate')}, expected 48000")
    return out
