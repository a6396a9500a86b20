"""Human recordings as a voice: one file per narration line.

``recorded:DIR`` plays ``DIR/<line id>.wav`` (or ``.flac``, ``.mp3``,
``.m4a``), decoded by FFmpeg, with the same edge trimming as every voice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from optanim.narration.voice_base import (
    EDGE_SECONDS,
    SILENCE_DBFS,
    Voice,
    VoiceError,
    check_language,
    memo_sha256,
    trim_silence,
)

__all__ = [
    "RECORDING_SUFFIXES",
    "Recorded",
]

RECORDING_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a")
"""File types a recorded voice reads, in order of preference."""


class Recorded(Voice):
    """Human recordings, one file per narration line.

    Parameters
    ----------
    folder : pathlib.Path
        Directory holding ``<line id>.wav`` (or ``.flac``, ``.mp3``, ``.m4a``).

    Raises
    ------
    VoiceError
        If ``folder`` is not a directory.
    """

    def __init__(self, folder: Path | str) -> None:
        path = Path(folder).expanduser()
        if not path.is_dir():
            what = "is not a directory" if path.exists() else "does not exist"
            raise VoiceError(f"recordings folder {str(folder)!r} {what}")
        self.folder = path.resolve()
        self.name = f"recorded:{self.folder}"

    def source(self, line_id: str) -> Path | None:
        """Return the recording of ``line_id``, or None if there is none.

        Raises
        ------
        VoiceError
            If the line has several recordings (say ``.wav`` and ``.mp3``).
        """
        found = [
            self.folder / f"{line_id}{suffix}"
            for suffix in RECORDING_SUFFIXES
            if (self.folder / f"{line_id}{suffix}").is_file()
        ]
        if len(found) > 1:
            names = ", ".join(path.name for path in found)
            raise VoiceError(
                f"{line_id} has several recordings in {self.folder}: {names}"
            )
        return found[0] if found else None

    def missing_recordings(self, line_ids: Iterable[str]) -> list[str]:
        return [line_id for line_id in line_ids if self.source(line_id) is None]

    def _require(self, line_id: str) -> Path:
        path = self.source(line_id)
        if path is None:
            raise VoiceError(
                f"no recording of {line_id} in {self.folder} "
                f"({', '.join(RECORDING_SUFFIXES)})"
            )
        return path

    def key(
        self, line_id: str | None = None, digest: Callable[[Path], str] | None = None
    ) -> str:
        """Describe this folder and, given a line, its recording's file.

        Parameters
        ----------
        line_id : str, optional
            Narration line; its file's name, size, mtime and sha256 are added.
        digest : callable, optional
            sha256 of a file as hex; defaults to reading it (once per process
            for each size and mtime).

        Returns
        -------
        str
            The key.
        """
        parts = [self.name, f"trim {SILENCE_DBFS:g}dBFS {EDGE_SECONDS:g}s"]
        if line_id is not None:
            path = self._require(line_id)
            stat = path.stat()
            content = (digest or memo_sha256)(path)
            parts.append(f"{path.name} {stat.st_size} {stat.st_mtime_ns} {content}")
        return "|".join(parts)

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        check_language(lang)
        path = self._require(line_id)
        samples, rate = decode_mono(path)
        trimmed = trim_silence(samples, rate)
        if trimmed.size == 0:
            raise VoiceError(f"{path} is silent (nothing above {SILENCE_DBFS:g} dBFS)")
        return trimmed.copy(), rate


def decode_mono(path: Path) -> tuple[np.ndarray, int]:
    """Decode an audio file to mono float32 at its own sample rate.

    Parameters
    ----------
    path : pathlib.Path
        Any file FFmpeg reads; its first audio stream is used.

    Returns
    -------
    samples : numpy.ndarray
        Mono float32 samples, the channels averaged.
    rate : int
        The stream's sample rate in Hz.

    Raises
    ------
    VoiceError
        If the file cannot be decoded or has no audio.
    """
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise VoiceError(f"{path} has no audio stream")
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or stream.rate)
            resampler = av.AudioResampler(format="fltp", rate=rate)
            blocks: list[np.ndarray] = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray().mean(axis=0))
            for out in resampler.resample(None):
                blocks.append(out.to_ndarray().mean(axis=0))
    except av.error.FFmpegError as error:
        raise VoiceError(f"cannot decode {path}: {error}") from None
    if not blocks:
        return np.zeros(0, dtype=np.float32), rate
    return np.concatenate(blocks).astype(np.float32, copy=False), rate
