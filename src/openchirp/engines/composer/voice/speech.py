"""espeak-ng *speaking* a sung phrase's words, analysed into a spectral envelope per frame.

The voice sings with the articulation of synthetic speech that a listener (and a speech
recogniser) understands: espeak-ng speaks the phrase, from a freshly loaded library and a
fixed random seed so that the same words give the same bits whatever came before and in every
process, reports where each phoneme starts, and the audio is analysed here into frames of
linear prediction (reflection coefficients and a gain, every 5 ms) and the residual.
:mod:`vocoder` re-times the frames onto the notes and excites them at the sung pitch.

A formant shift (female voice, backing voice) is made by analysing the speech resampled by
``1 / shift``: the same coefficients played at the original rate move every resonance up.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numba
import numpy as np
from scipy import signal

RATE = 22_050
"""espeak-ng's output rate, and the voice's synthesis rate (half of 44.1 kHz)."""
HOP = 110
"""Analysis hop in samples at :data:`RATE` (5 ms)."""
ORDER = 24
_WINDOW = 662  # 30 ms
_PRE_EMPHASIS = 0.9
_LAG_HZ = 120.0
_SMOOTH_TAPS = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
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
_VOICE = b"en-us"
_lock = threading.Lock()
_private: list[str] = []  # path of this process's copy of the library ("" when none)


def _library_copy() -> str:
    """A private copy of espeak-ng's library, made once per process. espeak-ng keeps state
    from one utterance to the next (the glottal phase, the pitch flutter), so the same words
    come out slightly different after other words; a copy that is loaded for one utterance
    and unloaded after it starts fresh every time (the phoneme look-ups keep the shared one)."""
    if not _private:
        try:
            import espeakng_loader

            folder = tempfile.mkdtemp(prefix="openchirp-espeak-")
            path = os.path.join(folder, "libespeak-ng.so")
            shutil.copyfile(espeakng_loader.get_library_path(), path)
            atexit.register(shutil.rmtree, folder, True)
            _private.append(path)
        except Exception:  # no library, or nowhere to write: the formant singer sings
            _private.append("")
    return _private[0]


def speak(text: str) -> tuple[np.ndarray, list[tuple[str, int]]] | None:
    """espeak-ng speaking ``text``: (float64 audio at :data:`RATE`, [(phoneme, start sample)])
    with pauses and stress marks left out of the phonemes; None without espeak-ng. The same
    text gives the same samples whatever was spoken before, in any process."""
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

    with _lock:
        path = _library_copy()
        if not path:
            return None
        import espeakng_loader

        lib = ctypes.CDLL(path)
        try:
            lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
            lib.espeak_Initialize.argtypes += [ctypes.c_int]
            # AUDIO_OUTPUT_SYNCHRONOUS (2); option 1: phoneme events
            if lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 1) <= 0:
                return None
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            if lib.espeak_SetVoiceByName(_VOICE) != 0:
                return None
            lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
            lib.espeak_ng_SetRandSeed(1)
            lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
            lib.espeak_Synth.argtypes += [ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
            lib.espeak_Synth.argtypes += [ctypes.c_void_p, ctypes.c_void_p]
            callback = _CALLBACK(collect)
            lib.espeak_SetSynthCallback(callback)
            data = text.encode("utf-8") + b"\0"
            lib.espeak_Synth(data, len(data), 0, 0, 0, 1, None, None)  # 1: espeakCHARS_UTF8
            lib.espeak_Synchronize()
            lib.espeak_Terminate()
        finally:
            handle = lib._handle
            del lib
            _ctypes.dlclose(handle)
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
    frame_s: float
    """Seconds of the speech per frame."""
    residual: np.ndarray
    """The prediction residual per sample (frame ``f`` is centred on sample ``f * HOP``)."""

    @property
    def ends(self) -> np.ndarray:
        """End of each phoneme in frames: the next one's start (the last: 100 ms at most)."""
        return np.append(
            self.starts[1:], min(self.frames - 1.0, self.starts[-1] + 0.1 / self.frame_s)
        )


@numba.njit(cache=True, nogil=True)
def _residual(x: np.ndarray, a: np.ndarray, hop: int) -> np.ndarray:
    """``x`` through the inverse filter ``a[f]`` of the frame centred nearest each sample."""
    n, order = x.shape[0], a.shape[1]
    out = np.empty(n, np.float32)
    for i in range(n):
        f = min((i + hop // 2) // hop, a.shape[0] - 1)
        acc = 0.0
        for j in range(min(order, i + 1)):
            acc += a[f, j] * x[i - j]
        out[i] = acc
    return out


def _levinson(r: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levinson-Durbin over many frames at once: r (frames, order + 1) autocorrelations ->
    (reflection coefficients (frames, order), prediction error power (frames,), prediction
    filters (frames, order + 1))."""
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
    return ks, err, a


@lru_cache(maxsize=64)
def analyse(text: str, shift: float = 1.0) -> Analysis | None:
    """espeak-ng's speech of ``text`` as linear-prediction frames, formants scaled by
    ``shift``; cached (a song repeats its lines, the backing voice its lead's)."""
    spoken = speak(text)
    if spoken is None or len(spoken[0]) < _WINDOW:
        return None
    audio, events = spoken
    if not events:
        return None
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
    # lag window: smooths the envelope over ~_LAG_HZ, so that it follows the formants and not
    # the harmonics of espeak-ng's own pitch (which would ring at the wrong pitch when sung)
    r *= np.exp(-0.5 * (2.0 * np.pi * _LAG_HZ * lag / RATE) ** 2)[None, :]
    ks, err, a = _levinson(r, ORDER)
    window_power = float(np.sum(np.hanning(_WINDOW) ** 2))
    gain = np.sqrt(np.maximum(err, 0.0) / window_power)
    # the residual level wobbles with where espeak-ng's pulses fall in the window: smoothed
    gain = np.convolve(np.pad(gain, 2, mode="edge"), _SMOOTH_TAPS, mode="valid")
    # The residual (speech through its own inverse filter, frame by frame): the excitation of
    # the unvoiced sounds, which keeps a stop's burst as sharp as espeak-ng made it.
    residual = _residual(x[_WINDOW // 2 : _WINDOW // 2 + len(audio)], a, HOP)
    names = tuple(p for p, _ in events)
    starts = np.array([at * scale / HOP for _, at in events], np.float64)
    return Analysis(ks, gain, names, starts, frames, HOP / (RATE * scale), residual)
