"""The speech cache: every spoken line kept as a WAV file.

:class:`SpeechCache` keeps each spoken line as a 16-bit WAV keyed by what it
says and everything that changes how it sounds, so re-rendering a lecture
only synthesizes the lines that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import wave
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optanim.narration.recordings import RECORDING_SUFFIXES, Recorded
from optanim.narration.voice_base import Voice, VoiceError, file_sha256
from optanim.narration.voices import Silent

__all__ = [
    "Speech",
    "SpeechCache",
    "synthesize_all",
]


@dataclass(frozen=True)
class Speech:
    """One spoken line in the cache.

    Attributes
    ----------
    path : pathlib.Path
        A mono 16-bit WAV.
    seconds : float
        Its duration.
    rate : int
        Its sample rate in Hz.
    """

    path: Path
    seconds: float
    rate: int


_CACHE_FORMAT = "optanim speech cache 1"


def _to_pcm16(samples: np.ndarray) -> bytes:
    scaled = np.clip(np.asarray(samples, dtype=np.float64) * 32767.0, -32768, 32767)
    return np.round(scaled).astype("<i2").tobytes()


def read_header(path: Path) -> Speech:
    with wave.open(str(path), "rb") as wav:
        rate, frames = wav.getframerate(), wav.getnframes()
    return Speech(path=path, seconds=frames / rate, rate=rate)


class SpeechCache:
    """Spoken lines kept as WAV files, keyed by text, language and voice.

    A hit only reads the WAV's header. A miss synthesizes, writes the WAV
    under a temporary name and links it into place; if another process got
    there first, its file is kept and returned, so every caller sees the same
    audio (piper never says a line twice quite the same way).

    Parameters
    ----------
    folder : pathlib.Path
        Where the WAVs live; created if needed.

    Attributes
    ----------
    synthesized : int
        Lines this cache had to synthesize.
    reused : int
        Lines found already spoken.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.synthesized = 0
        self.reused = 0
        self._lock = threading.Lock()
        self._digests: dict[str, list] | None = None

    def key(self, voice: Voice, line_id: str, text: str, lang: str) -> str:
        """Return the cache key: sha256 of the text, language and voice key.

        Parameters
        ----------
        voice : Voice
            The speaker.
        line_id : str
            The line (only recorded voices' keys depend on it).
        text : str
            What is said, or the caption for ``none``.
        lang : str
            ``"en"`` or ``"zh"``.

        Returns
        -------
        str
            64 hex digits.
        """
        if isinstance(voice, Recorded):
            voice_key = voice.key(line_id, digest=self._digest)
        else:
            voice_key = voice.key(line_id)
        blob = json.dumps([_CACHE_FORMAT, text, lang, voice_key], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        """Return where the WAV of ``key`` lives."""
        return self.folder / key[:2] / f"{key}.wav"

    def get(self, voice: Voice, line_id: str, text: str, lang: str) -> Speech:
        """Return the spoken line, synthesizing it unless it is cached.

        Parameters
        ----------
        voice : Voice
            The speaker.
        line_id : str
            The narration line id.
        text : str
            What to say (the caption for ``none``).
        lang : str
            ``"en"`` or ``"zh"``.

        Returns
        -------
        Speech
            The cached WAV and its duration.

        Raises
        ------
        VoiceError
            If the voice cannot speak the line.
        """
        voice.check_lang(lang)
        target = self.path(self.key(voice, line_id, text, lang))
        if target.is_file():
            try:
                speech = read_header(target)
            except (wave.Error, EOFError):
                target.unlink(missing_ok=True)
            else:
                with self._lock:
                    self.reused += 1
                return speech
        samples, rate = voice.synthesize(line_id, text, lang)
        self._store(target, samples, rate)
        with self._lock:
            self.synthesized += 1
        return read_header(target)

    def _store(self, target: Path, samples: np.ndarray, rate: int) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.stem[:16]}.", suffix=".tmp", dir=target.parent
        )
        temporary = Path(name)
        try:
            with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(int(rate))
                wav.writeframes(_to_pcm16(samples))
            os.chmod(temporary, 0o644)
            try:
                # A hard link never replaces: the first writer wins and every
                # caller reads the same file.
                os.link(temporary, target)
            except FileExistsError:
                pass
            except OSError:
                os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    def _digest(self, path: Path) -> str:
        """sha256 of a recording, remembered in ``digests.json`` by size+mtime."""
        stat = path.stat()
        index_path = self.folder / "digests.json"
        with self._lock:
            if self._digests is None:
                try:
                    self._digests = json.loads(index_path.read_text("utf-8"))
                except (OSError, ValueError):
                    self._digests = {}
            known = self._digests.get(str(path))
        if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            return known[2]
        value = file_sha256(path)
        with self._lock:
            self._digests[str(path)] = [stat.st_size, stat.st_mtime_ns, value]
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=".digests.", dir=self.folder)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self._digests, out, indent=0, sort_keys=True)
            os.replace(name, index_path)
        return value

    def summary(self) -> str:
        """Say what happened, e.g. ``"synthesized 3 lines, reused 40"``."""
        lines = "line" if self.synthesized == 1 else "lines"
        return f"synthesized {self.synthesized} {lines}, reused {self.reused}"


def _name_some(items: Sequence[str], shown: int = 5) -> str:
    named = ", ".join(items[:shown])
    more = len(items) - shown
    return f"{named} and {more} more" if more > 0 else named


def synthesize_all(
    cache: SpeechCache,
    voice: Voice,
    lines: Sequence[tuple[str, str, str]],
    lang: str,
) -> dict[str, Speech]:
    """Speak every narration line, reusing what the cache already holds.

    Everything that can be checked up front is checked before any work: the
    language, duplicate ids and, for recorded voices, missing files.

    Parameters
    ----------
    cache : SpeechCache
        Where spoken lines are kept.
    voice : Voice
        The speaker.
    lines : sequence of (line_id, say, caption)
        ``say`` is spoken; ``none`` times ``caption`` instead; a recorded
        voice plays the file named by ``line_id``.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    dict
        Line id to :class:`Speech`, in the order given.

    Raises
    ------
    VoiceError
        Naming up to five missing recordings (then "and N more"), or the
        first line the voice cannot speak.
    """
    check_lines(voice, [line_id for line_id, _, _ in lines], lang)
    speeches: dict[str, Speech] = {}
    for line_id, say, caption in lines:
        text = spoken_text(voice, say, caption)
        speeches[line_id] = cache.get(voice, line_id, text, lang)
    return speeches


def spoken_text(voice: Voice, say: str, caption: str) -> str:
    """What ``voice`` is given of a line, and what its cache key holds: the
    words to say, or for ``none`` the caption it times for reading."""
    return caption if isinstance(voice, Silent) else say


def check_lines(voice: Voice, ids: Sequence[str], lang: str) -> None:
    """Raise :class:`VoiceError` unless ``voice`` can speak every line of
    ``ids`` in ``lang``: the language, repeated ids and missing recordings."""
    voice.check_lang(lang)
    repeated = [i for i, count in Counter(ids).items() if count > 1]
    if repeated:
        raise VoiceError(f"narration line ids repeat: {_name_some(repeated)}")
    missing = voice.missing_recordings(list(ids))
    if missing:
        count = f"{len(missing)} line" + ("" if len(missing) == 1 else "s")
        raise VoiceError(
            f"{voice.name} has no recording for {count}: {_name_some(missing)} "
            f"(looked for <line id>{'|'.join(RECORDING_SUFFIXES)})"
        )
