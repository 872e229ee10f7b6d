"""The singing voice: lyrics in, a sung phrase out.

``score``     what the composer hands the voice: words, syllables, sung notes, the voice's spec
``phonemes``  lyric text -> words -> syllables with espeak-ng phonemes and stress
``tables``    how each phoneme is articulated (formant and noise targets)
``segments``  where each phoneme of a phrase goes in time
``dsp``       the source and vocal-tract filters, handed to the compiled loops in ``kernels``
``singer``    the formant singer: ``sing_phrase``, ``harmonise``, ``voice_range``, ``warm_up``

Nothing is imported here: the composer reads ``score`` and ``phonemes`` while planning, and
``singer`` (scipy, the compiled kernels) loads only when a phrase is sung.
"""
