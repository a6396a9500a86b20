"""Mono audio for narration: decoding, WAV output, loudness, peaks and timing.

Everything here works on mono ``float32`` samples in [-1, 1] together with their
sample rate, and depends only on numpy, scipy and PyAV (no manim), so it can be
used and tested on its own.

Loudness follows ITU-R BS.1770-4: :func:`integrated_loudness` gives LUFS and
:func:`true_peak` gives dBTP, and both agree with FFmpeg's ``ebur128`` filter.
:func:`speech_spans` is a deliberately simple energy detector that tells where
there is sound; the tests use it as an independent ear on rendered lectures.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np
from scipy.io import wavfile
from scipy.ndimage import minimum_filter1d, uniform_filter1d

__all__ = [
    "AudioError",
    "integrated_loudness",
    "normalize",
    "place",
    "read",
    "resample",
    "silence",
    "speech_spans",
    "true_peak",
    "write_wav",
]

# Decoded samples beyond the last packet's end that read() drops as padding.
_MAX_PADDING = 4096
# BS.1770-4 gating: 400 ms blocks every 100 ms, gates at -70 LUFS and -10 LU.
_BLOCK_STEP = 0.1
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0
# True peak: oversample to at least 192 kHz, never by less than 4 (Annex 2).
_TRUE_PEAK_RATE = 192_000
_TRUE_PEAK_TAPS = 12  # filter half-length, in input samples
_CHUNK = 1 << 16  # input samples per oversampling chunk, to bound memory
# Limiter in normalize(): ceiling below the requested peak, attack and release.
_LIMIT_MARGIN_DB = 0.3
_LIMIT_ATTACK = 0.005
_LIMIT_RELEASE = 0.05


class AudioError(ValueError):
    """An audio file could not be read; the message names the file."""


def _error(path: str | os.PathLike, reason: object) -> AudioError:
    # OSError and av.FFmpegError both keep the bare message in strerror.
    reason = getattr(reason, "strerror", None) or reason
    text = " ".join(str(reason).split()) or type(reason).__name__
    return AudioError(f"cannot read audio from {os.fspath(path)}: {text}")


def _as_mono(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {x.shape}")
    return x


def _frame_to_mono(frame: av.AudioFrame) -> np.ndarray:
    """Average the channels of a decoded frame into float64 in [-1, 1]."""
    data = frame.to_ndarray()
    channels = max(1, len(frame.layout.channels))
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if data.dtype == np.uint8:
        data = (data.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float64) / float(-np.iinfo(data.dtype).min)
    else:
        data = data.astype(np.float64)
    return data.mean(axis=0)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Resample to ``dst`` Hz; the result has ``round(len(x) * dst / src)`` samples."""
    if src == dst or x.size == 0:
        return x
    from scipy.signal import resample_poly  # imported when used: it takes a second

    g = math.gcd(src, dst)
    y = resample_poly(x, dst // g, src // g)
    n = round(x.size * dst / src)
    if y.size < n:
        y = np.pad(y, (0, n - y.size))
    return y[:n]


def read(
    path: str | os.PathLike, rate: int | None = None, track: int = 0
) -> tuple[np.ndarray, int]:
    """Decode an audio file to mono samples.

    Parameters
    ----------
    path : str or os.PathLike
        Any file PyAV can decode with an audio stream: WAV, FLAC, MP3, M4A/AAC,
        or a video with a soundtrack.
    rate : int, optional
        Resample to this rate in Hz. The length becomes
        ``round(n * rate / source_rate)`` samples, so the duration is kept.
    track : int, default 0
        Which of the file's audio streams to decode.

    Returns
    -------
    samples : numpy.ndarray
        Mono ``float32`` samples in [-1, 1]; channels are averaged.
    rate : int
        The sample rate of ``samples``.

    Raises
    ------
    AudioError
        If the file is missing, unreadable, empty or has no audio.
    """
    if rate is not None and (int(rate) != rate or rate <= 0):
        raise ValueError(f"rate must be a positive integer, got {rate!r}")
    chunks: list[np.ndarray] = []
    source_rate = 0
    start = end = None  # seconds: first decoded sample, end of the last packet
    try:
        with av.open(os.fspath(path)) as container:
            if len(container.streams.audio) <= track:
                raise _error(path, f"no audio stream {track}")
            stream = container.streams.audio[track]
            for packet in container.demux(stream):
                if packet.pts is not None and packet.duration and packet.time_base:
                    stop = float((packet.pts + packet.duration) * packet.time_base)
                    end = stop if end is None else max(end, stop)
                for frame in packet.decode():
                    if frame.samples == 0:
                        continue
                    if source_rate and frame.sample_rate != source_rate:
                        raise _error(path, "the sample rate changes mid-stream")
                    source_rate = frame.sample_rate
                    if start is None and frame.time is not None:
                        start = frame.time
                    chunks.append(_frame_to_mono(frame))
    except AudioError:
        raise
    except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise _error(path, exc) from exc
    if not chunks or not source_rate:
        raise _error(path, "no audio samples")
    x = np.concatenate(chunks)
    if start is not None and end is not None:
        # Decoders return whole frames: an AAC stream's last frame still carries
        # the encoder's padding, which the last packet's duration leaves out.
        excess = x.size - round((end - start) * source_rate)
        if 0 < excess <= _MAX_PADDING:
            x = x[: x.size - excess]
    if rate is not None:
        x = resample(x, source_rate, int(rate))
        source_rate = int(rate)
    return np.clip(x, -1.0, 1.0).astype(np.float32), source_rate


def _temporary_beside(path: Path) -> Path:
    """A fresh name in the folder of ``path``, keeping its suffix."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")


def write_wav(path: str | os.PathLike, samples: np.ndarray, rate: int) -> None:
    """Write mono samples as a 16-bit PCM WAV file, atomically.

    The data goes to a temporary file in the same folder, which then replaces
    ``path``; an interrupted write never leaves a partial file behind.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    samples : numpy.ndarray
        Mono samples in [-1, 1]; values outside are clipped.
    rate : int
        Sample rate in Hz.
    """
    path = Path(path)
    x = _as_mono(samples)
    # FFmpeg's convention: full scale is 32768, so reading back is exact.
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    tmp = _temporary_beside(path)
    try:
        with open(tmp, "xb") as fh:
            wavfile.write(fh, int(rate), pcm)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _k_weighting(rate: int) -> np.ndarray:
    """The two K-weighting biquads of BS.1770-4 for ``rate``, as scipy SOS.

    The analogue prototypes (as in libebur128 and FFmpeg) are re-derived for
    each rate by the bilinear transform; at 48 kHz they give the coefficients
    tabulated in the standard.
    """
    # Stage 1: high shelf modelling the head.
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # Stage 2: the RLB high pass.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    a1, a2 = 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0
    highpass = [1.0, -2.0, 1.0, 1.0, a1, a2]
    return np.array([shelf, highpass])


def _block_energies(x: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal in 400 ms blocks every 100 ms.

    The filter runs over chunks of whole 100 ms steps, carrying its state, so
    memory stays bounded for long tracks; a block is the sum of four steps.
    """
    if x.size == 0:
        return np.zeros(0)
    from scipy.signal import sosfilt

    sos = _k_weighting(rate)
    step = max(1, round(_BLOCK_STEP * rate))
    if x.size < 4 * step:
        y = sosfilt(sos, x)
        return np.array([np.mean(y * y)])
    state = np.zeros((sos.shape[0], 2))
    chunk = step * max(1, _CHUNK * 16 // step)
    sums = []
    for start in range(0, x.size - x.size % step, chunk):
        y, state = sosfilt(sos, x[start : start + chunk], zi=state)
        steps = y.size // step
        sums.append(np.sum((y[: steps * step] ** 2).reshape(steps, step), axis=1))
    per_step = np.concatenate(sums)
    blocks = per_step[:-3] + per_step[1:-2] + per_step[2:-1] + per_step[3:]
    return blocks / (4 * step)


def _lufs(energy: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(energy)


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness of a mono signal (ITU-R BS.1770-4).

    K-weighting, 400 ms blocks with 75 % overlap, an absolute gate at -70 LUFS
    and a relative gate 10 LU below the loudness of the blocks above it.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples.
    rate : int
        Sample rate in Hz.

    Returns
    -------
    float
        Loudness in LUFS, or ``-inf`` if every block is gated out (silence).
        A signal shorter than one block is measured as a single block.
    """
    energies = _block_energies(_as_mono(samples), int(rate))
    gated = energies[_lufs(energies) > _ABSOLUTE_GATE]
    if gated.size == 0:
        return -math.inf
    relative = _lufs(gated.mean()) + _RELATIVE_GATE
    gated = gated[_lufs(gated) > relative]
    if gated.size == 0:
        return -math.inf
    return float(_lufs(gated.mean()))


def _oversampling(rate: int) -> tuple[int, np.ndarray]:
    """Interpolation factor and polyphase low-pass filter for true peaks."""
    factor = max(4, math.ceil(_TRUE_PEAK_RATE / rate))
    taps = 2 * _TRUE_PEAK_TAPS * factor + 1
    t = (np.arange(taps) - (taps - 1) / 2) / factor
    h = np.sinc(t) * np.kaiser(taps, 8.0)
    return factor, h / h.sum()


def _oversampled(x: np.ndarray, rate: int) -> Iterator[np.ndarray]:
    """Yield the oversampled signal in chunks, shaped (samples, factor).

    Row ``n`` holds the interpolated values at ``n + j / factor`` for
    ``j = 0 .. factor - 1``; row ``n`` column 0 equals ``x[n]`` up to the
    filter's ripple.
    """
    from scipy.signal import resample_poly

    factor, h = _oversampling(rate)
    pad = _TRUE_PEAK_TAPS + 1
    for start in range(0, x.size, _CHUNK):
        stop = min(x.size, start + _CHUNK)
        lo, hi = max(0, start - pad), min(x.size, stop + pad)
        y = resample_poly(x[lo:hi], factor, 1, window=h)
        first = (start - lo) * factor
        yield y[first : first + (stop - start) * factor].reshape(-1, factor)


def true_peak(samples: np.ndarray, rate: int) -> float:
    """Maximum true-peak level of a mono signal (ITU-R BS.1770-4, Annex 2).

    The signal is oversampled by at least 4 (to 192 kHz or more, like FFmpeg's
    ``ebur128``) with a windowed-sinc interpolator, and the largest absolute
    value of the samples and of the interpolated signal is reported.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples.
    rate : int
        Sample rate in Hz.

    Returns
    -------
    float
        True peak in dBTP, or ``-inf`` for silence.
    """
    x = _as_mono(samples)
    peak = float(np.max(np.abs(x), initial=0.0))
    for chunk in _oversampled(x, int(rate)):
        peak = max(peak, float(np.max(np.abs(chunk))))
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def _peak_envelope(x: np.ndarray, rate: int) -> np.ndarray:
    """Per sample, the true peak of the signal within one sample either side."""
    envelope = np.abs(x)
    parts = [np.max(np.abs(c), axis=1) for c in _oversampled(x, rate)]
    if parts:
        envelope = np.maximum(envelope, np.concatenate(parts))
    previous = np.concatenate((envelope[:1], envelope[:-1]))
    return np.maximum(envelope, previous)


def _limit(
    x: np.ndarray, rate: int, ceiling: float, envelope: np.ndarray | None = None
) -> np.ndarray:
    """Look-ahead peak limiter keeping the true-peak envelope under ``ceiling``.

    The gain each sample needs is held for the release time, min-filtered over
    the attack time ahead, and smoothed by a centred moving average of the same
    width, so the smoothed gain never exceeds what any sample needs.
    ``envelope`` is :func:`_peak_envelope` of ``x``, if known.
    """
    if envelope is None:
        envelope = _peak_envelope(x, rate)
    need = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    over = np.flatnonzero(need < 1.0)
    if over.size == 0:
        return x
    attack = max(1, round(_LIMIT_ATTACK * rate))
    release = max(attack, round(_LIMIT_RELEASE * rate))
    # Window [n - release, n + attack] for sample n.
    size = release + attack + 1
    gain = np.ones_like(need)
    # Only around the samples over the ceiling does the gain drop below 1:
    # filter those stretches, each with a margin wider than both filters.
    margin = size + 2 * attack + 2
    breaks = np.flatnonzero(np.diff(over) > 2 * margin)
    for first, last in zip(
        over[np.r_[0, breaks + 1]], over[np.r_[breaks, over.size - 1]], strict=True
    ):
        lo, hi = max(0, first - margin), min(need.size, last + margin + 1)
        held = minimum_filter1d(
            need[lo:hi], size, mode="nearest", origin=release - size // 2
        )
        smooth = uniform_filter1d(held, 2 * attack + 1, mode="nearest")
        gain[lo:hi] = np.minimum(smooth, need[lo:hi])
    return x * gain


def normalize(
    samples: np.ndarray, rate: int, lufs: float = -16.0, peak: float = -1.0
) -> np.ndarray:
    """Bring a mono signal to a target loudness without exceeding a true peak.

    A plain gain sets the integrated loudness; when that pushes the true peak
    above ``peak``, a look-ahead limiter (5 ms attack, 50 ms hold) pulls the
    peaks to 0.3 dB under it, and the gain is corrected for the loudness the
    limiter took away.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples.
    rate : int
        Sample rate in Hz.
    lufs : float, default -16.0
        Target integrated loudness in LUFS.
    peak : float, default -1.0
        Maximum true peak in dBTP.

    Returns
    -------
    numpy.ndarray
        ``float32`` samples of the same length: within 0.5 LU of ``lufs`` (in
        practice 0.1 LU) with a true peak at most ``peak``. Silence (nothing
        above the -70 LUFS gate) is returned unchanged. Should the two targets
        be irreconcilable, the peak limit wins.
    """
    x = _as_mono(samples)
    rate = int(rate)
    loudness = integrated_loudness(x, rate)
    if not math.isfinite(loudness):
        return x.astype(np.float32)
    ceiling = 10.0 ** ((peak - _LIMIT_MARGIN_DB) / 20.0)
    # The true-peak envelope scales with the gain: oversample once.
    envelope = _peak_envelope(x, rate)
    gain_db = lufs - loudness
    best, tried = None, []
    for _ in range(8):
        gain = 10.0 ** (gain_db / 20.0)
        y = x * gain
        if 20.0 * math.log10(max(gain * float(envelope.max()), 1e-12)) > peak:
            y = _limit(y, rate, ceiling, envelope * gain)
        error = lufs - integrated_loudness(y, rate)
        if best is None or abs(error) < abs(best[0]):
            best = (error, y)
        if abs(error) <= 0.05:
            break
        tried.append((gain_db, error))
        step = error
        if len(tried) > 1:  # the limiter flattens the response: a secant step
            (g0, e0), (g1, e1) = tried[-2:]
            slope = (e0 - e1) / (g1 - g0) if g1 != g0 else 1.0
            step = error / min(1.0, max(slope, 0.1))
        gain_db += step
    y = best[1]
    over = true_peak(y, rate) - peak
    if over > 0:  # only if the limiter could not hold the ceiling
        y = y * 10.0 ** (-(over + 0.05) / 20.0)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def speech_spans(
    samples: np.ndarray,
    rate: int,
    floor_db: float = -40.0,
    min_silence: float = 0.12,
    min_speech: float = 0.05,
) -> list[tuple[float, float]]:
    """Where there is sound, from short-time energy.

    The signal is cut into 10 ms frames. A frame is sound when its mean square
    is within ``floor_db`` of the loudest frame's. Runs of sound separated by
    less than ``min_silence`` are merged, then runs shorter than ``min_speech``
    are dropped. Times are frame boundaries, so each edge is within 10 ms of
    the true one (on the outside).

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples.
    rate : int
        Sample rate in Hz.
    floor_db : float, default -40.0
        Threshold relative to the loudest frame, in dB (negative).
    min_silence : float, default 0.12
        Shorter gaps, in seconds, do not split a span.
    min_speech : float, default 0.05
        Shorter spans, in seconds, are ignored.

    Returns
    -------
    list of (float, float)
        ``(start, end)`` in seconds, in order; empty for silence.
    """
    x = _as_mono(samples)
    frame = max(1, round(0.01 * rate))
    count = -(-x.size // frame)
    padded = np.zeros(count * frame)
    padded[: x.size] = x
    energy = np.mean(padded.reshape(count, frame) ** 2, axis=1)
    if count == 0 or energy.max() <= 0.0:
        return []
    loud = energy > energy.max() * 10.0 ** (floor_db / 10.0)
    # Runs of loud frames as [first, last + 1) frame indices.
    edges = np.diff(np.concatenate(([0], loud.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    merged: list[list[int]] = []
    for first, stop in zip(starts, stops, strict=True):
        if merged and (first - merged[-1][1]) * frame < min_silence * rate:
            merged[-1][1] = stop
        else:
            merged.append([first, stop])
    duration = x.size / rate
    return [
        (float(first * frame / rate), float(min(stop * frame / rate, duration)))
        for first, stop in merged
        if (stop - first) * frame >= min_speech * rate
    ]


def silence(seconds: float, rate: int) -> np.ndarray:
    """``round(seconds * rate)`` samples of silence, as ``float32``."""
    if seconds < 0:
        raise ValueError(f"silence cannot last {seconds} s")
    return np.zeros(round(seconds * rate), dtype=np.float32)


def place(
    segments: Iterable[tuple[float, np.ndarray]], total_seconds: float, rate: int
) -> np.ndarray:
    """Mix mono segments into one track at given start times.

    Parameters
    ----------
    segments : iterable of (float, numpy.ndarray)
        ``(start_seconds, samples)`` pairs; the start is rounded to the
        nearest sample.
    total_seconds : float
        Length of the track; whatever runs past its end is cut off.
    rate : int
        Sample rate in Hz, shared by all segments.

    Returns
    -------
    numpy.ndarray
        ``round(total_seconds * rate)`` ``float32`` samples; overlapping
        segments are summed and the result is clipped to [-1, 1].
    """
    track = np.zeros(round(total_seconds * rate), dtype=np.float64)
    for start, samples in segments:
        if start < 0:
            raise ValueError(f"a segment cannot start before 0 s (at {start} s)")
        x = _as_mono(samples)
        i = round(start * rate)
        n = max(0, min(x.size, track.size - i))
        track[i : i + n] += x[:n]
    return np.clip(track, -1.0, 1.0).astype(np.float32)
