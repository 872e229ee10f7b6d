"""Join an extension to its ancestors: each part cut at its continue_at, then the last whole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from openchirp.core.clip import ClipStatus
from openchirp.core.render_input import audio_key_of, render_input_of
from openchirp.db import repo
from openchirp.engines.base import WordTiming
from openchirp.jobs.context import JobContext, start_clip
from openchirp.jobs.outputs import complete_clip, store_song
from openchirp.jobs.sources import audio_of
from openchirp.media.audio import decode, resample, write_wav
from openchirp.storage import clip_key

JOIN_FADE_S = 0.01
"""Equal-power overlap at each join: inaudible when the engine continued sample-exactly, and it
hides the step when an engine cannot."""


def join(parts: list[np.ndarray], cuts: list[int | None], fade: int) -> np.ndarray:
    """Concatenate part i up to ``cuts[i]``; the next part fades in over the cut source's tail."""
    out = parts[0][: cuts[0]] if cuts[0] is not None else parts[0]
    for i in range(1, len(parts)):
        previous, cut = parts[i - 1], cuts[i - 1]
        nxt = parts[i]
        n = min(fade, len(nxt), max(0, len(previous) - (cut or 0)))
        if n:
            t = np.linspace(0.0, np.pi / 2, n, dtype=np.float32)[:, None]
            head = previous[cut : cut + n] * np.cos(t) + nxt[:n] * np.sin(t)
            nxt = np.concatenate([head, nxt[n:]])
        out = np.concatenate([out, nxt[: cuts[i]] if cuts[i] is not None else nxt])
    return out


def concat_clip(ctx: JobContext) -> None:
    clip = ctx.clip()
    parts = render_input_of(clip).parts
    start_clip(ctx, clip)
    with ctx.db.read() as conn:
        rows = [repo.get_clip(conn, p.clip_id) for p in parts]
    if any(r is None or r.status != ClipStatus.COMPLETE or not audio_key_of(r) for r in rows):
        raise LookupError("a part of the song is missing its audio")
    # The song takes its last part's rate (an extension by an engine of another rate, say a
    # 48 kHz model continuing a 44.1 kHz song, or an upload's): earlier parts are resampled to it.
    decoded = [audio_of(ctx, r) for r in rows]
    rate = decoded[-1][1]
    mixes, cuts = [], []
    words: list[WordTiming] = []
    offset = 0.0
    for part, row, (own, own_rate) in zip(parts, rows, decoded, strict=True):
        pcm = resample(own, own_rate, rate)
        cut = round(part.continue_at * rate) if part.continue_at is not None else None
        mixes.append(pcm)
        cuts.append(cut)
        end_s = cut / rate if cut is not None else len(pcm) / rate
        for w in map(WordTiming.from_row, row.words or []):
            if w.start_s < end_s:
                words.append(replace(w, start_s=w.start_s + offset, end_s=w.end_s + offset))
        offset += end_s
    fade = round(JOIN_FADE_S * rate)
    song = join(mixes, cuts, fade)
    stems: dict[str, str] = {}
    names = set.intersection(*(set(r.stems or {}) for r in rows)) if rows else set()
    for name in sorted(names):
        stem = join([_decoded(ctx, r.stems[name], rate) for r in rows], cuts, fade)
        stems[name] = clip_key(clip.id, f"stems/{name}.wav")
        write_wav(ctx.storage.workspace.writable_path(stems[name]), stem, rate)
        ctx.storage.publish(stems[name])
    files = store_song(ctx, clip, song, rate)
    complete_clip(
        ctx,
        len(song) / rate,
        stems=stems,
        words=[w.to_row() for w in words],
        # The last part's plan and where that part starts in the whole song, so the whole song
        # can be extended further.
        plan=rows[-1].plan or None,
        timeline_offset_s=round(offset - len(mixes[-1]) / rate, 6) if rows[-1].plan else None,
        **files,
    )


def _decoded(ctx: JobContext, key: str, rate: int) -> np.ndarray:
    pcm, own = decode(ctx.storage.fetch(key))
    return resample(pcm, own, rate)
