"""espeak-ng *speaking* a sung phrase's words, analysed into a spectral envelope per frame.

The voice sings with the articulation of natural-sounding synthetic speech: espeak-ng speaks
the phrase (its Klatt generator, variant ``klatt6``, with a fixed random seed: the only set-up
whose output does not depend on what the process synthesised before, so that the same request
gives the same bits in every process), reports where each phoneme starts, and the audio is
analysed here into frames of linear prediction (reflection coefficients and a gain, every 5 ms)
plus a voicing degree. :mod:`vocoder` re-times the frames onto the notes and excites them at
the sung pitch.

A formant shift (female voice, backing voice) is made by analysing the speech resampled by
``1 / shift``: the same coefficients played at the original rate move every resonance up.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import signal

from openchirp.engines.composer.voice import phonemes

RATE = 22_050
"""espeak-ng's output rate, and the voice's synthesis rate (half of 44.1 kHz)."""
HOP = 110
"""Analysis hop in samples at :data:`RATE` (5 ms)."""
ORDER = 24
_WINDOW = 441  # 20 ms
_PRE_EMPHASIS = 0.9
_SILENT = {"_", "_:", "_!", "_^_", ";", "||", "|"}


class _Event(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes layout of espeak_EVENT
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_EVENT_PHONEME = 7
_VOICE = b"en-us+klatt6"
_SEED = 1


def _configure(lib: ctypes.CDLL) -> None:
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int]
    lib.espeak_Synth.argtypes += [ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_ng_SetPhonemeEvents.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]


def speak(text: str) -> tuple[np.ndarray, list[tuple[str, int]]] | None:
    """espeak-ng speaking ``text``: (float64 audio at :data:`RATE`, [(phoneme, start sample)])
    with pauses and stress marks left out of the phonemes; None without espeak-ng."""
    chunks: list[np.ndarray] = []
    events: list[tuple[str, int]] = []

    def collect(wav, count, evs):  # type: ignore[no-untyped-def]
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        i = 0
        while evs and evs[i].type != 0:
            if evs[i].type == _EVENT_PHONEME:
                events.append((evs[i].id.decode("utf-8", "replace"), int(evs[i].sample)))
            i += 1
        return 0

    with phonemes._lock:
        lib = phonemes._espeak()
        if lib is None:
            return None
        _configure(lib)
        callback = _CALLBACK(collect)
        lib.espeak_SetSynthCallback(callback)
        lib.espeak_ng_SetPhonemeEvents(1, 0)
        lib.espeak_SetVoiceByName(_VOICE)
        lib.espeak_ng_SetRandSeed(_SEED)
        data = text.encode("utf-8") + b"\0"
        try:
            lib.espeak_Synth(data, len(data), 0, 0, 0, 1, None, None)  # 1: espeakCHARS_UTF8
            lib.espeak_Synchronize()
        finally:
            lib.espeak_ng_SetPhonemeEvents(0, 0)
            lib.espeak_SetVoiceByName(b"en-us")
    audio = np.concatenate(chunks).astype(np.float64) / 32768.0 if chunks else np.zeros(0)
    clean = []
    for name, at in events:
        p = name.lstrip("',%=")
        if p and p not in _SILENT:
            clean.append((p, at))
    return audio, clean


@dataclass(frozen=True)
class Analysis:
    """Frames of the spoken phrase every :data:`HOP` samples (of the shifted speech)."""

    reflection: np.ndarray
    """(frames, ORDER) reflection coefficients of the all-pole envelope, |k| < 1."""
    gain: np.ndarray
    """(frames,) RMS of the prediction residual: the excitation level."""
    phonemes: tuple[str, ...]
    starts: np.ndarray
    """Start of each phoneme in frames (float)."""
    frames: int


def _levinson(r: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Levinson-Durbin over many frames at once: r (frames, order + 1) autocorrelations ->
    (reflection coefficients (frames, order), prediction error power (frames,))."""
    frames = r.shape[0]
    a = np.zeros((frames, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    ks = np.zeros((frames, order))
    for i in range(1, order + 1):
        acc = np.einsum("fj,fj->f", a[:, :i], r[:, i:0:-1])
        k = -acc / np.maximum(err, 1e-12)
        k = np.clip(k, -0.999, 0.999)
        ks[:, i - 1] = k
        a_prev = a[:, :i].copy()
        a[:, 1 : i + 1] += k[:, None] * a_prev[:, ::-1]
        err = err * (1.0 - k * k)
    return ks, err


@lru_cache(maxsize=256)
def analyse(text: str, shift: float = 1.0) -> Analysis | None:
    """espeak-ng's speech of ``text`` as linear-prediction frames, formants scaled by
    ``shift``; cached (a song repeats its lines, the backing voice its lead's)."""
    spoken = speak(text)
    if spoken is None or len(spoken[0]) < _WINDOW:
        return None
    audio, events = spoken
    ratio = Fraction(1.0 / shift).limit_denominator(40) if abs(shift - 1.0) > 1e-3 else None
    if ratio is not None:
        audio = signal.resample_poly(audio, ratio.numerator, ratio.denominator)
        scale = ratio.numerator / ratio.denominator
    else:
        scale = 1.0
    x = signal.lfilter([1.0, -_PRE_EMPHASIS], [1.0], audio)
    x = np.concatenate([np.zeros(_WINDOW // 2), x, np.zeros(_WINDOW)])
    frames = max(1, (len(x) - _WINDOW) // HOP + 1)
    idx = np.arange(_WINDOW)[None, :] + HOP * np.arange(frames)[:, None]
    seg = x[idx] * np.hanning(_WINDOW)[None, :]
    spec = np.fft.rfft(seg, n=1024, axis=1)
    r = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : ORDER + 1]
    r[:, 0] *= 1.0 + 1e-6  # a little white noise floor: stable, well-conditioned
    r[:, 0] += 1e-10
    lag = np.arange(ORDER + 1)
    r *= np.exp(-0.5 * (2.0 * np.pi * 40.0 * lag / RATE) ** 2)[None, :]  # 40 Hz bandwidth lag window
    ks, err = _levinson(r, ORDER)
    window_power = float(np.sum(np.hanning(_WINDOW) ** 2))
    gain = np.sqrt(np.maximum(err, 0.0) / window_power)
    names = tuple(p for p, _ in events)
    starts = np.array([at * scale / HOP for _, at in events], np.float64)
    return Analysis(ks, gain, names, starts, frames)
