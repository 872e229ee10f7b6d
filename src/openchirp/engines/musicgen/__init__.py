"""The ``musicgen`` engine: instrumental clips from MusicGen through transformers.

``engine.py`` (options, plan, plan_batch), ``model.py`` (loading a local model directory once),
``generation.py`` (a batch of clips generated in windows, streamed), ``codec.py`` (codes to
audio while they come, codes in a plan), ``prompt.py`` (tags and title to a text prompt),
``tiny.py`` (a tiny random model in the real layout) and ``check.py`` (what is wrong with a model
directory). torch and transformers are imported only when the engine is built.
"""
