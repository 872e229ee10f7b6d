"""Names Suno's public APIs give the models, lower case -> model key (``core.models.MODELS``).

A dialect's ``model_spellings`` is the union of the tables its clients use. Clients mix them
(a gcui client sends sunoapi.org's ``V4_5``, a sunoapi.com path says ``chirp-v3``), so each
built-in dialect has accepted all of them and keeps doing so.
"""

from __future__ import annotations

SUNOAPI_COM = {
    # sunoapi.com's `{mv}` path segment: Suno's major versions.
    "v3": "chirp-v3-0",
    "v3.0": "chirp-v3-0",
    "v3.5": "chirp-v3-5",
    "v4": "chirp-v4",
    "v4.0": "chirp-v4",
    "v4.5": "chirp-auk",
    "v4.5-turbo": "chirp-auk-turbo",
    "v4.5+": "chirp-bluejay",
    "v4.5plus": "chirp-bluejay",
    "v5": "chirp-crow",
    "v5.0": "chirp-crow",
    "v5.5": "chirp-fenix",
}

SUNOAPI_ORG = {
    # sunoapi.org's `model` enum: V3_5, V4, V4_5, V4_5PLUS, V5...
    "v3_0": "chirp-v3-0",
    "v3_5": "chirp-v3-5",
    "v4": "chirp-v4",
    "v4_5": "chirp-auk",
    "v4_5plus": "chirp-bluejay",
    "v5": "chirp-crow",
    "v5_5": "chirp-fenix",
}

SUNO = {
    # Suno's own model_name before the keys carried a minor version.
    "chirp-v3": "chirp-v3-0",
}

SUNO_VERSIONED = {
    # Gateways (sunoapi.com v1, new-api resellers) spell the newer models by version.
    "chirp-v4-0": "chirp-v4",
    "chirp-v4-5": "chirp-auk",
    "chirp-v4-5-turbo": "chirp-auk-turbo",
    "chirp-v4-5-plus": "chirp-bluejay",
    "chirp-v4-5plus": "chirp-bluejay",
    "chirp-v5": "chirp-crow",
    "chirp-v5-0": "chirp-crow",
    "chirp-v5-5": "chirp-fenix",
}

EVERY = {**SUNOAPI_COM, **SUNOAPI_ORG, **SUNO}
