"""What a scene says, in which voice, and how long each line lasts.

The narration's settings (voice, language, speech cache) are resolved like the
scene parameters: defaults, then ``optanim.toml`` (``voice = "espeak"``,
``lang = "en"``), then ``OPTANIM_VOICE`` / ``OPTANIM_LANG``, then the command
line. ``optanim`` synthesizes every line before it renders (:func:`speak_all`);
a render only reads the cache (:meth:`Narration.timed`), and where a line is
not cached, as in a plain ``manim`` run that nobody prepared, it estimates the
line's length and stays silent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from optanim.lesson import params as scene_params
from optanim.lesson import settings
from optanim.narration import speech_cache, voice_base, voices, words
from optanim.narration.speech_cache import Speech, SpeechCache
from optanim.narration.voice_base import Voice
from optanim.narration.voices import Silent
from optanim.narration.words import Line

DEFAULT_VOICES = {"en": "piper", "zh": "espeak"}  # piper has no Mandarin voice
SPOKEN_WPM = 160  # the pace a line is estimated at when it was never spoken
SPOKEN_CJK_PER_MINUTE = 220


@dataclass(frozen=True)
class Timed:
    """A line as it will be heard: its speech file (None: silent) and length."""

    line: Line
    path: Path | None
    seconds: float


@dataclass(frozen=True)
class Narration:
    """A voice speaking one language, with its speech cache."""

    voice: Voice
    lang: str
    cache_dir: Path

    @property
    def cache(self) -> SpeechCache:
        return SpeechCache(self.cache_dir)

    def key(self) -> list[str]:
        """What changes how the narration sounds, for an output's cache key."""
        return [self.voice.name, self.voice.key(), self.lang]

    def line_key(self, line: Line, cache: SpeechCache | None = None) -> str:
        """What ``line`` sounds like: its text, this voice (for a recorded
        voice, its file's content) and the language."""
        cache = cache or self.cache
        text = speech_cache.spoken_text(self.voice, line.say, line.caption)
        return cache.key(self.voice, line.id, text, self.lang)

    def timed(self, line: Line, cache: SpeechCache | None = None) -> Timed:
        """``line`` from the cache, or estimated if it was never spoken."""
        if isinstance(self.voice, Silent):
            return Timed(line, None, voices.reading_seconds(line.caption, self.lang))
        cache = cache or self.cache
        path = cache.path(self.line_key(line, cache))
        if path.is_file():
            return Timed(line, path, speech_cache.read_header(path).seconds)
        return Timed(line, None, estimate_seconds(line.say, self.lang))


def estimate_seconds(say: str, lang: str) -> float:
    """How long ``say`` takes to speak at the narration's pace."""
    if lang == "zh":
        return len(say) / SPOKEN_CJK_PER_MINUTE * 60
    return len(say.split()) / SPOKEN_WPM * 60


def resolve(
    environ=None,
    voice: str | None = None,
    lang: str | None = None,
    media: Path | None = None,
) -> tuple[Narration, ...]:
    """The narration settings: ``voice`` and ``lang`` if given, else the
    environment's, else the config file's, else the defaults.

    ``lang`` may name several languages, ``en,zh``: one timeline serves them
    all, and the first is the one a scene's video carries. ``voice`` is then
    one voice for every language, or one per language (``piper,espeak``).
    """
    environ = os.environ if environ is None else environ
    path, table = scene_params.config_file(environ)
    where = f"config file {path}"

    def setting(name: str, variable: str, given: str | None) -> str | None:
        if given is not None:
            return given
        if variable in environ:
            return environ[variable]
        value = table.get(name)
        if value is not None and not isinstance(value, str):
            raise scene_params.ParamError(f"{where}: {name} must be a string")
        return value

    langs = [
        code.strip()
        for code in (setting("lang", settings.LANG, lang) or "en").split(",")
    ]
    for code in langs:
        if code not in words.LANGS:
            raise scene_params.ParamError(
                f"unknown language {code!r}; choose one of {', '.join(words.LANGS)}"
            )
    if len(set(langs)) != len(langs):
        raise scene_params.ParamError(f"a language is named twice: {','.join(langs)}")
    specs = setting("voice", settings.VOICE, voice)
    specs = [s.strip() for s in specs.split(",")] if specs else []
    if len(specs) == 1:
        specs *= len(langs)
    if specs and len(specs) != len(langs):
        raise scene_params.ParamError(
            f"{len(specs)} voices for {len(langs)} languages: give one voice, "
            "or one per language"
        )
    folder = environ.get(settings.SPEECH_DIR)
    cache_dir = (
        Path(folder) if folder else Path(media or "media") / "speech"
    ).absolute()
    narrations = []
    for code, spec in zip(
        langs, specs or [DEFAULT_VOICES[c] for c in langs], strict=True
    ):
        try:
            chosen = voices.parse_voice(spec)
            chosen.check_lang(code)
        except voice_base.VoiceError as err:
            raise scene_params.ParamError(str(err)) from None
        narrations.append(Narration(chosen, code, cache_dir))
    return tuple(narrations)


def describe(narrations: tuple[Narration, ...]) -> tuple[str, str]:
    """The ``OPTANIM_VOICE`` and ``OPTANIM_LANG`` values that resolve to these."""
    return (
        ",".join(n.voice.name for n in narrations),
        ",".join(n.lang for n in narrations),
    )


def scene_lines(scene: str, params, lang: str) -> list[Line]:
    """Every line of ``scene``'s beats, their numbers filled from ``params``."""
    said = words.load(lang)
    return [
        line
        for beat_id in said.beat_ids(scene)
        for line in said.beat(scene, beat_id, params.narration_values(beat_id)).lines
    ]


def speak_all(
    narration: Narration, lines: list[Line], cache: SpeechCache | None = None
) -> SpeechCache:
    """Synthesizes every line not yet in the cache; returns the cache, which
    counts what it synthesized and reused."""
    cache = cache or narration.cache
    try:
        speech_cache.synthesize_all(
            cache,
            narration.voice,
            [(line.id, line.say, line.caption) for line in lines],
            narration.lang,
        )
    except voice_base.VoiceError as err:
        raise scene_params.ParamError(str(err)) from None
    return cache


def check_all(narration: Narration, lines: list[Line]) -> None:
    """Raises :class:`ParamError` unless the narration's voice can speak every
    one of ``lines``: checked before any of them is spoken."""
    try:
        speech_cache.check_lines(
            narration.voice,
            list(dict.fromkeys(line.id for line in lines)),
            narration.lang,
        )
    except voice_base.VoiceError as err:
        raise scene_params.ParamError(str(err)) from None


def recording_script(narration: Narration, lines: list[Line]) -> list[Timed]:
    """Each line with the length to aim for when recording it."""
    return [narration.timed(line) for line in lines]


__all__ = [
    "Narration",
    "Speech",
    "Timed",
    "check_all",
    "resolve",
    "scene_lines",
    "speak_all",
]
