"""Randomly initialised MusicGen models in the real directory layout (their output is noise).

The same files as a published checkpoint (``config.json``, ``generation_config.json``,
``model.safetensors``, the tokenizer's files and ``processor_config.json``), written with
``save_pretrained`` and read back by the engine's own loader, so the whole wiring can be tried and
tested without downloading anything. The tokenizer is a T5 (Unigram) tokenizer built here from a
small vocabulary.

``write_tiny``: a model of a few hundred kB for tests and ``openchirp models tiny musicgen``.
``write_random``: the published sizes (``small``: MusicGen-small's decoder, T5-base, the 32 kHz
EnCodec), for benchmarks: the compute is the trained model's, the sound is not.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

SAMPLING_RATE = 32_000
UPSAMPLING_RATIOS = [8, 5, 4, 4]
"""Hop 640 at 32 kHz: 50 frames a second, as the published MusicGen codec."""

PUBLISHED = {
    # decoder sizes of facebook/musicgen-{small,medium,large}; all use T5-base and EnCodec 32 kHz
    "small": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16},
    "medium": {"hidden_size": 1536, "num_hidden_layers": 48, "num_attention_heads": 24},
    "large": {"hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 32},
}


def _vocabulary() -> list[tuple[str, float]]:
    """Pieces of a Unigram model: every letter and digit, alone and word-initial (``▁``), so any
    text tokenises; a few style words whole."""
    from openchirp.vocabulary import GENRE_ALIASES

    pieces = ["▁"]
    for ch in string.ascii_lowercase + string.digits + "-&',":
        pieces += [ch, "▁" + ch]
    words = sorted({w for name in GENRE_ALIASES for w in name.split()})[:40]
    pieces += ["▁" + w for w in words if "▁" + w not in pieces]
    return [(p, -float(len(p) < 3) * 2.0 - 1.0) for p in pieces]


def write_tiny(directory: Path, *, stereo: bool = False) -> None:
    """Write a tiny random MusicGen (a few hundred kB) into ``directory`` (created if needed);
    ``stereo``: the layout of the stereo checkpoints (two interleaved sets of codebooks)."""
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    codebook_size, codebooks = 64, 4
    text = {"d_model": 16, "d_kv": 8, "d_ff": 32, "num_layers": 1, "num_heads": 2}
    codec = EncodecConfig(
        sampling_rate=SAMPLING_RATE,
        audio_channels=1,
        upsampling_ratios=UPSAMPLING_RATIOS,
        hidden_size=8,
        num_filters=2,
        num_residual_layers=1,
        codebook_size=codebook_size,
        # the bandwidth that gives `codebooks` quantizers at 50 Hz and 6 bits a code
        target_bandwidths=[codebooks * 50 * 6 / 1000],
        num_lstm_layers=1,
        use_causal_conv=False,
        chunk_length_s=None,
        normalize=False,
    )
    channels = 2 if stereo else 1
    decoder = MusicgenDecoderConfig(
        vocab_size=codebook_size,
        max_position_embeddings=2048,
        num_hidden_layers=1,
        ffn_dim=32,
        num_attention_heads=2,
        hidden_size=16,
        num_codebooks=codebooks * channels,
        audio_channels=channels,
        pad_token_id=codebook_size,
        bos_token_id=codebook_size,
        dropout=0.0,
        # larger than the default 0.02, so that the random text conditioning changes the codes
        initializer_factor=0.5,
    )
    # T5's initializer_factor: the same reason
    text_config = T5Config(
        vocab_size=256, relative_attention_num_buckets=8, initializer_factor=4.0, **text
    )
    _write(Path(directory), text_config, codec, decoder)


def write_random(directory: Path, size: str = "small") -> None:
    """Write a randomly initialised MusicGen of a published size (``small``: about 2 GB)."""
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    codec = EncodecConfig(
        sampling_rate=SAMPLING_RATE,
        audio_channels=1,
        upsampling_ratios=UPSAMPLING_RATIOS,
        hidden_size=128,
        num_filters=64,
        num_residual_layers=1,
        codebook_size=2048,
        target_bandwidths=[2.2],
        num_lstm_layers=2,
        use_causal_conv=False,
        use_conv_shortcut=False,
        chunk_length_s=None,
        normalize=False,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=2048,
        max_position_embeddings=2048,
        ffn_dim=4 * PUBLISHED[size]["hidden_size"],
        num_codebooks=4,
        pad_token_id=2048,
        bos_token_id=2048,
        **PUBLISHED[size],
    )
    text = T5Config(d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)
    _write(Path(directory), text, codec, decoder)


def _write(directory: Path, text: Any, codec: Any, decoder: Any) -> None:
    import torch
    from transformers import (
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Tokenizer,
    )

    directory.mkdir(parents=True, exist_ok=True)
    specials = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    tokenizer = T5Tokenizer(vocab=[*specials, *_vocabulary()], extra_ids=0)
    assert text.vocab_size >= len(tokenizer), "the text encoder must embed every token"
    config = MusicgenConfig(text_encoder=text, audio_encoder=codec, decoder=decoder)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():  # the codec's codebooks start as zeros (learnt buffers): fill them
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    start = decoder.vocab_size
    # the published checkpoints' sampling defaults
    model.generation_config = GenerationConfig(
        decoder_start_token_id=start,
        pad_token_id=start,
        bos_token_id=start,
        do_sample=True,
        guidance_scale=3.0,
        top_k=250,
        max_length=1500,
    )
    model.save_pretrained(directory)
    features = EncodecFeatureExtractor(
        feature_size=codec.audio_channels, sampling_rate=codec.sampling_rate
    )
    MusicgenProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(directory)
