"""An independent listener's measurements of a rendered song (numpy and scipy only).

Shared by ``bench/engine.py`` and the engine's guard tests so both read the same figures:

- :func:`spectrum`: the long-term spectrum (energy shares 2-6 kHz and above 6 kHz, 95% rolloff,
  the loudest band above 6 kHz against 1-2 kHz).
- :func:`features`: a small genre fingerprint (tempo, brightness, onset rate, percussive share,
  low/high balance, flatness) and :func:`distance_table`, the nearest other genre of each.
- :func:`pitch_accuracy`: the share of a sung phrase's voiced frames within 50 cents of the
  planned notes (WORLD's pitch tracker, imported only there).
- :func:`boundaries` and :func:`boundary_f1`: a novelty segmenter (Foote's checkerboard kernel on
  the self-similarity of timbre, chroma and loudness) and its F1 against planned boundaries.

None of it knows how the engine makes the song: it reads audio only (plus the planned tempo,
which a beat tracker finds within 0.7%).
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft
from scipy import ndimage, signal

SR = 44_100
SONGS = [  # (label, tags, seed): bench/listen.py's songs, the slow tests' too
    ("metal", "heavy metal", 1),
    ("synthwave", "synthwave, moody, electronic", 2),
    ("folk_ballad", "acoustic folk ballad, female vocals", 3),
    ("hiphop", "hip hop, boom bap", 6),
    ("country", "country, upbeat", 7),
    ("reggae", "reggae, roots", 8),
    ("jazz", "jazz, smooth, saxophone", 9),
    ("house", "deep house", 10),
    ("cinematic", "cinematic orchestral, epic", 11),
]
INSTRUMENTAL = ("bass_solo", "instrumental, bass solo, groovy, funky", 4)
FEATURES = ("tempo", "centroid", "onsets", "percussive", "low_high", "flatness")


def mono(x: np.ndarray) -> np.ndarray:
    y = x.astype(np.float64)
    return y.mean(axis=1) if y.ndim == 2 else y


def spectrum(x: np.ndarray, rate: int = SR) -> dict[str, float]:
    """Long-term spectrum figures: the share of energy in 2-6 kHz and above 6 kHz, the 95%
    rolloff, and the loudest band above 6 kHz (6-8, 8-11, 11-16, 16+ kHz) relative to the
    1-2 kHz band in dB (> 0: harsh)."""
    m = mono(x)
    n = 8192
    frames = len(m) // n
    if frames == 0:
        return {"mid": 0.0, "air": 0.0, "rolloff": 0.0, "harsh_db": -99.0}
    seg = m[: frames * n].reshape(frames, n) * np.hanning(n)
    power = np.sum(np.abs(np.fft.rfft(seg, axis=1)) ** 2, axis=0)
    f = np.fft.rfftfreq(n, 1.0 / rate)
    total = float(np.sum(power)) or 1.0

    def band(lo: float, hi: float) -> float:
        return float(np.sum(power[(f >= lo) & (f < hi)]))

    ref = band(1000, 2000) or 1e-30
    top = max(band(lo, hi) for lo, hi in ((6e3, 8e3), (8e3, 11e3), (11e3, 16e3), (16e3, 3e4)))
    return {
        "mid": band(2000, 6000) / total,
        "air": band(6000, rate / 2 + 1) / total,
        "rolloff": float(f[np.searchsorted(np.cumsum(power) / total, 0.95)]),
        "harsh_db": 10 * np.log10(max(top, 1e-30) / ref),
    }


def f0_track(start: int, audio: np.ndarray, rate: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """(times in s from the song's start, f0 in Hz, 0 unvoiced) of a phrase starting at sample
    ``start``: WORLD's DIO refined by StoneMask, 5 ms frames."""
    import pyworld

    x = audio.astype(np.float64)
    f0, t = pyworld.dio(x, rate, f0_floor=60.0, f0_ceil=1100.0, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, rate)
    return t + start / rate, f0


def pitch_accuracy(notes: list, start: int, audio: np.ndarray, rate: int = SR) -> tuple[float, int]:
    """(share of voiced frames within 50 cents of the planned note, voiced frames) of a dry sung
    phrase. The first and last 30 ms of each note are left out: that is where the portamento
    glides between notes (by design) and where onset/coda consonants sit."""
    t, f0 = f0_track(start, audio, rate)
    good = total = 0
    for n in notes:
        sel = (t >= n.start_s + 0.03) & (t < n.start_s + n.duration_s - 0.03) & (f0 > 0)
        cents = 1200.0 * np.log2(f0[sel] / (440.0 * 2.0 ** ((n.midi - 69.0) / 12.0)))
        good += int(np.sum(np.abs(cents) < 50.0))
        total += int(sel.sum())
    return good / max(total, 1), total


# ---------------------------------------------------------------- short-time analysis

_RATE = 22_050
_N_FFT = 2048
_HOP = 512


def _stft_power(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrogram (frames, bins) of the mono signal at 22.05 kHz, and the bin freqs."""
    m = mono(x)
    if rate != _RATE:
        m = signal.resample_poly(m, _RATE, rate)
    frames = 1 + max(0, len(m) - _N_FFT) // _HOP
    idx = np.arange(_N_FFT)[None, :] + _HOP * np.arange(frames)[:, None]
    seg = m[idx] * np.hanning(_N_FFT)
    power = np.abs(sfft.rfft(seg, axis=1)) ** 2
    return power, np.fft.rfftfreq(_N_FFT, 1.0 / _RATE)


def _mel_matrix(freqs: np.ndarray, bands: int = 40, lo: float = 40.0, hi: float = 11_000.0):
    mel = lambda f: 2595 * np.log10(1 + f / 700)  # noqa: E731
    inv = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = inv(np.linspace(mel(lo), mel(hi), bands + 2))
    w = np.zeros((bands, len(freqs)))
    for i in range(bands):
        a, c, b = edges[i], edges[i + 1], edges[i + 2]
        w[i] = np.clip(np.minimum((freqs - a) / (c - a), (b - freqs) / (b - c)), 0, None)
    return w


def _hpss_share(power: np.ndarray) -> float:
    """Percussive share of the energy: median filters across time (harmonic) and across
    frequency (percussive), soft (Wiener) masks, as librosa's HPSS does."""
    mag = np.sqrt(power[:, : power.shape[1] // 2])  # up to 5.5 kHz: where both kinds live
    h = ndimage.median_filter(mag, size=(17, 1), mode="nearest")
    p = ndimage.median_filter(mag, size=(1, 17), mode="nearest")
    mask = p**2 / (h**2 + p**2 + 1e-20)
    return float(np.sum(mask * mag**2) / (np.sum(mag**2) + 1e-20))


def _onset_envelope(power: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Spectral flux of the log mel spectrogram (positive differences, summed over bands)."""
    mel = np.log10(power @ _mel_matrix(freqs).T + 1e-10)
    flux = np.maximum(np.diff(mel, axis=0), 0).sum(axis=1)
    return np.concatenate([[0.0], flux])


def onset_rate(power: np.ndarray, freqs: np.ndarray) -> float:
    """Onsets per second: peaks of the flux above a moving median plus a fraction of its
    spread, at least 50 ms apart."""
    env = _onset_envelope(power, freqs)
    fps = _RATE / _HOP
    base = ndimage.median_filter(env, size=int(fps), mode="nearest")
    thresh = base + 0.5 * np.std(env)
    peaks, _ = signal.find_peaks(env, height=thresh, distance=max(1, int(0.05 * fps)))
    return len(peaks) / (len(env) / fps)


def features(x: np.ndarray, tempo: float, rate: int = SR) -> dict[str, float]:
    """The genre fingerprint of a song: tempo (bpm), spectral centroid (Hz, energy-weighted),
    onset rate (per s), percussive share (HPSS), low/high balance (dB of < 200 Hz against
    > 2 kHz) and spectral flatness (mean over frames, in dB)."""
    power, freqs = _stft_power(x, rate)
    frame_e = power.sum(axis=1)
    loud = frame_e > 1e-4 * frame_e.max()  # skip silent frames (start, end)
    p = power[loud]
    centroid = float(np.sum(p @ freqs) / np.sum(p))
    low = float(p[:, freqs < 200].sum())
    high = float(p[:, freqs >= 2000].sum())
    geo = np.exp(np.mean(np.log(p[:, 1:] + 1e-12), axis=1))
    flat = 10 * np.log10(np.mean(geo / (np.mean(p[:, 1:], axis=1) + 1e-12)) + 1e-12)
    return {
        "tempo": float(tempo),
        "centroid": centroid,
        "onsets": onset_rate(power, freqs),
        "percussive": _hpss_share(p),
        "low_high": 10 * np.log10((low + 1e-20) / (high + 1e-20)),
        "flatness": float(flat),
    }


def distance_table(feats: dict[str, dict[str, float]]) -> dict[str, tuple[str, float]]:
    """Each song's nearest other song (label, Euclidean distance) after standardising every
    feature over the songs given (z-scores)."""
    labels = list(feats)
    m = np.array([[feats[k][f] for f in FEATURES] for k in labels])
    z = (m - m.mean(axis=0)) / (m.std(axis=0) + 1e-12)
    d = np.sqrt(((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    return {k: (labels[int(np.argmin(d[i]))], float(d[i].min())) for i, k in enumerate(labels)}


# ---------------------------------------------------------------- segmentation


def _segment_features(x: np.ndarray, rate: int, hop_s: float) -> tuple[np.ndarray, float]:
    """Per window of ``hop_s``: 13 MFCCs, 12 chroma bins and log energy, each standardised over
    the song; returns (windows, features) and the window length."""
    power, freqs = _stft_power(x, rate)
    mel = np.log10(power @ _mel_matrix(freqs).T + 1e-10)
    mfcc = sfft.dct(mel, type=2, norm="ortho", axis=1)[:, 1:14]
    keep = (freqs > 60) & (freqs < 5000)
    pitch = np.round(12 * np.log2(freqs[keep] / 440.0)).astype(int) % 12
    chroma = np.zeros((len(power), 12))
    for c in range(12):
        chroma[:, c] = power[:, keep][:, pitch == c].sum(axis=1)
    chroma /= chroma.sum(axis=1, keepdims=True) + 1e-20
    energy = np.log10(power.sum(axis=1) + 1e-10)[:, None]
    per = max(1, int(round(hop_s * _RATE / _HOP)))
    n = len(power) // per

    def pool(a: np.ndarray) -> np.ndarray:
        return a[: n * per].reshape(n, per, -1).mean(axis=1)

    blocks = [pool(mfcc), pool(chroma), pool(energy) * 3.0]  # loudness weighs as 3 dims
    feats = np.concatenate([(b - b.mean(0)) / (b.std(0) + 1e-9) for b in blocks], axis=1)
    return feats, per * _HOP / _RATE


def novelty(
    x: np.ndarray, rate: int = SR, hop_s: float = 0.5, kernel_s: float = 32.0, smooth_s: float = 6.0
):
    """Foote's novelty as MSAF runs it (kernel ~64 beats, features median-filtered over ~12
    beats): a Gaussian-tapered checkerboard kernel slid along the diagonal of the cosine
    self-similarity matrix. Returns (curve in [0, 1], seconds per point)."""
    f, step = _segment_features(x, rate, hop_s)
    f = ndimage.median_filter(f, size=(max(1, int(round(smooth_s / step))), 1), mode="nearest")
    f = f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-9)
    ssm = f @ f.T
    half = max(2, int(round(kernel_s / 2 / step)))
    u = np.arange(-half, half) + 0.5
    g = np.exp(-0.5 * (u / (0.5 * half)) ** 2)
    kern = np.outer(g, g) * np.sign(u)[:, None] * np.sign(u)[None, :]
    n = len(ssm)
    padded = np.pad(ssm, half, mode="reflect")
    curve = np.array([np.sum(padded[i : i + 2 * half, i : i + 2 * half] * kern) for i in range(n)])
    curve = np.maximum(curve, 0)
    return curve / (curve.max() + 1e-12), step


def boundaries(x: np.ndarray, rate: int = SR) -> list[float]:
    """Segment boundaries (s): local maxima of the novelty curve above 0.05 and above its
    moving median over 32 s plus 0.05 (MSAF's peak picking), none in the first or last 2 s."""
    curve, step = novelty(x, rate)
    base = ndimage.median_filter(curve, size=max(3, int(32 / step)), mode="nearest")
    peaks, _ = signal.find_peaks(curve, height=np.maximum(base + 0.05, 0.05))
    times = peaks * step + step / 2
    end = len(mono(x)) / rate
    return [float(t) for t in times if 2.0 < t < end - 2.0]


def boundary_f1(found: list[float], planned: list[float], window: float = 3.0) -> float:
    """F1 of found boundaries against planned ones, each matched at most once within
    ``window`` seconds (greedy by distance)."""
    if not planned and not found:
        return 1.0
    pairs = sorted((abs(a - b), i, j) for i, a in enumerate(found) for j, b in enumerate(planned))
    used_f, used_p = set(), set()
    hits = 0
    for d, i, j in pairs:
        if d <= window and i not in used_f and j not in used_p:
            used_f.add(i)
            used_p.add(j)
            hits += 1
    precision = hits / len(found) if found else 0.0
    recall = hits / len(planned) if planned else 0.0
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


def planned_boundaries(plan: dict) -> list[float]:
    """The starts of a plan's sections after the first (the interior boundaries)."""
    return [float(s["start_s"]) for s in plan["sections"][1:]]


def section_loudness(mix: np.ndarray, plan: dict, rate: int = SR) -> dict[str, float]:
    """Mean K-weighted-free RMS level (dB) per section kind (the mean over its sections)."""
    m = mono(mix)
    levels: dict[str, list[float]] = {}
    for s in plan["sections"]:
        a, b = int(s["start_s"] * rate), int(s["end_s"] * rate)
        if b - a < rate:
            continue
        rms = float(np.sqrt(np.mean(m[a:b] ** 2)) + 1e-12)
        levels.setdefault(s["kind"], []).append(20 * np.log10(rms))
    return {k: float(np.mean(v)) for k, v in levels.items()}
