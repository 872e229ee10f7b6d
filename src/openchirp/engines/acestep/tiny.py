"""A randomly initialised ACE-Step 1.5 pipeline in the real folder layout: tiny (to try the
wiring anywhere; the tests load it as a user's folder) or at the published sizes (what a GPU
bench costs: random weights compute exactly as much as trained ones). Its output is noise.

The tokenizer is built here, never downloaded: byte-level BPE over the 256 byte symbols with no
merges, so any text tokenizes (one token per byte) and ``<|endoftext|>``, which the pipeline's
prompt templates use, is a token of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENDOFTEXT = "<|endoftext|>"

TINY: dict[str, dict[str, Any]] = {
    "transformer": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "in_channels": 24,
        "audio_acoustic_hidden_dim": 8,
        "patch_size": 2,
        "rope_theta": 10000.0,
        "sliding_window": 16,
        "is_turbo": True,
        "model_version": "turbo",
    },
    "condition_encoder": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "text_hidden_dim": 32,
        "timbre_hidden_dim": 8,
        "num_lyric_encoder_hidden_layers": 1,
        "num_timbre_encoder_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "rope_theta": 10000.0,
        "sliding_window": 16,
    },
    "text_encoder": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "max_position_embeddings": 4096,
    },
    # What covers audio: 25 Hz latents to 5 Hz tokens and back (fsq_dim: the hidden size).
    "audio_tokenizer": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "audio_acoustic_hidden_dim": 8,
        "fsq_dim": 32,
        "num_attention_pooler_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "rope_theta": 10000.0,
        "sliding_window": 16,
    },
    "audio_token_detokenizer": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "audio_acoustic_hidden_dim": 8,
        "num_attention_pooler_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "rope_theta": 10000.0,
        "sliding_window": 16,
    },
    # The real hop (1920 samples at 48 kHz: 25 latent frames a second), tiny channels.
    "vae": {
        "encoder_hidden_size": 16,  # twice the latent channels: a mean and a scale each
        "downsampling_ratios": [2, 4, 4, 6, 10],
        "channel_multiples": [1, 1, 1, 1, 1],
        "decoder_channels": 4,
        "decoder_input_channels": 8,
        "audio_channels": 2,
        "sampling_rate": 48000,
    },
}

FULL: dict[str, dict[str, Any]] = {
    # ACE-Step 1.5 turbo's DiT and condition encoder (diffusers' defaults are these sizes).
    "transformer": {"is_turbo": True, "model_version": "turbo"},
    "condition_encoder": {},
    "audio_tokenizer": {},
    "audio_token_detokenizer": {},
    # Qwen3-Embedding-0.6B, the text encoder it ships with.
    "text_encoder": {
        "hidden_size": 1024,
        "intermediate_size": 3072,
        "num_hidden_layers": 28,
        "num_attention_heads": 16,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "max_position_embeddings": 32768,
        "rope_theta": 1000000.0,
        "vocab_size": 151669,
    },
    # The 48 kHz Oobleck VAE: 64 latent channels, hop 1920.
    "vae": {
        "encoder_hidden_size": 128,
        "downsampling_ratios": [2, 4, 4, 6, 10],
        "channel_multiples": [1, 2, 4, 8, 16],
        "decoder_channels": 128,
        "decoder_input_channels": 64,
        "audio_channels": 2,
        "sampling_rate": 48000,
    },
}


def tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {symbol: i for i, symbol in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab[ENDOFTEXT] = len(vocab)
    model = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    model.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = decoders.ByteLevel()
    model.add_special_tokens([ENDOFTEXT])
    return PreTrainedTokenizerFast(
        tokenizer_object=model, eos_token=ENDOFTEXT, pad_token=ENDOFTEXT, model_max_length=4096
    )


def build(*, full: bool = False, seed: int = 0, cover: bool = True) -> Any:
    """An ``AceStepPipeline`` with random weights (float32, on the CPU). ``cover``: with the
    optional audio tokenizer and detokenizer that covering audio needs."""
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import (
        AceStepAudioTokenDetokenizer,
        AceStepAudioTokenizer,
        AceStepConditionEncoder,
    )
    from transformers import Qwen3Config, Qwen3Model

    sizes = FULL if full else TINY
    tok = tokenizer()
    torch.manual_seed(seed)
    text = {"vocab_size": len(tok), **sizes["text_encoder"]}
    return AceStepPipeline(
        transformer=AceStepTransformer1DModel(**sizes["transformer"]),
        condition_encoder=AceStepConditionEncoder(**sizes["condition_encoder"]),
        text_encoder=Qwen3Model(Qwen3Config(**text)),
        tokenizer=tok,
        vae=AutoencoderOobleck(**sizes["vae"]),
        # ACE-Step computes its own sigma schedule in [0, 1] and hands it over verbatim.
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
        audio_tokenizer=AceStepAudioTokenizer(**sizes["audio_tokenizer"]) if cover else None,
        audio_token_detokenizer=(
            AceStepAudioTokenDetokenizer(**sizes["audio_token_detokenizer"]) if cover else None
        ),
    )


def write_tiny(directory: Path, *, cover: bool = True) -> None:
    """Write a tiny random ACE-Step 1.5 pipeline to ``directory`` (``save_pretrained``: the
    layout of a real model folder, safetensors weights). ``cover=False``: without the audio
    tokenizer, as some converted checkpoints are (they cannot cover audio)."""
    build(cover=cover).save_pretrained(str(directory), safe_serialization=True)
