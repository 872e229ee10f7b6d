"""A tiny, randomly initialised MusicGen in the real directory layout (its output is noise).

The same files as a published checkpoint (``config.json``, ``generation_config.json``,
``model.safetensors``, the tokenizer's files and ``preprocessor_config.json``), written with
``save_pretrained`` and read back by the engine's own loader, so the whole wiring can be tried and
tested without downloading anything. The tokenizer is a T5 (Unigram) tokenizer built here from a
small vocabulary.
"""

from __future__ import annotations

import string
from pathlib import Path

SAMPLING_RATE = 32_000
UPSAMPLING_RATIOS = [8, 5, 4, 4]
"""Hop 640 at 32 kHz: 50 frames a second, as the published MusicGen codec."""
NUM_CODEBOOKS = 4
CODEBOOK_SIZE = 64


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


def write_tiny(directory: Path) -> None:
    """Write a tiny random MusicGen (a few hundred kB) into ``directory`` (created if needed)."""
    import torch
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
        T5Tokenizer,
    )

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    specials = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    tokenizer = T5Tokenizer(vocab=[*specials, *_vocabulary()], extra_ids=0)
    text = T5Config(
        vocab_size=len(tokenizer),
        d_model=16,
        d_kv=8,
        d_ff=32,
        num_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        initializer_factor=4.0,
    )
    codec = EncodecConfig(
        sampling_rate=SAMPLING_RATE,
        audio_channels=1,
        upsampling_ratios=UPSAMPLING_RATIOS,
        hidden_size=8,
        num_filters=2,
        num_residual_layers=1,
        codebook_size=CODEBOOK_SIZE,
        # the bandwidth that gives NUM_CODEBOOKS quantizers at 50 Hz and 6 bits a code
        target_bandwidths=[NUM_CODEBOOKS * 50 * 6 / 1000],
        num_lstm_layers=1,
        use_causal_conv=False,
        chunk_length_s=None,
        normalize=False,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=CODEBOOK_SIZE,
        max_position_embeddings=2048,
        num_hidden_layers=1,
        ffn_dim=32,
        num_attention_heads=2,
        hidden_size=16,
        num_codebooks=NUM_CODEBOOKS,
        pad_token_id=CODEBOOK_SIZE,
        bos_token_id=CODEBOOK_SIZE,
        dropout=0.0,
        initializer_factor=0.5,
    )
    config = MusicgenConfig(text_encoder=text, audio_encoder=codec, decoder=decoder)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():  # the codec's codebooks start as zeros (learnt buffers): fill them
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=CODEBOOK_SIZE,
        pad_token_id=CODEBOOK_SIZE,
        bos_token_id=CODEBOOK_SIZE,
        do_sample=True,
        guidance_scale=3.0,
        top_k=250,
        max_length=1500,
    )
    model.save_pretrained(directory)
    features = EncodecFeatureExtractor(feature_size=1, sampling_rate=SAMPLING_RATE)
    MusicgenProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(directory)
