"""What every voice is and shares, whatever engine speaks.

The :class:`Voice` interface, the narration languages, :class:`VoiceError`,
the trimming of edge silence every voice applies, and the file digests that
voices' keys are made of.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = [
    "LANGS",
    "Voice",
    "VoiceError",
    "trim_silence",
]

LANGS = ("en", "zh")
"""Narration languages: English and Mandarin."""

SILENCE_DBFS = -50.0
"""Audio quieter than this (peak, in dB below full scale) counts as silence."""

EDGE_SECONDS = 0.02
"""Silence kept before the first and after the last sound of every line."""


class VoiceError(ValueError):
    """A voice cannot be set up or cannot speak a line; the message is one line."""


def check_language(lang: str) -> None:
    if lang not in LANGS:
        raise VoiceError(f"unknown narration language {lang!r}: use en or zh")


# --------------------------------------------------------------------- audio


def trim_silence(
    samples: np.ndarray,
    rate: int,
    *,
    dbfs: float = SILENCE_DBFS,
    edge: float = EDGE_SECONDS,
) -> np.ndarray:
    """Cut leading and trailing silence, keeping a short margin.

    Parameters
    ----------
    samples : numpy.ndarray
        Mono samples in [-1, 1].
    rate : int
        Sample rate in Hz.
    dbfs : float, optional
        Samples whose magnitude is below this level (dB below full scale)
        count as silence.
    edge : float, optional
        Seconds of the original audio kept before the first and after the
        last sample above the threshold.

    Returns
    -------
    numpy.ndarray
        A view of ``samples``; empty if nothing rises above the threshold.
    """
    loud = np.flatnonzero(np.abs(samples) >= 10.0 ** (dbfs / 20.0))
    if loud.size == 0:
        return samples[:0]
    margin = round(edge * rate)
    start = max(0, int(loud[0]) - margin)
    stop = min(samples.size, int(loud[-1]) + 1 + margin)
    return samples[start:stop]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_DIGESTS: dict[tuple[str, int, int], str] = {}
_DIGESTS_LOCK = threading.Lock()


def memo_sha256(path: Path) -> str:
    """sha256 of a file, computed once per process for each size and mtime."""
    stat = path.stat()
    memo = (str(path), stat.st_size, stat.st_mtime_ns)
    with _DIGESTS_LOCK:
        if memo in _DIGESTS:
            return _DIGESTS[memo]
    value = file_sha256(path)
    with _DIGESTS_LOCK:
        _DIGESTS[memo] = value
    return value


class Voice:
    """Something that turns a narration line into mono samples.

    Attributes
    ----------
    name : str
        How the voice was chosen, e.g. ``"piper"`` or ``"recorded:/abs/dir"``.
    """

    name: str = ""

    def key(self, line_id: str | None = None) -> str:
        """Describe everything that changes this voice's output.

        Parameters
        ----------
        line_id : str, optional
            Narration line; only recorded voices depend on it.

        Returns
        -------
        str
            Engine and version, model identity and settings. Equal keys (with
            equal text and language) mean interchangeable audio.
        """
        raise NotImplementedError

    def check_lang(self, lang: str) -> None:
        """Raise :class:`VoiceError` unless this voice can speak ``lang``.

        Parameters
        ----------
        lang : str
            ``"en"`` or ``"zh"``.
        """
        check_language(lang)

    def missing_recordings(self, line_ids: Iterable[str]) -> list[str]:
        """Line ids that have no recording; always empty for synthetic voices.

        Parameters
        ----------
        line_ids : iterable of str
            The lines about to be spoken.

        Returns
        -------
        list of str
            The ids without a file, in the given order.
        """
        return []

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        """Speak one line.

        Parameters
        ----------
        line_id : str
            Narration line id such as ``"local_minimum.left.2"``.
        text : str
            What to say (for ``none``, the caption to time).
        lang : str
            ``"en"`` or ``"zh"``.

        Returns
        -------
        samples : numpy.ndarray
            Mono float32 samples in [-1, 1], edge silence trimmed.
        rate : int
            Sample rate in Hz.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<voice {self.name}>"
