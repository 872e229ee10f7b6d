"""ComposerEngine: the built-in engine. Lyrics and style tags in, an arranged, sung song out.

``plan`` composes the whole song (form, harmony, parts, melodies, word timings) and calibrates
its loudness in a few tens of milliseconds; ``Render.blocks`` then renders it chunk by chunk.
"""

from __future__ import annotations

from openchirp.engines.base import SAMPLE_RATE, EngineError, PlanRequest
from openchirp.engines.composer import kernels
from openchirp.engines.composer.compose import compose, words_of
from openchirp.engines.composer.mix import k_weighting_sos
from openchirp.engines.composer.plan import plan_dict
from openchirp.engines.composer.render import (
    SongRender,
    calibrate,
    clip_words,
    sung_notes,
    voice_available,
)
from openchirp.engines.composer.song import ENGINE_NAME
from openchirp.engines.composer.soundfont import find_soundfont, preload
from openchirp.engines.composer.style import parse_style


class ComposerEngine:
    """``ComposerEngine(soundfont=None, preload_soundfont=True)``.

    ``soundfont``: path of a General MIDI .sf2/.sf3; default ``$OPENCHIRP_SOUNDFONT``, else the
    best one installed, else pretty_midi's TimGM6mb. Loading happens once per process.
    """

    name = ENGINE_NAME
    capabilities = frozenset({"generate", "extend", "concat", "stems"})
    """It renders from its own plans only: it cannot infill a section or use foreign audio."""

    def __init__(
        self,
        soundfont: str | None = None,
        *,
        preload_soundfont: bool = True,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        self.soundfont = find_soundfont(soundfont)
        self.sample_rate = sample_rate
        if preload_soundfont:
            preload(self.soundfont, sample_rate)
            _warm_up(sample_rate)

    def plan(self, request: PlanRequest) -> SongRender:
        if request.continuation is not None:
            src = request.continuation.source_plan
            if not isinstance(src, dict) or src.get("engine") != ENGINE_NAME or "song" not in src:
                raise EngineError("continuation: the source clip was not made by this engine")
            if request.continuation.continue_at < 0:
                raise EngineError("continue_at must not be negative")
        if request.max_duration_s <= 0:
            raise EngineError("max_duration_s must be positive")
        song = compose(request)
        calibrate(song, self.soundfont, self.sample_rate)
        singing = voice_available() and any(p.own and p.notes for p in song.phrases)
        return SongRender(
            song=song,
            sf_path=self.soundfont,
            plan=plan_dict(song, self.soundfont),
            words=clip_words(song),
            sample_rate=self.sample_rate,
            has_vocal=singing,
            duration_s=song.duration_s,
            sung_notes=sung_notes(song),
        )


def _warm_up(sample_rate: int) -> None:
    """What a process does once, done along with loading the SoundFont rather than in its
    first clip: the style parser's keyword patterns, the phonemiser, the loudness filter, the
    compiled DSP loops and the singing voice's module and noise table."""
    parse_style("pop")
    kernels.warm_up()
    words_of("la")
    k_weighting_sos(sample_rate)
    if voice_available():
        from openchirp.engines.composer.voice.singer import warm_up

        warm_up(sample_rate)
