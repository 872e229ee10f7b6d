"""The singing voice: lyrics in, a sung phrase out.

``score``     what the composer hands the voice: words, syllables, sung notes, the voice's spec
``phonemes``  lyric text -> words -> syllables with espeak-ng phonemes and stress
``tables``    how each phoneme is articulated (formant and noise targets)
``segments``  where each phoneme of a phrase goes in time
``speech``    espeak-ng speaking the phrase (deterministic), analysed into linear-prediction frames
``vocoder``   the spoken frames re-timed onto the notes and excited at the sung pitch
``dsp``       the formant singer's source and vocal-tract filters (compiled loops in ``kernels``)
``singer``    ``sing_phrase``, ``harmonise``, ``voice_range``, ``warm_up``: sings through the
              vocoder, or as a formant singer where espeak-ng cannot speak

Nothing is imported here: the composer reads ``score`` and ``phonemes`` while planning, and
``singer`` (scipy, the compiled kernels) loads only when a phrase is sung.
"""
